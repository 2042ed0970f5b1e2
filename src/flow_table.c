// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The flow table's housekeeping: see flow_table.h. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "flow_table.h"
#include "steering.h"

/*
 * The table is walked in chunks with batch lookups, each chunk handled as
 * it comes: the agent's memory is the same for 256 or 16 M entries, and
 * entries the datapath adds or the agent removes meanwhile do not restart
 * the walk (bpf_map_get_next_key() would).  An entry's partner (the reply
 * entry of a translated flow, the flow entry of a reply entry) is looked up
 * only when the entry alone looks finished: a translated flow idle past its
 * timeout (its replies may be recent), a reply entry idle past
 * STEERING_UDP_SHORT_IDLE_S (an orphan?).  So a scan costs one batch read
 * per 1024 entries plus a lookup per flow about to end.
 */
#define SCAN_CHUNK	1024

struct scan_chunk {
	struct flow_key keys[SCAN_CHUNK];
	struct flow_entry vals[SCAN_CHUNK];
};

int flow_table_walk(int fd, void (*fn)(const struct flow_key *, const struct flow_entry *,
				       void *), void *ctx)
{
	static struct scan_chunk c;	/* 72 KiB: off the stack */
	__u32 batch = 0;
	bool first = true, more = true;

	while (more) {
		LIBBPF_OPTS(bpf_map_batch_opts, opts);
		__u32 got = SCAN_CHUNK;
		int err = bpf_map_lookup_batch(fd, first ? NULL : &batch, &batch, c.keys, c.vals,
					       &got, &opts);

		if (err && errno != ENOENT)
			return -errno;
		more = !err;
		first = false;
		for (__u32 i = 0; i < got; i++)
			fn(&c.keys[i], &c.vals[i], ctx);
	}
	return 0;
}

static __u32 age_s(__u32 epoch_now, __u32 seen, __u32 interval_ms)
{
	return (__u64)(epoch_now - seen) * interval_ms / 1000;
}

/*
 * How long the flow @k/@v may stay idle: @seen its last packet either way
 * (epochs), @closing a FIN or RST seen either way, @interval_ms an epoch.
 */
static __u32 timeout_s(const struct flow_key *k, const struct flow_entry *v, __u32 seen,
		       bool closing, __u32 interval_ms)
{
	if (k->proto != IPPROTO_TCP)
		return age_s(seen, v->created_epoch, interval_ms) <= STEERING_UDP_SHORT_S ?
		       STEERING_UDP_SHORT_IDLE_S : STEERING_UDP_IDLE_S;
	return closing ? STEERING_TCP_CLOSING_S : STEERING_TCP_IDLE_S;
}

/* The XLAT key of a translated ORIG entry, or the ORIG key of an XLAT entry. */
static struct flow_key partner_key(const struct flow_key *k, const struct flow_entry *v)
{
	struct flow_key p = *k;

	memcpy(p.saddr, v->addr, sizeof(p.saddr));
	p.sport = v->port;
	p.kind = k->kind == FLOW_KIND_ORIG ? FLOW_KIND_XLAT : FLOW_KIND_ORIG;
	return p;
}

/* The partner of @k/@v in @fd, if it is there and points back (not a newer flow's). */
static bool find_partner(int fd, const struct flow_key *k, const struct flow_entry *v,
			 struct flow_key *pk, struct flow_entry *pv)
{
	struct flow_key back;

	*pk = partner_key(k, v);
	if (bpf_map_lookup_elem(fd, pk, pv))
		return false;
	back = partner_key(pk, pv);
	return back.sport == k->sport && !memcmp(back.saddr, k->saddr, sizeof(back.saddr));
}

struct scan_ctx {
	int fd;
	__u32 epoch, interval_ms;
	bool dry;
	__u64 *flows, *busy;
	__u64 expired, orphans, entries;
};

