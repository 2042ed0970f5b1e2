// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `omr-steer top`: a live view of the WANs for an operator's terminal.  Per
 * WAN: its share of the bytes of the last minute against its share of the
 * effective weights, tx and rx sparklines of the last minute, state, RTT
 * and flows.  Redrawn in place on the alternate screen, never wider than
 * the terminal; `q` or Ctrl-C quits and puts the terminal back.  Reads the
 * pinned maps as `stats` does (wan_stats.c), and measures its own rates.
 * Not on a terminal, it prints `stats` once.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "datapath.h"
#include "draw.h"
#include "log.h"
#include "output.h"
#include "top.h"
#include "weights.h"

/* ---- the ring of samples ---------------------------------------------------- */

void top_hist_init(struct top_hist *h, double interval_s)
{
	int slots = (int)(TOP_WINDOW_S / interval_s + 0.5);

	memset(h, 0, sizeof(*h));
	h->slots = slots < 1 ? 1 : slots > TOP_SLOTS_MAX ? TOP_SLOTS_MAX : slots;
	for (int i = 0; i < TOP_SLOTS_MAX; i++)
		for (int w = 0; w < OMR_MAX_WANS; w++)
			h->s[i][w].tx_bps = h->s[i][w].rx_bps = -1;
}

void top_hist_add(struct top_hist *h, struct stats_row *rows, int n, __u64 now_ns)
{
	struct top_sample *slot = h->s[h->next];

	for (int w = 0; w < OMR_MAX_WANS; w++)
		slot[w] = (struct top_sample){ .tx_bps = -1, .rx_bps = -1 };
	for (int i = 0; i < n; i++) {
		struct stats_row *r = &rows[i];
		struct rate_sample *rs = &h->rs[r->wan_idx];
		__u64 before = rs->last.tx_bytes + rs->last.rx_bytes;

		r->tx_bps = r->rx_bps = 0;
		if (!rates_update(rs, &r->t, now_ns, &r->tx_bps, &r->rx_bps))
			continue;
		slot[r->wan_idx] = (struct top_sample){
			.tx_bps = (float)r->tx_bps, .rx_bps = (float)r->rx_bps,
			.bytes = r->t.tx_bytes + r->t.rx_bytes - before,
		};
	}
	h->next = (h->next + 1) % h->slots;
}

/* ---- the screen ------------------------------------------------------------- */

/*
 * The columns around the bars and sparklines: "  bytes  100.0% " before a
 * bar; "  tx 999.99 Mbit/s " and " rx 999.99 Mbit/s " before the sparklines.
 */
#define BAR_LABEL	16
#define SPARK_LABELS	(19 + 18)
#define LINE_BYTES	(TOP_COLS_MAX * 4 + 64)	/* UTF-8 takes 3 bytes a column */

struct frame {
	char *buf;
	size_t len, used;
	int cols, lines, max_lines;
};

/* Add @line, cut to the terminal's width, unless the screen is full. */
static void frame_line(struct frame *f, char *line)
{
	size_t n;

	if (f->lines >= f->max_lines)
		return;
	draw_fit(line, f->cols);
	n = strlen(line);
	if (f->used + n + 2 > f->len)
		return;
	if (f->lines++)
		f->buf[f->used++] = '\n';
	memcpy(f->buf + f->used, line, n + 1);
	f->used += n;
}

/* WAN @w's samples of the window, oldest first (-1: none). */
static void series(const struct top_hist *h, int w, bool rx, double *v)
{
	for (int k = 0; k < h->slots; k++) {
		const struct top_sample *s = &h->s[(h->next + k) % h->slots][w];

		v[k] = rx ? s->rx_bps : s->tx_bps;
	}
}

static int spark_width(int cols, int slots)
{
	int w = (cols - SPARK_LABELS) / 2;

	return w < 0 ? 0 : w > slots ? slots : w;
}

