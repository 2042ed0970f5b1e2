// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * trafgen: a bounded traffic generator and sink for the omr-steer tests,
 * the demo and the benchmarks.
 *
 *   trafgen server [-4|-6] --port P [--tcp] [--udp] [--mptcp] [--bind ADDR]
 *                  [--max-seconds S] [--udp-ports N]
 *   trafgen client HOST PORT [--tcp|--udp] [--mptcp] [--bytes N] [--conns C]
 *                  [--parallel K] [--upload|--download] [--bind SRCADDR]
 *                  [--dev IFNAME] [--timeout S] [--count N] [--size B]
 *                  [--seed X] [--pace MS]
 *   trafgen client HOST PORT --flows N [--ports K] [--window W] [--timeout S]
 *   trafgen stats HOST PORT [--timeout S]
 *
 * TCP (or MPTCP): the client opens C connections, K at a time.  Each starts
 * with a 32-byte request: direction, byte count and seed.  Upload: the client
 * sends N bytes and the server verifies them and answers with a result.
 * Download: the server sends N bytes, the client verifies them and reports
 * the outcome back.  The data is a deterministic pattern derived from the
 * seed, so every byte is checked.
 *
 * UDP: each of the C "connections" is one socket sending --count datagrams
 * of --size bytes, one at a time; the server echoes each one and the client
 * checks the echo (a lost datagram is resent, at most 3 times).
 *
 * --pace MS (TCP upload): long-lived connections; each writes 1 KiB every MS
 * ms, until SIGUSR1 says to send the rest of --bytes at once.
 *
 * --flows N: N short UDP flows (IPv4), each one 24-byte datagram echoed, as
 * a busy network's DNS queries look to a router.  Sent from a raw socket so
 * that a million distinct flows cost no million sockets: flow i leaves from
 * source port 1024 + i % 64512 to the server's port PORT + i / 64512 % K
 * (the server runs with --udp-ports K, K * 64512 >= N), at most W (default
 * 256) unanswered at a time; echoes are read from a raw socket too.  Flows
 * without an echo are sent again (3 rounds).  Needs CAP_NET_RAW.  The
 * kernel answers the echoes with port unreachable (no socket has those
 * ports): drop those in the client's namespace.  Prints {"ok","failed",
 * "resent","seconds"}: ok = flows echoed.
 *
 * The server keeps totals per peer address (after NAT: per WAN) and answers
 * `trafgen stats` with one JSON object.  It always has a TCP listener (the
 * stats channel); --tcp/--udp pick the data services (default: both).  It
 * ends by itself after --max-seconds (default 600) and on SIGTERM/SIGINT.
 *
 * The client prints one JSON line and exits 0 only if every connection
 * succeeded; everything it does is bounded by --timeout (default 60 s).
 * Byte counts accept the suffixes k, m, g (powers of 1024).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <linux/mptcp.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif

#define PROTO_MAGIC		0x4f4d5254u	/* "OMRT" */
#define PROTO_VERSION		1
#define OP_UPLOAD		'U'	/* client -> server, N bytes */
#define OP_DOWNLOAD		'D'	/* server -> client, N bytes */
#define OP_STATS		'S'	/* server -> client, JSON */
#define OP_ECHO			'E'	/* UDP datagram to echo */
#define REQUEST_LEN		32
#define RESULT_LEN		24
#define UDP_HEADER_LEN		24
#define UDP_MAX_SIZE		65000
#define UDP_RETRIES		3
#define UDP_REPLY_WAIT_MS	500
#define RESULT_OK		0
#define RESULT_MISMATCH		1
#define RESULT_SHORT		2

#define IO_CHUNK		(64 * 1024)
#define SERVER_IDLE_MS		30000	/* a silent peer is dropped after this */
#define SERVER_MAX_THREADS	512
#define MAX_PEERS		256
#define MAX_UDP_PORTS		64	/* server --udp-ports */
#define PACE_CHUNK		1024	/* --pace: bytes per write */
#define FLOW_SPORT_BASE		1024	/* --flows: source ports 1024..65535 */
#define FLOW_SPORTS		(65536 - FLOW_SPORT_BASE)
#define STATS_MAX_REPLY		(1 << 20)

static const char *prog = "trafgen";

static void die_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	va_end(ap);
	exit(2);
}

static void usage(FILE *out)
{
	fprintf(out,
"usage:\n"
"  trafgen server [-4|-6] --port P [--tcp] [--udp] [--mptcp] [--bind ADDR]\n"
"                 [--max-seconds S] [--udp-ports N]\n"
"  trafgen client HOST PORT [--tcp|--udp] [--mptcp] [--bytes N] [--conns C]\n"
"                 [--parallel K] [--upload|--download] [--bind SRCADDR]\n"
"                 [--dev IFNAME] [--timeout S] [--count N] [--size B] [--seed X]\n"
"                 [--pace MS]\n"
"  trafgen client HOST PORT --flows N [--ports K] [--window W] [--timeout S]\n"
"  trafgen stats HOST PORT [--timeout S]\n"
"\n"
"client prints {\"ok\",\"failed\",\"bytes\",\"seconds\",\"min_conn_s\",\"max_conn_s\",...}\n"
"and exits 0 only if every connection succeeded.  Sizes take k/m/g (x1024).\n");
}

/* ---- time ---------------------------------------------------------------- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Milliseconds left until @deadline, capped at @cap_ms; 0 when past. */
static int ms_left(double deadline, int cap_ms)
{
	double left = (deadline - now_s()) * 1000.0;

	if (left <= 0)
		return 0;
	if (left > cap_ms)
		return cap_ms;
	return left < 1 ? 1 : (int)left;
}

/* ---- the data pattern ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Byte i of the stream for @seed is byte (i % 8) of splitmix64(seed ^ i / 8). */
static void fill_pattern(uint8_t *buf, uint64_t seed, uint64_t offset, size_t len)
{
	uint64_t word_idx = offset / 8;
	unsigned int skip = offset % 8;
	size_t done = 0;

	while (done < len) {
		uint64_t word = splitmix64(seed ^ (word_idx * 0xd1342543de82ef95ull));
		unsigned int b;

		for (b = skip; b < 8 && done < len; b++)
			buf[done++] = (uint8_t)(word >> (8 * b));
		skip = 0;
		word_idx++;
	}
}

/* True when @buf holds bytes [offset, offset+len) of the stream for @seed. */
static bool check_pattern(const uint8_t *buf, uint64_t seed, uint64_t offset,
			  size_t len, uint8_t *scratch)
{
	fill_pattern(scratch, seed, offset, len);
	return memcmp(buf, scratch, len) == 0;
}

/* ---- wire encoding (network byte order) ---------------------------------- */

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = (v << 8) | p[i];
	return v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

struct request {
	uint8_t op;
	uint32_t conn_id;
	uint64_t bytes;
	uint64_t seed;
};

/* magic(4) version(1) op(1) pad(2) conn_id(4) pad(4) bytes(8) seed(8) */
static void encode_request(uint8_t *p, const struct request *req)
{
	memset(p, 0, REQUEST_LEN);
	put_u32(p, PROTO_MAGIC);
	p[4] = PROTO_VERSION;
	p[5] = req->op;
	put_u32(p + 8, req->conn_id);
	put_u64(p + 16, req->bytes);
	put_u64(p + 24, req->seed);
}

