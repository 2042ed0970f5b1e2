// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The MPTCP probe (see src/mptcp_probe.h): the net.mptcp.* sysctls, the
 * path manager's family, and the kernel BTF, streamed through a small
 * buffer, for the scheduler hook and its API generation.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/btf.h>
#include <linux/mptcp.h>

#include "mptcp_probe.h"
#include "mptcp_pm.h"
#include "sysctl.h"

/* ---- the probe ------------------------------------------------------------ */

const char *mptcp_mode_name(enum mptcp_mode mode)
{
	switch (mode) {
	case MPTCP_MODE_STRUCT_OPS:
		return "struct_ops scheduler " OMR_MPTCP_SCHED_NAME;
	case MPTCP_MODE_ENDPOINT_FLAGS:
		return "endpoint flags";
	default:
		return "MPTCP disabled";
	}
}

/*
 * The kernel BTF is megabytes; libbpf would hold all of it in memory at once.
 * The probe only needs two struct names and two member names, so it streams
 * the file through a small buffer: first the string section (to learn the
 * offsets of the names), then the type records.
 */
#define VMLINUX_BTF		"/sys/kernel/btf/vmlinux"
#define BTF_NOT_FOUND		0xffffffffU

struct btf_stream {
	int fd;
	off_t pos, end;			/* file offsets still to read */
	size_t have, at;		/* bytes in buf, next one to hand out */
	unsigned char buf[16384];
};

static void btf_stream_init(struct btf_stream *s, int fd, off_t start, off_t len)
{
	s->fd = fd;
	s->pos = start;
	s->end = start + len;
	s->have = s->at = 0;
}

static int btf_stream_read(struct btf_stream *s, void *out, size_t n)
{
	unsigned char *dst = out;

	while (n) {
		size_t chunk;

		if (s->at == s->have) {
			size_t want = sizeof(s->buf);
			ssize_t got;

			if (s->pos >= s->end)
				return -EIO;	/* truncated record */
			if ((off_t)want > s->end - s->pos)
				want = (size_t)(s->end - s->pos);
			got = pread(s->fd, s->buf, want, s->pos);
			if (got <= 0)
				return got < 0 ? -errno : -EIO;
			s->pos += got;
			s->have = (size_t)got;
			s->at = 0;
		}
		chunk = s->have - s->at < n ? s->have - s->at : n;
		if (dst) {
			memcpy(dst, s->buf + s->at, chunk);
			dst += chunk;
		}
		s->at += chunk;
		n -= chunk;
	}
	return 0;
}

static bool btf_stream_done(const struct btf_stream *s)
{
	return s->at == s->have && s->pos >= s->end;
}

enum { NAME_HOOK, NAME_OPS, NAME_GET_SEND, NAME_GET_SUBFLOW, NAMES };

static const char *const btf_names[NAMES] = {
	[NAME_HOOK] = "bpf_struct_ops_mptcp_sched_ops",
	[NAME_OPS] = "mptcp_sched_ops",
	[NAME_GET_SEND] = "get_send",
	[NAME_GET_SUBFLOW] = "get_subflow",
};

/* Offsets of btf_names[] in the string section (BTF_NOT_FOUND if absent). */
static int btf_find_names(struct btf_stream *s, __u32 len, __u32 off[NAMES])
{
	char cur[64];
	size_t cur_len = 0;
	bool too_long = false;
	__u32 start = 0;

	for (int i = 0; i < NAMES; i++)
		off[i] = BTF_NOT_FOUND;
	for (__u32 pos = 0; pos < len; pos++) {
		char c;
		int err = btf_stream_read(s, &c, 1);

		if (err)
			return err;
		if (c) {
			if (cur_len < sizeof(cur) - 1)
				cur[cur_len++] = c;
			else
				too_long = true;
			continue;
		}
		cur[cur_len] = '\0';
		for (int i = 0; i < NAMES && !too_long; i++)
			if (off[i] == BTF_NOT_FOUND && !strcmp(cur, btf_names[i]))
				off[i] = start;
		start = pos + 1;
		cur_len = 0;
		too_long = false;
	}
	return 0;
}

/* Bytes that follow struct btf_type for a type of @kind with @vlen entries. */
static long btf_type_extra(__u32 kind, __u32 vlen)
{
	switch (kind) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return (long)vlen * sizeof(struct btf_enum64);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -EPROTO;	/* a kind newer than this code */
	}
}

/*
 * Is there a bpf_struct_ops_mptcp_sched_ops (@hook), and which members does
 * struct mptcp_sched_ops have?  Streams the BTF file @path; returns 0 or a
 * negative errno.
 */