static void wan_lines(struct frame *f, const struct top_hist *h, const struct stats_row *r,
		      double byte_share, double weight_share, double spark_max, bool utf8)
{
	static double v[TOP_SLOTS_MAX];
	char line[LINE_BYTES], name[OMR_IFNAMSIZ], w[12], ew[12], wt[32], rtt[24];
	char bar[TOP_COLS_MAX * 3 + 1], tx[24], rx[24], txs[TOP_SLOTS_MAX * 3 + 1];
	int bw = f->cols - BAR_LABEL, sw = spark_width(f->cols, h->slots), n;

	if (bw > 100)
		bw = 100;
	draw_safe_name(name, sizeof(name), r->e.name);
	if (r->e.weight == OMR_WEIGHT_AUTO || r->e.effective_weight != r->e.weight)
		snprintf(wt, sizeof(wt), "%s (%s)", weight_str(r->e.weight, w, sizeof(w)),
			 weight_str(r->e.effective_weight, ew, sizeof(ew)));
	else
		snprintf(wt, sizeof(wt), "%s", weight_str(r->e.weight, w, sizeof(w)));
	if (r->e.rtt_us)
		snprintf(rtt, sizeof(rtt), "%.1f ms", r->e.rtt_us / 1000.0);
	else
		snprintf(rtt, sizeof(rtt), "-");
	snprintf(line, sizeof(line), "%-15s %-8s weight %-11s rtt %-9s flows %llu", name,
		 wan_stats_state(&r->e), wt, rtt, (unsigned long long)r->e.flows);
	frame_line(f, line);

	draw_bar(bar, sizeof(bar), byte_share, bw, utf8);
	snprintf(line, sizeof(line), "  bytes  %5.1f%% %s", 100 * byte_share, bar);
	frame_line(f, line);
	draw_bar(bar, sizeof(bar), weight_share, bw, utf8);
	snprintf(line, sizeof(line), "  weight %5.1f%% %s", 100 * weight_share, bar);
	frame_line(f, line);

	fmt_bps(r->tx_bps, tx, sizeof(tx));
	fmt_bps(r->rx_bps, rx, sizeof(rx));
	series(h, (int)r->wan_idx, false, v);
	n = draw_spark(txs, sizeof(txs), v, h->slots, sw, spark_max, utf8);
	snprintf(line, sizeof(line), "  tx %13s %s%*s", tx, txs, sw - n, "");
	series(h, (int)r->wan_idx, true, v);
	draw_spark(txs, sizeof(txs), v, h->slots, sw, spark_max, utf8);
	snprintf(line + strlen(line), sizeof(line) - strlen(line), " rx %13s %s", rx, txs);
	frame_line(f, line);
}

int top_render(const struct top_hist *h, const struct stats_row *rows, int n,
	       const struct top_head *head, int cols, int lines, bool utf8,
	       char *buf, size_t len)
{
	static double v[TOP_SLOTS_MAX];
	struct frame f = { .buf = buf, .len = len, .cols = cols > TOP_COLS_MAX ? TOP_COLS_MAX : cols,
			   .max_lines = lines };
	__u64 bytes[OMR_MAX_WANS] = {}, bytes_sum = 0, weight_sum = 0;
	double peak = 0;
	char line[LINE_BYTES], agent[32], top[24];
	int sw = spark_width(f.cols, h->slots), shown = n;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (f.cols < 1 || lines < 1)
		return 0;
	/* the WANs that fit: 2 lines of header, 4 per WAN, 1 to say what did not fit */
	if (2 + 4 * n > lines)
		shown = (lines - 3) / 4 > 0 ? (lines - 3) / 4 : 0;
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < h->slots; k++)
			bytes[i] += h->s[k][rows[i].wan_idx].bytes;
		bytes_sum += bytes[i];
		weight_sum += rows[i].e.effective_weight;
	}
	for (int i = 0; i < shown; i++)
		for (int rx = 0; rx < 2; rx++) {
			double p;

			series(h, (int)rows[i].wan_idx, rx, v);
			p = draw_spark_peak(v, h->slots, sw);
			peak = p > peak ? p : peak;
		}

	if (head->agent_pid)
		snprintf(agent, sizeof(agent), "agent pid %d", head->agent_pid);
	else
		snprintf(agent, sizeof(agent), "no agent running");
	snprintf(line, sizeof(line), "omr-steer top  %s  every %g s  %s  q: quit", agent,
		 head->interval_s, head->clock);
	frame_line(&f, line);
	fmt_bps((__u64)peak, top, sizeof(top));
	snprintf(line, sizeof(line), "bytes: share of the last %d s  weight: share now  sparkline %s = %s",
		 TOP_WINDOW_S, utf8 ? "█" : "#", peak > 0 ? top : "-");
	frame_line(&f, line);
	for (int i = 0; i < shown; i++)
		wan_lines(&f, h, &rows[i],
			  bytes_sum ? (double)bytes[i] / (double)bytes_sum : 0,
			  weight_sum ? (double)rows[i].e.effective_weight / (double)weight_sum : 0,
			  peak, utf8);
	if (!n) {
		snprintf(line, sizeof(line), "(no WAN configured)");
		frame_line(&f, line);
	} else if (shown < n) {
		snprintf(line, sizeof(line), "+%d more WAN%s: a taller terminal shows them",
			 n - shown, n - shown > 1 ? "s" : "");
		frame_line(&f, line);
	}
	return f.lines;
}

/* ---- the terminal ----------------------------------------------------------- */

/*
 * Alternate screen, no cursor, no line wrap (a line that is too wide is
 * cut by the terminal rather than scrolling the screen), and back.
 */
#define SCREEN_ENTER	"\033[?1049h\033[?25l\033[?7l"
#define SCREEN_LEAVE	"\033[?7h\033[?25h\033[?1049l"

static struct termios saved_tio;
static bool tio_saved;
static volatile sig_atomic_t stop, redraw;