static int decode_request(const uint8_t *p, struct request *req)
{
	if (get_u32(p) != PROTO_MAGIC || p[4] != PROTO_VERSION)
		return -EPROTO;
	req->op = p[5];
	req->conn_id = get_u32(p + 8);
	req->bytes = get_u64(p + 16);
	req->seed = get_u64(p + 24);
	return 0;
}

/* magic(4) status(1) pad(3) bytes(8) first_bad_offset(8) */
static void encode_result(uint8_t *p, int status, uint64_t bytes, uint64_t first_bad)
{
	memset(p, 0, RESULT_LEN);
	put_u32(p, PROTO_MAGIC);
	p[4] = (uint8_t)status;
	put_u64(p + 8, bytes);
	put_u64(p + 16, first_bad);
}

static int decode_result(const uint8_t *p, int *status, uint64_t *bytes)
{
	if (get_u32(p) != PROTO_MAGIC)
		return -EPROTO;
	*status = p[4];
	*bytes = get_u64(p + 8);
	return 0;
}

/* ---- socket helpers ------------------------------------------------------ */

union sockaddr_any {
	struct sockaddr sa;
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	struct sockaddr_storage ss;
};

/* Parse a numeric address (v4 or v6) and port. */
static int parse_addr(const char *host, int port, union sockaddr_any *addr, socklen_t *len)
{
	memset(addr, 0, sizeof(*addr));
	if (inet_pton(AF_INET, host, &addr->in4.sin_addr) == 1) {
		addr->in4.sin_family = AF_INET;
		addr->in4.sin_port = htons(port);
		*len = sizeof(addr->in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &addr->in6.sin6_addr) == 1) {
		addr->in6.sin6_family = AF_INET6;
		addr->in6.sin6_port = htons(port);
		*len = sizeof(addr->in6);
		return 0;
	}
	return -EINVAL;
}

/* Resolve HOST (numeric or a name from /etc/hosts). */
static int resolve(const char *host, int port, union sockaddr_any *addr, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;

	if (parse_addr(host, port, addr, len) == 0)
		return 0;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -EINVAL;
	memcpy(addr, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	if (addr->sa.sa_family == AF_INET)
		addr->in4.sin_port = htons(port);
	else
		addr->in6.sin6_port = htons(port);
	freeaddrinfo(res);
	return 0;
}

/* "1.2.3.4" or "2001:db8::1"; v4-mapped v6 addresses print as v4. */
static void addr_to_str(const union sockaddr_any *addr, char *buf, size_t len)
{
	if (addr->sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &addr->in4.sin_addr, buf, len);
	} else if (IN6_IS_ADDR_V4MAPPED(&addr->in6.sin6_addr)) {
		inet_ntop(AF_INET, &addr->in6.sin6_addr.s6_addr[12], buf, len);
	} else {
		inet_ntop(AF_INET6, &addr->in6.sin6_addr, buf, len);
	}
}

static void addr_port_str(const union sockaddr_any *addr, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	int port = ntohs(addr->sa.sa_family == AF_INET ? addr->in4.sin_port : addr->in6.sin6_port);

	addr_to_str(addr, host, sizeof(host));
	snprintf(buf, len, addr->sa.sa_family == AF_INET6 && !strchr(host, '.') ?
		 "[%s]:%d" : "%s:%d", host, port);
}

/*
 * Wait for @events on @fd until @deadline (and at most @idle_ms without
 * progress).  Returns 0 when ready, -ETIMEDOUT, or -errno.
 */
static int wait_fd(int fd, short events, double deadline, int idle_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret, timeout = ms_left(deadline, idle_ms);

	if (timeout == 0)
		return -ETIMEDOUT;
	do {
		ret = poll(&pfd, 1, timeout);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	return 0;
}

/* Write all of @buf before @deadline; the socket is non-blocking. */
static int write_all(int fd, const void *buf, size_t len, double deadline, int idle_ms)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			int ret = wait_fd(fd, POLLOUT, deadline, idle_ms);
			if (ret)
				return ret;
			continue;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Read up to @len bytes (at least one) before @deadline; 0 means EOF. */
static ssize_t read_some(int fd, void *buf, size_t len, double deadline, int idle_ms)
{
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		int ret = wait_fd(fd, POLLIN, deadline, idle_ms);
		if (ret)
			return ret;
	}
}

/* Read exactly @len bytes; -EPIPE on an early EOF. */
static int read_all(int fd, void *buf, size_t len, double deadline, int idle_ms)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read_some(fd, p, len, deadline, idle_ms);

		if (n < 0)
			return (int)n;
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= n;
	}
	return 0;
}

static int set_nonblock(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* ---- server -------------------------------------------------------------- */

struct peer_stats {
	char addr[INET6_ADDRSTRLEN];
	uint64_t conns;
	uint64_t bytes_in;
	uint64_t bytes_out;
	uint64_t ok;
	uint64_t failed;
	uint64_t udp_packets_in;
	uint64_t udp_packets_out;
	uint64_t udp_bytes_in;
	uint64_t udp_bytes_out;
	uint64_t udp_bad;
};

static struct {
	pthread_mutex_t lock;
	struct peer_stats peers[MAX_PEERS];
	int n_peers;
	uint64_t dropped_peers;		/* peers beyond MAX_PEERS */
	double started;
	atomic_int threads;
} server = { .lock = PTHREAD_MUTEX_INITIALIZER };

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* The stats slot of @addr, created on first use; NULL when the table is full. */
static struct peer_stats *peer_find_locked(const char *addr)
{
	for (int i = 0; i < server.n_peers; i++)
		if (!strcmp(server.peers[i].addr, addr))
			return &server.peers[i];
	if (server.n_peers == MAX_PEERS) {
		server.dropped_peers++;
		return NULL;
	}
	struct peer_stats *ps = &server.peers[server.n_peers++];
	memset(ps, 0, sizeof(*ps));
	snprintf(ps->addr, sizeof(ps->addr), "%s", addr);
	return ps;
}

enum peer_field { PEER_CONNS, PEER_BYTES_IN, PEER_BYTES_OUT, PEER_OK, PEER_FAILED };

static void peer_add(const char *addr, enum peer_field field, uint64_t n)
{
	pthread_mutex_lock(&server.lock);
	struct peer_stats *ps = peer_find_locked(addr);
	if (ps) {
		switch (field) {
		case PEER_CONNS:     ps->conns += n; break;
		case PEER_BYTES_IN:  ps->bytes_in += n; break;
		case PEER_BYTES_OUT: ps->bytes_out += n; break;
		case PEER_OK:        ps->ok += n; break;
		case PEER_FAILED:    ps->failed += n; break;
		}
	}
	pthread_mutex_unlock(&server.lock);
}

static size_t stats_json(char *buf, size_t len)
{
	size_t off = 0;
	struct peer_stats total = { .addr = "" };

#define OUT(...) do { \
		int n_ = snprintf(buf + off, len - off, __VA_ARGS__); \
		if (n_ > 0) off = off + n_ >= len ? len - 1 : off + n_; \
	} while (0)

	pthread_mutex_lock(&server.lock);
	OUT("{\"uptime_s\":%.3f,\"peers\":[", now_s() - server.started);
	for (int i = 0; i < server.n_peers; i++) {
		struct peer_stats *ps = &server.peers[i];

		OUT("%s{\"addr\":\"%s\",\"conns\":%" PRIu64 ",\"bytes_in\":%" PRIu64
		    ",\"bytes_out\":%" PRIu64 ",\"ok\":%" PRIu64 ",\"failed\":%" PRIu64
		    ",\"udp_packets_in\":%" PRIu64 ",\"udp_packets_out\":%" PRIu64
		    ",\"udp_bytes_in\":%" PRIu64 ",\"udp_bytes_out\":%" PRIu64
		    ",\"udp_bad\":%" PRIu64 "}",
		    i ? "," : "", ps->addr, ps->conns, ps->bytes_in, ps->bytes_out,
		    ps->ok, ps->failed, ps->udp_packets_in, ps->udp_packets_out,
		    ps->udp_bytes_in, ps->udp_bytes_out, ps->udp_bad);
		total.conns += ps->conns;
		total.bytes_in += ps->bytes_in;
		total.bytes_out += ps->bytes_out;
		total.ok += ps->ok;
		total.failed += ps->failed;
		total.udp_packets_in += ps->udp_packets_in;
		total.udp_bytes_in += ps->udp_bytes_in;
	}
	OUT("],\"total\":{\"conns\":%" PRIu64 ",\"bytes_in\":%" PRIu64
	    ",\"bytes_out\":%" PRIu64 ",\"ok\":%" PRIu64 ",\"failed\":%" PRIu64
	    ",\"udp_packets_in\":%" PRIu64 ",\"udp_bytes_in\":%" PRIu64
	    "},\"dropped_peers\":%" PRIu64 "}\n",
	    total.conns, total.bytes_in, total.bytes_out, total.ok, total.failed,
	    total.udp_packets_in, total.udp_bytes_in, server.dropped_peers);
	pthread_mutex_unlock(&server.lock);
#undef OUT
	return off;
}

