// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Prometheus exposition of the per-WAN figures.  Names follow Prometheus'
 * conventions (and promtool's lint): an omr_steer_ prefix, base units
 * (bytes, bytes per second, seconds), counters end in _total.  A figure that is not known (no RTT
 * measured, no capacity estimated) has no sample rather than a made-up 0.
 */
#include <errno.h>
#include <string.h>
#include "metrics.h"

struct metric {
	const char *name;
	const char *type;	/* "counter" or "gauge" */
	const char *help;
	/* the value of @r, false when it has none */
	bool (*get)(const struct stats_row *r, __u64 *v);
	__u64 divisor;		/* 0: printed as an integer; else v / divisor */
	int decimals;		/* with this many decimals (exact for the divisor) */
};

#define GETTER(fn, expr) \
	static bool fn(const struct stats_row *r, __u64 *v) { *v = (expr); return true; }
#define GETTER_IF(fn, expr) \
	static bool fn(const struct stats_row *r, __u64 *v) { *v = (expr); return *v != 0; }

GETTER(tx_bytes, r->t.tx_bytes)
GETTER(rx_bytes, r->t.rx_bytes)
GETTER(tx_packets, r->t.tx_packets)
GETTER(rx_packets, r->t.rx_packets)
GETTER(flows_assigned, r->t.flows_assigned)
GETTER(flows_steered, r->t.flows_steered)
GETTER(steer_errors, r->t.steer_errors)
GETTER(steer_drops, r->t.steer_drops)
GETTER(effective_weight, r->e.effective_weight)
GETTER(weight_auto, r->e.weight == OMR_WEIGHT_AUTO)
GETTER(tx_bps, r->tx_bps)
GETTER(rx_bps, r->rx_bps)
GETTER(flows, r->e.flows)
GETTER_IF(capacity, r->e.capacity_bps)
GETTER_IF(rtt, r->e.rtt_us)

static bool weight(const struct stats_row *r, __u64 *v)
{
	*v = r->e.weight;
	return r->e.weight != OMR_WEIGHT_AUTO;
}

static const struct metric metrics[] = {
	{ "omr_steer_tx_bytes_total", "counter", "Bytes sent out of the WAN.", tx_bytes, 0, 0 },
	{ "omr_steer_rx_bytes_total", "counter", "Bytes received on the WAN.", rx_bytes, 0, 0 },
	{ "omr_steer_tx_packets_total", "counter", "Packets sent out of the WAN.", tx_packets, 0, 0 },
	{ "omr_steer_rx_packets_total", "counter", "Packets received on the WAN.", rx_packets, 0, 0 },
	{ "omr_steer_flows_assigned_total", "counter",
	  "New flows given the WAN, moved flows included.", flows_assigned, 0, 0 },
	{ "omr_steer_flows_steered_total", "counter",
	  "Of the flows assigned, those routed against the routing table (translated).",
	  flows_steered, 0, 0 },
	{ "omr_steer_steer_errors_total", "counter",
	  "Packets left unsteered: a table update or helper failed.", steer_errors, 0, 0 },
	{ "omr_steer_steer_drops_total", "counter",
	  "Packets dropped: a rewrite failed half-way.", steer_drops, 0, 0 },
	{ "omr_steer_weight", "gauge",
	  "Configured weight (absent for weight auto, see omr_steer_weight_auto).", weight, 0, 0 },
	{ "omr_steer_weight_auto", "gauge", "1 when the WAN is configured 'weight auto'.",
	  weight_auto, 0, 0 },
	{ "omr_steer_effective_weight", "gauge",
	  "Weight in force after schedules, health and capacity.", effective_weight, 0, 0 },
	{ "omr_steer_tx_bytes_per_second", "gauge",
	  "Send rate over the agent's last interval (0 when the agent is not running).",
	  tx_bps, 8, 3 },
	{ "omr_steer_rx_bytes_per_second", "gauge",
	  "Receive rate over the agent's last interval (0 when the agent is not running).",
	  rx_bps, 8, 3 },
	{ "omr_steer_capacity_bytes_per_second", "gauge",
	  "Estimated capacity of the WAN (absent until estimated).", capacity, 8, 3 },
	{ "omr_steer_rtt_seconds", "gauge",
	  "Round-trip time of the WAN's probe or TCP flows (absent until measured).", rtt, 1000000, 6 },
	{ "omr_steer_flows", "gauge", "Flows currently assigned to the WAN.", flows, 0, 0 },
};

static const char *const states[] = { "up", "degraded", "down", "detached", "missing" };

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fprintf(f, "\\%c", *s);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void sample_head(FILE *f, const char *name, const struct stats_row *r)
{
	fprintf(f, "%s{wan=\"", name);
	label_value(f, r->e.name);
	fputc('"', f);
}

int metrics_write(FILE *f, const struct stats_row *rows, int n, bool agent_up)
{
	fprintf(f, "# HELP omr_steer_up 1 when the omr-steer agent is running.\n"
		   "# TYPE omr_steer_up gauge\nomr_steer_up %d\n", agent_up ? 1 : 0);
	fprintf(f, "# HELP omr_steer_wans Configured WANs.\n"
		   "# TYPE omr_steer_wans gauge\nomr_steer_wans %d\n", n);
	for (size_t m = 0; m < sizeof(metrics) / sizeof(metrics[0]); m++) {
		const struct metric *mt = &metrics[m];
		bool head = false;

		for (int i = 0; i < n; i++) {
			__u64 v;

			if (!mt->get(&rows[i], &v))
				continue;
			if (!head) {
				fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", mt->name, mt->help,
					mt->name, mt->type);
				head = true;
			}
			sample_head(f, mt->name, &rows[i]);
			if (mt->divisor)
				fprintf(f, "} %.*f\n", mt->decimals,
					(double)v / (double)mt->divisor);
			else
				fprintf(f, "} %llu\n", (unsigned long long)v);
		}
	}
	if (n)
		fprintf(f, "# HELP omr_steer_state State of the WAN: 1 for the state it is in.\n"
			   "# TYPE omr_steer_state gauge\n");
	for (int i = 0; i < n; i++) {
		const char *now = wan_stats_state(&rows[i].e);

		for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
			sample_head(f, "omr_steer_state", &rows[i]);
			fprintf(f, ",state=\"%s\"} %d\n", states[s], !strcmp(now, states[s]));
		}
	}
	return ferror(f) ? -EIO : 0;
}
