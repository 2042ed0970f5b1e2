// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>
#include "draw.h"

/* U+2581..U+2588: a column filled from the bottom, 1/8 to 8/8 */
static const char *const spark_utf8[8] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
static const char spark_ascii[8] = { '_', '.', '-', '~', '=', '+', '*', '#' };
/* U+258F..U+2589: a column filled from the left, 1/8 to 7/8 */
static const char *const eighths[7] = { "▏", "▎", "▍", "▌", "▋", "▊", "▉" };

/* Append @s to @buf (@len bytes, @pos used) if it fits whole; false if not. */
static bool put(char *buf, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n + 1 > len)
		return false;
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return true;
}

int draw_bar(char *buf, size_t len, double frac, int width, bool utf8)
{
	size_t pos = 0;
	int cols = 0;
	long units;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (width <= 0)
		return 0;
	if (!(frac > 0))	/* NaN too */
		frac = 0;
	if (frac > 1)
		frac = 1;
	units = (long)(frac * width * (utf8 ? 8 : 1) + 0.5);
	for (; units >= (utf8 ? 8 : 1); units -= utf8 ? 8 : 1, cols++)
		if (!put(buf, len, &pos, utf8 ? "█" : "#"))
			return cols;
	if (utf8 && units > 0 && put(buf, len, &pos, eighths[units - 1]))
		cols++;
	return cols;
}

/* The mean of the samples of column @c of @cols over @n samples; false if none. */
static bool column_mean(const double *v, int n, int c, int cols, double *mean)
{
	int from = (int)((long long)c * n / cols), to = (int)((long long)(c + 1) * n / cols);
	double sum = 0;
	int got = 0;

	for (int i = from; i < to; i++)
		if (v[i] >= 0) {	/* false for NaN */
			sum += v[i];
			got++;
		}
	*mean = got ? sum / got : 0;
	return got > 0;
}

double draw_spark_peak(const double *v, int n, int width)
{
	int cols = n < width ? n : width;
	double peak = 0, mean;

	for (int c = 0; c < cols; c++)
		if (column_mean(v, n, c, cols, &mean) && mean > peak)
			peak = mean;
	return peak;
}

int draw_spark(char *buf, size_t len, const double *v, int n, int width, double max, bool utf8)
{
	size_t pos = 0;
	int cols, c;

	if (!len)
		return 0;
	buf[0] = '\0';
	if (n <= 0 || width <= 0)
		return 0;
	cols = n < width ? n : width;
	for (c = 0; c < cols; c++) {
		char ascii[2] = { ' ', '\0' };
		int level = 0;
		double mean;

		if (column_mean(v, n, c, cols, &mean) && mean > 0) {
			double x = max > 0 ? mean / max : 1;

			/* eighths of @max, rounded up (ceil() without libm) */
			level = x >= 1 ? 8 : (int)(x * 8);
			if (level < x * 8)
				level++;
			if (level < 1)
				level = 1;
		}
		if (level)
			ascii[0] = spark_ascii[level - 1];
		if (!put(buf, len, &pos, level && utf8 ? spark_utf8[level - 1] : ascii))
			break;
	}
	return c;
}

int draw_cols(const char *s)
{
	int cols = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			cols++;
	return cols;
}

int draw_fit(char *s, int cols)
{
	int used = 0;
	char *p;

	for (p = s; *p; p++) {
		if (((unsigned char)*p & 0xc0) == 0x80)
			continue;	/* inside the character just counted */
		if (used == cols)
			break;
		used++;
	}
	*p = '\0';
	return used;
}

void draw_safe_name(char *out, size_t len, const char *name)
{
	size_t i;

	if (!len)
		return;
	for (i = 0; i + 1 < len && name[i]; i++)
		out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
	out[i] = '\0';
}
