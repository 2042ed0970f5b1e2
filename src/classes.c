// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Application classes, the user-space side: see classes.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "classes.h"
#include "words.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NO_WAN		0xff

static const struct {
	const char *name;
	__u32 policy;
} policies[] = {
	{ "weighted", OMR_CLASS_WEIGHTED },
	{ "lowest-rtt", OMR_CLASS_LOWEST_RTT },
	{ "wan", OMR_CLASS_WAN },
	{ "prefer", OMR_CLASS_PREFER },
};

/* DSCP code points by name (RFC 2474, 2597, 3246, 5865, 8622). */
static const struct {
	const char *name;
	__u8 dscp;
} dscp_names[] = {
	{ "cs0", 0 }, { "le", 1 }, { "cs1", 8 }, { "af11", 10 }, { "af12", 12 },
	{ "af13", 14 }, { "cs2", 16 }, { "af21", 18 }, { "af22", 20 }, { "af23", 22 },
	{ "cs3", 24 }, { "af31", 26 }, { "af32", 28 }, { "af33", 30 }, { "cs4", 32 },
	{ "af41", 34 }, { "af42", 36 }, { "af43", 38 }, { "cs5", 40 }, { "va", 44 },
	{ "ef", 46 }, { "cs6", 48 }, { "cs7", 56 },
};

static const char class_usage[] =
	"class NAME (weighted | lowest-rtt | wan WAN | prefer WAN [WAN...])";
static const char rule_usage[] =
	"rule [proto tcp|udp] [sport P[-Q]] [dport P[-Q]] [dscp D] [src PREFIX] "
	"[dst PREFIX] class NAME";

const char *classes_policy_name(__u32 policy)
{
	for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
		if (policies[i].policy == policy)
			return policies[i].name;
	return "?";
}

static const struct class_def *find_class(const struct class_config *cc, const char *name)
{
	for (int i = 0; i < cc->n_classes; i++)
		if (!strcmp(cc->classes[i].name, name))
			return &cc->classes[i];
	return NULL;
}

/* Letters, digits, '-', '_', '.'; starts with a letter; shorter than OMR_CLASS_NAMSIZ. */
static const char *class_name_problem(const char *name)
{
	if (strlen(name) >= OMR_CLASS_NAMSIZ)
		return "it is longer than 15 characters";
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z')))
		return "it must start with a letter";
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.'))
			return "use letters, digits, '-', '_' and '.'";
	return NULL;
}

