// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <bpf/libbpf.h>
#include "log.h"

int log_verbosity = LOG_LVL_INFO;
static bool to_syslog;
static bool libbpf_quiet;

void log_libbpf_quiet(bool on)
{
	libbpf_quiet = on;
}

void log_use_syslog(bool on)
{
	if (on && !to_syslog)
		openlog("omr-steer", LOG_PID, LOG_DAEMON);
	to_syslog = on;
}

static void vlog(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[LOG_LVL_ERROR] = "Error: ", [LOG_LVL_WARN] = "Warning: ",
		[LOG_LVL_INFO] = "", [LOG_LVL_DEBUG] = "debug: ",
	};
	static const int prio[] = {
		[LOG_LVL_ERROR] = LOG_ERR, [LOG_LVL_WARN] = LOG_WARNING,
		[LOG_LVL_INFO] = LOG_INFO, [LOG_LVL_DEBUG] = LOG_DEBUG,
	};
	char msg[8192];
	size_t len;

	if ((int)lvl > log_verbosity)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	if (to_syslog)
		syslog(prio[lvl], "%s", msg);
	else
		fprintf(stderr, "%s%s\n", prefix[lvl], msg);
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, fmt, ap);
	va_end(ap);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* libbpf's own debug output only at -v -v: it is very long. */
	if (libbpf_quiet && log_verbosity < LOG_LVL_DEBUG)
		return 0;
	if (level == LIBBPF_DEBUG && log_verbosity < LOG_LVL_DEBUG + 1)
		return 0;
	if (level == LIBBPF_INFO && log_verbosity < LOG_LVL_DEBUG)
		return 0;
	vlog(level == LIBBPF_WARN ? LOG_LVL_WARN : LOG_LVL_DEBUG, fmt, ap);
	return 0;
}

void log_setup_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
