// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The omr_steer MPTCP scheduler's decision logic (include/mptcp_sched_logic.h)
 * driven by a simulator: each subflow is a link that drains a fixed number of
 * bytes per tick from a bounded send buffer.  Every tick the application
 * offers bytes, and the scheduler is asked again and again where the next
 * chunk goes, exactly as the kernel asks get_send() for every chunk it pushes.
 *
 * Checked: the bytes handed to each subflow converge to the weights (within
 * 5 points of share), weight-0 subflows carry nothing while a weighted one is
 * usable, and nothing stalls: every tick in which data waits and a usable
 * subflow exists, something is sent.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "test.h"
#include "mptcp_sched_logic.h"
#include "mptcp.h"

#define SIM_CHUNK		(16 * 1024)	/* one MPTCP data fragment */
#define SIM_MAX_DECISIONS	4096		/* per tick, a safety bound */
#define SIM_BULK		UINT64_MAX	/* the application always has data */
#define KB			1024ULL

struct sim_link {
	uint32_t id;			/* subflow id, never reused */
	uint32_t weight;
	uint64_t capacity;		/* bytes drained per tick */
	uint64_t buffer;		/* send buffer size */
	uint64_t queued;		/* bytes waiting in the send buffer */
	uint64_t handed;		/* bytes handed to it, cumulative */
	uint64_t window_start;		/* handed at the start of the measurement */
	uint64_t srtt_us;
	bool blocked;			/* not usable: link down, zero window */
};

struct sim {
	struct sim_link link[OMR_SCHED_MAX_SUBFLOWS];
	int n;
	uint32_t next_id;
	struct omr_sched_conn conn;
	uint64_t offered_per_tick;	/* SIM_BULK for a bulk sender */
	uint64_t backlog;
	long ticks;
	long stalled_ticks;		/* data waited, a usable subflow existed, nothing sent */
	long decisions;
};

static void sim_init(struct sim *s, uint64_t offered_per_tick)
{
	memset(s, 0, sizeof(*s));
	s->offered_per_tick = offered_per_tick;
	s->next_id = 1;
}

static int sim_add_link(struct sim *s, uint32_t weight, uint64_t capacity)
{
	struct sim_link *l = &s->link[s->n];

	memset(l, 0, sizeof(*l));
	l->id = s->next_id++;
	l->weight = weight;
	l->capacity = capacity;
	l->buffer = 4 * capacity > 64 * KB ? 4 * capacity : 64 * KB;
	l->srtt_us = 20000;
	return s->n++;
}

/* A subflow closes: the ones after it shift down, as in the kernel's list. */
static void sim_remove_link(struct sim *s, int idx)
{
	memmove(&s->link[idx], &s->link[idx + 1], (s->n - idx - 1) * sizeof(s->link[0]));
	s->n--;
}

/*
 * What the BPF program observes from the kernel, from the simulated links,
 * and its decision: the index into s->conn.sf of the subflow for new data.
 */
static int sim_decide(struct sim *s)
{
	struct omr_sched_conn *c = &s->conn;

	for (int i = 0; i < s->n; i++) {
		struct sim_link *l = &s->link[i];

		c->sf[i] = (struct omr_sched_subflow){
			.id = l->id,
			.weight = l->weight,
			.usable = !l->blocked,
			.writable = !l->blocked && l->queued < l->buffer,
			.idle = l->queued == 0,
			.delivered = l->capacity,
			.interval_us = 10000,
			.srtt_us = (uint32_t)l->srtt_us,
			.sent = (uint32_t)l->handed,	/* the byte counter */
		};
	}
	return omr_sched_decide(c, (__u32)s->n, 0);
}

static bool sim_any_usable(const struct sim *s)
{
	for (int i = 0; i < s->n; i++)
		if (!s->link[i].blocked)
			return true;
	return false;
}

