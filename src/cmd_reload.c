// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `omr-steer reload`: SIGHUP to the agent holding the pidfile. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include "cli.h"
#include "log.h"
#include "pidfile.h"

int cmd_reload(const struct cli_opts *o)
{
	pid_t pid = pidfile_running(o->pidfile);

	if (pid < 0) {
		pr_err("cannot read pidfile %s: %s", o->pidfile, strerror(-pid));
		return EXIT_RUNTIME;
	}
	if (pid == 0) {
		pr_err("no omr-steer agent is running (pidfile %s is not held); "
		       "start one with 'omr-steer load'", o->pidfile);
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
