// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `schedule` lines: parsing and evaluation at a local time; see schedule.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "schedule.h"

#define MINUTES_PER_WEEK	(7 * MINUTES_PER_DAY)
#define QUOTE_MAX		"32"	/* how much of a bad word a message quotes */

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int __attribute__((format(printf, 3, 4)))
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int day_index(const char *name, size_t len)
{
	for (int i = 0; i < 7; i++)
		if (len == 3 && !strncasecmp(name, day_names[i], 3))
			return i;
	return -1;
}

/* "daily", "weekdays", "weekend" or "mon,wed-fri,sun" into a day mask */
static int parse_days(const char *word, __u8 *days, char *err, size_t errlen)
{
	const char *p = word;

	if (!strcasecmp(word, "daily")) {
		*days = SCHEDULE_ALL_DAYS;
		return 0;
	}
	if (!strcasecmp(word, "weekdays")) {
		*days = 0x1f;
		return 0;
	}
	if (!strcasecmp(word, "weekend")) {
		*days = 0x60;
		return 0;
	}
	*days = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		const char *dash = memchr(p, '-', len);
		int first, last;

		if (dash) {
			first = day_index(p, dash - p);
			last = day_index(dash + 1, len - (dash + 1 - p));
		} else {
			first = last = day_index(p, len);
		}
		if (first < 0 || last < 0)
			return fail(err, errlen,
				    "schedule days '%." QUOTE_MAX "s' not understood (expected daily, weekdays, weekend, or days like mon-fri or sat,sun)",
				    word);
		for (int d = first;; d = (d + 1) % 7) {	/* fri-mon wraps the week */
			*days |= 1U << d;
			if (d == last)
				break;
		}
		p += len;
		if (*p == ',') {
			p++;
			if (!*p)
				return fail(err, errlen, "schedule days '%." QUOTE_MAX "s' end with a comma", word);
		}
	}
	return 0;
}

/* "HH:MM" with 00..23 (24 only as @allow_24 "24:00"), into minutes */
static int parse_clock(const char *text, size_t len, bool allow_24, __u16 *minutes)
{
	int hh, mm;

	if (len != 5 || text[2] != ':')
		return -EINVAL;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (text[i] < '0' || text[i] > '9'))
			return -EINVAL;
	hh = (text[0] - '0') * 10 + (text[1] - '0');
	mm = (text[3] - '0') * 10 + (text[4] - '0');
	if (mm > 59 || hh > 24 || (hh == 24 && (!allow_24 || mm != 0)))
		return -EINVAL;
	*minutes = hh * 60 + mm;
	return 0;
}

static int parse_window(const char *word, struct schedule *s, char *err, size_t errlen)
{
	const char *dash = strchr(word, '-');

	if (!dash || parse_clock(word, dash - word, false, &s->start_min) ||
	    parse_clock(dash + 1, strlen(dash + 1), true, &s->end_min))
		return fail(err, errlen,
			    "schedule time '%." QUOTE_MAX "s' is not HH:MM-HH:MM (00:00..23:59, end up to 24:00)",
			    word);
	if (s->start_min == s->end_min)
		return fail(err, errlen,
			    "schedule time '%." QUOTE_MAX "s' starts where it ends (for a whole day write 00:00-24:00)",
			    word);
	if (s->end_min == 0)
		s->end_min = MINUTES_PER_DAY;	/* "22:00-00:00" ends at midnight */
	return 0;
}

static int parse_weight(const char *word, __u32 *weight)
{
	unsigned long value = 0;

	if (!strcmp(word, "auto")) {
		*weight = OMR_WEIGHT_AUTO;
		return 0;
	}
	if (!*word || strlen(word) > 4)
		return -EINVAL;
	for (const char *p = word; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		value = value * 10 + (*p - '0');
	}
	if (value > OMR_WEIGHT_MAX)
		return -EINVAL;
	*weight = value;
	return 0;
}

