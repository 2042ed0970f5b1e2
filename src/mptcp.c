// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * MPTCP by weight, user-space side (see src/mptcp.h for the calls):
 *  - the probe: net.mptcp.* sysctls and the kernel BTF (is there a
 *    bpf_struct_ops_mptcp_sched_ops, and which struct mptcp_sched_ops);
 *  - the path manager's generic netlink family "mptcp_pm" over a raw
 *    netlink socket (what `ip mptcp endpoint show|change` does);
 *  - the omr_steer struct_ops scheduler (bpf/mptcp_sched.bpf.c): register,
 *    pin, select with net.mptcp.scheduler, and undo;
 *  - the record of what was changed, in maps pinned under the pin dir.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/btf.h>
#include <linux/genetlink.h>
#include <linux/mptcp.h>
#include <linux/netlink.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "mptcp.h"
#include "pinned.h"
#include "mptcp_sched.skel.h"

#define SYSCTL_MPTCP		"/proc/sys/net/mptcp/"
#define NL_BUF_SIZE		32768
#define NL_TIMEOUT_SEC		5

/* ---- sysctls ------------------------------------------------------------ */

static int read_sysctl(const char *name, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSCTL_MPTCP "%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

static int write_sysctl(const char *name, const char *value)
{
	char path[128];
	size_t len = strlen(value);
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSCTL_MPTCP "%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, value, len);
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* ---- generic netlink: the "mptcp_pm" family ------------------------------ */

struct genl {
	int fd;
	__u32 seq;
	__u16 family;
	char *buf;			/* NL_BUF_SIZE, for replies */
};

static void genl_close(struct genl *g)
{
	if (g->fd >= 0)
		close(g->fd);
	free(g->buf);
	g->fd = -1;
	g->buf = NULL;
}

static void nlh_init(struct nlmsghdr *nlh, __u16 type, __u16 flags, __u32 seq, __u8 cmd,
		     __u8 version)
{
	struct genlmsghdr *ghdr = NLMSG_DATA(nlh);

	nlh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = 0;
	ghdr->cmd = cmd;
	ghdr->version = version;
	ghdr->reserved = 0;
}

static struct nlattr *nla_put(struct nlmsghdr *nlh, __u16 type, const void *data, __u16 len)
{
	struct nlattr *nla = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	nla->nla_type = type;
	nla->nla_len = NLA_HDRLEN + len;
	if (len)
		memcpy((char *)nla + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(nla->nla_len);
	return nla;
}

static void nla_nest_end(struct nlmsghdr *nlh, struct nlattr *nest)
{
	nest->nla_len = (char *)nlh + nlh->nlmsg_len - (char *)nest;
}

/* Walk the attributes in [start, start + len). */
#define for_each_nla(nla, start, len)						\
	for (struct nlattr *nla = (struct nlattr *)(start);			\
	     (char *)nla + NLA_HDRLEN <= (char *)(start) + (len) &&		\
	     nla->nla_len >= NLA_HDRLEN &&					\
	     (char *)nla + nla->nla_len <= (char *)(start) + (len);		\
	     nla = (struct nlattr *)((char *)nla + NLA_ALIGN(nla->nla_len)))

#define NLA_DATA(nla)	((void *)((char *)(nla) + NLA_HDRLEN))
#define NLA_LEN(nla)	((nla)->nla_len - NLA_HDRLEN)
#define NLA_TYPE(nla)	((nla)->nla_type & NLA_TYPE_MASK)

/*
 * Send @req and read the replies until the ACK (or DONE for a dump), calling
 * @cb on every data message.  Returns 0, the kernel's negative errno, or the
 * callback's.
 */
static int genl_talk(struct genl *g, struct nlmsghdr *req,
		     int (*cb)(const struct nlmsghdr *nlh, void *arg), void *arg)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	bool dump = req->nlmsg_flags & NLM_F_DUMP;
	int cb_err = 0;

	req->nlmsg_seq = ++g->seq;
	if (sendto(g->fd, req, req->nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) < 0)
		return -errno;
	for (;;) {
		/* ssize_t: NLMSG_OK compares it with the __u32 nlmsg_len */
		ssize_t len = recv(g->fd, g->buf, NL_BUF_SIZE, 0);

		if (len < 0) {
			if (errno == EINTR)
				continue;
			return -errno;	/* EAGAIN: no answer within NL_TIMEOUT_SEC */
		}
		for (struct nlmsghdr *nlh = (struct nlmsghdr *)g->buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != g->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE)
				return cb_err;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (e->error || !dump)
					return e->error ? e->error : cb_err;
				continue;
			}
			if (cb && !cb_err)
				cb_err = cb(nlh, arg);
		}
	}
}

