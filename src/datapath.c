// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where the BPF objects are loaded, pinned, adopted and unpinned. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "datapath.h"
#include "log.h"
#include "steering.h"
#include "steer.skel.h"

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int datapath_prepare_pin_dir(const char *pin_dir)
{
	char parent[PATH_MAX];
	int err;

	if (strlen(pin_dir) >= sizeof(parent) - 32)
		return -ENAMETOOLONG;
	snprintf(parent, sizeof(parent), "%s", pin_dir);
	dirname(parent);
	if (!is_bpffs(parent)) {
		err = mkdir_p(parent, 0755);
		if (err) {
			pr_err("cannot create %s: %s", parent, strerror(-err));
			return err;
		}
		if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_err("%s is not a bpffs and mounting one there failed: %s",
			       parent, strerror(errno));
			return err;
		}
		pr_info("mounted bpffs on %s", parent);
	}
	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		err = -errno;
		pr_err("cannot create pin directory %s: %s", pin_dir, strerror(errno));
		return err;
	}
	return 0;
}

void datapath_init(struct datapath *dp, const char *pin_dir)
{
	memset(dp, 0, sizeof(*dp));
	snprintf(dp->pin_dir, sizeof(dp->pin_dir), "%s", pin_dir);
	dp->wan_ifindex_fd = dp->wan_counters_fd = dp->wan_table_fd = dp->meta_fd = -1;
	dp->ncpus = libbpf_num_possible_cpus();
}

static int pin_prog(struct bpf_program *prog, const char *pin_dir, const char *name)
{
	char path[PATH_MAX];
	int err;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	unlink(path);	/* a previous agent's program: ours replaces it */
	err = bpf_program__pin(prog, path);
	if (err)
		pr_err("cannot pin program at %s: %s", path, strerror(-err));
	return err;
}

/*
 * The transmit counter is not per WAN: one link, pinned so it outlives the
 * agent.  The new link replaces a previous agent's by renaming its pin over
 * the old one (which drops the old link): no moment without counting.
 */
static int attach_xmit_counter(struct steer_bpf *skel, const char *pin_dir)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	struct bpf_link *link;
	int err;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, OMR_PIN_LINK_XMIT);
	snprintf(tmp, sizeof(tmp), "%s_new", path);	/* bpffs refuses dots */
	link = bpf_program__attach(skel->progs.omr_xmit);
	if (!link) {
		err = -errno;
		pr_err("cannot attach the transmit counter (tp_btf/net_dev_xmit): %s",
		       strerror(errno));
		return err;
	}
	unlink(tmp);
	err = bpf_link__pin(link, tmp);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		pr_err("cannot pin the transmit counter at %s: %s", path, strerror(-err));
		unlink(tmp);
	}
	bpf_link__disconnect(link);	/* the pin keeps it attached */
	bpf_link__destroy(link);
	return err;
}

static __u32 netns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : (__u32)st.st_ino;
}

int datapath_load(struct datapath *dp, const char *pin_dir, const struct steering_config *sc)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	int err;

	datapath_init(dp, pin_dir);
	if (dp->ncpus <= 0)
		return dp->ncpus ? dp->ncpus : -EINVAL;
	dp->skel = steer_bpf__open_opts(&opts);
	if (!dp->skel) {
		err = -errno;
		pr_err("cannot open the BPF object: %s", strerror(errno));
		return err;
	}
	dp->skel->rodata->wan_netns_ino = netns_inode();
	err = steering_prepare(dp->skel, sc, pin_dir);
	if (err)
		goto fail;
	err = steer_bpf__load(dp->skel);
	if (err) {
		pr_err("cannot load the BPF programs: %s%s", strerror(-err),
		       err == -EINVAL ? " (pins under the pin dir from another omr-steer "
		       "version? run 'omr-steer unload' first)" : "");
		goto fail;
	}
	err = pin_prog(dp->skel->progs.omr_egress, pin_dir, OMR_PIN_PROG_EGRESS);
	if (!err)
		err = pin_prog(dp->skel->progs.omr_ingress, pin_dir, OMR_PIN_PROG_INGRESS);
	if (!err)
		err = attach_xmit_counter(dp->skel, pin_dir);
	if (err)
		goto fail;
	dp->wan_ifindex_fd = bpf_map__fd(dp->skel->maps.wan_ifindex);
	dp->wan_counters_fd = bpf_map__fd(dp->skel->maps.wan_counters);
	dp->wan_table_fd = bpf_map__fd(dp->skel->maps.wan_table);
	dp->meta_fd = bpf_map__fd(dp->skel->maps.omr_meta);
	/* vmlinux BTF parsed for CO-RE is freed by now: give the memory back */
	malloc_trim(0);
	return 0;
fail:
	steer_bpf__destroy(dp->skel);
	dp->skel = NULL;
	return err;
}

static int open_pin(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", pin_dir, name);
	return bpf_obj_get(path);
}

int datapath_open_pinned(struct datapath *dp, const char *pin_dir)
{
	datapath_init(dp, pin_dir);
	if (dp->ncpus <= 0)
		return dp->ncpus ? dp->ncpus : -EINVAL;
	dp->wan_ifindex_fd = open_pin(pin_dir, OMR_MAP_WAN_IFINDEX);
	dp->wan_counters_fd = open_pin(pin_dir, OMR_MAP_WAN_COUNTERS);
	dp->wan_table_fd = open_pin(pin_dir, OMR_MAP_WAN_TABLE);
	dp->meta_fd = open_pin(pin_dir, OMR_MAP_META);
	if (dp->wan_ifindex_fd < 0 || dp->wan_counters_fd < 0 ||
	    dp->wan_table_fd < 0 || dp->meta_fd < 0) {
		int err = -errno;

		datapath_close(dp);
		return err ? err : -ENOENT;
	}
	return 0;
}

