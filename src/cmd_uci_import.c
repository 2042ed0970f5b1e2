// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `omr-steer uci-import`: the weight file from OpenWrt's UCI configuration.
 *
 * Inputs: /etc/config/network (its `config interface` sections; OMR marks
 * each WAN `option multipath 'master'|'on'|'backup'|'off'` and its speed
 * test leaves `option uploadspeed`/`downloadspeed` in kbit/s) and
 * omr-steer's own /etc/config/omr-steer (optional):
 *
 *   config globals          interval, flows, mptcp_scheduler, metrics
 *   config wan 'IFACE'      weight, probe, min, max, gateway, gateway6,
 *                           device (the steered netdev), enabled '0'
 *   config schedule         wan, weight, days, time
 *   config pin              dst, proto, port, wan | bypass '1'
 *   config class 'NAME'     policy (weighted|lowest-rtt|wan|prefer), list wan
 *   config rule             proto, sport, dport, dscp, src, dst, class
 *
 * WANs are named by their UCI interface (wan1), which becomes the device
 * steered (eth0.1, pppoe-wan2).  What is managed, with what weight, when
 * the own file says nothing of an interface:
 *   multipath master|on|handover  weighted: uploadspeed (else downloadspeed)
 *                                 scaled so the fastest gets 1000; no speed
 *                                 -> auto
 *   multipath backup              weight 0
 *   multipath off, or none        not managed (a `config wan` manages it,
 *                                 weight auto unless it says one)
 * The device: `device` of the own `config wan`; else `<proto>-<iface>` for
 * the PPP protocols (netifd names pppoe's link pppoe-wan2); else the
 * interface's `device` (OpenWrt >= 21.02), else its older `ifname`.  A
 * path there (qmi, mbim, ncm, modemmanager: /dev/cdc-wdm0) is the modem's
 * control device, not a netdev: the own `config wan` must name it.
 *
 * The text is validated by config_parse() before anything is written;
 * its errors are reported at the UCI line the statement came from.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "config.h"
#include "log.h"
#include "uci.h"

#define MAX_IFACES	64
#define MAX_LINES	1024	/* more than every limit of the weight file together */

struct iface {
	const struct uci_section *net, *own;
	const char *role;		/* multipath, or NULL */
	char dev[UCI_MAX_WORD + 1];
	const char *weight;		/* the own `weight`, or NULL */
	char derived[16];		/* the weight from the role and speeds */
	unsigned long speed;		/* kbit/s, 0 = unknown */
	const char *speed_opt;
};

struct gen {
	const struct uci_file *net, *own;
	char *text;
	size_t len, cap;
	int nlines;
	const char *origin_path[MAX_LINES + 1];	/* per generated line, 1-based */
	int origin_line[MAX_LINES + 1];
	char *err;
	size_t errlen, errpos;
	int nerr;
	struct iface ifaces[MAX_IFACES];
	int n_ifaces;
};

static void gen_error(struct gen *g, const char *path, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	g->nerr++;
	if (g->nerr > CONFIG_MAX_ERRORS || !g->err || g->errpos + 1 >= g->errlen)
		return;
	n = snprintf(g->err + g->errpos, g->errlen - g->errpos, "%s%s:%d: ",
		     g->errpos ? "\n" : "", path, line);
	if (n > 0)
		g->errpos = g->errpos + n < g->errlen ? g->errpos + n : g->errlen - 1;
	va_start(ap, fmt);
	n = vsnprintf(g->err + g->errpos, g->errlen - g->errpos, fmt, ap);
	va_end(ap);
	if (n > 0)
		g->errpos = g->errpos + n < g->errlen ? g->errpos + n : g->errlen - 1;
}

/* One line of the weight file, from @path:@line of a UCI file. */
static void emit(struct gen *g, const char *path, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (g->nlines >= MAX_LINES) {
		gen_error(g, path, line, "more than %d statements: more than the weight file takes",
			  MAX_LINES);
		return;
	}
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(g->text + g->len, g->cap - g->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && g->len + n + 1 < g->cap)
			break;
		g->cap = g->cap * 2 + n + 2;
		g->text = realloc(g->text, g->cap);
		if (!g->text)
			abort();
	}
	g->len += n;
	g->text[g->len++] = '\n';
	g->text[g->len] = '\0';
	g->nlines++;
	g->origin_path[g->nlines] = path;
	g->origin_line[g->nlines] = line;
}