int schedule_parse(struct schedule *s, int argc, char **argv, char *err, size_t errlen)
{
	static const char usage[] = "schedule WAN weight 0..1000|auto [DAYS] HH:MM-HH:MM";
	int rc;

	memset(s, 0, sizeof(*s));
	if (argc < 1 || strcmp(argv[0], "schedule"))
		return fail(err, errlen, "not a schedule line (expected '%s')", usage);
	if (argc < 5)
		return fail(err, errlen, "schedule needs a WAN, a weight and a time: '%s'", usage);
	if (argc > 6)
		return fail(err, errlen, "schedule has %d words too many (expected '%s'; comments start with '#')",
			    argc - 6, usage);
	if (!argv[1][0] || strlen(argv[1]) >= OMR_IFNAMSIZ || strchr(argv[1], '/') ||
	    strchr(argv[1], ':'))
		return fail(err, errlen, "schedule: '%." QUOTE_MAX "s' is not an interface name", argv[1]);
	snprintf(s->wan, sizeof(s->wan), "%s", argv[1]);
	if (strcmp(argv[2], "weight"))
		return fail(err, errlen, "schedule %s: expected 'weight' after the WAN, got '%." QUOTE_MAX "s' (%s)",
			    s->wan, argv[2], usage);
	if (parse_weight(argv[3], &s->weight))
		return fail(err, errlen, "schedule %s: weight '%." QUOTE_MAX "s' is not 0..%d or auto",
			    s->wan, argv[3], OMR_WEIGHT_MAX);
	s->days = SCHEDULE_ALL_DAYS;
	if (argc == 6) {
		rc = parse_days(argv[4], &s->days, err, errlen);
		if (rc)
			return rc;
	}
	return parse_window(argv[argc - 1], s, err, errlen);
}

bool schedule_is_open(const struct schedule *s, const struct tm *local)
{
	/* minute of the week, Monday 00:00 = 0; tm_wday counts from Sunday */
	int wday = ((local->tm_wday % 7) + 7) % 7;
	int now = ((wday + 6) % 7) * MINUTES_PER_DAY + local->tm_hour * 60 + local->tm_min;
	int length = s->end_min > s->start_min ? s->end_min - s->start_min
					       : MINUTES_PER_DAY - s->start_min + s->end_min;

	for (int d = 0; d < 7; d++) {
		int start = d * MINUTES_PER_DAY + s->start_min;

		if (!(s->days & (1U << d)))
			continue;
		/* how long since this day's window opened, across the week's end */
		if ((now - start + MINUTES_PER_WEEK) % MINUTES_PER_WEEK < length)
			return true;
	}
	return false;
}

int schedule_find_open(const struct schedule *s, int n, const char *wan, const struct tm *local)
{
	for (int i = n - 1; i >= 0; i--)
		if (!strcmp(s[i].wan, wan) && schedule_is_open(&s[i], local))
			return i;
	return -1;
}

__u32 schedule_weight_at(const struct schedule *s, int n, const char *wan,
			 const struct tm *local, __u32 base_weight)
{
	int i = schedule_find_open(s, n, wan, local);

	return i < 0 ? base_weight : s[i].weight;
}

/* Days as runs from Monday: 0x1f "mon-fri", 0x65 "mon,wed,sat,sun" */
static void format_days(__u8 days, char *buf, size_t size)
{
	size_t pos = 0;

	buf[0] = '\0';
	if (days == SCHEDULE_ALL_DAYS) {
		snprintf(buf, size, "daily");
		return;
	}
	for (int d = 0; d < 7; d++) {
		int last = d;

		if (!(days & (1U << d)))
			continue;
		while (last + 1 < 7 && (days & (1U << (last + 1))))
			last++;
		pos += snprintf(buf + pos, pos < size ? size - pos : 0, "%s%s", pos ? "," : "",
				day_names[d]);
		if (last > d)
			pos += snprintf(buf + pos, pos < size ? size - pos : 0, "%s%s",
					last > d + 1 ? "-" : ",", day_names[last]);
		d = last;
	}
}

int schedule_format(const struct schedule *s, char *buf, size_t size)
{
	char days[64], weight[16];

	format_days(s->days, days, sizeof(days));
	if (s->weight == OMR_WEIGHT_AUTO)
		snprintf(weight, sizeof(weight), "auto");
	else
		snprintf(weight, sizeof(weight), "%u", s->weight);
	return snprintf(buf, size, "schedule %s weight %s %s %02u:%02u-%02u:%02u", s->wan, weight,
			days, s->start_min / 60, s->start_min % 60, s->end_min / 60, s->end_min % 60);
}

void schedule_publish(const struct schedule *s, int n, const struct tm *local,
		      struct omr_policy *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < n && i < OMR_MAX_SCHEDULES; i++) {
		struct omr_policy_schedule *p = &out->schedules[out->n_schedules++];

		memcpy(p->wan, s[i].wan, sizeof(p->wan));
		p->weight = s[i].weight;
		p->line = s[i].line;
		p->start_min = s[i].start_min;
		p->end_min = s[i].end_min;
		p->days = s[i].days;
		p->open = schedule_find_open(s, n, s[i].wan, local) == i;
	}
}

int schedule_format_published(const struct omr_policy_schedule *p, char *buf, size_t size)
{
	struct schedule s = {
		.weight = p->weight, .days = p->days, .start_min = p->start_min,
		.end_min = p->end_min, .line = p->line,
	};

	memcpy(s.wan, p->wan, sizeof(s.wan));
	s.wan[sizeof(s.wan) - 1] = '\0';
	return schedule_format(&s, buf, size);
}
