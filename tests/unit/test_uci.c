// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * UCI files (src/uci.c) and `uci-import`'s mapping to a weight file
 * (src/cmd_uci_import.c), on OMR-style fixtures in tests/fixtures/uci/.
 * Run from the source tree (tests/run does).
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include "cli.h"
#include "config.h"
#include "test.h"
#include "uci.h"

#define FIX "tests/fixtures/uci/"
#define ERRLEN 8192

static char err[ERRLEN];

static int parse(const char *text, struct uci_file *f)
{
	return uci_parse("t.uci", text, strlen(text), f, err, sizeof(err));
}

static const char *opt(const struct uci_file *f, const char *sec, const char *name)
{
	const struct uci_section *s = uci_find(f, NULL, sec);
	const struct uci_option *o = s ? uci_get(s, name) : NULL;

	return o ? o->value : NULL;
}

static int opt_line(const struct uci_file *f, const char *sec, const char *name)
{
	const struct uci_section *s = uci_find(f, NULL, sec);
	const struct uci_option *o = s ? uci_get(s, name) : NULL;

	return o ? o->line : -1;
}

TEST(uci_lexer_quoting)
{
	struct uci_file f;
	const char *text =
		"package network\r\n"
		"# a comment line\n"
		"\n"
		"config interface 'wan1'   # a comment after a statement\n"
		"\toption a 'single \\ \"literal\"'\n"
		"\toption b \"double \\\"escaped\\\" \\\\ 'x'\"\n"
		"\toption c un\\ quoted\n"
		"\toption d foo'bar'\"baz\"\r\n"
		"\toption e ''\n"
		"\toption f eth#1\n"
		"\tlist dns '9.9.9.9'\n"
		"\tlist dns \"149.112.112.112\"\n"
		"config device\n"
		"\toption name 'eth0.1'\n";

	if (!ASSERT_EQ(parse(text, &f), 0, "parse")) {
		TEST_MSG("%s", err);
		return;
	}
	ASSERT_STREQ(opt(&f, "wan1", "a"), "single \\ \"literal\"", "single quotes: literal");
	ASSERT_STREQ(opt(&f, "wan1", "b"), "double \"escaped\" \\ 'x'", "double quotes: escapes");
	ASSERT_STREQ(opt(&f, "wan1", "c"), "un quoted", "backslash-blank unquoted");
	ASSERT_STREQ(opt(&f, "wan1", "d"), "foobarbaz", "adjacent parts make one word");
	ASSERT_STREQ(opt(&f, "wan1", "e"), "", "empty value");
	ASSERT_STREQ(opt(&f, "wan1", "f"), "eth#1", "# inside a word");
	ASSERT_STREQ(opt(&f, "wan1", "dns"), "149.112.112.112", "last list element");
	ASSERT_EQ(opt_line(&f, "wan1", "a"), 5, "line of option a");
	ASSERT_EQ(opt_line(&f, "wan1", "d"), 8, "line after a CRLF line");
	{
		const struct uci_section *s = f.sections;
		const struct uci_option *o;
		int n = 0;

		ASSERT_STREQ(s->type, "interface", "first section type");
		for (o = s->options; o; o = o->next)
			n += o->is_list;
		ASSERT_EQ(n, 2, "list elements");
		ASSERT_TRUE(s->next && !s->next->name, "second section anonymous");
		ASSERT_STREQ(s->next ? s->next->type : NULL, "device", "second section type");
	}
	uci_free(&f);
}

/* A section named again continues it, as libuci merges them. */
TEST(uci_lexer_same_name)
{
	struct uci_file f;

	if (!ASSERT_EQ(parse("config interface wan1\n\toption device eth1\n"
			     "config interface wan2\n"
			     "config interface wan1\n\toption multipath master\n", &f), 0, "parse")) {
		TEST_MSG("%s", err);
		return;
	}
	ASSERT_STREQ(opt(&f, "wan1", "device"), "eth1", "first part");
	ASSERT_STREQ(opt(&f, "wan1", "multipath"), "master", "second part");
	ASSERT_TRUE(f.sections && f.sections->next && !f.sections->next->next, "two sections");
	uci_free(&f);
	ASSERT_EQ(parse("config interface wan1\nconfig device wan1\n", &f), -EINVAL, "other type");
	ASSERT_CONTAINS(err, "t.uci:2: section 'wan1' is of type 'interface' (line 1), not 'device'", "message");
}