int classes_parse_class(struct class_config *cc, int argc, char **argv, int line,
			char *msg, size_t msglen)
{
	struct class_def def = { .line = line };
	const struct class_def *other;
	const char *problem;
	size_t p;

	if (argc < 3) {
		snprintf(msg, msglen, "class needs a name and a policy: %s", class_usage);
		return -EINVAL;
	}
	problem = class_name_problem(argv[1]);
	if (problem) {
		snprintf(msg, msglen, "invalid class name '%.32s': %s", argv[1], problem);
		return -EINVAL;
	}
	snprintf(def.name, sizeof(def.name), "%s", argv[1]);
	other = find_class(cc, def.name);
	if (other) {
		snprintf(msg, msglen, "class %s already defined on line %d", def.name, other->line);
		return -EINVAL;
	}
	for (p = 0; p < ARRAY_SIZE(policies); p++)
		if (!strcmp(argv[2], policies[p].name))
			break;
	if (p == ARRAY_SIZE(policies)) {
		snprintf(msg, msglen, "unknown policy '%.32s' for class %s: %s", argv[2], def.name,
			 class_usage);
		return -EINVAL;
	}
	def.policy = policies[p].policy;
	def.n_wans = argc - 3;
	switch (def.policy) {
	case OMR_CLASS_WEIGHTED:
	case OMR_CLASS_LOWEST_RTT:
		if (def.n_wans) {
			snprintf(msg, msglen, "'%.32s' after %s (class %s takes no WAN)", argv[3],
				 argv[2], def.name);
			return -EINVAL;
		}
		break;
	case OMR_CLASS_WAN:
		if (def.n_wans != 1) {
			snprintf(msg, msglen, "class %s: 'wan' takes one WAN name (for a list in "
				 "priority order use 'prefer WAN WAN...')", def.name);
			return -EINVAL;
		}
		break;
	case OMR_CLASS_PREFER:
		if (def.n_wans < 1 || def.n_wans > OMR_CLASS_MAX_PREFER) {
			snprintf(msg, msglen, "class %s: 'prefer' takes 1 to %d WAN names in "
				 "priority order", def.name, OMR_CLASS_MAX_PREFER);
			return -EINVAL;
		}
		break;
	}
	for (int i = 0; i < def.n_wans; i++) {
		if (strlen(argv[3 + i]) >= OMR_IFNAMSIZ) {
			snprintf(msg, msglen, "wan name '%.32s' is longer than 15 characters",
				 argv[3 + i]);
			return -EINVAL;
		}
		for (int j = 0; j < i; j++) {
			if (!strcmp(def.wans[j], argv[3 + i])) {
				snprintf(msg, msglen, "class %s names wan %s twice", def.name,
					 argv[3 + i]);
				return -EINVAL;
			}
		}
		snprintf(def.wans[i], sizeof(def.wans[i]), "%s", argv[3 + i]);
	}
	if (cc->n_classes >= OMR_MAX_CLASSES) {
		snprintf(msg, msglen, "too many classes (at most %d)", OMR_MAX_CLASSES);
		return -EINVAL;
	}
	cc->classes[cc->n_classes++] = def;
	return 0;
}

/* "P" or "P-Q", 1..65535 (0 too: a UDP source port may be 0). */
static int parse_port_range(const char *word, const char *text, __u16 *lo, __u16 *hi,
			    char *msg, size_t msglen)
{
	char first[8];
	const char *dash = strchr(text, '-');
	size_t len = dash ? (size_t)(dash - text) : strlen(text);
	__u64 a, b;

	if (len >= sizeof(first))
		goto bad;
	memcpy(first, text, len);
	first[len] = '\0';
	if (word_u64(first, 0, 65535, &a))
		goto bad;
	b = a;
	if (dash && word_u64(dash + 1, 0, 65535, &b))
		goto bad;
	if (b < a) {
		snprintf(msg, msglen, "%s range '%.32s' ends before it starts", word, text);
		return -EINVAL;
	}
	*lo = a;
	*hi = b;
	return 0;
bad:
	snprintf(msg, msglen, "%s '%.32s' is not a port or a range of ports (like 5060 or "
		 "10000-20000)", word, text);
	return -EINVAL;
}

static int parse_dscp(const char *text, __u8 *dscp, char *msg, size_t msglen)
{
	__u64 v;

	if (!word_u64(text, 0, 63, &v)) {
		*dscp = v;
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(dscp_names); i++) {
		if (!strcasecmp(text, dscp_names[i].name)) {
			*dscp = dscp_names[i].dscp;
			return 0;
		}
	}
	snprintf(msg, msglen, "dscp '%.32s' is not 0..63 or a name (ef, af11..af43, "
		 "cs0..cs7, va, le)", text);
	return -EINVAL;
}

/* The prefix @p as flow_key words (IPv4 mapped) and their mask. */
static void prefix_words(const struct word_prefix *p, __be32 net[4], __be32 mask[4])
{
	__u8 bytes[16] = { 0 }, mbytes[16] = { 0 };
	int len = p->len, off = 0;

	if (p->family == AF_INET) {
		bytes[10] = bytes[11] = 0xff;
		memcpy(bytes + 12, p->addr, 4);
		memset(mbytes, 0xff, 12);
		off = 96;
	} else {
		memcpy(bytes, p->addr, 16);
	}
	for (int bit = 0; bit < len; bit++)
		mbytes[(off + bit) / 8] |= 0x80 >> ((off + bit) % 8);
	memcpy(net, bytes, 16);
	memcpy(mask, mbytes, 16);
}

