/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* One agent at a time: a pidfile held with flock() for the agent's life. */
#ifndef OMR_PIDFILE_H
#define OMR_PIDFILE_H

#include <stddef.h>
#include <sys/types.h>

#define PIDFILE_DEFAULT "/run/omr-steer.pid"

/*
 * A pidfile's contents: one decimal pid (1 .. INT_MAX, no sign, no leading
 * zero), optionally followed by one newline; nothing else.  @buf need not be
 * NUL-terminated.  0 and *pid set; -ENODATA when empty; -EINVAL when not a
 * pid; -ERANGE when the number is too large.  Pure: no I/O.
 */
int pidfile_parse(const char *buf, size_t len, pid_t *pid);

/*
 * Open and lock @path.  Returns the fd (keep it open), or -EBUSY with
 * *holder set to the running agent's pid (0 when its pidfile holds none),
 * or another negative errno.
 */
int pidfile_lock(const char *path, pid_t *holder);
int pidfile_write(int fd, pid_t pid);

/*
 * Who holds @path: 0 when nobody does (or it does not exist); 1 when held,
 * with *pid the pid it names; when held but the contents are no pid,
 * pidfile_parse()'s error (-ENODATA: empty, the agent is still starting);
 * another negative errno when it cannot be opened or read.
 */
int pidfile_holder(const char *path, pid_t *pid);

#endif
