/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The command line: options shared by every command, and the commands. */
#ifndef OMR_CLI_H
#define OMR_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit statuses (DESIGN.md): */
#define EXIT_OK		0
#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

struct cli_opts {
	const char *config_path;	/* -c FILE */
	const char *pin_dir;		/* --pin-dir DIR */
	const char *pidfile;		/* --pidfile FILE */
	bool json;			/* --json */
	bool prometheus;		/* --prometheus */
	bool daemonize;			/* -d, --daemon */
	double watch_secs;		/* --watch SECS, 0 = once */
	bool wide;			/* stats --wide: every column */
	double interval_secs;		/* top --interval SECS */
	bool config_given;		/* -c was on the command line */
	const char *network_path;	/* uci-import --network FILE */
	const char *output_path;	/* uci-import -o FILE ("-": stdout) */
};

int cmd_load(const struct cli_opts *o);
int cmd_stats(const struct cli_opts *o);
int cmd_top(const struct cli_opts *o);
int cmd_status(const struct cli_opts *o);
int cmd_reload(const struct cli_opts *o);
int cmd_unload(const struct cli_opts *o);
int cmd_check(const struct cli_opts *o);
int cmd_uci_import(const struct cli_opts *o);

#define UCI_NETWORK_DEFAULT	"/etc/config/network"
#define UCI_CONFIG_DEFAULT	"/etc/config/omr-steer"

/*
 * uci-import's mapping (cmd_uci_import.c): the weight file from the UCI
 * files @network_path and @config_path (NULL: none), validated as the weight
 * file @out_path (named in its messages).  Returns 0 with the text in
 * *@text (free it), or a negative errno with "FILE:LINE: message" lines,
 * at the UCI lines, in @err.  Writes nothing.
 */
int uci_import(const char *network_path, const char *config_path, const char *out_path,
	       char **text, char *err, size_t errlen);

/*
 * What `unload` does once it holds the pin directory @dir_fd (@pin_dir):
 * detach, put back what was changed, remove our pins and the directory.
 * Also a failed `load`'s clean-up of a pin directory it made.
 */
int unload_datapath(const char *pin_dir, int dir_fd);

#endif
