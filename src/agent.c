// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control loop: samples the counters every interval and publishes rates,
 * follows interfaces through rtnetlink, rereads the weight file on SIGHUP.
 * Stopping it (SIGTERM/SIGINT, or a crash) leaves the datapath attached and
 * pinned: traffic keeps flowing and `stats` keeps working.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include "agent.h"
#include "config.h"
#include "datapath.h"
#include "log.h"
#include "pidfile.h"
#include "rates.h"
#include "wans.h"

struct agent {
	const struct agent_opts *opts;
	struct steer_config cfg;	/* the configuration in force */
	struct datapath dp;
	struct wan_set wans;
	struct rate_sample rates[OMR_MAX_WANS];
	int pidfile_fd, signal_fd, timer_fd, link_fd;
};

static int arm_timer(int fd, __u32 interval_ms)
{
	struct itimerspec its = {
		.it_interval = { interval_ms / 1000, (interval_ms % 1000) * 1000000L },
	};

	its.it_value = its.it_interval;
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
}

/* Link and address changes: a WAN appearing, disappearing or going down. */
static int open_link_events(void)
{
	struct sockaddr_nl sa = {
		.nl_family = AF_NETLINK,
		.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
	};
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void drain(int fd)
{
	char buf[8192];

	/* we resynchronise from the kernel's state, the messages only wake us */
	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static void publish_meta(struct agent *a, bool running)
{
	struct omr_meta m = {};

	datapath_read_meta(&a->dp, &m);
	m.agent_pid = running ? (__u32)getpid() : 0;
	m.interval_ms = a->cfg.interval_ms;
	if (running && !m.started_ns)
		m.started_ns = monotonic_ns();
	if (!running)
		m.started_ns = 0;
	datapath_write_meta(&a->dp, &m);
}

static void bump_generation(struct agent *a)
{
	struct omr_meta m = {};

	datapath_read_meta(&a->dp, &m);
	m.config_generation++;
	m.interval_ms = a->cfg.interval_ms;
	datapath_write_meta(&a->dp, &m);
}

/* Every interval: counters -> rates, published in wan_table for `stats`. */
static void sample(struct agent *a)
{
	__u64 now = monotonic_ns();

	wans_sync(&a->wans);
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_entry *e = &a->wans.tbl[i];
		struct wan_totals t;

		if (!(e->flags & OMR_WAN_F_CONFIGURED)) {
			a->rates[i].valid = false;
			continue;
		}
		if (datapath_read_totals(&a->dp, i, &t))
			continue;
		if (rates_update(&a->rates[i], &t, now, &e->tx_bps, &e->rx_bps)) {
			e->rate_stamp_ns = now;
			datapath_write_wan(&a->dp, i, e);
		}
	}
}

static void reload(struct agent *a)
{
	static struct steer_config next;	/* large: keep it off the stack */
	char err[8192];
	__u32 old_interval = a->cfg.interval_ms;
	int ret;

	ret = config_load(a->opts->config_path, &next, err, sizeof(err));
	if (ret) {
		pr_err("reload: %s rejected, keeping the running configuration:\n%s",
		       a->opts->config_path, err);
		return;
	}
	a->cfg = next;
	ret = wans_apply_config(&a->wans, &a->cfg);
	if (ret)
		pr_err("reload: applying %s: %s", a->opts->config_path, strerror(-ret));
	bump_generation(a);
	if (a->cfg.interval_ms != old_interval)
		arm_timer(a->timer_fd, a->cfg.interval_ms);
	pr_info("reload: %s applied (%d WANs)", a->opts->config_path, a->cfg.n_wans);
}

/* Detach from the terminal once everything is attached; the parent exits 0. */
static int daemonize(struct agent *a)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(ready[1]);
		_exit(read(ready[0], &c, 1) == 1 ? 0 : 1);
	}
	close(ready[0]);
	setsid();
	if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout) ||
	    !freopen("/dev/null", "w", stderr))
		return -errno;
	log_use_syslog(true);
	pidfile_write(a->pidfile_fd, getpid());
	publish_meta(a, true);
	if (write(ready[1], "1", 1) != 1)
		return -errno;
	close(ready[1]);
	return 0;
}

