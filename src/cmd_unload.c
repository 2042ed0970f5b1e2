// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `omr-steer unload`: take the pin directory over from the agent holding it
 * (SIGTERM, then its lock), take our filters off every WAN (and the clsact
 * qdiscs we created, when nobody else's filters are on them), put back what
 * we changed, remove our pins by name and the pin directory.  Running it
 * twice is fine.  Only a directory on a bpffs is touched.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "datapath.h"
#include "log.h"
#include "mptcp.h"
#include "pindir.h"
#include "steering.h"
#include "wans.h"

#define TAKEOVER_TICKS	1000	/* x 10 ms: how long an agent may take to stop */

/* An agent that does not hold the lock (an older omr-steer): SIGTERM, wait. */
static int stop_agent(int pid)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	pr_info("stopping the agent (pid %d)", pid);
	if (kill(pid, SIGTERM))
		return errno == ESRCH ? 0 : -errno;
	for (int i = 0; i < TAKEOVER_TICKS; i++) {
		if (!datapath_pid_is_agent(pid))
			return 0;
		nanosleep(&tick, NULL);
	}
	pr_err("the agent (pid %d) does not stop", pid);
	return -ETIMEDOUT;
}

/*
 * Lock the pin directory @fd: the agent holding it gets SIGTERM and lets go
 * when it exits (an agent still starting stops once its setup is done).
 */
static int take_over(int fd, const char *path)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	pid_t signalled = 0, holder = 0;
	int err;

	for (int i = 0; i < TAKEOVER_TICKS; i++) {
		err = pin_dir_trylock(fd);
		if (err != -EBUSY)
			return err;
		holder = pin_dir_holder(fd);
		if (holder && holder != signalled && datapath_pid_is_agent(holder)) {
			pr_info("stopping the agent (pid %d)", (int)holder);
			if (kill(holder, SIGTERM) && errno != ESRCH)
				return -errno;
			signalled = holder;
		}
		nanosleep(&tick, NULL);
	}
	if (holder && !datapath_pid_is_agent(holder))
		pr_err("%s is locked by pid %d, which is not an omr-steer agent; nothing removed",
		       path, (int)holder);
	else
		pr_err("the agent holding %s (pid %d) does not stop; nothing removed", path,
		       (int)holder);
	return -ETIMEDOUT;
}

int unload_datapath(const char *pin_dir, int dir_fd)
{
	struct datapath dp;
	int err;

	err = datapath_open_pinned(&dp, pin_dir);
	if (!err) {
		wans_detach_all(&dp);
		datapath_close(&dp);
	} else if (err != -ENOENT) {
		pr_warn("%s holds no complete omr-steer datapath (%s); removing what is there",
			pin_dir, strerror(-err));
	}
	/* before the pins go: they hold what to restore (rp_filter, flags, scheduler) */
	err = steering_unload(pin_dir);
	if (err)
		pr_warn("steering: could not restore everything: %s", strerror(-err));
	err = mptcp_restore(pin_dir);
	if (err)
		pr_warn("MPTCP: could not restore everything: %s", strerror(-err));
	return pin_dir_remove(dir_fd, pin_dir);
}

int cmd_unload(const struct cli_opts *o)
{
	struct datapath dp;
	int fd, pid, err;

	fd = pin_dir_open(o->pin_dir);
	if (fd == -ENOENT) {
		pr_info("nothing to unload: %s does not exist", o->pin_dir);
		return EXIT_OK;
	}
	if (fd < 0) {
		if (fd == -EMEDIUMTYPE)
			pr_err("%s is not on a bpffs, so it holds no omr-steer pins; nothing removed "
			       "(is --pin-dir right? omr-steer pins on a bpffs, default %s)",
			       o->pin_dir, DATAPATH_DEFAULT_PIN_DIR);
		else
			pr_err("cannot open %s: %s; nothing removed", o->pin_dir, strerror(-fd));
		return EXIT_RUNTIME;
	}
	err = take_over(fd, o->pin_dir);
	if (err) {
		if (err != -ETIMEDOUT)
			pr_err("cannot lock %s: %s", o->pin_dir, strerror(-err));
		close(fd);
		return EXIT_RUNTIME;
	}
	/* an agent of an older omr-steer, which does not lock the pin dir */
	if (!datapath_open_pinned(&dp, o->pin_dir)) {
		pid = datapath_agent_pid(&dp);
		datapath_close(&dp);
		if (pid > 0 && pid != getpid() && stop_agent(pid)) {
			close(fd);
			return EXIT_RUNTIME;
		}
	}
	err = unload_datapath(o->pin_dir, fd);
	close(fd);
	if (err == -ENOTEMPTY) {
		pr_info("unloaded: filters detached, omr-steer's pins removed from %s", o->pin_dir);
		return EXIT_OK;
	}
	if (err)
		return EXIT_RUNTIME;
	pr_info("unloaded: filters detached, %s removed", o->pin_dir);
	return EXIT_OK;
}
