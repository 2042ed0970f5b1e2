// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The weight file parser.
 *
 *	# comment                    a '#' that starts a word starts a comment,
 *	interval 1                   also after a statement
 *	wan eth1 weight 5            # integer 0..1000
 *	wan eth2 weight auto         # from live throughput
 *
 * One statement per line, words separated by blanks or tabs, LF or CRLF line
 * endings, an optional UTF-8 byte order mark at the start of the file.
 * The first word is a keyword from config_keywords[]; the words after
 * "wan NAME" are options from wan_options[], each followed by its values.
 * New keywords and wan options are one table entry and one handler each.
 *
 * Bytes: statements are printable ASCII; comments may also hold UTF-8.
 * Control bytes (below 0x20 except tab, and 0x7f), a NUL, a carriage return
 * anywhere but before the line end, invalid UTF-8 anywhere, and non-ASCII
 * outside a comment are errors: such a file is not a weight file (or was
 * mangled), and silently skipping bytes could change what a line means.
 *
 * Every problem is reported, "FILE:LINE: message" ("FILE: message" for the
 * whole file), up to CONFIG_MAX_ERRORS; the file is then rejected whole.
 * The parser works on a bounded copy of each line, never recurses, and
 * never reads past the buffer it was given (which need not end in a NUL).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "config.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* A line of CONFIG_MAX_LINE bytes holds at most this many words. */
#define MAX_WORDS	(CONFIG_MAX_LINE / 2 + 1)

/* How much of a word an error message quotes. */
#define QUOTE_MAX	"64"

struct parse_ctx {
	const char *path;
	struct steer_config *cfg;
	char *err;
	size_t errlen;
	size_t errpos;
	int n_errors;		/* all of them, also those not written */
	int line;		/* 1-based; 0 while checking the whole file */
	int n_wan_lines;	/* "wan" statements, valid or not */
	int *keyword_line;	/* per config_keywords[] entry: first line seen */
};

/* ---- error reporting ---------------------------------------------------- */

static void err_vappend(struct parse_ctx *ctx, const char *fmt, va_list ap)
{
	size_t room;
	int n;

	if (!ctx->err || ctx->errlen == 0 || ctx->errpos >= ctx->errlen - 1)
		return;
	room = ctx->errlen - ctx->errpos;
	n = vsnprintf(ctx->err + ctx->errpos, room, fmt, ap);
	if (n < 0)
		return;
	ctx->errpos += (size_t)n < room ? (size_t)n : room - 1;
}

static void __attribute__((format(printf, 2, 3)))
err_append(struct parse_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vappend(ctx, fmt, ap);
	va_end(ap);
}

/* Report one problem on the current line (or the whole file on line 0). */
static void __attribute__((format(printf, 2, 3)))
config_error(struct parse_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (++ctx->n_errors > CONFIG_MAX_ERRORS)
		return;
	if (ctx->errpos)
		err_append(ctx, "\n");
	if (ctx->line)
		err_append(ctx, "%s:%d: ", ctx->path, ctx->line);
	else
		err_append(ctx, "%s: ", ctx->path);
	va_start(ap, fmt);
	err_vappend(ctx, fmt, ap);
	va_end(ap);
}

/* ---- token parsers -------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool all_digits(const char *s)
{
	for (; *s; s++)
		if (!is_digit(*s))
			return false;
	return true;
}

/*
 * Accumulate the decimal digits at @s into @val; on overflow of @max set
 * @over and keep scanning.  Returns the first non-digit.
 */
static const char *scan_digits(const char *s, uint64_t max, uint64_t *val, bool *over)
{
	for (; is_digit(*s); s++) {
		unsigned int d = *s - '0';

		if (*over)
			continue;
		if (d > max || *val > (max - d) / 10)
			*over = true;
		else
			*val = *val * 10 + d;
	}
	return s;
}

/*
 * A plain decimal unsigned integer in @min..@max: digits only, no sign, no
 * "0x".  -EINVAL when it is not such a number, -ERANGE when it is out of
 * range (a negative number counts as out of range: "-1" is a number).
 */
static int parse_uint_range(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t val = 0;
	bool over = false;

	if (text[0] == '-' && text[1] && all_digits(text + 1))
		return -ERANGE;
	if (!is_digit(text[0]) || !all_digits(text))
		return -EINVAL;
	scan_digits(text, max, &val, &over);
	if (over || val < min)
		return -ERANGE;
	*out = val;
	return 0;
}

