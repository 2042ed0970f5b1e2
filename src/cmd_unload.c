// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * `omr-steer unload`: stop the agent, take our filters off every WAN (and
 * the clsact qdiscs we created, when nobody else's filters are on them),
 * remove every pin and the pin directory.  Running it twice is fine.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "cli.h"
#include "datapath.h"
#include "log.h"
#include "mptcp.h"
#include "pidfile.h"
#include "steering.h"
#include "wans.h"

/* SIGTERM, then wait until the agent has let go of the datapath (<= 5 s). */
static int stop_agent(int pid)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	if (kill(pid, SIGTERM))
		return errno == ESRCH ? 0 : -errno;
	for (int i = 0; i < 500; i++) {
		if (!datapath_pid_is_agent(pid))
			return 0;
		nanosleep(&tick, NULL);
	}
	return -ETIMEDOUT;
}

int cmd_unload(const struct cli_opts *o)
{
	struct datapath dp;
	struct stat st;
	int pid, err;

	if (stat(o->pin_dir, &st)) {
		pr_info("nothing to unload: %s does not exist", o->pin_dir);
		return EXIT_OK;
	}
	err = datapath_open_pinned(&dp, o->pin_dir);
	if (!err) {
		pid = datapath_agent_pid(&dp);
		if (!pid)
			pid = pidfile_running(o->pidfile);
		if (pid > 0) {
			pr_info("stopping the agent (pid %d)", pid);
			err = stop_agent(pid);
			if (err) {
				pr_err("the agent (pid %d) does not stop: %s", pid, strerror(-err));
				datapath_close(&dp);
				return EXIT_RUNTIME;
			}
		}
		wans_detach_all(&dp);
		datapath_close(&dp);
	} else {
		pr_warn("%s holds no complete omr-steer datapath (%s); removing what is there",
			o->pin_dir, strerror(-err));
	}
	/* before the pins go: they hold what to restore (rp_filter, flags, scheduler) */
	err = steering_unload(o->pin_dir);
	if (err)
		pr_warn("steering: could not restore everything: %s", strerror(-err));
	err = mptcp_restore(o->pin_dir);
	if (err)
		pr_warn("MPTCP: could not restore everything: %s", strerror(-err));
	err = datapath_unpin_all(o->pin_dir);
	if (err) {
		pr_err("cannot remove %s: %s", o->pin_dir, strerror(-err));
		return EXIT_RUNTIME;
	}
	pr_info("unloaded: filters detached, %s removed", o->pin_dir);
	return EXIT_OK;
}
