/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One agent at a time: a pidfile held with flock() for the agent's life. */
#ifndef OMR_PIDFILE_H
#define OMR_PIDFILE_H

#include <sys/types.h>

#define PIDFILE_DEFAULT "/run/omr-steer.pid"

/*
 * Open and lock @path.  Returns the fd (keep it open), or -EBUSY with
 * *holder set to the running agent's pid, or another negative errno.
 */
int pidfile_lock(const char *path, pid_t *holder);
int pidfile_write(int fd, pid_t pid);
/* The pid of the agent holding @path's lock; 0 when none; negative errno. */
pid_t pidfile_running(const char *path);

#endif
