/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Readable units and JSON pieces for the printers of stats and status. */
#ifndef OMR_OUTPUT_H
#define OMR_OUTPUT_H

#include <stdio.h>
#include <linux/types.h>

/* 1536 -> "1.50 KiB" */
const char *fmt_bytes(__u64 bytes, char *buf, size_t len);
/* 12300000 -> "12.30 Mbit/s" */
const char *fmt_bps(__u64 bps, char *buf, size_t len);
/* 12345 -> "12.35k" */
const char *fmt_count(__u64 n, char *buf, size_t len);
/* A JSON string literal, quotes included, control characters escaped. */
void json_string(FILE *f, const char *s);

#endif
