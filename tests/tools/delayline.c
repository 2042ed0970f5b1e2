// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * delayline: a longer path for one link of the network test lab, in user
 * space, because the test kernel has no netem (nor fq/etf to pace packets
 * by timestamp).
 *
 *   delayline IF_A IF_B --delay-ms D [--queue-frames N] [--queue-bytes B]
 *             [--max-seconds S]
 *
 * It joins two interfaces of its own network namespace, the middle ends of
 * two veth pairs (router wanI <-> IF_A, IF_B <-> ISP rtrI): every frame that
 * arrives on one leaves by the other D milliseconds later.  D is one way: a
 * round trip through the line takes 2 D longer.  Frames keep their order
 * and every byte, MAC addresses included, so ARP, neighbour discovery and
 * every protocol work as over the plain link.
 *
 * Frames are read and written with a virtio_net_hdr (PACKET_VNET_HDR): veth
 * passes TCP super-packets (GSO) and packets whose checksum is still to be
 * filled in (CHECKSUM_PARTIAL) as they are, and the header carries both
 * through the line unchanged, without turning offloads off.
 *
 * Each direction is a bounded FIFO (frames and bytes); a frame that does not
 * fit is dropped and counted.  Arrival times are the kernel's receive
 * timestamps; departures are timed with ppoll() on CLOCK_MONOTONIC and 1 ns
 * timer slack.  It prints one "ready" line when it forwards, ends after
 * --max-seconds (default 600), on SIGTERM/SIGINT or when an interface goes
 * away, and then prints one summary line: frames and bytes each way, drops,
 * and how late frames left (mean, max).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>

#define NSEC_PER_SEC		1000000000ULL
#define NSEC_PER_MSEC		1000000ULL
#define FRAME_MAX		(128 * 1024)	/* vnet header + a 64 KiB GSO frame, with room */
#define DRAIN_BATCH		64		/* frames read per socket per wake-up */
#define SOCK_BUF_BYTES		(8 * 1024 * 1024)
#define STALE_STAMP_NS		NSEC_PER_SEC	/* older kernel stamps are not trusted */

static const char *prog = "delayline";
static volatile sig_atomic_t stop_signal;

struct frame {
	uint64_t due_ns;		/* CLOCK_MONOTONIC time to send it */
	uint32_t len;			/* bytes in data: virtio_net_hdr + frame */
	unsigned char data[];
};

/* A bounded FIFO of frames: a ring of pointers plus a byte budget. */
struct fifo {
	struct frame **slot;
	uint32_t cap;
	uint32_t head;
	uint32_t count;
	uint64_t bytes;
	uint64_t max_bytes;
};

/* One direction of the line: frames read on from_fd, written to to_fd. */
struct direction {
	const char *from_name;
	const char *to_name;
	int from_fd;
	int to_fd;
	struct fifo fifo;
	uint64_t frames_sent;
	uint64_t bytes_sent;		/* frame bytes, without the vnet header */
	uint64_t drop_queue_full;
	uint64_t drop_oversize;
	uint64_t drop_send;
	uint64_t late_sum_ns;
	uint64_t late_max_ns;
};

struct options {
	const char *dev_a;
	const char *dev_b;
	uint64_t delay_ns;
	uint32_t queue_frames;
	uint64_t queue_bytes;
	uint32_t max_seconds;
};

static void usage(FILE *out)
{
	fprintf(out,
"usage: delayline IF_A IF_B --delay-ms D [--queue-frames N] [--queue-bytes B]\n"
"                 [--max-seconds S]\n"
"\n"
"Forwards every frame between IF_A and IF_B after a one-way delay of D ms\n"
"(decimals allowed, 0..10000).  Each direction queues at most N frames\n"
"(default 8192) and B bytes (default 8m; k/m suffixes are 1024s).  Ends\n"
"after S seconds (default 600) or on SIGTERM/SIGINT.\n");
}

static void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

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

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* ---- options ------------------------------------------------------------- */

static int parse_delay_ms(const char *text, uint64_t *delay_ns)
{
	char *end;
	double ms;

	errno = 0;
	ms = strtod(text, &end);
	if (errno || end == text || *end || !(ms >= 0 && ms <= 10000))
		return -EINVAL;
	*delay_ns = (uint64_t)(ms * NSEC_PER_MSEC + 0.5);
	return 0;
}

