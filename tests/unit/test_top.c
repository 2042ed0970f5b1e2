// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * What an operator sees of `omr-steer top` and `stats` on an 80-column
 * terminal: bars as long as the shares, sparklines that show traffic, no
 * line wider than the terminal, the default table within 100 columns.
 */
#include <stdlib.h>
#include "draw.h"
#include "test.h"
#include "top.h"

/* how many times @needle occurs in @s */
static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

TEST(draw_bar_lengths)
{
	char buf[512];

	ASSERT_EQ(draw_bar(buf, sizeof(buf), 0.25, 40, false), 10, "a quarter of 40, ASCII");
	ASSERT_STREQ(buf, "##########", "ASCII bar");
	ASSERT_EQ(draw_bar(buf, sizeof(buf), 0.75, 40, true), 30, "three quarters of 40");
	ASSERT_EQ(count(buf, "█"), 30, "full blocks");
	ASSERT_EQ(draw_bar(buf, sizeof(buf), 1.0 / 16, 4, true), 1, "a quarter block");
	ASSERT_STREQ(buf, "▎", "2/8 of a column");
	ASSERT_EQ(draw_bar(buf, sizeof(buf), 0, 40, true), 0, "empty");
	ASSERT_STREQ(buf, "", "nothing drawn for 0");
	ASSERT_EQ(draw_bar(buf, sizeof(buf), 3, 20, true), 20, "clamped to the width");
	ASSERT_EQ(draw_bar(buf, sizeof(buf), 0.5, -3, true), 0, "no width");
	/* a short buffer is cut, still a string */
	ASSERT_EQ(draw_bar(buf, 8, 1, 20, true), 2, "8 bytes hold 2 blocks");
	ASSERT_EQ((int)strlen(buf), 6, "two 3-byte blocks");
}

TEST(draw_spark_levels)
{
	double v[60], none[4] = { -1, -1, -1, -1 };
	char buf[512];

	for (int i = 0; i < 8; i++)
		v[i] = (i + 1) * 10;
	ASSERT_EQ(draw_spark(buf, sizeof(buf), v, 8, 20, 80, true), 8, "one sample a column");
	ASSERT_STREQ(buf, "▁▂▃▄▅▆▇█", "8 levels of 80");
	draw_spark(buf, sizeof(buf), v, 8, 20, 80, false);
	ASSERT_STREQ(buf, "_.-~=+*#", "ASCII levels");
	/* traffic far below the peak still shows; 0 and no sample are blank */
	v[0] = 0.001; v[1] = 0; v[2] = -1; v[3] = 1e9;
	draw_spark(buf, sizeof(buf), v, 4, 20, 1e9, true);
	ASSERT_STREQ(buf, "▁  █", "tiny, zero, none, full");
	ASSERT_EQ(draw_spark(buf, sizeof(buf), none, 4, 20, 1, true), 4, "no samples: blank columns");
	ASSERT_STREQ(buf, "    ", "blank");
	/* 60 samples in 20 columns: each the mean of 3 */
	for (int i = 0; i < 60; i++)
		v[i] = i < 30 ? 0 : 100;
	ASSERT_EQ(draw_spark(buf, sizeof(buf), v, 60, 20, 100, true), 20, "fits the width");
	ASSERT_EQ(count(buf, " "), 10, "the quiet half");
	ASSERT_EQ(count(buf, "█"), 10, "the busy half");
	v[0] = 50; v[1] = 50; v[2] = 50;	/* the first column's mean: 50 */
	ASSERT_NEAR(draw_spark_peak(v, 60, 20), 100, 0.001, "the peak of the columns");
	ASSERT_EQ(draw_spark(buf, sizeof(buf), v, 60, 0, 100, true), 0, "no width");
}

TEST(draw_fit_width)
{
	char s[64];

	snprintf(s, sizeof(s), "ab█▁cd");
	ASSERT_EQ(draw_cols(s), 6, "blocks take one column");
	ASSERT_EQ(draw_fit(s, 3), 3, "cut to 3");
	ASSERT_STREQ(s, "ab█", "never inside a character");
	ASSERT_EQ(draw_fit(s, 10), 3, "shorter than the width: kept");
	ASSERT_EQ(draw_fit(s, 0), 0, "nothing fits");
	ASSERT_STREQ(s, "", "empty");
	draw_safe_name(s, sizeof(s), "wan\033[2J\xc3\xa9");
	ASSERT_STREQ(s, "wan?[2J??", "no escapes, no unknown widths from a name");
}

static struct top_hist hist;