static void sim_tick(struct sim *s)
{
	bool sent = false, waiting;
	int d;

	for (int i = 0; i < s->n; i++) {
		struct sim_link *l = &s->link[i];

		if (l->blocked)
			continue;
		l->queued -= l->queued < l->capacity ? l->queued : l->capacity;
	}
	if (s->offered_per_tick == SIM_BULK)
		s->backlog = SIM_BULK;
	else
		s->backlog += s->offered_per_tick;
	waiting = s->backlog > 0;

	for (d = 0; d < SIM_MAX_DECISIONS && s->backlog > 0; d++) {
		struct sim_link *l = NULL;
		uint64_t amount;
		int pick;

		pick = sim_decide(s);
		if (pick < 0)
			break;
		for (int i = 0; i < s->n; i++)
			if (s->link[i].id == s->conn.sf[pick].id)
				l = &s->link[i];
		if (!l || l->blocked || l->queued >= l->buffer) {
			TEST_MSG("tick %ld: picked subflow %u that cannot take data",
				 s->ticks, s->conn.sf[pick].id);
			test_fail();
			break;
		}
		amount = SIM_CHUNK;
		if (amount > l->buffer - l->queued)
			amount = l->buffer - l->queued;
		if (s->offered_per_tick != SIM_BULK && amount > s->backlog)
			amount = s->backlog;
		l->queued += amount;
		l->handed += amount;
		if (s->offered_per_tick != SIM_BULK)
			s->backlog -= amount;
		s->decisions++;
		sent = true;
	}
	if (waiting && sim_any_usable(s) && !sent)
		s->stalled_ticks++;
	s->ticks++;
}

static void sim_run(struct sim *s, long ticks)
{
	for (long t = 0; t < ticks; t++)
		sim_tick(s);
}

static void sim_window_start(struct sim *s)
{
	for (int i = 0; i < s->n; i++)
		s->link[i].window_start = s->link[i].handed;
}

static uint64_t sim_window_bytes(const struct sim *s, int i)
{
	return s->link[i].handed - s->link[i].window_start;
}

/* Shares of the bytes handed since sim_window_start(), in percent. */
static void sim_check_shares(const struct sim *s, const double *want_percent, const char *what)
{
	uint64_t total = 0;

	for (int i = 0; i < s->n; i++)
		total += sim_window_bytes(s, i);
	if (!ASSERT_TRUE(total > 0, what))
		return;
	for (int i = 0; i < s->n; i++) {
		double share = 100.0 * (double)sim_window_bytes(s, i) / (double)total;
		char label[160];

		snprintf(label, sizeof(label), "%s: share of subflow %d (weight %u)",
			 what, i, s->link[i].weight);
		ASSERT_NEAR(share, want_percent[i], 5.0, label);
	}
}

/* Run, then measure the shares over a second, longer stretch. */
static void sim_converge(struct sim *s, const double *want_percent, const char *what)
{
	sim_run(s, 500);
	sim_window_start(s);
	sim_run(s, 3000);
	sim_check_shares(s, want_percent, what);
	ASSERT_EQ(s->stalled_ticks, 0, "ticks with waiting data and a usable subflow but nothing sent");
}

TEST(mptcp_sched_weights_1_1)
{
	struct sim s;

	sim_init(&s, 96 * KB);
	sim_add_link(&s, 1, 64 * KB);
	sim_add_link(&s, 1, 64 * KB);
	sim_converge(&s, (double[]){ 50, 50 }, "1:1, application-limited");

	sim_init(&s, SIM_BULK);
	sim_add_link(&s, 1, 64 * KB);
	sim_add_link(&s, 1, 64 * KB);
	sim_converge(&s, (double[]){ 50, 50 }, "1:1, bulk");
}

TEST(mptcp_sched_weights_1_3)
{
	struct sim s;

	sim_init(&s, 128 * KB);
	sim_add_link(&s, 1, 128 * KB);
	sim_add_link(&s, 3, 128 * KB);
	sim_converge(&s, (double[]){ 25, 75 }, "1:3, application-limited");

	/* bulk: the links can carry the weights, each saturates its own */
	sim_init(&s, SIM_BULK);
	sim_add_link(&s, 1, 32 * KB);
	sim_add_link(&s, 3, 96 * KB);
	sim_converge(&s, (double[]){ 25, 75 }, "1:3, bulk");
}