static int parse_u64(const char *text, uint64_t min, uint64_t max, bool suffix,
		     uint64_t *value)
{
	unsigned long long n;
	char *end;

	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno || end == text || text[0] == '-')
		return -EINVAL;
	if (suffix && (*end == 'k' || *end == 'K')) {
		n *= 1024;
		end++;
	} else if (suffix && (*end == 'm' || *end == 'M')) {
		n *= 1024 * 1024;
		end++;
	}
	if (*end || n < min || n > max)
		return -EINVAL;
	*value = n;
	return 0;
}

static void parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "delay-ms",     required_argument, NULL, 'd' },
		{ "queue-frames", required_argument, NULL, 'n' },
		{ "queue-bytes",  required_argument, NULL, 'b' },
		{ "max-seconds",  required_argument, NULL, 't' },
		{ "help",         no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	bool have_delay = false;
	uint64_t v;
	int c;

	*opt = (struct options){
		.queue_frames = 8192,
		.queue_bytes = 8 * 1024 * 1024,
		.max_seconds = 600,
	};
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (parse_delay_ms(optarg, &opt->delay_ns))
				die_usage("--delay-ms '%s': want milliseconds 0..10000", optarg);
			have_delay = true;
			break;
		case 'n':
			if (parse_u64(optarg, 1, 1 << 20, false, &v))
				die_usage("--queue-frames '%s': want 1..1048576", optarg);
			opt->queue_frames = (uint32_t)v;
			break;
		case 'b':
			if (parse_u64(optarg, FRAME_MAX, 1ULL << 32, true, &v))
				die_usage("--queue-bytes '%s': want %d..4g bytes (k, m)", optarg, FRAME_MAX);
			opt->queue_bytes = v;
			break;
		case 't':
			if (parse_u64(optarg, 1, 7 * 86400, false, &v))
				die_usage("--max-seconds '%s': want 1..604800", optarg);
			opt->max_seconds = (uint32_t)v;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			die_usage("bad option");
		}
	}
	if (argc - optind != 2)
		die_usage("want two interfaces, IF_A and IF_B");
	if (!have_delay)
		die_usage("--delay-ms is required");
	opt->dev_a = argv[optind];
	opt->dev_b = argv[optind + 1];
	if (!strcmp(opt->dev_a, opt->dev_b))
		die_usage("IF_A and IF_B are both '%s'", opt->dev_a);
}

/* ---- the FIFO ------------------------------------------------------------ */

static int fifo_init(struct fifo *q, uint32_t cap, uint64_t max_bytes)
{
	q->slot = calloc(cap, sizeof(*q->slot));
	if (!q->slot)
		return -ENOMEM;
	q->cap = cap;
	q->max_bytes = max_bytes;
	return 0;
}

static struct frame *fifo_peek(const struct fifo *q)
{
	return q->count ? q->slot[q->head] : NULL;
}

static bool fifo_fits(const struct fifo *q, uint32_t len)
{
	return q->count < q->cap && q->bytes + len <= q->max_bytes;
}

static void fifo_push(struct fifo *q, struct frame *f)
{
	q->slot[(q->head + q->count) % q->cap] = f;
	q->count++;
	q->bytes += f->len;
}

static struct frame *fifo_pop(struct fifo *q)
{
	struct frame *f = q->slot[q->head];

	q->head = (q->head + 1) % q->cap;
	q->count--;
	q->bytes -= f->len;
	return f;
}

static void fifo_free(struct fifo *q)
{
	while (q->count)
		free(fifo_pop(q));
	free(q->slot);
	q->slot = NULL;
}

/* ---- sockets ------------------------------------------------------------- */

static int setsockopt_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) ? -errno : 0;
}

/*
 * A packet socket that sees every frame arriving on IFNAME (not those it
 * or the other socket send), with a virtio_net_hdr in front of each, and
 * kernel receive timestamps.
 */
