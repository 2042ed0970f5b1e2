// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* live.c: what a reload (live_configure) keeps of each WAN and what starts afresh. */
#include "config.h"
#include "live.h"
#include "test.h"

static struct live l;
static struct wan_set ws;
static struct steer_config cfg;

/* Apply the weight file @text as the agent does on SIGHUP (slots stay by name). */
static bool apply(const char *text)
{
	char err[1024];

	if (!ASSERT_EQ(config_parse("x.conf", text, strlen(text), &cfg, err, sizeof(err)), 0, err))
		return false;
	for (int i = 0; i < cfg.n_wans; i++) {
		struct wan_entry *e = &ws.tbl[i];

		if (strcmp(e->name, cfg.wans[i].name)) {
			memset(e, 0, sizeof(*e));
			snprintf(e->name, sizeof(e->name), "%s", cfg.wans[i].name);
		}
		e->flags = OMR_WAN_F_CONFIGURED | OMR_WAN_F_PRESENT | OMR_WAN_F_UP;
		e->weight = cfg.wans[i].weight;
	}
	live_configure(&l, &ws, &cfg);
	return true;
}

static struct health *health_of(int i) { return &l.wan[i].health; }

/* wan1 (probe) down by its probe with an RTT; wan2 (no probe) with a TCP RTT and a capacity. */
static bool learn(const char *conf)
{
	memset(&ws, 0, sizeof(ws));
	live_init(&l);
	if (!apply(conf))
		return false;
	health_probe(health_of(0), true, 30000);
	for (int i = 0; i < 3; i++)
		health_probe(health_of(0), false, 0);
	health_tcp_rtt(health_of(1), 20000);
	l.cap.wan[1].dir[CAPACITY_TX].est_bps = 5e6;
	l.cap.wan[1].dir[CAPACITY_RX].est_bps = 5e6;
	return ASSERT_EQ(health_state(health_of(0)), HEALTH_DOWN, "wan1 down by its probe") &&
	       ASSERT_EQ(health_srtt_us(health_of(1)), 20000, "wan2 RTT");
}

#define CONF "interval 1\nwan wan1 weight 3 probe 192.0.2.1\nwan wan2 weight 1\n"

/* A reload that changes weights only keeps health, RTT and capacity of every WAN. */
TEST(live_reload_keeps_state)
{
	if (!learn(CONF))
		goto out;
	if (!apply("interval 1\nwan wan1 weight 5 probe 192.0.2.1\nwan wan2 weight auto\n"))
		goto out;
	ASSERT_EQ(health_state(health_of(0)), HEALTH_DOWN, "wan1 stays down by its probe");
	ASSERT_FALSE(health_usable(health_of(0)), "wan1 not usable");
	ASSERT_EQ(health_srtt_us(health_of(0)), 30000, "wan1 RTT kept");
	ASSERT_EQ(health_srtt_us(health_of(1)), 20000, "wan2 RTT kept");
	ASSERT_EQ(capacity_bps(&l.cap, 1), 5000000, "wan2 capacity kept");

	/* a new interval: probes reopen, verdicts stay */
	if (!apply("interval 2\nwan wan1 weight 5 probe 192.0.2.1\nwan wan2 weight auto\n"))
		goto out;
	ASSERT_EQ(health_state(health_of(0)), HEALTH_DOWN, "wan1 down after an interval change");
	ASSERT_EQ(health_srtt_us(health_of(1)), 20000, "wan2 RTT after an interval change");
	/* and its link going down while reloading is seen */
	ws.tbl[1].flags &= ~OMR_WAN_F_UP;
	live_configure(&l, &ws, &cfg);
	ASSERT_EQ(health_state(health_of(1)), HEALTH_DOWN, "wan2 link down");
out:
	live_close(&l);
}

/* Only what changed starts afresh: a WAN's probe, its min/max, the WAN in a slot. */
TEST(live_reload_resets_what_changed)
{
	if (!learn(CONF))
		goto out;
	/* another probe target: wan1's health and RTT start as at start; wan2 untouched */
	if (!apply("interval 1\nwan wan1 weight 3 probe 192.0.2.9:443\nwan wan2 weight 1\n"))
		goto out;
	ASSERT_EQ(health_state(health_of(0)), HEALTH_UP, "wan1 afresh with its new probe");
	ASSERT_EQ(health_srtt_us(health_of(0)), 0, "wan1 RTT forgotten");
	ASSERT_TRUE(health_of(0)->probing, "wan1 still probed");
	ASSERT_EQ(health_srtt_us(health_of(1)), 20000, "wan2 RTT kept");
	ASSERT_EQ(capacity_bps(&l.cap, 1), 5000000, "wan2 capacity kept");

	/* wan2's max: its capacity estimate starts again, its health stays */
	if (!apply("interval 1\nwan wan1 weight 3 probe 192.0.2.9:443\nwan wan2 weight 1 max 8mbit\n"))
		goto out;
	ASSERT_EQ(capacity_bps(&l.cap, 1), 0, "wan2 capacity forgotten");
	ASSERT_EQ(health_srtt_us(health_of(1)), 20000, "wan2 RTT kept with a new max");

	/* a probe added to wan2: the RTT comes from the probe now */
	if (!apply("interval 1\nwan wan1 weight 3 probe 192.0.2.9:443\n"
		   "wan wan2 weight 1 max 8mbit probe 192.0.2.2\n"))
		goto out;
	ASSERT_TRUE(health_of(1)->probing, "wan2 probed");
	ASSERT_EQ(health_srtt_us(health_of(1)), 0, "wan2 TCP RTT dropped for the probe's");

	/* the probe taken off wan1 while it is down by it: up on its link alone */
	for (int i = 0; i < 3; i++)
		health_probe(health_of(0), false, 0);
	if (!apply("interval 1\nwan wan1 weight 3\nwan wan2 weight 1 max 8mbit probe 192.0.2.2\n"))
		goto out;
	ASSERT_FALSE(health_of(0)->probing, "wan1 not probed");
	ASSERT_EQ(health_state(health_of(0)), HEALTH_UP, "wan1 up on its link");

	/* another WAN in slot 1: nothing of wan2 is kept */
	health_tcp_rtt(health_of(1), 20000);
	if (!apply("interval 1\nwan wan1 weight 3\nwan wan3 weight 1 max 8mbit probe 192.0.2.2\n"))
		goto out;
	ASSERT_STREQ(l.wan[1].name, "wan3", "slot 1");
	ASSERT_EQ(health_srtt_us(health_of(1)), 0, "wan3 starts without wan2's RTT");
out:
	live_close(&l);
}
