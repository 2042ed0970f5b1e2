// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `schedule` lines: grammar, errors, and which weight applies when. */
#include <errno.h>
#include <stdlib.h>
#include "test.h"
#include "schedule.h"

enum { SUN, MON, TUE, WED, THU, FRI, SAT };	/* tm_wday */

static struct tm at(int wday, int hour, int min)
{
	struct tm tm = { .tm_wday = wday, .tm_hour = hour, .tm_min = min, .tm_mday = 1 };

	return tm;
}

/* Parse a line split on blanks (a copy, words point into it). */
static int parse_line(const char *line, struct schedule *s, char *err, size_t errlen)
{
	static char buf[256];
	char *argv[16];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *w = strtok(buf, " \t"); w && argc < 16; w = strtok(NULL, " \t"))
		argv[argc++] = w;
	return schedule_parse(s, argc, argv, err, errlen);
}

static struct schedule must_parse(const char *line)
{
	struct schedule s;
	char err[256] = "";

	if (!ASSERT_EQ(parse_line(line, &s, err, sizeof(err)), 0, line))
		TEST_MSG("error: %s", err);
	return s;
}

TEST(schedule_parse_and_format)
{
	static const struct { const char *line, *canonical; } cases[] = {
		{ "schedule lte0 weight 0 mon-fri 08:00-18:00", "schedule lte0 weight 0 mon-fri 08:00-18:00" },
		{ "schedule lte0 weight 0 weekdays 08:00-18:00", "schedule lte0 weight 0 mon-fri 08:00-18:00" },
		{ "schedule lte0 weight 5 08:00-18:00", "schedule lte0 weight 5 daily 08:00-18:00" },
		{ "schedule eth1 weight auto daily 22:00-06:00", "schedule eth1 weight auto daily 22:00-06:00" },
		{ "schedule eth1 weight 1000 sat,sun 00:00-24:00", "schedule eth1 weight 1000 sat,sun 00:00-24:00" },
		{ "schedule eth1 weight 7 Weekend 10:00-00:00", "schedule eth1 weight 7 sat,sun 10:00-24:00" },
		{ "schedule eth1 weight 7 fri-mon 10:00-11:00", "schedule eth1 weight 7 mon,fri-sun 10:00-11:00" },
		{ "schedule eth1 weight 7 mon,wed,fri 10:00-11:00", "schedule eth1 weight 7 mon,wed,fri 10:00-11:00" },
		{ "schedule eth1 weight 7 mon-tue,thu 23:59-00:01", "schedule eth1 weight 7 mon,tue,thu 23:59-00:01" },
		{ "schedule eth1 weight 7 sun-sat 01:00-02:00", "schedule eth1 weight 7 daily 01:00-02:00" },
	};
	char buf[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct schedule s = must_parse(cases[i].line);

		schedule_format(&s, buf, sizeof(buf));
		ASSERT_STREQ(buf, cases[i].canonical, cases[i].line);
	}
}

TEST(schedule_parse_errors)
{
	static const struct { const char *line, *message; } cases[] = {
		{ "schedule lte0 weight 0", "needs a WAN, a weight and a time" },
		{ "schedule lte0 weight 0 mon-fri 08:00-18:00 extra", "1 words too many" },
		{ "schedule lte0 wieght 0 08:00-18:00", "expected 'weight'" },
		{ "schedule lte0 weight 1001 08:00-18:00", "weight '1001' is not 0..1000 or auto" },
		{ "schedule lte0 weight -1 08:00-18:00", "is not 0..1000" },
		{ "schedule lte0 weight 0 monday 08:00-18:00", "days 'monday' not understood" },
		{ "schedule lte0 weight 0 mon- 08:00-18:00", "not understood" },
		{ "schedule lte0 weight 0 mon, 08:00-18:00", "end with a comma" },
		{ "schedule lte0 weight 0 mon,,tue 08:00-18:00", "not understood" },
		{ "schedule lte0 weight 0 mon 8:00-18:00", "is not HH:MM-HH:MM" },
		{ "schedule lte0 weight 0 mon 08:00", "is not HH:MM-HH:MM" },
		{ "schedule lte0 weight 0 mon 24:00-06:00", "is not HH:MM-HH:MM" },
		{ "schedule lte0 weight 0 mon 08:60-09:00", "is not HH:MM-HH:MM" },
		{ "schedule lte0 weight 0 mon 08:00-24:01", "is not HH:MM-HH:MM" },
		{ "schedule lte0 weight 0 08:00-08:00", "starts where it ends" },
		{ "schedule lte0 weight 0 00:00-00:00", "starts where it ends" },
		{ "schedule averyveryverylongname weight 0 08:00-09:00", "is not an interface name" },
		{ "wan lte0 weight 0", "not a schedule line" },
	};
	struct schedule s;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		ASSERT_EQ(parse_line(cases[i].line, &s, err, sizeof(err)), -EINVAL, cases[i].line);
		ASSERT_CONTAINS(err, cases[i].message, cases[i].line);
	}
}