int classes_parse_rule(struct class_config *cc, int argc, char **argv, int line,
		       char *msg, size_t msglen)
{
	struct class_rule_def def = { .line = line };
	struct class_rule *r = &def.rule;
	int family[2] = { 0, 0 };	/* src, dst */
	bool have_class = false;

	for (int i = 1; i < argc; i += 2) {
		const char *word = argv[i], *value = i + 1 < argc ? argv[i + 1] : NULL;
		static const struct {
			const char *word;
			__u32 flag;
		} fields[] = {
			{ "proto", CLASS_RULE_F_PROTO }, { "sport", CLASS_RULE_F_SPORT },
			{ "dport", CLASS_RULE_F_DPORT }, { "dscp", CLASS_RULE_F_DSCP },
			{ "src", CLASS_RULE_F_SRC }, { "dst", CLASS_RULE_F_DST },
			{ "class", 0 },
		};
		__u32 flag = 0;
		size_t f;

		for (f = 0; f < ARRAY_SIZE(fields); f++)
			if (!strcmp(word, fields[f].word))
				break;
		if (f == ARRAY_SIZE(fields)) {
			snprintf(msg, msglen, "unknown word '%.32s' in rule (%s)", word, rule_usage);
			return -EINVAL;
		}
		if (!value) {
			snprintf(msg, msglen, "%s needs a value (%s)", word, rule_usage);
			return -EINVAL;
		}
		if (have_class) {
			snprintf(msg, msglen, "'%.32s' after the rule's class (%s)", word, rule_usage);
			return -EINVAL;
		}
		flag = fields[f].flag;
		if (flag & r->flags) {
			snprintf(msg, msglen, "%s given twice", word);
			return -EINVAL;
		}
		r->flags |= flag;
		switch (flag) {
		case CLASS_RULE_F_PROTO:
			if (word_proto(value, &r->proto, msg, msglen))
				return -EINVAL;
			break;
		case CLASS_RULE_F_SPORT:
			if (parse_port_range(word, value, &r->sport_lo, &r->sport_hi, msg, msglen))
				return -EINVAL;
			break;
		case CLASS_RULE_F_DPORT:
			if (parse_port_range(word, value, &r->dport_lo, &r->dport_hi, msg, msglen))
				return -EINVAL;
			break;
		case CLASS_RULE_F_DSCP:
			if (parse_dscp(value, &r->dscp, msg, msglen))
				return -EINVAL;
			break;
		case CLASS_RULE_F_SRC:
		case CLASS_RULE_F_DST: {
			struct word_prefix p;
			bool src = flag == CLASS_RULE_F_SRC;

			if (word_prefix(value, &p, msg, msglen))
				return -EINVAL;
			family[src ? 0 : 1] = p.family;
			prefix_words(&p, src ? r->src : r->dst, src ? r->src_mask : r->dst_mask);
			break;
		}
		default:
			if (class_name_problem(value)) {
				snprintf(msg, msglen, "invalid class name '%.32s' in rule: %s", value,
					 class_name_problem(value));
				return -EINVAL;
			}
			snprintf(def.class_name, sizeof(def.class_name), "%s", value);
			have_class = true;
			break;
		}
	}
	if (!have_class) {
		snprintf(msg, msglen, "rule needs 'class NAME' at the end: %s", rule_usage);
		return -EINVAL;
	}
	if (family[0] && family[1] && family[0] != family[1]) {
		snprintf(msg, msglen, "rule mixes an IPv4 and an IPv6 prefix: it can never match");
		return -EINVAL;
	}
	if (cc->n_rules >= OMR_MAX_CLASS_RULES) {
		snprintf(msg, msglen, "too many rules (at most %d)", OMR_MAX_CLASS_RULES);
		return -EINVAL;
	}
	r->line = line;
	cc->rules[cc->n_rules++] = def;
	return 0;
}

