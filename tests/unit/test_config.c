// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The weight-file parser: good files, every class of bad input, fuzzing. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "config.h"
#include "test.h"

#define ERRLEN 8192

static struct steer_config cfg;
static char err[ERRLEN];

/* Parse @text as the file "x.conf", from an exactly sized heap copy. */
static int parse_len(const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);
	int rc;

	memcpy(copy, text, len);
	rc = config_parse("x.conf", copy, len, &cfg, err, sizeof(err));
	free(copy);
	return rc;
}

static int parse(const char *text)
{
	return parse_len(text, strlen(text));
}

static int count_lines(const char *s)
{
	int n = *s ? 1 : 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Is there a line in err that starts with @prefix and contains @word? */
static bool err_has(const char *prefix, const char *word)
{
	const char *line = err;

	while (*line) {
		const char *end = strchrnul(line, '\n');
		char buf[ERRLEN];

		snprintf(buf, sizeof(buf), "%.*s", (int)(end - line), line);
		if (!strncmp(buf, prefix, strlen(prefix)) && strstr(buf, word))
			return true;
		line = *end ? end + 1 : end;
	}
	return false;
}

/* Expect @text to be rejected with a message on @prefix mentioning @word. */
static void expect_error(const char *text, const char *prefix, const char *word)
{
	int rc = parse(text);

	if (!ASSERT_EQ(rc, -EINVAL, text) ||
	    !ASSERT_TRUE(err_has(prefix, word), "error line")) {
		TEST_MSG("input:\n%s\nerr:\n%s\nwanted a line starting \"%s\" containing \"%s\"",
			 text, err, prefix, word);
	}
}

TEST(config_valid_file)
{
	const char *text =
		"# omr-steer weights\r\n"
		"\r\n"
		"interval 2   # seconds\r\n"
		"   \t\r\n"
		"wan eth1 weight 5   # main DSL\r\n"
		"\twan\teth2\tweight\tauto\r\n"
		"wan lte0 weight 0\n"		/* mixed line ends */
		"wan eth#3 weight 1000\r\n"	/* '#' inside a word is not a comment */
		"  # indented comment\n"
		"wan ppp0 weight 7";		/* no final newline */

	ASSERT_EQ(parse(text), 0, "rc");
	ASSERT_STREQ(err, "", "err");
	ASSERT_STREQ(cfg.path, "x.conf", "path");
	ASSERT_EQ(cfg.interval_ms, 2000, "interval_ms");
	if (!ASSERT_EQ(cfg.n_wans, 5, "n_wans"))
		return;
	ASSERT_STREQ(cfg.wans[0].name, "eth1", "wan 0");
	ASSERT_EQ(cfg.wans[0].weight, 5, "eth1 weight");
	ASSERT_EQ(cfg.wans[0].line, 5, "eth1 line");
	ASSERT_STREQ(cfg.wans[1].name, "eth2", "wan 1");
	ASSERT_EQ(cfg.wans[1].weight, OMR_WEIGHT_AUTO, "eth2 weight");
	ASSERT_EQ(cfg.wans[1].line, 6, "eth2 line");
	ASSERT_STREQ(cfg.wans[2].name, "lte0", "wan 2");
	ASSERT_EQ(cfg.wans[2].weight, 0, "lte0 weight");
	ASSERT_STREQ(cfg.wans[3].name, "eth#3", "wan 3");
	ASSERT_EQ(cfg.wans[3].weight, 1000, "eth#3 weight");
	ASSERT_STREQ(cfg.wans[4].name, "ppp0", "wan 4");
	ASSERT_EQ(cfg.wans[4].weight, 7, "ppp0 weight");
	ASSERT_EQ(cfg.wans[4].line, 10, "ppp0 line");
	ASSERT_TRUE(config_find_wan(&cfg, "lte0") == &cfg.wans[2], "find lte0");
	ASSERT_TRUE(config_find_wan(&cfg, "eth") == NULL, "find eth");
}

TEST(config_interval_default)
{
	ASSERT_EQ(parse("wan eth1 weight 1\n"), 0, "rc");
	ASSERT_EQ(cfg.interval_ms, CONFIG_INTERVAL_DEFAULT_MS, "interval_ms");
}

TEST(config_interval_decimals)
{
	static const struct { const char *value; unsigned int ms; } good[] = {
		{ "0.5", 500 }, { "0.1", 100 }, { "2.250", 2250 }, { "1.0000", 1000 },
		{ "3600", 3600000 }, { "007", 7000 }, { "0.125", 125 }, { "10", 10000 },
	};
	char text[128];

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "interval %s\nwan eth1 weight 1\n", good[i].value);
		ASSERT_EQ(parse(text), 0, good[i].value);
		ASSERT_EQ(cfg.interval_ms, good[i].ms, good[i].value);
	}
}