TEST(schedule_day_of_week)
{
	struct schedule s = must_parse("schedule lte0 weight 0 mon-fri 08:00-18:00");

	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = MON, .tm_hour = 7, .tm_min = 59 }), "Mon 07:59");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = MON, .tm_hour = 8, .tm_min = 0 }), "Mon 08:00 (start is inside)");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = WED, .tm_hour = 12, .tm_min = 30 }), "Wed 12:30");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = FRI, .tm_hour = 17, .tm_min = 59 }), "Fri 17:59");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = FRI, .tm_hour = 18, .tm_min = 0 }), "Fri 18:00 (end is outside)");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = SAT, .tm_hour = 12, .tm_min = 0 }), "Sat 12:00");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = SUN, .tm_hour = 12, .tm_min = 0 }), "Sun 12:00");

	s = must_parse("schedule lte0 weight 0 sat,sun 00:00-24:00");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = SAT, .tm_hour = 0, .tm_min = 0 }), "weekend Sat 00:00");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = SUN, .tm_hour = 23, .tm_min = 59 }), "weekend Sun 23:59");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = MON, .tm_hour = 0, .tm_min = 0 }), "weekend Mon 00:00");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = FRI, .tm_hour = 23, .tm_min = 59 }), "weekend Fri 23:59");

	/* a wrapping range of days: fri-mon */
	s = must_parse("schedule lte0 weight 0 fri-mon 12:00-13:00");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = SUN, .tm_hour = 12, .tm_min = 0 }), "fri-mon on Sun");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = MON, .tm_hour = 12, .tm_min = 0 }), "fri-mon on Mon");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = TUE, .tm_hour = 12, .tm_min = 0 }), "fri-mon on Tue");
}

TEST(schedule_midnight_wrap)
{
	struct schedule s = must_parse("schedule lte0 weight 3 fri 22:00-06:00");

	/* the window starts on Friday and runs into Saturday */
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = FRI, .tm_hour = 21, .tm_min = 59 }), "Fri 21:59");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = FRI, .tm_hour = 22, .tm_min = 0 }), "Fri 22:00");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = FRI, .tm_hour = 23, .tm_min = 59 }), "Fri 23:59");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = SAT, .tm_hour = 0, .tm_min = 0 }), "Sat 00:00");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = SAT, .tm_hour = 5, .tm_min = 59 }), "Sat 05:59");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = SAT, .tm_hour = 6, .tm_min = 0 }), "Sat 06:00");
	/* ... and the day names the start: Friday early morning is not in it */
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = FRI, .tm_hour = 3, .tm_min = 0 }), "Fri 03:00");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = SAT, .tm_hour = 22, .tm_min = 30 }), "Sat 22:30");

	/* Sunday night wraps into Monday, across the end of the week */
	s = must_parse("schedule lte0 weight 3 sun 23:00-01:00");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = SUN, .tm_hour = 23, .tm_min = 30 }), "Sun 23:30");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = MON, .tm_hour = 0, .tm_min = 30 }), "Mon 00:30");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = MON, .tm_hour = 1, .tm_min = 0 }), "Mon 01:00");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = MON, .tm_hour = 23, .tm_min = 30 }), "Mon 23:30");

	/* daily 22:00-06:00: open every night, closed every day */
	s = must_parse("schedule lte0 weight 3 daily 22:00-06:00");
	for (int wday = SUN; wday <= SAT; wday++) {
		ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = wday, .tm_hour = 2, .tm_min = 0 }), "daily night 02:00");
		ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = wday, .tm_hour = 22, .tm_min = 0 }), "daily night 22:00");
		ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = wday, .tm_hour = 12, .tm_min = 0 }), "daily night 12:00");
	}

	/* an end of 00:00 is midnight of the start day, no wrap */
	s = must_parse("schedule lte0 weight 3 mon 18:00-00:00");
	ASSERT_TRUE(schedule_is_open(&s, &(struct tm){ .tm_wday = MON, .tm_hour = 23, .tm_min = 59 }), "Mon 23:59");
	ASSERT_FALSE(schedule_is_open(&s, &(struct tm){ .tm_wday = TUE, .tm_hour = 0, .tm_min = 0 }), "Tue 00:00");
}

