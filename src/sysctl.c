// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Settings under /proc/sys: see sysctl.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "sysctl.h"

#define PROC_SYS	"/proc/sys/"

static int open_sysctl(int flags, const char *fmt, va_list ap)
{
	char path[128] = PROC_SYS;
	int fd;

	vsnprintf(path + strlen(PROC_SYS), sizeof(path) - strlen(PROC_SYS), fmt, ap);
	fd = open(path, flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int sysctl_read(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	ssize_t n;
	int fd;

	va_start(ap, fmt);
	fd = open_sysctl(O_RDONLY, fmt, ap);
	va_end(ap);
	if (fd < 0)
		return fd;
	n = read(fd, buf, len - 1);
	n = n < 0 ? -errno : n;
	close(fd);
	if (n < 0)
		return (int)n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	return 0;
}

int sysctl_write(const char *value, const char *fmt, ...)
{
	size_t len = strlen(value);
	va_list ap;
	ssize_t n;
	int fd;

	va_start(ap, fmt);
	fd = open_sysctl(O_WRONLY, fmt, ap);
	va_end(ap);
	if (fd < 0)
		return fd;
	n = write(fd, value, len);
	n = n < 0 ? -errno : n;
	close(fd);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}
