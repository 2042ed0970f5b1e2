/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The agent's GET /metrics: a small HTTP/1.0 responder inside the control
 * loop.  Non-blocking throughout; one short request per connection; a
 * bounded request size, a deadline per client, a cap on clients.
 */
#ifndef OMR_METRICS_HTTP_H
#define OMR_METRICS_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "datapath.h"

#define METRICS_MAX_CLIENTS	8	/* more wait in the listen backlog */
#define METRICS_REQUEST_MAX	1024	/* bytes of request line and headers */
#define METRICS_CLIENT_NS	2000000000ULL	/* a client's whole exchange */
#define METRICS_POLLFDS		(1 + METRICS_MAX_CLIENTS)
/* a rendered /metrics body serves the scrapes of this long (less work per scrape) */
#define METRICS_BODY_NS		100000000ULL

/* "metrics ADDR:PORT" of the weight file. */
struct metrics_listen {
	bool set;
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

/* The weight file's "metrics ADDR:PORT" ("[IPv6]:PORT"); config.c's DELEGATE. */
int metrics_parse_listen(struct metrics_listen *l, int argc, char **argv, int line,
			 char *msg, size_t msglen);

/* "127.0.0.1:9469", "[::1]:9469" */
int metrics_listen_format(const struct metrics_listen *l, char *buf, size_t size);

struct metrics_client {
	int fd;			/* -1: free slot */
	__u64 deadline_ns;
	size_t in_len;
	char in[METRICS_REQUEST_MAX];
	char *out;		/* the response, being sent */
	size_t out_len, out_off;
};

struct metrics_server {
	int fd;			/* listening socket, -1: none */
	struct metrics_listen at;
	struct metrics_client c[METRICS_MAX_CLIENTS];
	__u64 served, rejected;	/* responses 200, and others */
	char *body;		/* the last /metrics body rendered, */
	size_t body_len;
	__u64 body_ns;		/* at this time */
};

void metrics_server_init(struct metrics_server *s);

/*
 * Listen where @l says (nothing when !l->set), or keep listening when it
 * already does there.  On failure the previous socket stays; returns 0 or
 * a negative errno.
 */
int metrics_server_listen(struct metrics_server *s, const struct metrics_listen *l);

void metrics_server_close(struct metrics_server *s);

/* Fill up to METRICS_POLLFDS entries of @pfd; returns how many. */
int metrics_server_pollfds(const struct metrics_server *s, struct pollfd *pfd);

/* Milliseconds until the next client deadline, -1 when none: for poll(). */
int metrics_server_timeout_ms(const struct metrics_server *s, __u64 now_ns);

/*
 * After poll(): accept, read, answer and close what is ready (@pfd, @n as
 * metrics_server_pollfds() filled them), and drop clients past their
 * deadline.  Never blocks.  The response is built from @dp.
 */
void metrics_server_ready(struct metrics_server *s, const struct pollfd *pfd, int n,
			  const struct datapath *dp, __u64 now_ns);

#endif