struct server_conn {
	int fd;
	union sockaddr_any peer;
};

/* Receive req->bytes of pattern, then answer with a result. */
static void serve_upload(int fd, const char *peer, const struct request *req,
			 uint8_t *buf, uint8_t *scratch)
{
	uint64_t got = 0, first_bad = UINT64_MAX;
	uint8_t result[RESULT_LEN];
	int status;

	while (got < req->bytes) {
		size_t want = req->bytes - got < IO_CHUNK ? req->bytes - got : IO_CHUNK;
		ssize_t n = read_some(fd, buf, want, now_s() + 3600, SERVER_IDLE_MS);

		if (n <= 0)
			break;
		if (first_bad == UINT64_MAX && !check_pattern(buf, req->seed, got, n, scratch))
			first_bad = got;
		got += n;
		peer_add(peer, PEER_BYTES_IN, n);
	}
	status = got < req->bytes ? RESULT_SHORT :
		 first_bad != UINT64_MAX ? RESULT_MISMATCH : RESULT_OK;
	encode_result(result, status, got, first_bad);
	write_all(fd, result, sizeof(result), now_s() + 3600, SERVER_IDLE_MS);
	peer_add(peer, status == RESULT_OK ? PEER_OK : PEER_FAILED, 1);
	if (status != RESULT_OK)
		fprintf(stderr, "%s: upload from %s (conn %u): %s after %" PRIu64 " of %" PRIu64 " bytes\n",
			prog, peer, req->conn_id, status == RESULT_SHORT ? "short" : "data mismatch",
			got, req->bytes);
}

/* Send req->bytes of pattern, then wait for the client's verdict. */
static void serve_download(int fd, const char *peer, const struct request *req, uint8_t *buf)
{
	uint64_t sent = 0, client_bytes = 0;
	uint8_t result[RESULT_LEN];
	int status = RESULT_SHORT;

	while (sent < req->bytes) {
		size_t n = req->bytes - sent < IO_CHUNK ? req->bytes - sent : IO_CHUNK;

		fill_pattern(buf, req->seed, sent, n);
		if (write_all(fd, buf, n, now_s() + 3600, SERVER_IDLE_MS))
			break;
		sent += n;
		peer_add(peer, PEER_BYTES_OUT, n);
	}
	if (sent == req->bytes &&
	    read_all(fd, result, sizeof(result), now_s() + 3600, SERVER_IDLE_MS) == 0 &&
	    decode_result(result, &status, &client_bytes) == 0 &&
	    client_bytes != req->bytes && status == RESULT_OK)
		status = RESULT_SHORT;
	peer_add(peer, status == RESULT_OK ? PEER_OK : PEER_FAILED, 1);
}

static void *serve_conn(void *arg)
{
	struct server_conn *conn = arg;
	uint8_t head[REQUEST_LEN];
	char peer[INET6_ADDRSTRLEN];
	struct request req;
	uint8_t *buf = malloc(IO_CHUNK), *scratch = malloc(IO_CHUNK);

	addr_to_str(&conn->peer, peer, sizeof(peer));
	if (!buf || !scratch || set_nonblock(conn->fd) ||
	    read_all(conn->fd, head, sizeof(head), now_s() + 3600, SERVER_IDLE_MS) ||
	    decode_request(head, &req))
		goto out;

	switch (req.op) {
	case OP_STATS: {
		char *json = malloc(STATS_MAX_REPLY);

		if (json) {
			size_t n = stats_json(json, STATS_MAX_REPLY);
			write_all(conn->fd, json, n, now_s() + 10, SERVER_IDLE_MS);
			free(json);
		}
		break;
	}
	case OP_UPLOAD:
		peer_add(peer, PEER_CONNS, 1);
		serve_upload(conn->fd, peer, &req, buf, scratch);
		break;
	case OP_DOWNLOAD:
		peer_add(peer, PEER_CONNS, 1);
		serve_download(conn->fd, peer, &req, buf);
		break;
	default:
		fprintf(stderr, "%s: %s sent unknown request %#x\n", prog, peer, req.op);
	}
out:
	close(conn->fd);
	free(conn);
	free(buf);
	free(scratch);
	atomic_fetch_sub(&server.threads, 1);
	return NULL;
}

/* Echo one datagram and count it for its sender. */
static bool serve_udp(int fd, uint8_t *buf, uint8_t *scratch)
{
	union sockaddr_any from;
	socklen_t from_len = sizeof(from);
	char peer[INET6_ADDRSTRLEN];
	ssize_t n = recvfrom(fd, buf, UDP_MAX_SIZE, MSG_DONTWAIT, &from.sa, &from_len);
	bool good;

	if (n < 0)
		return false;
	good = n >= UDP_HEADER_LEN && get_u32(buf) == PROTO_MAGIC && buf[5] == OP_ECHO &&
	       check_pattern(buf + UDP_HEADER_LEN, get_u64(buf + 16) ^ get_u32(buf + 12), 0,
			     n - UDP_HEADER_LEN, scratch);
	addr_to_str(&from, peer, sizeof(peer));
	bool sent = sendto(fd, buf, n, MSG_DONTWAIT, &from.sa, from_len) == n;

	pthread_mutex_lock(&server.lock);
	struct peer_stats *ps = peer_find_locked(peer);
	if (ps) {
		ps->udp_packets_in++;
		ps->udp_bytes_in += n;
		if (sent) {
			ps->udp_packets_out++;
			ps->udp_bytes_out += n;
		}
		if (!good)
			ps->udp_bad++;
	}
	pthread_mutex_unlock(&server.lock);
	return true;
}