static int family_id_cb(const struct nlmsghdr *nlh, void *arg)
{
	const char *attrs = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int len = (int)nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);

	for_each_nla(nla, attrs, len) {
		if (NLA_TYPE(nla) == CTRL_ATTR_FAMILY_ID && NLA_LEN(nla) >= 2)
			memcpy(arg, NLA_DATA(nla), sizeof(__u16));
	}
	return 0;
}

/* Open a generic netlink socket and resolve "mptcp_pm" (-ENOENT: no such family). */
static int genl_open(struct genl *g)
{
	struct sockaddr_nl local = { .nl_family = AF_NETLINK };
	struct timeval tmo = { .tv_sec = NL_TIMEOUT_SEC };
	union {
		struct nlmsghdr nlh;
		char bytes[256];
	} req;
	__u16 family = 0;
	int err;

	memset(g, 0, sizeof(*g));
	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (g->fd < 0)
		return -errno;
	g->buf = malloc(NL_BUF_SIZE);
	if (!g->buf) {
		genl_close(g);
		return -ENOMEM;
	}
	if (bind(g->fd, (struct sockaddr *)&local, sizeof(local)) < 0 ||
	    setsockopt(g->fd, SOL_SOCKET, SO_RCVTIMEO, &tmo, sizeof(tmo)) < 0) {
		err = -errno;
		genl_close(g);
		return err;
	}
	memset(&req, 0, sizeof(req));
	nlh_init(&req.nlh, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, 0, CTRL_CMD_GETFAMILY, 1);
	nla_put(&req.nlh, CTRL_ATTR_FAMILY_NAME, MPTCP_PM_NAME, sizeof(MPTCP_PM_NAME));
	err = genl_talk(g, &req.nlh, family_id_cb, &family);
	if (!err && !family)
		err = -ENOENT;
	if (err) {
		genl_close(g);
		return err;
	}
	g->family = family;
	return 0;
}

static void addr_from_nla(struct wan_addr *a, int family, const struct nlattr *nla)
{
	a->family = family;
	memcpy(a->addr, NLA_DATA(nla), family == AF_INET ? 4 : 16);
}

static int parse_endpoint(const struct nlattr *nest, struct mptcp_endpoint *ep)
{
	const struct nlattr *a4 = NULL, *a6 = NULL;

	memset(ep, 0, sizeof(*ep));
	for_each_nla(nla, NLA_DATA(nest), NLA_LEN(nest)) {
		switch (NLA_TYPE(nla)) {
		case MPTCP_PM_ADDR_ATTR_ID:
			ep->id = *(__u8 *)NLA_DATA(nla);
			break;
		case MPTCP_PM_ADDR_ATTR_FLAGS:
			memcpy(&ep->flags, NLA_DATA(nla), 4);
			break;
		case MPTCP_PM_ADDR_ATTR_IF_IDX:
			memcpy(&ep->ifindex, NLA_DATA(nla), 4);
			break;
		case MPTCP_PM_ADDR_ATTR_PORT:
			memcpy(&ep->port, NLA_DATA(nla), 2);
			break;
		case MPTCP_PM_ADDR_ATTR_ADDR4:
			if (NLA_LEN(nla) >= 4)
				a4 = nla;
			break;
		case MPTCP_PM_ADDR_ATTR_ADDR6:
			if (NLA_LEN(nla) >= 16)
				a6 = nla;
			break;
		}
	}
	if (a4)
		addr_from_nla(&ep->addr, AF_INET, a4);
	else if (a6)
		addr_from_nla(&ep->addr, AF_INET6, a6);
	return ep->id ? 0 : -EINVAL;
}

