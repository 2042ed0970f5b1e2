// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The omr_steer struct_ops scheduler: load, register, pin, adopt,
 * unregister (see src/mptcp_sched.h).
 *
 * One BPF object per API generation of the kernel hook, each declaring
 * exactly its kernels' struct mptcp_sched_ops (bpf/mptcp_sched.h): libbpf
 * of any version (Debian 12's 1.1, OpenWrt 24.10's 1.5) then fills the
 * struct_ops value member by member, with no ___flavour names to match and
 * no member the kernel lacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mptcp_sched.h"
#include "mptcp_sched_get_send.skel.h"
#include "mptcp_sched_get_subflow.skel.h"

/* The object of each generation, as the build embeds it. */
static const struct sched_object {
	enum mptcp_sched_gen gen;
	const char *source;			/* for messages */
	const void *(*elf_bytes)(size_t *size);
} sched_objects[] = {
	{ MPTCP_GEN_GET_SUBFLOW, "bpf/mptcp_sched_get_subflow.bpf.c",
	  mptcp_sched_get_subflow_bpf__elf_bytes },
	{ MPTCP_GEN_GET_SEND, "bpf/mptcp_sched_get_send.bpf.c",
	  mptcp_sched_get_send_bpf__elf_bytes },
};

static const struct sched_object *sched_object(enum mptcp_sched_gen gen)
{
	for (size_t i = 0; i < sizeof(sched_objects) / sizeof(sched_objects[0]); i++)
		if (sched_objects[i].gen == gen)
			return &sched_objects[i];
	return NULL;
}

/* ---- libbpf's messages, kept to say why a load failed ------------------------ */

#define LIBBPF_TAIL_SIZE	16384

static char libbpf_tail[LIBBPF_TAIL_SIZE];	/* the last bytes libbpf printed */
static size_t libbpf_tail_len;
static libbpf_print_fn_t libbpf_next_print;

static void tail_append(const char *s, size_t len)
{
	if (len >= LIBBPF_TAIL_SIZE) {
		s += len - (LIBBPF_TAIL_SIZE - 1);
		len = LIBBPF_TAIL_SIZE - 1;
	}
	if (libbpf_tail_len + len >= LIBBPF_TAIL_SIZE) {
		size_t drop = libbpf_tail_len + len - (LIBBPF_TAIL_SIZE - 1);

		memmove(libbpf_tail, libbpf_tail + drop, libbpf_tail_len - drop);
		libbpf_tail_len -= drop;
	}
	memcpy(libbpf_tail + libbpf_tail_len, s, len);
	libbpf_tail_len += len;
	libbpf_tail[libbpf_tail_len] = '\0';
}

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN) {
		va_list copy;
		char small[512], *buf = small;
		int len;

		va_copy(copy, ap);
		len = vsnprintf(small, sizeof(small), fmt, copy);
		va_end(copy);
		if (len >= (int)sizeof(small)) {	/* a verifier log: megabytes at worst */
			va_list again;

			buf = malloc((size_t)len + 1);
			va_copy(again, ap);
			if (buf)
				vsnprintf(buf, (size_t)len + 1, fmt, again);
			va_end(again);
		}
		if (buf && len > 0)
			tail_append(buf, (size_t)len);
		if (buf != small)
			free(buf);
	}
	return libbpf_next_print ? libbpf_next_print(level, fmt, ap) : 0;
}

/* Copy line [s, e) into @out at *@used, joined by " | ", cut at 160 bytes. */
static void add_line(char *out, size_t len, size_t *used, const char *s, const char *e)
{
	int n = (int)(e - s) > 160 ? 160 : (int)(e - s);
	int w;

	if (*used >= len)
		return;
	w = snprintf(out + *used, len - *used, "%s%.*s", *used ? " | " : "", n, s);
	*used += w > 0 ? (size_t)w : 0;
	if (*used >= len)
		*used = len - 1;
}