static void scan_entry(const struct flow_key *k, const struct flow_entry *v, void *arg)
{
	struct scan_ctx *sc = arg;
	struct flow_key pk;
	struct flow_entry pv;
	bool partner = false, closing;
	__u32 seen = v->seen_epoch, age;

	sc->entries++;
	if (k->kind == FLOW_KIND_XLAT) {
		/* its flow keeps it; alone, it goes (looked for once it is quiet) */
		if (sc->epoch - v->created_epoch < 2 ||
		    age_s(sc->epoch, seen, sc->interval_ms) <= STEERING_UDP_SHORT_IDLE_S)
			return;
		if (find_partner(sc->fd, k, v, &pk, &pv))
			return;
		/* (gone already when its flow expired earlier in this chunk) */
		if (sc->dry || !bpf_map_delete_elem(sc->fd, k))
			sc->orphans++;
		return;
	}
	closing = v->flags & FLOW_F_CLOSING;
	age = age_s(sc->epoch, seen, sc->interval_ms);
	/*
	 * A translated flow that looks finished from its own packets: its
	 * replies may be recent, or may have carried the FIN or RST.
	 */
	if ((v->flags & FLOW_F_NAT) &&
	    (age > timeout_s(k, v, seen, closing, sc->interval_ms) ||
	     (k->proto == IPPROTO_TCP && !closing && age > STEERING_TCP_CLOSING_S))) {
		partner = find_partner(sc->fd, k, v, &pk, &pv);
		if (partner && (__s32)(pv.seen_epoch - seen) > 0)
			seen = pv.seen_epoch;
		if (partner && (pv.flags & FLOW_F_CLOSING))
			closing = true;
		age = age_s(sc->epoch, seen, sc->interval_ms);
	}
	if (age > timeout_s(k, v, seen, closing, sc->interval_ms)) {
		if (!sc->dry) {
			bpf_map_delete_elem(sc->fd, k);
			if (partner)
				bpf_map_delete_elem(sc->fd, &pk);
		}
		sc->expired++;
		return;
	}
	if (!(v->flags & FLOW_F_CLOSING) && v->wan_idx < OMR_MAX_WANS) {
		sc->flows[v->wan_idx]++;
		if (sc->busy && age_s(sc->epoch, seen, sc->interval_ms) <= STEERING_BUSY_S)
			sc->busy[v->wan_idx]++;
	}
}

int flow_table_scan(int flows_fd, __u32 epoch, __u32 interval_ms, bool dry,
		    __u64 flows[OMR_MAX_WANS], __u64 *busy,
		    __u64 *expired, __u64 *orphans, size_t *entries)
{
	struct scan_ctx sc = { .fd = flows_fd, .epoch = epoch, .interval_ms = interval_ms,
			       .dry = dry, .flows = flows, .busy = busy };
	int err;

	memset(flows, 0, sizeof(__u64) * OMR_MAX_WANS);
	if (busy)
		memset(busy, 0, sizeof(__u64) * OMR_MAX_WANS);
	err = flow_table_walk(flows_fd, scan_entry, &sc);
	*expired = sc.expired;
	*orphans = sc.orphans;
	*entries = sc.entries;
	return err;
}

int flow_table_count(int flows_fd, __u32 epoch_now, __u32 interval_ms,
		     __u64 flows[OMR_MAX_WANS])
{
	__u64 expired, orphans;
	size_t entries;

	return flow_table_scan(flows_fd, epoch_now, interval_ms ? interval_ms : 1000, true, flows,
			       NULL, &expired, &orphans, &entries);
}

struct inbound_ctx {
	int fd;
	__u32 epoch, interval_ms;
};

static void inbound_entry(const struct flow_key *k, const struct flow_entry *v, void *arg)
{
	const struct inbound_ctx *ic = arg;

	if (age_s(ic->epoch, v->seen_epoch, ic->interval_ms) > STEERING_UDP_SHORT_IDLE_S)
		bpf_map_delete_elem(ic->fd, k);
}

int flow_table_expire_inbound(int inbound_fd, __u32 epoch, __u32 interval_ms)
{
	struct inbound_ctx ic = { .fd = inbound_fd, .epoch = epoch, .interval_ms = interval_ms };

	return flow_table_walk(inbound_fd, inbound_entry, &ic);
}
