// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Application classes: the `class`/`rule` grammar through the whole weight
 * file parser, rule matching with the datapath's own matcher
 * (include/class_match.h) on the rules user space builds, each policy's
 * WAN set, and rules printed back as weight-file lines.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include "class_match.h"
#include "classes.h"
#include "config.h"
#include "test.h"

static struct steer_config cfg;
static struct steer_classes built;
static char err[4096];

static const char wans3[] = "wan wan1 weight 1\nwan wan2 weight 3\nwan wan3 weight 2\n";

/* Parse wans3 followed by @body; on success build the map value with WAN slots 0, 1, 2. */
static int load(const char *body)
{
	static char text[8192];
	struct wan_entry tbl[OMR_MAX_WANS] = {};
	int rc;

	snprintf(text, sizeof(text), "%s%s", wans3, body);
	rc = config_parse("c.conf", text, strlen(text), &cfg, err, sizeof(err));
	if (rc)
		return rc;
	for (int i = 0; i < cfg.n_wans; i++) {
		memcpy(tbl[i].name, cfg.wans[i].name, OMR_IFNAMSIZ);
		tbl[i].flags = OMR_WAN_F_CONFIGURED;
	}
	classes_build(&cfg.steering.classes, tbl, &built);
	return 0;
}

static void expect_error(const char *body, const char *want_line, const char *word)
{
	int rc = load(body);

	if (!ASSERT_EQ(rc, -EINVAL, body) || !ASSERT_TRUE(strstr(err, want_line) != NULL, "line") ||
	    !ASSERT_TRUE(strstr(err, word) != NULL, word))
		TEST_MSG("input:\n%s\nerr: %s", body, err);
}

/* A flow from @src:@sport to @dst:@dport (text addresses, either family). */
struct flow {
	__be32 s[4], d[4];
	struct class_flow f;
};

static void to_words(const char *text, __be32 w[4])
{
	memset(w, 0, 16);
	if (inet_pton(AF_INET, text, &w[3]) == 1) {
		w[2] = htonl(0xffff);
		return;
	}
	inet_pton(AF_INET6, text, w);
}

static const struct class_flow *flow(struct flow *fl, __u8 proto, const char *src, __u16 sport,
				      const char *dst, __u16 dport, __u8 dscp)
{
	to_words(src, fl->s);
	to_words(dst, fl->d);
	fl->f = (struct class_flow){ .saddr = fl->s, .daddr = fl->d, .sport = sport,
				     .dport = dport, .proto = proto, .dscp = dscp };
	return &fl->f;
}

/* The class name the first matching rule gives, "" for none: what class_wans() does in BPF. */
static const char *classify(const struct class_flow *f)
{
	for (__u32 i = 0; i < built.n_rules; i++)
		if (class_rule_matches(&built.rules[i], f))
			return built.classes[built.rules[i].class_id].name;
	return "";
}

TEST(classes_parse_every_policy)
{
	if (!ASSERT_EQ(load("class voip lowest-rtt\n"
			    "class bulk wan wan1\n"
			    "class games prefer wan3 wan1\n"
			    "class web weighted\n"
			    "rule proto udp dport 5060-5061 class voip\n"
			    "rule dscp ef class voip\n"
			    "rule src 192.168.1.50/32 class bulk\n"
			    "rule proto tcp dst 2001:db8::/32 sport 1024-65535 class web\n"
			    "rule class games\n"), 0, "parse"))
		TEST_MSG("%s", err);
	ASSERT_EQ(built.n_classes, 4, "classes");
	ASSERT_EQ(built.n_rules, 5, "rules");
	ASSERT_EQ(built.classes[0].policy, OMR_CLASS_LOWEST_RTT, "voip");
	ASSERT_EQ(built.classes[1].policy, OMR_CLASS_WAN, "bulk");
	ASSERT_EQ(built.classes[1].wans[0], 0, "bulk on wan1 (slot 0)");
	ASSERT_EQ(built.classes[1].wans[1], 0xff, "one WAN");
	ASSERT_EQ(built.classes[2].wans[0], 2, "games: wan3 first");
	ASSERT_EQ(built.classes[2].wans[1], 0, "then wan1");
	ASSERT_EQ(built.rules[0].dport_lo, 5060, "range start");
	ASSERT_EQ(built.rules[0].dport_hi, 5061, "range end");
	ASSERT_EQ(built.rules[1].dscp, 46, "ef");
	ASSERT_EQ(built.rules[1].line, 9, "line of the rule");
	ASSERT_EQ(built.rules[4].flags, 0, "catch-all has no fields");
	ASSERT_EQ(built.rules[4].class_id, 2, "catch-all class");
}