/*
 * Seconds with optional decimals ("1", "0.5", "2.250") to milliseconds in
 * @min_ms..@max_ms.  -EINVAL: not such a number; -EDOM: finer than a
 * millisecond; -ERANGE: out of range.
 */
static int parse_seconds_ms(const char *text, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms)
{
	uint64_t secs = 0, ms = 0;
	bool over = false, finer = false;
	const char *p;
	int n_frac = 0;

	if (!is_digit(text[0]))
		return -EINVAL;
	p = scan_digits(text, UINT64_MAX / 1000 - 1000, &secs, &over);
	if (*p == '.') {
		if (!is_digit(*++p))
			return -EINVAL;
		for (; is_digit(*p); p++, n_frac++) {
			if (n_frac < 3)
				ms = ms * 10 + (*p - '0');
			else if (*p != '0')
				finer = true;
		}
		for (; n_frac < 3; n_frac++)
			ms *= 10;
	}
	if (*p)
		return -EINVAL;
	if (finer)
		return -EDOM;
	if (over)
		return -ERANGE;
	ms += secs * 1000;
	if (ms < min_ms || ms > max_ms)
		return -ERANGE;
	*out_ms = ms;
	return 0;
}

static const struct {
	const char *unit;
	uint64_t bps;
} rate_units[] = {
	{ "bit",  1ULL },
	{ "kbit", 1000ULL },
	{ "mbit", 1000000ULL },
	{ "gbit", 1000000000ULL },
	{ "tbit", 1000000000000ULL },
};

/*
 * A rate with a unit as tc(8) writes it, in bits per second with decimal
 * prefixes: "500kbit", "10mbit", "1.5gbit" (units case-insensitive).  Bytes
 * per second ("mbps" in tc means megabytes) are refused as too confusing.
 */