TEST(mptcp_sched_weights_0_1)
{
	struct sim s;

	sim_init(&s, 96 * KB);
	sim_add_link(&s, 0, 128 * KB);
	sim_add_link(&s, 1, 128 * KB);
	sim_converge(&s, (double[]){ 0, 100 }, "0:1, application-limited");
	ASSERT_EQ(s.link[0].handed, 0, "bytes on the weight-0 subflow");

	/* bulk: the weighted link is full most of the time, data waits for it */
	sim_init(&s, SIM_BULK);
	sim_add_link(&s, 0, 64 * KB);
	sim_add_link(&s, 1, 64 * KB);
	sim_converge(&s, (double[]){ 0, 100 }, "0:1, bulk");
	ASSERT_EQ(s.link[0].handed, 0, "bytes on the weight-0 subflow, bulk");
}

TEST(mptcp_sched_weights_2_0_1)
{
	struct sim s;

	sim_init(&s, 150 * KB);
	sim_add_link(&s, 2, 128 * KB);
	sim_add_link(&s, 0, 128 * KB);
	sim_add_link(&s, 1, 128 * KB);
	sim_converge(&s, (double[]){ 66.7, 0, 33.3 }, "2:0:1, application-limited");

	sim_init(&s, SIM_BULK);
	sim_add_link(&s, 2, 96 * KB);
	sim_add_link(&s, 0, 96 * KB);
	sim_add_link(&s, 1, 48 * KB);
	sim_converge(&s, (double[]){ 66.7, 0, 33.3 }, "2:0:1, bulk");
}

TEST(mptcp_sched_blocked_subflow)
{
	struct sim s;

	/* 1:1, subflow 0 blocked for a while: subflow 1 carries everything */
	sim_init(&s, 96 * KB);
	sim_add_link(&s, 1, 64 * KB);
	sim_add_link(&s, 1, 64 * KB);
	sim_run(&s, 300);
	s.link[0].blocked = true;
	sim_window_start(&s);
	sim_run(&s, 300);
	ASSERT_EQ(sim_window_bytes(&s, 0), 0, "bytes on the blocked subflow");
	ASSERT_GE(sim_window_bytes(&s, 1), 300 * 64 * KB - SIM_CHUNK,
		  "bytes on the other subflow while one is blocked (its full capacity)");
	s.link[0].blocked = false;
	sim_converge(&s, (double[]){ 50, 50 }, "1:1 after the block");

	/* 0:1 with the weighted subflow blocked: the weight-0 one takes over */
	sim_init(&s, 64 * KB);
	sim_add_link(&s, 0, 128 * KB);
	sim_add_link(&s, 1, 128 * KB);
	sim_run(&s, 200);
	ASSERT_EQ(s.link[0].handed, 0, "weight-0 bytes before the block");
	s.link[1].blocked = true;
	sim_window_start(&s);
	sim_run(&s, 200);
	ASSERT_GE(sim_window_bytes(&s, 0), 200 * 64 * KB - SIM_CHUNK,
		  "weight-0 subflow carries the data while the weighted one is blocked");
	ASSERT_EQ(s.stalled_ticks, 0, "stalled ticks during the block");
	s.link[1].blocked = false;
	sim_run(&s, 50);	/* the backlog of the block drains first */
	sim_window_start(&s);
	sim_run(&s, 1000);
	ASSERT_EQ(sim_window_bytes(&s, 0), 0, "weight-0 bytes once the weighted subflow is back");
	ASSERT_EQ(s.stalled_ticks, 0, "stalled ticks after the block");

	/* every subflow blocked: nothing to send on, and that is no stall */
	sim_init(&s, 64 * KB);
	sim_add_link(&s, 1, 64 * KB);
	s.link[0].blocked = true;
	sim_run(&s, 10);
	ASSERT_EQ(s.link[0].handed, 0, "bytes on the only, blocked subflow");
	ASSERT_EQ(s.stalled_ticks, 0, "stalled ticks with nothing usable");
}

