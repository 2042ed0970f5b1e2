// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Shared words of the weight file: see words.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "words.h"

int word_u64(const char *text, __u64 min, __u64 max, __u64 *out)
{
	__u64 v = 0;

	if (!*text)
		return -EINVAL;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		if (v > (max - (*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (*p - '0');
	}
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
}

int word_prefix(const char *text, struct word_prefix *p, char *msg, size_t msglen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	__u64 plen;
	int max;

	if (alen >= sizeof(addr))
		goto bad;
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	memset(p->addr, 0, sizeof(p->addr));
	if (inet_pton(AF_INET, addr, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, addr, p->addr) == 1)
		p->family = AF_INET6;
	else
		goto bad;
	max = p->family == AF_INET ? 32 : 128;
	plen = max;
	if (slash && word_u64(slash + 1, 0, max, &plen)) {
		snprintf(msg, msglen, "prefix length in '%.64s' is not 0..%d", text, max);
		return -EINVAL;
	}
	p->len = plen;
	for (int bit = plen; bit < max; bit++) {
		if (p->addr[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(msg, msglen, "'%.64s' has host bits set beyond /%u", text,
				 (unsigned int)plen);
			return -EINVAL;
		}
	}
	return 0;
bad:
	snprintf(msg, msglen, "'%.64s' is not an address or prefix (like 203.0.113.5, "
		 "198.51.100.0/24 or 2001:db8::/32)", text);
	return -EINVAL;
}

int word_proto(const char *text, __u8 *proto, char *msg, size_t msglen)
{
	if (!strcmp(text, "tcp")) {
		*proto = IPPROTO_TCP;
	} else if (!strcmp(text, "udp")) {
		*proto = IPPROTO_UDP;
	} else {
		snprintf(msg, msglen, "proto '%.32s': only tcp or udp flows are steered", text);
		return -EINVAL;
	}
	return 0;
}