TEST(uci_lexer_continuation)
{
	struct uci_file f;
	const char *text =
		"config interface wan1\n"
		"\toption device \\\n"
		"\t\teth0.1\n"
		"\toption proto \"dh\\\n"	/* inside double quotes: an error */
		"cp\"\n";
	const char *good =
		"config interface wan1\n"
		"\toption device \\\n"
		"\t\teth0.1\n"
		"\toption proto dhcp\n";

	if (ASSERT_EQ(parse(good, &f), 0, "continued statement")) {
		ASSERT_STREQ(opt(&f, "wan1", "device"), "eth0.1", "value on the next line");
		ASSERT_EQ(opt_line(&f, "wan1", "device"), 2, "line where it starts");
		ASSERT_EQ(opt_line(&f, "wan1", "proto"), 4, "lines counted after it");
		uci_free(&f);
	} else {
		TEST_MSG("%s", err);
	}
	ASSERT_EQ(parse(text, &f), -EINVAL, "newline in a quote");
	ASSERT_CONTAINS(err, "t.uci:4: unterminated double quote", "its line");
}

TEST(uci_lexer_errors)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "option a b\n", "t.uci:1: `option` before any `config` line" },
		{ "config x y\n\n\toption a 'b\n", "t.uci:3: unterminated single quote" },
		{ "config x y\n\toption a b c\n", "t.uci:2: `option` takes a name and one value" },
		{ "config x y\n\toption a\n", "t.uci:2: `option` takes a name and one value" },
		{ "config x y\n\tlist a b c\n", "t.uci:2: `list` takes a name and one value" },
		{ "config x y\n\toptoin a b\n", "t.uci:2: unknown keyword 'optoin'" },
		{ "config\n", "t.uci:1: `config` takes a type" },
		{ "config x y z\n", "t.uci:1: `config` takes a type and an optional name" },
		{ "config x y\n\toption a b c d\n", "t.uci:2: too many words" },
		{ "config x 'a b'\n", "t.uci:1: invalid section name 'a b'" },
		{ "config 'x!' y\n", "t.uci:1: invalid section type 'x!'" },
		{ "config x y\n\toption 'a-b' c\n", "t.uci:2: invalid option name 'a-b'" },
		{ "config x y\n\n\n\toption a \"b\n", "t.uci:4: unterminated double quote" },
	};
	struct uci_file f;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].text, &f);

		if (!ASSERT_EQ(rc, -EINVAL, cases[i].text))
			uci_free(&f);
		else if (!ASSERT_CONTAINS(err, cases[i].want, cases[i].text))
			TEST_MSG("input: %s", cases[i].text);
	}
	/* binary data */
	{
		static const char bin[] = "config x y\n\toption a b\0c\n";

		ASSERT_EQ(uci_parse("t.uci", bin, sizeof(bin) - 1, &f, err, sizeof(err)), -EINVAL,
			  "NUL byte");
		ASSERT_CONTAINS(err, "t.uci:2: binary data", "NUL byte line");
	}
	/* a word longer than UCI_MAX_WORD */
	{
		size_t n = UCI_MAX_WORD + 40;
		char *big = malloc(n + 32);

		strcpy(big, "config x y\n\toption a ");
		memset(big + strlen(big), 'x', UCI_MAX_WORD + 1);
		big[strlen("config x y\n\toption a ") + UCI_MAX_WORD + 1] = '\0';
		ASSERT_EQ(parse(big, &f), -EINVAL, "long word");
		ASSERT_CONTAINS(err, "t.uci:2: a word longer than", "long word line");
		free(big);
	}
}