struct list_ctx {
	struct mptcp_endpoint *out;
	int max, count;
};

static int list_cb(const struct nlmsghdr *nlh, void *arg)
{
	const char *attrs = (const char *)NLMSG_DATA(nlh) + GENL_HDRLEN;
	int len = (int)nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct list_ctx *ctx = arg;

	for_each_nla(nla, attrs, len) {
		struct mptcp_endpoint ep;

		if (NLA_TYPE(nla) != MPTCP_PM_ATTR_ADDR || parse_endpoint(nla, &ep))
			continue;
		if (ctx->count < ctx->max)
			ctx->out[ctx->count] = ep;
		ctx->count++;
	}
	return 0;
}

static int pm_list(struct genl *g, struct mptcp_endpoint *out, int max)
{
	union {
		struct nlmsghdr nlh;
		char bytes[128];
	} req;
	struct list_ctx ctx = { .out = out, .max = max };
	int err;

	memset(&req, 0, sizeof(req));
	nlh_init(&req.nlh, g->family, NLM_F_REQUEST | NLM_F_DUMP, 0, MPTCP_PM_CMD_GET_ADDR,
		 MPTCP_PM_VER);
	err = genl_talk(g, &req.nlh, list_cb, &ctx);
	return err ? err : ctx.count;
}

/* `ip mptcp endpoint change id ID [no]backup`: the id and the full flags. */
static int pm_set_flags(struct genl *g, __u32 id, __u32 flags)
{
	union {
		struct nlmsghdr nlh;
		char bytes[128];
	} req;
	struct nlattr *nest;
	__u8 id8 = (__u8)id;

	memset(&req, 0, sizeof(req));
	nlh_init(&req.nlh, g->family, NLM_F_REQUEST | NLM_F_ACK, 0, MPTCP_PM_CMD_SET_FLAGS,
		 MPTCP_PM_VER);
	nest = nla_put(&req.nlh, MPTCP_PM_ATTR_ADDR | NLA_F_NESTED, NULL, 0);
	nla_put(&req.nlh, MPTCP_PM_ADDR_ATTR_ID, &id8, sizeof(id8));
	nla_put(&req.nlh, MPTCP_PM_ADDR_ATTR_FLAGS, &flags, sizeof(flags));
	nla_nest_end(&req.nlh, nest);
	return genl_talk(g, &req.nlh, NULL, NULL);
}

static const struct mptcp_endpoint *find_endpoint(const struct mptcp_endpoint *eps, int n,
						  __u32 id)
{
	for (int i = 0; i < n; i++)
		if (eps[i].id == id)
			return &eps[i];
	return NULL;
}

static __u32 with_backup(__u32 flags, bool backup)
{
	return backup ? flags | MPTCP_PM_ADDR_FLAG_BACKUP : flags & ~MPTCP_PM_ADDR_FLAG_BACKUP;
}

int mptcp_pm_list(struct mptcp_endpoint *out, int max)
{
	struct genl g;
	int ret = genl_open(&g);

	if (ret)
		return ret;
	ret = pm_list(&g, out, max);
	genl_close(&g);
	return ret;
}