static int open_listener(int family, int type, int proto, const char *bind_addr,
			 int port, bool v6only)
{
	union sockaddr_any addr;
	socklen_t len;
	int fd, one = 1;

	if (bind_addr) {
		if (parse_addr(bind_addr, port, &addr, &len)) {
			fprintf(stderr, "%s: --bind %s: not an IPv4 or IPv6 address\n", prog, bind_addr);
			return -EINVAL;
		}
	} else {
		memset(&addr, 0, sizeof(addr));
		addr.sa.sa_family = family;
		if (family == AF_INET) {
			addr.in4.sin_port = htons(port);
			len = sizeof(addr.in4);
		} else {
			addr.in6.sin6_port = htons(port);
			len = sizeof(addr.in6);
		}
	}
	fd = socket(addr.sa.sa_family, type | SOCK_CLOEXEC, proto);
	if (fd < 0) {
		int err = -errno;
		fprintf(stderr, "%s: socket(%s): %s%s\n", prog,
			proto == IPPROTO_MPTCP ? "MPTCP" : type == SOCK_DGRAM ? "UDP" : "TCP",
			strerror(errno), proto == IPPROTO_MPTCP ?
			" (is MPTCP enabled? sysctl net.mptcp.enabled=1)" : "");
		return err;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (addr.sa.sa_family == AF_INET6) {
		int val = v6only ? 1 : 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &val, sizeof(val));
	}
	if (bind(fd, &addr.sa, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0)) {
		int err = -errno;
		char where[INET6_ADDRSTRLEN + 16];
		addr_port_str(&addr, where, sizeof(where));
		fprintf(stderr, "%s: bind/listen %s: %s\n", prog, where, strerror(errno));
		close(fd);
		return err;
	}
	return fd;
}

static long parse_long(const char *what, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || end == s || *end || v < min || v > max)
		die_usage("%s: '%s' is not a number in %ld..%ld", what, s, min, max);
	return v;
}

/* "1500", "64k", "2m", "1g": bytes (k/m/g are powers of 1024). */
static uint64_t parse_size(const char *what, const char *s)
{
	char *end;
	unsigned long long v;
	uint64_t mult = 1;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		die_usage("%s: '%s' is not a size", what, s);
	switch (*end) {
	case 'k': case 'K': mult = 1ull << 10; end++; break;
	case 'm': case 'M': mult = 1ull << 20; end++; break;
	case 'g': case 'G': mult = 1ull << 30; end++; break;
	}
	if (*end || v > UINT64_MAX / mult)
		die_usage("%s: '%s' is not a size", what, s);
	return v * mult;
}

static int cmd_server(int argc, char **argv)
{
	int family = 0, port = -1, max_seconds = 600;
	bool want_tcp = false, want_udp = false, mptcp = false;
	const char *bind_addr = NULL;
	struct pollfd fds[1 + MAX_UDP_PORTS];
	int n_fds = 0, tcp_fd, udp_ports = 1;
	uint8_t *udp_buf, *udp_scratch;
	pthread_attr_t attr;
	struct sigaction sa = { .sa_handler = on_stop_signal };

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-4")) family = AF_INET;
		else if (!strcmp(a, "-6")) family = AF_INET6;
		else if (!strcmp(a, "--tcp")) want_tcp = true;
		else if (!strcmp(a, "--udp")) want_udp = true;
		else if (!strcmp(a, "--mptcp")) mptcp = true;
		else if (!strcmp(a, "--port") && val) { port = parse_long(a, val, 1, 65535); i++; }
		else if (!strcmp(a, "--bind") && val) { bind_addr = val; i++; }
		else if (!strcmp(a, "--max-seconds") && val) { max_seconds = parse_long(a, val, 1, 86400); i++; }
		else if (!strcmp(a, "--udp-ports") && val) { udp_ports = parse_long(a, val, 1, MAX_UDP_PORTS); i++; }
		else die_usage("server: unknown or incomplete option '%s'", a);
	}
	if (port < 0)
		die_usage("server: --port is required");
	if (port + udp_ports - 1 > 65535)
		die_usage("server: --port %d --udp-ports %d go past port 65535", port, udp_ports);
	/* The TCP listener always runs (it carries `stats`); --tcp alone
	 * only means "no UDP echo". */
	if (!want_tcp && !want_udp)
		want_udp = true;
	if (bind_addr && family) {
		union sockaddr_any tmp;
		socklen_t len;
		if (parse_addr(bind_addr, port, &tmp, &len) || tmp.sa.sa_family != family)
			die_usage("server: --bind %s does not match -%c", bind_addr,
				  family == AF_INET ? '4' : '6');
	}

	/* Without -4/-6 one IPv6 socket takes both families (IPv4 only when
	 * the kernel has no IPv6). */
	if (!family && !bind_addr) {
		int probe = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		family = probe < 0 && errno == EAFNOSUPPORT ? AF_INET : 0;
		if (probe >= 0)
			close(probe);
	}
	tcp_fd = open_listener(family ? family : AF_INET6, SOCK_STREAM,
			       mptcp ? IPPROTO_MPTCP : IPPROTO_TCP, bind_addr, port,
			       family == AF_INET6);
	if (tcp_fd < 0)
		return 1;
	fds[n_fds++] = (struct pollfd){ .fd = tcp_fd, .events = POLLIN };
	for (int p = 0; want_udp && p < udp_ports; p++) {
		int udp_fd = open_listener(family ? family : AF_INET6, SOCK_DGRAM, 0, bind_addr,
					   port + p, family == AF_INET6);

		if (udp_fd < 0)
			return 1;
		fds[n_fds++] = (struct pollfd){ .fd = udp_fd, .events = POLLIN };
	}

	udp_buf = malloc(UDP_MAX_SIZE);
	udp_scratch = malloc(UDP_MAX_SIZE);
	if (!udp_buf || !udp_scratch)
		return 1;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	server.started = now_s();

	while (!stop_requested) {
		int timeout = ms_left(server.started + max_seconds, 200);

		if (timeout == 0)
			break;
		if (poll(fds, n_fds, timeout) <= 0)
			continue;
		/* a burst of datagrams per wakeup, not one per poll() */
		for (int f = 1; f < n_fds; f++)
			for (int k = 0; (fds[f].revents & POLLIN) && k < 64; k++)
				if (!serve_udp(fds[f].fd, udp_buf, udp_scratch))
					break;
		if (!(fds[0].revents & POLLIN))
			continue;

		struct server_conn *conn = calloc(1, sizeof(*conn));
		socklen_t len = sizeof(conn->peer);
		pthread_t tid;

		if (!conn)
			continue;
		conn->fd = accept4(tcp_fd, &conn->peer.sa, &len, SOCK_CLOEXEC);
		if (conn->fd < 0) {
			free(conn);
			continue;
		}
		if (atomic_load(&server.threads) >= SERVER_MAX_THREADS) {
			fprintf(stderr, "%s: %d connections in progress, refusing more\n",
				prog, SERVER_MAX_THREADS);
			close(conn->fd);
			free(conn);
			continue;
		}
		atomic_fetch_add(&server.threads, 1);
		if (pthread_create(&tid, &attr, serve_conn, conn)) {
			atomic_fetch_sub(&server.threads, 1);
			close(conn->fd);
			free(conn);
		}
	}
	/* Detached connection threads end with the process. */
	for (int f = 0; f < n_fds; f++)
		close(fds[f].fd);
	free(udp_buf);
	free(udp_scratch);
	return 0;
}

