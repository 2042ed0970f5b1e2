/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The steering statements of the weight file (used by steering.h).
 *
 * Grammar (wired into src/config.c by its tables):
 *
 *	flows N                       flow table size, 256..16777216 (65536)
 *	pin dst PREFIX [proto tcp|udp] [port N] wan NAME
 *	pin dst PREFIX [proto tcp|udp] [port N] bypass
 *	wan NAME ... gateway ADDR     IPv4 next hop for flows steered to NAME
 *	wan NAME ... gateway6 ADDR    IPv6 next hop (usually link-local)
 *
 * A pin sends new flows to that destination (an address or prefix, IPv4 or
 * IPv6) through WAN NAME whenever NAME is up, whatever the weights; `bypass`
 * leaves them to the routing table.  The most specific protocol/port wins,
 * then the longest prefix.  Example: the VPN to the VPS always on one WAN:
 *	pin dst 203.0.113.5 proto udp port 51820 wan eth1
 */
#ifndef OMR_STEERING_CONFIG_H
#define OMR_STEERING_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "omr_steer_abi.h"
#include "classes.h"

#define STEERING_MAX_PINS	256
#define STEERING_MAX_GATEWAYS	(2 * OMR_MAX_WANS)

struct steer_pin {
	int family;			/* AF_INET or AF_INET6 */
	__u8 addr[16];			/* network order; IPv4 in the first 4 bytes */
	__u8 prefixlen;			/* 0..32 or 0..128 */
	__u8 proto;			/* 0 (any), IPPROTO_TCP, IPPROTO_UDP */
	__u16 port;			/* destination port, host order; 0 = any */
	bool bypass;			/* leave to the routing table */
	char wan[OMR_IFNAMSIZ];		/* unless bypass */
	int line;
};

struct steer_gateway {
	char wan[OMR_IFNAMSIZ];
	int family;
	__u8 addr[16];
	int line;
};

/* The steering part of the weight file (struct steer_config.steering). */
struct steering_config {
	__u32 flows_max;		/* `flows N`, 0 = OMR_STEER_FLOWS_DEFAULT */
	int flows_line;
	int n_pins;
	struct steer_pin pins[STEERING_MAX_PINS];
	int n_gateways;
	struct steer_gateway gateways[STEERING_MAX_GATEWAYS];
	struct class_config classes;	/* `class` and `rule` (classes.h) */
};

/*
 * Grammar pieces for src/config.c.  Each returns 0 or -EINVAL with a
 * one-line reason in @msg (no file/line: the parser adds them).
 *  - steering_parse_flows: the words of a `flows N` statement;
 *  - steering_parse_pin: the words of a `pin ...` statement, appended to
 *    @sc->pins with @line;
 *  - steering_parse_gateway: the value of a wan's `gateway` (@family
 *    AF_INET) or `gateway6` (AF_INET6) option.
 * After the whole file, steering_check() names the first pin or gateway
 * of a WAN the file does not define (@wan_defined says), with its line.
 */
int steering_parse_flows(struct steering_config *sc, int argc, char **argv, int line,
			 char *msg, size_t msglen);
int steering_parse_pin(struct steering_config *sc, int argc, char **argv, int line,
		       char *msg, size_t msglen);
int steering_parse_gateway(struct steering_config *sc, const char *wan, int family,
			   const char *text, int line, char *msg, size_t msglen);
int steering_check(const struct steering_config *sc,
		   bool (*wan_defined)(const void *ctx, const char *name), const void *ctx,
		   int *line, char *msg, size_t msglen);

/* The flow table size @sc asks for. */
__u32 steering_flows_max(const struct steering_config *sc);

#endif