int config_parse_rate(const char *text, __u64 *bps)
{
	uint64_t mantissa = 0, scale = 1, mult = 0;
	bool over = false;
	const char *p;

	if (!is_digit(text[0]))
		return -EINVAL;
	p = scan_digits(text, UINT64_MAX, &mantissa, &over);
	if (*p == '.') {
		if (!is_digit(*++p))
			return -EINVAL;
		for (; is_digit(*p); p++) {
			if (scale >= 1000000000000ULL) {
				if (*p != '0')
					return -EINVAL;	/* finer than we care */
				continue;
			}
			if (!over && mantissa > (UINT64_MAX - (*p - '0')) / 10)
				over = true;
			else if (!over)
				mantissa = mantissa * 10 + (*p - '0');
			scale *= 10;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(rate_units); i++)
		if (strcasecmp(p, rate_units[i].unit) == 0)
			mult = rate_units[i].bps;
	if (!mult)
		return -EINVAL;
	if (over)
		return -ERANGE;
	/* mantissa * mult / scale without overflowing the product */
	if (mult >= scale) {
		mult /= scale;
		if (mantissa > UINT64_MAX / mult)
			return -ERANGE;
		*bps = mantissa * mult;
	} else {
		*bps = mantissa / (scale / mult);
	}
	return 0;
}

/* ---- words and names ---------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * A '#' that starts a word starts a comment ("eth#1" is a name).  For the
 * raw line; split_words() applies the same rule to the words it cuts.
 */
static bool starts_comment(const char *line, size_t i)
{
	return line[i] == '#' && (i == 0 || is_blank(line[i - 1]));
}

/*
 * Split @line in place into NUL-terminated words, up to the comment (a '#'
 * that starts a word).  A line of CONFIG_MAX_LINE bytes cannot hold more
 * than MAX_WORDS words.
 */
static int split_words(char *line, char **words)
{
	int n = 0;
	size_t i = 0;

	for (;;) {
		while (is_blank(line[i]))
			i++;
		/* a word starts at i: a '#' here starts the comment */
		if (!line[i] || line[i] == '#' || n == MAX_WORDS)
			return n;
		words[n++] = line + i;
		while (line[i] && !is_blank(line[i]))
			i++;
		if (!line[i])
			return n;
		line[i++] = '\0';
	}
}

/* Length of the valid UTF-8 sequence at @p (at most @len bytes), or 0. */
static size_t utf8_sequence_len(const unsigned char *p, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		need = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		need = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		need = 4;
	else
		return 0;	/* continuation byte, overlong lead or > U+10FFFF */
	if (p[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (p[0] == 0xed)
		hi = 0x9f;	/* UTF-16 surrogates */
	else if (p[0] == 0xf0)
		lo = 0x90;	/* overlong */
	else if (p[0] == 0xf4)
		hi = 0x8f;	/* > U+10FFFF */
	if (len < need || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < need; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return need;
}

/*
 * Check the bytes of one line (without its line end); report the first
 * problem and return false if there is one.
 */
static bool check_line_bytes(struct parse_ctx *ctx, const char *line, size_t len)
{
	const unsigned char *u = (const unsigned char *)line;
	bool in_comment = false;

	for (size_t i = 0; i < len; i++) {
		size_t seq;

		if (u[i] == '\t' || (u[i] >= 0x20 && u[i] < 0x7f)) {
			if (!in_comment && starts_comment(line, i))
				in_comment = true;
			continue;
		}
		if (u[i] == 0) {
			config_error(ctx, "NUL byte at column %zu: binary data, not a weight file", i + 1);
			return false;
		}
		if (u[i] == '\r') {
			config_error(ctx, "carriage return at column %zu in the middle of a line", i + 1);
			return false;
		}
		if (u[i] < 0x80) {
			config_error(ctx, "control byte 0x%02x at column %zu: binary data, not a weight file",
				     u[i], i + 1);
			return false;
		}
		seq = utf8_sequence_len(u + i, len - i);
		if (!seq) {
			config_error(ctx, "invalid UTF-8 byte 0x%02x at column %zu (save the file as UTF-8 or ASCII)",
				     u[i], i + 1);
			return false;
		}
		if (!in_comment) {
			config_error(ctx, "non-ASCII character at column %zu (only comments may hold UTF-8)",
				     i + 1);
			return false;
		}
		i += seq - 1;
	}
	return true;
}

/*
 * Why @name is not an interface name the kernel would accept
 * (dev_valid_name() in net/core/dev.c), or NULL when it is one.
 * Blanks and non-ASCII never reach here.
 */
static const char *ifname_problem(const char *name)
{
	if (!name[0])
		return "it is empty";
	if (strlen(name) >= OMR_IFNAMSIZ)
		return "it is longer than 15 characters";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "'.' and '..' are not interface names";
	if (strchr(name, '/'))
		return "it contains '/'";
	if (strchr(name, ':'))
		return "it contains ':'";
	return NULL;
}

/* ---- options of a "wan" statement ---------------------------------------- */

struct wan_option {
	const char *name;
	int n_values;		/* words that follow the option */
	bool required;
	const char *usage;	/* what the values look like, for messages */
	int (*parse)(struct parse_ctx *ctx, struct wan_config *wan, char **values);
};

static int wan_opt_weight(struct parse_ctx *ctx, struct wan_config *wan, char **values)
{
	uint64_t weight;
	int rc;

	if (!strcmp(values[0], "auto")) {
		wan->weight = OMR_WEIGHT_AUTO;
		return 0;
	}
	rc = parse_uint_range(values[0], 0, OMR_WEIGHT_MAX, &weight);
	if (rc == -ERANGE)
		config_error(ctx, "weight %." QUOTE_MAX "s out of range 0..%d for wan %s",
			     values[0], OMR_WEIGHT_MAX, wan->name);
	else if (rc)
		config_error(ctx, "weight '%." QUOTE_MAX "s' for wan %s is not a number (expected 0..%d or auto)",
			     values[0], wan->name, OMR_WEIGHT_MAX);
	else
		wan->weight = weight;
	return rc;
}

static int wan_opt_probe(struct parse_ctx *ctx, struct wan_config *wan, char **values)
{
	char msg[160];
	int rc = probe_parse_target(values[0], &wan->probe, msg, sizeof(msg));

	if (rc)
		config_error(ctx, "probe for wan %s: %s", wan->name, msg);
	else
		wan->has_probe = true;
	return rc;
}

static int wan_opt_rate(struct parse_ctx *ctx, struct wan_config *wan, const char *opt,
			const char *text, __u64 *bps)
{
	int rc = config_parse_rate(text, bps);

	if (rc)
		config_error(ctx, "%s '%." QUOTE_MAX "s' for wan %s is not a rate "
			     "(e.g. 500kbit, 20mbit, 1gbit)", opt, text, wan->name);
	else if (wan->min_bps && wan->max_bps && wan->min_bps > wan->max_bps)
		config_error(ctx, "min is above max for wan %s", wan->name);
	return rc;
}

static int wan_opt_min(struct parse_ctx *ctx, struct wan_config *wan, char **values)
{
	return wan_opt_rate(ctx, wan, "min", values[0], &wan->min_bps);
}

static int wan_opt_max(struct parse_ctx *ctx, struct wan_config *wan, char **values)
{
	return wan_opt_rate(ctx, wan, "max", values[0], &wan->max_bps);
}

static int wan_opt_gateway_family(struct parse_ctx *ctx, struct wan_config *wan, char **values,
				  int family)
{
	char msg[200];
	int rc = steering_parse_gateway(&ctx->cfg->steering, wan->name, family, values[0],
					ctx->line, msg, sizeof(msg));

	if (rc)
		config_error(ctx, "%s", msg);
	return rc;
}

static int wan_opt_gateway(struct parse_ctx *ctx, struct wan_config *wan, char **values)
{
	return wan_opt_gateway_family(ctx, wan, values, AF_INET);
}

static int wan_opt_gateway6(struct parse_ctx *ctx, struct wan_config *wan, char **values)
{
	return wan_opt_gateway_family(ctx, wan, values, AF_INET6);
}

static const struct wan_option wan_options[] = {
	{ "weight", 1, true, "0..1000 or auto", wan_opt_weight },
	{ "probe", 1, false, "an address to ping, or ADDR:PORT to connect to", wan_opt_probe },
	{ "min", 1, false, "a rate such as 5mbit", wan_opt_min },
	{ "max", 1, false, "a rate such as 100mbit", wan_opt_max },
	{ "gateway", 1, false, "the IPv4 next hop for flows steered to it", wan_opt_gateway },
	{ "gateway6", 1, false, "the IPv6 next hop for flows steered to it", wan_opt_gateway6 },
};

static const struct wan_option *find_wan_option(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(wan_options); i++)
		if (!strcmp(wan_options[i].name, name))
			return &wan_options[i];
	return NULL;
}

static void list_names(char *buf, size_t size, const char *const *names, size_t n)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && pos < size; i++) {
		int w = snprintf(buf + pos, size - pos, "%s%s", i ? ", " : "", names[i]);

		if (w < 0)
			break;
		pos += w;
	}
}

static void wan_option_names(char *buf, size_t size)
{
	const char *names[ARRAY_SIZE(wan_options)];

	for (size_t i = 0; i < ARRAY_SIZE(wan_options); i++)
		names[i] = wan_options[i].name;
	list_names(buf, size, names, ARRAY_SIZE(wan_options));
}

/* ---- top-level keywords ------------------------------------------------- */

static int kw_interval(struct parse_ctx *ctx, int argc, char **argv)
{
	uint64_t ms;
	int rc;

	if (argc < 2) {
		config_error(ctx, "interval needs a value in seconds (0.1..3600)");
		return -EINVAL;
	}
	if (argc > 2) {
		config_error(ctx, "interval takes one value in seconds, got %d (comments start with '#')",
			     argc - 1);
		return -EINVAL;
	}
	rc = parse_seconds_ms(argv[1], CONFIG_INTERVAL_MIN_MS, CONFIG_INTERVAL_MAX_MS, &ms);
	if (rc == -ERANGE)
		config_error(ctx, "interval %." QUOTE_MAX "s out of range 0.1..3600 seconds", argv[1]);
	else if (rc == -EDOM)
		config_error(ctx, "interval %." QUOTE_MAX "s has more than 3 decimals (a millisecond is the finest)",
			     argv[1]);
	else if (rc)
		config_error(ctx, "interval '%." QUOTE_MAX "s' is not a number of seconds (like 1 or 0.5)",
			     argv[1]);
	else
		ctx->cfg->interval_ms = ms;
	return rc;
}

static int kw_mptcp_scheduler(struct parse_ctx *ctx, int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "yes") && strcmp(argv[1], "no"))) {
		config_error(ctx, "mptcp-scheduler takes yes or no (use omr-steer's MPTCP "
			     "scheduler where the kernel has the hook)");
		return -EINVAL;
	}
	ctx->cfg->mptcp_scheduler = !strcmp(argv[1], "yes");
	return 0;
}