/* A value that goes into the weight file as one word. */
static const char *word(struct gen *g, const struct uci_option *o)
{
	const unsigned char *p = (const unsigned char *)o->value;

	if (!*p) {
		gen_error(g, g->own->path, o->line, "option %s: empty value", o->name);
		return NULL;
	}
	if (*p == '#')
		goto bad;
	for (; *p; p++)
		if (*p <= ' ' || *p >= 0x7f)
			goto bad;
	return o->value;
bad:
	gen_error(g, g->own->path, o->line, "option %s '%s': one word expected (printable "
		  "ASCII, no blanks, not starting with '#')", o->name, o->value);
	return NULL;
}

/* Is every option of @s one of @known (NULL-terminated)?  Report the rest. */
static void check_options(struct gen *g, const struct uci_section *s, const char *const *known)
{
	for (const struct uci_option *o = s->options; o; o = o->next) {
		const char *const *k;

		for (k = known; *k && strcmp(*k, o->name); k++)
			;
		if (!*k)
			gen_error(g, g->own->path, o->line, "config %s: unknown option '%s'",
				  s->type, o->name);
		else if (o->is_list && strcmp(o->name, "wan"))
			gen_error(g, g->own->path, o->line, "config %s: '%s' is an option, not a list",
				  s->type, o->name);
	}
}

static const char *role_of(struct gen *g, const struct uci_section *net)
{
	const struct uci_option *m = uci_get(net, "multipath");
	static const char *const roles[] = { "master", "on", "handover", "backup", "off" };

	if (!m)
		return NULL;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (!strcmp(m->value, roles[i]))
			return roles[i];
	gen_error(g, g->net->path, m->line, "interface '%s': multipath '%s': expected master, on, "
		  "handover, backup or off", net->name, m->value);
	return NULL;
}

static bool is_ppp(const char *proto)
{
	static const char *const ppp[] = { "pppoe", "pppoa", "ppp", "3g", "pptp", "l2tp" };

	for (size_t i = 0; i < sizeof(ppp) / sizeof(ppp[0]); i++)
		if (!strcmp(proto, ppp[i]))
			return true;
	return false;
}

/* The netdev steered for @i: see the comment at the top. */
static void resolve_device(struct gen *g, struct iface *i)
{
	const struct uci_option *own_dev = i->own ? uci_get(i->own, "device") : NULL;
	const struct uci_option *proto = uci_get(i->net, "proto");
	const struct uci_option *d = uci_get(i->net, "device");

	if (own_dev) {
		if (word(g, own_dev))
			snprintf(i->dev, sizeof(i->dev), "%s", own_dev->value);
		return;
	}
	if (proto && is_ppp(proto->value)) {
		snprintf(i->dev, sizeof(i->dev), "%s-%s", proto->value, i->net->name);
		return;
	}
	if (!d)
		d = uci_get(i->net, "ifname");
	if (!d || !*d->value) {
		gen_error(g, g->net->path, i->net->line, "interface '%s' has no device (option "
			  "device or ifname): name the interface to steer with option device "
			  "in config wan '%s' of %s", i->net->name, i->net->name,
			  g->own ? g->own->path : "/etc/config/omr-steer");
		return;
	}
	if (d->value[0] == '/' || strpbrk(d->value, " \t") || d->value[0] == '@') {
		gen_error(g, g->net->path, d->line, "interface '%s': %s '%s' is not one network "
			  "interface%s: name the one to steer (e.g. wwan0) with option device in "
			  "config wan '%s' of %s", i->net->name, d->name, d->value,
			  d->value[0] == '/' ? " (a modem's control device)" : "",
			  i->net->name, g->own ? g->own->path : "/etc/config/omr-steer");
		return;
	}
	snprintf(i->dev, sizeof(i->dev), "%s", d->value);
}

