// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Pinned maps opened by name and checked against what we expect; see pinned.h. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "log.h"
#include "omr_steer_abi.h"
#include "pinned.h"

#define MAP(n, t, k, v) { .name = n, .type = BPF_MAP_TYPE_##t, .key_size = k, .value_size = v }

/* As bpf/lib/maps.h declares them (tests/unit/test_pinned.c compares the two). */
static const struct pinned_map_spec specs[] = {
	MAP(OMR_MAP_WAN_IFINDEX, HASH, sizeof(__u32), sizeof(__u32)),
	MAP(OMR_MAP_WAN_COUNTERS, PERCPU_ARRAY, sizeof(__u32), sizeof(struct wan_counters)),
	MAP(OMR_MAP_WAN_TABLE, ARRAY, sizeof(__u32), sizeof(struct wan_entry)),
	MAP(OMR_MAP_META, ARRAY, sizeof(__u32), sizeof(struct omr_meta)),
	MAP(OMR_MAP_WAN_ADDR, HASH, sizeof(struct wan_addr), sizeof(__u32)),
	MAP(OMR_MAP_MPTCP_ENDP, HASH, sizeof(__u32), sizeof(struct mptcp_endp_saved)),
	MAP(OMR_MAP_MPTCP_STATE, ARRAY, sizeof(__u32), sizeof(struct mptcp_state)),
	MAP(OMR_MAP_STEER_FLOWS, HASH, sizeof(struct flow_key), sizeof(struct flow_entry)),
	MAP(OMR_MAP_STEER_CFG, ARRAY, sizeof(__u32), sizeof(struct steer_cfg)),
	MAP(OMR_MAP_STEER_WAN, ARRAY, sizeof(__u32), sizeof(struct steer_wan)),
	MAP(OMR_MAP_STEER_LOAD, ARRAY, sizeof(__u32), sizeof(struct steer_load)),
	MAP(OMR_MAP_STEER_RULES, LPM_TRIE, sizeof(struct steer_rule_key), sizeof(struct steer_rule)),
	MAP(OMR_MAP_STEER_INBOUND, HASH, sizeof(struct flow_key), sizeof(struct flow_entry)),
	MAP(OMR_MAP_STEER_IFCACHE, ARRAY, sizeof(__u32), sizeof(struct steer_ifslot)),
	MAP(OMR_MAP_STEER_SYSCTL, HASH, OMR_IFNAMSIZ, sizeof(struct steer_sysctl_saved)),
	MAP(OMR_MAP_STEER_CLASSES, ARRAY, sizeof(__u32), sizeof(struct steer_classes)),
	MAP(OMR_MAP_CLASS_HITS, PERCPU_ARRAY, sizeof(__u32), sizeof(__u64)),
	MAP(OMR_MAP_POLICY, ARRAY, sizeof(__u32), sizeof(struct omr_policy)),
};

const struct pinned_map_spec *pinned_map_specs(size_t *n)
{
	*n = sizeof(specs) / sizeof(specs[0]);
	return specs;
}

const struct pinned_map_spec *pinned_map_spec(const char *name)
{
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		if (!strcmp(specs[i].name, name))
			return &specs[i];
	return NULL;
}

static unsigned int refused;

unsigned int pinned_map_refused(void)
{
	return refused;
}

static const char *type_name(enum bpf_map_type type, char *buf, size_t size)
{
	const char *s = libbpf_bpf_map_type_str(type);

	if (s)
		snprintf(buf, size, "%s", s);
	else
		snprintf(buf, size, "type-%u", (unsigned)type);
	return buf;
}

/* What kind of BPF object @fd is: "bpf-map", "bpf-prog", "bpf_link", ... */
static void fd_kind(int fd, char *buf, size_t size)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	snprintf(buf, size, "%s", strncmp(link, "anon_inode:", 11) ? link : link + 11);
}

int pinned_map_check(int fd, const char *what, const struct pinned_map_spec *spec)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char kind[64], t1[24], t2[24];

	if (!spec)
		spec = pinned_map_spec(what);
	if (!spec)
		return 0;	/* not one of ours: nothing to hold it to */
	fd_kind(fd, kind, sizeof(kind));
	if (strcmp(kind, "bpf-map")) {
		pr_err("%s is not a BPF map but %s; omr-steer expects its %s map there "
		       "(remove the pin, or use another --pin-dir)", what, kind[0] ? kind : "unknown",
		       spec->name);
		refused++;
		return -EPROTO;
	}
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int err = -errno;

		pr_err("%s: cannot read what map it is: %s", what, strerror(errno));
		return err;
	}
	if (info.type == spec->type && info.key_size == spec->key_size &&
	    info.value_size == spec->value_size)
		return 0;
	type_name(info.type, t1, sizeof(t1));
	pr_err("%s: %s %s map of %u-byte keys and %u-byte values, not the %s map of %u-byte keys "
	       "and %u-byte values this omr-steer expects (pins of another omr-steer version? "
	       "'omr-steer unload' removes them, then 'omr-steer load')",
	       what, strchr("aeiou", t1[0]) ? "an" : "a", t1, info.key_size, info.value_size,
	       type_name(spec->type, t2, sizeof(t2)), spec->key_size, spec->value_size);
	refused++;
	return -EPROTO;
}

int pinned_map_open(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno ? -errno : -ENOENT;
	err = pinned_map_check(fd, path, pinned_map_spec(name));
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}