TEST(mptcp_sched_subflow_removed)
{
	struct sim s;
	int used = 0;

	sim_init(&s, 150 * KB);
	sim_add_link(&s, 1, 64 * KB);
	sim_add_link(&s, 1, 64 * KB);
	sim_add_link(&s, 2, 128 * KB);
	sim_converge(&s, (double[]){ 25, 25, 50 }, "1:1:2 before the removal");

	/* the first subflow closes: the others shift down one position */
	sim_remove_link(&s, 0);
	sim_converge(&s, (double[]){ 33.3, 66.7 }, "1:2 after the removal");
	for (int i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++)
		used += s.conn.slot_id[i] != 0;
	ASSERT_EQ(used, 2, "account slots in use after the removal");

	/* a new subflow joins: it does not take everything to catch up */
	sim_add_link(&s, 1, 64 * KB);
	sim_window_start(&s);
	sim_run(&s, 20);
	ASSERT_GE(sim_window_bytes(&s, 0), 20 * 16 * KB, "old subflow 0 keeps sending when one joins");
	ASSERT_GE(sim_window_bytes(&s, 1), 20 * 32 * KB, "old subflow 1 keeps sending when one joins");
	sim_converge(&s, (double[]){ 25, 50, 25 }, "1:2:1 after the join");
}

TEST(mptcp_sched_weight_change)
{
	struct sim s;

	sim_init(&s, 128 * KB);
	sim_add_link(&s, 1, 128 * KB);
	sim_add_link(&s, 1, 128 * KB);
	sim_converge(&s, (double[]){ 50, 50 }, "1:1 before the change");
	s.link[1].weight = 3;
	sim_converge(&s, (double[]){ 25, 75 }, "1:3 after the change");
}

TEST(mptcp_sched_pick_send_rules)
{
	struct omr_sched_subflow sf[3] = {
		{ .id = 1, .weight = 1, .usable = 1, .writable = 0, .sent = 0 },
		{ .id = 2, .weight = 0, .usable = 1, .writable = 1, .sent = 0 },
		{ .id = 3, .weight = 1, .usable = 1, .writable = 1, .sent = 1000 },
	};

	/* the one furthest below its share cannot take data: another weighted one */
	ASSERT_EQ(omr_sched_pick_send(sf, 3), 2, "weighted, writable, though above its share");
	/* every weighted subflow full: wait, do not spill onto weight 0 */
	sf[2].writable = 0;
	ASSERT_EQ(omr_sched_pick_send(sf, 3), -1, "weighted ones full");
	/* no weighted subflow usable: weight 0 takes the data */
	sf[0].usable = 0;
	sf[2].usable = 0;
	ASSERT_EQ(omr_sched_pick_send(sf, 3), 1, "only weight 0 usable");
	/* weights above the maximum are clamped, n beyond the array is bounded */
	ASSERT_EQ(omr_sched_clamp_weight(0xffffffffU), OMR_SCHED_WEIGHT_MAX, "clamped weight");
	ASSERT_EQ(omr_sched_pick_send(sf, 0), -1, "no subflows");
}

