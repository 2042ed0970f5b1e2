// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* `omr-steer load`: the agent (see agent.c). */
#include "agent.h"
#include "cli.h"

int cmd_load(const struct cli_opts *o)
{
	struct agent_opts ao = {
		.config_path = o->config_path,
		.pin_dir = o->pin_dir,
		.pidfile = o->pidfile,
		.daemonize = o->daemonize,
	};

	return agent_run(&ao);
}
