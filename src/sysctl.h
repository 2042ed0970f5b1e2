/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel's settings of this network namespace under /proc/sys, as text.
 * @fmt and what follows name one below /proc/sys ("net/mptcp/%s", name).
 * Return 0 or a negative errno.
 */
#ifndef OMR_SYSCTL_H
#define OMR_SYSCTL_H

#include <stddef.h>

/* Its value in @buf (@len bytes), without the trailing newline. */
int sysctl_read(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sysctl_write(const char *value, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* OMR_SYSCTL_H */