void datapath_close(struct datapath *dp)
{
	if (dp->skel) {
		/* the skeleton owns the map fds */
		steer_bpf__destroy(dp->skel);
		dp->skel = NULL;
	} else {
		int *fds[] = { &dp->wan_ifindex_fd, &dp->wan_counters_fd,
			       &dp->wan_table_fd, &dp->meta_fd };

		for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
			if (*fds[i] >= 0)
				close(*fds[i]);
	}
	dp->wan_ifindex_fd = dp->wan_counters_fd = dp->wan_table_fd = dp->meta_fd = -1;
}

int datapath_egress_fd(const struct datapath *dp)
{
	return bpf_program__fd(dp->skel->progs.omr_egress);
}

int datapath_ingress_fd(const struct datapath *dp)
{
	return bpf_program__fd(dp->skel->progs.omr_ingress);
}

static int ret_errno(int ret)
{
	return ret < 0 ? -errno : 0;
}

int datapath_read_wan(const struct datapath *dp, __u32 wan_idx, struct wan_entry *e)
{
	return ret_errno(bpf_map_lookup_elem(dp->wan_table_fd, &wan_idx, e));
}

int datapath_write_wan(const struct datapath *dp, __u32 wan_idx, const struct wan_entry *e)
{
	return ret_errno(bpf_map_update_elem(dp->wan_table_fd, &wan_idx, e, BPF_ANY));
}

int datapath_read_totals(const struct datapath *dp, __u32 wan_idx, struct wan_totals *t)
{
	struct wan_counters percpu[dp->ncpus];

	memset(t, 0, sizeof(*t));
	if (bpf_map_lookup_elem(dp->wan_counters_fd, &wan_idx, percpu))
		return -errno;
	for (int cpu = 0; cpu < dp->ncpus; cpu++) {
		t->tx_bytes += percpu[cpu].tx_bytes;
		t->tx_packets += percpu[cpu].tx_packets;
		t->rx_bytes += percpu[cpu].rx_bytes;
		t->rx_packets += percpu[cpu].rx_packets;
		t->flows_assigned += percpu[cpu].flows_assigned;
		t->flows_steered += percpu[cpu].flows_steered;
		t->steer_errors += percpu[cpu].steer_errors;
		t->steer_drops += percpu[cpu].steer_drops;
		t->table_full += percpu[cpu].table_full;
		t->inbound_full += percpu[cpu].inbound_full;
	}
	return 0;
}

int datapath_reset_counters(const struct datapath *dp, __u32 wan_idx)
{
	struct wan_counters percpu[dp->ncpus];

	memset(percpu, 0, sizeof(percpu));
	return ret_errno(bpf_map_update_elem(dp->wan_counters_fd, &wan_idx, percpu, BPF_ANY));
}

int datapath_map_ifindex(const struct datapath *dp, __u32 ifindex, __u32 wan_idx)
{
	return ret_errno(bpf_map_update_elem(dp->wan_ifindex_fd, &ifindex, &wan_idx, BPF_ANY));
}

int datapath_unmap_ifindex(const struct datapath *dp, __u32 ifindex)
{
	int err = ret_errno(bpf_map_delete_elem(dp->wan_ifindex_fd, &ifindex));

	return err == -ENOENT ? 0 : err;
}

int datapath_read_meta(const struct datapath *dp, struct omr_meta *m)
{
	__u32 key = 0;

	return ret_errno(bpf_map_lookup_elem(dp->meta_fd, &key, m));
}

int datapath_write_meta(const struct datapath *dp, const struct omr_meta *m)
{
	__u32 key = 0;

	return ret_errno(bpf_map_update_elem(dp->meta_fd, &key, m, BPF_ANY));
}

int datapath_unpin_all(const char *pin_dir)
{
	DIR *d = opendir(pin_dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) && !err)
			err = -errno;
	}
	closedir(d);
	if (rmdir(pin_dir) && errno != ENOENT && !err)
		err = -errno;
	return err;
}

/* A live (not zombie) process called omr-steer: /proc/PID/stat is "PID (comm) STATE ..." */
bool datapath_pid_is_agent(int pid)
{
	char path[64], buf[256] = "";
	const char *rparen;
	FILE *f;

	if (pid <= 0 || kill(pid, 0))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	rparen = strrchr(buf, ')');
	return strstr(buf, "(omr-steer)") && rparen && rparen[1] == ' ' &&
	       rparen[2] != 'Z' && rparen[2] != 'X';
}

int datapath_agent_pid(const struct datapath *dp)
{
	struct omr_meta m;

	if (datapath_read_meta(dp, &m))
		return 0;
	return datapath_pid_is_agent((int)m.agent_pid) ? (int)m.agent_pid : 0;
}

int datapath_write_policy(const struct datapath *dp, const struct omr_policy *p)
{
	__u32 key = 0;

	if (!dp->skel)
		return -EBADF;
	return ret_errno(bpf_map_update_elem(bpf_map__fd(dp->skel->maps.agent_policy), &key, p,
					     BPF_ANY));
}

int datapath_open_map(const struct datapath *dp, const char *name)
{
	int fd = open_pin(dp->pin_dir, name);

	return fd < 0 ? -errno : fd;
}
