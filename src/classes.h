/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Application classes: `class` and `rule` lines of the weight file, and
 * the per-class WAN sets the datapath picks from (bpf/lib/class.h).
 *
 *	class NAME weighted              every usable WAN by weight (the default)
 *	class NAME lowest-rtt            the usable WANs of lowest RTT
 *	class NAME wan WAN               that WAN while it is usable
 *	class NAME prefer WAN [WAN...]   the first usable WAN of the list
 *	rule [proto tcp|udp] [sport P[-Q]] [dport P[-Q]] [dscp D]
 *	     [src PREFIX] [dst PREFIX] class NAME
 *
 * A rule matches a new TCP or UDP flow (its first packet, as it leaves by a
 * WAN) when every field it names matches; rules are tried in the file's
 * order and the first match decides.  A rule without fields matches every
 * flow (a catch-all, last).  D is 0..63 or a name: cs0..cs7, af11..af43,
 * ef, va, le.  Up to OMR_MAX_CLASSES classes and OMR_MAX_CLASS_RULES rules.
 *
 * "Usable" is what the weighted choice uses: up, an address of the flow's
 * family, and an effective weight above 0 (a schedule's weight 0 keeps a
 * metered link out of every class too).  `lowest-rtt` takes the usable
 * WANs whose smoothed RTT (stats' rtt_us: probes, TCP) is within
 * CLASSES_RTT_SLACK_PCT % or CLASSES_RTT_SLACK_US of the lowest, so that
 * near-equal links share the class by weight; WANs with no RTT yet are
 * left out while another has one.  When a class has no usable WAN its
 * flows get the weighted choice over every usable WAN: failover first.
 * A flow keeps the WAN it got; a WAN going down moves it, by the same
 * rules.  `pin` lines come before classes; MPTCP connections are left to
 * the MPTCP scheduler.
 */
#ifndef OMR_CLASSES_H
#define OMR_CLASSES_H

#include <stdbool.h>
#include <stddef.h>
#include "omr_steer_abi.h"

#define CLASSES_RTT_SLACK_PCT	10
#define CLASSES_RTT_SLACK_US	1000

struct class_def {
	char name[OMR_CLASS_NAMSIZ];
	__u32 policy;				/* OMR_CLASS_* */
	int n_wans;				/* OMR_CLASS_WAN: 1; PREFER: the list */
	char wans[OMR_CLASS_MAX_PREFER][OMR_IFNAMSIZ];
	int line;
};

struct class_rule_def {
	struct class_rule rule;			/* class_id set by classes_build() */
	char class_name[OMR_CLASS_NAMSIZ];
	int line;
};

/* The classes part of the weight file (struct steering_config.classes). */
struct class_config {
	int n_classes;
	struct class_def classes[OMR_MAX_CLASSES];
	int n_rules;
	struct class_rule_def rules[OMR_MAX_CLASS_RULES];
};

/*
 * Grammar pieces for src/config.c: the words of a `class` / `rule` line
 * (argv[0] is the keyword).  0, or -EINVAL with a one-line reason in @msg.
 * classes_check(), after the whole file: every rule's class and every
 * class's WANs are defined (@wan_defined says); the first problem's line.
 */
int classes_parse_class(struct class_config *cc, int argc, char **argv, int line,
			char *msg, size_t msglen);
int classes_parse_rule(struct class_config *cc, int argc, char **argv, int line,
		       char *msg, size_t msglen);
int classes_check(const struct class_config *cc,
		  bool (*wan_defined)(const void *ctx, const char *name), const void *ctx,
		  int *line, char *msg, size_t msglen);

/*
 * The map value for @cc with WAN names resolved against @tbl (configured
 * slots); the WAN sets (mask4/mask6) are left empty for classes_wans().
 */
void classes_build(const struct class_config *cc, const struct wan_entry *tbl,
		   struct steer_classes *out);

/*
 * Each class's WANs now, from the WANs that may take new flows of each
 * family (steer_cfg.usable4/6) and the WANs' smoothed RTTs in µs (0 =
 * unknown), into @sc->mask4/mask6.
 */
void classes_wans(struct steer_classes *sc, __u32 usable4, __u32 usable6,
		  const __u32 rtt_us[OMR_MAX_WANS]);

/* Policy and DSCP names, and a rule as a weight-file line ("proto udp dport 5060 class voip"). */
const char *classes_policy_name(__u32 policy);
int classes_format_rule(const struct class_rule *r, const struct steer_classes *sc,
			char *buf, size_t size);

#endif
