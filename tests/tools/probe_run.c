// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * probe_run: drive src/probe.c and src/health.c in a network namespace for
 * tests/net/test_probe.sh, and answer echo requests late to make one path
 * slower (netem is not in this kernel).
 *
 *   probe_run probe [-r] [-c COUNT] [-i INTERVAL_MS] [-t TIMEOUT_MS]
 *                   IFNAME[@SRCADDR]=TARGET ...
 *	Probes every TARGET out of its IFNAME (from SRCADDR) COUNT times,
 *	every INTERVAL_MS, all WANs at once in one poll loop, like the agent.
 *	-r: raw ICMP sockets only.  Prints one line per event:
 *	  open if=wan1 target=10.0.0.1 method=icmp-raw
 *	  result if=wan1 t_ms=200 seq=2 answered rtt_us=85
 *	  result if=wan1 t_ms=400 seq=3 lost error=Connection timed out
 *	  state if=wan1 t_ms=600 up->down
 *	  summary if=wan1 method=icmp-raw sent=5 answered=5 lost=0
 *	          rtt_min_us=70 rtt_avg_us=85 srtt_us=84 state=up
 *
 *   probe_run respond [-6] [-d DELAY_MS] [-s SECONDS] [-D IFNAME]
 *	Answers ICMP (or ICMPv6) echo requests arriving on IFNAME after
 *	DELAY_MS, from the address they were sent to, for SECONDS (default
 *	30).  Pair it with net.ipv4.icmp_echo_ignore_all=1 (and
 *	net.ipv6.icmp.echo_ignore_all=1) so the kernel does not answer first.
 *
 *   probe_run listen -p PORT [-s SECONDS]
 *	Accepts (and closes) TCP connections on PORT, IPv4 and IPv6, for
 *	SECONDS (default 30): a target for TCP connect probes.
 *
 * Everything is bounded in count and time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/icmp.h>
#include "probe.h"
#include "health.h"

#define MAX_PROBES	8
#define MAX_PENDING	256

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

struct wan_probe {
	struct probe probe;
	struct health health;
	__u64 rtt_sum, rtt_min;
};

static __u64 start_ns;

static void report(struct wan_probe *w, int rc, __u32 rtt_us, __u64 now)
{
	enum health_state before = health_state(&w->health);
	unsigned t_ms = (now - start_ns) / 1000000;

	if (rc > 0) {
		printf("result if=%s t_ms=%u seq=%u answered rtt_us=%u\n", w->probe.ifname, t_ms,
		       w->probe.seq, rtt_us);
		w->rtt_sum += rtt_us;
		if (!w->rtt_min || rtt_us < w->rtt_min)
			w->rtt_min = rtt_us;
	} else {
		printf("result if=%s t_ms=%u seq=%u lost error=%s\n", w->probe.ifname, t_ms,
		       w->probe.seq, strerror(-rc));
	}
	if (health_probe(&w->health, rc > 0, rtt_us))
		printf("state if=%s t_ms=%u %s->%s\n", w->probe.ifname, t_ms,
		       health_state_name(before), health_state_name(health_state(&w->health)));
}

static int parse_spec(char *spec, struct wan_probe *w, unsigned flags, __u64 timeout_ns)
{
	struct sockaddr_storage src;
	struct probe_target target;
	socklen_t src_len = 0;
	char *eq = strchr(spec, '='), *at, err[256];
	int rc;

	if (!eq) {
		fprintf(stderr, "Error: '%s' is not IFNAME[@SRC]=TARGET\n", spec);
		return -EINVAL;
	}
	*eq = '\0';
	at = strchr(spec, '@');
	if (at) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&src;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&src;

		*at++ = '\0';
		memset(&src, 0, sizeof(src));
		if (inet_pton(AF_INET, at, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			src_len = sizeof(*sin);
		} else if (inet_pton(AF_INET6, at, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			src_len = sizeof(*sin6);
		} else {
			fprintf(stderr, "Error: source '%s' is not an address\n", at);
			return -EINVAL;
		}
	}
	rc = probe_parse_target(eq + 1, &target, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "Error: %s\n", err);
		return rc;
	}
	rc = probe_open(&w->probe, spec, src_len ? (struct sockaddr *)&src : NULL, src_len, &target,
			timeout_ns, flags);
	if (rc) {
		fprintf(stderr, "Error: cannot open a probe out of %s to %s: %s\n", spec, eq + 1,
			strerror(-rc));
		return rc;
	}
	health_init(&w->health, NULL, true);
	printf("open if=%s target=%s method=%s\n", spec, eq + 1, probe_method(&w->probe));
	return 0;
}