static int setup(struct agent *a)
{
	char err[8192];
	pid_t holder;
	int ret, adopted = 0, other;

	ret = config_load(a->opts->config_path, &a->cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "%s", err);
		if (*err && err[strlen(err) - 1] != '\n')
			fputc('\n', stderr);
		return 2;
	}
	a->pidfile_fd = pidfile_lock(a->opts->pidfile, &holder);
	if (a->pidfile_fd == -EBUSY) {
		pr_err("omr-steer is already running (pid %d, pidfile %s); "
		       "use 'omr-steer reload' to apply a changed weight file",
		       (int)holder, a->opts->pidfile);
		return 1;
	}
	if (a->pidfile_fd < 0) {
		pr_err("cannot open pidfile %s: %s", a->opts->pidfile, strerror(-a->pidfile_fd));
		return 1;
	}
	if (datapath_prepare_pin_dir(a->opts->pin_dir))
		return 1;
	if (datapath_load(&a->dp, a->opts->pin_dir))
		return 1;
	other = datapath_agent_pid(&a->dp);
	if (other && other != getpid()) {
		pr_err("omr-steer is already running on %s (pid %d)", a->opts->pin_dir, other);
		return 1;
	}
	if (wans_adopt(&a->wans, &a->dp)) {
		pr_err("cannot read %s/%s", a->opts->pin_dir, OMR_MAP_WAN_TABLE);
		return 1;
	}
	for (int i = 0; i < OMR_MAX_WANS; i++)
		adopted += !!(a->wans.tbl[i].flags & OMR_WAN_F_CONFIGURED);
	if (adopted)
		pr_info("adopting the datapath pinned in %s (%d WANs): counters continue",
			a->opts->pin_dir, adopted);
	ret = wans_apply_config(&a->wans, &a->cfg);
	if (ret) {
		pr_err("applying %s: %s", a->opts->config_path, strerror(-ret));
		return 1;
	}
	bump_generation(a);

	a->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	a->link_fd = open_link_events();
	if (a->timer_fd < 0 || arm_timer(a->timer_fd, a->cfg.interval_ms)) {
		pr_err("cannot create the sampling timer: %s", strerror(errno));
		return 1;
	}
	if (a->link_fd < 0)
		pr_warn("no rtnetlink events (%s): interfaces are checked every interval only",
			strerror(-a->link_fd));

	if (a->opts->daemonize) {
		ret = daemonize(a);
		if (ret) {
			pr_err("cannot detach: %s", strerror(-ret));
			return 1;
		}
	} else {
		pidfile_write(a->pidfile_fd, getpid());
		publish_meta(a, true);
	}
	pr_info("omr-steer %s running: %d WANs, interval %u ms, pins in %s", OMR_VERSION,
		a->cfg.n_wans, a->cfg.interval_ms, a->opts->pin_dir);
	return 0;
}

static int loop(struct agent *a)
{
	struct pollfd pfd[3] = {
		{ .fd = a->signal_fd, .events = POLLIN },
		{ .fd = a->timer_fd, .events = POLLIN },
		{ .fd = a->link_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, a->link_fd >= 0 ? 3 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(a->signal_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP)
					reload(a);
				else
					return 0;
			}
		}
		if (pfd[1].revents & POLLIN) {
			__u64 expirations;

			if (read(a->timer_fd, &expirations, sizeof(expirations)) > 0)
				sample(a);
		}
		if (a->link_fd >= 0 && (pfd[2].revents & POLLIN)) {
			drain(a->link_fd);
			wans_sync(&a->wans);
		}
	}
}

int agent_run(const struct agent_opts *o)
{
	static struct agent a;	/* large: keep it off the stack */
	sigset_t mask;
	int ret;

	memset(&a, 0, sizeof(a));
	a.opts = o;
	a.pidfile_fd = a.signal_fd = a.timer_fd = a.link_fd = -1;
	datapath_init(&a.dp, o->pin_dir);

	/* signals become events of the loop from the start: a HUP or TERM
	 * during setup is handled, not fatal */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	a.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	signal(SIGPIPE, SIG_IGN);

	ret = setup(&a);
	if (!ret) {
		ret = loop(&a);
		publish_meta(&a, false);
		unlink(o->pidfile);
		pr_info("stopped; the datapath stays attached ('omr-steer unload' removes it)");
	}
	datapath_close(&a.dp);
	return ret;
}
