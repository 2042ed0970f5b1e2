/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A small test harness in the style of the kernel BPF selftests: tests are
 * plain functions registered with TEST(name); assertions print what was
 * expected and what came, and mark the running test failed.  A test may call
 * test_skip("why") when a kernel feature is missing.
 *
 * Each test prints one line "PASS name", "FAIL name" or "SKIP name: why";
 * tests/run counts them.  Run one binary with a substring to filter tests.
 *
 * BENCH(name) registers a measurement (timings, ratios) the same way; it runs
 * only when its full name is given (scripts/bench/), never in `make test`,
 * which checks behaviour, not speed.
 */
#ifndef OMR_TEST_H
#define OMR_TEST_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	struct test_case *next;
	bool bench;		/* BENCH(): run only when named in full */
};

void test_register(struct test_case *tc);
void test_fail(void);
void test_skip(const char *why);
bool test_skipped(void);

#define TEST_DEFINE_(tname, is_bench)					\
	static void test_##tname(void);					\
	static struct test_case tc_##tname = { .name = #tname, .fn = test_##tname, \
					       .bench = is_bench };	\
	__attribute__((constructor)) static void reg_##tname(void)	\
	{ test_register(&tc_##tname); }					\
	static void test_##tname(void)

#define TEST(tname)	TEST_DEFINE_(tname, false)
#define BENCH(tname)	TEST_DEFINE_(tname, true)

#define TEST_MSG(fmt, ...)						\
	fprintf(stderr, "  %s:%d: " fmt "\n", __FILE__, __LINE__, ##__VA_ARGS__)

#define ASSERT_TRUE(cond, what) ({					\
	bool ok_ = !!(cond);						\
	if (!ok_) { TEST_MSG("%s: expected true: %s", what, #cond); test_fail(); } \
	ok_; })

#define ASSERT_FALSE(cond, what) ASSERT_TRUE(!(cond), what)

#define ASSERT_EQ(got, want, what) ({					\
	long long g_ = (long long)(got), w_ = (long long)(want);	\
	bool ok_ = g_ == w_;						\
	if (!ok_) { TEST_MSG("%s: got %lld, want %lld", what, g_, w_); test_fail(); } \
	ok_; })

#define ASSERT_NEQ(got, notwant, what) ({				\
	long long g_ = (long long)(got), w_ = (long long)(notwant);	\
	bool ok_ = g_ != w_;						\
	if (!ok_) { TEST_MSG("%s: got %lld, want anything else", what, g_); test_fail(); } \
	ok_; })

#define ASSERT_GE(got, min, what) ({					\
	long long g_ = (long long)(got), m_ = (long long)(min);		\
	bool ok_ = g_ >= m_;						\
	if (!ok_) { TEST_MSG("%s: got %lld, want >= %lld", what, g_, m_); test_fail(); } \
	ok_; })

#define ASSERT_LE(got, max, what) ({					\
	long long g_ = (long long)(got), m_ = (long long)(max);		\
	bool ok_ = g_ <= m_;						\
	if (!ok_) { TEST_MSG("%s: got %lld, want <= %lld", what, g_, m_); test_fail(); } \
	ok_; })

#define ASSERT_NEAR(got, want, tol, what) ({				\
	double g_ = (double)(got), w_ = (double)(want), t_ = (double)(tol); \
	bool ok_ = g_ >= w_ - t_ && g_ <= w_ + t_;			\
	if (!ok_) { TEST_MSG("%s: got %g, want %g +- %g", what, g_, w_, t_); test_fail(); } \
	ok_; })

#define ASSERT_STREQ(got, want, what) ({				\
	const char *g_ = (got), *w_ = (want);				\
	bool ok_ = g_ && w_ && strcmp(g_, w_) == 0;			\
	if (!ok_) { TEST_MSG("%s: got \"%s\", want \"%s\"", what, g_ ? g_ : "(null)", w_); test_fail(); } \
	ok_; })

#define ASSERT_CONTAINS(hay, needle, what) ({				\
	const char *h_ = (hay), *n_ = (needle);				\
	bool ok_ = h_ && strstr(h_, n_);				\
	if (!ok_) { TEST_MSG("%s: \"%s\" does not contain \"%s\"", what, h_ ? h_ : "(null)", n_); test_fail(); } \
	ok_; })

#endif
