// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The Prometheus exposition of the per-WAN figures (metrics.c). */
#include <stdlib.h>
#include <unistd.h>
#include "metrics.h"
#include "test.h"

static void two_wans(struct stats_row rows[2])
{
	memset(rows, 0, 2 * sizeof(rows[0]));
	snprintf(rows[0].e.name, sizeof(rows[0].e.name), "wan1");
	rows[0].e.flags = OMR_WAN_F_CONFIGURED | OMR_WAN_F_PRESENT | OMR_WAN_F_ATTACHED;
	rows[0].e.state = OMR_WAN_STATE_UP;
	rows[0].e.weight = 3;
	rows[0].e.effective_weight = 2;
	rows[0].e.rtt_us = 12500;
	rows[0].e.capacity_bps = 24000000;
	rows[0].e.flows = 7;
	rows[0].t.tx_bytes = 18446744073709551615ULL;	/* a counter near wrapping */
	rows[0].t.rx_bytes = 1000;
	rows[0].t.tx_packets = 11;
	rows[0].t.flows_assigned = 5;
	rows[0].t.steer_drops = 1;
	rows[0].tx_bps = 8000000;
	rows[0].rx_bps = 1001;		/* not a whole number of bytes */
	/* a name no interface has, to see the label escaped */
	snprintf(rows[1].e.name, sizeof(rows[1].e.name), "w\"a\\n");
	rows[1].e.flags = OMR_WAN_F_CONFIGURED;		/* not present: "missing" */
	rows[1].e.weight = OMR_WEIGHT_AUTO;
}

static char *format(const struct stats_row *rows, int n, bool up)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ASSERT_TRUE(f != NULL, "open_memstream");
	ASSERT_EQ(metrics_write(f, rows, n, up), 0, "metrics_write");
	fclose(f);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

TEST(metrics_samples)
{
	struct stats_row rows[2];
	char *out;

	two_wans(rows);
	out = format(rows, 2, true);
	ASSERT_TRUE(strstr(out, "omr_steer_up 1\n"), "agent up");
	ASSERT_TRUE(strstr(out, "omr_steer_wans 2\n"), "WAN count");
	ASSERT_TRUE(strstr(out, "omr_steer_tx_bytes_total{wan=\"wan1\"} 18446744073709551615\n"),
		    "a 64-bit counter printed whole");
	ASSERT_TRUE(strstr(out, "omr_steer_rx_bytes_total{wan=\"wan1\"} 1000\n"), "rx bytes");
	ASSERT_TRUE(strstr(out, "omr_steer_tx_packets_total{wan=\"wan1\"} 11\n"), "tx packets");
	ASSERT_TRUE(strstr(out, "omr_steer_flows_assigned_total{wan=\"wan1\"} 5\n"), "assigned");
	ASSERT_TRUE(strstr(out, "omr_steer_steer_drops_total{wan=\"wan1\"} 1\n"), "drops");
	ASSERT_TRUE(strstr(out, "omr_steer_weight{wan=\"wan1\"} 3\n"), "weight");
	ASSERT_TRUE(strstr(out, "omr_steer_effective_weight{wan=\"wan1\"} 2\n"), "effective");
	ASSERT_TRUE(strstr(out, "omr_steer_tx_bytes_per_second{wan=\"wan1\"} 1000000.000\n"), "rate in bytes/s");
	ASSERT_TRUE(strstr(out, "omr_steer_rx_bytes_per_second{wan=\"wan1\"} 125.125\n"),
		    "bits to bytes exactly");
	ASSERT_TRUE(strstr(out, "omr_steer_capacity_bytes_per_second{wan=\"wan1\"} 3000000.000\n"),
		    "capacity");
	ASSERT_TRUE(strstr(out, "omr_steer_rtt_seconds{wan=\"wan1\"} 0.012500\n"),
		    "RTT in seconds");
	ASSERT_TRUE(strstr(out, "omr_steer_flows{wan=\"wan1\"} 7\n"), "flows");
	ASSERT_TRUE(strstr(out, "omr_steer_state{wan=\"wan1\",state=\"up\"} 1\n"), "state up");
	ASSERT_TRUE(strstr(out, "omr_steer_state{wan=\"wan1\",state=\"down\"} 0\n"), "not down");
	/* the second WAN: auto weight, nothing measured, name escaped */
	ASSERT_TRUE(strstr(out, "omr_steer_weight_auto{wan=\"w\\\"a\\\\n\"} 1\n"),
		    "auto, with \" and \\ escaped in the label");
	ASSERT_EQ(count(out, "omr_steer_weight{"), 1, "no weight sample for an auto WAN");
	ASSERT_EQ(count(out, "omr_steer_rtt_seconds{"), 1, "no RTT sample before one is measured");
	ASSERT_EQ(count(out, "omr_steer_capacity_bytes_per_second{"), 1, "no capacity estimated");
	ASSERT_TRUE(strstr(out, "state=\"missing\"} 1\n"), "state missing");
	ASSERT_EQ(count(out, "state=\""), 10, "five states per WAN");
	/* every family: HELP and TYPE once, before its samples */
	ASSERT_EQ(count(out, "# TYPE omr_steer_tx_bytes_total counter\n"), 1, "counter TYPE once");
	ASSERT_EQ(count(out, "# TYPE omr_steer_flows gauge\n"), 1, "gauge TYPE once");
	ASSERT_EQ(count(out, "# HELP "), count(out, "# TYPE "), "a HELP for every TYPE");
	ASSERT_TRUE(strstr(out, "# TYPE omr_steer_rx_bytes_total counter\n") <
		    strstr(out, "omr_steer_rx_bytes_total{"), "TYPE before the samples");
	free(out);
}

