// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * GET /metrics in the agent's loop.  Every socket is non-blocking; a client
 * gets METRICS_CLIENT_NS for its whole exchange (request in, response out),
 * METRICS_REQUEST_MAX bytes of request, one response, then the connection is
 * closed.  Only "GET /metrics" is answered with the figures: another path is
 * 404, another method on /metrics 405, a request too big 431, garbage 400.
 * While METRICS_MAX_CLIENTS are being served the listening socket is not
 * polled: newcomers wait in the kernel's backlog, the loop never spins.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "metrics.h"
#include "metrics_http.h"
#include "probe.h"
#include "wan_stats.h"

int metrics_parse_listen(struct metrics_listen *l, int argc, char **argv, int line,
			 char *msg, size_t msglen)
{
	struct probe_target t;
	char err[160];

	(void)line;
	if (argc != 2) {
		snprintf(msg, msglen, "metrics takes one ADDR:PORT to serve GET /metrics on "
			 "(like 127.0.0.1:9469 or [::1]:9469)");
		return -EINVAL;
	}
	/* the address grammar of "probe": IPv4:PORT, [IPv6]:PORT */
	if (probe_parse_target(argv[1], &t, err, sizeof(err)) || t.kind != PROBE_TCP) {
		snprintf(msg, msglen, "metrics '%.64s' is not ADDR:PORT with a numeric address "
			 "and a port 1..65535 (like 127.0.0.1:9469 or [::1]:9469)", argv[1]);
		return -EINVAL;
	}
	l->set = true;
	l->addr = t.addr;
	l->addr_len = t.addr_len;
	return 0;
}

int metrics_listen_format(const struct metrics_listen *l, char *buf, size_t size)
{
	struct probe_target t = { .kind = PROBE_TCP, .addr = l->addr, .addr_len = l->addr_len };

	return probe_target_format(&t, buf, size);
}

void metrics_server_init(struct metrics_server *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
		s->c[i].fd = -1;
}

static void client_close(struct metrics_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->out);
	c->out = NULL;
	c->fd = -1;
}

void metrics_server_close(struct metrics_server *s)
{
	for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
		client_close(&s->c[i]);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->at.set = false;
	free(s->body);
	s->body = NULL;
}

int metrics_server_listen(struct metrics_server *s, const struct metrics_listen *l)
{
	int fd, one = 1;

	if (!l->set) {
		metrics_server_close(s);
		return 0;
	}
	if (s->fd >= 0 && s->at.addr_len == l->addr_len &&
	    !memcmp(&s->at.addr, &l->addr, l->addr_len))
		return 0;
	fd = socket(l->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (l->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	/* wake the loop once per scrape: when the request is there, not before */
	setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)&l->addr, l->addr_len) || listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	metrics_server_close(s);
	s->fd = fd;
	s->at = *l;
	return 0;
}

int metrics_server_pollfds(const struct metrics_server *s, struct pollfd *pfd)
{
	int busy = 0;

	if (s->fd < 0)
		return 0;
	for (int i = 0; i < METRICS_MAX_CLIENTS; i++) {
		const struct metrics_client *c = &s->c[i];

		pfd[1 + i] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
		busy += c->fd >= 0;
	}
	pfd[0] = (struct pollfd){ .fd = busy < METRICS_MAX_CLIENTS ? s->fd : -1, .events = POLLIN };
	return METRICS_POLLFDS;
}

int metrics_server_timeout_ms(const struct metrics_server *s, __u64 now_ns)
{
	__u64 first = 0;

	for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
		if (s->c[i].fd >= 0 && (!first || s->c[i].deadline_ns < first))
			first = s->c[i].deadline_ns;
	if (!first)
		return -1;
	return first <= now_ns ? 0 : (int)((first - now_ns + 999999) / 1000000);
}

/*
 * The /metrics body: the one rendered less than METRICS_BODY_NS ago, else a
 * new one from @dp.  Returns it (owned by @s), NULL when out of memory.
 */
static const char *metrics_body(struct metrics_server *s, const struct datapath *dp,
				__u64 now_ns, size_t *len)
{
	struct stats_row rows[OMR_MAX_WANS];
	char *body = NULL;
	size_t body_len = 0;
	FILE *f;

	if (!s->body || now_ns - s->body_ns >= METRICS_BODY_NS) {
		f = open_memstream(&body, &body_len);
		if (!f)
			return NULL;
		metrics_write(f, rows, wan_stats_collect(dp, true, rows), true);
		if (fclose(f)) {
			free(body);
			return NULL;
		}
		free(s->body);
		s->body = body;
		s->body_len = body_len;
		s->body_ns = now_ns;
	}
	*len = s->body_len;
	return s->body;
}

