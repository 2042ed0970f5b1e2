// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include "pidfile.h"

static pid_t read_pid(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? (pid_t)strtol(buf, NULL, 10) : 0;
}

int pidfile_lock(const char *path, pid_t *holder)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	*holder = 0;
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		*holder = read_pid(fd);
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

pid_t pidfile_running(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	pid_t pid;

	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	/* a lock we can take means nobody holds it: no agent */
	if (!flock(fd, LOCK_SH | LOCK_NB)) {
		close(fd);
		return 0;
	}
	pid = read_pid(fd);
	close(fd);
	return pid;
}
