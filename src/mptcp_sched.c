// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The omr_steer struct_ops scheduler: load, register, pin, unregister (see
 * src/mptcp_sched.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mptcp_sched.h"
#include "mptcp_sched.skel.h"

static void set_autoload(struct bpf_program *prog, bool load)
{
	bpf_program__set_autoload(prog, load);
}

/*
 * Before load: keep only what generation @gen needs (MPTCP_GEN_NONE: neither
 * struct_ops map, for the self-test).  libbpf < 1.4 prepares every struct_ops
 * map against the kernel BTF whether it creates it or not, so the left-out
 * ones also stop being struct_ops maps.
 */
int mptcp_sched_prepare(struct mptcp_sched_bpf *skel, enum mptcp_sched_gen gen)
{
	bool send = gen == MPTCP_GEN_GET_SEND, subflow = gen == MPTCP_GEN_GET_SUBFLOW;
	bool old_libbpf = !mptcp_libbpf_struct_ops_flavours();
	struct bpf_map *sched_maps[] = { skel->maps.sched_get_send, skel->maps.sched_get_subflow };
	bool keep[] = { send, subflow };
	int err;

	set_autoload(skel->progs.omr_sched_init, send);
	set_autoload(skel->progs.omr_sched_release, send);
	set_autoload(skel->progs.omr_get_send, send);
	set_autoload(skel->progs.omr_get_retrans, send);
	set_autoload(skel->progs.omr_sched_init_omr, subflow);
	set_autoload(skel->progs.omr_sched_release_omr, subflow);
	set_autoload(skel->progs.omr_get_subflow, subflow);
	set_autoload(skel->progs.sched_selftest, gen == MPTCP_GEN_NONE);
	bpf_map__set_autocreate(skel->maps.selftest_io, gen == MPTCP_GEN_NONE);
	bpf_map__set_autocreate(skel->maps.selftest_conn, gen == MPTCP_GEN_NONE);
	bpf_map__set_autocreate(skel->maps.sched_conns, gen != MPTCP_GEN_NONE);
	for (int i = 0; i < 2; i++) {
		if (keep[i])
			continue;
		err = bpf_map__set_autocreate(sched_maps[i], false);
		if (!err && old_libbpf)
			err = bpf_map__set_type(sched_maps[i], BPF_MAP_TYPE_ARRAY);
		if (err)
			return err;
	}
	return 0;
}

int mptcp_sched_pin_path(const char *pin_dir, char *path, size_t len)
{
	if (snprintf(path, len, "%s/%s", pin_dir, OMR_PIN_MPTCP_SCHED) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* Unregister a scheduler pinned by an earlier load, and remove its pin. */
int mptcp_sched_unregister(const char *pin_dir)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, err = mptcp_sched_pin_path(pin_dir, path, sizeof(path));

	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* deleting the only element of a struct_ops map unregisters it */
	err = bpf_map_delete_elem(fd, &zero) && errno != ENOENT ? -errno : 0;
	close(fd);
	if (unlink(path) && !err)
		err = -errno;
	return err;
}

static int sched_register_here(const char *pin_dir, enum mptcp_sched_gen gen, char *msg,
			       size_t msglen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	struct mptcp_sched_bpf *skel;
	struct bpf_link *link;
	struct bpf_map *map;
	char path[PATH_MAX];
	int err;

	err = mptcp_sched_pin_path(pin_dir, path, sizeof(path));
	if (err)
		return err;
	skel = mptcp_sched_bpf__open_opts(&opts);
	if (!skel) {
		err = -errno;
		snprintf(msg, msglen, "opening the MPTCP scheduler object failed: %s", strerror(-err));
		return err;
	}
	map = gen == MPTCP_GEN_GET_SEND ? skel->maps.sched_get_send : skel->maps.sched_get_subflow;
	err = mptcp_sched_prepare(skel, gen);
	if (!err)
		err = mptcp_sched_bpf__load(skel);
	if (err) {
		snprintf(msg, msglen, "loading the MPTCP scheduler (bpf/mptcp_sched.bpf.c) failed: %s "
			 "(the libbpf messages say why)", strerror(-err));
		goto out;
	}
	err = mptcp_sched_unregister(pin_dir);	/* one from an earlier load */
	if (err) {
		snprintf(msg, msglen, "removing the earlier scheduler pinned at %.300s failed: %s",
			 path, strerror(-err));
		goto out;
	}
	link = bpf_map__attach_struct_ops(map);
	if (!link) {
		err = -errno;
		snprintf(msg, msglen, "registering MPTCP scheduler %s failed: %s%s",
			 OMR_MPTCP_SCHED_NAME, strerror(-err),
			 err == -EEXIST ? " (a scheduler of that name is registered already)" : "");
		goto out;
	}
	/* the pin keeps it registered after this process; unload deletes it */
	err = bpf_map__pin(map, path);
	if (err) {
		snprintf(msg, msglen, "pinning the MPTCP scheduler at %.300s failed: %s", path,
			 strerror(-err));
		bpf_link__destroy(link);	/* unregisters */
		goto out;
	}
	bpf_link__disconnect(link);
	bpf_link__destroy(link);
out:
	mptcp_sched_bpf__destroy(skel);
	malloc_trim(0);
	return err;
}

/* In a child process: see src/mptcp_sched.h. */
int mptcp_sched_register(const char *pin_dir, enum mptcp_sched_gen gen, char *msg, size_t msglen)
{
	struct {
		int err;
		char msg[512];
	} answer = { .err = -ECHILD };
	size_t got = 0;
	int pipefd[2], status;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pipefd[0]);
		close(pipefd[1]);
		snprintf(msg, msglen, "cannot start the scheduler loader process: %s", strerror(-err));
		return err;
	}
	if (pid == 0) {
		close(pipefd[0]);
		answer.msg[0] = '\0';
		answer.err = sched_register_here(pin_dir, gen, answer.msg, sizeof(answer.msg));
		if (write(pipefd[1], &answer, sizeof(answer)) != (ssize_t)sizeof(answer))
			_exit(2);
		_exit(0);
	}
	close(pipefd[1]);
	while (got < sizeof(answer)) {
		ssize_t n = read(pipefd[0], (char *)&answer + got, sizeof(answer) - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (got < sizeof(answer)) {
		snprintf(msg, msglen, "the scheduler loader process (pid %d) died before answering",
			 (int)pid);
		return -ECHILD;
	}
	answer.msg[sizeof(answer.msg) - 1] = '\0';
	snprintf(msg, msglen, "%s", answer.msg);
	return answer.err;
}
