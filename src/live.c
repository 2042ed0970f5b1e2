// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>
#include "live.h"
#include "log.h"
#include "schedule.h"

void live_init(struct live *l)
{
	memset(l, 0, sizeof(*l));
	for (int i = 0; i < OMR_MAX_WANS; i++)
		l->wan[i].probe.fd = -1;
	l->sampler_fd = -1;
	capacity_init(&l->cap, NULL);
	tcp_rtt_init(&l->tcp_rtt);
}

static void close_probe(struct wan_live *w)
{
	if (w->probing)
		probe_close(&w->probe);
	w->probing = false;
	w->probe_ifindex = 0;
}

void live_close(struct live *l)
{
	for (int i = 0; i < OMR_MAX_WANS; i++)
		close_probe(&l->wan[i]);
	if (l->sampler_fd >= 0)
		close(l->sampler_fd);
	l->sampler_fd = -1;
	tcp_rtt_close(&l->tcp_rtt);
}

/*
 * The slice timer: LIVE_SLICES reads of the counters per interval.  Without
 * it (no timerfd) the estimator gets the interval rates only.
 */
static void arm_sampler(struct live *l)
{
	__u64 slice = l->interval_ns / LIVE_SLICES;
	struct itimerspec its = { 0 };

	if (slice < LIVE_SLICE_MIN_NS)
		slice = LIVE_SLICE_MIN_NS;
	if (l->sampler_fd < 0)
		l->sampler_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (l->sampler_fd < 0) {
		pr_warn("capacity: no slice timer (%s): estimates from whole intervals only",
			strerror(errno));
		return;
	}
	its.it_interval.tv_sec = (time_t)(slice / 1000000000ULL);
	its.it_interval.tv_nsec = (long)(slice % 1000000000ULL);
	its.it_value = its.it_interval;
	if (timerfd_settime(l->sampler_fd, 0, &its, NULL)) {
		pr_warn("capacity: cannot arm the slice timer (%s): estimates from whole intervals only",
			strerror(errno));
		close(l->sampler_fd);
		l->sampler_fd = -1;
	}
}

/* Close the current slice of @w at @now, counters @t; the next begins. */
static void end_slice(struct wan_live *w, const struct wan_totals *t, __u64 now)
{
	if (w->slice_last_ns && now > w->slice_last_ns &&
	    t->tx_bytes >= w->slice_last.tx_bytes && t->rx_bytes >= w->slice_last.rx_bytes) {
		int k = w->n_slices;

		if (k == LIVE_SLICES_MAX)
			k--;	/* more slices than expected: widen the last */
		else
			w->slice_tx[k] = w->slice_rx[k] = w->slice_ns[k] = 0;
		w->slice_tx[k] += t->tx_bytes - w->slice_last.tx_bytes;
		w->slice_rx[k] += t->rx_bytes - w->slice_last.rx_bytes;
		w->slice_ns[k] += now - w->slice_last_ns;
		w->n_slices = k + 1;
	}
	w->slice_last = *t;
	w->slice_last_ns = now;
}

static void read_slices(struct live *l, __u64 now)
{
	__u64 expirations;

	if (read(l->sampler_fd, &expirations, sizeof(expirations)) < 0 || !l->ws)
		return;
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_totals t;

		if (!(l->ws->tbl[i].flags & OMR_WAN_F_CONFIGURED) ||
		    datapath_read_totals(l->ws->dp, i, &t))
			continue;
		end_slice(&l->wan[i], &t, now);
	}
}

static void open_probe(struct wan_live *w, const struct wan_entry *e, const struct wan_config *wc,
		       __u64 interval_ns)
{
	/* expire before the next tick, so every tick counts one probe */
	__u64 timeout = interval_ns * 9 / 10;
	int err;

	if (timeout > PROBE_DEFAULT_TIMEOUT_NS)
		timeout = PROBE_DEFAULT_TIMEOUT_NS;
	close_probe(w);
	if (!wc || !wc->has_probe || !e->ifindex)
		return;
	err = probe_open(&w->probe, e->name, NULL, 0, &wc->probe, timeout, 0);
	if (err) {
		pr_warn("wan %s: cannot open its probe: %s", e->name, strerror(-err));
		return;
	}
	w->probing = true;
	w->probe_ifindex = e->ifindex;
}

/* Does the probe of @wc differ from the one @w's health was built on? */
static bool probe_changed(const struct wan_live *w, const struct wan_config *wc)
{
	bool has = wc && wc->has_probe;

	if (has != w->cfg.has_probe)
		return true;
	return has && !probe_target_equal(&w->cfg.probe, &wc->probe);
}