TEST(config_interval_bad)
{
	expect_error("interval 0.05\nwan eth1 weight 1\n", "x.conf:1: ", "out of range 0.1..3600");
	expect_error("interval 3601\nwan eth1 weight 1\n", "x.conf:1: ", "out of range");
	expect_error("interval 0\nwan eth1 weight 1\n", "x.conf:1: ", "out of range");
	expect_error("interval 99999999999999999999999\nwan eth1 weight 1\n", "x.conf:1: ", "out of range");
	expect_error("interval 1.0005\nwan eth1 weight 1\n", "x.conf:1: ", "decimals");
	expect_error("interval 1.\nwan eth1 weight 1\n", "x.conf:1: ", "not a number");
	expect_error("interval .5\nwan eth1 weight 1\n", "x.conf:1: ", "not a number");
	expect_error("interval 1e3\nwan eth1 weight 1\n", "x.conf:1: ", "not a number");
	expect_error("interval 1,5\nwan eth1 weight 1\n", "x.conf:1: ", "not a number");
	expect_error("interval -1\nwan eth1 weight 1\n", "x.conf:1: ", "not a number");
	expect_error("interval 1s\nwan eth1 weight 1\n", "x.conf:1: ", "not a number");
	expect_error("interval\nwan eth1 weight 1\n", "x.conf:1: ", "needs a value");
	expect_error("interval 1 2\nwan eth1 weight 1\n", "x.conf:1: ", "one value");
	expect_error("interval 1\nwan eth1 weight 1\ninterval 2\n", "x.conf:3: ",
		     "interval already set on line 1");
}

TEST(config_weight_auto)
{
	ASSERT_EQ(parse("wan eth2 weight auto\nwan eth3 weight 3\n"), 0, "rc");
	ASSERT_EQ(cfg.wans[0].weight, OMR_WEIGHT_AUTO, "eth2");
	ASSERT_EQ(cfg.wans[1].weight, 3, "eth3");
	expect_error("wan eth1 weight 1\nwan eth2 weight AUTO\n", "x.conf:2: ", "not a number");
	expect_error("wan eth1 weight 1\nwan eth2 weight auto5\n", "x.conf:2: ", "not a number");
}

TEST(config_weight_bad)
{
	static const struct { const char *value, *word; } bad[] = {
		{ "5x", "not a number" }, { "-1", "out of range" }, { "1001", "out of range" },
		{ "0x10", "not a number" }, { "+5", "not a number" }, { "5.0", "not a number" },
		{ "99999999999999999999999999", "out of range" }, { "-", "not a number" },
	};
	char text[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "wan eth1 weight 1\nwan eth2 weight %s\n", bad[i].value);
		expect_error(text, "x.conf:2: ", bad[i].word);
		ASSERT_CONTAINS(err, "eth2", "names the wan");
	}
	/* the exact message from the issue */
	snprintf(text, sizeof(text), "wan eth1 weight 1\nwan eth2 weight 1001\n");
	parse(text);
	ASSERT_STREQ(err, "x.conf:2: weight 1001 out of range 0..1000 for wan eth2", "message");
}

TEST(config_unknown_keyword)
{
	expect_error("wan eth1 weight 1\n\nwan0 eth1 weight 5\n", "x.conf:3: ", "unknown keyword");
	ASSERT_STREQ(err, "x.conf:3: unknown keyword 'wan0' (expected interval, wan, schedule, mptcp-scheduler, flows, pin, class, rule, metrics)", "message");
	expect_error("WAN eth1 weight 1\nwan eth2 weight 1\n", "x.conf:1: ", "'WAN'");
}

TEST(config_wan_options)
{
	expect_error("wan eth1 weight 1\nwan eth2 wieght 5\n", "x.conf:2: ",
		     "unknown option 'wieght' for wan eth2 (expected weight, probe, min, max, gateway, gateway6)");
	ASSERT_EQ(count_lines(err), 1, "one error, not also 'no weight'");
	expect_error("wan eth1\n", "x.conf:1: ", "wan eth1 has no weight");
	expect_error("wan eth1 weight\n", "x.conf:1: ", "weight needs a value for wan eth1");
	expect_error("wan eth1 weight 1 weight 2\n", "x.conf:1: ", "weight given twice");
	expect_error("wan eth1 weight 1 5\n", "x.conf:1: ", "unknown option '5'");
	expect_error("wan\n", "x.conf:1: ", "needs an interface name");
	expect_error("wan weight 5\n", "x.conf:1: ", "needs an interface name");
	/* a comment right after the name: the weight is still missing */
	expect_error("wan eth1 # weight 5\n", "x.conf:1: ", "has no weight");
}