int mptcp_pm_set_backup(__u32 id, bool backup)
{
	struct mptcp_endpoint eps[OMR_MAX_MPTCP_ENDPOINTS];
	const struct mptcp_endpoint *ep;
	struct genl g;
	int n, ret = genl_open(&g);

	if (ret)
		return ret;
	n = pm_list(&g, eps, OMR_MAX_MPTCP_ENDPOINTS);
	if (n > OMR_MAX_MPTCP_ENDPOINTS)
		n = OMR_MAX_MPTCP_ENDPOINTS;
	ep = n >= 0 ? find_endpoint(eps, n, id) : NULL;
	if (n < 0)
		ret = n;
	else if (!ep)
		ret = -ENOENT;
	else
		ret = pm_set_flags(&g, id, with_backup(ep->flags, backup));
	genl_close(&g);
	return ret;
}

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

/* libbpf before 1.4 cannot leave a struct_ops map out, nor match ___flavour names. */
static bool libbpf_has_struct_ops_flavours(void)
{
	return libbpf_major_version() > 1 ||
	       (libbpf_major_version() == 1 && libbpf_minor_version() >= 4);
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
	struct genl g;
	int err;

	memset(out, 0, sizeof(*out));
	err = read_sysctl("enabled", enabled, sizeof(enabled));
	if (err) {
		out->mode = MPTCP_MODE_DISABLED;
		snprintf(out->reason, sizeof(out->reason),
			 "MPTCP disabled: this kernel has no MPTCP (%s%s: %s)",
			 SYSCTL_MPTCP, "enabled", strerror(-err));
		return 0;
	}
	out->enabled = atoi(enabled) == 1;
	read_sysctl("scheduler", out->scheduler, sizeof(out->scheduler));
	read_sysctl("available_schedulers", out->available, sizeof(out->available));
	if (genl_open(&g) == 0) {
		out->path_manager = true;
		genl_close(&g);
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
	} else if (out->gen == MPTCP_GEN_GET_SUBFLOW && !libbpf_has_struct_ops_flavours()) {
		out->mode = MPTCP_MODE_ENDPOINT_FLAGS;
		snprintf(out->reason, sizeof(out->reason),
			 "endpoint flags: the kernel's MPTCP scheduler hook has OpenMPTCProuter's "
			 "get_subflow API, which needs libbpf >= 1.4 (this build has %u.%u)",
			 libbpf_major_version(), libbpf_minor_version());
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

/* ---- maps pinned under the pin dir ---------------------------------------- */

/*
 * Open a pinned map of bpf/lib/maps.h, checked (pinned.h); with @create, create
 * and pin it (same definition, so that the datapath's skeleton reuses it) when
 * the datapath has not yet.
 */
static int pinned_map(const char *pin_dir, const char *name, __u32 max_entries, bool create)
{
	const struct pinned_map_spec *spec = pinned_map_spec(name);
	char path[PATH_MAX];
	int fd, err;

	fd = pinned_map_open(pin_dir, name);
	if (fd != -ENOENT || !create || !spec)
		return fd;
	if (snprintf(path, sizeof(path), "%s/%s", pin_dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = bpf_map_create(spec->type, name, spec->key_size, spec->value_size, max_entries, NULL);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int state_map(const char *pin_dir, bool create)
{
	return pinned_map(pin_dir, OMR_MAP_MPTCP_STATE, 1, create);
}

static int endp_map(const char *pin_dir, bool create)
{
	return pinned_map(pin_dir, OMR_MAP_MPTCP_ENDP, OMR_MAX_MPTCP_ENDPOINTS, create);
}

static int wan_addr_map(const char *pin_dir, bool create)
{
	return pinned_map(pin_dir, OMR_MAP_WAN_ADDR, OMR_MAX_WAN_ADDRS, create);
}

static void state_read(int fd, struct mptcp_state *st)
{
	__u32 zero = 0;

	memset(st, 0, sizeof(*st));
	if (fd >= 0)
		bpf_map_lookup_elem(fd, &zero, st);
}

static int state_write(int fd, const struct mptcp_state *st)
{
	__u32 zero = 0;

	return bpf_map_update_elem(fd, &zero, st, BPF_ANY) ? -errno : 0;
}

/* ---- the struct_ops scheduler ---------------------------------------------- */

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
	bool old_libbpf = !libbpf_has_struct_ops_flavours();
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

static int sched_pin_path(const char *pin_dir, char *path, size_t len)
{
	if (snprintf(path, len, "%s/%s", pin_dir, OMR_PIN_MPTCP_SCHED) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* Unregister a scheduler pinned by an earlier load, and remove its pin. */
static int sched_unregister(const char *pin_dir)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, err = sched_pin_path(pin_dir, path, sizeof(path));

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

	err = sched_pin_path(pin_dir, path, sizeof(path));
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
	err = sched_unregister(pin_dir);	/* one from an earlier load */
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

/*
 * Register in a short-lived child process: libbpf needs the whole kernel BTF
 * (megabytes) to load a struct_ops object, and the agent's own peak memory
 * must stay small.  The pin keeps the registration after the child exits.
 */
static int sched_register(const char *pin_dir, enum mptcp_sched_gen gen, char *msg, size_t msglen)
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

/* ---- load / apply / unload / status ------------------------------------------ */

/*
 * Undo the scheduler part recorded in @st: net.mptcp.scheduler back to its
 * previous value if it is still ours, then unregister our scheduler.  Clears
 * the scheduler fields of @st.  Returns 0 or the first error.
 */
static int sched_undo(const char *pin_dir, struct mptcp_state *st)
{
	char current[32] = "";
	int err = 0, ret;

	if (st->flags & OMR_MPTCP_F_SCHEDULER_SET &&
	    read_sysctl("scheduler", current, sizeof(current)) == 0 &&
	    !strcmp(current, OMR_MPTCP_SCHED_NAME)) {
		/* switch away first: new connections must not find a missing scheduler */
		err = write_sysctl("scheduler", st->prev_scheduler[0] ? st->prev_scheduler : "default");
	}
	ret = sched_unregister(pin_dir);
	if (ret && !err)
		err = ret;
	if (!err) {
		st->flags &= ~OMR_MPTCP_F_SCHEDULER_SET;
		memset(st->prev_scheduler, 0, sizeof(st->prev_scheduler));
	}
	return err;
}

int mptcp_start(const char *pin_dir, const struct mptcp_support *sup, bool use_scheduler,
		char *msg, size_t msglen)
{
	struct mptcp_state st;
	int fd, err;

	msg[0] = '\0';
	fd = state_map(pin_dir, true);
	if (fd < 0)
		return fd;
	state_read(fd, &st);
	if (!sup->enabled) {
		sched_undo(pin_dir, &st);
		st.mode = OMR_MPTCP_MODE_NONE;
		goto record;
	}
	st.mode = OMR_MPTCP_MODE_ENDPOINT_FLAGS;
	if (sup->mode != MPTCP_MODE_STRUCT_OPS || !use_scheduler) {
		/* a scheduler an earlier load left registered goes */
		err = sched_undo(pin_dir, &st);
		if (err)
			snprintf(msg, msglen, "removing the MPTCP scheduler of an earlier load failed: %s",
				 strerror(-err));
		else if (sup->mode == MPTCP_MODE_STRUCT_OPS)
			snprintf(msg, msglen, "the weight file turns the MPTCP scheduler off: "
				 "managing endpoint flags only");
		goto record;
	}
	err = sched_register(pin_dir, sup->gen, msg, msglen);
	if (err) {
		size_t used = strlen(msg);

		snprintf(msg + used, msglen - used, "; managing endpoint flags instead");
		goto record;
	}
	st.mode = OMR_MPTCP_MODE_STRUCT_OPS;
	if (strcmp(sup->scheduler, OMR_MPTCP_SCHED_NAME)) {
		const char *prev = sup->scheduler[0] ? sup->scheduler : "default";
		size_t len = strnlen(prev, sizeof(st.prev_scheduler) - 1);	/* names are <= 15 */

		memset(st.prev_scheduler, 0, sizeof(st.prev_scheduler));
		memcpy(st.prev_scheduler, prev, len);
		st.flags |= OMR_MPTCP_F_SCHEDULER_SET;
	}
	err = write_sysctl("scheduler", OMR_MPTCP_SCHED_NAME);
	if (err)
		snprintf(msg, msglen, "scheduler %s registered, but setting net.mptcp.scheduler "
			 "failed: %s", OMR_MPTCP_SCHED_NAME, strerror(-err));
record:
	err = state_write(fd, &st);
	close(fd);
	return err ? err : (int)st.mode;
}

static bool addr_equal(const struct wan_addr *a, const struct wan_addr *b)
{
	return a->family == b->family &&
	       !memcmp(a->addr, b->addr, a->family == AF_INET ? 4 : 16);
}

int mptcp_wans_from_table(const struct wan_entry *tbl, struct mptcp_wan *out)
{
	int n = 0;

	for (int i = 0; i < OMR_MAX_WANS; i++) {
		const struct wan_entry *e = &tbl[i];

		if (!(e->flags & OMR_WAN_F_CONFIGURED))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		out[n].wan_idx = (__u32)i;
		out[n].ifindex = e->ifindex;
		out[n].weight = e->effective_weight;
		memcpy(out[n].name, e->name, OMR_IFNAMSIZ - 1);
		n++;
	}
	return n;
}

/* Every address of the WAN interfaces in @wans, with the WAN's index in @idx. */
static int wan_addresses(const struct mptcp_wan *wans, int n_wans, struct wan_addr *out,
			 __u32 *idx, int max)
{
	struct ifaddrs *ifa_list, *ifa;
	int n = 0;

	if (getifaddrs(&ifa_list))
		return -errno;
	for (ifa = ifa_list; ifa; ifa = ifa->ifa_next) {
		struct wan_addr a = {};

		if (!ifa->ifa_addr || !ifa->ifa_name)
			continue;
		if (ifa->ifa_addr->sa_family == AF_INET) {
			a.family = AF_INET;
			memcpy(a.addr, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, 4);
		} else if (ifa->ifa_addr->sa_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(a.addr, &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		for (int w = 0; w < n_wans && n < max; w++) {
			if (!wans[w].ifindex || strncmp(ifa->ifa_name, wans[w].name, OMR_IFNAMSIZ))
				continue;
			out[n] = a;
			idx[n++] = wans[w].wan_idx;
		}
	}
	freeifaddrs(ifa_list);
	return n;
}

/* Replace the content of the wan_addr map with @addrs -> @idx. */
static int sync_wan_addr_map(int fd, const struct wan_addr *addrs, const __u32 *idx, int n)
{
	struct wan_addr key, next;
	bool first = true;
	int err = 0;

	/* delete what is not wanted any more, then (re)write the rest */
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		bool wanted = false;

		for (int i = 0; i < n; i++)
			wanted |= addr_equal(&addrs[i], &next);
		if (!wanted && bpf_map_delete_elem(fd, &next) == 0) {
			first = true;	/* restart: deleting disturbs the walk */
			continue;
		}
		key = next;
		first = false;
	}
	for (int i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &addrs[i], &idx[i], BPF_ANY) && !err)
			err = -errno;
	return err;
}

/* The WAN an endpoint belongs to, or -1. */
static int endpoint_wan(const struct mptcp_endpoint *ep, const struct mptcp_wan *wans,
			int n_wans, const struct wan_addr *addrs, const __u32 *idx, int n_addrs)
{
	for (int w = 0; w < n_wans; w++)
		if (ep->ifindex > 0 && wans[w].ifindex == (__u32)ep->ifindex)
			return w;
	for (int i = 0; i < n_addrs; i++) {
		if (!addr_equal(&addrs[i], &ep->addr))
			continue;
		for (int w = 0; w < n_wans; w++)
			if (wans[w].wan_idx == idx[i])
				return w;
	}
	return -1;
}

/* Put the original backup flag back on endpoint @id if it still is that endpoint. */
static int restore_endpoint(struct genl *g, const struct mptcp_endpoint *eps, int n, __u32 id,
			    const struct mptcp_endp_saved *saved)
{
	const struct mptcp_endpoint *ep = find_endpoint(eps, n, id);
	bool backup = saved->flags & MPTCP_PM_ADDR_FLAG_BACKUP;

	if (!ep || !addr_equal(&ep->addr, &saved->addr))
		return 0;	/* gone, or the id now names another endpoint */
	if (!!(ep->flags & MPTCP_PM_ADDR_FLAG_BACKUP) == backup)
		return 0;
	return pm_set_flags(g, id, with_backup(ep->flags, backup));
}

int mptcp_apply_weights(const char *pin_dir, const struct mptcp_support *sup,
			const struct mptcp_wan *wans, int n_wans)
{
	struct mptcp_endpoint eps[OMR_MAX_MPTCP_ENDPOINTS];
	struct wan_addr addrs[OMR_MAX_WAN_ADDRS];
	__u32 idx[OMR_MAX_WAN_ADDRS], id, next;
	int n_addrs, n_eps, changed = 0, err = 0, ret;
	int addr_fd = -1, endp_fd = -1;
	struct genl g = { .fd = -1 };
	bool first = true;

	n_addrs = wan_addresses(wans, n_wans, addrs, idx, OMR_MAX_WAN_ADDRS);
	if (n_addrs < 0)
		return n_addrs;
	addr_fd = wan_addr_map(pin_dir, true);
	if (addr_fd < 0)
		return addr_fd;
	err = sync_wan_addr_map(addr_fd, addrs, idx, n_addrs);
	close(addr_fd);
	if (err || !sup->enabled || !sup->path_manager)
		return err;

	endp_fd = endp_map(pin_dir, true);
	if (endp_fd < 0)
		return endp_fd;
	err = genl_open(&g);
	if (err)
		goto out;
	n_eps = pm_list(&g, eps, OMR_MAX_MPTCP_ENDPOINTS);
	if (n_eps < 0) {
		err = n_eps;
		goto out;
	}
	if (n_eps > OMR_MAX_MPTCP_ENDPOINTS)
		n_eps = OMR_MAX_MPTCP_ENDPOINTS;

	for (int e = 0; e < n_eps; e++) {
		const struct mptcp_endpoint *ep = &eps[e];
		int w = endpoint_wan(ep, wans, n_wans, addrs, idx, n_addrs);
		bool backup = w >= 0 && wans[w].weight == 0;
		struct mptcp_endp_saved saved;

		if (w < 0 || !!(ep->flags & MPTCP_PM_ADDR_FLAG_BACKUP) == backup)
			continue;
		id = ep->id;
		if (bpf_map_lookup_elem(endp_fd, &id, &saved)) {
			saved = (struct mptcp_endp_saved){
				.flags = ep->flags, .ifindex = ep->ifindex, .addr = ep->addr,
			};
			if (bpf_map_update_elem(endp_fd, &id, &saved, BPF_NOEXIST) && errno != EEXIST) {
				err = -errno;	/* never change what we could not record */
				break;
			}
		}
		ret = pm_set_flags(&g, id, with_backup(ep->flags, backup));
		if (ret && !err)
			err = ret;
		if (!ret)
			changed++;
	}

	/* endpoints recorded earlier whose WAN is gone from the config: original flags */
	while (!bpf_map_get_next_key(endp_fd, first ? NULL : &id, &next)) {
		const struct mptcp_endpoint *ep = find_endpoint(eps, n_eps, next);
		struct mptcp_endp_saved saved;

		first = false;
		id = next;
		if (ep && endpoint_wan(ep, wans, n_wans, addrs, idx, n_addrs) >= 0)
			continue;
		if (bpf_map_lookup_elem(endp_fd, &next, &saved))
			continue;
		ret = restore_endpoint(&g, eps, n_eps, next, &saved);
		if (ret && !err)
			err = ret;
		if (!ret && bpf_map_delete_elem(endp_fd, &next) == 0)
			first = true;	/* restart the walk after a deletion */
	}
out:
	genl_close(&g);
	close(endp_fd);
	return err ? err : changed;
}

int mptcp_restore(const char *pin_dir)
{
	struct mptcp_endpoint eps[OMR_MAX_MPTCP_ENDPOINTS];
	struct mptcp_state st;
	struct genl g = { .fd = -1 };
	int fd, err = 0, ret, n_eps = 0;
	__u32 id;

	fd = state_map(pin_dir, false);
	state_read(fd, &st);
	err = sched_undo(pin_dir, &st);
	if (fd >= 0) {
		memset(&st, 0, sizeof(st));
		ret = state_write(fd, &st);
		if (ret && !err)
			err = ret;
		close(fd);
	}

	fd = endp_map(pin_dir, false);
	if (fd < 0)
		return fd == -ENOENT ? err : (err ? err : fd);
	ret = genl_open(&g);
	if (!ret)
		n_eps = pm_list(&g, eps, OMR_MAX_MPTCP_ENDPOINTS);
	if (!ret && n_eps < 0)
		ret = n_eps;
	if (n_eps > OMR_MAX_MPTCP_ENDPOINTS)
		n_eps = OMR_MAX_MPTCP_ENDPOINTS;
	if (ret) {
		/* keep the record: a later unload can still restore */
		err = err ? err : ret;
		goto out;
	}
	while (!bpf_map_get_next_key(fd, NULL, &id)) {
		struct mptcp_endp_saved saved;

		if (!bpf_map_lookup_elem(fd, &id, &saved)) {
			ret = restore_endpoint(&g, eps, n_eps, id, &saved);
			if (ret && !err)
				err = ret;
		}
		if (bpf_map_delete_elem(fd, &id))
			break;
	}
out:
	genl_close(&g);
	close(fd);
	return err;
}

int mptcp_status(const char *pin_dir, struct mptcp_status *st)
{
	struct mptcp_endpoint eps[OMR_MAX_MPTCP_ENDPOINTS];
	struct mptcp_state state;
	char path[PATH_MAX];
	__u32 id, next;
	bool first = true;
	int fd, n_eps;

	memset(st, 0, sizeof(*st));
	mptcp_probe(&st->sup);
	fd = state_map(pin_dir, false);
	state_read(fd, &state);
	if (fd >= 0)
		close(fd);
	st->mode = (enum mptcp_mode)state.mode;
	memcpy(st->previous_scheduler, state.prev_scheduler, sizeof(st->previous_scheduler));
	st->previous_scheduler[sizeof(st->previous_scheduler) - 1] = '\0';
	if (!sched_pin_path(pin_dir, path, sizeof(path)))
		st->scheduler_registered = access(path, F_OK) == 0;

	fd = endp_map(pin_dir, false);
	if (fd < 0)
		return 0;
	n_eps = st->sup.path_manager ? mptcp_pm_list(eps, OMR_MAX_MPTCP_ENDPOINTS) : 0;
	if (n_eps < 0)
		n_eps = 0;
	if (n_eps > OMR_MAX_MPTCP_ENDPOINTS)
		n_eps = OMR_MAX_MPTCP_ENDPOINTS;
	while (st->n_managed < OMR_MAX_MPTCP_ENDPOINTS &&
	       !bpf_map_get_next_key(fd, first ? NULL : &id, &next)) {
		struct mptcp_managed_endpoint *m = &st->managed[st->n_managed];
		const struct mptcp_endpoint *ep = find_endpoint(eps, n_eps, next);
		struct mptcp_endp_saved saved;

		first = false;
		id = next;
		if (bpf_map_lookup_elem(fd, &next, &saved))
			continue;
		m->original_flags = saved.flags;
		if (ep)
			m->endpoint = *ep;
		else
			m->endpoint.addr = saved.addr;
		st->n_managed++;
	}
	close(fd);
	return 0;
}