int classes_check(const struct class_config *cc,
		  bool (*wan_defined)(const void *ctx, const char *name), const void *ctx,
		  int *line, char *msg, size_t msglen)
{
	for (int i = 0; i < cc->n_classes; i++) {
		const struct class_def *c = &cc->classes[i];

		for (int w = 0; w < c->n_wans; w++) {
			if (wan_defined(ctx, c->wans[w]))
				continue;
			*line = c->line;
			snprintf(msg, msglen, "class %s names unknown wan %s (add a 'wan %s weight N' "
				 "line)", c->name, c->wans[w], c->wans[w]);
			return -EINVAL;
		}
	}
	for (int i = 0; i < cc->n_rules; i++) {
		if (find_class(cc, cc->rules[i].class_name))
			continue;
		*line = cc->rules[i].line;
		snprintf(msg, msglen, "rule for unknown class %s (add a 'class %s POLICY' line)",
			 cc->rules[i].class_name, cc->rules[i].class_name);
		return -EINVAL;
	}
	return 0;
}

static __u8 wan_slot(const struct wan_entry *tbl, const char *name)
{
	for (int i = 0; i < OMR_MAX_WANS; i++)
		if ((tbl[i].flags & OMR_WAN_F_CONFIGURED) &&
		    !strncmp(tbl[i].name, name, OMR_IFNAMSIZ))
			return i;
	return NO_WAN;
}

void classes_build(const struct class_config *cc, const struct wan_entry *tbl,
		   struct steer_classes *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; cc && i < cc->n_classes; i++) {
		const struct class_def *c = &cc->classes[i];
		struct class_info *ci = &out->classes[i];

		snprintf(ci->name, sizeof(ci->name), "%s", c->name);
		ci->policy = c->policy;
		ci->line = c->line;
		memset(ci->wans, NO_WAN, sizeof(ci->wans));
		for (int w = 0; w < c->n_wans; w++)
			ci->wans[w] = wan_slot(tbl, c->wans[w]);
		out->n_classes++;
	}
	for (int i = 0; cc && i < cc->n_rules; i++) {
		const struct class_def *c = find_class(cc, cc->rules[i].class_name);

		if (!c)
			continue;	/* classes_check() refused such a file */
		out->rules[out->n_rules] = cc->rules[i].rule;
		out->rules[out->n_rules].class_id = c - cc->classes;
		out->n_rules++;
	}
}

/* The WANs of class @ci among @usable. */
static __u32 class_mask(const struct class_info *ci, __u32 usable,
			const __u32 rtt_us[OMR_MAX_WANS])
{
	__u32 best = 0, mask = 0, slack;

	switch (ci->policy) {
	case OMR_CLASS_WAN:
	case OMR_CLASS_PREFER:
		for (int w = 0; w < OMR_CLASS_MAX_PREFER && ci->wans[w] != NO_WAN; w++)
			if (ci->wans[w] < OMR_MAX_WANS && (usable & (1U << ci->wans[w])))
				return 1U << ci->wans[w];
		return 0;
	case OMR_CLASS_LOWEST_RTT:
		for (int i = 0; i < OMR_MAX_WANS; i++)
			if ((usable & (1U << i)) && rtt_us[i] && (!best || rtt_us[i] < best))
				best = rtt_us[i];
		if (!best)
			return usable;	/* no RTT known yet: by weight */
		slack = best / 100 * CLASSES_RTT_SLACK_PCT;
		if (slack < CLASSES_RTT_SLACK_US)
			slack = CLASSES_RTT_SLACK_US;
		for (int i = 0; i < OMR_MAX_WANS; i++)
			if ((usable & (1U << i)) && rtt_us[i] && rtt_us[i] - best <= slack)
				mask |= 1U << i;
		return mask;
	default:
		return usable;
	}
}