TEST(mptcp_sched_pick_retrans_rules)
{
	struct omr_sched_subflow sf[3] = {
		/* 1 MB per 100 ms = 10 MB/s */
		{ .id = 1, .weight = 1, .usable = 1, .writable = 1, .idle = 1,
		  .delivered = 1000000, .interval_us = 100000, .srtt_us = 30000 },
		/* 2 MB per 100 ms = 20 MB/s, but weight 0 */
		{ .id = 2, .weight = 0, .usable = 1, .writable = 1, .idle = 1,
		  .delivered = 2000000, .interval_us = 100000, .srtt_us = 10000 },
		/* 300 kB per 10 ms = 30 MB/s */
		{ .id = 3, .weight = 1, .usable = 1, .writable = 1, .idle = 1,
		  .delivered = 300000, .interval_us = 10000, .srtt_us = 50000 },
	};

	ASSERT_EQ(omr_sched_pick_retrans(sf, 3), 2, "best delivery among the weighted");
	sf[2].writable = 0;
	ASSERT_EQ(omr_sched_pick_retrans(sf, 3), 0, "next best weighted");
	sf[0].idle = 0;
	ASSERT_EQ(omr_sched_pick_retrans(sf, 3), -1, "never weight 0 while a weighted one is up");
	sf[0].idle = 1;
	sf[0].usable = 0;
	sf[2].usable = 0;
	ASSERT_EQ(omr_sched_pick_retrans(sf, 3), 1, "weight 0 when no weighted one is up");
	sf[1].writable = 0;
	ASSERT_EQ(omr_sched_pick_retrans(sf, 3), -1, "nothing can take it");

	/* no rate sample: the shorter RTT wins, a sampled subflow beats both */
	memset(sf, 0, sizeof(sf));
	for (int i = 0; i < 3; i++) {
		sf[i].id = i + 1;
		sf[i].weight = 1;
		sf[i].usable = sf[i].writable = sf[i].idle = 1;
	}
	sf[0].srtt_us = 40000;
	sf[1].srtt_us = 20000;
	ASSERT_EQ(omr_sched_pick_retrans(sf, 3), 1, "shortest RTT without samples");
	sf[2].delivered = 1000;
	sf[2].interval_us = 1000000;
	ASSERT_EQ(omr_sched_pick_retrans(sf, 3), 2, "any sample beats none");

	/* a reinjection never queues behind data: busy subflows are left out */
	sf[2].idle = 0;
	ASSERT_EQ(omr_sched_pick_retrans(sf, 3), 1, "the best idle subflow");
	sf[0].idle = sf[1].idle = 0;
	ASSERT_EQ(omr_sched_pick_retrans(sf, 3), -1, "no idle subflow: no reinjection now");
}

/* The reason a failed load gives: the verifier's last lines, or libbpf's. */
TEST(mptcp_sched_why_failed)
{
	char out[400];
	const char *verifier =
		"libbpf: prog 'omr_get_subflow': BPF program load failed: Permission denied\n"
		"libbpf: prog 'omr_get_subflow': -- BEGIN PROG LOAD LOG --\n"
		"0: R1=ctx() R10=fp0\n"
		"; int BPF_PROG(omr_get_subflow, ...) @ mptcp_sched_get_subflow.bpf.c:60\n"
		"12: (85) call bpf_mptcp_subflow_ctx_by_pos#12345\n"
		"R1 type=scalar expected=ptr_\n"
		"processed 40 insns (limit 1000000) max_states_per_insn 0 total_states 2\n"
		"-- END PROG LOAD LOG --\n"
		"libbpf: prog 'omr_get_subflow': failed to load: -13\n";
	const char *member =
		"libbpf: struct_ops init_kern omr_steer: Cannot find member get_send in kernel BTF\n"
		"libbpf: map 'omr_steer': failed to init_kern_struct_ops: -524\n";

	ASSERT_EQ(mptcp_sched_why_failed(verifier, out, sizeof(out)), 3, "three verifier lines");
	ASSERT_STREQ(out, "; int BPF_PROG(omr_get_subflow, ...) @ mptcp_sched_get_subflow.bpf.c:60 | "
		      "12: (85) call bpf_mptcp_subflow_ctx_by_pos#12345 | R1 type=scalar expected=ptr_",
		      "the verifier's last lines, statistics left out");
	ASSERT_EQ(mptcp_sched_why_failed(member, out, sizeof(out)), 0, "no verifier log");
	ASSERT_STREQ(out, "map 'omr_steer': failed to init_kern_struct_ops: -524",
		      "libbpf's last line");
	ASSERT_EQ(mptcp_sched_why_failed("", out, sizeof(out)), 0, "nothing printed");
	ASSERT_STREQ(out, "", "no reason");
	ASSERT_EQ(mptcp_sched_why_failed(verifier, out, 40), 3, "a small buffer");
	ASSERT_EQ((int)strlen(out), 39, "cut, terminated");
}

