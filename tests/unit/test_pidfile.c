// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The pidfile parser (what `reload` signals) and the pin names `unload` removes. */
#include <errno.h>
#include <bpf/libbpf.h>
#include "pidfile.h"
#include "pindir.h"
#include "steer.skel.h"
#include "test.h"

static int parse(const char *s, pid_t *pid)
{
	return pidfile_parse(s, strlen(s), pid);
}

TEST(pidfile_parse_accepts_a_pid)
{
	pid_t pid;

	ASSERT_EQ(parse("1234\n", &pid), 0, "pid and newline");
	ASSERT_EQ(pid, 1234, "the pid");
	ASSERT_EQ(parse("1", &pid), 0, "no newline");
	ASSERT_EQ(pid, 1, "pid 1 (an agent that is a container's init)");
	ASSERT_EQ(parse("2147483647", &pid), 0, "INT_MAX");
	ASSERT_EQ(pid, 2147483647, "INT_MAX's value");
	/* not NUL-terminated: only len bytes are read */
	ASSERT_EQ(pidfile_parse("42xyz", 2, &pid), 0, "a prefix of a buffer");
	ASSERT_EQ(pid, 42, "the prefix's pid");
}

TEST(pidfile_parse_rejects_what_is_not_a_pid)
{
	static const struct { const char *s; int err; } bad[] = {
		{ "", -ENODATA }, { "\n", -ENODATA },
		{ "0", -EINVAL }, { "0\n", -EINVAL }, { "01", -EINVAL },
		{ "-1", -EINVAL }, { "+1", -EINVAL }, { " 1", -EINVAL }, { "1 ", -EINVAL },
		{ "1abc", -EINVAL }, { "1\n\n", -EINVAL }, { "1\n2", -EINVAL }, { "abc", -EINVAL },
		{ "12\r\n", -EINVAL },
		{ "2147483648", -ERANGE }, { "4294967297", -ERANGE },
		{ "99999999999999999999999999", -ERANGE },
	};
	pid_t pid;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pid = 77;
		if (!ASSERT_EQ(parse(bad[i].s, &pid), bad[i].err, bad[i].s))
			continue;
		ASSERT_EQ(pid, 0, "no pid on an error");
	}
	ASSERT_EQ(pidfile_parse("1\0", 2, &pid), -EINVAL, "an embedded NUL");
	ASSERT_EQ(pidfile_parse(NULL, 0, &pid), -ENODATA, "nothing at all");
}

/* unload removes pins by name: every map the datapath pins must be on the list */
TEST(pin_dir_knows_every_pinned_map)
{
	struct steer_bpf *skel = steer_bpf__open();
	struct bpf_map *map;
	int n = 0;

	if (!ASSERT_TRUE(skel != NULL, "open the steer object"))
		return;
	bpf_object__for_each_map(map, skel->obj) {
		if (!bpf_map__pin_path(map))
			continue;
		n++;
		if (!pin_dir_is_own(bpf_map__name(map)))
			TEST_MSG("pinned map %s is not in pindir.c's own_pins", bpf_map__name(map)),
				test_fail();
	}
	ASSERT_TRUE(n >= 4, "the object pins its maps");
	ASSERT_TRUE(pin_dir_is_own("prog_egress") && pin_dir_is_own("link_xmit") &&
		    pin_dir_is_own("mptcp_sched"), "programs and links");
	ASSERT_FALSE(pin_dir_is_own("a.txt") || pin_dir_is_own("") ||
		     pin_dir_is_own("wan_table2"), "other names");
	steer_bpf__destroy(skel);
}