/* kbit/s from uploadspeed, else downloadspeed; 0 when neither. */
static unsigned long speed_of(struct gen *g, struct iface *i)
{
	static const char *const opts[] = { "uploadspeed", "downloadspeed" };

	for (size_t k = 0; k < 2; k++) {
		const struct uci_option *o = uci_get(i->net, opts[k]);
		unsigned long v;
		char *end;

		if (!o || !*o->value)
			continue;
		errno = 0;
		v = strtoul(o->value, &end, 10);
		if (*end || errno || o->value[0] == '-' || v > 100000000UL) {
			gen_error(g, g->net->path, o->line, "interface '%s': %s '%s': kbit/s "
				  "expected, a whole number up to 100000000", i->net->name,
				  opts[k], o->value);
			return 0;
		}
		if (v) {
			i->speed_opt = opts[k];
			return v;
		}
	}
	return 0;
}

static void collect_ifaces(struct gen *g)
{
	static const char *const wan_opts[] = { "weight", "probe", "min", "max", "gateway",
						"gateway6", "device", "enabled", NULL };
	unsigned long fastest = 0;

	for (const struct uci_section *s = g->net->sections; s; s = s->next) {
		const struct uci_section *own;
		const struct uci_option *en;
		struct iface *i;
		const char *role;

		if (strcmp(s->type, "interface") || !s->name)
			continue;
		role = role_of(g, s);
		own = g->own ? uci_find(g->own, "wan", s->name) : NULL;
		en = own ? uci_get(own, "enabled") : NULL;
		if (en && (!strcmp(en->value, "0") || !strcmp(en->value, "no") ||
			   !strcmp(en->value, "off") || !strcmp(en->value, "false")))
			continue;
		if (!own && (!role || !strcmp(role, "off")))
			continue;
		if (g->n_ifaces >= MAX_IFACES) {
			gen_error(g, g->net->path, s->line, "more than %d WAN interfaces", MAX_IFACES);
			return;
		}
		i = &g->ifaces[g->n_ifaces++];
		i->net = s;
		i->own = own;
		i->role = role;
		if (own) {
			const struct uci_option *w = uci_get(own, "weight");

			check_options(g, own, wan_opts);
			i->weight = w ? word(g, w) : NULL;
		}
		resolve_device(g, i);
		if (i->weight)
			continue;
		if (role && !strcmp(role, "backup")) {
			strcpy(i->derived, "0");
		} else if (role && strcmp(role, "off")) {
			i->speed = speed_of(g, i);
			if (i->speed > fastest)
				fastest = i->speed;
		}
		if (!i->derived[0] && !i->speed)
			strcpy(i->derived, "auto");
	}
	for (int k = 0; k < g->n_ifaces; k++) {
		struct iface *i = &g->ifaces[k];

		if (i->speed) {
			unsigned long w = (i->speed * 1000 + fastest / 2) / fastest;

			snprintf(i->derived, sizeof(i->derived), "%lu", w ? w : 1);
		}
	}
	/* every own `config wan` names an interface of the network file */
	if (!g->own)
		return;
	for (const struct uci_section *s = g->own->sections; s; s = s->next) {
		const struct uci_section *n;

		if (strcmp(s->type, "wan"))
			continue;
		if (!s->name) {
			gen_error(g, g->own->path, s->line, "config wan: name it after its interface "
				  "in %s: config wan 'wan1'", g->net->path);
			continue;
		}
		n = uci_find(g->net, "interface", s->name);
		if (!n)
			gen_error(g, g->own->path, s->line, "config wan '%s': %s has no interface "
				  "'%s'", s->name, g->net->path, s->name);
	}
}

/* The device of the managed WAN @name (its UCI interface or its device). */
static const char *wan_ref(struct gen *g, const struct uci_option *o)
{
	for (int k = 0; k < g->n_ifaces; k++)
		if (!strcmp(g->ifaces[k].net->name, o->value))
			return g->ifaces[k].dev;
	for (int k = 0; k < g->n_ifaces; k++)
		if (!strcmp(g->ifaces[k].dev, o->value))
			return g->ifaces[k].dev;
	gen_error(g, g->own->path, o->line, "%s '%s': not a WAN omr-steer manages (an interface "
		  "of %s with multipath master, on or backup, or a config wan section)",
		  o->name, o->value, g->net->path);
	return NULL;
}

/* Append " KEY VALUE" for each option of @s named in @keys that is set. */
static void append_opts(struct gen *g, char *buf, size_t len, const struct uci_section *s,
			const char *const *keys)
{
	for (const char *const *k = keys; *k; k++) {
		const struct uci_option *o = uci_get(s, *k);
		const char *v = o ? word(g, o) : NULL;
		size_t used = strlen(buf);

		if (v)
			snprintf(buf + used, len - used, " %s %s", *k, v);
	}
}