TEST(config_duplicate_wan)
{
	expect_error("interval 1\nwan eth1 weight 1\nwan eth2 weight 2\nwan eth1 weight 3\n",
		     "x.conf:4: ", "already defined");
	ASSERT_STREQ(err, "x.conf:4: wan eth1 already defined on line 2", "message");
}

TEST(config_interface_names)
{
	static const struct { const char *name, *word; } bad[] = {
		{ ".", "'.'" }, { "..", "'.'" }, { "a/b", "'/'" }, { "eth0:1", "':'" },
		{ "abcdefghijklmnop", "15 characters" },
	};
	char text[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "wan eth1 weight 1\nwan %s weight 1\n", bad[i].name);
		expect_error(text, "x.conf:2: ", "invalid interface name");
		ASSERT_CONTAINS(err, bad[i].word, bad[i].name);
	}
	/* 15 characters and the odd characters the kernel allows are fine */
	ASSERT_EQ(parse("wan abcdefghijklmno weight 1\nwan e-t_h.1@x weight 2\n"), 0, "valid names");
	ASSERT_STREQ(cfg.wans[0].name, "abcdefghijklmno", "15 chars");
	ASSERT_STREQ(cfg.wans[1].name, "e-t_h.1@x", "odd chars");
}

TEST(config_too_many_wans)
{
	char text[4096];
	size_t pos = 0;
	int i;

	for (i = 0; i < OMR_MAX_WANS; i++)
		pos += snprintf(text + pos, sizeof(text) - pos, "wan wan%d weight %d\n", i, i);
	ASSERT_EQ(parse(text), 0, "OMR_MAX_WANS wans are fine");
	ASSERT_EQ(cfg.n_wans, OMR_MAX_WANS, "n_wans");
	ASSERT_EQ(cfg.wans[OMR_MAX_WANS - 1].weight, OMR_MAX_WANS - 1, "last weight");

	snprintf(text + pos, sizeof(text) - pos, "wan extra weight 1\n");
	expect_error(text, "x.conf:33: ", "too many wans");
	ASSERT_CONTAINS(err, "extra", "names the wan");
	ASSERT_EQ(count_lines(err), 1, "one error");
}

TEST(config_line_too_long)
{
	char text[3000];

	/* exactly CONFIG_MAX_LINE bytes (plus CRLF) is fine */
	memset(text, 'x', sizeof(text));
	memcpy(text, "# ", 2);
	memcpy(text + CONFIG_MAX_LINE, "\r\nwan eth1 weight 1\n", 21);
	ASSERT_EQ(parse(text), 0, "line of CONFIG_MAX_LINE");

	memset(text, 'x', sizeof(text));
	memcpy(text, "wan eth1 weight 1\n# ", 20);
	memcpy(text + 18 + CONFIG_MAX_LINE + 1, "\nwan eth2 weight 1\n", 20);
	expect_error(text, "x.conf:2: ", "line too long");
	ASSERT_EQ(count_lines(err), 1, "one error");

	/* a long line without any newline at all */
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	expect_error(text, "x.conf:1: ", "line too long");
}

