// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * MPTCP support on the running kernel (src/mptcp*.c) and the scheduler's
 * decision logic in BPF (bpf/mptcp_sched.bpf.c):
 *  - the probe's answer agrees with the kernel BTF and the sysctls, says why
 *    in plain words, and gives the BTF memory back;
 *  - without the hook, mptcp_start() takes the endpoint-flag path and
 *    records it under the pin dir; mptcp_restore() clears the record;
 *  - in a private network namespace, mptcp_apply_weights() sets and clears
 *    endpoint backup flags from weights and mptcp_restore() puts them back;
 *  - the decision logic, run by this kernel's verifier and BPF_PROG_TEST_RUN,
 *    chooses exactly what its user-space build chooses.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <net/if.h>
#include <linux/mptcp.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "test.h"
#include "mptcp.h"
#include "mptcp_sched_logic.h"
#include "mptcp_sched_selftest.skel.h"

static long status_kib(const char *field)
{
	char line[256];
	long kib = -1;
	size_t len = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':')
			kib = strtol(line + len + 1, NULL, 10);
	fclose(f);
	return kib;
}

/*
 * The probe's peak memory, measured in a child (a fresh VmHWM, which the
 * test process has already raised): growth of VmHWM over one probe, KiB,
 * less the file pages it mapped (the kernel maps 64 KiB of code around each
 * first call into an object file: ~100 KiB per file under ASan).
 */
static long probe_peak_growth_kib(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct mptcp_support sup;
		long before = status_kib("VmHWM"), after, file = status_kib("RssFile");

		mptcp_probe(&sup);
		after = status_kib("VmHWM") - (status_kib("RssFile") - file);
		_exit(after - before < 0 ? 0 : (after - before) / 64 > 250 ? 250 : (after - before) / 64);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status) * 64L;
}

static bool read_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

TEST(mptcp_probe_this_kernel)
{
	struct mptcp_support sup;
	char enabled[16] = "", sched[32] = "";
	bool hook, has_ops, get_send = false;
	struct btf *btf;
	long peak;
	__s32 id;

	if (!read_file("/proc/sys/net/mptcp/enabled", enabled, sizeof(enabled))) {
		mptcp_probe(&sup);
		ASSERT_EQ(sup.mode, MPTCP_MODE_DISABLED, "mode without MPTCP in the kernel");
		return;
	}
	read_file("/proc/sys/net/mptcp/scheduler", sched, sizeof(sched));

	/* what the BTF says, independently of src/mptcp_probe.c */
	btf = btf__load_vmlinux_btf();
	if (!ASSERT_TRUE(btf && !libbpf_get_error(btf), "kernel BTF loads"))
		return;
	hook = btf__find_by_name_kind(btf, "bpf_struct_ops_mptcp_sched_ops", BTF_KIND_STRUCT) > 0;
	id = btf__find_by_name_kind(btf, "mptcp_sched_ops", BTF_KIND_STRUCT);
	has_ops = id > 0;
	if (has_ops) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const struct btf_member *m = btf_members(t);

		for (int i = 0; i < btf_vlen(t); i++, m++)
			get_send |= !strcmp(btf__name_by_offset(btf, m->name_off), "get_send");
	}
	btf__free(btf);

	mptcp_probe(&sup);
	peak = probe_peak_growth_kib();
	ASSERT_GE(peak, 0, "probe in a child process");
	ASSERT_LE(peak, 1024, "peak memory growth over a probe (KiB): the BTF must not be loaded whole");

	ASSERT_EQ(sup.enabled, atoi(enabled) == 1, "enabled = net.mptcp.enabled");
	ASSERT_STREQ(sup.scheduler, sched, "scheduler = net.mptcp.scheduler");
	ASSERT_EQ(sup.hook, hook, "hook = bpf_struct_ops_mptcp_sched_ops in BTF");
	if (has_ops)
		ASSERT_EQ(sup.gen, get_send ? MPTCP_GEN_GET_SEND : MPTCP_GEN_GET_SUBFLOW,
			  "generation from struct mptcp_sched_ops");
	fprintf(stderr, "  probe: %s\n", sup.reason);
	if (!sup.enabled) {
		ASSERT_EQ(sup.mode, MPTCP_MODE_DISABLED, "mode with MPTCP off");
		ASSERT_CONTAINS(sup.reason, "MPTCP disabled", "reason");
	} else if (!hook) {
		ASSERT_EQ(sup.mode, MPTCP_MODE_ENDPOINT_FLAGS, "mode without the hook");
		ASSERT_STREQ(mptcp_mode_name(sup.mode), "endpoint flags", "mode name");
		ASSERT_CONTAINS(sup.reason, "endpoint flags: this kernel has no BPF MPTCP scheduler "
				"hook (no bpf_struct_ops_mptcp_sched_ops in its BTF)", "reason");
		ASSERT_TRUE(sup.path_manager, "the mptcp_pm netlink family resolves");
	} else {
		ASSERT_TRUE(sup.mode == MPTCP_MODE_STRUCT_OPS ||
			    sup.mode == MPTCP_MODE_ENDPOINT_FLAGS, "mode with the hook");
		ASSERT_CONTAINS(sup.reason, "hook", "reason names the hook");
	}
}