/* ---- client -------------------------------------------------------------- */

struct client_opts {
	union sockaddr_any dst;
	socklen_t dst_len;
	union sockaddr_any src;
	socklen_t src_len;		/* 0: no --bind */
	const char *dev;
	bool udp;
	bool mptcp;
	bool download;
	uint64_t bytes;
	int conns;
	int parallel;
	int udp_count;
	int udp_size;
	int pace_ms;			/* --pace: 0 = as fast as possible */
	uint64_t seed;
	double deadline;
};

/* SIGUSR1: paced uploads send the rest at once. */
static volatile sig_atomic_t pace_over;

static void on_pace_over(int sig)
{
	(void)sig;
	pace_over = 1;
}

/* Sleep @ms, or less when SIGUSR1 came or the deadline is near. */
static void pace_sleep(int ms, double deadline)
{
	double until = now_s() + ms / 1000.0;

	if (until > deadline)
		until = deadline;
	while (!pace_over && now_s() < until) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}
}

struct conn_result {
	bool ok;
	bool mptcp_active;		/* MPTCP_INFO answered, no fallback */
	int mptcp_subflows;		/* additional subflows at the end */
	uint64_t bytes;
	uint64_t udp_resent;
	double seconds;
};

struct client_run {
	const struct client_opts *opts;
	struct conn_result *results;
	atomic_int next_conn;
};

