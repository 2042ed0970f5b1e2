// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* pinned.c: the expectations for the pinned maps, and their check. */
#include <errno.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pinned.h"
#include "steer.skel.h"
#include "test.h"

/* The table in pinned.c says what bpf/lib/maps.h declares, map for map. */
TEST(pinned_specs_match_bpf_object)
{
	struct steer_bpf *skel = steer_bpf__open();
	const struct pinned_map_spec *specs;
	size_t n, pinned = 0;
	struct bpf_map *map;

	if (!ASSERT_TRUE(skel, "open the steer BPF object"))
		return;
	specs = pinned_map_specs(&n);
	for (size_t i = 0; i < n; i++) {
		map = bpf_object__find_map_by_name(skel->obj, specs[i].name);
		if (!ASSERT_TRUE(map, specs[i].name))
			continue;
		ASSERT_EQ(bpf_map__type(map), specs[i].type, specs[i].name);
		ASSERT_EQ(bpf_map__key_size(map), specs[i].key_size, specs[i].name);
		ASSERT_EQ(bpf_map__value_size(map), specs[i].value_size, specs[i].name);
	}
	/* and every map pinned by name has its entry */
	bpf_object__for_each_map(map, skel->obj) {
		if (!bpf_map__is_pinned(map) && !bpf_map__pin_path(map))
			continue;
		pinned++;
		if (!ASSERT_TRUE(pinned_map_spec(bpf_map__name(map)), bpf_map__name(map)))
			TEST_MSG("map %s is pinned by name but has no entry in pinned.c",
				 bpf_map__name(map));
	}
	ASSERT_EQ(pinned, n, "pinned maps in the object");
	steer_bpf__destroy(skel);
}

/* A map of another type, key or value size is refused; the right one passes. */
TEST(pinned_check_refuses_other_maps)
{
	const struct pinned_map_spec *spec = pinned_map_spec("wan_table");
	unsigned int refused = pinned_map_refused();
	int good, big, hash;

	if (!ASSERT_TRUE(spec, "spec of wan_table"))
		return;
	good = bpf_map_create(spec->type, "t_good", spec->key_size, spec->value_size, 4, NULL);
	if (good < 0 && (errno == EPERM || errno == EACCES)) {
		test_skip("creating BPF maps needs CAP_BPF");
		return;
	}
	big = bpf_map_create(BPF_MAP_TYPE_ARRAY, "t_big", 4, 4096, 4, NULL);
	hash = bpf_map_create(BPF_MAP_TYPE_HASH, "t_hash", spec->key_size, spec->value_size, 4,
			      NULL);
	if (ASSERT_GE(good, 0, "create") && ASSERT_GE(big, 0, "create") &&
	    ASSERT_GE(hash, 0, "create")) {
		ASSERT_EQ(pinned_map_check(good, "wan_table", NULL), 0, "the map we expect");
		ASSERT_EQ(pinned_map_check(big, "wan_table", NULL), -EPROTO, "4096-byte values");
		ASSERT_EQ(pinned_map_check(hash, "wan_table", NULL), -EPROTO, "a hash map");
		ASSERT_EQ(pinned_map_refused() - refused, 2, "refusals counted");
	}
	for (int fd, i = 0; i < 3; i++)
		if ((fd = (int[]){ good, big, hash }[i]) >= 0)
			close(fd);
}
