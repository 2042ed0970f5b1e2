// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `omr-steer stats`: reads the pinned maps itself, so it answers while the
 * agent runs and after it died.  Rates come from the agent while it is alive;
 * --watch measures its own between refreshes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "datapath.h"
#include "log.h"
#include "output.h"
#include "metrics.h"
#include "rates.h"
#include "wan_stats.h"
#include "weights.h"

static double share_of(const struct stats_row *r, __u64 total)
{
	return total ? (double)(r->t.tx_bytes + r->t.rx_bytes) / (double)total : 0.0;
}

static void print_json(const struct stats_row *rows, int n, __u64 total)
{
	printf("{\"wans\": [");
	for (int i = 0; i < n; i++) {
		const struct stats_row *r = &rows[i];
		char w[12];

		printf("%s{\"name\": ", i ? ", " : "");
		json_string(stdout, r->e.name);
		printf(", \"ifindex\": %u, \"weight\": ", r->e.ifindex);
		if (r->e.weight == OMR_WEIGHT_AUTO)
			printf("\"auto\"");
		else
			printf("%s", weight_str(r->e.weight, w, sizeof(w)));
		printf(", \"tx_bytes\": %llu, \"rx_bytes\": %llu, \"tx_packets\": %llu, "
		       "\"rx_packets\": %llu, \"tx_bps\": %llu, \"rx_bps\": %llu, "
		       "\"effective_weight\": %u, \"state\": \"%s\", \"share\": %.4f, "
		       "\"flows\": %llu, \"flows_assigned\": %llu, \"steered\": %llu, "
		       "\"steer_errors\": %llu, \"steer_drops\": %llu, "
		       "\"capacity_bps\": %llu, \"rtt_us\": %u, \"table_full\": %llu, \"inbound_full\": %llu}",
		       (unsigned long long)r->t.tx_bytes, (unsigned long long)r->t.rx_bytes,
		       (unsigned long long)r->t.tx_packets, (unsigned long long)r->t.rx_packets,
		       (unsigned long long)r->tx_bps, (unsigned long long)r->rx_bps,
		       r->e.effective_weight, wan_stats_state(&r->e), share_of(r, total),
		       (unsigned long long)r->e.flows, (unsigned long long)r->t.flows_assigned,
		       (unsigned long long)r->t.flows_steered, (unsigned long long)r->t.steer_errors,
		       (unsigned long long)r->t.steer_drops, (unsigned long long)r->e.capacity_bps,
		       r->e.rtt_us, (unsigned long long)r->t.table_full,
		       (unsigned long long)r->t.inbound_full);
	}
	printf("]}\n");
}

#define NCOLS 17

/* `stats`: the columns an operator reads first, by their index in head[] */
static const int narrow_cols[] = { 0, 2, 3, 10, 8, 9, 12, 13 };
#define NARROW (int)(sizeof(narrow_cols) / sizeof(narrow_cols[0]))