TEST(config_control_bytes)
{
	static const struct { const char *text; size_t len; const char *word; } bad[] = {
		{ "wan eth1 weight 1\nwan eth2\0 weight 1\n", 37, "NUL byte at column 9" },
		{ "wan eth1 weight 1\nwan eth2 weight 1 # \0\n", 39, "NUL byte" },
		{ "wan eth1 weight 1\nwan eth2 \x01weight 1\n", 37, "control byte 0x01" },
		{ "wan eth1 weight 1\nwan eth2 weight 1\x7f\n", 36, "control byte 0x7f" },
		{ "wan eth1 weight 1\n# \x1b[31m\n", 27, "control byte 0x1b" },
		{ "wan eth1 weight 1\nwan eth2\rweight 1\n", 35, "carriage return" },
		{ "wan eth1 weight 1\nwan eth2 weight 1\r\r\n", 37, "carriage return" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(parse_len(bad[i].text, bad[i].len), -EINVAL, bad[i].word);
		if (!ASSERT_TRUE(err_has("x.conf:2: ", bad[i].word), bad[i].word))
			TEST_MSG("err: %s", err);
	}
}

TEST(config_utf8)
{
	/* UTF-8 in comments and a byte order mark are fine */
	ASSERT_EQ(parse("\xef\xbb\xbf# Glasfaser \xc3\xbc\xe2\x82\xac \xf0\x9f\x93\xa1\n"
			"wan eth1 weight 1 # Stra\xc3\x9f" "e\n"), 0, "utf-8 comments");
	if (err[0])
		TEST_MSG("err: %s", err);
	ASSERT_STREQ(cfg.wans[0].name, "eth1", "name after BOM line");

	expect_error("wan eth1 weight 1\nwan \xc3\xa9th2 weight 1\n", "x.conf:2: ", "non-ASCII");
	expect_error("wan eth1 weight 1\n\xef\xbb\xbfwan eth2 weight 1\n", "x.conf:2: ", "non-ASCII");
	expect_error("wan eth1 weight 1\n# \xc0\x80 overlong\n", "x.conf:2: ", "invalid UTF-8");
	expect_error("wan eth1 weight 1\n# \xed\xa0\x80 surrogate\n", "x.conf:2: ", "invalid UTF-8");
	expect_error("wan eth1 weight 1\n# \xf4\x90\x80\x80 too big\n", "x.conf:2: ", "invalid UTF-8");
	expect_error("wan eth1 weight 1\n# \xff\n", "x.conf:2: ", "invalid UTF-8");
	expect_error("wan eth1 weight 1\n# \x80\n", "x.conf:2: ", "invalid UTF-8");
	/* a sequence cut by the end of the buffer */
	expect_error("wan eth1 weight 1\n# \xe2\x82", "x.conf:2: ", "invalid UTF-8");
}

TEST(config_empty_file)
{
	expect_error("", "x.conf: ", "empty file");
	ASSERT_EQ(count_lines(err), 1, "one error");
	expect_error("# nothing\n\n   \ninterval 1\n", "x.conf: ", "no wan defined");
	ASSERT_EQ(count_lines(err), 1, "one error");
}

TEST(config_several_errors)
{
	const char *text =
		"interval 1\n"
		"wan eth1 weight 1001\n"	/* 2 */
		"wan eth2 weight 2\n"
		"bogus\n"			/* 4 */
		"wan eth2 weight 3\n"		/* 5 */
		"wan eth3 weight 3\n"
		"interval x\n";			/* 7 */

	ASSERT_EQ(parse(text), -EINVAL, "rc");
	ASSERT_TRUE(err_has("x.conf:2: ", "out of range"), "line 2");
	ASSERT_TRUE(err_has("x.conf:4: ", "unknown keyword 'bogus'"), "line 4");
	ASSERT_TRUE(err_has("x.conf:5: ", "already defined on line 3"), "line 5");
	ASSERT_TRUE(err_has("x.conf:7: ", "interval already set on line 1"), "line 7");
	if (!ASSERT_EQ(count_lines(err), 4, "one line per error"))
		TEST_MSG("err:\n%s", err);
}

TEST(config_error_cap)
{
	char text[4096];
	size_t pos = 0;

	pos += snprintf(text + pos, sizeof(text) - pos, "wan eth1 weight 1\n");
	for (int i = 0; i < CONFIG_MAX_ERRORS + 10; i++)
		pos += snprintf(text + pos, sizeof(text) - pos, "nonsense %d\n", i);
	ASSERT_EQ(parse(text), -EINVAL, "rc");
	ASSERT_EQ(count_lines(err), CONFIG_MAX_ERRORS + 1, "capped");
	ASSERT_TRUE(err_has("x.conf:21: ", "'nonsense'"), "last reported");
	ASSERT_FALSE(err_has("x.conf:22: ", ""), "not reported");
	ASSERT_TRUE(err_has("x.conf: ", "... and 10 more errors"), "tail");
}

TEST(config_err_truncation)
{
	const char *text = "bogus 1\nbogus 2\nbogus 3\n";
	char full[512], small[600];
	size_t full_len;

	ASSERT_EQ(config_parse("x.conf", text, strlen(text), &cfg, full, sizeof(full)), -EINVAL, "rc");
	full_len = strlen(full);
	ASSERT_EQ(count_lines(full), 4, "three errors and no wan");
	for (size_t len = 0; len <= full_len + 2; len++) {
		size_t want = len ? (len - 1 < full_len ? len - 1 : full_len) : 0;

		memset(small, 'Z', sizeof(small));
		ASSERT_EQ(config_parse("x.conf", text, strlen(text), &cfg, small, len), -EINVAL, "rc");
		if (len && !ASSERT_TRUE(strlen(small) == want && !strncmp(small, full, want),
					"a NUL-terminated prefix of the full message"))
			break;
		if (!ASSERT_EQ(small[len], 'Z', "no write past errlen"))
			break;
	}
	ASSERT_EQ(config_parse("x.conf", text, strlen(text), &cfg, NULL, 0), -EINVAL, "NULL err");
}

TEST(config_buffer_not_terminated)
{
	/* only the first len bytes count: "5" not "5XYZ", no read past them */
	char buf[] = "wan eth1 weight 5XYZ";

	ASSERT_EQ(config_parse("x.conf", buf, 17, &cfg, err, sizeof(err)), 0, "rc");
	ASSERT_EQ(cfg.wans[0].weight, 5, "weight");
	ASSERT_EQ(parse_len("wan eth1 weight 12", 18), 0, "heap copy without NUL");
	ASSERT_EQ(cfg.wans[0].weight, 12, "weight");
}

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	/* xorshift64*: a fixed seed gives the same bytes on every machine */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static void expect_rejected_binary(const char *data, size_t len, const char *what)
{
	char *copy = malloc(len);
	int rc;

	memcpy(copy, data, len);
	rc = config_parse("bin.conf", copy, len, &cfg, err, sizeof(err));
	free(copy);
	ASSERT_EQ(rc, -EINVAL, what);
	ASSERT_TRUE(!strncmp(err, "bin.conf:", 9), "message starts with the path");
	ASSERT_LE(count_lines(err), CONFIG_MAX_ERRORS + 1, "capped");
}

TEST(config_binary_random)
{
	char data[4096];

	rng_state = 0x6f6d722d73746572ULL;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = rng_next() >> 56;
	expect_rejected_binary(data, sizeof(data), "random bytes");
}

TEST(config_binary_executable)
{
	char data[4096];
	ssize_t n;
	int fd = open("/bin/true", O_RDONLY);

	if (fd < 0) {
		test_skip("no /bin/true");
		return;
	}
	n = read(fd, data, sizeof(data));
	close(fd);
	if (!ASSERT_GE(n, 64, "read /bin/true"))
		return;
	expect_rejected_binary(data, n, "/bin/true");
	ASSERT_CONTAINS(err, "bin.conf:1: ", "ELF header line");
}

TEST(config_too_big)
{
	size_t len = CONFIG_MAX_FILE_SIZE + 1;
	char *big = malloc(len);

	memset(big, '#', len);
	ASSERT_EQ(config_parse("x.conf", big, len, &cfg, err, sizeof(err)), -EINVAL, "rc");
	ASSERT_TRUE(err_has("x.conf: ", "too big"), "message");
	free(big);
}

static char *write_temp(const char *data, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/omr-test-config-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		unlink(path);
		return NULL;
	}
	close(fd);
	return path;
}

