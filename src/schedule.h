/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Time windows: `schedule` lines change a WAN's weight during given hours
 * and days, in local (wall-clock) time, evaluated by the agent.
 *
 *	schedule WAN weight W [DAYS] HH:MM-HH:MM
 *
 *	W      0..1000 or auto: the weight while the window is open
 *	DAYS   daily (the default), weekdays (mon-fri), weekend (sat,sun), or
 *	       a comma list of days and day ranges: mon tue wed thu fri sat
 *	       sun, mon-fri, sat,sun, mon,wed,fri-sun.  A range may wrap the
 *	       week: fri-mon = fri,sat,sun,mon.  Case does not matter.
 *	HH:MM  start 00:00..23:59, end 00:00..24:00 (as an end, 00:00 and
 *	       24:00 both mean midnight at the end of the day).  Start equal
 *	       to end is an error (use 00:00-24:00 for a whole day).
 *
 * The window is [start, end): open at start, closed at end.  When end is
 * before start it wraps past midnight, and DAYS are the days the window
 * STARTS on: `fri 22:00-06:00` is open from Friday 22:00 to Saturday 06:00
 * (not on Friday 00:00-06:00); `sun 22:00-02:00` ends on Monday 02:00.
 *
 * Precedence: when several lines for the same WAN are open at once, the
 * last one in the file wins.  Outside every window the WAN's configured
 * weight applies.
 *
 * Time is the wall clock of the struct tm the caller passes (localtime_r),
 * so daylight saving time needs no special case: on the night the clocks
 * skip an hour, a window inside the skipped hour does not open (and one
 * starting in it opens when the clock resumes), and on the night an hour
 * repeats, a window in it is open both times.  Seconds are ignored.
 */
#ifndef OMR_SCHEDULE_H
#define OMR_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include "omr_steer_abi.h"

#define SCHEDULE_MAX		OMR_MAX_SCHEDULES	/* schedule lines per file */
#define SCHEDULE_ALL_DAYS	0x7f
#define MINUTES_PER_DAY		1440

struct schedule {
	char wan[OMR_IFNAMSIZ];
	__u32 weight;		/* 0..OMR_WEIGHT_MAX or OMR_WEIGHT_AUTO */
	__u8 days;		/* bit 0 Monday .. bit 6 Sunday: start days */
	__u16 start_min;	/* minutes after midnight, 0..1439 */
	__u16 end_min;		/* 1..1440; <= start_min: ends the next day */
	int line;		/* line of the weight file, for messages */
};

/*
 * Parse one line already split into words: argv[0] is "schedule".  Fills
 * @s (but not s->line) and returns 0, or returns -EINVAL with a message in
 * @err, without a FILE:LINE prefix (the caller adds it).  The WAN name is
 * only checked for shape; the caller checks that a `wan` line defines it.
 */
int schedule_parse(struct schedule *s, int argc, char **argv, char *err, size_t errlen);

/* Is @s open at the wall-clock time @local (tm_wday, tm_hour, tm_min)? */
bool schedule_is_open(const struct schedule *s, const struct tm *local);

/*
 * The entry that decides the weight of @wan at @local: the index of the
 * last open line for it among @s[0..n), or -1 when none is open.
 */
int schedule_find_open(const struct schedule *s, int n, const char *wan, const struct tm *local);

/* The weight of @wan at @local: the deciding entry's, else @base_weight. */
__u32 schedule_weight_at(const struct schedule *s, int n, const char *wan,
			 const struct tm *local, __u32 base_weight);

/*
 * @s as a canonical line ("schedule lte0 weight 0 mon-fri 08:00-18:00"),
 * for `status` and messages.  Returns what snprintf returns.
 */
int schedule_format(const struct schedule *s, char *buf, size_t size);

/*
 * The schedules @s[0..n) as `status` shows them (struct omr_policy, the
 * pinned agent_policy map), each marked open when it decides its WAN's
 * weight at @local.  updated_ns is left to the caller.
 */
void schedule_publish(const struct schedule *s, int n, const struct tm *local,
		      struct omr_policy *out);

/* The same line from a published entry. */
int schedule_format_published(const struct omr_policy_schedule *p, char *buf, size_t size);

#endif
