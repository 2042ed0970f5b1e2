// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where the BPF objects are loaded, pinned, adopted and unpinned. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "datapath.h"
#include "log.h"
#include "pinned.h"
#include "steering.h"
#include "steer.skel.h"

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

/* Pins of another shape, named (pinned.h) before libbpf refuses to reuse them. */
static int check_pins(const char *pin_dir)
{
	const struct pinned_map_spec *specs;
	size_t n;
	int err = 0;

	specs = pinned_map_specs(&n);
	for (size_t i = 0; i < n; i++) {
		int fd = pinned_map_open(pin_dir, specs[i].name);

		if (fd >= 0)
			close(fd);
		else if (fd == -EPROTO)
			err = fd;
	}
	return err;
}

int datapath_load(struct datapath *dp, const char *pin_dir, const struct steering_config *sc)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	int err;

	datapath_init(dp, pin_dir);
	if (dp->ncpus <= 0)
		return dp->ncpus ? dp->ncpus : -EINVAL;
	err = check_pins(pin_dir);
	if (err)
		return err;
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

int datapath_open_pinned(struct datapath *dp, const char *pin_dir)
{
	int *fds[] = { &dp->wan_ifindex_fd, &dp->wan_counters_fd, &dp->wan_table_fd, &dp->meta_fd };
	const char *names[] = { OMR_MAP_WAN_IFINDEX, OMR_MAP_WAN_COUNTERS, OMR_MAP_WAN_TABLE,
				OMR_MAP_META };
	int err = 0;

	datapath_init(dp, pin_dir);
	if (dp->ncpus <= 0)
		return dp->ncpus ? dp->ncpus : -EINVAL;
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		*fds[i] = pinned_map_open(pin_dir, names[i]);
		/* a map that is not ours outweighs one that is missing */
		if (*fds[i] < 0 && (!err || *fds[i] == -EPROTO))
			err = *fds[i];
	}
	if (err)
		datapath_close(dp);
	return err;
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

int datapath_read_wans(const struct datapath *dp, struct wan_entry tbl[OMR_MAX_WANS])
{
	__u32 keys[OMR_MAX_WANS], out_batch, count = OMR_MAX_WANS;
	int err;

	/* an array map answers every index, in order, in one batch (kernel >= 5.6) */
	err = bpf_map_lookup_batch(dp->wan_table_fd, NULL, &out_batch, keys, tbl, &count, NULL);
	if ((!err || errno == ENOENT) && count == OMR_MAX_WANS &&
	    keys[0] == 0 && keys[OMR_MAX_WANS - 1] == OMR_MAX_WANS - 1)
		return 0;
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		err = datapath_read_wan(dp, i, &tbl[i]);
		if (err)
			return err;
	}
	return 0;
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
	return pinned_map_open(dp->pin_dir, name);
}