TEST(config_load_file)
{
	const char *text = "interval 0.5\nwan eth1 weight 3\nwan eth2 weight auto\n";
	char *path = write_temp(text, strlen(text));

	if (!ASSERT_TRUE(path, "temp file"))
		return;
	ASSERT_EQ(config_load(path, &cfg, err, sizeof(err)), 0, "rc");
	ASSERT_STREQ(cfg.path, path, "path");
	ASSERT_EQ(cfg.interval_ms, 500, "interval");
	ASSERT_EQ(cfg.n_wans, 2, "n_wans");
	ASSERT_EQ(cfg.wans[1].weight, OMR_WEIGHT_AUTO, "auto");
	unlink(path);

	path = write_temp("wan eth1 weight 1\nwan eth1 weight 2\n", 36);
	if (!ASSERT_TRUE(path, "temp file"))
		return;
	ASSERT_EQ(config_load(path, &cfg, err, sizeof(err)), -EINVAL, "bad file");
	ASSERT_TRUE(!strncmp(err, path, strlen(path)) && strstr(err, ":2: wan eth1 already defined"),
		    "message names the file and line");
	unlink(path);
}

TEST(config_load_too_big)
{
	size_t len = CONFIG_MAX_FILE_SIZE + 100;
	char *big = malloc(len);
	char *path;

	memset(big, '\n', len);
	path = write_temp(big, len);
	free(big);
	if (!ASSERT_TRUE(path, "temp file"))
		return;
	ASSERT_EQ(config_load(path, &cfg, err, sizeof(err)), -EINVAL, "rc");
	ASSERT_CONTAINS(err, "too big", "message");
	unlink(path);
}

TEST(config_missing_file)
{
	const char *path = "/nonexistent-omr-steer/omr-steer.conf";

	ASSERT_EQ(config_load(path, &cfg, err, sizeof(err)), -ENOENT, "rc");
	ASSERT_STREQ(err, "/nonexistent-omr-steer/omr-steer.conf: cannot read: No such file or directory",
		     "message");
}

/*
 * config_load() of @path in a child, which must be done within 10 s
 * (a FIFO blocked open() forever).  Returns its config_load() result
 * (negated into the exit status), or 1 when it had to be killed.
 */
static int load_in_child(const char *path, char *msg, size_t msglen)
{
	int pipefd[2], status = 0;
	ssize_t n = 0;
	pid_t pid;

	msg[0] = '\0';
	if (pipe(pipefd))
		return 2;
	pid = fork();
	if (pid == 0) {
		int rc = config_load(path, &cfg, err, sizeof(err));

		if (write(pipefd[1], err, strlen(err)) < 0)
			_exit(255);
		_exit(-rc & 0xff);
	}
	close(pipefd[1]);
	for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(100000);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(pipefd[0]);
		return 1;
	}
	n = read(pipefd[0], msg, msglen - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	return WIFEXITED(status) ? -WEXITSTATUS(status) : 1;
}