void wan_stats_table(FILE *f, const struct stats_row *rows, int n, bool wide)
{
	static const char *const head[NCOLS] = {
		"WAN", "IFINDEX", "STATE", "WEIGHT", "TX BYTES", "RX BYTES",
		"TX PKTS", "RX PKTS", "TX RATE", "RX RATE", "SHARE", "CAPACITY", "RTT",
		"FLOWS", "STEERED", "ERR/DROP", "TABLE FULL",
	};
	char cell[OMR_MAX_WANS][NCOLS][24];
	int width[NCOLS], ncols = wide ? NCOLS : NARROW;
	__u64 total = 0;

	for (int i = 0; i < n; i++)
		total += rows[i].t.tx_bytes + rows[i].t.rx_bytes;
	for (int c = 0; c < NCOLS; c++)
		width[c] = (int)strlen(head[c]);
	for (int i = 0; i < n; i++) {
		const struct stats_row *r = &rows[i];
		char w[12], ew[12];

		snprintf(cell[i][0], 24, "%s", r->e.name);
		snprintf(cell[i][1], 24, "%u", r->e.ifindex);
		snprintf(cell[i][2], 24, "%s", wan_stats_state(&r->e));
		if (r->e.weight == OMR_WEIGHT_AUTO || r->e.effective_weight != r->e.weight)
			snprintf(cell[i][3], 24, "%s (%s)", weight_str(r->e.weight, w, sizeof(w)),
				 weight_str(r->e.effective_weight, ew, sizeof(ew)));
		else
			snprintf(cell[i][3], 24, "%s", weight_str(r->e.weight, w, sizeof(w)));
		fmt_bytes(r->t.tx_bytes, cell[i][4], 24);
		fmt_bytes(r->t.rx_bytes, cell[i][5], 24);
		fmt_count(r->t.tx_packets, cell[i][6], 24);
		fmt_count(r->t.rx_packets, cell[i][7], 24);
		fmt_bps(r->tx_bps, cell[i][8], 24);
		fmt_bps(r->rx_bps, cell[i][9], 24);
		snprintf(cell[i][10], 24, "%.1f%%", 100.0 * share_of(r, total));
		if (r->e.capacity_bps)
			fmt_bps(r->e.capacity_bps, cell[i][11], 24);
		else
			snprintf(cell[i][11], 24, "-");
		if (r->e.rtt_us)
			snprintf(cell[i][12], 24, "%.1f ms", r->e.rtt_us / 1000.0);
		else
			snprintf(cell[i][12], 24, "-");
		snprintf(cell[i][13], 24, "%llu", (unsigned long long)r->e.flows);
		fmt_count(r->t.flows_steered, cell[i][14], 24);
		snprintf(cell[i][15], 24, "%llu/%llu", (unsigned long long)r->t.steer_errors,
			 (unsigned long long)r->t.steer_drops);
		fmt_count(r->t.table_full, cell[i][16], 24);
		for (int c = 0; c < NCOLS; c++)
			if ((int)strlen(cell[i][c]) > width[c])
				width[c] = (int)strlen(cell[i][c]);
	}
	/* names, states and weights left-aligned, numbers right-aligned */
	for (int k = 0; k < ncols; k++) {
		int c = wide ? k : narrow_cols[k];

		fprintf(f, c < 4 ? "%-*s%s" : "%*s%s", width[c], head[c], k < ncols - 1 ? "  " : "\n");
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < ncols; k++) {
			int c = wide ? k : narrow_cols[k];

			fprintf(f, c < 4 ? "%-*s%s" : "%*s%s", width[c], cell[i][c],
				k < ncols - 1 ? "  " : "\n");
		}
	if (!n)
		fprintf(f, "(no WAN configured)\n");
}

static void print_rows(const struct cli_opts *o, const struct datapath *dp,
		       const struct stats_row *rows, int n)
{
	__u64 total = 0;

	for (int i = 0; i < n; i++)
		total += rows[i].t.tx_bytes + rows[i].t.rx_bytes;
	if (o->prometheus)
		metrics_write(stdout, rows, n, datapath_agent_pid(dp) != 0);
	else if (o->json)
		print_json(rows, n, total);
	else
		wan_stats_table(stdout, rows, n, o->wide);
	fflush(stdout);
}

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

/* Refresh in place; rates are measured between two refreshes. */
static int watch(const struct cli_opts *o, const struct datapath *dp)
{
	static struct rate_sample samples[OMR_MAX_WANS];
	struct stats_row rows[OMR_MAX_WANS];
	struct timespec ts = { (time_t)o->watch_secs,
			       (long)((o->watch_secs - (time_t)o->watch_secs) * 1e9) };

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		int n = wan_stats_collect(dp, datapath_agent_pid(dp) != 0, rows);
		__u64 now = monotonic_ns();

		for (int i = 0; i < n; i++)
			if (!rates_update(&samples[rows[i].wan_idx], &rows[i].t, now,
					  &rows[i].tx_bps, &rows[i].rx_bps))
				rows[i].tx_bps = rows[i].rx_bps = 0;
		if (!o->json && !o->prometheus)
			printf("\033[H\033[2J");	/* home, clear */
		print_rows(o, dp, rows, n);
		nanosleep(&ts, NULL);
	}
	return EXIT_OK;
}

int cmd_stats(const struct cli_opts *o)
{
	struct stats_row rows[OMR_MAX_WANS];
	struct datapath dp;
	int err, n;

	if (wan_stats_open(&dp, o->pin_dir))
		return EXIT_RUNTIME;
	if (o->watch_secs > 0) {
		err = watch(o, &dp);
	} else {
		n = wan_stats_collect(&dp, datapath_agent_pid(&dp) != 0, rows);
		print_rows(o, &dp, rows, n);
		err = EXIT_OK;
	}
	datapath_close(&dp);
	return err;
}