static char *read_all(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	if (!fp)
		return NULL;
	buf = calloc(1, 1 << 16);
	n = fread(buf, 1, (1 << 16) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

TEST(uci_import_omr_4wan)
{
	static struct steer_config cfg;
	char *text = NULL, *want = read_all(FIX "want-4wan.conf");
	int rc;

	if (!ASSERT_TRUE(want, "fixture " FIX "want-4wan.conf (run from the source tree)"))
		return;
	rc = uci_import(FIX "network-4wan", NULL, "out.conf", &text, err, sizeof(err));
	if (!ASSERT_EQ(rc, 0, "uci_import")) {
		TEST_MSG("%s", err);
		free(want);
		return;
	}
	/* master 40000 -> 1000, on 10000 -> 250, backup -> 0, off and lan left out */
	ASSERT_STREQ(text, want, "the weight file a person would write");
	ASSERT_EQ(config_parse("out.conf", text, strlen(text), &cfg, err, sizeof(err)), 0,
		  "check accepts it");
	ASSERT_EQ(cfg.n_wans, 3, "WANs");
	ASSERT_STREQ(cfg.wans[1].name, "pppoe-wan2", "PPPoE device");
	ASSERT_EQ(cfg.wans[1].weight, 250, "PPPoE weight");
	free(text);
	free(want);
}

TEST(uci_import_own_config)
{
	static struct steer_config cfg;
	char *text = NULL;
	int rc = uci_import(FIX "network-lte", FIX "omr-steer-full", "out.conf", &text, err,
			    sizeof(err));

	if (!ASSERT_EQ(rc, 0, "uci_import")) {
		TEST_MSG("%s", err);
		return;
	}
	ASSERT_CONTAINS(text, "\ninterval 0.5\nflows 131072\nmptcp-scheduler no\n", "globals");
	ASSERT_CONTAINS(text, "\nwan wan weight auto probe 192.0.2.1 min 5mbit max 200mbit\n",
			"master without speed: auto, own options");
	ASSERT_CONTAINS(text, "\nwan pppoe-wan2 weight 1000 probe 192.0.2.1:443\n",
			"pppoe, uploadspeed, own probe");
	ASSERT_CONTAINS(text, "\nwan wwan0 weight 300 gateway 100.64.0.1\n",
			"qmi: own device and weight");
	ASSERT_CONTAINS(text, "\nwan wwan1 weight 0\n", "modemmanager backup: own device, 0");
	ASSERT_CONTAINS(text, "\nschedule wwan0 weight 0 weekend 00:00-24:00\n", "schedule");
	ASSERT_CONTAINS(text, "\npin dst 203.0.113.5 proto udp port 51820 wan pppoe-wan2\n", "pin");
	ASSERT_CONTAINS(text, "\npin dst 10.0.0.0/8 bypass\n", "bypass pin");
	ASSERT_CONTAINS(text, "\nclass backup prefer pppoe-wan2 wan\n", "class from a list");
	ASSERT_CONTAINS(text, "\nrule proto udp dport 5060-5061 class voip\n", "rule");
	ASSERT_EQ(config_parse("out.conf", text, strlen(text), &cfg, err, sizeof(err)), 0,
		  "check accepts it");
	ASSERT_EQ(cfg.n_wans, 4, "WANs");
	free(text);
}

/* Write @text to a temporary file; its path in @path. */
static void tmpfile_with(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/omr-uci-test.XXXXXX");
	fd = mkstemp(path);
	if (fd >= 0) {
		if (write(fd, text, strlen(text)) < 0)
			test_fail();
		close(fd);
	}
}

TEST(uci_import_speeds)
{
	char net[64], *text = NULL;
	int rc;

	tmpfile_with(net,
		"config interface 'a'\n\toption device 'eth1'\n\toption multipath 'master'\n"
		"\toption uploadspeed '3000'\n\toption downloadspeed '90000'\n"
		"config interface 'b'\n\toption device 'eth2'\n\toption multipath 'on'\n"
		"\toption downloadspeed '9000'\n"	/* only download: used */
		"config interface 'c'\n\toption device 'eth3'\n\toption multipath 'handover'\n"
		"\toption uploadspeed '1'\n"		/* tiny: at least 1 */
		"config interface 'd'\n\toption ifname 'eth4'\n\toption multipath 'on'\n"
		"\toption uploadspeed '0'\n");		/* 0 = not measured: auto */
	rc = uci_import(net, NULL, "out.conf", &text, err, sizeof(err));
	if (ASSERT_EQ(rc, 0, "uci_import")) {
		ASSERT_CONTAINS(text, "\nwan eth1 weight 333\n", "3000 of 9000");
		ASSERT_CONTAINS(text, "\nwan eth2 weight 1000\n", "downloadspeed when no upload");
		ASSERT_CONTAINS(text, "\nwan eth3 weight 1\n", "at least 1");
		ASSERT_CONTAINS(text, "\nwan eth4 weight auto\n", "older ifname, no speed: auto");
	} else {
		TEST_MSG("%s", err);
	}
	free(text);
	unlink(net);

	tmpfile_with(net, "config interface 'a'\n\toption device 'eth1'\n"
		     "\toption multipath 'on'\n\toption uploadspeed '10 Mbit'\n");
	ASSERT_EQ(uci_import(net, NULL, "out.conf", &text, err, sizeof(err)), -EINVAL, "bad speed");
	ASSERT_CONTAINS(err, ":4: interface 'a': uploadspeed '10 Mbit': kbit/s expected", "its line");
	unlink(net);
}

TEST(uci_import_errors)
{
	static const struct { const char *net, *own, *want; } cases[] = {
		{ "bad-quote", NULL, FIX "bad-quote:5: unterminated single quote" },
		{ "bad-multipath", NULL, FIX "bad-multipath:3: interface 'wan1': multipath 'primary'" },
		{ "bad-words", NULL, FIX "bad-words:6: `option` takes a name and one value" },
		{ "network-lte", NULL, FIX "network-lte:34: interface 'lte': device '/dev/cdc-wdm0'" },
		{ "network-lte", NULL, FIX "network-lte:43: interface 'nr5g': device '/sys/" },
		{ "network-4wan", "omr-steer-bad", FIX "omr-steer-bad:9: config wan: unknown option 'wieght'" },
		{ "network-4wan", "omr-steer-bad", FIX "omr-steer-bad:13: wan 'wan9': not a WAN" },
		/* an error of the weight file's own parser, at the UCI line */
		{ "network-4wan", "omr-steer-weight", FIX "omr-steer-weight:3: weight 1200 out of range" },
		{ "network-4wan", "missing", FIX "missing: No such file" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char net[256], own[256], *text = (char *)"unset";
		int rc;

		snprintf(net, sizeof(net), FIX "%s", cases[i].net);
		snprintf(own, sizeof(own), FIX "%s", cases[i].own ? cases[i].own : "");
		rc = uci_import(net, cases[i].own ? own : NULL, "out.conf", &text, err, sizeof(err));
		ASSERT_TRUE(rc < 0, cases[i].want);
		ASSERT_TRUE(text == NULL, "no text on error");
		if (!ASSERT_CONTAINS(err, cases[i].want, "error line"))
			TEST_MSG("case %zu", i);
	}
}

/* An error of config_parse() that names another line names the UCI one. */
TEST(uci_import_duplicate_device)
{
	char net[64], *text = NULL;

	tmpfile_with(net, "config interface 'wan1'\n\toption device 'eth1'\n"
		     "\toption multipath 'master'\n\n"
		     "config interface 'wan2'\n\toption device 'eth1'\n\toption multipath 'on'\n");
	ASSERT_EQ(uci_import(net, NULL, "out.conf", &text, err, sizeof(err)), -EINVAL, "same device");
	ASSERT_CONTAINS(err, ":5: wan eth1 already defined on ", "at the second interface");
	ASSERT_CONTAINS(err, ":1 (in `wan eth1 weight auto`)", "names the first interface's line");
	unlink(net);
}

/* A config wan manages an interface whatever its role; enabled '0' leaves it. */
TEST(uci_import_own_wan_sections)
{
	char net[64], own[64], *text = NULL;
	int rc;

	tmpfile_with(net, "config interface 'a'\n\toption device 'eth1'\n\toption multipath 'off'\n"
		     "config interface 'b'\n\toption device 'eth2'\n\toption multipath 'backup'\n"
		     "config interface 'c'\n\toption device 'eth3'\n\toption multipath 'master'\n"
		     "config interface 'd'\n\toption device 'eth4'\n");
	tmpfile_with(own, "config wan 'a'\nconfig wan 'b'\nconfig wan 'c'\n\toption enabled '0'\n"
		     "config wan 'd'\n\toption weight '7'\n");
	rc = uci_import(net, own, "out.conf", &text, err, sizeof(err));
	if (ASSERT_EQ(rc, 0, "uci_import")) {
		ASSERT_CONTAINS(text, "\nwan eth1 weight auto\n", "off + config wan: auto");
		ASSERT_CONTAINS(text, "\nwan eth2 weight 0\n", "backup + config wan: 0");
		ASSERT_TRUE(!strstr(text, "eth3"), "enabled '0': left out");
		ASSERT_CONTAINS(text, "\nwan eth4 weight 7\n", "no multipath, own weight");
	} else {
		TEST_MSG("%s", err);
	}
	free(text);
	unlink(net);
	unlink(own);
}

/* Random bytes from UCI's alphabet: 0, or -EINVAL with "t.uci:LINE: ". */
TEST(uci_lexer_fuzz)
{
	static const char alpha[] = "config option list package 'x\"\\#\n\n\t ab_-";
	unsigned int seed = 12345;
	char buf[256];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rand_r(&seed) % sizeof(buf);
		struct uci_file f;
		int rc;

		for (size_t i = 0; i < len; i++)
			buf[i] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
		rc = uci_parse("t.uci", buf, len, &f, err, sizeof(err));
		if (rc == 0) {
			uci_free(&f);
		} else if (!ASSERT_EQ(rc, -EINVAL, "result") ||
			   !ASSERT_TRUE(!strncmp(err, "t.uci:", 6), "error names FILE:LINE")) {
			TEST_MSG("input: %.*s\nerr: %s", (int)len, buf, err);
			return;
		}
	}
}

TEST(uci_import_no_wan)
{
	char net[64], *text = NULL;

	tmpfile_with(net, "config interface 'lan'\n\toption device 'br-lan'\n"
		     "config interface 'wan'\n\toption device 'eth1'\n\toption multipath 'off'\n");
	ASSERT_EQ(uci_import(net, NULL, "out.conf", &text, err, sizeof(err)), -EINVAL, "no WAN");
	ASSERT_CONTAINS(err, ":1: no WAN to manage", "says why");
	unlink(net);
}

/* `metrics` becomes the weight file's `metrics ADDR:PORT`. */
TEST(uci_import_metrics_passed_through)
{
	char net[64], own[64], *text = NULL;
	int rc;

	tmpfile_with(net, "config interface 'wan1'\n\toption device 'eth1'\n"
		     "\toption multipath 'master'\n");
	tmpfile_with(own, "config globals 'globals'\n\toption metrics '127.0.0.1:9100'\n");
	rc = uci_import(net, own, "out.conf", &text, err, sizeof(err));
	ASSERT_EQ(rc, 0, "imported");
	if (rc == 0)
		ASSERT_CONTAINS(text, "\nmetrics 127.0.0.1:9100\n", "metrics line");
	free(text);
	unlink(net);
	unlink(own);
}

/* A backslash as the file's last byte (found by fuzz_uci): no read past the end. */
TEST(uci_lexer_backslash_at_end)
{
	const char *texts[] = { "\\", "config interface 'wan1' \\", "\\\r" };
	struct uci_file f;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		size_t len = strlen(texts[i]);
		char *buf = malloc(len);	/* exactly the file: ASan sees a read past it */
		int rc;

		ASSERT_TRUE(buf != NULL, "malloc");
		memcpy(buf, texts[i], len);
		memset(&f, 0, sizeof(f));
		rc = uci_parse("t.uci", buf, len, &f, err, sizeof(err));
		ASSERT_TRUE(rc == 0 || rc == -EINVAL, "parsed or refused");
		uci_free(&f);
		free(buf);
	}
}
