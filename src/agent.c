// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The control loop: samples the counters every interval and publishes rates,
 * follows interfaces through rtnetlink, rereads the weight file on SIGHUP.
 * Stopping it (SIGTERM/SIGINT, or a crash) leaves the datapath attached and
 * pinned: traffic keeps flowing and `stats` keeps working.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/rtnetlink.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include "agent.h"
#include "cli.h"
#include "config.h"
#include "datapath.h"
#include "live.h"
#include "log.h"
#include "metrics_http.h"
#include "mptcp.h"
#include "nl.h"
#include "pidfile.h"
#include "pindir.h"
#include "rates.h"
#include "steering.h"
#include "wans.h"
#include "weights.h"

struct agent {
	const struct agent_opts *opts;
	struct steer_config cfg;	/* the configuration in force */
	struct datapath dp;
	struct wan_set wans;
	struct rate_sample rates[OMR_MAX_WANS];
	struct live live;		/* health, probes, capacity */
	struct steering steering;	/* flow steering's maps and state */
	bool steering_open;
	struct mptcp_support mptcp;	/* probed at start */
	int mptcp_mode;			/* enum mptcp_mode in force, < 0: none */
	struct pin_dir pin;		/* the pin dir, locked for the agent's life */
	int pidfile_fd, signal_fd, timer_fd;
	struct nl links;		/* link and address events: a WAN comes, goes, goes down */
	int ready_fd;			/* -d: tells the waiting parent we are up */
	struct metrics_server metrics;	/* "metrics ADDR:PORT": GET /metrics */
	struct omr_policy policy;	/* as last published */
	bool policy_written;
};

