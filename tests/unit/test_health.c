// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Per-WAN health: thresholds, link events, degraded, smoothed RTT. */
#include "test.h"
#include "health.h"

TEST(health_probe_thresholds)
{
	struct health h;

	health_init(&h, NULL, true);
	ASSERT_EQ(health_state(&h), HEALTH_UP, "starts up");
	ASSERT_FALSE(health_probe(&h, true, 1000), "answer: no change");
	ASSERT_TRUE(health_probe(&h, false, 0), "first loss: degraded");
	ASSERT_EQ(health_state(&h), HEALTH_DEGRADED, "after 1 loss");
	ASSERT_TRUE(health_usable(&h), "degraded is usable");
	ASSERT_FALSE(health_probe(&h, false, 0), "second loss: still degraded");
	ASSERT_TRUE(health_probe(&h, false, 0), "third loss in a row: down");
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "after 3 losses");
	ASSERT_FALSE(health_usable(&h), "down is not usable");
	ASSERT_STREQ(health_state_name(health_state(&h)), "down", "name");
	for (int i = 0; i < 5; i++)
		health_probe(&h, false, 0);
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "stays down");
	ASSERT_FALSE(health_probe(&h, true, 1000), "one answer is not enough");
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "after 1 answer");
	ASSERT_FALSE(health_probe(&h, false, 0), "a loss restarts the count");
	ASSERT_FALSE(health_probe(&h, true, 1000), "1 answer");
	ASSERT_TRUE(health_probe(&h, true, 1000), "2 answers in a row: back");
	/* recent losses still in the window: degraded, not up */
	ASSERT_EQ(health_state(&h), HEALTH_DEGRADED, "back, with losses in the last 10");
	for (int i = 0; i < 10; i++)
		health_probe(&h, true, 1000);
	ASSERT_EQ(health_state(&h), HEALTH_UP, "losses aged out");
	ASSERT_EQ(h.transitions, 4, "up->degraded->down->degraded->up");
}

TEST(health_interleaved_losses_do_not_take_it_down)
{
	struct health h;

	health_init(&h, NULL, true);
	for (int i = 0; i < 30; i++)
		health_probe(&h, i % 2 == 0, 1000);	/* every other probe lost */
	ASSERT_NEQ(health_state(&h), HEALTH_DOWN, "never 3 in a row");
	ASSERT_EQ(health_state(&h), HEALTH_DEGRADED, "50 % loss is degraded");

	health_init(&h, NULL, true);
	for (int i = 0; i < 30; i++)
		health_probe(&h, i % 10 != 0, 1000);	/* 10 % loss */
	ASSERT_EQ(health_state(&h), HEALTH_UP, "1 in 10 lost, last answered: up");
}

TEST(health_custom_thresholds)
{
	struct health_params p = { .down_after = 1, .up_after = 4, .degraded_losses = 0 };
	struct health h;

	health_init(&h, &p, true);
	ASSERT_TRUE(health_probe(&h, false, 0), "down_after 1");
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "one loss");
	for (int i = 0; i < 3; i++)
		health_probe(&h, true, 1000);
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "3 of up_after 4");
	health_probe(&h, true, 1000);
	ASSERT_EQ(health_state(&h), HEALTH_UP, "4 answers, losses not counted");
}