/* Write a made-up kernel BTF with a struct mptcp_sched_ops of member @op. */
static bool write_btf(const char *path, const char *op, bool hook)
{
	struct btf *b = btf__new_empty();
	const void *raw;
	__u32 size;
	int i32, fn, ptr, ops, arr, e;
	FILE *f;
	bool ok;

	if (!b)
		return false;
	/* a bit of every kind the scanner must step over */
	i32 = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	fn = btf__add_func_proto(b, i32);
	btf__add_func_param(b, "msk", i32);
	btf__add_func_param(b, "data", i32);
	ptr = btf__add_ptr(b, fn);
	arr = btf__add_array(b, i32, i32, 16);
	e = btf__add_enum(b, "mptcp_sched_kind", 4);
	btf__add_enum_value(b, "get_send", 1);	/* same name, not a member */
	btf__add_typedef(b, "sched_fn", ptr);
	btf__add_struct(b, "", 8);	/* anonymous: name offset 0 */
	btf__add_field(b, "", i32, 0, 0);
	ops = btf__add_struct(b, "mptcp_sched_ops", 24);
	btf__add_field(b, "name", arr, 0, 0);
	btf__add_field(b, op, ptr, 128, 0);
	if (hook) {
		btf__add_struct(b, "bpf_struct_ops_mptcp_sched_ops", 32);
		btf__add_field(b, "data", ops, 0, 0);
	}
	btf__add_func(b, "mptcp_sched_find", BTF_FUNC_GLOBAL, fn);
	(void)e;
	raw = btf__raw_data(b, &size);
	f = fopen(path, "w");
	ok = raw && f && fwrite(raw, 1, size, f) == size;
	if (f)
		fclose(f);
	btf__free(b);
	return ok;
}