/* A FIFO, a directory, a device: refused at once, never opened for reading. */
TEST(config_not_regular_file)
{
	char dir[] = "/tmp/omr-test-fifo-XXXXXX", fifo[64], msg[512];

	if (!ASSERT_TRUE(mkdtemp(dir), "temp dir"))
		return;
	snprintf(fifo, sizeof(fifo), "%s/weights", dir);
	if (ASSERT_EQ(mkfifo(fifo, 0600), 0, "mkfifo")) {
		int rc = load_in_child(fifo, msg, sizeof(msg));

		ASSERT_NEQ(rc, 1, "config_load of a FIFO returns (no writer ever comes)");
		ASSERT_EQ(rc, -EINVAL, "FIFO");
		ASSERT_CONTAINS(msg, ": not a regular file (a FIFO)", "message");
		ASSERT_TRUE(!strncmp(msg, fifo, strlen(fifo)), "message names the file");
	}
	ASSERT_EQ(load_in_child("/dev/zero", msg, sizeof(msg)), -EINVAL, "character device");
	ASSERT_STREQ(msg, "/dev/zero: not a regular file (a character device); the weight file "
		     "must be one", "message");
	ASSERT_EQ(config_load(dir, &cfg, err, sizeof(err)), -EISDIR, "directory");
	ASSERT_CONTAINS(err, ": not a regular file (a directory)", "message");
	unlink(fifo);
	rmdir(dir);
}