static int client_socket(const struct client_opts *o, int type, int proto, int conn_id)
{
	int fd = socket(o->dst.sa.sa_family, type | SOCK_CLOEXEC, proto);

	if (fd < 0) {
		fprintf(stderr, "%s: conn %d: socket(%s): %s%s\n", prog, conn_id,
			proto == IPPROTO_MPTCP ? "MPTCP" : type == SOCK_DGRAM ? "UDP" : "TCP",
			strerror(errno), proto == IPPROTO_MPTCP ?
			" (is MPTCP enabled? sysctl net.mptcp.enabled=1)" : "");
		return -1;
	}
	if (o->dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->dev, strlen(o->dev) + 1) < 0) {
		fprintf(stderr, "%s: conn %d: SO_BINDTODEVICE %s: %s\n", prog, conn_id, o->dev,
			strerror(errno));
		close(fd);
		return -1;
	}
	if (o->src_len && bind(fd, &o->src.sa, o->src_len) < 0) {
		char where[INET6_ADDRSTRLEN];
		addr_to_str(&o->src, where, sizeof(where));
		fprintf(stderr, "%s: conn %d: bind %s: %s\n", prog, conn_id, where, strerror(errno));
		close(fd);
		return -1;
	}
	if (set_nonblock(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int connect_before(int fd, const struct client_opts *o)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (connect(fd, &o->dst.sa, o->dst_len) == 0)
		return 0;
	if (errno != EINPROGRESS)
		return -errno;
	int ret = wait_fd(fd, POLLOUT, o->deadline, INT_MAX);
	if (ret)
		return ret;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

static void query_mptcp(int fd, struct conn_result *res)
{
	struct mptcp_info info;
	socklen_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	/* A connection that fell back to TCP answers EOPNOTSUPP. */
	if (getsockopt(fd, SOL_MPTCP, MPTCP_INFO, &info, &len) == 0 &&
	    !(info.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK)) {
		res->mptcp_active = true;
		res->mptcp_subflows = info.mptcpi_subflows;
	}
}

static bool run_tcp_conn(const struct client_opts *o, int conn_id, struct conn_result *res,
			 uint8_t *buf, uint8_t *scratch)
{
	char dst[INET6_ADDRSTRLEN + 16];
	struct request req = {
		.op = o->download ? OP_DOWNLOAD : OP_UPLOAD,
		.conn_id = conn_id,
		.bytes = o->bytes,
		.seed = splitmix64(o->seed + conn_id),
	};
	uint8_t head[REQUEST_LEN], result[RESULT_LEN];
	uint64_t done = 0, peer_bytes = 0;
	int status = RESULT_SHORT, ret, fd;
	const char *what = "connect";

	addr_port_str(&o->dst, dst, sizeof(dst));
	fd = client_socket(o, SOCK_STREAM, o->mptcp ? IPPROTO_MPTCP : IPPROTO_TCP, conn_id);
	if (fd < 0)
		return false;
	ret = connect_before(fd, o);
	if (ret)
		goto fail;
	what = "send request";
	encode_request(head, &req);
	ret = write_all(fd, head, sizeof(head), o->deadline, INT_MAX);
	if (ret)
		goto fail;

	if (!o->download) {
		what = "upload";
		while (done < o->bytes) {
			bool paced = o->pace_ms && !pace_over;
			size_t chunk = paced ? PACE_CHUNK : IO_CHUNK;
			size_t n = o->bytes - done < chunk ? o->bytes - done : chunk;

			fill_pattern(buf, req.seed, done, n);
			ret = write_all(fd, buf, n, o->deadline, INT_MAX);
			if (ret)
				goto fail;
			done += n;
			res->bytes += n;
			if (paced && done < o->bytes)
				pace_sleep(o->pace_ms, o->deadline);
		}
		what = "read result";
		ret = read_all(fd, result, sizeof(result), o->deadline, INT_MAX);
		if (ret)
			goto fail;
		if (decode_result(result, &status, &peer_bytes)) {
			ret = -EPROTO;
			goto fail;
		}
		if (status != RESULT_OK || peer_bytes != o->bytes) {
			fprintf(stderr, "%s: conn %d to %s: server %s (%" PRIu64 " of %" PRIu64 " bytes)\n",
				prog, conn_id, dst, status == RESULT_MISMATCH ?
				"found corrupted data" : "got a short upload", peer_bytes, o->bytes);
			goto out;
		}
	} else {
		uint64_t first_bad = UINT64_MAX;

		what = "download";
		while (done < o->bytes) {
			size_t want = o->bytes - done < IO_CHUNK ? o->bytes - done : IO_CHUNK;
			ssize_t n = read_some(fd, buf, want, o->deadline, INT_MAX);

			if (n < 0) {
				ret = (int)n;
				goto fail;
			}
			if (n == 0) {
				ret = -EPIPE;
				goto fail;
			}
			if (first_bad == UINT64_MAX && !check_pattern(buf, req.seed, done, n, scratch))
				first_bad = done;
			done += n;
			res->bytes += n;
		}
		status = first_bad == UINT64_MAX ? RESULT_OK : RESULT_MISMATCH;
		encode_result(result, status, done, first_bad);
		what = "send result";
		ret = write_all(fd, result, sizeof(result), o->deadline, INT_MAX);
		if (ret)
			goto fail;
		if (status != RESULT_OK) {
			fprintf(stderr, "%s: conn %d from %s: corrupted data at offset %" PRIu64 "\n",
				prog, conn_id, dst, first_bad);
			goto out;
		}
	}
	if (o->mptcp)
		query_mptcp(fd, res);
	close(fd);
	return true;
fail:
	fprintf(stderr, "%s: conn %d to %s: %s: %s (%" PRIu64 " of %" PRIu64 " bytes done)\n",
		prog, conn_id, dst, what, ret == -ETIMEDOUT ? "timed out (--timeout)" :
		ret == -EPIPE ? "connection closed early" : strerror(-ret), done, o->bytes);
out:
	close(fd);
	return false;
}

/* One UDP "connection": count datagrams, each echoed and checked before the next. */
static bool run_udp_conn(const struct client_opts *o, int conn_id, struct conn_result *res,
			 uint8_t *buf, uint8_t *reply)
{
	char dst[INET6_ADDRSTRLEN + 16];
	uint64_t seed = splitmix64(o->seed + conn_id);
	int fd, seq;

	addr_port_str(&o->dst, dst, sizeof(dst));
	fd = client_socket(o, SOCK_DGRAM, 0, conn_id);
	if (fd < 0)
		return false;
	if (connect(fd, &o->dst.sa, o->dst_len) < 0) {
		fprintf(stderr, "%s: conn %d: connect %s: %s\n", prog, conn_id, dst, strerror(errno));
		close(fd);
		return false;
	}
	for (seq = 0; seq < o->udp_count; seq++) {
		bool echoed = false;

		memset(buf, 0, UDP_HEADER_LEN);
		put_u32(buf, PROTO_MAGIC);
		buf[4] = PROTO_VERSION;
		buf[5] = OP_ECHO;
		put_u32(buf + 8, conn_id);
		put_u32(buf + 12, seq);
		put_u64(buf + 16, seed);
		fill_pattern(buf + UDP_HEADER_LEN, seed ^ (uint32_t)seq, 0,
			     o->udp_size - UDP_HEADER_LEN);

		for (int attempt = 0; attempt <= UDP_RETRIES && !echoed; attempt++) {
			double wait_until = now_s() + UDP_REPLY_WAIT_MS / 1000.0;

			if (attempt)
				res->udp_resent++;
			if (send(fd, buf, o->udp_size, 0) != o->udp_size) {
				if (errno == ECONNREFUSED)
					goto refused;
				continue;	/* e.g. ENOBUFS: retry */
			}
			if (wait_until > o->deadline)
				wait_until = o->deadline;
			while (!echoed && wait_fd(fd, POLLIN, wait_until, INT_MAX) == 0) {
				ssize_t n = recv(fd, reply, UDP_MAX_SIZE, MSG_DONTWAIT);

				if (n < 0 && errno == ECONNREFUSED)
					goto refused;
				/* An echo of an earlier attempt or datagram is skipped. */
				if (n == o->udp_size && get_u32(reply + 12) == (uint32_t)seq) {
					if (memcmp(reply, buf, n)) {
						fprintf(stderr, "%s: conn %d: echo %d from %s is corrupted\n",
							prog, conn_id, seq, dst);
						close(fd);
						return false;
					}
					echoed = true;
				}
			}
			if (now_s() >= o->deadline)
				break;
		}
		if (!echoed) {
			fprintf(stderr, "%s: conn %d: no echo for datagram %d from %s after %d tries%s\n",
				prog, conn_id, seq, dst, UDP_RETRIES + 1,
				now_s() >= o->deadline ? " (--timeout reached)" : "");
			close(fd);
			return false;
		}
		res->bytes += o->udp_size;
	}
	close(fd);
	return true;
refused:
	fprintf(stderr, "%s: conn %d: %s refused the datagram (no UDP server there)\n",
		prog, conn_id, dst);
	close(fd);
	return false;
}

static void *client_worker(void *arg)
{
	struct client_run *run = arg;
	const struct client_opts *o = run->opts;
	size_t buf_len = o->udp ? UDP_MAX_SIZE : IO_CHUNK;
	uint8_t *buf = malloc(buf_len), *scratch = malloc(buf_len);

	for (;;) {
		int conn_id = atomic_fetch_add(&run->next_conn, 1);
		struct conn_result *res;
		double start;

		if (conn_id >= o->conns)
			break;
		res = &run->results[conn_id];
		start = now_s();
		if (!buf || !scratch)
			res->ok = false;
		else if (o->udp)
			res->ok = run_udp_conn(o, conn_id, res, buf, scratch);
		else
			res->ok = run_tcp_conn(o, conn_id, res, buf, scratch);
		res->seconds = now_s() - start;
	}
	free(buf);
	free(scratch);
	return NULL;
}


/* ---- many short UDP flows (--flows) --------------------------------------- */

struct flow_pkt {
	struct iphdr ip;
	struct udphdr udp;
	uint8_t data[UDP_HEADER_LEN];
} __attribute__((packed));

#define FLOW_BATCH	64

static uint32_t sum16_add(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

/* Flow @id's datagram: from @src to @dst (network order), ports by @id. */
static void flow_packet(struct flow_pkt *pk, uint32_t src, uint32_t dst, int port, int ports,
			uint32_t id, uint64_t seed)
{
	uint32_t sum;

	memset(pk, 0, sizeof(*pk));
	put_u32(pk->data, PROTO_MAGIC);
	pk->data[4] = PROTO_VERSION;
	pk->data[5] = OP_ECHO;
	put_u32(pk->data + 8, id);
	put_u32(pk->data + 12, 0);
	put_u64(pk->data + 16, seed);
	pk->udp.source = htons(FLOW_SPORT_BASE + id % FLOW_SPORTS);
	pk->udp.dest = htons(port + id / FLOW_SPORTS % ports);
	pk->udp.len = htons(sizeof(pk->udp) + sizeof(pk->data));
	sum = sum16_add(&src, 4, 0);
	sum = sum16_add(&dst, 4, sum);
	sum += IPPROTO_UDP + ntohs(pk->udp.len);
	sum = sum16_add(&pk->udp, sizeof(pk->udp) + sizeof(pk->data), sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	pk->udp.check = htons((uint16_t)~sum ? (uint16_t)~sum : 0xffff);
	pk->ip.version = 4;
	pk->ip.ihl = 5;
	pk->ip.tot_len = htons(sizeof(*pk));
	pk->ip.ttl = 64;
	pk->ip.protocol = IPPROTO_UDP;
	pk->ip.saddr = src;
	pk->ip.daddr = dst;	/* the kernel fills in id and the header checksum */
}

/*
 * An echo of one of our flows in @buf (IP header first): its flow id, or -1.
 */
static long flow_echo(const uint8_t *buf, ssize_t len, uint32_t server, int port, int ports,
		      long nflows, uint64_t seed)
{
	const struct iphdr *ip = (const void *)buf;
	const struct udphdr *uh;
	const uint8_t *data;
	uint32_t id;

	if (len < (ssize_t)sizeof(*ip) || ip->version != 4 || ip->protocol != IPPROTO_UDP ||
	    ip->saddr != server || len < ip->ihl * 4 + (ssize_t)(sizeof(*uh) + UDP_HEADER_LEN))
		return -1;
	uh = (const void *)(buf + ip->ihl * 4);
	data = (const uint8_t *)(uh + 1);
	if (get_u32(data) != PROTO_MAGIC || data[5] != OP_ECHO || get_u64(data + 16) != seed)
		return -1;
	id = get_u32(data + 8);
	if (id >= nflows || ntohs(uh->dest) != FLOW_SPORT_BASE + id % FLOW_SPORTS ||
	    ntohs(uh->source) != port + id / FLOW_SPORTS % ports)
		return -1;
	return id;
}

static int run_flows(const struct client_opts *o, int port, long nflows, int ports, int window)
{
	struct flow_pkt pkts[FLOW_BATCH];
	struct mmsghdr msgs[FLOW_BATCH];
	struct iovec iovs[FLOW_BATCH];
	static uint8_t rbuf[FLOW_BATCH][256];
	struct mmsghdr rmsgs[FLOW_BATCH];
	struct iovec riovs[FLOW_BATCH];
	struct sockaddr_in dst = o->dst.in4, self;
	socklen_t self_len = sizeof(self);
	uint32_t server = dst.sin_addr.s_addr;
	uint8_t *answered;
	long ok = 0, resent = 0, sent_total = 0;
	double start = now_s();
	int tx, rx, probe, rcvbuf = 8 << 20;

	if (o->dst.sa.sa_family != AF_INET) {
		fprintf(stderr, "%s: --flows: IPv4 only\n", prog);
		return 1;
	}
	/* our source address: what the routing table picks for the server */
	probe = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (probe < 0 || connect(probe, &o->dst.sa, o->dst_len) < 0 ||
	    getsockname(probe, (struct sockaddr *)&self, &self_len) < 0) {
		fprintf(stderr, "%s: --flows: no route to the server: %s\n", prog, strerror(errno));
		return 1;
	}
	close(probe);
	tx = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	rx = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (tx < 0 || rx < 0) {
		fprintf(stderr, "%s: --flows: raw socket: %s (needs CAP_NET_RAW)\n", prog,
			strerror(errno));
		return 1;
	}
	if (setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	answered = calloc(nflows, 1);
	if (!answered) {
		fprintf(stderr, "%s: out of memory for %ld flows\n", prog, nflows);
		return 1;
	}
	for (int i = 0; i < FLOW_BATCH; i++) {
		iovs[i] = (struct iovec){ &pkts[i], sizeof(pkts[i]) };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &dst, .msg_namelen = sizeof(dst),
							 .msg_iov = &iovs[i], .msg_iovlen = 1 } };
		riovs[i] = (struct iovec){ rbuf[i], sizeof(rbuf[i]) };
		rmsgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &riovs[i], .msg_iovlen = 1 } };
	}
	dst.sin_port = 0;	/* raw sockets take the port from the packet */

	/* round 0 sends every flow, later rounds the flows still without an echo */
	for (int round = 0; round <= UDP_RETRIES && ok < nflows && now_s() < o->deadline; round++) {
		long next = 0, in_flight = 0;
		double progress = now_s();

		for (;;) {
			struct pollfd pfd = { .fd = rx, .events = POLLIN };
			int n = 0, got;

			while (n < FLOW_BATCH && in_flight + n < window && next < nflows) {
				if (!answered[next])
					flow_packet(&pkts[n++], self.sin_addr.s_addr, server, port,
						    ports, next, o->seed);
				next++;
			}
			if (n) {
				got = sendmmsg(tx, msgs, n, 0);
				/* what did not go (ENOBUFS) goes again next round */
				if (got > 0) {
					in_flight += got;
					sent_total += got;
					if (round)
						resent += got;
				}
			}
			poll(&pfd, 1, n ? 0 : 5);
			while ((got = recvmmsg(rx, rmsgs, FLOW_BATCH, MSG_DONTWAIT, NULL)) > 0) {
				for (int i = 0; i < got; i++) {
					long id = flow_echo(rbuf[i], rmsgs[i].msg_len, server, port,
							    ports, nflows, o->seed);

					if (id < 0 || answered[id])
						continue;
					answered[id] = 1;
					ok++;
					if (in_flight > 0)
						in_flight--;
					progress = now_s();
				}
			}
			if (now_s() >= o->deadline)
				break;
			if (next >= nflows && (in_flight == 0 || now_s() - progress > 0.5))
				break;
			/* a full window without an echo for a while: count those as lost */
			if (in_flight >= window && now_s() - progress > 0.2) {
				in_flight = 0;
				progress = now_s();
			}
		}
	}
	printf("{\"ok\":%ld,\"failed\":%ld,\"flows\":%ld,\"sent\":%ld,\"resent\":%ld,"
	       "\"seconds\":%.3f,\"proto\":\"udp\",\"direction\":\"flows\"}\n",
	       ok, nflows - ok, nflows, sent_total, resent, now_s() - start);
	fflush(stdout);
	free(answered);
	close(tx);
	close(rx);
	return ok == nflows ? 0 : 1;
}

static int cmd_client(int argc, char **argv)
{
	struct client_opts o = {
		.bytes = 1 << 20, .conns = 1, .udp_count = 100, .udp_size = 1000,
	};
	const char *host = NULL, *bind_addr = NULL;
	int port = -1, timeout_s = 60, parallel = 0, flow_ports = 1, window = 256;
	long flows = 0;
	bool seed_given = false;
	struct client_run run;
	pthread_t *tids;
	pthread_attr_t attr;
	double start, wall, min_s = 0, max_s = 0;
	int ok = 0, failed = 0, n_mptcp = 0, max_subflows = 0, started = 0;
	uint64_t bytes = 0, resent = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--tcp")) o.udp = false;
		else if (!strcmp(a, "--udp")) o.udp = true;
		else if (!strcmp(a, "--mptcp")) o.mptcp = true;
		else if (!strcmp(a, "--upload")) o.download = false;
		else if (!strcmp(a, "--download")) o.download = true;
		else if (!strcmp(a, "--bytes") && val) { o.bytes = parse_size(a, val); i++; }
		else if (!strcmp(a, "--conns") && val) { o.conns = parse_long(a, val, 1, 100000); i++; }
		else if (!strcmp(a, "--parallel") && val) { parallel = parse_long(a, val, 1, 1024); i++; }
		else if (!strcmp(a, "--bind") && val) { bind_addr = val; i++; }
		else if (!strcmp(a, "--dev") && val) { o.dev = val; i++; }
		else if (!strcmp(a, "--timeout") && val) { timeout_s = parse_long(a, val, 1, 86400); i++; }
		else if (!strcmp(a, "--count") && val) { o.udp_count = parse_long(a, val, 1, 10000000); i++; }
		else if (!strcmp(a, "--size") && val) { o.udp_size = parse_long(a, val, UDP_HEADER_LEN, UDP_MAX_SIZE); i++; }
		else if (!strcmp(a, "--seed") && val) { o.seed = parse_size(a, val); seed_given = true; i++; }
		else if (!strcmp(a, "--pace") && val) { o.pace_ms = parse_long(a, val, 1, 60000); i++; }
		else if (!strcmp(a, "--flows") && val) { flows = parse_long(a, val, 1, 100000000); i++; }
		else if (!strcmp(a, "--ports") && val) { flow_ports = parse_long(a, val, 1, MAX_UDP_PORTS); i++; }
		else if (!strcmp(a, "--window") && val) { window = parse_long(a, val, 1, 65536); i++; }
		else if (a[0] == '-' && a[1]) die_usage("client: unknown or incomplete option '%s'", a);
		else if (!host) host = a;
		else if (port < 0) port = parse_long("PORT", a, 1, 65535);
		else die_usage("client: unexpected argument '%s'", a);
	}
	if (!host || port < 0)
		die_usage("client: HOST and PORT are required");
	if (o.udp && o.mptcp)
		die_usage("client: --mptcp is for TCP, not --udp");
	if (resolve(host, port, &o.dst, &o.dst_len))
		die_usage("client: cannot resolve '%s'", host);
	if (bind_addr) {
		if (parse_addr(bind_addr, 0, &o.src, &o.src_len))
			die_usage("client: --bind %s: not an IPv4 or IPv6 address", bind_addr);
		if (o.src.sa.sa_family != o.dst.sa.sa_family)
			die_usage("client: --bind %s and %s are different address families",
				  bind_addr, host);
	}
	if (!seed_given)
		o.seed = splitmix64((uint64_t)getpid() << 32 ^ (uint64_t)(now_s() * 1e6));
	if (flows) {
		if (flows > (long)FLOW_SPORTS * flow_ports)
			die_usage("client: --flows %ld needs --ports %ld or more (64512 flows a port)",
				  flows, (flows + FLOW_SPORTS - 1) / FLOW_SPORTS);
		if (port + flow_ports - 1 > 65535)
			die_usage("client: --ports %d from %d go past port 65535", flow_ports, port);
		o.deadline = now_s() + timeout_s;
		return run_flows(&o, port, flows, flow_ports, window);
	}
	if (o.pace_ms && (o.udp || o.download))
		die_usage("client: --pace is for TCP uploads");
	signal(SIGUSR1, on_pace_over);
	o.parallel = parallel ? parallel : o.conns;
	if (o.parallel > o.conns)
		o.parallel = o.conns;
	signal(SIGPIPE, SIG_IGN);

	run.opts = &o;
	run.results = calloc(o.conns, sizeof(*run.results));
	tids = calloc(o.parallel, sizeof(*tids));
	if (!run.results || !tids) {
		fprintf(stderr, "%s: out of memory for %d connections\n", prog, o.conns);
		return 1;
	}
	atomic_init(&run.next_conn, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);

	start = now_s();
	o.deadline = start + timeout_s;
	for (int i = 0; i < o.parallel; i++) {
		if (pthread_create(&tids[i], &attr, client_worker, &run)) {
			fprintf(stderr, "%s: cannot start worker thread %d: %s\n", prog, i,
				strerror(errno));
			break;
		}
		started++;
	}
	if (!started)
		return 1;
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	wall = now_s() - start;

	for (int i = 0; i < o.conns; i++) {
		struct conn_result *r = &run.results[i];

		if (r->ok)
			ok++;
		else
			failed++;
		bytes += r->bytes;
		resent += r->udp_resent;
		if (r->mptcp_active)
			n_mptcp++;
		if (r->mptcp_subflows > max_subflows)
			max_subflows = r->mptcp_subflows;
		if (i == 0 || r->seconds < min_s)
			min_s = r->seconds;
		if (i == 0 || r->seconds > max_s)
			max_s = r->seconds;
	}
	printf("{\"ok\":%d,\"failed\":%d,\"bytes\":%" PRIu64 ",\"seconds\":%.3f,"
	       "\"min_conn_s\":%.3f,\"max_conn_s\":%.3f,\"proto\":\"%s\",\"direction\":\"%s\"",
	       ok, failed, bytes, wall, min_s, max_s,
	       o.udp ? "udp" : o.mptcp ? "mptcp" : "tcp", o.download ? "download" : "upload");
	if (o.udp)
		printf(",\"udp_resent\":%" PRIu64, resent);
	if (o.mptcp)
		printf(",\"mptcp_active\":%d,\"mptcp_fallback\":%d,\"max_extra_subflows\":%d",
		       n_mptcp, ok - n_mptcp, max_subflows);
	printf("}\n");
	fflush(stdout);
	free(run.results);
	free(tids);
	return failed ? 1 : 0;
}