void live_configure(struct live *l, const struct wan_set *ws, const struct steer_config *cfg)
{
	__u64 old_interval_ns = l->interval_ns;

	l->interval_ns = (__u64)cfg->interval_ms * 1000000ULL;
	l->ws = ws;
	arm_sampler(l);
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		const struct wan_entry *e = &ws->tbl[i];
		struct wan_live *w = &l->wan[i];
		const struct wan_config *wc;
		bool fresh = false, link_up = (e->flags & OMR_WAN_F_PRESENT) &&
					      (e->flags & OMR_WAN_F_UP);

		if (!(e->flags & OMR_WAN_F_CONFIGURED)) {
			if (w->name[0]) {
				close_probe(w);
				capacity_forget(&l->cap, i);
				memset(w->name, 0, sizeof(w->name));
			}
			continue;
		}
		wc = config_find_wan(cfg, e->name);
		if (strncmp(w->name, e->name, OMR_IFNAMSIZ)) {
			/* a new WAN in this slot: no history */
			close_probe(w);
			capacity_forget(&l->cap, i);
			memset(w, 0, sizeof(*w));
			w->probe.fd = -1;
			snprintf(w->name, sizeof(w->name), "%s", e->name);
			fresh = true;
		}
		if (fresh || probe_changed(w, wc)) {
			if (!fresh)
				pr_info("wan %s: probe changed: its health and RTT start afresh", w->name);
			health_init(&w->health, NULL, wc && wc->has_probe);
			w->tcp_rtt_quiet = 0;
			open_probe(w, e, wc, l->interval_ns);
		} else if (l->interval_ns != old_interval_ns) {
			open_probe(w, e, wc, l->interval_ns);	/* its timeout follows the interval */
		}
		if (!fresh && wc && (wc->min_bps != w->cfg.min_bps || wc->max_bps != w->cfg.max_bps)) {
			pr_info("wan %s: min/max changed: its capacity estimate starts afresh", w->name);
			capacity_forget(&l->cap, i);
		}
		/* the link may have changed with the slots (wans_apply_config) */
		health_link(&w->health, link_up, true);
		if (wc)
			w->cfg = *wc;
		else
			memset(&w->cfg, 0, sizeof(w->cfg));
	}
}

static bool log_transition(const struct wan_live *w, enum health_state before, const char *why)
{
	enum health_state now = health_state(&w->health);

	if (now != before)
		pr_info("wan %s: %s -> %s (%s)", w->name, health_state_name(before),
			health_state_name(now), why);
	return now != before;
}

bool live_link(struct live *l, const struct wan_set *ws)
{
	bool changed = false;

	for (int i = 0; i < OMR_MAX_WANS; i++) {
		const struct wan_entry *e = &ws->tbl[i];
		struct wan_live *w = &l->wan[i];

		if (!(e->flags & OMR_WAN_F_CONFIGURED))
			continue;
		enum health_state before = health_state(&w->health);
		bool up = (e->flags & OMR_WAN_F_PRESENT) && (e->flags & OMR_WAN_F_UP);

		health_link(&w->health, up, true);
		changed |= log_transition(w, before, up ? "link up" : "link down");
	}
	return changed;
}

static bool tick_probe(struct wan_live *w, const struct wan_entry *e, const struct wan_config *wc,
		       __u64 interval_ns, __u64 now)
{
	enum health_state before = health_state(&w->health);
	int err;

	/* the probe is bound to an ifindex: follow a recreated interface */
	if (wc && wc->has_probe && e->ifindex && (!w->probing || w->probe_ifindex != e->ifindex))
		open_probe(w, e, wc, interval_ns);
	if (!w->probing)
		return false;
	if (probe_check_timeout(&w->probe, now) == -ETIMEDOUT)
		health_probe(&w->health, false, 0);
	err = probe_send(&w->probe, now);
	if (err && err != -EBUSY)
		health_probe(&w->health, false, 0);
	return log_transition(w, before, "probe unanswered");
}

/*
 * The RTT of the WANs without a probe, from the router's own TCP sockets
 * (tcp_rtt.h).  A WAN with a probe keeps that one source: RTTs to other far
 * ends mixed into its srtt would read as queueing (health_queue_building).
 * A WAN whose sockets went quiet forgets its RTT after LIVE_TCP_RTT_FORGET
 * intervals rather than show a frozen one.
 */
static void tick_tcp_rtt(struct live *l, const struct wan_set *ws)
{
	__u32 max_idle_ms = (__u32)(l->interval_ns / 1000000ULL);
	bool wanted = false;
	int on_wans;

	for (int i = 0; i < OMR_MAX_WANS; i++)
		wanted |= (ws->tbl[i].flags & OMR_WAN_F_CONFIGURED) && !l->wan[i].health.probing;
	if (!wanted)
		return;		/* every WAN has its probe */
	on_wans = tcp_rtt_read(&l->tcp_rtt, ws->tbl, max_idle_ms);
	if (on_wans >= 0)
		pr_debug("TCP RTT: %u established sockets, %d on WANs, read in %llu us",
			 l->tcp_rtt.round.sockets, on_wans,
			 (unsigned long long)(l->tcp_rtt.read_ns / 1000));
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_live *w = &l->wan[i];
		__u32 rtt = on_wans > 0 ? tcp_rtt_wan_us(&l->tcp_rtt, i) : 0;

		if (!(ws->tbl[i].flags & OMR_WAN_F_CONFIGURED) || w->health.probing)
			continue;
		if (rtt) {
			health_tcp_rtt(&w->health, rtt);
			w->tcp_rtt_quiet = 0;
		} else if (w->tcp_rtt_quiet < LIVE_TCP_RTT_FORGET &&
			   ++w->tcp_rtt_quiet == LIVE_TCP_RTT_FORGET) {
			health_forget_rtt(&w->health);
		}
	}
}