TEST(config_rate)
{
	static const struct { const char *text; __u64 bps; } good[] = {
		{ "500kbit", 500000 }, { "10mbit", 10000000 }, { "1gbit", 1000000000 },
		{ "1.5gbit", 1500000000 }, { "10Mbit", 10000000 }, { "64bit", 64 },
		{ "0.001kbit", 1 }, { "2tbit", 2000000000000ULL }, { "0mbit", 0 },
	};
	static const char *const bad[] = {
		"10", "10mbps", "mbit", "1.mbit", ".5mbit", "-1mbit", "10 mbit", "1e3kbit",
		"", "10mbitx",
	};
	__u64 bps;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		bps = 12345;
		ASSERT_EQ(config_parse_rate(good[i].text, &bps), 0, good[i].text);
		ASSERT_EQ(bps, good[i].bps, good[i].text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(config_parse_rate(bad[i], &bps), -EINVAL, bad[i]);
	ASSERT_EQ(config_parse_rate("99999999999tbit", &bps), -ERANGE, "overflow");
	ASSERT_EQ(config_parse_rate("999999999999999999999999bit", &bps), -ERANGE, "overflow");
}

/* What a successful parse must always give, whatever the input. */
static bool config_is_sane(const struct steer_config *c)
{
	if (c->n_wans < 1 || c->n_wans > OMR_MAX_WANS)
		return false;
	if (c->interval_ms < CONFIG_INTERVAL_MIN_MS || c->interval_ms > CONFIG_INTERVAL_MAX_MS)
		return false;
	for (int i = 0; i < c->n_wans; i++) {
		const struct wan_config *w = &c->wans[i];
		size_t len = strnlen(w->name, OMR_IFNAMSIZ);

		if (len == 0 || len >= OMR_IFNAMSIZ || strpbrk(w->name, "/: \t"))
			return false;
		if (w->weight > OMR_WEIGHT_MAX && w->weight != OMR_WEIGHT_AUTO)
			return false;
		if (config_find_wan(c, w->name) != w)
			return false;	/* a duplicate got through */
	}
	return true;
}

TEST(config_fuzz)
{
	static const char base[] =
		"# weights\r\n"
		"interval 0.5 # fast\n"
		"wan eth1 weight 5   # main DSL\n"
		"wan eth2 weight auto\n"
		"\twan lte0 weight 0\n";
	static const char *const dict[] = {
		"wan", "weight", "auto", "interval", "#", " ", "\t", "\r", "\n", "\r\n",
		"1001", "0.1", "3600", "eth1", "/", ":", "..", "\xc3\xa9", "\xef\xbb\xbf",
		"\xe2\x82", "abcdefghijklmnop", "99999999999999999999", "-1", "wan eth9 weight 1\n",
	};
	enum { MAX = 4096 };
	const char *env_runs = getenv("OMR_FUZZ_RUNS");	/* longer runs by hand */
	int runs = env_runs ? atoi(env_runs) : 20000;
	struct timespec t0, t1;
	int accepted = 0, rejected = 0, bad_results = 0;
	double secs;

	rng_state = 0x1234abcd5678ef01ULL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int run = 0; run < runs; run++) {
		char work[MAX];
		size_t len = sizeof(base) - 1;
		int n_mut = 1 + rng_next() % 8;
		char *exact;
		int rc;

		memcpy(work, base, len);
		for (int m = 0; m < n_mut; m++) {
			size_t at = len ? rng_next() % (len + 1) : 0;
			unsigned int op = rng_next() % 6;

			if (op == 0 && at < len) {		/* flip bits */
				work[at] ^= 1 << (rng_next() % 8);
			} else if (op == 1 && at < len) {	/* any byte */
				work[at] = rng_next() >> 56;
			} else if (op == 2 && at < len) {	/* delete a run */
				size_t n = 1 + rng_next() % 8;

				n = n > len - at ? len - at : n;
				memmove(work + at, work + at + n, len - at - n);
				len -= n;
			} else if (op == 3) {			/* insert a word */
				const char *w = dict[rng_next() % (sizeof(dict) / sizeof(dict[0]))];
				size_t n = strlen(w);

				if (len + n > MAX)
					continue;
				memmove(work + at + n, work + at, len - at);
				memcpy(work + at, w, n);
				len += n;
			} else if (op == 4 && len && len * 2 <= MAX) {	/* duplicate all */
				memcpy(work + len, work, len);
				len *= 2;
			} else if (op == 5) {			/* truncate */
				len = at;
			}
		}
		/* an exactly sized copy, so that a read past the end is caught by ASan */
		exact = malloc(len ? len : 1);
		memcpy(exact, work, len);
		rc = config_parse("fuzz.conf", exact, len, &cfg, err, sizeof(err));
		free(exact);
		if (rc == 0 && config_is_sane(&cfg) && err[0] == '\0') {
			accepted++;
		} else if (rc == -EINVAL && !strncmp(err, "fuzz.conf:", 10) &&
			   strlen(err) > 11) {
			rejected++;
		} else {
			if (bad_results++ < 3)
				TEST_MSG("run %d: rc %d, err \"%s\"", run, rc, err);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	ASSERT_EQ(bad_results, 0, "results that are neither a sane config nor an error");
	ASSERT_EQ(accepted + rejected, runs, "runs");
	ASSERT_GE(accepted, runs / 50, "some mutants still parse");
	ASSERT_GE(rejected, runs / 2, "most mutants are rejected");
	if (!env_runs)
		ASSERT_LE(secs * 1000, 2000, "milliseconds for the fuzz loop");
	fprintf(stderr, "  config_fuzz: %d runs, %d accepted, %d rejected, %.3f s\n",
	       runs, accepted, rejected, secs);
}

/* ---- live-weight options: probe, min/max hints, schedules ---------------- */

TEST(config_probe_and_rate_hints)
{
	const char *text =
		"wan eth1 weight auto probe 198.51.100.1 min 2mbit max 50mbit\n"
		"wan eth2 weight 3 probe [2001:db8::1]:443\n"
		"wan lte0 weight 0\n";

	if (!ASSERT_EQ(parse(text), 0, err))
		return;
	ASSERT_TRUE(cfg.wans[0].has_probe, "eth1 probes");
	ASSERT_EQ(cfg.wans[0].probe.kind, PROBE_ICMP, "eth1: ICMP echo");
	ASSERT_EQ(cfg.wans[0].min_bps, 2000000, "min");
	ASSERT_EQ(cfg.wans[0].max_bps, 50000000, "max");
	ASSERT_TRUE(cfg.wans[1].has_probe, "eth2 probes");
	ASSERT_EQ(cfg.wans[1].probe.kind, PROBE_TCP, "eth2: TCP connect");
	ASSERT_FALSE(cfg.wans[2].has_probe, "lte0 does not probe");
	ASSERT_EQ(cfg.wans[2].max_bps, 0, "no hint");

	expect_error("wan eth1 weight 1 probe nowhere\n", "x.conf:1: ", "probe for wan eth1");
	expect_error("wan eth1 weight 1 min 5 furlongs\n", "x.conf:1: ", "unknown option 'furlongs'");
	expect_error("wan eth1 weight 1 max fast\n", "x.conf:1: ", "max 'fast' for wan eth1 is not a rate");
	expect_error("wan eth1 weight 1 min 20mbit max 10mbit\n", "x.conf:1: ", "min is above max");
	expect_error("wan eth1 weight 1 probe\n", "x.conf:1: ", "probe needs a value");
}

TEST(config_schedules)
{
	const char *text =
		"schedule lte0 weight 0 mon-fri 08:00-18:00\n"	/* before its wan: fine */
		"wan eth1 weight 5\n"
		"wan lte0 weight 2\n"
		"schedule lte0 weight auto sat,sun 22:00-06:00\n";

	if (!ASSERT_EQ(parse(text), 0, err))
		return;
	ASSERT_EQ(cfg.n_schedules, 2, "two schedules");
	ASSERT_STREQ(cfg.schedules[0].wan, "lte0", "wan");
	ASSERT_EQ(cfg.schedules[0].weight, 0, "weight 0 in office hours");
	ASSERT_EQ(cfg.schedules[0].line, 1, "line kept for messages");
	ASSERT_EQ(cfg.schedules[1].weight, OMR_WEIGHT_AUTO, "auto at weekend nights");

	expect_error("wan eth1 weight 5\nschedule eth9 weight 0 daily 01:00-02:00\n",
		     "x.conf:2: ", "schedule for unknown wan eth9");
	expect_error("wan eth1 weight 5\nschedule eth1 weight 0 daily 25:00-26:00\n",
		     "x.conf:2: ", "25:00");
	expect_error("wan eth1 weight 5\nschedule eth1 weight 1001 daily 01:00-02:00\n",
		     "x.conf:2: ", "1001");
}

TEST(config_mptcp_scheduler)
{
	ASSERT_EQ(parse("wan eth1 weight 1\n"), 0, err);
	ASSERT_TRUE(cfg.mptcp_scheduler, "default: yes where the kernel has the hook");
	ASSERT_EQ(parse("mptcp-scheduler no\nwan eth1 weight 1\n"), 0, err);
	ASSERT_FALSE(cfg.mptcp_scheduler, "no");
	expect_error("mptcp-scheduler maybe\nwan eth1 weight 1\n", "x.conf:1: ", "yes or no");
	expect_error("mptcp-scheduler no\nmptcp-scheduler yes\nwan eth1 weight 1\n",
		     "x.conf:2: ", "already set on line 1");
}

TEST(config_metrics)
{
	char buf[64];

	ASSERT_EQ(parse("wan eth1 weight 1\n"), 0, err);
	ASSERT_FALSE(cfg.metrics.set, "default: no /metrics");
	ASSERT_EQ(parse("metrics 127.0.0.1:9469\nwan eth1 weight 1\n"), 0, err);
	ASSERT_TRUE(cfg.metrics.set, "IPv4");
	metrics_listen_format(&cfg.metrics, buf, sizeof(buf));
	ASSERT_STREQ(buf, "127.0.0.1:9469", "read back");
	ASSERT_EQ(parse("wan eth1 weight 1\nmetrics [::1]:9100  # scraped locally\n"), 0, err);
	metrics_listen_format(&cfg.metrics, buf, sizeof(buf));
	ASSERT_STREQ(buf, "[::1]:9100", "IPv6 read back");
	expect_error("metrics 127.0.0.1\nwan eth1 weight 1\n", "x.conf:1: ", "ADDR:PORT");
	expect_error("metrics ::1\nwan eth1 weight 1\n", "x.conf:1: ", "[::1]:9469");
	expect_error("metrics localhost:9469\nwan eth1 weight 1\n", "x.conf:1: ", "numeric");
	expect_error("metrics 127.0.0.1:0\nwan eth1 weight 1\n", "x.conf:1: ", "1..65535");
	expect_error("metrics\nwan eth1 weight 1\n", "x.conf:1: ", "one ADDR:PORT");
	expect_error("wan eth1 weight 1\nmetrics 127.0.0.1:1 127.0.0.1:2\n", "x.conf:2: ",
		     "one ADDR:PORT");
	expect_error("metrics 127.0.0.1:1\nwan eth1 weight 1\nmetrics 127.0.0.1:2\n",
		     "x.conf:3: ", "already set on line 1");
}

TEST(config_steering_keywords)
{
	const char *text =
		"flows 131072\n"
		"wan eth1 weight 1 gateway 10.77.1.1 gateway6 fe80::1\n"
		"wan eth2 weight 3\n"
		"pin dst 203.0.113.5 proto udp port 51820 wan eth1\n"
		"pin dst 2001:db8::/32 bypass\n";

	if (!ASSERT_EQ(parse(text), 0, err))
		return;
	ASSERT_EQ(steering_flows_max(&cfg.steering), 131072, "flows");
	ASSERT_EQ(cfg.steering.n_pins, 2, "two pins");
	ASSERT_EQ(cfg.steering.n_gateways, 2, "two gateways");
	expect_error("wan eth1 weight 1\npin dst 203.0.113.5 wan eth9\n", "x.conf:2: ", "eth9");
	expect_error("wan eth1 weight 1 gateway nowhere\n", "x.conf:1: ", "nowhere");
	expect_error("flows 12\nwan eth1 weight 1\n", "x.conf:1: ", "12");
}
