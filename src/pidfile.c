// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include "pidfile.h"

int pidfile_parse(const char *buf, size_t len, pid_t *pid)
{
	long long v = 0;

	*pid = 0;
	if (len && buf[len - 1] == '\n')
		len--;
	if (!len)
		return -ENODATA;
	if (buf[0] == '0')	/* 0, or a leading zero: not how a pid is written */
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
		v = v * 10 + (buf[i] - '0');
		if (v > INT_MAX)
			return -ERANGE;
	}
	*pid = (pid_t)v;
	return 0;
}

/* The pid in the file open at @fd: 0 and *pid, or a negative errno. */
static int read_pid(int fd, pid_t *pid)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf), 0);

	*pid = 0;
	if (n < 0)
		return -errno;
	if (n == (ssize_t)sizeof(buf))
		return -EINVAL;		/* longer than any pid */
	return pidfile_parse(buf, (size_t)n, pid);
}

int pidfile_lock(const char *path, pid_t *holder)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	*holder = 0;
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		read_pid(fd, holder);
		close(fd);
		return err;
	}
	return fd;
}

int pidfile_write(int fd, pid_t pid)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);

	if (ftruncate(fd, 0) || pwrite(fd, buf, len, 0) != len)
		return -errno;
	return 0;
}

int pidfile_holder(const char *path, pid_t *pid)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	*pid = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* a lock we can take means nobody holds it: no agent */
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		close(fd);
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		err = -errno;
		close(fd);
		return err;
	}
	err = read_pid(fd, pid);
	close(fd);
	return err ? err : 1;
}