int mptcp_sched_why_failed(const char *log, char *out, size_t len)
{
	const char *end = NULL, *begin, *p, *lines[MPTCP_VERIFIER_LINES];
	int n = 0, kept = 0;
	size_t used = 0;

	out[0] = '\0';
	for (p = strstr(log, "-- END PROG LOAD LOG --"); p; p = strstr(p + 1, "-- END PROG LOAD LOG --"))
		end = p;
	if (!end) {
		/* not the verifier: libbpf's own last warning line */
		const char *s = log + strlen(log), *e;

		while (s > log && (s[-1] == '\n' || s[-1] == ' '))
			s--;
		e = s;
		while (s > log && s[-1] != '\n')
			s--;
		if (!strncmp(s, "libbpf: ", 8))
			s += 8;
		if (e > s)
			add_line(out, len, &used, s, e);
		return 0;
	}
	begin = log;
	for (p = strstr(log, "-- BEGIN PROG LOAD LOG --"); p && p < end;
	     p = strstr(p + 1, "-- BEGIN PROG LOAD LOG --"))
		begin = p + strlen("-- BEGIN PROG LOAD LOG --");
	/* the last lines of the log, without the verifier's statistics */
	for (p = end; p > begin && n < MPTCP_VERIFIER_LINES;) {
		const char *e = p, *s;

		while (e > begin && e[-1] == '\n')
			e--;
		s = e;
		while (s > begin && s[-1] != '\n')
			s--;
		p = s;
		if (e == s || !strncmp(s, "processed ", 10) || !strncmp(s, "verification time", 17) ||
		    !strncmp(s, "stack depth", 11))
			continue;
		lines[n++] = s;
	}
	for (int i = n - 1; i >= 0; i--) {
		const char *e = strchr(lines[i], '\n');

		add_line(out, len, &used, lines[i], e ? e : lines[i] + strlen(lines[i]));
		kept++;
	}
	return kept;
}

/* ---- register / adopt / unregister ------------------------------------------------ */

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

/*
 * Is the scheduler pinned at @path registered?  A struct_ops map's one value
 * says so in its state (struct bpf_struct_ops_common_value: refcnt, state;
 * BPF_STRUCT_OPS_STATE_INUSE = 1).
 */
static bool sched_pinned_in_use(const char *path)
{
	struct bpf_map_info info = {};
	__u32 info_len = sizeof(info), zero = 0;
	bool in_use = false;
	void *value;
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return false;
	if (!bpf_obj_get_info_by_fd(fd, &info, &info_len) &&
	    info.type == BPF_MAP_TYPE_STRUCT_OPS && info.value_size >= 8 &&
	    (value = calloc(1, info.value_size))) {
		__u32 state;

		if (!bpf_map_lookup_elem(fd, &zero, value)) {
			memcpy(&state, (char *)value + 4, sizeof(state));
			in_use = state == 1;
		}
		free(value);
	}
	close(fd);
	return in_use;
}

static int sched_register_here(const char *pin_dir, enum mptcp_sched_gen gen, char *msg,
			       size_t msglen)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	const struct sched_object *so = sched_object(gen);
	struct bpf_object *obj = NULL;
	struct bpf_link *link;
	struct bpf_map *map = NULL, *m;
	char path[PATH_MAX], why[400];
	const void *elf;
	size_t size;
	int err;

	err = mptcp_sched_pin_path(pin_dir, path, sizeof(path));
	if (err)
		return err;
	if (!so) {
		snprintf(msg, msglen, "omr-steer has no MPTCP scheduler for this kernel's API");
		return -EOPNOTSUPP;
	}
	if (sched_pinned_in_use(path)) {
		snprintf(msg, msglen, "adopted the scheduler an earlier agent registered (%.300s)",
			 path);
		return 1;
	}
	libbpf_next_print = libbpf_set_print(capture_print);
	elf = so->elf_bytes(&size);
	opts.object_name = "omr_steer_mptcp";
	obj = bpf_object__open_mem(elf, size, &opts);
	if (!obj) {
		err = -errno;
		snprintf(msg, msglen, "opening the MPTCP scheduler object (%s) failed: %s",
			 so->source, strerror(-err));
		return err;
	}
	bpf_object__for_each_map(m, obj)
		if (bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS)
			map = m;
	err = map ? bpf_object__load(obj) : -ENOENT;
	if (err) {
		int lines = mptcp_sched_why_failed(libbpf_tail, why, sizeof(why));

		if (lines)
			snprintf(msg, msglen, "the verifier rejected the MPTCP scheduler (%s): %s",
				 so->source, why);
		else
			snprintf(msg, msglen, "loading the MPTCP scheduler (%s) failed: %s%s%s",
				 so->source, strerror(-err), why[0] ? ": " : "", why);
		goto out;
	}
	err = mptcp_sched_unregister(pin_dir);	/* one an earlier load left, no longer in use */
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
	bpf_object__close(obj);
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