TEST(health_link_events)
{
	struct health h;

	/* without a probe the link alone decides */
	health_init(&h, NULL, false);
	ASSERT_TRUE(health_link(&h, false, true), "carrier lost");
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "link down");
	ASSERT_TRUE(health_link(&h, true, true), "carrier back");
	ASSERT_EQ(health_state(&h), HEALTH_UP, "link up, no probe: up at once");
	ASSERT_TRUE(health_link(&h, true, false), "address removed");
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "no address: down");
	ASSERT_TRUE(health_link(&h, true, true), "address back");
	ASSERT_FALSE(health_link(&h, true, true), "same again: no change");

	/* with a probe the link going down wins at once, coming back needs answers */
	health_init(&h, NULL, true);
	health_probe(&h, true, 20000);
	ASSERT_EQ(health_srtt_us(&h), 20000, "rtt known");
	ASSERT_TRUE(health_link(&h, false, true), "carrier lost");
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "down at once, no probe needed");
	ASSERT_EQ(health_srtt_us(&h), 0, "rtt forgotten with the link");
	health_probe(&h, false, 0);
	ASSERT_FALSE(health_link(&h, true, true), "carrier back: still down");
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "waits for the probe");
	health_probe(&h, true, 30000);
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "1 answer");
	ASSERT_TRUE(health_probe(&h, true, 30000), "2 answers: back");
	ASSERT_NEQ(health_state(&h), HEALTH_DOWN, "usable again");
	ASSERT_EQ(health_srtt_us(&h), 30000, "new path, fresh rtt");
	/* a probe answering while the link is down does not bring it up */
	health_link(&h, false, true);
	health_probe(&h, true, 1000);
	health_probe(&h, true, 1000);
	ASSERT_EQ(health_state(&h), HEALTH_DOWN, "link down beats the probe");
}

TEST(health_srtt_ewma)
{
	struct health h;

	health_init(&h, NULL, false);
	ASSERT_EQ(health_srtt_us(&h), 0, "unknown at start");
	health_probe(&h, true, 40000);
	ASSERT_EQ(health_srtt_us(&h), 40000, "first sample is the srtt");
	ASSERT_EQ(health_rttvar_us(&h), 20000, "first rttvar is half");
	health_probe(&h, true, 48000);
	ASSERT_EQ(health_srtt_us(&h), 41000, "7/8 * 40000 + 1/8 * 48000");
	ASSERT_EQ(health_rttvar_us(&h), 17000, "3/4 * 20000 + 1/4 * 8000");
	/* converges to a new steady RTT */
	for (int i = 0; i < 60; i++)
		health_probe(&h, true, 10000);
	ASSERT_NEAR(health_srtt_us(&h), 10000, 100, "srtt follows");
	ASSERT_LE(health_rttvar_us(&h), 100, "rttvar settles");
	/* TCP samples feed the same value */
	for (int i = 0; i < 60; i++)
		health_tcp_rtt(&h, 30000);
	ASSERT_NEAR(health_srtt_us(&h), 30000, 100, "tcp samples");
	/* losses carry no RTT */
	health_probe(&h, false, 0);
	ASSERT_NEAR(health_srtt_us(&h), 30000, 100, "a loss is no sample");
}

TEST(health_min_rtt_and_queue_delay)
{
	struct health h;

	health_init(&h, NULL, false);
	for (int i = 0; i < 20; i++)
		health_probe(&h, true, 20000);
	ASSERT_EQ(health_min_rtt_us(&h), 20000, "min rtt");
	ASSERT_EQ(health_queue_delay_us(&h), 0, "no queue");
	ASSERT_FALSE(health_queue_building(&h), "idle path");
	/* a saturated link queues: 20 ms base, 80 ms with the queue */
	for (int i = 0; i < 20; i++)
		health_tcp_rtt(&h, 80000);
	ASSERT_EQ(health_min_rtt_us(&h), 20000, "min kept");
	ASSERT_GE(health_queue_delay_us(&h), 50000, "queue delay");
	ASSERT_TRUE(health_queue_building(&h), "busy");
	/* a path that got longer for good: min follows within two epochs */
	for (int i = 0; i < 2 * HEALTH_MIN_RTT_EPOCH; i++)
		health_probe(&h, true, 60000);
	ASSERT_EQ(health_min_rtt_us(&h), 60000, "min rtt ages out");
	ASSERT_FALSE(health_queue_building(&h), "no queue on the longer path");
	/* small jitter on a fast path is not a queue */
	health_init(&h, NULL, false);
	for (int i = 0; i < 20; i++)
		health_probe(&h, true, i % 2 ? 1000 : 4000);
	ASSERT_FALSE(health_queue_building(&h), "3 ms of jitter is below 5 ms");
}