/* The response to @c's request, in c->out; true when it is the figures. */
static bool respond(struct metrics_server *s, struct metrics_client *c, bool too_big,
		    const struct datapath *dp, __u64 now_ns)
{
	static const char *const fmt = "HTTP/1.0 %s\r\nContent-Type: %s\r\n"
				       "Content-Length: %zu\r\nConnection: close\r\n%s\r\n";
	const char *status = "200 OK", *type = METRICS_CONTENT_TYPE, *extra = "";
	char method[16] = "", path[64] = "", error[64];
	const char *body = error;
	size_t body_len, out_len = 0;
	FILE *f;

	c->in[c->in_len < sizeof(c->in) ? c->in_len : sizeof(c->in) - 1] = '\0';
	if (too_big)
		status = "431 Request Header Fields Too Large";
	else if (sscanf(c->in, "%15s %63s HTTP/1.%*[01]", method, path) != 2 || path[0] != '/')
		status = "400 Bad Request";
	else if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9))
		status = "404 Not Found";
	else if (strcmp(method, "GET")) {
		status = "405 Method Not Allowed";
		extra = "Allow: GET\r\n";
	}
	if (status[0] == '2') {
		body = metrics_body(s, dp, now_ns, &body_len);
		if (!body)
			return false;
	} else {
		body_len = (size_t)snprintf(error, sizeof(error), "%s\n", status);
		type = "text/plain; charset=utf-8";
	}
	f = open_memstream(&c->out, &out_len);
	if (!f)
		return false;
	fprintf(f, fmt, status, type, body_len, extra);
	fwrite(body, 1, body_len, f);
	fclose(f);
	c->out_len = out_len;
	c->out_off = 0;
	return status[0] == '2';
}

/* The request has ended: an empty line after the request line. */
static bool request_done(const struct metrics_client *c)
{
	return memmem(c->in, c->in_len, "\r\n\r\n", 4) || memmem(c->in, c->in_len, "\n\n", 2);
}

static void client_write(struct metrics_client *c);

static void client_read(struct metrics_server *s, struct metrics_client *c,
			const struct datapath *dp, __u64 now_ns)
{
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, MSG_DONTWAIT);
	bool full;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_close(c);	/* gone before asking */
		return;
	}
	if (n > 0)
		c->in_len += (size_t)n;
	full = c->in_len == sizeof(c->in);
	if (!request_done(c) && !full)
		return;
	if (respond(s, c, full && !request_done(c), dp, now_ns))
		s->served++;
	else
		s->rejected++;
	if (!c->out)
		client_close(c);
	else
		client_write(c);	/* most often all of it fits at once */
}

static void client_write(struct metrics_client *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0)
		c->out_off += (size_t)n;
	if (n < 0 || c->out_off == c->out_len)
		client_close(c);	/* sent (or the client left): one request only */
}

static void accept_clients(struct metrics_server *s, const struct datapath *dp, __u64 now_ns)
{
	for (int i = 0; i < METRICS_MAX_CLIENTS; i++) {
		struct metrics_client *c = &s->c[i];

		if (c->fd >= 0)
			continue;
		c->fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->fd < 0)
			return;		/* EAGAIN: no more waiting */
		c->deadline_ns = now_ns + METRICS_CLIENT_NS;
		c->in_len = 0;
		client_read(s, c, dp, now_ns);	/* the request is often there already */
	}
}

void metrics_server_ready(struct metrics_server *s, const struct pollfd *pfd, int n,
			  const struct datapath *dp, __u64 now_ns)
{
	if (s->fd < 0 || n < METRICS_POLLFDS)
		return;
	for (int i = 0; i < METRICS_MAX_CLIENTS; i++) {
		struct metrics_client *c = &s->c[i];
		short ev = pfd[1 + i].revents;

		if (c->fd < 0 || pfd[1 + i].fd != c->fd)
			continue;
		if (ev & (POLLERR | POLLNVAL)) {
			client_close(c);
			continue;
		}
		if (c->out && (ev & (POLLOUT | POLLHUP)))
			client_write(c);
		else if (!c->out && (ev & (POLLIN | POLLHUP)))
			client_read(s, c, dp, now_ns);
	}
	for (int i = 0; i < METRICS_MAX_CLIENTS; i++)
		if (s->c[i].fd >= 0 && now_ns >= s->c[i].deadline_ns)
			client_close(&s->c[i]);	/* idle or too slow */
	if (pfd[0].fd >= 0 && (pfd[0].revents & POLLIN))
		accept_clients(s, dp, now_ns);
}
