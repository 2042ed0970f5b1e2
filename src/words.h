/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Words of the weight file that several grammar pieces share (pins in
 * steering.c, class rules in classes.c): numbers, prefixes, protocols.
 * Each returns 0, or a negative errno with a one-line reason in @msg
 * where it takes one (no file/line: the parser adds them).
 */
#ifndef OMR_WORDS_H
#define OMR_WORDS_H

#include <stddef.h>
#include <linux/types.h>

/* Decimal digits only, @min..@max: -EINVAL not a number, -ERANGE outside. */
int word_u64(const char *text, __u64 min, __u64 max, __u64 *out);

/* "ADDR" or "ADDR/LEN", IPv4 or IPv6, no host bits beyond LEN. */
struct word_prefix {
	int family;			/* AF_INET or AF_INET6 */
	__u8 addr[16];			/* network order; IPv4 in the first 4 bytes */
	__u8 len;			/* 0..32 or 0..128 */
};
int word_prefix(const char *text, struct word_prefix *p, char *msg, size_t msglen);

/* "tcp" or "udp": the protocols whose flows are steered. */
int word_proto(const char *text, __u8 *proto, char *msg, size_t msglen);

#endif