static int open_port(const char *ifname, int *fd_out)
{
	struct packet_mreq mreq = { 0 };
	struct sockaddr_ll sll = { 0 };
	int ifindex, fd, err;

	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex) {
		err = -errno;
		fprintf(stderr, "%s: interface '%s': %s (run it in the namespace that holds it)\n",
			prog, ifname, strerror(-err));
		return err;
	}
	/* protocol 0: receive nothing until bound to the one interface */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "%s: packet socket for '%s': %s (needs CAP_NET_RAW)\n",
			prog, ifname, strerror(-err));
		return err;
	}
	err = setsockopt_int(fd, SOL_PACKET, PACKET_VNET_HDR, 1);
	if (!err)
		err = setsockopt_int(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1);
	if (!err)
		err = setsockopt_int(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
	if (err) {
		fprintf(stderr, "%s: socket options on '%s': %s\n", prog, ifname, strerror(-err));
		goto fail;
	}
	/* bigger buffers ride out bursts; the forced ones need CAP_NET_ADMIN */
	if (setsockopt_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, SOCK_BUF_BYTES))
		setsockopt_int(fd, SOL_SOCKET, SO_RCVBUF, SOCK_BUF_BYTES);
	if (setsockopt_int(fd, SOL_SOCKET, SO_SNDBUFFORCE, SOCK_BUF_BYTES))
		setsockopt_int(fd, SOL_SOCKET, SO_SNDBUF, SOCK_BUF_BYTES);

	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		fprintf(stderr, "%s: bind to '%s': %s\n", prog, ifname, strerror(-err));
		goto fail;
	}
	mreq.mr_ifindex = ifindex;
	mreq.mr_type = PACKET_MR_PROMISC;
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof(mreq))) {
		err = -errno;
		fprintf(stderr, "%s: promiscuous mode on '%s': %s\n", prog, ifname, strerror(-err));
		goto fail;
	}
	*fd_out = fd;
	return 0;
fail:
	close(fd);
	return err;
}

/* The kernel's receive time of a frame on CLOCK_MONOTONIC, or now_mono. */
static uint64_t arrival_ns(struct msghdr *msg, uint64_t now_mono, uint64_t now_real)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		struct timespec ts;
		uint64_t real, age;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_TIMESTAMPNS)
			continue;
		memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
		real = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
		/* a stamp from the future or far past (clock step): use now */
		if (real > now_real)
			return now_mono;
		age = now_real - real;
		return age < STALE_STAMP_NS && age < now_mono ? now_mono - age : now_mono;
	}
	return now_mono;
}

/*
 * Read up to DRAIN_BATCH frames that arrived on d->from_fd into d's FIFO.
 * Returns 0, or -ENETDOWN etc. when the interface is gone.
 */
static int drain(struct direction *d, unsigned char *buf, uint64_t delay_ns)
{
	char control[CMSG_SPACE(sizeof(struct timespec)) * 2];
	uint64_t now_mono, now_real;
	int n;

	now_mono = clock_ns(CLOCK_MONOTONIC);
	now_real = clock_ns(CLOCK_REALTIME);
	for (n = 0; n < DRAIN_BATCH; n++) {
		struct iovec iov = { .iov_base = buf, .iov_len = FRAME_MAX };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = control,
			.msg_controllen = sizeof(control),
		};
		struct frame *f;
		ssize_t len;

		len = recvmsg(d->from_fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
		if (len < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 0;
			return -errno;
		}
		if (len > FRAME_MAX || (msg.msg_flags & MSG_TRUNC)) {
			d->drop_oversize++;
			continue;
		}
		if ((size_t)len < sizeof(struct virtio_net_hdr))
			continue;
		if (!fifo_fits(&d->fifo, (uint32_t)len)) {
			d->drop_queue_full++;
			continue;
		}
		f = malloc(sizeof(*f) + (size_t)len);
		if (!f) {
			d->drop_queue_full++;
			continue;
		}
		f->len = (uint32_t)len;
		f->due_ns = arrival_ns(&msg, now_mono, now_real) + delay_ns;
		memcpy(f->data, buf, (size_t)len);
		fifo_push(&d->fifo, f);
	}
	return 0;
}

/* Send every frame of D that is due at NOW. */
static void send_due(struct direction *d, uint64_t now)
{
	struct frame *f;

	while ((f = fifo_peek(&d->fifo)) && f->due_ns <= now) {
		uint64_t late = now - f->due_ns;

		fifo_pop(&d->fifo);
		if (send(d->to_fd, f->data, f->len, MSG_DONTWAIT) < 0) {
			d->drop_send++;
		} else {
			d->frames_sent++;
			d->bytes_sent += f->len - sizeof(struct virtio_net_hdr);
			d->late_sum_ns += late;
			if (late > d->late_max_ns)
				d->late_max_ns = late;
		}
		free(f);
	}
}

static uint64_t kernel_drops(int fd)
{
	struct tpacket_stats st = { 0 };
	socklen_t len = sizeof(st);

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len))
		return 0;
	return st.tp_drops;
}

