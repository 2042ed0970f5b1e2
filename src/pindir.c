// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where the pin directory may be, who owns it, and which entries are ours. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include "log.h"
#include "omr_steer_abi.h"
#include "pindir.h"

#define DEFAULT_BPFFS "/sys/fs/bpf"

static const char *const own_pins[] = {
	OMR_MAP_WAN_IFINDEX, OMR_MAP_WAN_COUNTERS, OMR_MAP_WAN_TABLE, OMR_MAP_META,
	OMR_MAP_WAN_ADDR, OMR_MAP_MPTCP_ENDP, OMR_MAP_MPTCP_STATE,
	OMR_MAP_STEER_FLOWS, OMR_MAP_STEER_CFG, OMR_MAP_STEER_WAN, OMR_MAP_STEER_LOAD,
	OMR_MAP_STEER_RULES, OMR_MAP_STEER_INBOUND, OMR_MAP_STEER_IFCACHE,
	OMR_MAP_STEER_SYSCTL, OMR_MAP_STEER_CLASSES, OMR_MAP_CLASS_HITS, OMR_MAP_POLICY,
	OMR_PIN_PROG_EGRESS, OMR_PIN_PROG_INGRESS, OMR_PIN_LINK_XMIT,
	OMR_PIN_LINK_XMIT "_new",	/* datapath.c's temporary name while replacing it */
	OMR_PIN_MPTCP_SCHED,
};

bool pin_dir_is_own(const char *name)
{
	for (size_t i = 0; i < sizeof(own_pins) / sizeof(own_pins[0]); i++)
		if (!strcmp(name, own_pins[i]))
			return true;
	return false;
}

static bool fd_is_bpffs(int fd)
{
	struct statfs st;

	return fstatfs(fd, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* 1: @path is an empty directory, 0: it holds something, negative errno. */
static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

/*
 * The parent of the pin dir must be a bpffs.  When it is not, mount one only
 * where that hides nothing: the usual /sys/fs/bpf, or an empty directory.
 */
static int prepare_parent(const char *path)
{
	char parent[PATH_MAX];
	struct statfs sf;
	int empty;

	snprintf(parent, sizeof(parent), "%s", path);
	dirname(parent);
	if (statfs(parent, &sf)) {
		int err = -errno;

		if (err == -ENOENT)
			pr_err("%s does not exist: the pin directory %s must be on a bpffs; create %s "
			       "(empty: 'load' mounts a bpffs on it) or mount one there "
			       "('mount -t bpf bpf %s')", parent, path, parent, parent);
		else
			pr_err("cannot look at %s (the pin directory's parent): %s", parent,
			       strerror(-err));
		return err;
	}
	if (sf.f_type == BPF_FS_MAGIC)
		return 0;
	empty = strcmp(parent, DEFAULT_BPFFS) ? dir_is_empty(parent) : 1;
	if (empty < 0) {
		pr_err("cannot read %s (the pin directory's parent): %s", parent, strerror(-empty));
		return empty;
	}
	if (!empty) {
		pr_err("%s is not a bpffs and holds files, which a bpffs mounted over it would hide: "
		       "pick a --pin-dir under a bpffs (default %s/omr-steer), or mount one "
		       "yourself ('mount -t bpf bpf DIR') and use --pin-dir DIR/omr-steer",
		       parent, DEFAULT_BPFFS);
		return -EMEDIUMTYPE;
	}
	if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
		int err = -errno;

		pr_err("%s is not a bpffs and mounting one there failed: %s", parent,
		       strerror(-err));
		return err;
	}
	pr_info("mounted bpffs on %s", parent);
	return 0;
}

pid_t pin_dir_holder(int fd)
{
	char line[256];
	struct stat st;
	pid_t pid = 0;
	FILE *f;

	if (fstat(fd, &st))
		return 0;
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	/* "1: FLOCK  ADVISORY  WRITE 1234 00:2a:5678 0 EOF"; waiters have "1: -> FLOCK" */
	while (fgets(line, sizeof(line), f)) {
		unsigned int maj, min;
		unsigned long long ino;
		char type[16];
		int p;

		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu", type, &p, &maj, &min, &ino) == 5 &&
		    !strcmp(type, "FLOCK") && maj == major(st.st_dev) && min == minor(st.st_dev) &&
		    ino == (unsigned long long)st.st_ino && p > 0) {
			pid = p;
			break;
		}
	}
	fclose(f);
	return pid;
}