bool live_tick(struct live *l, const struct wan_set *ws, const struct steer_config *cfg,
	       __u64 now)
{
	struct capacity_sample samples[OMR_MAX_WANS];
	bool changed = false;

	memset(samples, 0, sizeof(samples));
	tick_tcp_rtt(l, ws);	/* before health_queue_building() below */
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		const struct wan_entry *e = &ws->tbl[i];
		struct wan_live *w = &l->wan[i];
		const struct wan_config *wc;
		struct wan_totals t;

		if (!(e->flags & OMR_WAN_F_CONFIGURED))
			continue;
		wc = config_find_wan(cfg, e->name);
		changed |= tick_probe(w, e, wc, l->interval_ns, now);

		samples[i].up = (e->flags & OMR_WAN_F_PRESENT) && health_usable(&w->health);
		samples[i].auto_weight = e->weight == OMR_WEIGHT_AUTO;
		samples[i].busy = health_queue_building(&w->health) ? CAPACITY_BUSY_YES
								    : CAPACITY_BUSY_UNKNOWN;
		if (wc) {
			samples[i].min_bps = wc->min_bps;
			samples[i].max_bps = wc->max_bps;
		}
		if (datapath_read_totals(ws->dp, i, &t))
			continue;
		if (w->last_ns && t.tx_bytes >= w->last.tx_bytes && t.rx_bytes >= w->last.rx_bytes) {
			samples[i].tx_bytes = t.tx_bytes - w->last.tx_bytes;
			samples[i].rx_bytes = t.rx_bytes - w->last.rx_bytes;
			samples[i].interval_ns = now - w->last_ns;
			end_slice(w, &t, now);
			samples[i].tx_active_bps = capacity_active_bps(w->slice_tx, w->slice_ns,
								       w->n_slices);
			samples[i].rx_active_bps = capacity_active_bps(w->slice_rx, w->slice_ns,
								       w->n_slices);
		}
		w->last = t;
		w->last_ns = now;
		w->n_slices = 0;
		w->slice_last = t;
		w->slice_last_ns = now;
	}
	changed |= capacity_update(&l->cap, samples, OMR_MAX_WANS) > 0;
	return changed;
}

int live_pollfds(const struct live *l, struct pollfd *pfd, int *slot, int max)
{
	int n = 0;

	for (int i = 0; i < OMR_MAX_WANS && n < max; i++) {
		const struct wan_live *w = &l->wan[i];

		if (!w->probing || probe_fd(&w->probe) < 0)
			continue;
		pfd[n].fd = probe_fd(&w->probe);
		pfd[n].events = probe_events(&w->probe);
		pfd[n].revents = 0;
		slot[n++] = i;
	}
	if (l->sampler_fd >= 0 && n < max) {
		pfd[n].fd = l->sampler_fd;
		pfd[n].events = POLLIN;
		pfd[n].revents = 0;
		slot[n++] = LIVE_SLOT_SAMPLER;
	}
	return n;
}

bool live_probe_ready(struct live *l, int slot, __u64 now)
{
	struct wan_live *w;
	__u32 rtt = 0;
	int ret;

	if (slot == LIVE_SLOT_SAMPLER) {
		read_slices(l, now);
		return false;
	}
	if (slot < 0 || slot >= OMR_MAX_WANS)
		return false;
	w = &l->wan[slot];
	if (!w->probing)
		return false;
	enum health_state before = health_state(&w->health);

	ret = probe_handle_ready(&w->probe, now, &rtt);
	if (ret == 0)
		return false;
	health_probe(&w->health, ret > 0, rtt);
	return log_transition(w, before, ret > 0 ? "probe answers" : "probe failed");
}

void live_inputs(const struct live *l, struct wan_set *ws, const struct steer_config *cfg,
		 time_t now, struct weight_input in[OMR_MAX_WANS])
{
	struct tm local;

	localtime_r(&now, &local);
	memset(in, 0, sizeof(*in) * OMR_MAX_WANS);
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_entry *e = &ws->tbl[i];
		const struct wan_live *w = &l->wan[i];

		if (!(e->flags & OMR_WAN_F_CONFIGURED))
			continue;
		in[i].base = schedule_weight_at(cfg->schedules, cfg->n_schedules, e->name, &local,
						e->weight);
		in[i].usable = (e->flags & OMR_WAN_F_PRESENT) && health_usable(&w->health);
		in[i].auto_weight = capacity_weight(&l->cap, i);
		e->state = in[i].usable ? health_state(&w->health) : OMR_WAN_STATE_DOWN;
		e->rtt_us = health_srtt_us(&w->health);
		e->capacity_bps = capacity_bps(&l->cap, i);
	}
}
