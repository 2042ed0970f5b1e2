/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * `omr-steer top` (cmd_top.c): the last minute of every WAN's rates, and
 * the screen drawn from it.  The terminal handling stays in cmd_top.c;
 * what is here is pure, so that the unit tests can draw screens.
 */
#ifndef OMR_TOP_H
#define OMR_TOP_H

#include <stdbool.h>
#include <stddef.h>
#include "rates.h"
#include "wan_stats.h"

#define TOP_WINDOW_S	60	/* what the sparklines and the byte shares cover */
#define TOP_SLOTS_MAX	600	/* samples in the window at the shortest interval, 0.1 s */
#define TOP_COLS_MAX	512	/* wider terminals get 512 columns */

struct top_sample {
	float tx_bps, rx_bps;	/* < 0: no sample (first read, counters reset, no WAN) */
	__u64 bytes;		/* sent and received since the sample before */
};

/* A ring of the samples of the last TOP_WINDOW_S seconds, per WAN slot. */
struct top_hist {
	int slots;		/* samples in the window: TOP_WINDOW_S / the interval */
	int next;		/* the ring index the next sample goes to */
	struct rate_sample rs[OMR_MAX_WANS];
	struct top_sample s[TOP_SLOTS_MAX][OMR_MAX_WANS];
};

void top_hist_init(struct top_hist *h, double interval_s);

/*
 * Add the sample of @rows (@n of them, from wan_stats_collect()) read at
 * @now_ns, and set their tx_bps/rx_bps to the rates since the sample
 * before (0 on the first): top measures its own, at its own interval.
 */
void top_hist_add(struct top_hist *h, struct stats_row *rows, int n, __u64 now_ns);

/* What the first line says. */
struct top_head {
	int agent_pid;		/* 0: no agent running */
	double interval_s;
	const char *clock;	/* "12:34:56" */
};

/*
 * The screen for a terminal of @cols x @lines: lines separated by '\n' (no
 * '\n' after the last), none wider than @cols columns, at most @lines of
 * them; WANs that do not fit are counted on the last line.  Returns the
 * number of lines; @buf is cut if @len is short.
 */
int top_render(const struct top_hist *h, const struct stats_row *rows, int n,
	       const struct top_head *head, int cols, int lines, bool utf8,
	       char *buf, size_t len);

#endif