int pin_dir_trylock(int fd)
{
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return 0;
	return errno == EWOULDBLOCK ? -EBUSY : -errno;
}

int pin_dir_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (!fd_is_bpffs(fd)) {
		close(fd);
		return -EMEDIUMTYPE;
	}
	return fd;
}

int pin_dir_take(struct pin_dir *pd, const char *path)
{
	int err;

	pd->fd = -1;
	pd->created = false;
	err = prepare_parent(path);
	if (err)
		return err;
	/* a concurrent unload may remove the directory between mkdir and flock */
	for (int tries = 0; tries < 5; tries++) {
		struct stat held, now;
		pid_t holder;

		if (!mkdir(path, 0700))
			pd->created = true;
		else if (errno != EEXIST) {
			err = -errno;
			pr_err("cannot create the pin directory %s: %s", path, strerror(-err));
			return err;
		}
		pd->fd = pin_dir_open(path);
		if (pd->fd == -ENOENT)
			continue;
		if (pd->fd < 0) {
			err = pd->fd;
			pd->fd = -1;
			if (err == -EMEDIUMTYPE)
				pr_err("the pin directory %s is not on a bpffs (something else is "
				       "mounted there?)", path);
			else
				pr_err("cannot open the pin directory %s: %s", path, strerror(-err));
			return err;
		}
		err = pin_dir_trylock(pd->fd);
		if (err) {
			holder = err == -EBUSY ? pin_dir_holder(pd->fd) : 0;
			close(pd->fd);
			pd->fd = -1;
			pd->created = false;	/* it is the holder's now */
			if (err != -EBUSY)
				pr_err("cannot lock the pin directory %s: %s", path, strerror(-err));
			else if (holder)
				pr_err("omr-steer is already running on %s (pid %d): use 'omr-steer "
				       "reload', or 'omr-steer unload --pin-dir %s' first, or give "
				       "this agent its own --pin-dir", path, (int)holder, path);
			else
				pr_err("the pin directory %s is in use by another omr-steer; "
				       "'omr-steer unload --pin-dir %s' stops it", path, path);
			return err;
		}
		if (!fstat(pd->fd, &held) && !stat(path, &now) && held.st_dev == now.st_dev &&
		    held.st_ino == now.st_ino)
			return 0;
		close(pd->fd);	/* removed (and maybe made again) under us: retry */
		pd->fd = -1;
	}
	pr_err("the pin directory %s keeps disappearing (an 'unload' running?); try again", path);
	return -EAGAIN;
}

void pin_dir_release(struct pin_dir *pd)
{
	if (pd->fd < 0)
		return;
	close(pd->fd);
	pd->fd = -1;
}

int pin_dir_remove(int fd, const char *path)
{
	char others[512] = "";
	size_t len = 0;
	int dfd = dup(fd), err = 0, n_others = 0;
	struct dirent *de;
	DIR *d;

	if (dfd < 0)
		return -errno;
	d = fdopendir(dfd);
	if (!d) {
		err = -errno;
		close(dfd);
		return err;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!pin_dir_is_own(de->d_name)) {
			if (len < sizeof(others))
				len += snprintf(others + len, sizeof(others) - len, "%s%s",
						n_others ? ", " : "", de->d_name);
			n_others++;
			continue;
		}
		if (unlinkat(fd, de->d_name, 0) && errno != ENOENT && !err) {
			err = -errno;
			pr_err("cannot remove %s/%s: %s", path, de->d_name, strerror(errno));
		}
	}
	closedir(d);
	if (err)
		return err;
	if (n_others) {
		pr_warn("left %s in place: it holds %d entr%s that omr-steer did not make (%s)",
			path, n_others, n_others == 1 ? "y" : "ies", others);
		return -ENOTEMPTY;
	}
	if (rmdir(path) && errno != ENOENT) {
		err = -errno;
		pr_err("cannot remove %s: %s", path, strerror(-err));
	}
	return err;
}