static int arm_timer(int fd, __u32 interval_ms)
{
	struct itimerspec its = {
		.it_interval = { interval_ms / 1000, (interval_ms % 1000) * 1000000L },
	};

	its.it_value = its.it_interval;
	return timerfd_settime(fd, 0, &its, NULL) ? -errno : 0;
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

/* The schedules and which of them are open, for `status`: written when that changes. */
static void publish_policy(struct agent *a, time_t now)
{
	static struct omr_policy p;
	struct tm local;

	localtime_r(&now, &local);
	schedule_publish(a->cfg.schedules, a->cfg.n_schedules, &local, &p);
	if (a->policy_written && !memcmp(p.schedules, a->policy.schedules, sizeof(p.schedules)) &&
	    p.n_schedules == a->policy.n_schedules)
		return;
	p.updated_ns = monotonic_ns();
	if (datapath_write_policy(&a->dp, &p))
		return;
	a->policy = p;
	a->policy_written = true;
}

/*
 * Effective weights from configured weights, schedules, health and capacity,
 * published in wan_table with the state, RTT and capacity behind them.
 */
static void update_weights(struct agent *a, bool config_changed)
{
	struct weight_input in[OMR_MAX_WANS];
	time_t now = time(NULL);
	bool changed;

	live_inputs(&a->live, &a->wans, &a->cfg, now, in);
	changed = weights_update(a->wans.tbl, in);
	publish_policy(a, now);
	if (a->steering_open) {
		/* addresses, gateways, weights, flow ages; sets tbl[].flows */
		int ret = steering_sync(&a->steering, a->wans.tbl);

		if (ret < 0)
			pr_warn("steering: %s", strerror(-ret));
	}
	for (__u32 i = 0; i < OMR_MAX_WANS; i++)
		if (a->wans.tbl[i].flags & OMR_WAN_F_CONFIGURED)
			datapath_write_wan(&a->dp, i, &a->wans.tbl[i]);
	if (!changed && !config_changed)
		return;
	pr_debug("effective weights changed");
	if (a->mptcp_mode > MPTCP_MODE_DISABLED) {
		struct mptcp_wan mw[OMR_MAX_WANS];
		int n = mptcp_wans_from_table(a->wans.tbl, mw);
		int ret = mptcp_apply_weights(a->opts->pin_dir, &a->mptcp, mw, n);

		if (ret < 0)
			pr_warn("MPTCP: cannot set endpoint flags: %s", strerror(-ret));
		else if (ret > 0)
			pr_info("MPTCP: %d endpoint flag(s) changed to follow the weights", ret);
	}
}

/* MPTCP: our scheduler where the kernel has the hook, else endpoint flags. */
static void start_mptcp(struct agent *a)
{
	char msg[512] = "";

	mptcp_probe(&a->mptcp);
	a->mptcp_mode = mptcp_start(a->opts->pin_dir, &a->mptcp, a->cfg.mptcp_scheduler,
				    msg, sizeof(msg));
	if (a->mptcp_mode < 0) {
		pr_warn("MPTCP: %s", strerror(-a->mptcp_mode));
		return;
	}
	if (msg[0] && a->mptcp_mode == MPTCP_MODE_STRUCT_OPS)
		pr_info("MPTCP: %s", msg);	/* e.g. adopted the registered scheduler */
	else if (msg[0])
		pr_warn("MPTCP: %s", msg);
	pr_info("MPTCP: %s", a->mptcp.reason);
}

/* Interfaces changed (rtnetlink) or may have: follow them, act at once. */
static void follow_links(struct agent *a)
{
	if (wans_sync(&a->wans) > 0) {
		live_link(&a->live, &a->wans);
		update_weights(a, true);	/* endpoints may have moved too */
	}
}

/* Every interval: counters -> rates, probes, capacity, weights. */
static void sample(struct agent *a)
{
	__u64 now = monotonic_ns();

	follow_links(a);
	for (__u32 i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_entry *e = &a->wans.tbl[i];
		struct wan_totals t;

		if (!(e->flags & OMR_WAN_F_CONFIGURED)) {
			a->rates[i].valid = false;
			continue;
		}
		if (!datapath_read_totals(&a->dp, i, &t) &&
		    rates_update(&a->rates[i], &t, now, &e->tx_bps, &e->rx_bps))
			e->rate_stamp_ns = now;
	}
	live_tick(&a->live, &a->wans, &a->cfg, now);
	update_weights(a, false);
}

/* Listen where "metrics" says (or stop); a failure keeps what there was. */
static int serve_metrics(struct agent *a, const char *ctx)
{
	char where[64] = "";
	int ret = metrics_server_listen(&a->metrics, &a->cfg.metrics);

	if (a->cfg.metrics.set)
		metrics_listen_format(&a->cfg.metrics, where, sizeof(where));
	if (ret)
		pr_err("%scannot serve /metrics on %s (metrics line in %s): %s%s", ctx, where,
		       a->opts->config_path, strerror(-ret),
		       ret == -EADDRINUSE ? "; another program listens there, pick another port" :
		       ret == -EADDRNOTAVAIL ? "; no interface has that address" : "");
	else if (a->cfg.metrics.set)
		pr_debug("serving GET /metrics on %s", where);
	return ret;
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
	bool sched_changed = next.mptcp_scheduler != a->cfg.mptcp_scheduler;

	a->cfg = next;
	ret = wans_apply_config(&a->wans, &a->cfg);
	if (ret)
		pr_err("reload: applying %s: %s", a->opts->config_path, strerror(-ret));
	live_configure(&a->live, &a->wans, &a->cfg);
	if (a->steering_open)
		steering_configure(&a->steering, &a->cfg.steering, a->cfg.interval_ms);
	if (sched_changed)
		start_mptcp(a);
	serve_metrics(a, "reload: ");
	update_weights(a, true);
	bump_generation(a);
	if (a->cfg.interval_ms != old_interval)
		arm_timer(a->timer_fd, a->cfg.interval_ms);
	pr_info("reload: %s applied (%d WANs)", a->opts->config_path, a->cfg.n_wans);
}

/*
 * -d: fork before anything else, so that the pid the agent locks and
 * publishes with is the daemon's own.  The parent waits: it exits 0 when the
 * child says it is up, else with the child's exit status.  The child keeps
 * the terminal for its start-up messages.
 */
static int daemon_fork(struct agent *a)
{
	int ready[2], status;
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(ready[1]);
		if (read(ready[0], &c, 1) == 1)
			_exit(0);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
	}
	close(ready[0]);
	setsid();
	a->ready_fd = ready[1];
	return 0;
}