static void emit_globals(struct gen *g)
{
	static const char *const known[] = { "interval", "flows", "mptcp_scheduler", "metrics", NULL };
	const struct uci_section *s;
	int seen = 0;

	for (s = g->own->sections; s; s = s->next) {
		const struct uci_option *o;

		if (strcmp(s->type, "globals"))
			continue;
		if (seen++) {
			gen_error(g, g->own->path, s->line, "a second config globals: merge them");
			continue;
		}
		check_options(g, s, known);
		if ((o = uci_get(s, "interval")) && word(g, o))
			emit(g, g->own->path, o->line, "interval %s", o->value);
		if ((o = uci_get(s, "flows")) && word(g, o))
			emit(g, g->own->path, o->line, "flows %s", o->value);
		if ((o = uci_get(s, "mptcp_scheduler"))) {
			const char *v = o->value;

			if (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"))
				v = "yes";
			else if (!strcmp(v, "0") || !strcmp(v, "off") || !strcmp(v, "false"))
				v = "no";
			if (word(g, o))
				emit(g, g->own->path, o->line, "mptcp-scheduler %s", v);
		}
		/* `metrics ADDR:PORT`: served by the agent (see the weight file) */
		if ((o = uci_get(s, "metrics")) && word(g, o))
			emit(g, g->own->path, o->line, "metrics %s", o->value);
	}
}

static void emit_wans(struct gen *g)
{
	static const char *const opts[] = { "probe", "min", "max", "gateway", "gateway6", NULL };

	for (int k = 0; k < g->n_ifaces; k++) {
		struct iface *i = &g->ifaces[k];
		const char *path = i->own ? g->own->path : g->net->path;
		int line = i->own ? i->own->line : i->net->line;
		char rest[4 * (UCI_MAX_WORD + 16)] = "";

		if (!i->dev[0])
			continue;
		if (i->weight)
			emit(g, path, line, "# %s: weight from %s", i->net->name, g->own->path);
		else if (i->speed)
			emit(g, path, line, "# %s: multipath %s, %s %lu kbit/s", i->net->name,
			     i->role, i->speed_opt, i->speed);
		else
			emit(g, path, line, "# %s: %s%s%s", i->net->name, i->role ? "multipath " : "",
			     i->role ? i->role : "no multipath",
			     i->own ? ", managed by its config wan" : "");
		if (i->own)
			append_opts(g, rest, sizeof(rest), i->own, opts);
		if (i->weight)
			line = uci_get(i->own, "weight")->line;
		emit(g, path, line, "wan %s weight %s%s", i->dev, i->weight ? i->weight : i->derived,
		     rest);
	}
}

static void emit_schedules_pins(struct gen *g)
{
	static const char *const sched_known[] = { "wan", "weight", "days", "time", NULL };
	static const char *const pin_known[] = { "dst", "proto", "port", "wan", "bypass", NULL };

	for (const struct uci_section *s = g->own->sections; s; s = s->next) {
		const struct uci_option *wan = uci_get(s, "wan"), *o;
		const char *dev = NULL;
		char buf[4 * (UCI_MAX_WORD + 16)] = "";

		if (!strcmp(s->type, "schedule")) {
			const struct uci_option *w = uci_get(s, "weight"), *t = uci_get(s, "time"),
						*d = uci_get(s, "days");

			check_options(g, s, sched_known);
			if (!wan || !w || !t) {
				gen_error(g, g->own->path, s->line, "config schedule needs option wan, "
					  "option weight and option time ('08:00-18:00')");
				continue;
			}
			dev = wan_ref(g, wan);
			if (dev && word(g, w) && word(g, t) && (!d || word(g, d)))
				emit(g, g->own->path, s->line, "schedule %s weight %s %s%s%s", dev,
				     w->value, d ? d->value : "", d ? " " : "", t->value);
		} else if (!strcmp(s->type, "pin")) {
			const struct uci_option *dst = uci_get(s, "dst"), *by = uci_get(s, "bypass");
			bool bypass = by && strcmp(by->value, "0");

			check_options(g, s, pin_known);
			if (!dst || (!wan && !bypass) || (wan && bypass)) {
				gen_error(g, g->own->path, s->line, "config pin needs option dst and "
					  "either option wan or option bypass '1'");
				continue;
			}
			if (!bypass && !(dev = wan_ref(g, wan)))
				continue;
			if (!word(g, dst))
				continue;
			if ((o = uci_get(s, "proto")) && word(g, o))
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " proto %s", o->value);
			if ((o = uci_get(s, "port")) && word(g, o))
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " port %s", o->value);
			emit(g, g->own->path, s->line, "pin dst %s%s %s%s", dst->value, buf,
			     bypass ? "bypass" : "wan ", bypass ? "" : dev);
		}
	}
}