TEST(classes_parse_errors)
{
	expect_error("class voip fastest\n", "c.conf:4: ", "unknown policy 'fastest'");
	expect_error("class voip lowest-rtt wan1\n", "c.conf:4: ", "takes no WAN");
	expect_error("class bulk\n", "c.conf:4: ", "needs a name and a policy");
	expect_error("class bulk wan\n", "c.conf:4: ", "takes one WAN name");
	expect_error("class bulk wan wan1 wan2\n", "c.conf:4: ", "prefer");
	expect_error("class bulk wan wan9\n", "c.conf:4: ", "unknown wan wan9");
	expect_error("class g prefer wan1 wan1\n", "c.conf:4: ", "twice");
	expect_error("class 1x weighted\n", "c.conf:4: ", "start with a letter");
	expect_error("class a weighted\nclass a lowest-rtt\n", "c.conf:5: ", "already defined on line 4");
	expect_error("rule proto udp class nosuch\n", "c.conf:4: ", "unknown class nosuch");
	expect_error("class v lowest-rtt\nrule proto icmp class v\n", "c.conf:5: ", "only tcp or udp");
	expect_error("class v lowest-rtt\nrule dport 70000 class v\n", "c.conf:5: ", "not a port");
	expect_error("class v lowest-rtt\nrule dport 20-10 class v\n", "c.conf:5: ", "ends before");
	expect_error("class v lowest-rtt\nrule dscp 64 class v\n", "c.conf:5: ", "dscp '64'");
	expect_error("class v lowest-rtt\nrule dscp xx class v\n", "c.conf:5: ", "dscp 'xx'");
	expect_error("class v lowest-rtt\nrule src 10.0.0.1/8 class v\n", "c.conf:5: ", "host bits");
	expect_error("class v lowest-rtt\nrule src 10.0.0.0/8 dst ::/0 class v\n", "c.conf:5: ",
		     "never match");
	expect_error("class v lowest-rtt\nrule dport 53 dport 54 class v\n", "c.conf:5: ", "twice");
	expect_error("class v lowest-rtt\nrule dport 53\n", "c.conf:5: ", "needs 'class NAME'");
	expect_error("class v lowest-rtt\nrule class v dport 53\n", "c.conf:5: ", "after the rule's class");
	expect_error("class v lowest-rtt\nrule color red class v\n", "c.conf:5: ", "unknown word 'color'");
	expect_error("class v lowest-rtt\nrule dport\n", "c.conf:5: ", "needs a value");
}

TEST(classes_limits)
{
	static char body[16384];
	size_t pos = 0;

	for (int i = 0; i <= OMR_MAX_CLASSES; i++)
		pos += snprintf(body + pos, sizeof(body) - pos, "class c%d weighted\n", i);
	expect_error(body, "c.conf:", "too many classes");
	pos = snprintf(body, sizeof(body), "class c weighted\n");
	for (int i = 0; i <= OMR_MAX_CLASS_RULES; i++)
		pos += snprintf(body + pos, sizeof(body) - pos, "rule dport %d class c\n", i + 1);
	expect_error(body, "c.conf:", "too many rules");
}

TEST(classes_rule_matching)
{
	struct flow fl;

	if (!ASSERT_EQ(load("class voip lowest-rtt\n"
			    "class bulk wan wan1\n"
			    "class v6web weighted\n"
			    "class rest prefer wan2\n"
			    "rule proto udp dport 5060-5061 class voip\n"
			    "rule dscp ef class voip\n"
			    "rule src 192.168.1.48/28 proto tcp class bulk\n"
			    "rule dst 2001:db8::/32 dport 443 class v6web\n"
			    "rule sport 4000 class rest\n"), 0, "parse"))
		TEST_MSG("%s", err);
	/* protocol and port range edges */
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_UDP, "192.168.1.2", 40000, "203.0.113.9", 5060, 0)),
		     "voip", "udp 5060");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_UDP, "192.168.1.2", 40000, "203.0.113.9", 5061, 0)),
		     "voip", "udp 5061");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_UDP, "192.168.1.2", 40000, "203.0.113.9", 5062, 0)),
		     "", "udp 5062: no rule");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_UDP, "192.168.1.2", 40000, "203.0.113.9", 5059, 0)),
		     "", "udp 5059: no rule");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_TCP, "192.168.1.2", 40000, "203.0.113.9", 5060, 0)),
		     "", "tcp 5060 is not the udp rule");
	/* DSCP */
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_TCP, "192.168.1.2", 40000, "203.0.113.9", 80, 46)),
		     "voip", "EF marked tcp");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_TCP, "192.168.1.2", 40000, "203.0.113.9", 80, 34)),
		     "", "AF41 is not EF");
	/* source prefix /28: .48 .. .63 */
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_TCP, "192.168.1.48", 40000, "203.0.113.9", 80, 0)),
		     "bulk", "first of the /28");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_TCP, "192.168.1.63", 40000, "203.0.113.9", 80, 0)),
		     "bulk", "last of the /28");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_TCP, "192.168.1.64", 40000, "203.0.113.9", 80, 0)),
		     "", "past the /28");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_UDP, "192.168.1.50", 40000, "203.0.113.9", 80, 0)),
		     "", "udp from the /28: the rule wants tcp");
	/* an IPv4 prefix never matches IPv6, and the other way round */
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_TCP, "::c0a8:132", 40000, "2001:db8::1", 443, 0)),
		     "v6web", "IPv6 ::192.168.1.50 is not in the IPv4 /28");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_TCP, "fd77::2", 40000, "2001:db8:ffff::1", 443, 0)),
		     "v6web", "in 2001:db8::/32");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_TCP, "fd77::2", 40000, "2001:db9::1", 443, 0)),
		     "", "outside 2001:db8::/32");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_TCP, "192.168.1.2", 40000, "32.1.13.184", 443, 0)),
		     "", "IPv4 flow against an IPv6 prefix");
	/* first match wins: EF udp to 5060 is voip by rule 1, not rule 2 */
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_UDP, "192.168.1.50", 4000, "203.0.113.9", 5060, 46)),
		     "voip", "first match");
	ASSERT_STREQ(classify(flow(&fl, IPPROTO_UDP, "10.0.0.1", 4000, "203.0.113.9", 53, 0)),
		     "rest", "source port rule");
}