/* -d: everything is attached; detach from the terminal and release the parent. */
static int daemon_ready(struct agent *a)
{
	if (!freopen("/dev/null", "r", stdin) || !freopen("/dev/null", "w", stdout) ||
	    !freopen("/dev/null", "w", stderr))
		return -errno;
	log_use_syslog(true);
	if (write(a->ready_fd, "1", 1) != 1)
		return -errno;
	close(a->ready_fd);
	a->ready_fd = -1;
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
	/* the pin dir is ours before anything is touched, until we exit */
	if (pin_dir_take(&a->pin, a->opts->pin_dir))
		return 1;
	ret = pidfile_lock(a->opts->pidfile, &holder);
	if (ret == -EBUSY) {
		pr_err("omr-steer is already running (pid %d, pidfile %s); "
		       "use 'omr-steer reload' to apply a changed weight file",
		       (int)holder, a->opts->pidfile);
		return 1;
	}
	if (ret < 0) {
		pr_err("cannot open pidfile %s: %s", a->opts->pidfile, strerror(-ret));
		return 1;
	}
	a->pidfile_fd = ret;
	if (datapath_load(&a->dp, a->opts->pin_dir, &a->cfg.steering))
		return 1;
	other = datapath_agent_pid(&a->dp);
	if (other && other != getpid()) {
		/* an older omr-steer, which does not lock the pin dir */
		pr_err("omr-steer is already running on %s (pid %d)", a->opts->pin_dir, other);
		return 1;
	}
	if (serve_metrics(a, ""))	/* before anything is attached */
		return 1;
	publish_meta(a, true);	/* from now on `unload` and `status` see us */
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
	live_configure(&a->live, &a->wans, &a->cfg);
	ret = steering_open(&a->steering, a->opts->pin_dir);
	if (ret)
		pr_warn("steering: cannot open its maps (%s): flows are not steered", strerror(-ret));
	a->steering_open = !ret;
	if (a->steering_open)
		steering_configure(&a->steering, &a->cfg.steering, a->cfg.interval_ms);
	start_mptcp(a);
	update_weights(a, true);
	bump_generation(a);

	a->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->timer_fd < 0 || arm_timer(a->timer_fd, a->cfg.interval_ms)) {
		pr_err("cannot create the sampling timer: %s", strerror(errno));
		return 1;
	}
	ret = nl_open(&a->links, NETLINK_ROUTE, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
		      0);
	if (ret)
		pr_warn("no rtnetlink events (%s): interfaces are checked every interval only",
			strerror(-ret));

	/* the pidfile names us once everything is attached: `load` is done */
	pidfile_write(a->pidfile_fd, getpid());
	if (a->opts->daemonize) {
		ret = daemon_ready(a);
		if (ret) {
			pr_err("cannot detach: %s", strerror(-ret));
			return 1;
		}
	}
	pr_info("omr-steer %s running: %d WANs, interval %u ms, pins in %s", OMR_VERSION,
		a->cfg.n_wans, a->cfg.interval_ms, a->opts->pin_dir);
	return 0;
}

enum { PFD_SIGNAL, PFD_TIMER, PFD_LINK, PFD_METRICS,
       PFD_PROBES = PFD_METRICS + METRICS_POLLFDS };