static int kw_wan(struct parse_ctx *ctx, int argc, char **argv)
{
	bool seen[ARRAY_SIZE(wan_options)] = { false };
	struct steer_config *cfg = ctx->cfg;
	int errors_before = ctx->n_errors;
	struct wan_config scratch, *wan;
	const struct wan_config *other;
	const char *problem;
	char expected[128];
	int i;

	ctx->n_wan_lines++;
	if (argc < 2 || find_wan_option(argv[1])) {
		config_error(ctx, "wan needs an interface name: 'wan NAME weight N'");
		return -EINVAL;
	}
	problem = ifname_problem(argv[1]);
	if (problem) {
		config_error(ctx, "invalid interface name '%." QUOTE_MAX "s' for wan: %s", argv[1], problem);
		return -EINVAL;
	}

	/* Options of a wan that cannot be kept are still checked, in scratch. */
	wan = &scratch;
	other = config_find_wan(cfg, argv[1]);
	if (other)
		config_error(ctx, "wan %s already defined on line %d", argv[1], other->line);
	else if (cfg->n_wans >= OMR_MAX_WANS)
		config_error(ctx, "too many wans: %s is one more than the %d supported",
			     argv[1], OMR_MAX_WANS);
	else
		wan = &cfg->wans[cfg->n_wans++];
	memset(wan, 0, sizeof(*wan));
	snprintf(wan->name, sizeof(wan->name), "%s", argv[1]);
	wan->line = ctx->line;

	for (i = 2; i < argc; ) {
		const struct wan_option *opt = find_wan_option(argv[i]);
		size_t idx;

		if (!opt) {
			wan_option_names(expected, sizeof(expected));
			config_error(ctx, "unknown option '%." QUOTE_MAX "s' for wan %s (expected %s)",
				     argv[i], wan->name, expected);
			return -EINVAL;	/* its values cannot be told from options */
		}
		idx = opt - wan_options;
		if (seen[idx])
			config_error(ctx, "%s given twice for wan %s", opt->name, wan->name);
		seen[idx] = true;
		if (argc - i - 1 < opt->n_values) {
			config_error(ctx, "%s needs a value for wan %s (%s)", opt->name, wan->name, opt->usage);
			return -EINVAL;
		}
		opt->parse(ctx, wan, argv + i + 1);
		i += 1 + opt->n_values;
	}

	for (size_t k = 0; k < ARRAY_SIZE(wan_options); k++)
		if (wan_options[k].required && !seen[k])
			config_error(ctx, "wan %s has no %s (add '%s' followed by %s)",
				     wan->name, wan_options[k].name, wan_options[k].name,
				     wan_options[k].usage);
	return ctx->n_errors != errors_before ? -EINVAL : 0;
}