/* write(2) all of @s (async-signal-safe: used from the signal handlers) */
static void write_all(const char *s, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Keys one at a time, unechoed; Ctrl-C still a signal (ISIG stays). */
static void term_enter(void)
{
	if (tio_saved) {
		struct termios t = saved_tio;

		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
	}
	write_all(SCREEN_ENTER, sizeof(SCREEN_ENTER) - 1);
}

static void term_leave(void)
{
	write_all(SCREEN_LEAVE, sizeof(SCREEN_LEAVE) - 1);
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
}

static void on_stop(int sig) { (void)sig; stop = 1; }
static void on_winch(int sig) { (void)sig; redraw = 1; }

static void on_tstp(int sig);

static void catch(int sig, void (*fn)(int))
{
	struct sigaction sa = { .sa_handler = fn };	/* no SA_RESTART: poll() wakes up */

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Ctrl-Z: put the terminal back, stop; on fg take it again and redraw. */
static void on_tstp(int sig)
{
	sigset_t set;
	int saved_errno = errno;

	term_leave();
	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
	/* continued */
	catch(sig, on_tstp);
	term_enter();
	redraw = 1;
	errno = saved_errno;
}

static void term_size(int *cols, int *lines)
{
	struct winsize ws;

	*cols = 80;
	*lines = 24;
	if (!ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col && ws.ws_row) {
		*cols = ws.ws_col;
		*lines = ws.ws_row;
	}
}

/* Home, each line cleared to its end, the rest of the screen cleared. */
static void show(const char *frame)
{
	static char out[(TOP_COLS_MAX * 3 + 8) * (2 + 4 * OMR_MAX_WANS + 1) + 16];
	size_t used = 0;
	const char *p = frame;

	used += (size_t)snprintf(out, sizeof(out), "\033[H");
	while (*p && used + 16 < sizeof(out)) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n > sizeof(out) - used - 16)
			n = sizeof(out) - used - 16;
		memcpy(out + used, p, n);
		used += n;
		/* no newline after the last line: on the bottom row it would scroll */
		used += (size_t)snprintf(out + used, sizeof(out) - used, nl ? "\033[K\r\n" : "\033[K");
		p = nl ? nl + 1 : p + n;
	}
	used += (size_t)snprintf(out + used, sizeof(out) - used, "\033[J");
	write_all(out, used);
}

static bool utf8_locale(void)
{
	const char *cs;

	setlocale(LC_CTYPE, "");
	cs = nl_langinfo(CODESET);
	return cs && (!strcmp(cs, "UTF-8") || !strcmp(cs, "utf8"));
}

/* A key was pressed: true for q. */
static bool key_quits(void)
{
	char keys[32];
	ssize_t n = read(STDIN_FILENO, keys, sizeof(keys));

	for (ssize_t i = 0; i < n; i++)
		if (keys[i] == 'q' || keys[i] == 'Q')
			return true;
	return false;
}

static int run(const struct cli_opts *o, const struct datapath *dp)
{
	static struct top_hist hist;
	static char frame[(TOP_COLS_MAX * 3 + 2) * (2 + 4 * OMR_MAX_WANS + 1) + 1];
	struct stats_row rows[OMR_MAX_WANS];
	bool utf8 = utf8_locale(), keys = isatty(STDIN_FILENO);
	__u64 step = (__u64)(o->interval_secs * 1e9), next = monotonic_ns();
	int n = 0;

	top_hist_init(&hist, o->interval_secs);
	tio_saved = keys && !tcgetattr(STDIN_FILENO, &saved_tio);
	catch(SIGINT, on_stop);
	catch(SIGTERM, on_stop);
	catch(SIGHUP, on_stop);
	catch(SIGWINCH, on_winch);
	catch(SIGTSTP, on_tstp);
	term_enter();
	while (!stop) {
		struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
		__u64 now = monotonic_ns();
		int wait_ms, cols, lines;

		if (now >= next) {
			n = wan_stats_collect(dp, datapath_agent_pid(dp) != 0, rows);
			top_hist_add(&hist, rows, n, now);
			next += step;
			if (next <= now)	/* were stopped (Ctrl-Z) or slow */
				next = now + step;
			redraw = 1;
		}
		if (redraw) {
			struct top_head head = { .agent_pid = datapath_agent_pid(dp),
						 .interval_s = o->interval_secs };
			char clock[16] = "";
			time_t t = time(NULL);
			struct tm tm;

			redraw = 0;
			if (localtime_r(&t, &tm))
				strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
			head.clock = clock;
			term_size(&cols, &lines);
			top_render(&hist, rows, n, &head, cols, lines, utf8, frame, sizeof(frame));
			show(frame);
		}
		now = monotonic_ns();
		wait_ms = next > now ? (int)((next - now) / 1000000) + 1 : 0;
		if (poll(&pfd, keys ? 1 : 0, wait_ms) > 0) {
			if (pfd.revents & (POLLHUP | POLLERR))
				break;	/* the terminal went away */
			if ((pfd.revents & POLLIN) && key_quits())
				break;
		}
	}
	term_leave();
	return EXIT_OK;
}

int cmd_top(const struct cli_opts *o)
{
	struct datapath dp;
	int err;

	if (!isatty(STDOUT_FILENO)) {
		/* a pipe or a file: the table of `stats`, once */
		struct cli_opts once = *o;

		once.watch_secs = 0;
		return cmd_stats(&once);
	}
	if (wan_stats_open(&dp, o->pin_dir))
		return EXIT_RUNTIME;
	err = run(o, &dp);
	datapath_close(&dp);
	return err;
}
