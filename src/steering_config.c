// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The steering statements of the weight file: see steering_config.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "steering_config.h"
#include "words.h"

__u32 steering_flows_max(const struct steering_config *sc)
{
	return sc && sc->flows_max ? sc->flows_max : OMR_STEER_FLOWS_DEFAULT;
}

int steering_parse_flows(struct steering_config *sc, int argc, char **argv, int line,
			 char *msg, size_t msglen)
{
	__u64 n;
	int rc;

	if (argc != 2) {
		snprintf(msg, msglen,
			 "flows takes one number, the flow table size (%u..%u, default %u)",
			 OMR_STEER_FLOWS_MIN, OMR_STEER_FLOWS_MAX, OMR_STEER_FLOWS_DEFAULT);
		return -EINVAL;
	}
	rc = word_u64(argv[1], OMR_STEER_FLOWS_MIN, OMR_STEER_FLOWS_MAX, &n);
	if (rc == -ERANGE) {
		snprintf(msg, msglen, "flows %.32s out of range %u..%u", argv[1],
			 OMR_STEER_FLOWS_MIN, OMR_STEER_FLOWS_MAX);
		return -EINVAL;
	}
	if (rc) {
		snprintf(msg, msglen,
			 "flows '%.32s' is not a number (the flow table size, e.g. 65536)",
			 argv[1]);
		return -EINVAL;
	}
	sc->flows_max = n;
	sc->flows_line = line;
	return 0;
}

int steering_parse_pin(struct steering_config *sc, int argc, char **argv, int line,
		       char *msg, size_t msglen)
{
	static const char usage[] =
		"pin dst PREFIX [proto tcp|udp] [port N] (wan NAME | bypass)";
	struct steer_pin pin = { .line = line };
	bool have_dst = false, have_proto = false, have_port = false, have_target = false;
	int i = 1;

	while (i < argc) {
		const char *word = argv[i];
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;

		if (have_target) {
			snprintf(msg, msglen, "'%.32s' after the pin's target (%s)", word, usage);
			return -EINVAL;
		}
		if (!strcmp(word, "bypass")) {
			pin.bypass = true;
			have_target = true;
			i++;
			continue;
		}
		if (!value) {
			snprintf(msg, msglen, "%.32s needs a value (%s)", word, usage);
			return -EINVAL;
		}
		if (!strcmp(word, "dst")) {
			if (have_dst) {
				snprintf(msg, msglen, "dst given twice");
				return -EINVAL;
			}
			struct word_prefix pfx;

			if (word_prefix(value, &pfx, msg, msglen))
				return -EINVAL;
			pin.family = pfx.family;
			memcpy(pin.addr, pfx.addr, sizeof(pin.addr));
			pin.prefixlen = pfx.len;
			have_dst = true;
		} else if (!strcmp(word, "proto")) {
			if (have_proto) {
				snprintf(msg, msglen, "proto given twice");
				return -EINVAL;
			}
			if (word_proto(value, &pin.proto, msg, msglen))
				return -EINVAL;
			have_proto = true;
		} else if (!strcmp(word, "port")) {
			__u64 port;

			if (have_port) {
				snprintf(msg, msglen, "port given twice");
				return -EINVAL;
			}
			if (word_u64(value, 1, 65535, &port)) {
				snprintf(msg, msglen, "port '%.32s' is not 1..65535", value);
				return -EINVAL;
			}
			pin.port = port;
			have_port = true;
		} else if (!strcmp(word, "wan")) {
			if (strlen(value) >= sizeof(pin.wan)) {
				snprintf(msg, msglen,
					 "wan name '%.32s' is longer than 15 characters", value);
				return -EINVAL;
			}
			snprintf(pin.wan, sizeof(pin.wan), "%s", value);
			have_target = true;
		} else {
			snprintf(msg, msglen, "unknown word '%.32s' in pin (%s)", word, usage);
			return -EINVAL;
		}
		i += 2;
	}
	if (!have_dst) {
		snprintf(msg, msglen, "pin needs a destination: %s", usage);
		return -EINVAL;
	}
	if (!have_target) {
		snprintf(msg, msglen, "pin needs 'wan NAME' or 'bypass' at the end: %s", usage);
		return -EINVAL;
	}
	if (sc->n_pins >= STEERING_MAX_PINS) {
		snprintf(msg, msglen, "too many pin lines (at most %d)", STEERING_MAX_PINS);
		return -EINVAL;
	}
	for (int k = 0; k < sc->n_pins; k++) {
		const struct steer_pin *o = &sc->pins[k];

		if (o->family == pin.family && o->prefixlen == pin.prefixlen &&
		    o->proto == pin.proto && o->port == pin.port &&
		    !memcmp(o->addr, pin.addr, sizeof(o->addr))) {
			snprintf(msg, msglen, "the same destination is pinned on line %d", o->line);
			return -EINVAL;
		}
	}
	sc->pins[sc->n_pins++] = pin;
	return 0;
}

int steering_parse_gateway(struct steering_config *sc, const char *wan, int family,
			   const char *text, int line, char *msg, size_t msglen)
{
	const char *opt = family == AF_INET ? "gateway" : "gateway6";
	struct steer_gateway gw = { .family = family, .line = line };

	if (inet_pton(family, text, gw.addr) != 1) {
		snprintf(msg, msglen, "%s '%.64s' for wan %s is not an %s address", opt, text, wan,
			 family == AF_INET ? "IPv4" : "IPv6");
		return -EINVAL;
	}
	if ((family == AF_INET && (gw.addr[0] == 0 || gw.addr[0] >= 224)) ||
	    (family == AF_INET6 && (gw.addr[0] == 0xff ||
				    !memcmp(gw.addr, &in6addr_any, sizeof(in6addr_any))))) {
		snprintf(msg, msglen, "%s %.64s for wan %s is not a unicast address", opt, text,
			 wan);
		return -EINVAL;
	}
	if (sc->n_gateways >= STEERING_MAX_GATEWAYS) {
		snprintf(msg, msglen, "too many gateways");
		return -EINVAL;
	}
	snprintf(gw.wan, sizeof(gw.wan), "%s", wan);
	sc->gateways[sc->n_gateways++] = gw;
	return 0;
}

int steering_check(const struct steering_config *sc,
		   bool (*wan_defined)(const void *ctx, const char *name), const void *ctx,
		   int *line, char *msg, size_t msglen)
{
	for (int i = 0; i < sc->n_pins; i++) {
		if (sc->pins[i].bypass || wan_defined(ctx, sc->pins[i].wan))
			continue;
		*line = sc->pins[i].line;
		snprintf(msg, msglen, "pin to unknown wan %s (add a 'wan %s weight N' line)",
			 sc->pins[i].wan, sc->pins[i].wan);
		return -EINVAL;
	}
	for (int i = 0; i < sc->n_gateways; i++) {
		if (wan_defined(ctx, sc->gateways[i].wan))
			continue;
		*line = sc->gateways[i].line;
		snprintf(msg, msglen, "gateway for unknown wan %s", sc->gateways[i].wan);
		return -EINVAL;
	}
	return 0;
}