static void print_summary(const struct direction dir[2], uint64_t kdrops, const char *why)
{
	uint64_t frames = dir[0].frames_sent + dir[1].frames_sent;
	uint64_t late_sum = dir[0].late_sum_ns + dir[1].late_sum_ns;
	uint64_t late_max = dir[0].late_max_ns > dir[1].late_max_ns ?
			    dir[0].late_max_ns : dir[1].late_max_ns;
	int i;

	fprintf(stderr, "%s: %s;", prog, why);
	for (i = 0; i < 2; i++)
		fprintf(stderr, " %s->%s %" PRIu64 " frames %" PRIu64 " bytes,",
			dir[i].from_name, dir[i].to_name, dir[i].frames_sent, dir[i].bytes_sent);
	fprintf(stderr, " dropped: queue full %" PRIu64 ", oversize %" PRIu64
		", send failed %" PRIu64 ", kernel %" PRIu64
		"; late mean %.3f ms max %.3f ms\n",
		dir[0].drop_queue_full + dir[1].drop_queue_full,
		dir[0].drop_oversize + dir[1].drop_oversize,
		dir[0].drop_send + dir[1].drop_send, kdrops,
		frames ? (double)late_sum / (double)frames / 1e6 : 0.0,
		(double)late_max / 1e6);
}

/* ---- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	struct direction dir[2] = { 0 };
	sigset_t stop_set, run_mask;
	int fd_a = -1, fd_b = -1, i, err = 0;
	const char *why = "stopped by signal";
	uint64_t deadline, kdrops;
	struct options opt;
	unsigned char *buf;

	parse_options(argc, argv, &opt);

	/* the stop signals are only delivered inside ppoll(): no lost wake-up */
	sigemptyset(&stop_set);
	sigaddset(&stop_set, SIGTERM);
	sigaddset(&stop_set, SIGINT);
	sigprocmask(SIG_BLOCK, &stop_set, &run_mask);
	sigdelset(&run_mask, SIGTERM);
	sigdelset(&run_mask, SIGINT);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* wake up on time, not up to 50 us later */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

	buf = malloc(FRAME_MAX);
	if (!buf || fifo_init(&dir[0].fifo, opt.queue_frames, opt.queue_bytes) ||
	    fifo_init(&dir[1].fifo, opt.queue_frames, opt.queue_bytes)) {
		fprintf(stderr, "%s: out of memory for the queues\n", prog);
		return 1;
	}
	if (open_port(opt.dev_a, &fd_a) || open_port(opt.dev_b, &fd_b))
		return 1;
	dir[0] = (struct direction){ .from_name = opt.dev_a, .to_name = opt.dev_b,
				     .from_fd = fd_a, .to_fd = fd_b, .fifo = dir[0].fifo };
	dir[1] = (struct direction){ .from_name = opt.dev_b, .to_name = opt.dev_a,
				     .from_fd = fd_b, .to_fd = fd_a, .fifo = dir[1].fifo };

	fprintf(stderr, "%s: pid %d, %s <-> %s, %.3f ms one way, ready\n",
		prog, (int)getpid(), opt.dev_a, opt.dev_b, (double)opt.delay_ns / 1e6);

	deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)opt.max_seconds * NSEC_PER_SEC;
	while (!stop_signal) {
		struct pollfd pfd[2] = {
			{ .fd = fd_a, .events = POLLIN },
			{ .fd = fd_b, .events = POLLIN },
		};
		uint64_t now = clock_ns(CLOCK_MONOTONIC), next = deadline;
		struct timespec timeout;
		struct frame *f;
		int ready;

		if (now >= deadline) {
			why = "--max-seconds reached";
			break;
		}
		for (i = 0; i < 2; i++) {
			send_due(&dir[i], now);
			f = fifo_peek(&dir[i].fifo);
			if (f && f->due_ns < next)
				next = f->due_ns;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		next = next > now ? next - now : 0;
		timeout.tv_sec = (time_t)(next / NSEC_PER_SEC);
		timeout.tv_nsec = (long)(next % NSEC_PER_SEC);
		ready = ppoll(pfd, 2, &timeout, &run_mask);
		if (ready < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			fprintf(stderr, "%s: ppoll: %s\n", prog, strerror(-err));
			why = "failed";
			break;
		}
		for (i = 0; i < 2 && ready > 0; i++) {
			if (!pfd[i].revents)
				continue;
			err = drain(&dir[i], buf, opt.delay_ns);
			if (err) {
				fprintf(stderr, "%s: reading '%s': %s (interface deleted?)\n",
					prog, dir[i].from_name, strerror(-err));
				why = "an interface went away";
				break;
			}
		}
		if (err)
			break;
	}

	kdrops = kernel_drops(fd_a) + kernel_drops(fd_b);
	print_summary(dir, kdrops, why);
	for (i = 0; i < 2; i++)
		fifo_free(&dir[i].fifo);
	close(fd_a);
	close(fd_b);
	free(buf);
	return err && err != -ENETDOWN && err != -ENXIO && err != -ENODEV ? 1 : 0;
}
