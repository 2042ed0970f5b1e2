/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Messages: "Error: ..." to stderr (or syslog when the agent runs detached). */
#ifndef OMR_LOG_H
#define OMR_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

extern int log_verbosity;		/* messages above this level are dropped */

void log_use_syslog(bool on);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* libbpf's print callback: its warnings always, its debug chatter with -v -v. */
void log_setup_libbpf(void);
/* Hide libbpf's warnings around a call whose failure is expected. */
void log_libbpf_quiet(bool on);

#define pr_err(...)	log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define pr_warn(...)	log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