static int cmd_probe(int argc, char **argv)
{
	struct wan_probe wans[MAX_PROBES];
	unsigned count = 5, interval_ms = 200, timeout_ms = 150, flags = 0, rounds = 0;
	__u64 next_round;
	int n = 0, opt;

	while ((opt = getopt(argc, argv, "rc:i:t:")) != -1) {
		switch (opt) {
		case 'r': flags |= PROBE_F_RAW; break;
		case 'c': count = atoi(optarg); break;
		case 'i': interval_ms = atoi(optarg); break;
		case 't': timeout_ms = atoi(optarg); break;
		default: return 2;
		}
	}
	if (optind >= argc || argc - optind > MAX_PROBES || count < 1 || count > 1000 ||
	    interval_ms < 10 || timeout_ms < 1) {
		fprintf(stderr, "usage: probe_run probe [-r] [-c 1..1000] [-i MS>=10] [-t MS] IFNAME[@SRC]=TARGET ... (up to %d)\n",
			MAX_PROBES);
		return 2;
	}
	memset(wans, 0, sizeof(wans));
	for (int i = optind; i < argc; i++, n++)
		if (parse_spec(argv[i], &wans[n], flags, (__u64)timeout_ms * 1000000))
			return 1;

	start_ns = next_round = now_ns();
	for (;;) {
		struct pollfd pfd[MAX_PROBES];
		int map[MAX_PROBES], n_pfd = 0, wait_ms, busy = 0;
		__u64 now = now_ns();

		for (int i = 0; i < n; i++) {
			int rc = probe_check_timeout(&wans[i].probe, now);

			if (rc)
				report(&wans[i], rc, 0, now);
		}
		if (now >= next_round && rounds < count) {
			for (int i = 0; i < n; i++) {
				int rc = probe_send(&wans[i].probe, now);

				if (rc && rc != -EBUSY)
					report(&wans[i], rc, 0, now);
			}
			rounds++;
			next_round += (__u64)interval_ms * 1000000;
		}
		for (int i = 0; i < n; i++)
			busy += wans[i].probe.in_flight;
		if (rounds >= count && !busy)
			break;

		wait_ms = rounds < count ? (int)((next_round - now + 999999) / 1000000) : -1;
		for (int i = 0; i < n; i++) {
			int fd = probe_fd(&wans[i].probe), w = probe_wait_ms(&wans[i].probe, now);

			if (w >= 0 && (wait_ms < 0 || w < wait_ms))
				wait_ms = w;
			if (fd < 0)
				continue;
			pfd[n_pfd] = (struct pollfd) { .fd = fd, .events = probe_events(&wans[i].probe) };
			map[n_pfd++] = i;
		}
		if (poll(pfd, n_pfd, wait_ms) < 0 && errno != EINTR) {
			perror("poll");
			return 1;
		}
		now = now_ns();
		for (int k = 0; k < n_pfd; k++) {
			__u32 rtt_us = 0;
			int rc;

			if (!pfd[k].revents)
				continue;
			rc = probe_handle_ready(&wans[map[k]].probe, now, &rtt_us);
			if (rc)
				report(&wans[map[k]], rc, rtt_us, now);
		}
	}

	for (int i = 0; i < n; i++) {
		struct wan_probe *w = &wans[i];

		printf("summary if=%s method=%s sent=%llu answered=%llu lost=%llu rtt_min_us=%llu rtt_avg_us=%llu srtt_us=%u state=%s\n",
		       w->probe.ifname, probe_method(&w->probe), (unsigned long long)w->probe.sent,
		       (unsigned long long)w->probe.answered, (unsigned long long)w->probe.lost,
		       (unsigned long long)w->rtt_min,
		       (unsigned long long)(w->probe.answered ? w->rtt_sum / w->probe.answered : 0),
		       health_srtt_us(&w->health), health_state_name(health_state(&w->health)));
		probe_close(&w->probe);
	}
	return 0;
}