static void emit_classes_rules(struct gen *g)
{
	static const char *const class_known[] = { "policy", "wan", NULL };
	static const char *const rule_known[] = { "proto", "sport", "dport", "dscp", "src", "dst",
						  "class", NULL };
	static const char *const rule_fields[] = { "proto", "sport", "dport", "dscp", "src", "dst",
						   NULL };

	for (const struct uci_section *s = g->own->sections; s; s = s->next) {
		char buf[8 * (UCI_MAX_WORD + 16)] = "";

		if (!strcmp(s->type, "class")) {
			const struct uci_option *p = uci_get(s, "policy");

			check_options(g, s, class_known);
			if (!s->name || !p) {
				gen_error(g, g->own->path, s->line, "config class needs a name and "
					  "option policy: config class 'voip' / option policy "
					  "'lowest-rtt'");
				continue;
			}
			if (!word(g, p))
				continue;
			for (const struct uci_option *o = s->options; o; o = o->next) {
				const char *dev;

				if (strcmp(o->name, "wan") || !(dev = wan_ref(g, o)))
					continue;
				snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), " %s", dev);
			}
			emit(g, g->own->path, s->line, "class %s %s%s", s->name, p->value, buf);
		} else if (!strcmp(s->type, "rule")) {
			const struct uci_option *c = uci_get(s, "class");

			check_options(g, s, rule_known);
			if (!c) {
				gen_error(g, g->own->path, s->line, "config rule needs option class");
				continue;
			}
			append_opts(g, buf, sizeof(buf), s, rule_fields);
			if (word(g, c))
				emit(g, g->own->path, s->line, "rule%s class %s", buf, c->value);
		} else if (strcmp(s->type, "wan") && strcmp(s->type, "globals") &&
			   strcmp(s->type, "schedule") && strcmp(s->type, "pin")) {
			gen_error(g, g->own->path, s->line, "unknown section type '%s' (globals, wan, "
				  "schedule, pin, class, rule)", s->type);
		}
	}
}

/*
 * @msg with every "line N" of the generated text made "FILE:LINE", the UCI
 * line it came from.
 */
static const char *relined(struct gen *g, const char *msg)
{
	static char out[2048];
	size_t o = 0;

	while (*msg && o + 1 < sizeof(out)) {
		char *end;
		long n;

		if (!strncmp(msg, "line ", 5) && (n = strtol(msg + 5, &end, 10)) > 0 &&
		    n <= g->nlines && end != msg + 5) {
			int k = snprintf(out + o, sizeof(out) - o, "%s:%d",
					 g->origin_path[n], g->origin_line[n]);

			if (k < 0 || (size_t)k >= sizeof(out) - o)
				break;
			o += k;
			msg = end;
			continue;
		}
		out[o++] = *msg++;
	}
	out[o] = '\0';
	return out;
}

/*
 * Run config_parse() on the text; report its errors at the UCI lines the
 * statements came from.
 */
static void validate(struct gen *g, const char *out_path)
{
	static struct steer_config cfg;
	char perr[8192];
	size_t plen = strlen(out_path);

	if (!config_parse(out_path, g->text, g->len, &cfg, perr, sizeof(perr)))
		return;
	for (char *l = perr, *next; l && *l; l = next) {
		char *end;
		long n;

		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(l, out_path, plen) && l[plen] == ':' &&
		    (n = strtol(l + plen + 1, &end, 10)) > 0 && n <= g->nlines && *end == ':') {
			char *nl = strchr(g->text, '\n');
			const char *gl = g->text;

			for (long k = 1; k < n && nl; k++) {
				gl = nl + 1;
				nl = strchr(gl, '\n');
			}
			gen_error(g, g->origin_path[n], g->origin_line[n], "%s (in `%.*s`)",
				  relined(g, end + 2), nl ? (int)(nl - gl) : (int)strlen(gl), gl);
		} else {
			g->nerr++;
			if (g->err && g->errpos + 1 < g->errlen) {
				int k = snprintf(g->err + g->errpos, g->errlen - g->errpos, "%s%s",
						 g->errpos ? "\n" : "", l);

				if (k > 0)
					g->errpos = g->errpos + k < g->errlen ? g->errpos + k :
						    g->errlen - 1;
			}
		}
	}
}

