/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The weight file: grammar, parsing and validation.  A file with any error
 * is rejected whole; the caller keeps whatever configuration it had.
 */
#ifndef OMR_CONFIG_H
#define OMR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "metrics_http.h"
#include "omr_steer_abi.h"
#include "probe.h"
#include "schedule.h"
#include "steering.h"

#define CONFIG_DEFAULT_PATH	"/etc/omr-steer.conf"
#define CONFIG_MAX_LINE		1024	/* longer lines are an error */
#define CONFIG_MAX_ERRORS	20	/* stop reporting after this many */
#define CONFIG_MAX_FILE_SIZE	(1 << 20) /* bigger files are an error */

#define CONFIG_INTERVAL_MIN_MS	100
#define CONFIG_INTERVAL_MAX_MS	3600000
#define CONFIG_INTERVAL_DEFAULT_MS 1000

struct wan_config {
	char name[OMR_IFNAMSIZ];	/* interface name */
	__u32 weight;			/* 0..OMR_WEIGHT_MAX or OMR_WEIGHT_AUTO */
	int line;			/* line it was defined on */
	bool has_probe;			/* "probe ADDR[:PORT]" */
	struct probe_target probe;
	__u64 min_bps, max_bps;		/* "min RATE" / "max RATE" hints, 0 = none */
};

struct steer_config {
	char path[4096];		/* the file it came from */
	__u32 interval_ms;		/* "interval" (seconds, decimals allowed) */
	bool mptcp_scheduler;		/* "mptcp-scheduler yes|no" (default yes) */
	int n_wans;
	struct wan_config wans[OMR_MAX_WANS];
	int n_schedules;
	struct schedule schedules[SCHEDULE_MAX];	/* "schedule WAN weight W DAYS HH:MM-HH:MM" */
	struct steering_config steering;	/* "flows", "pin", wan "gateway"/"gateway6" */
	struct metrics_listen metrics;		/* "metrics ADDR:PORT": serve GET /metrics */
};

/*
 * Parse the weight file at @path into @cfg.  Returns 0, or a negative errno
 * (-ENOENT, -EACCES, ... when it cannot be read, -EINVAL when it has errors;
 * -EISDIR, or -EINVAL for a FIFO, device or socket: "FILE: not a regular
 * file (a FIFO)" - only a regular file is read, so it never blocks).
 * On failure @err holds one line per problem, "FILE:LINE: message"
 * (or "FILE: message" for whole-file problems), and @cfg is unspecified.
 * Lines are separated by '\n' (none after the last); after
 * CONFIG_MAX_ERRORS problems a last line "FILE: ... and N more errors".
 * @err is always NUL-terminated within @errlen (a long report is cut);
 * it may be NULL with @errlen 0.  The grammar is described in config.c.
 */
int config_load(const char *path, struct steer_config *cfg, char *err, size_t errlen);

/* The same on a buffer already in memory; @path is used for messages. */
int config_parse(const char *path, const char *buf, size_t len,
		 struct steer_config *cfg, char *err, size_t errlen);

/*
 * A rate as tc(8) writes it, bits per second with decimal prefixes:
 * "500kbit", "10mbit", "1.5gbit" (bit, kbit, mbit, gbit, tbit; any case).
 * Returns 0, -EINVAL when @text is not such a rate, -ERANGE on overflow.
 * For the `max`/`min` wan options and anything else that takes a rate.
 */
int config_parse_rate(const char *text, __u64 *bps);

/* The WAN called @name, or NULL. */
const struct wan_config *config_find_wan(const struct steer_config *cfg, const char *name);

#endif