/* ---- the late echo responder ---------------------------------------------- */

struct pending_reply {
	__u64 due_ns;
	struct sockaddr_storage to;
	socklen_t to_len;
	struct sockaddr_storage local;	/* the address the request was sent to */
	__u8 data[1500];
	size_t len;
};

static int send_reply(int fd, const struct pending_reply *r)
{
	char control[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
	struct iovec iov = { .iov_base = (void *)r->data, .iov_len = r->len };
	struct msghdr msg = {
		.msg_name = (void *)&r->to, .msg_namelen = r->to_len,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control,
	};
	struct cmsghdr *cmsg = (struct cmsghdr *)control;

	/* answer from the address that was probed, not the outgoing link's */
	if (r->local.ss_family == AF_INET) {
		struct in_pktinfo info = { .ipi_spec_dst = ((struct sockaddr_in *)&r->local)->sin_addr };

		cmsg->cmsg_level = IPPROTO_IP;
		cmsg->cmsg_type = IP_PKTINFO;
		cmsg->cmsg_len = CMSG_LEN(sizeof(info));
		memcpy(CMSG_DATA(cmsg), &info, sizeof(info));
		msg.msg_controllen = CMSG_SPACE(sizeof(info));
	} else {
		struct in6_pktinfo info = { .ipi6_addr = ((struct sockaddr_in6 *)&r->local)->sin6_addr };

		cmsg->cmsg_level = IPPROTO_IPV6;
		cmsg->cmsg_type = IPV6_PKTINFO;
		cmsg->cmsg_len = CMSG_LEN(sizeof(info));
		memcpy(CMSG_DATA(cmsg), &info, sizeof(info));
		msg.msg_controllen = CMSG_SPACE(sizeof(info));
	}
	return sendmsg(fd, &msg, 0) < 0 ? -errno : 0;
}

static int cmd_respond(int argc, char **argv)
{
	static struct pending_reply pending[MAX_PENDING];
	unsigned delay_ms = 20, seconds = 30, head = 0, tail = 0, answered = 0;
	const char *dev = NULL;
	int family = AF_INET, fd, opt, on = 1;
	__u64 end;

	while ((opt = getopt(argc, argv, "6d:s:D:")) != -1) {
		switch (opt) {
		case '6': family = AF_INET6; break;
		case 'd': delay_ms = atoi(optarg); break;
		case 's': seconds = atoi(optarg); break;
		case 'D': dev = optarg; break;
		default: return 2;
		}
	}
	if (seconds < 1 || seconds > 600 || delay_ms > 5000) {
		fprintf(stderr, "usage: probe_run respond [-6] [-d 0..5000 ms] [-s 1..600 s] [-D IFNAME]\n");
		return 2;
	}
	fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0) {
		perror("Error: raw ICMP socket");
		return 1;
	}
	if (dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, strlen(dev) + 1)) {
		perror("Error: SO_BINDTODEVICE");
		return 1;
	}
	if (family == AF_INET) {
		struct icmp_filter filter = { .data = ~(1U << 8) };	/* echo requests only */

		setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter));
	} else {
		struct icmp6_filter filter;

		ICMP6_FILTER_SETBLOCKALL(&filter);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REQUEST, &filter);
		setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filter, sizeof(filter));
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	}
	printf("respond family=%s delay_ms=%u seconds=%u\n", family == AF_INET ? "ipv4" : "ipv6",
	       delay_ms, seconds);
	fflush(stdout);

	end = now_ns() + (__u64)seconds * 1000000000ULL;
	for (;;) {
		__u64 now = now_ns();
		int wait_ms;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		while (head != tail && pending[tail % MAX_PENDING].due_ns <= now) {
			if (!send_reply(fd, &pending[tail % MAX_PENDING]))
				answered++;
			tail++;
		}
		if (now >= end)
			break;
		wait_ms = (end - now) / 1000000 + 1;
		if (head != tail) {
			__u64 due = pending[tail % MAX_PENDING].due_ns;

			wait_ms = due > now ? (int)((due - now + 999999) / 1000000) : 0;
		}
		if (poll(&pfd, 1, wait_ms) <= 0 || !(pfd.revents & POLLIN))
			continue;
		{
			char control[256];
			__u8 buf[1500];
			struct pending_reply *r = &pending[head % MAX_PENDING];
			struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
			struct msghdr msg = {
				.msg_name = &r->to, .msg_namelen = sizeof(r->to),
				.msg_iov = &iov, .msg_iovlen = 1,
				.msg_control = control, .msg_controllen = sizeof(control),
			};
			ssize_t len = recvmsg(fd, &msg, MSG_DONTWAIT);
			__u8 *icmp = buf;

			if (len <= 0 || head - tail >= MAX_PENDING)
				continue;
			memset(&r->local, 0, sizeof(r->local));
			if (family == AF_INET) {
				size_t ip_len = (buf[0] & 0x0f) * 4;
				struct sockaddr_in *local = (struct sockaddr_in *)&r->local;

				if (len < 28 || (size_t)len < ip_len + 8)
					continue;
				local->sin_family = AF_INET;
				memcpy(&local->sin_addr, buf + 16, 4);	/* the IP destination */
				icmp = buf + ip_len;
				len -= ip_len;
				if (icmp[0] != 8)
					continue;
				icmp[0] = 0;			/* echo reply */
				icmp[2] = icmp[3] = 0;
				memcpy(icmp + 2, &(__u16){ probe_inet_checksum(icmp, len) }, 2);
			} else {
				struct sockaddr_in6 *local = (struct sockaddr_in6 *)&r->local;

				if (len < 8 || icmp[0] != ICMP6_ECHO_REQUEST)
					continue;
				local->sin6_family = AF_INET6;
				for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
					if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
						memcpy(&local->sin6_addr,
						       &((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_addr,
						       sizeof(struct in6_addr));
				icmp[0] = ICMP6_ECHO_REPLY;	/* the kernel fills the checksum */
			}
			memcpy(r->data, icmp, len);
			r->len = len;
			r->to_len = msg.msg_namelen;
			r->due_ns = now_ns() + (__u64)delay_ms * 1000000;
			head++;
		}
	}
	printf("respond answered=%u\n", answered);
	close(fd);
	return 0;
}

/* ---- a TCP listener for connect probes ------------------------------------ */

static int cmd_listen(int argc, char **argv)
{
	struct sockaddr_in6 any = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	unsigned port = 0, seconds = 30, accepted = 0;
	int fd, opt, on = 1, off = 0;
	__u64 end;

	while ((opt = getopt(argc, argv, "p:s:")) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 's': seconds = atoi(optarg); break;
		default: return 2;
		}
	}
	if (port < 1 || port > 65535 || seconds < 1 || seconds > 600) {
		fprintf(stderr, "usage: probe_run listen -p PORT [-s 1..600 s]\n");
		return 2;
	}
	any.sin6_port = htons(port);
	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);	/* IPv4 too, mapped */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) ||
	    bind(fd, (struct sockaddr *)&any, sizeof(any)) || listen(fd, 16)) {
		perror("Error: listen");
		return 1;
	}
	printf("listen port=%u seconds=%u\n", port, seconds);
	end = now_ns() + (__u64)seconds * 1000000000ULL;
	for (__u64 now = now_ns(); now < end; now = now_ns()) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, (end - now) / 1000000 + 1) > 0) {
			int conn = accept(fd, NULL, NULL);

			if (conn >= 0) {
				accepted++;
				close(conn);
			}
		}
	}
	printf("listen accepted=%u\n", accepted);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "probe"))
		return cmd_probe(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "respond"))
		return cmd_respond(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "listen"))
		return cmd_listen(argc - 1, argv + 1);
	fprintf(stderr, "usage: probe_run probe|respond|listen ... (see the top of tests/tools/probe_run.c)\n");
	return 2;
}