TEST(mptcp_btf_probe_made_up_kernels)
{
	struct {
		const char *op;
		bool hook;
		enum mptcp_sched_gen gen;
	} cases[] = {
		{ "get_send", true, MPTCP_GEN_GET_SEND },	/* mptcp_net-next */
		{ "get_subflow", true, MPTCP_GEN_GET_SUBFLOW },	/* OpenMPTCProuter */
		{ "get_send", false, MPTCP_GEN_GET_SEND },	/* mainline */
		{ "get_other", true, MPTCP_GEN_NONE },		/* unknown layout */
	};
	char path[] = "/tmp/omr-btf-test.XXXXXX";
	int fd = mkstemp(path);

	if (!ASSERT_TRUE(fd >= 0, "temporary file"))
		return;
	close(fd);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum mptcp_sched_gen gen = 99;
		bool hook = !cases[i].hook;
		char what[96];

		snprintf(what, sizeof(what), "case %zu (%s, hook %d)", i, cases[i].op, cases[i].hook);
		if (!ASSERT_TRUE(write_btf(path, cases[i].op, cases[i].hook), what))
			break;
		ASSERT_EQ(mptcp_btf_probe(path, &hook, &gen), 0, what);
		ASSERT_EQ(hook, cases[i].hook, what);
		ASSERT_EQ(gen, cases[i].gen, what);
	}
	/* not BTF at all */
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd >= 0) {
		enum mptcp_sched_gen gen;
		bool hook;

		ASSERT_EQ(write(fd, "not btf, not at all: a text file", 32), 32, "write");
		close(fd);
		ASSERT_EQ(mptcp_btf_probe(path, &hook, &gen), -EPROTO, "a file that is not BTF");
	}
	unlink(path);
}

/* A bpffs of our own under /tmp, for the pinned records. */
static bool make_pin_dir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/omr-mptcp-test.XXXXXX");
	if (!mkdtemp(dir))
		return false;
	if (mount("bpf", dir, "bpf", 0, NULL)) {
		rmdir(dir);
		return false;
	}
	return true;
}

