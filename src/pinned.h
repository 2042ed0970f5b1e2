/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Opening a map pinned under the pin dir by name (OMR_MAP_*), checked
 * against what this omr-steer reads and writes there: a BPF map (not a
 * program or link), of the expected type, key size and value size.  A pin
 * left by another omr-steer version, or put there by someone else, is
 * refused with a message that names the map, instead of being read into a
 * struct of another size.  Every command that opens a pinned map by name
 * goes through here; the expectations are one table (pinned.c), checked
 * against the BPF object itself by the unit tests.
 */
#ifndef OMR_PINNED_H
#define OMR_PINNED_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/bpf.h>

struct pinned_map_spec {
	const char *name;		/* OMR_MAP_* */
	enum bpf_map_type type;
	unsigned int key_size, value_size;	/* per CPU for per-CPU maps */
};

/* The expectations for map @name, or NULL when it is not one of ours. */
const struct pinned_map_spec *pinned_map_spec(const char *name);

/* Every map omr-steer pins by name; sets *@n. */
const struct pinned_map_spec *pinned_map_specs(size_t *n);

/*
 * Open @pin_dir/@name and check it.  Returns an fd, or a negative errno:
 * -ENOENT when nothing is pinned there (quietly: the caller knows whether
 * that is normal), -EPROTO when it is not the map omr-steer expects (after
 * an error message naming the pin, what it is and what was expected), or
 * what bpf_obj_get() said.
 */
int pinned_map_open(const char *pin_dir, const char *name);

/*
 * The check alone, on an open fd, for a map called @what in messages:
 * 0 or -EPROTO (message printed).  @spec NULL: looked up by @name.
 */
int pinned_map_check(int fd, const char *what, const struct pinned_map_spec *spec);

/* How many pins this process refused so far (-EPROTO): a command's exit status. */
unsigned int pinned_map_refused(void);

#endif