void classes_wans(struct steer_classes *sc, __u32 usable4, __u32 usable6,
		  const __u32 rtt_us[OMR_MAX_WANS])
{
	for (__u32 i = 0; i < OMR_MAX_CLASSES; i++) {
		bool used = i < sc->n_classes;

		sc->mask4[i] = used ? class_mask(&sc->classes[i], usable4, rtt_us) : 0;
		sc->mask6[i] = used ? class_mask(&sc->classes[i], usable6, rtt_us) : 0;
	}
}

/* The prefix of @net/@mask back as text ("::ffff:" IPv4 as a.b.c.d/len). */
static void format_prefix(const __be32 *net, const __be32 *mask, char *buf, size_t size)
{
	const __u8 *m = (const __u8 *)mask, *a = (const __u8 *)net;
	char text[INET6_ADDRSTRLEN];
	bool v4 = a[10] == 0xff && a[11] == 0xff && !memcmp(a, "\0\0\0\0\0\0\0\0\0\0", 10) &&
		  m[11] == 0xff;
	int len = 0;

	for (int i = 0; i < 16; i++)
		len += __builtin_popcount(m[i]);
	if (v4) {
		inet_ntop(AF_INET, a + 12, text, sizeof(text));
		len -= 96;
	} else {
		inet_ntop(AF_INET6, a, text, sizeof(text));
	}
	if (len == (v4 ? 32 : 128))
		snprintf(buf, size, "%s", text);
	else
		snprintf(buf, size, "%s/%d", text, len);
}

static void format_range(char *buf, size_t size, __u16 lo, __u16 hi)
{
	if (lo == hi)
		snprintf(buf, size, "%u", lo);
	else
		snprintf(buf, size, "%u-%u", lo, hi);
}

int classes_format_rule(const struct class_rule *r, const struct steer_classes *sc,
			char *buf, size_t size)
{
	char part[64], pfx[64];
	size_t pos = 0;

#define ADD(...) do {								\
		int n_ = snprintf(buf + pos, pos < size ? size - pos : 0, __VA_ARGS__); \
		if (n_ > 0)							\
			pos += n_;						\
	} while (0)
	if (size)
		buf[0] = '\0';
	ADD("rule");
	if (r->flags & CLASS_RULE_F_PROTO)
		ADD(" proto %s", r->proto == IPPROTO_TCP ? "tcp" : "udp");
	if (r->flags & CLASS_RULE_F_SPORT) {
		format_range(part, sizeof(part), r->sport_lo, r->sport_hi);
		ADD(" sport %s", part);
	}
	if (r->flags & CLASS_RULE_F_DPORT) {
		format_range(part, sizeof(part), r->dport_lo, r->dport_hi);
		ADD(" dport %s", part);
	}
	if (r->flags & CLASS_RULE_F_DSCP) {
		const char *name = NULL;

		for (size_t i = 0; i < ARRAY_SIZE(dscp_names) && !name; i++)
			if (dscp_names[i].dscp == r->dscp)
				name = dscp_names[i].name;
		if (name)
			ADD(" dscp %s", name);
		else
			ADD(" dscp %u", r->dscp);
	}
	if (r->flags & CLASS_RULE_F_SRC) {
		format_prefix(r->src, r->src_mask, pfx, sizeof(pfx));
		ADD(" src %s", pfx);
	}
	if (r->flags & CLASS_RULE_F_DST) {
		format_prefix(r->dst, r->dst_mask, pfx, sizeof(pfx));
		ADD(" dst %s", pfx);
	}
	ADD(" class %s", r->class_id < OMR_MAX_CLASSES ? sc->classes[r->class_id].name : "?");
#undef ADD
	return (int)pos;
}