static int kw_schedule(struct parse_ctx *ctx, int argc, char **argv)
{
	struct steer_config *cfg = ctx->cfg;
	struct schedule entry;
	char msg[200];

	if (schedule_parse(&entry, argc, argv, msg, sizeof(msg))) {
		config_error(ctx, "%s", msg);
		return -EINVAL;
	}
	if (cfg->n_schedules >= SCHEDULE_MAX) {
		config_error(ctx, "too many schedule lines (at most %d)", SCHEDULE_MAX);
		return -EINVAL;
	}
	entry.line = ctx->line;
	cfg->schedules[cfg->n_schedules++] = entry;
	return 0;
}

/*
 * Keywords whose grammar lives with the module they configure: it explains
 * a problem in @msg, the parser adds FILE:LINE.
 */
static int delegated(struct parse_ctx *ctx, int rc, const char *msg)
{
	if (rc)
		config_error(ctx, "%s", msg);
	return rc;
}

#define DELEGATE(fn, target) ({							\
		char msg_[200];							\
		delegated(ctx, fn(target, argc, argv, ctx->line, msg_, sizeof(msg_)), msg_); \
	})

static int kw_flows(struct parse_ctx *ctx, int argc, char **argv)
{
	return DELEGATE(steering_parse_flows, &ctx->cfg->steering);
}