TEST(mptcp_sched_accounts)
{
	struct omr_sched_conn c;
	struct omr_sched_subflow sf = { .id = 7, .usable = 1, .writable = 1, .weight = 1 };
	int slot, used = 0;

	memset(&c, 0, sizeof(c));
	/* first look: the counter is recorded, nothing charged */
	omr_sched_pass_begin(&c);
	slot = omr_sched_slot(&c, 7);
	ASSERT_EQ(omr_sched_observe(&c, slot, 0xfffff000U), 0, "first look charges nothing");
	omr_sched_add(&c, &sf);
	omr_sched_pass_end(&c);
	/* the counter wraps around 2^32: the delta still counts */
	omr_sched_pass_begin(&c);
	slot = omr_sched_slot(&c, 7);
	ASSERT_EQ(omr_sched_observe(&c, slot, 0x1000), 0x2000, "account across the counter wrap");
	omr_sched_add(&c, &sf);
	omr_sched_pass_end(&c);
	ASSERT_EQ(c.sf[0].sent, 0x2000, "sf[].sent mirrors the account");
	/* past the decay threshold every account is halved */
	omr_sched_pass_begin(&c);
	slot = omr_sched_slot(&c, 7);
	omr_sched_observe(&c, slot, 0x1000 + (10U << 20));
	omr_sched_add(&c, &sf);
	omr_sched_pass_end(&c);
	ASSERT_EQ(c.account[slot], (0x2000ULL + (10ULL << 20)) / 2, "decayed account");
	/* more subflows than slots: the extra one gets no slot */
	omr_sched_pass_begin(&c);
	ASSERT_EQ(omr_sched_slot(&c, 7), slot, "same slot for the same subflow");
	for (int i = 0; i < OMR_SCHED_MAX_SUBFLOWS - 1; i++)
		ASSERT_GE(omr_sched_slot(&c, 100 + i), 0, "slot for one of 8 subflows");
	ASSERT_EQ(omr_sched_slot(&c, 200), -1, "no slot for a ninth");
	omr_sched_pass_end(&c);
	/* a pass without subflow 7 frees its slot */
	omr_sched_pass_begin(&c);
	for (int i = 0; i < OMR_SCHED_MAX_SUBFLOWS - 1; i++)
		omr_sched_slot(&c, 100 + i);
	omr_sched_pass_end(&c);
	for (int i = 0; i < OMR_SCHED_MAX_SUBFLOWS; i++)
		used += c.slot_id[i] == 7 + 1;
	ASSERT_EQ(used, 0, "slot of a closed subflow freed");
}

/* The agent's wan_table as mptcp_apply_weights() takes it. */
TEST(mptcp_wans_from_table)
{
	struct wan_entry tbl[OMR_MAX_WANS];
	struct mptcp_wan wans[OMR_MAX_WANS];
	int n;

	memset(tbl, 0, sizeof(tbl));
	snprintf(tbl[2].name, sizeof(tbl[2].name), "eth1");
	tbl[2].flags = OMR_WAN_F_CONFIGURED | OMR_WAN_F_PRESENT | OMR_WAN_F_UP;
	tbl[2].ifindex = 7;
	tbl[2].weight = OMR_WEIGHT_AUTO;
	tbl[2].effective_weight = 4;
	snprintf(tbl[5].name, sizeof(tbl[5].name), "lte0");
	tbl[5].flags = OMR_WAN_F_CONFIGURED;	/* missing: effective weight 0 */
	tbl[5].weight = 3;
	snprintf(tbl[9].name, sizeof(tbl[9].name), "old0");	/* not configured */
	tbl[9].effective_weight = 5;

	n = mptcp_wans_from_table(tbl, wans);
	ASSERT_EQ(n, 2, "configured WANs");
	ASSERT_EQ(wans[0].wan_idx, 2, "first WAN's slot");
	ASSERT_STREQ(wans[0].name, "eth1", "first WAN's name");
	ASSERT_EQ(wans[0].ifindex, 7, "first WAN's ifindex");
	ASSERT_EQ(wans[0].weight, 4, "effective weight, not OMR_WEIGHT_AUTO");
	ASSERT_EQ(wans[1].wan_idx, 5, "second WAN's slot");
	ASSERT_EQ(wans[1].weight, 0, "a missing WAN weighs 0: its endpoints turn backup");
}