TEST(schedule_last_matching_line_wins)
{
	struct schedule s[4];
	struct tm t;

	s[0] = must_parse("schedule lte0 weight 0 mon-fri 08:00-18:00");
	s[1] = must_parse("schedule lte0 weight 5 wed 12:00-14:00");	/* lunch on Wednesday */
	s[2] = must_parse("schedule eth1 weight 9 daily 00:00-24:00");	/* another WAN */
	s[3] = must_parse("schedule lte0 weight auto sat,sun 10:00-12:00");

	t = at(WED, 13, 0);
	ASSERT_EQ(schedule_weight_at(s, 4, "lte0", &t, 100), 5, "both open: the later line wins");
	ASSERT_EQ(schedule_find_open(s, 4, "lte0", &t), 1, "deciding entry");
	t = at(WED, 11, 0);
	ASSERT_EQ(schedule_weight_at(s, 4, "lte0", &t, 100), 0, "only the weekday window");
	t = at(MON, 19, 0);
	ASSERT_EQ(schedule_weight_at(s, 4, "lte0", &t, 100), 100, "no window: configured weight");
	ASSERT_EQ(schedule_find_open(s, 4, "lte0", &t), -1, "nothing open");
	t = at(SAT, 11, 0);
	ASSERT_EQ(schedule_weight_at(s, 4, "lte0", &t, 100), OMR_WEIGHT_AUTO, "auto in a window");
	ASSERT_EQ(schedule_weight_at(s, 4, "eth1", &t, 100), 9, "other WAN's own line");
	ASSERT_EQ(schedule_weight_at(s, 4, "eth2", &t, 42), 42, "WAN without lines");

	/* the reverse order: the broad window is last and wins */
	s[0] = must_parse("schedule lte0 weight 5 wed 12:00-14:00");
	s[1] = must_parse("schedule lte0 weight 0 mon-fri 08:00-18:00");
	t = at(WED, 13, 0);
	ASSERT_EQ(schedule_weight_at(s, 2, "lte0", &t, 100), 0, "reversed: the later line wins");
}

TEST(schedule_wall_clock_is_dst_agnostic)
{
	struct schedule s = must_parse("schedule lte0 weight 0 sun 02:00-03:30");
	char *old_tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	struct tm tm = at(SUN, 2, 30);
	time_t t;

	/* only the wall-clock fields count, not tm_isdst or the zone */
	tm.tm_isdst = 1;
	ASSERT_TRUE(schedule_is_open(&s, &tm), "DST flag set");
	tm.tm_isdst = 0;
	ASSERT_TRUE(schedule_is_open(&s, &tm), "DST flag clear");

	/* Berlin, 2024-03-31: clocks jump from 02:00 to 03:00 */
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	t = 1711846800;			/* 2024-03-31 01:00:00 UTC = 03:00 CEST */
	localtime_r(&t, &tm);
	if (tm.tm_hour != 3) {
		test_skip("no tzdata for Europe/Berlin");
	} else {
		ASSERT_EQ(tm.tm_wday, SUN, "it is Sunday");
		ASSERT_TRUE(schedule_is_open(&s, &tm), "03:00 CEST after the jump: in 02:00-03:30");
		t -= 60;		/* 00:59 UTC = 01:59 CET, before the window */
		localtime_r(&t, &tm);
		ASSERT_FALSE(schedule_is_open(&s, &tm), "01:59 CET: before the window");
		t += 60 + 30 * 60;	/* 03:30 CEST: the end */
		localtime_r(&t, &tm);
		ASSERT_FALSE(schedule_is_open(&s, &tm), "03:30 CEST: closed");
		/* 2024-10-27: 02:00-03:00 happens twice, the window is open both times */
		t = 1729990800;		/* 01:00 UTC = 02:00 CET (second time) */
		localtime_r(&t, &tm);
		ASSERT_EQ(tm.tm_hour, 2, "second 02:00");
		ASSERT_TRUE(schedule_is_open(&s, &tm), "second 02:00: open");
		t -= 3600;		/* 00:00 UTC = 02:00 CEST (first time) */
		localtime_r(&t, &tm);
		ASSERT_EQ(tm.tm_hour, 2, "first 02:00");
		ASSERT_TRUE(schedule_is_open(&s, &tm), "first 02:00: open");
	}
	if (old_tz) {
		setenv("TZ", old_tz, 1);
		free(old_tz);
	} else {
		unsetenv("TZ");
	}
	tzset();
}