TEST(metrics_no_wan)
{
	char *out = format(NULL, 0, false);

	ASSERT_TRUE(strstr(out, "omr_steer_up 0\n"), "agent down");
	ASSERT_TRUE(strstr(out, "omr_steer_wans 0\n"), "no WAN");
	ASSERT_EQ(count(out, "{"), 0, "no per-WAN sample");
	ASSERT_EQ(count(out, "# TYPE "), 2, "no family without samples");
	free(out);
}

/* A real parser: Prometheus' own promtool (Debian package prometheus). */
TEST(metrics_promtool)
{
	char path[] = "/tmp/omr-metrics.XXXXXX", cmd[128];
	struct stats_row rows[2];
	char *out;
	FILE *f;
	int fd, rc;

	if (system("command -v promtool >/dev/null 2>&1")) {
		test_skip("promtool is not installed (scripts/deps.sh test installs prometheus)");
		return;
	}
	two_wans(rows);
	out = format(rows, 2, true);
	fd = mkstemp(path);
	if (!ASSERT_TRUE(fd >= 0, "mkstemp"))
		return;
	f = fdopen(fd, "w");
	fputs(out, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s >&2", path);
	rc = system(cmd);
	ASSERT_EQ(rc, 0, "promtool check metrics: 0 problems (its findings are above)");
	unlink(path);
	free(out);
}

/* ---- the responder (metrics_http.c), on a loopback socket ------------------- */

#include <arpa/inet.h>
#include <netinet/in.h>
#include "metrics_http.h"

static int connect_to(const struct metrics_server *s)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd;

	getsockname(s->fd, (struct sockaddr *)&sin, &len);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One round of the agent's loop for the server: poll (up to 200 ms), ready. */
static int serve_round(struct metrics_server *s, const struct datapath *dp, __u64 now_ns)
{
	struct pollfd pfd[METRICS_POLLFDS];
	int n = metrics_server_pollfds(s, pfd);

	poll(pfd, n, 200);
	metrics_server_ready(s, pfd, n, dp, now_ns);
	return n;
}

static int busy_clients(const struct metrics_server *s)
{
	int n = 0;

	for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
		n += s->c[i].fd >= 0;
	return n;
}

TEST(metrics_http_responder)
{
	struct metrics_listen l = { .set = true, .addr_len = sizeof(struct sockaddr_in) };
	struct sockaddr_in *sin = (struct sockaddr_in *)&l.addr;
	struct metrics_server s;
	struct datapath dp;		/* no maps: an exposition without WANs */
	struct pollfd pfd[METRICS_POLLFDS];
	int fds[METRICS_MAX_CLIENTS + 1], cfd;
	char buf[4096];
	ssize_t got = 0, r;

	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);	/* port 0: any free one */
	datapath_init(&dp, "/nonexistent");
	metrics_server_init(&s);
	if (!ASSERT_EQ(metrics_server_listen(&s, &l), 0, "listen on 127.0.0.1"))
		return;

	/* a whole request: one answer, then the connection is closed */
	cfd = connect_to(&s);
	ASSERT_TRUE(cfd >= 0, "connect");
	ASSERT_EQ(write(cfd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 35), 35, "request");
	for (int round = 0; round < 10 && !s.served; round++)
		serve_round(&s, &dp, 1);
	ASSERT_EQ(s.served, 1, "answered");
	while (got < (ssize_t)sizeof(buf) - 1 && (r = read(cfd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += r;
	buf[got] = '\0';
	ASSERT_TRUE(!strncmp(buf, "HTTP/1.0 200 OK\r\n", 17), "status line");
	ASSERT_TRUE(strstr(buf, "Content-Type: " METRICS_CONTENT_TYPE "\r\n"), "content type");
	ASSERT_TRUE(strstr(buf, "\r\n\r\n# HELP omr_steer_up"), "the exposition after the headers");
	ASSERT_EQ(busy_clients(&s), 0, "the connection is closed after one answer");
	close(cfd);

	/* clients that send half a request: 8 served at once, the rest wait */
	for (int i = 0; i <= METRICS_MAX_CLIENTS; i++) {
		fds[i] = connect_to(&s);
		ASSERT_EQ(write(fds[i], "GET /met", 8), 8, "half a request");
	}
	for (int round = 0; round < 20 && busy_clients(&s) < METRICS_MAX_CLIENTS; round++)
		serve_round(&s, &dp, 2);
	ASSERT_EQ(busy_clients(&s), METRICS_MAX_CLIENTS, "the cap is reached");
	metrics_server_pollfds(&s, pfd);
	ASSERT_EQ(pfd[0].fd, -1, "the listening socket is not polled at the cap");
	ASSERT_TRUE(metrics_server_timeout_ms(&s, 2) <= 2000, "poll wakes for the deadline");
	/* past the deadline: all of them are closed, the waiting one comes in */
	serve_round(&s, &dp, 2 + METRICS_CLIENT_NS);
	ASSERT_TRUE(busy_clients(&s) <= 1, "idle clients closed at their deadline");
	for (int i = 0; i <= METRICS_MAX_CLIENTS; i++)
		close(fds[i]);
	metrics_server_close(&s);
	ASSERT_EQ(s.fd, -1, "closed");
}