int uci_import(const char *network_path, const char *config_path, const char *out_path,
	       char **text, char *err, size_t errlen)
{
	struct uci_file net = { 0 }, own = { 0 };
	static struct gen g;
	int ret;

	*text = NULL;
	memset(&g, 0, sizeof(g));
	g.err = err;
	g.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	ret = uci_load(network_path, &net, err, errlen);
	if (ret)
		return ret;
	if (config_path) {
		ret = uci_load(config_path, &own, err, errlen);
		if (ret) {
			uci_free(&net);
			return ret;
		}
	}
	g.net = &net;
	g.own = config_path ? &own : NULL;
	g.cap = 4096;
	g.text = malloc(g.cap);
	if (!g.text) {
		ret = -ENOMEM;
		goto out;
	}
	g.text[0] = '\0';
	emit(&g, network_path, 1, "# Written by `omr-steer uci-import` from %s%s%s:",
	     network_path, config_path ? " and " : "", config_path ? config_path : "");
	emit(&g, network_path, 1, "# change %s and import again (the init script does on "
	     "start and reload).", config_path ? "those" : "it");
	collect_ifaces(&g);
	if (g.own)
		emit_globals(&g);
	emit_wans(&g);
	if (g.own) {
		emit_schedules_pins(&g);
		emit_classes_rules(&g);
	}
	if (!g.nerr && !g.n_ifaces)
		gen_error(&g, network_path, 1, "no WAN to manage: no interface has multipath "
			  "master, on or backup, and %s has no config wan section",
			  config_path ? config_path : "no omr-steer UCI file was given, so it");
	if (!g.nerr)
		validate(&g, out_path);
	if (g.nerr > CONFIG_MAX_ERRORS && err && g.errpos + 1 < errlen)
		snprintf(err + g.errpos, errlen - g.errpos, "\n... and %d more errors",
			 g.nerr - CONFIG_MAX_ERRORS);
	ret = g.nerr ? -EINVAL : 0;
out:
	if (ret)
		free(g.text);
	else
		*text = g.text;
	uci_free(&net);
	if (config_path)
		uci_free(&own);
	return ret;
}

/* Write @text to @path through a temporary file in the same directory. */
static int write_atomic(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	size_t len = strlen(text), off = 0;
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0) {
			ret = -errno;
			break;
		}
		off += n;
	}
	if (!ret && (fchmod(fd, 0644) || fsync(fd)))
		ret = -errno;
	if (close(fd) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int cmd_uci_import(const struct cli_opts *o)
{
	const char *own = o->config_given ? o->config_path : UCI_CONFIG_DEFAULT;
	const char *out = o->output_path ? o->output_path : CONFIG_DEFAULT_PATH;
	char err[8192];
	char *text;
	int ret;

	/* the default own file is optional; one named with -c must exist */
	if (!o->config_given && access(own, F_OK) && errno == ENOENT)
		own = NULL;
	ret = uci_import(o->network_path ? o->network_path : UCI_NETWORK_DEFAULT, own, out,
			 &text, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s\n", err);
		if (strcmp(out, "-"))
			fprintf(stderr, "%s: nothing written\n", out);
		return ret == -EINVAL ? EXIT_USAGE : EXIT_RUNTIME;
	}
	if (o->output_path && !strcmp(o->output_path, "-")) {
		fputs(text, stdout);
		free(text);
		return EXIT_OK;
	}
	ret = write_atomic(out, text);
	free(text);
	if (ret) {
		fprintf(stderr, "cannot write %s: %s; nothing written\n", out, strerror(-ret));
		return EXIT_RUNTIME;
	}
	printf("%s: written\n", out);
	return EXIT_OK;
}
