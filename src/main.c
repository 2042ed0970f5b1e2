// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Where a command-line flag is parsed: the command table and its options. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "config.h"
#include "datapath.h"
#include "log.h"
#include "pidfile.h"
#include "pindir.h"

enum opt_bit {
	OPT_CONFIG = 1 << 0, OPT_PIN_DIR = 1 << 1, OPT_PIDFILE = 1 << 2,
	OPT_JSON = 1 << 3, OPT_DAEMON = 1 << 4, OPT_WATCH = 1 << 5,
	OPT_NETWORK = 1 << 6, OPT_OUTPUT = 1 << 7,
	OPT_PROMETHEUS = 1 << 8, OPT_WIDE = 1 << 9, OPT_INTERVAL = 1 << 10,
};

struct command {
	const char *name;
	int (*fn)(const struct cli_opts *o);
	unsigned int opts;		/* enum opt_bit allowed */
	unsigned int required;		/* enum opt_bit required */
	const char *args;
	const char *help;
};

static const struct command commands[] = {
	{ "load", cmd_load, OPT_CONFIG | OPT_PIN_DIR | OPT_DAEMON | OPT_PIDFILE, 0,
	  "[-c FILE] [--pin-dir DIR] [-d|--daemon] [--pidfile FILE]",
	  "attach to every WAN and run the control loop" },
	{ "stats", cmd_stats, OPT_PIN_DIR | OPT_JSON | OPT_PROMETHEUS | OPT_WATCH | OPT_WIDE, 0,
	  "[--pin-dir DIR] [--wide | --json | --prometheus] [--watch SECS]",
	  "per-WAN byte and packet counts and rates" },
	{ "top", cmd_top, OPT_PIN_DIR | OPT_INTERVAL, 0,
	  "[--pin-dir DIR] [--interval SECS]",
	  "live view: shares, weights, rates of the last minute (q quits)" },
	{ "status", cmd_status, OPT_PIN_DIR | OPT_JSON, 0,
	  "[--pin-dir DIR] [--json]", "agent, attachments and modes" },
	{ "reload", cmd_reload, OPT_PIDFILE, 0,
	  "[--pidfile FILE]", "make the running agent reread its weight file (SIGHUP)" },
	{ "unload", cmd_unload, OPT_PIN_DIR | OPT_PIDFILE, 0,
	  "[--pin-dir DIR]", "stop the agent, detach and remove every pin" },
	{ "check", cmd_check, OPT_CONFIG, OPT_CONFIG,
	  "-c FILE", "validate a weight file (exit 0, or 2 with FILE:LINE errors)" },
	{ "uci-import", cmd_uci_import, OPT_CONFIG | OPT_NETWORK | OPT_OUTPUT, 0,
	  "[--network FILE] [-c FILE] [-o FILE|-]",
	  "write the weight file from OpenWrt's UCI files (see omr-steer(8))" },
};

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "pin-dir", required_argument, NULL, 'P' },
	{ "pidfile", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, 'j' },
	{ "prometheus", no_argument, NULL, 'M' },
	{ "daemon", no_argument, NULL, 'd' },
	{ "watch", required_argument, NULL, 'w' },
	{ "wide", no_argument, NULL, 'W' },
	{ "interval", required_argument, NULL, 'I' },
	{ "network", required_argument, NULL, 'N' },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 }
};