static int loop(struct agent *a)
{
	/* a probe per WAN, and live.c's counter-slice timer */
	struct pollfd pfd[PFD_PROBES + OMR_MAX_WANS + 1];
	int probe_slot[OMR_MAX_WANS + 1];

	pfd[PFD_SIGNAL] = (struct pollfd){ .fd = a->signal_fd, .events = POLLIN };
	pfd[PFD_TIMER] = (struct pollfd){ .fd = a->timer_fd, .events = POLLIN };
	pfd[PFD_LINK] = (struct pollfd){ .fd = nl_fd(&a->links), .events = POLLIN };	/* -1: ignored */
	for (;;) {
		int n_probes = live_pollfds(&a->live, pfd + PFD_PROBES, probe_slot,
					    OMR_MAX_WANS + 1);
		int n_metrics = metrics_server_pollfds(&a->metrics, pfd + PFD_METRICS);
		bool health_changed = false;

		for (int i = n_metrics; i < METRICS_POLLFDS; i++)
			pfd[PFD_METRICS + i] = (struct pollfd){ .fd = -1 };
		if (poll(pfd, PFD_PROBES + n_probes,
			 metrics_server_timeout_ms(&a->metrics, monotonic_ns())) < 0) {
			if (errno == EINTR)
				continue;
			pr_err("poll: %s", strerror(errno));
			return 1;
		}
		if (pfd[PFD_SIGNAL].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(a->signal_fd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGHUP)
					reload(a);
				else
					return 0;
			}
		}
		if (pfd[PFD_TIMER].revents & POLLIN) {
			__u64 expirations;

			if (read(a->timer_fd, &expirations, sizeof(expirations)) > 0)
				sample(a);
		}
		if (pfd[PFD_LINK].revents & POLLIN) {
			/* we resynchronise from the kernel's state, the messages only wake us */
			nl_drain(&a->links);
			follow_links(a);
		}
		/* a probe answer that flips a WAN's health acts now, not next tick */
		for (int i = 0; i < n_probes; i++)
			if (pfd[PFD_PROBES + i].revents)
				health_changed |= live_probe_ready(&a->live, probe_slot[i],
								   monotonic_ns());
		if (health_changed)
			update_weights(a, false);
		/* last: a scrape sees this round's figures */
		metrics_server_ready(&a->metrics, pfd + PFD_METRICS, n_metrics, &a->dp,
				     monotonic_ns());
	}
}

int agent_run(const struct agent_opts *o)
{
	static struct agent a;	/* large: keep it off the stack */
	bool started;
	sigset_t mask;
	int ret;

	memset(&a, 0, sizeof(a));
	a.opts = o;
	a.mptcp_mode = -1;
	live_init(&a.live);
	metrics_server_init(&a.metrics);
	a.pidfile_fd = a.signal_fd = a.timer_fd = a.ready_fd = a.pin.fd = -1;
	datapath_init(&a.dp, o->pin_dir);
	if (o->daemonize) {
		ret = daemon_fork(&a);
		if (ret) {
			pr_err("cannot detach: %s", strerror(-ret));
			return 1;
		}
	}

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
	started = !ret;
	if (started) {
		ret = loop(&a);
		publish_meta(&a, false);
		pr_info("stopped; the datapath stays attached ('omr-steer unload' removes it)");
	}
	if (!started && a.dp.meta_fd >= 0)
		publish_meta(&a, false);	/* published early in setup */
	live_close(&a.live);
	metrics_server_close(&a.metrics);
	nl_close(&a.links);
	if (a.steering_open)
		steering_close(&a.steering);
	datapath_close(&a.dp);
	if (a.pidfile_fd >= 0) {
		unlink(o->pidfile);	/* ours: we hold its lock */
		close(a.pidfile_fd);
	}
	/* a failed start takes down what it made; an adopted datapath stays */
	if (!started && a.pin.fd >= 0 && a.pin.created)
		unload_datapath(o->pin_dir, a.pin.fd);
	pin_dir_release(&a.pin);
	return ret;
}