static int kw_pin(struct parse_ctx *ctx, int argc, char **argv)
{
	return DELEGATE(steering_parse_pin, &ctx->cfg->steering);
}

static int kw_class(struct parse_ctx *ctx, int argc, char **argv)
{
	return DELEGATE(classes_parse_class, &ctx->cfg->steering.classes);
}

static int kw_rule(struct parse_ctx *ctx, int argc, char **argv)
{
	return DELEGATE(classes_parse_rule, &ctx->cfg->steering.classes);
}

static int kw_metrics(struct parse_ctx *ctx, int argc, char **argv)
{
	return DELEGATE(metrics_parse_listen, &ctx->cfg->metrics);
}

struct config_keyword {
	const char *name;
	bool once;		/* may appear only once in a file */
	int (*parse)(struct parse_ctx *ctx, int argc, char **argv);
};

static const struct config_keyword config_keywords[] = {
	{ "interval", true,  kw_interval },
	{ "wan",      false, kw_wan },
	{ "schedule", false, kw_schedule },
	{ "mptcp-scheduler", true, kw_mptcp_scheduler },
	{ "flows", true, kw_flows },
	{ "pin", false, kw_pin },
	{ "class", false, kw_class },
	{ "rule", false, kw_rule },
	{ "metrics", true, kw_metrics },
};

static void parse_statement(struct parse_ctx *ctx, char *line)
{
	char *words[MAX_WORDS];
	const char *names[ARRAY_SIZE(config_keywords)];
	char expected[256];
	int n = split_words(line, words);

	if (!n)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(config_keywords); i++) {
		const struct config_keyword *kw = &config_keywords[i];

		if (strcmp(kw->name, words[0]))
			continue;
		if (kw->once && ctx->keyword_line[i]) {
			config_error(ctx, "%s already set on line %d (it may appear once)",
				     kw->name, ctx->keyword_line[i]);
			return;
		}
		if (!ctx->keyword_line[i])
			ctx->keyword_line[i] = ctx->line;
		kw->parse(ctx, n, words);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(config_keywords); i++)
		names[i] = config_keywords[i].name;
	list_names(expected, sizeof(expected), names, ARRAY_SIZE(config_keywords));
	config_error(ctx, "unknown keyword '%." QUOTE_MAX "s' (expected %s)", words[0], expected);
}

static bool wan_is_defined(const void *cfg, const char *name)
{
	return config_find_wan(cfg, name) != NULL;
}

/* ---- the file ----------------------------------------------------------- */

int config_parse(const char *path, const char *buf, size_t len,
		 struct steer_config *cfg, char *err, size_t errlen)
{
	int keyword_line[ARRAY_SIZE(config_keywords)] = { 0 };
	struct parse_ctx ctx = {
		.path = path ? path : "(weight file)",
		.cfg = cfg,
		.err = err,
		.errlen = errlen,
		.keyword_line = keyword_line,
	};
	char line[CONFIG_MAX_LINE + 1];
	size_t pos = 0;

	if (err && errlen)
		err[0] = '\0';
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", ctx.path);
	cfg->interval_ms = CONFIG_INTERVAL_DEFAULT_MS;
	cfg->mptcp_scheduler = true;

	if (len > CONFIG_MAX_FILE_SIZE) {
		config_error(&ctx, "too big (more than %d bytes): not a weight file?",
			     CONFIG_MAX_FILE_SIZE);
		return -EINVAL;
	}
	if (len == 0) {
		config_error(&ctx, "empty file (expected at least one 'wan NAME weight N' line)");
		return -EINVAL;
	}
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		pos = 3;	/* UTF-8 byte order mark some editors write */

	while (pos < len) {
		const char *start = buf + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t line_len = nl ? (size_t)(nl - start) : len - pos;

		pos += line_len + (nl ? 1 : 0);
		ctx.line++;
		if (line_len && start[line_len - 1] == '\r')
			line_len--;
		if (line_len > CONFIG_MAX_LINE) {
			config_error(&ctx, "line too long (%zu bytes, at most %d)", line_len, CONFIG_MAX_LINE);
			continue;
		}
		if (!check_line_bytes(&ctx, start, line_len))
			continue;
		memcpy(line, start, line_len);
		line[line_len] = '\0';
		parse_statement(&ctx, line);
	}