static const struct { int val; unsigned int bit; const char *name; } opt_names[] = {
	{ 'c', OPT_CONFIG, "-c/--config" }, { 'P', OPT_PIN_DIR, "--pin-dir" },
	{ 'p', OPT_PIDFILE, "--pidfile" }, { 'j', OPT_JSON, "--json" },
	{ 'd', OPT_DAEMON, "-d/--daemon" }, { 'w', OPT_WATCH, "--watch" },
	{ 'N', OPT_NETWORK, "--network" }, { 'o', OPT_OUTPUT, "-o/--output" },
	{ 'M', OPT_PROMETHEUS, "--prometheus" }, { 'W', OPT_WIDE, "--wide" },
	{ 'I', OPT_INTERVAL, "--interval" },
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: omr-steer [-v] COMMAND [OPTIONS]\n"
		   "       omr-steer --help | --version\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-7s %-50s\n          %s\n", commands[i].name, commands[i].args,
			commands[i].help);
	fprintf(f, "\nDefaults: config %s, pin dir %s, pidfile %s.\n"
		   "Exit status: 0 success, 1 runtime failure, 2 usage or configuration error.\n"
		   "-v shows more detail (twice: libbpf's too).  See omr-steer(8).\n",
		CONFIG_DEFAULT_PATH, DATAPATH_DEFAULT_PIN_DIR, PIDFILE_DEFAULT);
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static unsigned int opt_bit_of(int val)
{
	for (size_t i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
		if (opt_names[i].val == val)
			return opt_names[i].bit;
	return 0;
}

int main(int argc, char **argv)
{
	struct cli_opts o = {
		.config_path = CONFIG_DEFAULT_PATH,
		.pin_dir = DATAPATH_DEFAULT_PIN_DIR,
		.pidfile = PIDFILE_DEFAULT,
		.interval_secs = 1,
	};
	const struct command *cmd = NULL;
	unsigned int seen = 0;
	int c;

	log_setup_libbpf();
	while ((c = getopt_long(argc, argv, "+c:o:jdvhV", long_opts, NULL)) != -1 || optind < argc) {
		if (c == -1) {
			/* a non-option: the command (options may follow it) */
			if (cmd) {
				fprintf(stderr, "Error: unexpected argument '%s'\n", argv[optind]);
				return EXIT_USAGE;
			}
			cmd = find_command(argv[optind]);
			if (!cmd) {
				fprintf(stderr, "Error: unknown command '%s'\n", argv[optind]);
				usage(stderr);
				return EXIT_USAGE;
			}
			optind++;
			continue;
		}
		switch (c) {
		case 'v': log_verbosity++; continue;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("omr-steer %s\n", OMR_VERSION); return EXIT_OK;
		case 'c': o.config_path = optarg; o.config_given = true; break;
		case 'N': o.network_path = optarg; break;
		case 'o': o.output_path = optarg; break;
		case 'P':
			o.pin_dir = optarg;
			if (!*optarg || strlen(optarg) > PIN_DIR_MAX) {
				fprintf(stderr, "Error: --pin-dir takes a directory of 1 to %d "
					"characters, not %zu\n", PIN_DIR_MAX, strlen(optarg));
				return EXIT_USAGE;
			}
			break;
		case 'p': o.pidfile = optarg; break;
		case 'j': o.json = true; break;
		case 'M': o.prometheus = true; break;
		case 'd': o.daemonize = true; break;
		case 'W': o.wide = true; break;
		case 'w': {
			char *end;

			o.watch_secs = strtod(optarg, &end);
			if (*end || !(o.watch_secs >= 0.1 && o.watch_secs <= 3600)) {
				fprintf(stderr, "Error: --watch takes seconds from 0.1 to 3600, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'I': {
			char *end;

			o.interval_secs = strtod(optarg, &end);
			if (*end || !(o.interval_secs >= 0.1 && o.interval_secs <= 10)) {
				fprintf(stderr, "Error: --interval takes seconds from 0.1 to 10, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		}
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
		seen |= opt_bit_of(c);
	}
	if (!cmd) {
		usage(stderr);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++) {
		if ((seen & opt_names[i].bit) && !(cmd->opts & opt_names[i].bit)) {
			fprintf(stderr, "Error: '%s' does not take %s\nUsage: omr-steer %s %s\n",
				cmd->name, opt_names[i].name, cmd->name, cmd->args);
			return EXIT_USAGE;
		}
		if ((cmd->required & opt_names[i].bit) && !(seen & opt_names[i].bit)) {
			fprintf(stderr, "Error: '%s' needs %s\nUsage: omr-steer %s %s\n",
				cmd->name, opt_names[i].name, cmd->name, cmd->args);
			return EXIT_USAGE;
		}
	}
	if (o.json + o.prometheus + o.wide > 1) {
		fprintf(stderr, "Error: --wide (the table), --json and --prometheus are formats: give one\n");
		return EXIT_USAGE;
	}
	return cmd->fn(&o);
}
