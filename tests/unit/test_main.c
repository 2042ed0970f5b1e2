// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The harness behind test.h; linked into build/test_unit and build/test_bpf. */
#include <stdlib.h>
#include "test.h"

static struct test_case *tests;
static bool cur_failed, cur_skipped;
static char skip_why[256];

void test_register(struct test_case *tc)
{
	struct test_case **p = &tests;

	while (*p && strcmp((*p)->name, tc->name) < 0)
		p = &(*p)->next;
	tc->next = *p;
	*p = tc;
}

void test_fail(void) { cur_failed = true; }
bool test_skipped(void) { return cur_skipped; }

void test_skip(const char *why)
{
	cur_skipped = true;
	snprintf(skip_why, sizeof(skip_why), "%s", why);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct test_case *tc = tests; tc; tc = tc->next) {
		if (argc > 1 && !strstr(tc->name, argv[1]))
			continue;
		if (tc->bench && (argc < 2 || strcmp(tc->name, argv[1])))
			continue;	/* a benchmark: only when named in full */
		cur_failed = cur_skipped = false;
		tc->fn();
		if (cur_failed) {
			failed++;
			printf("FAIL %s\n", tc->name);
		} else if (cur_skipped) {
			skipped++;
			printf("SKIP %s: %s\n", tc->name, skip_why);
		} else {
			passed++;
			printf("PASS %s\n", tc->name);
		}
	}
	fprintf(stderr, "%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
