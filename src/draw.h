/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Text-terminal pieces of `omr-steer top`: bars, sparklines, and fitting a
 * line to the terminal's width.  Pure functions: they only write into the
 * caller's buffer.  With @utf8 they use the Unicode block elements
 * (U+2581..U+2589, one column each), else ASCII.
 */
#ifndef OMR_DRAW_H
#define OMR_DRAW_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A horizontal bar, @width columns for @frac = 1 (clamped to 0..1), as long
 * as @frac of @width: full blocks and, with @utf8, an eighth block for the
 * rest; '#' rounded to whole columns without.  Nothing after the bar (no
 * padding).  Returns the columns drawn; @buf is cut (NUL-terminated) if
 * @len is short.
 */
int draw_bar(char *buf, size_t len, double frac, int width, bool utf8);

/*
 * A sparkline of @n samples @v (oldest first; a negative sample or NaN is
 * "no sample") in at most @width columns: one sample per column when they
 * fit (the line is then @n columns), else each column the mean of its
 * share of the samples.  Heights in 8 levels of @max (a value >= @max is
 * full); 0 and "no sample" are a space, any positive value at least the
 * lowest level, so that traffic never disappears.  Returns the columns.
 */
int draw_spark(char *buf, size_t len, const double *v, int n, int width, double max, bool utf8);

/*
 * The highest column of draw_spark(@v, @n, @width): the @max that gives
 * several sparklines one scale with a full column at their peak.
 */
double draw_spark_peak(const double *v, int n, int width);

/* The columns @s takes on a terminal: UTF-8 continuation bytes take none. */
int draw_cols(const char *s);

/*
 * Cut @s in place to at most @cols columns (never inside a UTF-8
 * sequence).  Returns the columns left.
 */
int draw_fit(char *s, int cols);

/*
 * @name (an interface name, 15 bytes at most) for a terminal: bytes that are
 * not printable ASCII (control characters, which could be terminal escapes,
 * and non-ASCII, whose width is unknown) become '?'.
 */
void draw_safe_name(char *out, size_t len, const char *name);

#endif