int mptcp_btf_probe(const char *path, bool *hook, enum mptcp_sched_gen *gen)
{
	struct btf_header hdr;
	struct btf_stream *s;
	__u32 off[NAMES];
	int fd, err;

	*hook = false;
	*gen = MPTCP_GEN_NONE;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	s = malloc(sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	err = pread(fd, &hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) ? 0 : -EIO;
	if (!err && (hdr.magic != BTF_MAGIC || hdr.hdr_len < sizeof(hdr)))
		err = -EPROTO;	/* not BTF, or the other byte order */
	if (err)
		goto out;

	btf_stream_init(s, fd, (off_t)hdr.hdr_len + hdr.str_off, hdr.str_len);
	err = btf_find_names(s, hdr.str_len, off);
	if (err || (off[NAME_HOOK] == BTF_NOT_FOUND && off[NAME_OPS] == BTF_NOT_FOUND))
		goto out;

	btf_stream_init(s, fd, (off_t)hdr.hdr_len + hdr.type_off, hdr.type_len);
	while (!btf_stream_done(s)) {
		struct btf_type t;
		__u32 kind, vlen;
		long extra;

		err = btf_stream_read(s, &t, sizeof(t));
		if (err)
			break;
		kind = BTF_INFO_KIND(t.info);
		vlen = BTF_INFO_VLEN(t.info);
		if (kind == BTF_KIND_STRUCT && t.name_off == off[NAME_HOOK])
			*hook = true;
		if (kind == BTF_KIND_STRUCT && t.name_off == off[NAME_OPS]) {
			for (__u32 i = 0; i < vlen && !err; i++) {
				struct btf_member m;

				err = btf_stream_read(s, &m, sizeof(m));
				if (!err && m.name_off == off[NAME_GET_SEND])
					*gen = MPTCP_GEN_GET_SEND;
				else if (!err && m.name_off == off[NAME_GET_SUBFLOW] &&
					 *gen == MPTCP_GEN_NONE)
					*gen = MPTCP_GEN_GET_SUBFLOW;
			}
			continue;
		}
		extra = btf_type_extra(kind, vlen);
		if (extra < 0) {
			err = (int)extra;
			break;
		}
		err = btf_stream_read(s, NULL, (size_t)extra);
		if (err)
			break;
	}
out:
	free(s);
	close(fd);
	return err;
}

int mptcp_probe(struct mptcp_support *out)
{
	char enabled[16] = "";
	struct mptcp_pm pm;
	int err;

	memset(out, 0, sizeof(*out));
	err = sysctl_read(enabled, sizeof(enabled), "net/mptcp/enabled");
	if (err) {
		out->mode = MPTCP_MODE_DISABLED;
		snprintf(out->reason, sizeof(out->reason),
			 "MPTCP disabled: this kernel has no MPTCP (%s: %s)",
			 "/proc/sys/net/mptcp/enabled", strerror(-err));
		return 0;
	}
	out->enabled = atoi(enabled) == 1;
	sysctl_read(out->scheduler, sizeof(out->scheduler), "net/mptcp/scheduler");
	sysctl_read(out->available, sizeof(out->available), "net/mptcp/available_schedulers");
	if (mptcp_pm_open(&pm) == 0) {
		out->path_manager = true;
		mptcp_pm_close(&pm);
	}

	err = mptcp_btf_probe(VMLINUX_BTF, &out->hook, &out->gen);

	if (!out->enabled) {
		out->mode = MPTCP_MODE_DISABLED;
		snprintf(out->reason, sizeof(out->reason),
			 "MPTCP disabled: net.mptcp.enabled is not 1 in this network namespace");
	} else if (err) {
		out->mode = MPTCP_MODE_ENDPOINT_FLAGS;
		snprintf(out->reason, sizeof(out->reason),
			 "endpoint flags: cannot read the kernel BTF to look for the BPF MPTCP "
			 "scheduler hook (%s: %s)", VMLINUX_BTF, strerror(-err));
	} else if (!out->hook) {
		out->mode = MPTCP_MODE_ENDPOINT_FLAGS;
		snprintf(out->reason, sizeof(out->reason),
			 "endpoint flags: this kernel has no BPF MPTCP scheduler hook "
			 "(no bpf_struct_ops_mptcp_sched_ops in its BTF)");
	} else if (out->gen == MPTCP_GEN_NONE) {
		out->mode = MPTCP_MODE_ENDPOINT_FLAGS;
		snprintf(out->reason, sizeof(out->reason),
			 "endpoint flags: the kernel's BPF MPTCP scheduler hook has an unknown "
			 "struct mptcp_sched_ops (neither get_send nor get_subflow)");
	} else {
		out->mode = MPTCP_MODE_STRUCT_OPS;
		snprintf(out->reason, sizeof(out->reason),
			 "struct_ops scheduler %s: the kernel has the BPF MPTCP scheduler hook (%s)",
			 OMR_MPTCP_SCHED_NAME,
			 out->gen == MPTCP_GEN_GET_SEND ? "get_send/get_retrans API"
							: "OpenMPTCProuter get_subflow API");
	}
	if (out->mode != MPTCP_MODE_DISABLED && !out->path_manager) {
		size_t used = strlen(out->reason);

		snprintf(out->reason + used, sizeof(out->reason) - used,
			 "; no \"%s\" netlink family, endpoint flags cannot be managed",
			 MPTCP_PM_NAME);
	}
	return 0;
}
