/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The pin directory: where it may be (on a bpffs; a bpffs is mounted only on
 * /sys/fs/bpf or on an empty directory), who owns it (the agent holds an
 * flock() on the directory itself from before it touches anything until it
 * exits; `unload` takes it over), and which of its entries are omr-steer's
 * (removed by name, nothing else).
 */
#ifndef OMR_PINDIR_H
#define OMR_PINDIR_H

#include <stdbool.h>
#include <sys/types.h>

/* The longest --pin-dir: room for "/" and the longest pin name. */
#define PIN_DIR_MAX	(4096 - 64)

struct pin_dir {
	int fd;			/* the directory, locked; -1: not held */
	bool created;		/* this process made it */
};

/*
 * For `load`: make sure @path's parent is a bpffs (mounting one there only
 * when it is /sys/fs/bpf or an empty directory), create @path, and lock it.
 * 0, or a negative errno with the reason printed (-EBUSY: another agent
 * holds it).
 */
int pin_dir_take(struct pin_dir *pd, const char *path);

/* Unlock and close (the agent at exit: the directory and its pins stay). */
void pin_dir_release(struct pin_dir *pd);

/*
 * For `unload`: open the existing @path.  An fd, or -ENOENT (nothing
 * there), -ENOTDIR, -EMEDIUMTYPE (not on a bpffs), another negative errno.
 */
int pin_dir_open(const char *path);

/* flock(LOCK_EX | LOCK_NB) on @fd: 0, -EBUSY when someone holds it, -errno. */
int pin_dir_trylock(int fd);

/* The pid of the process holding the lock on the directory @fd (/proc/locks), or 0. */
pid_t pin_dir_holder(int fd);

/* Is @name one of omr-steer's pins (maps, programs, links)? */
bool pin_dir_is_own(const char *name);

/*
 * Remove omr-steer's pins from the directory @fd (@path) by name, then the
 * directory.  -ENOTEMPTY when other entries remain (named in a warning; the
 * directory stays), another negative errno on failure.
 */
int pin_dir_remove(int fd, const char *path);

#endif
