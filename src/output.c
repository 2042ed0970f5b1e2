// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "output.h"

/* @v in the largest of @units (each @base times the last) that keeps it >= 1. */
static const char *fmt_scaled(__u64 v, double base, const char *const *units, int n_units,
			      const char *sep, char *buf, size_t len)
{
	double x = (double)v;
	int u = 0;

	while (x >= base && u < n_units - 1) {
		x /= base;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu%s%s", (unsigned long long)v, sep, units[0]);
	else
		snprintf(buf, len, "%.2f%s%s", x, sep, units[u]);
	return buf;
}

const char *fmt_bytes(__u64 bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };

	return fmt_scaled(bytes, 1024, unit, 6, " ", buf, len);
}

const char *fmt_bps(__u64 bps, char *buf, size_t len)
{
	static const char *const unit[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" };

	return fmt_scaled(bps, 1000, unit, 5, " ", buf, len);
}

const char *fmt_count(__u64 n, char *buf, size_t len)
{
	static const char *const unit[] = { "", "k", "M", "G", "T" };

	return fmt_scaled(n, 1000, unit, 5, "", buf, len);
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}
