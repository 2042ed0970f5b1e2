/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The control loop behind `omr-steer load`. */
#ifndef OMR_AGENT_H
#define OMR_AGENT_H

#include <stdbool.h>

struct agent_opts {
	const char *config_path;
	const char *pin_dir;
	const char *pidfile;
	bool daemonize;
};

/* Load, attach, and run until SIGTERM/SIGINT.  Returns the exit status. */
int agent_run(const struct agent_opts *o);

#endif