static void drop_pin_dir(const char *dir)
{
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

TEST(mptcp_start_without_hook_takes_endpoint_flags)
{
	struct mptcp_support sup;
	struct mptcp_status *st;
	char dir[64], msg[256], sched_before[32] = "", sched_after[32] = "";
	int mode;

	mptcp_probe(&sup);
	if (sup.hook || !sup.enabled) {
		test_skip(sup.hook ? "this kernel has the MPTCP scheduler hook"
				   : "MPTCP is disabled here");
		return;
	}
	if (!make_pin_dir(dir, sizeof(dir))) {
		test_skip("cannot mount a bpffs under /tmp");
		return;
	}
	read_file("/proc/sys/net/mptcp/scheduler", sched_before, sizeof(sched_before));
	mode = mptcp_start(dir, &sup, true, msg, sizeof(msg));
	ASSERT_EQ(mode, MPTCP_MODE_ENDPOINT_FLAGS, "mode mptcp_start() took");
	ASSERT_STREQ(msg, "", "no fallback message: this is the expected path");
	read_file("/proc/sys/net/mptcp/scheduler", sched_after, sizeof(sched_after));
	ASSERT_STREQ(sched_after, sched_before, "net.mptcp.scheduler untouched");

	st = calloc(1, sizeof(*st));
	if (ASSERT_TRUE(st, "memory")) {
		mptcp_status(dir, st);
		ASSERT_EQ(st->mode, MPTCP_MODE_ENDPOINT_FLAGS, "mode recorded under the pin dir");
		ASSERT_FALSE(st->scheduler_registered, "no scheduler pinned");
		ASSERT_EQ(mptcp_restore(dir), 0, "restore");
		mptcp_status(dir, st);
		ASSERT_EQ(st->mode, MPTCP_MODE_DISABLED, "record cleared by restore");
		free(st);
	}
	drop_pin_dir(dir);
}

/*
 * Where registration fails (here: the kernel lacks the hook but we pretend
 * the probe said otherwise), load falls back to endpoint flags, says why,
 * leaves net.mptcp.scheduler alone and pins nothing.
 */
TEST(mptcp_start_falls_back_when_registration_fails)
{
	struct mptcp_support sup;
	struct mptcp_status *st;
	char dir[64], msg[512], sched_before[32] = "", sched_after[32] = "";
	libbpf_print_fn_t prev_print;
	int mode;

	mptcp_probe(&sup);
	if (sup.hook || !sup.enabled) {
		test_skip(sup.hook ? "this kernel has the hook: registration would succeed"
				   : "MPTCP is disabled here");
		return;
	}
	if (!make_pin_dir(dir, sizeof(dir))) {
		test_skip("cannot mount a bpffs under /tmp");
		return;
	}
	read_file("/proc/sys/net/mptcp/scheduler", sched_before, sizeof(sched_before));
	sup.mode = MPTCP_MODE_STRUCT_OPS;
	sup.gen = MPTCP_GEN_GET_SEND;
	prev_print = libbpf_set_print(NULL);	/* the expected failure is noisy */
	mode = mptcp_start(dir, &sup, true, msg, sizeof(msg));
	libbpf_set_print(prev_print);
	ASSERT_EQ(mode, MPTCP_MODE_ENDPOINT_FLAGS, "mode after a failed registration");
	ASSERT_CONTAINS(msg, "loading the MPTCP scheduler", "message says what failed");
	ASSERT_CONTAINS(msg, "managing endpoint flags instead", "message says what happens");
	read_file("/proc/sys/net/mptcp/scheduler", sched_after, sizeof(sched_after));
	ASSERT_STREQ(sched_after, sched_before, "net.mptcp.scheduler untouched");
	st = calloc(1, sizeof(*st));
	if (ASSERT_TRUE(st, "memory")) {
		mptcp_status(dir, st);
		ASSERT_FALSE(st->scheduler_registered, "nothing pinned as the scheduler");
		ASSERT_EQ(st->mode, MPTCP_MODE_ENDPOINT_FLAGS, "mode recorded");
		free(st);
	}
	ASSERT_EQ(mptcp_restore(dir), 0, "restore");
	drop_pin_dir(dir);
}

static int run(const char *cmd)
{
	int rc = system(cmd);

	if (rc)
		TEST_MSG("command failed (%d): %s", rc, cmd);
	return rc;
}

static int endpoint_flags(__u32 id)
{
	struct mptcp_endpoint eps[16];
	int n = mptcp_pm_list(eps, 16);

	for (int i = 0; i < n && i < 16; i++)
		if (eps[i].id == id)
			return (int)eps[i].flags;
	return -1;
}

/*
 * In a private network namespace: two "WANs" (veth devices) with MPTCP
 * endpoints, both backup; weights 3 and 0 make the first non-backup; a
 * weight change moves the backup flag; restore puts the originals back.
 */
TEST(mptcp_endpoint_flags_follow_weights)
{
	struct mptcp_wan wans[2] = {
		{ .wan_idx = 0, .weight = 3, .name = "omt0" },
		{ .wan_idx = 1, .weight = 0, .name = "omt1" },
	};
	struct mptcp_support sup;
	struct mptcp_status *st = NULL;
	char dir[64];
	int host_ns, changed;

	host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (host_ns < 0 || unshare(CLONE_NEWNET)) {
		test_skip("cannot create a network namespace");
		if (host_ns >= 0)
			close(host_ns);
		return;
	}
	if (!make_pin_dir(dir, sizeof(dir))) {
		test_skip("cannot mount a bpffs under /tmp");
		goto back;
	}
	mptcp_probe(&sup);
	if (!sup.enabled || !sup.path_manager) {
		test_skip("no MPTCP path manager in a new namespace");
		goto out;
	}
	if (!ASSERT_EQ(run("ip link add omt0 type veth peer name omt0p && "
		"ip link add omt1 type veth peer name omt1p && "
		"ip link set omt0 up && ip link set omt1 up && "
		"ip addr add 10.251.1.1/24 dev omt0 && ip addr add 10.251.2.1/24 dev omt1 && "
		"ip mptcp endpoint add 10.251.1.1 id 11 dev omt0 subflow backup && "
		"ip mptcp endpoint add 10.251.2.1 id 12 subflow backup && "
		"ip mptcp endpoint add 10.251.9.9 id 13 subflow backup"), 0,
		       "set up the namespace (veth, addresses, endpoints)"))
		goto out;
	wans[0].ifindex = if_nametoindex("omt0");
	wans[1].ifindex = if_nametoindex("omt1");

	/* id 11 by ifindex, id 12 by address; id 13 is not a WAN's */
	changed = mptcp_apply_weights(dir, &sup, wans, 2);
	ASSERT_EQ(changed, 1, "endpoints changed by the first apply");
	ASSERT_EQ(endpoint_flags(11), MPTCP_PM_ADDR_FLAG_SUBFLOW, "weight 3: not backup");
	ASSERT_EQ(endpoint_flags(12), MPTCP_PM_ADDR_FLAG_SUBFLOW | MPTCP_PM_ADDR_FLAG_BACKUP,
		  "weight 0: backup");
	ASSERT_EQ(endpoint_flags(13), MPTCP_PM_ADDR_FLAG_SUBFLOW | MPTCP_PM_ADDR_FLAG_BACKUP,
		  "not a WAN's endpoint: untouched");
	ASSERT_EQ(mptcp_apply_weights(dir, &sup, wans, 2), 0, "a second apply changes nothing");

	/* weights change: 0 and 2 */
	wans[0].weight = 0;
	wans[1].weight = 2;
	ASSERT_EQ(mptcp_apply_weights(dir, &sup, wans, 2), 2, "endpoints changed by new weights");
	ASSERT_EQ(endpoint_flags(11), MPTCP_PM_ADDR_FLAG_SUBFLOW | MPTCP_PM_ADDR_FLAG_BACKUP,
		  "weight 0 now: backup");
	ASSERT_EQ(endpoint_flags(12), MPTCP_PM_ADDR_FLAG_SUBFLOW, "weight 2 now: not backup");

	st = calloc(1, sizeof(*st));
	if (ASSERT_TRUE(st, "memory")) {
		mptcp_status(dir, st);
		ASSERT_EQ(st->n_managed, 2, "endpoints whose original flags are recorded");
	}

	/* the WAN of endpoint 12 leaves the config: its original flags come back */
	ASSERT_EQ(mptcp_apply_weights(dir, &sup, wans, 1), 0, "apply without the second WAN");
	ASSERT_EQ(endpoint_flags(12), MPTCP_PM_ADDR_FLAG_SUBFLOW | MPTCP_PM_ADDR_FLAG_BACKUP,
		  "a WAN dropped from the config gets its original flags");

	/* unload: everything as it was */
	wans[1].weight = 2;
	mptcp_apply_weights(dir, &sup, wans, 2);
	ASSERT_EQ(endpoint_flags(12), MPTCP_PM_ADDR_FLAG_SUBFLOW, "managed again");
	ASSERT_EQ(mptcp_restore(dir), 0, "restore");
	ASSERT_EQ(endpoint_flags(11), MPTCP_PM_ADDR_FLAG_SUBFLOW | MPTCP_PM_ADDR_FLAG_BACKUP,
		  "restored 11");
	ASSERT_EQ(endpoint_flags(12), MPTCP_PM_ADDR_FLAG_SUBFLOW | MPTCP_PM_ADDR_FLAG_BACKUP,
		  "restored 12");
	if (st) {
		mptcp_status(dir, st);
		ASSERT_EQ(st->n_managed, 0, "no record left after restore");
	}
	ASSERT_EQ(mptcp_pm_set_backup(13, false), 0, "mptcp_pm_set_backup");
	ASSERT_EQ(endpoint_flags(13), MPTCP_PM_ADDR_FLAG_SUBFLOW, "endpoint 13 not backup");
	ASSERT_EQ(mptcp_pm_set_backup(99, true), -ENOENT, "no endpoint 99");
out:
	free(st);
	drop_pin_dir(dir);
back:
	if (setns(host_ns, CLONE_NEWNET))
		TEST_MSG("cannot return to the host network namespace: %s", strerror(errno));
	close(host_ns);
}

/* A small deterministic generator, so that a failure can be replayed. */
static __u32 rng_state = 12345;

static __u32 rng(__u32 bound)
{
	rng_state = rng_state * 1103515245 + 12345;
	return (rng_state >> 8) % bound;
}

/* The user-space twin of the sched_selftest program. */
static int pick_in_user_space(struct omr_sched_conn *conn, const struct omr_sched_subflow *in,
			      __u32 n, bool retrans)
{
	for (__u32 i = 0; i < n && i < OMR_SCHED_MAX_SUBFLOWS; i++)
		conn->sf[i] = in[i];
	return omr_sched_decide(conn, n, retrans);
}

TEST(mptcp_sched_logic_bpf_matches_user_space)
{
	struct mptcp_sched_selftest_bpf *skel;
	struct omr_sched_conn user_conn;
	struct omr_sched_subflow pool[12];
	__u64 counters[12] = { 0 };
	int steps = 600, mismatches = 0, io_fd, prog_fd, err;
	__u32 zero = 0, next_id = 1;

	skel = mptcp_sched_selftest_bpf__open();
	if (!ASSERT_TRUE(skel, "open the self-test object"))
		return;
	err = mptcp_sched_selftest_bpf__load(skel);
	if (!ASSERT_EQ(err, 0, "the verifier accepts the decision logic (sched_selftest)"))
		goto out;
	io_fd = bpf_map__fd(skel->maps.selftest_io);
	prog_fd = bpf_program__fd(skel->progs.sched_selftest);
	memset(&user_conn, 0, sizeof(user_conn));
	memset(pool, 0, sizeof(pool));
	for (int i = 0; i < 12; i++)
		pool[i].id = next_id++;

	for (int step = 0; step < steps; step++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts);
		struct {
			__u32 n, retrans;
			__s32 pick;
			__u32 pad;
			struct omr_sched_subflow in[OMR_SCHED_MAX_SUBFLOWS];
		} io = { 0 };
		int user_pick;

		/* now and then a subflow closes and a new one takes its place */
		if (rng(40) == 0) {
			int victim = (int)rng(12);

			pool[victim].id = next_id++;
			counters[victim] = rng(1 << 20);
		}
		io.n = 1 + rng(OMR_SCHED_MAX_SUBFLOWS);
		io.retrans = rng(5) == 0;
		for (__u32 i = 0; i < io.n; i++) {
			int p = (int)((i * 3 + step / 50) % 12);
			struct omr_sched_subflow *sf = &io.in[i];

			counters[p] += rng(64 * 1024);
			*sf = pool[p];
			sf->sent = counters[p] & 0xffffffffULL;
			sf->weight = rng(4) ? rng(6) : 0;
			sf->usable = rng(8) != 0;
			sf->writable = rng(3) != 0;
			sf->idle = rng(3) == 0;
			sf->delivered = rng(1 << 20);
			sf->interval_us = rng(4) ? 1 + rng(100000) : 0;
			sf->srtt_us = rng(50000);
		}
		/* step 0 shows the same subflows twice, to exercise the slots */
		if (bpf_map_update_elem(io_fd, &zero, &io, BPF_ANY)) {
			ASSERT_TRUE(false, "write selftest_io");
			break;
		}
		err = bpf_prog_test_run_opts(prog_fd, &opts);
		if (!ASSERT_EQ(err, 0, "BPF_PROG_TEST_RUN sched_selftest") ||
		    !ASSERT_EQ(opts.retval, 0, "sched_selftest return value"))
			break;
		bpf_map_lookup_elem(io_fd, &zero, &io);
		user_pick = pick_in_user_space(&user_conn, io.in, io.n, io.retrans);
		if (io.pick != user_pick && mismatches++ < 5)
			TEST_MSG("step %d: BPF picked %d, user space %d", step, io.pick, user_pick);
	}
	ASSERT_EQ(mismatches, 0, "decisions where BPF and user space differ");
out:
	mptcp_sched_selftest_bpf__destroy(skel);
}