	/* a schedule may come before its wan line: check once all are read */
	for (int i = 0; i < cfg->n_schedules; i++) {
		ctx.line = cfg->schedules[i].line;
		if (!config_find_wan(cfg, cfg->schedules[i].wan))
			config_error(&ctx, "schedule for unknown wan %s (add a 'wan %s weight N' line)",
				     cfg->schedules[i].wan, cfg->schedules[i].wan);
	}
	{
		char msg[200];
		int line = 0;

		if (steering_check(&cfg->steering, wan_is_defined, cfg, &line, msg, sizeof(msg))) {
			ctx.line = line;
			config_error(&ctx, "%s", msg);
		}
		if (classes_check(&cfg->steering.classes, wan_is_defined, cfg, &line, msg,
				  sizeof(msg))) {
			ctx.line = line;
			config_error(&ctx, "%s", msg);
		}
	}
	ctx.line = 0;
	if (!ctx.n_wan_lines)
		config_error(&ctx, "no wan defined (add a line 'wan NAME weight N', N in 0..%d or auto)",
			     OMR_WEIGHT_MAX);
	if (ctx.n_errors > CONFIG_MAX_ERRORS) {
		if (ctx.errpos)
			err_append(&ctx, "\n");
		err_append(&ctx, "%s: ... and %d more errors", ctx.path,
			   ctx.n_errors - CONFIG_MAX_ERRORS);
	}
	return ctx.n_errors ? -EINVAL : 0;
}

/*
 * Read all of @fd, at most @max bytes (one more tells it is too big).
 * Returns the length, or a negative errno.
 */
static ssize_t read_all(int fd, char **out, size_t max)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			size_t new_cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *grown;

			if (new_cap == cap)
				break;	/* max + 1 bytes read: too big */
			grown = realloc(buf, new_cap);
			if (!grown) {
				free(buf);
				return -ENOMEM;
			}
			buf = grown;
			cap = new_cap;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = -errno;

			free(buf);
			return rc;
		}
		if (n == 0)
			break;
		len += n;
	}
	*out = buf;
	return len;
}

static int report_unreadable(const char *path, int rc, struct steer_config *cfg,
			     char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	if (err && errlen)
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
	return rc;
}

/* What a non-regular file is, for "FILE: not a regular file (a FIFO)". */
static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a file";
}

static int report_not_regular(const char *path, mode_t mode, struct steer_config *cfg,
			      char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", path);
	if (err && errlen)
		snprintf(err, errlen, "%s: not a regular file (%s); the weight file must be one",
			 path, file_kind(mode));
	return S_ISDIR(mode) ? -EISDIR : -EINVAL;
}

/*
 * Only a regular file is read: a FIFO would block the open (and the agent
 * with it, on SIGHUP) until a writer comes, a device may never end.  The
 * type is checked before opening (opening a device can have effects) and
 * again on what was opened, which O_NONBLOCK keeps from blocking if the
 * path was swapped in between.  A regular file is read to its end or to
 * CONFIG_MAX_FILE_SIZE + 1 bytes, whichever comes first.
 */
int config_load(const char *path, struct steer_config *cfg, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	ssize_t len;
	int fd, rc;

	if (stat(path, &st))
		return report_unreadable(path, errno ? -errno : -EIO, cfg, err, errlen);
	if (!S_ISREG(st.st_mode))
		return report_not_regular(path, st.st_mode, cfg, err, errlen);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return report_unreadable(path, errno ? -errno : -EIO, cfg, err, errlen);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		rc = errno;
		close(fd);
		if (S_ISREG(st.st_mode))
			return report_unreadable(path, rc ? -rc : -EIO, cfg, err, errlen);
		return report_not_regular(path, st.st_mode, cfg, err, errlen);
	}
	len = read_all(fd, &buf, CONFIG_MAX_FILE_SIZE);
	close(fd);
	if (len < 0 || !buf)
		return report_unreadable(path, len < 0 ? (int)len : -EIO, cfg, err, errlen);
	rc = config_parse(path, buf, len, cfg, err, errlen);
	free(buf);
	return rc;
}

const struct wan_config *config_find_wan(const struct steer_config *cfg, const char *name)
{
	for (int i = 0; i < cfg->n_wans; i++)
		if (!strncmp(cfg->wans[i].name, name, OMR_IFNAMSIZ))
			return &cfg->wans[i];
	return NULL;
}