/* @n WANs named long and short, weights 1, 3, 0, ...; traffic in the last half minute */
static int fake_rows(struct stats_row *rows, int n)
{
	static const char *const names[] = { "wan1", "lte-backup-0123", "pppoe-wan" };

	top_hist_init(&hist, 1);
	for (int i = 0; i < n; i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		rows[i].wan_idx = (__u32)i;
		snprintf(rows[i].e.name, sizeof(rows[i].e.name), "%s", names[i % 3]);
		rows[i].e.flags = OMR_WAN_F_CONFIGURED | OMR_WAN_F_PRESENT | OMR_WAN_F_ATTACHED;
		rows[i].e.state = OMR_WAN_STATE_UP;
		rows[i].e.weight = rows[i].e.effective_weight = i == 0 ? 1 : i == 1 ? 3 : 0;
		rows[i].e.rtt_us = 12345;
		rows[i].e.flows = 7;
	}
	for (int k = 0; k < 60; k++) {
		for (int i = 0; i < n; i++) {
			/* 1 MB/s on wan1, 3 on the second, from the 30th second */
			__u64 b = k >= 30 ? (__u64)(i + 1 < 3 ? 2 * i + 1 : 0) * 500000 : 0;

			rows[i].t.tx_bytes += b;
			rows[i].t.rx_bytes += b;
		}
		top_hist_add(&hist, rows, n, (__u64)(k + 1) * 1000000000ULL);
	}
	return n;
}

