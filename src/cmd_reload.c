// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `omr-steer reload`: SIGHUP to the agent holding the pidfile. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "cli.h"
#include "datapath.h"
#include "log.h"
#include "pidfile.h"

int cmd_reload(const struct cli_opts *o)
{
	pid_t pid;
	int ret = pidfile_holder(o->pidfile, &pid);

	switch (ret) {
	case 1:
		break;
	case 0:
		pr_err("no omr-steer agent is running (pidfile %s is not held); "
		       "start one with 'omr-steer load'", o->pidfile);
		return EXIT_RUNTIME;
	case -ENODATA:
		pr_err("pidfile %s is held but holds no pid yet: the agent is still starting; "
		       "try again in a moment", o->pidfile);
		return EXIT_RUNTIME;
	case -EINVAL:
	case -ERANGE:
		pr_err("pidfile %s is held but does not hold a pid (one decimal number); "
		       "is it omr-steer's pidfile? nothing signalled", o->pidfile);
		return EXIT_RUNTIME;
	default:
		pr_err("cannot read pidfile %s: %s", o->pidfile, strerror(-ret));
		return EXIT_RUNTIME;
	}
	if (!datapath_pid_is_agent(pid)) {
		pr_err("pidfile %s names pid %d, which is not a running omr-steer agent; "
		       "nothing signalled", o->pidfile, (int)pid);
		return EXIT_RUNTIME;
	}
	if (kill(pid, SIGHUP)) {
		pr_err("cannot signal the agent (pid %d): %s", (int)pid, strerror(errno));
		return EXIT_RUNTIME;
	}
	pr_info("sent SIGHUP to omr-steer (pid %d); a rejected file is logged and "
		"leaves the running configuration in place", (int)pid);
	return EXIT_OK;
}