TEST(classes_wan_sets)
{
	__u32 rtt[OMR_MAX_WANS] = { 30000, 12000, 12500 };	/* wan1 30 ms, wan2 12, wan3 12.5 */

	if (!ASSERT_EQ(load("class voip lowest-rtt\n"
			    "class bulk wan wan2\n"
			    "class games prefer wan3 wan1\n"
			    "class web weighted\n"), 0, "parse"))
		TEST_MSG("%s", err);

	classes_wans(&built, 0x7, 0x3, rtt);
	/* wan2 and wan3 within 10 % / 1 ms of each other: both, by weight */
	ASSERT_EQ(built.mask4[0], 0x6, "lowest-rtt v4: wan2, wan3");
	ASSERT_EQ(built.mask6[0], 0x2, "lowest-rtt v6: wan3 has no IPv6");
	ASSERT_EQ(built.mask4[1], 0x2, "wan wan2");
	ASSERT_EQ(built.mask4[2], 0x4, "prefer: wan3 first");
	ASSERT_EQ(built.mask6[2], 0x1, "prefer v6: wan3 cannot, wan1 next");
	ASSERT_EQ(built.mask4[3], 0x7, "weighted: all");
	ASSERT_EQ(built.mask4[4], 0, "unused class slot");

	/* wan3 slower now: out of the lowest-rtt set */
	rtt[2] = 14000;
	classes_wans(&built, 0x7, 0x7, rtt);
	ASSERT_EQ(built.mask4[0], 0x2, "wan3 at 14 ms vs 12: out");
	/* wan2 down (or weight 0): lowest-rtt moves to wan3, fixed class has no WAN */
	classes_wans(&built, 0x5, 0x5, rtt);
	ASSERT_EQ(built.mask4[0], 0x4, "wan2 unusable: wan3");
	ASSERT_EQ(built.mask4[1], 0, "wan wan2 unusable: empty set (datapath falls back)");
	ASSERT_EQ(built.mask4[2], 0x4, "prefer wan3 still");
	classes_wans(&built, 0x1, 0x1, rtt);
	ASSERT_EQ(built.mask4[2], 0x1, "prefer: wan3 gone, wan1");
	/* no RTT known anywhere: lowest-rtt is the weighted set */
	memset(rtt, 0, sizeof(rtt));
	classes_wans(&built, 0x7, 0x7, rtt);
	ASSERT_EQ(built.mask4[0], 0x7, "no RTT: weighted");
	/* one RTT known: unknown WANs are left out */
	rtt[0] = 40000;
	classes_wans(&built, 0x7, 0x7, rtt);
	ASSERT_EQ(built.mask4[0], 0x1, "only wan1 measured");
	/* sub-millisecond links: the 1 ms slack keeps both */
	rtt[0] = 300;
	rtt[1] = 1200;
	classes_wans(&built, 0x3, 0x3, rtt);
	ASSERT_EQ(built.mask4[0], 0x3, "0.3 vs 1.2 ms: both");
}

TEST(classes_rule_format_round_trip)
{
	static const char *const lines[] = {
		"rule proto udp dport 5060-5061 class voip",
		"rule dscp ef class voip",
		"rule dscp 7 class voip",
		"rule proto tcp sport 1024-65535 src 192.168.1.48/28 dst 203.0.113.7 class voip",
		"rule dst 2001:db8::/32 class voip",
		"rule src fd77::2 class voip",
		"rule class voip",
	};
	char body[1024], out[256];
	size_t pos = snprintf(body, sizeof(body), "class voip lowest-rtt\n");

	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		pos += snprintf(body + pos, sizeof(body) - pos, "%s\n", lines[i]);
	if (!ASSERT_EQ(load(body), 0, "parse"))
		TEST_MSG("%s", err);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		classes_format_rule(&built.rules[i], &built, out, sizeof(out));
		ASSERT_STREQ(out, lines[i], "printed back");
	}
}