/* the longest line of @frame in columns, and its line count */
static int widest(const char *frame, int *lines)
{
	char line[4096];
	int w = 0;

	*lines = 0;
	for (const char *p = frame; *p || !*lines;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		snprintf(line, sizeof(line), "%.*s", (int)n, p);
		w = draw_cols(line) > w ? draw_cols(line) : w;
		(*lines)++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return w;
}

static char frame[256 * 1024];

TEST(top_render_fits_the_terminal)
{
	struct stats_row rows[OMR_MAX_WANS];
	struct top_head head = { .agent_pid = 4242, .interval_s = 1, .clock = "12:34:56" };
	int n = fake_rows(rows, 3), lines;

	for (int cols = 1; cols <= 300; cols += cols < 100 ? 1 : 50)
		for (int utf8 = 0; utf8 < 2; utf8++) {
			int got = top_render(&hist, rows, n, &head, cols, 24, utf8, frame, sizeof(frame));

			if (!ASSERT_LE(widest(frame, &lines), cols, "no line wider than the terminal") ||
			    !ASSERT_EQ(lines, got, "lines counted"))
				return;
		}
	ASSERT_EQ(top_render(&hist, rows, n, &head, 80, 24, true, frame, sizeof(frame)), 14,
		  "2 lines of header and 4 per WAN");
	ASSERT_TRUE(!strncmp(frame, "omr-steer top  agent pid 4242", 29), "the header first");
	ASSERT_CONTAINS(frame, "lte-backup-0123 up       weight 3 ", "the 15-character name");
	ASSERT_CONTAINS(frame, "rtt 12.3 ms", "RTT");
	ASSERT_CONTAINS(frame, "flows 7", "flows");
	/* too short for every WAN: those that fit, and how many did not */
	n = fake_rows(rows, 8);
	ASSERT_EQ(top_render(&hist, rows, n, &head, 80, 24, true, frame, sizeof(frame)), 23,
		  "2 + 5 WANs x 4 + 1");
	ASSERT_CONTAINS(frame, "+3 more WANs", "the WANs that did not fit are counted");
	for (int l = 1; l < 30; l++) {
		ASSERT_LE(top_render(&hist, rows, n, &head, 80, l, true, frame, sizeof(frame)), l,
			  "never more lines than the terminal");
		ASSERT_LE(widest(frame, &lines), 80, "nor wider");
	}
}

/* the bar after @label on the frame's line, in eighths of a column */
static int bar_eighths(const char *frame, const char *wan, const char *label)
{
	static const char *const part[8] = { "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█" };
	const char *p = strstr(frame, wan), *end;
	int e = 0;

	if (!p || !(p = strstr(p, label)) || !(p = strchr(p, '%')))
		return -1;
	end = strchr(p, '\n');
	for (p += 2; p < end;) {
		int k;

		for (k = 0; k < 8 && strncmp(p, part[k], 3); k++)
			;
		if (k == 8)
			break;
		e += k + 1;
		p += 3;
	}
	return e;
}

TEST(top_render_bars_and_sparklines)
{
	struct stats_row rows[OMR_MAX_WANS];
	struct top_head head = { .interval_s = 1, .clock = "" };
	int n = fake_rows(rows, 3), w1, w2, b1, b2;
	const char *tx;

	top_render(&hist, rows, n, &head, 80, 24, true, frame, sizeof(frame));
	ASSERT_CONTAINS(frame, "no agent running", "the header says so");
	/* weights 1 : 3 : 0 of a 64-column bar */
	w1 = bar_eighths(frame, "wan1", "weight ");
	w2 = bar_eighths(frame, "lte-backup-0123", "weight ");
	ASSERT_EQ(w1, 16 * 8, "weight share of wan1: a quarter of 64 columns");
	ASSERT_EQ(w2, 48 * 8, "three quarters");
	ASSERT_EQ(bar_eighths(frame, "pppoe-wan", "weight "), 0, "weight 0: no bar");
	/* bytes 1 : 3 over the last minute */
	b1 = bar_eighths(frame, "wan1", "bytes ");
	b2 = bar_eighths(frame, "lte-backup-0123", "bytes ");
	ASSERT_EQ(b1, 16 * 8, "byte share of wan1");
	ASSERT_EQ(b2, 48 * 8, "byte share of the second");
	ASSERT_CONTAINS(frame, "bytes   25.0%", "the share in figures");
	/* sparklines: blank for the quiet half minute, then full for the busiest */
	tx = strstr(strstr(frame, "lte-backup-0123"), "  tx ");
	ASSERT_TRUE(tx && !strncmp(tx, "  tx  12.00 Mbit/s           ▃██████████ rx  12.00",
				   strlen("  tx  12.00 Mbit/s           ▃██████████ rx  12.00")),
		    "quiet at first, a column partly busy, then full");
	ASSERT_CONTAINS(frame, "\nbytes: share of the last 60 s  weight: share now  sparkline █ = 12.00 Mbit/s\n",
			"line 2: the scale");
	ASSERT_CONTAINS(strstr(frame, "wan1"), "  tx   4.00 Mbit/s           ▁▃▃▃▃▃▃▃▃▃▃ rx",
			"a third of the peak");
	/* ASCII: the same lengths in '#' */
	top_render(&hist, rows, n, &head, 80, 24, false, frame, sizeof(frame));
	ASSERT_CONTAINS(frame, "  weight  25.0% ################\n", "ASCII bar");
	ASSERT_FALSE(strstr(frame, "\xe2"), "no UTF-8 without a UTF-8 locale");
}

/* the widest line of the `stats` table, and the columns of its header */
static int table_width(const struct stats_row *rows, int n, bool wide, int *heads)
{
	char *buf = NULL, *p, *line;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int w = 0;

	wan_stats_table(f, rows, n, wide);
	fclose(f);
	*heads = 0;
	for (p = buf; (line = strsep(&p, "\n"));) {
		if (!*heads && *line)
			for (char *h = line; *h; h++)	/* headers are apart by 2 spaces */
				*heads += h == line || (h - line >= 2 && h[0] != ' ' &&
							h[-1] == ' ' && h[-2] == ' ');
		w = (int)strlen(line) > w ? (int)strlen(line) : w;
	}
	free(buf);
	return w;
}

TEST(stats_table_fits_100_columns)
{
	struct stats_row rows[OMR_MAX_WANS];
	int n = fake_rows(rows, 3), heads;

	/* the biggest figures a router shows: 15-character names, 999 Gbit/s,
	 * PiB counters, auto weights, a second of RTT, many flows */
	for (int i = 0; i < n; i++) {
		rows[i].e.weight = OMR_WEIGHT_AUTO;
		rows[i].e.effective_weight = 1000;
		rows[i].e.state = OMR_WAN_STATE_DEGRADED;
		rows[i].tx_bps = rows[i].rx_bps = 999990000000ULL;
		rows[i].t.tx_bytes = rows[i].t.rx_bytes = 1ULL << 52;
		rows[i].t.tx_packets = rows[i].t.rx_packets = 1ULL << 40;
		rows[i].e.rtt_us = 1234567;
		rows[i].e.flows = 1000000;
	}
	ASSERT_LE(table_width(rows, n, false, &heads), 100, "the default table");
	ASSERT_EQ(heads, 8, "WAN STATE WEIGHT SHARE TX/RX RATE RTT FLOWS");
	ASSERT_GE(table_width(rows, n, true, &heads), 101, "--wide is wider");
	ASSERT_EQ(heads, 17, "--wide: every column");
}
