// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The units of `stats`: what an operator reads. */
#include "output.h"
#include "test.h"

TEST(output_units)
{
	char buf[32];

	ASSERT_STREQ(fmt_bytes(0, buf, sizeof(buf)), "0 B", "zero bytes");
	ASSERT_STREQ(fmt_bytes(1023, buf, sizeof(buf)), "1023 B", "below a KiB");
	ASSERT_STREQ(fmt_bytes(1536, buf, sizeof(buf)), "1.50 KiB", "KiB");
	ASSERT_STREQ(fmt_bytes(5ULL << 30, buf, sizeof(buf)), "5.00 GiB", "GiB");
	ASSERT_STREQ(fmt_bps(999, buf, sizeof(buf)), "999 bit/s", "bit/s");
	ASSERT_STREQ(fmt_bps(12300000, buf, sizeof(buf)), "12.30 Mbit/s", "Mbit/s");
	ASSERT_STREQ(fmt_count(12345, buf, sizeof(buf)), "12.35k", "thousands");
	ASSERT_STREQ(fmt_count(7, buf, sizeof(buf)), "7", "units");
}