/* ---- stats --------------------------------------------------------------- */

static int cmd_stats(int argc, char **argv)
{
	struct client_opts o = { 0 };
	const char *host = NULL;
	int port = -1, timeout_s = 5, fd, ret;
	struct request req = { .op = OP_STATS };
	uint8_t head[REQUEST_LEN];
	char *json;
	size_t got = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--timeout") && i + 1 < argc)
			timeout_s = parse_long(a, argv[++i], 1, 3600);
		else if (a[0] == '-' && a[1])
			die_usage("stats: unknown or incomplete option '%s'", a);
		else if (!host)
			host = a;
		else if (port < 0)
			port = parse_long("PORT", a, 1, 65535);
		else
			die_usage("stats: unexpected argument '%s'", a);
	}
	if (!host || port < 0)
		die_usage("stats: HOST and PORT are required");
	if (resolve(host, port, &o.dst, &o.dst_len))
		die_usage("stats: cannot resolve '%s'", host);
	signal(SIGPIPE, SIG_IGN);
	o.deadline = now_s() + timeout_s;
	json = malloc(STATS_MAX_REPLY + 1);
	fd = client_socket(&o, SOCK_STREAM, IPPROTO_TCP, 0);
	if (!json || fd < 0)
		return 1;
	ret = connect_before(fd, &o);
	if (!ret) {
		encode_request(head, &req);
		ret = write_all(fd, head, sizeof(head), o.deadline, INT_MAX);
	}
	while (!ret && got < STATS_MAX_REPLY) {
		ssize_t n = read_some(fd, json + got, STATS_MAX_REPLY - got, o.deadline, INT_MAX);

		if (n < 0)
			ret = (int)n;
		if (n <= 0)
			break;
		got += n;
	}
	close(fd);
	if (ret || !got) {
		char where[INET6_ADDRSTRLEN + 16];
		addr_port_str(&o.dst, where, sizeof(where));
		fprintf(stderr, "%s: stats from %s: %s\n", prog, where,
			ret ? strerror(-ret) : "empty answer (not a trafgen server?)");
		free(json);
		return 1;
	}
	fwrite(json, 1, got, stdout);
	free(json);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "server"))
		return cmd_server(argc - 2, argv + 2);
	if (!strcmp(argv[1], "client"))
		return cmd_client(argc - 2, argv + 2);
	if (!strcmp(argv[1], "stats"))
		return cmd_stats(argc - 2, argv + 2);
	die_usage("unknown command '%s' (server, client, stats)", argv[1]);
	return 2;
}
