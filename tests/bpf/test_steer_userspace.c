// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The user-space side of steering (src/steering.c): the weight-file
 * grammar it adds, the flow table's housekeeping on real (unpinned) maps,
 * and discovery of a WAN's addresses, gateways and connected networks in a
 * private network namespace built by a child process.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/wait.h>
#include <time.h>
#include "flow_table.h"
#include "prog_test.h"
#include "steering.h"
#include "test.h"

/* ---- grammar ------------------------------------------------------------------ */

static int pin(struct steering_config *sc, const char *line, char *msg, size_t len)
{
	char buf[512], *argv[32];
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *tok = strtok(buf, " "); tok && argc < 32; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	return steering_parse_pin(sc, argc, argv, 7, msg, len);
}

TEST(steering_pin_grammar)
{
	static struct steering_config sc;
	char msg[256] = "";
	const struct steer_pin *p;

	memset(&sc, 0, sizeof(sc));
	ASSERT_EQ(pin(&sc, "pin dst 203.0.113.5 proto udp port 51820 wan eth1", msg, sizeof(msg)),
		  0, msg);
	p = &sc.pins[0];
	ASSERT_EQ(p->family, AF_INET, "family");
	ASSERT_EQ(p->prefixlen, 32, "a bare address is a /32");
	ASSERT_EQ(p->proto, IPPROTO_UDP, "proto");
	ASSERT_EQ(p->port, 51820, "port");
	ASSERT_STREQ(p->wan, "eth1", "wan");
	ASSERT_EQ(p->line, 7, "line");
	ASSERT_EQ(pin(&sc, "pin dst 198.51.100.0/24 bypass", msg, sizeof(msg)), 0, msg);
	ASSERT_TRUE(sc.pins[1].bypass, "bypass");
	ASSERT_EQ(pin(&sc, "pin dst 2001:db8::/32 port 443 wan lte0", msg, sizeof(msg)), 0, msg);
	ASSERT_EQ(sc.pins[2].family, AF_INET6, "IPv6");
	ASSERT_EQ(sc.pins[2].proto, 0, "any protocol");
	ASSERT_EQ(sc.n_pins, 3, "three pins");

	struct {
		const char *line, *says;
	} bad[] = {
		{ "pin dst 203.0.113.5", "wan NAME' or 'bypass'" },
		{ "pin wan eth1", "needs a destination" },
		{ "pin dst 203.0.113.0/33 wan eth1", "0..32" },
		{ "pin dst 203.0.113.5/24 wan eth1", "host bits" },
		{ "pin dst example.com wan eth1", "not an address" },
		{ "pin dst 203.0.113.5 proto icmp wan eth1", "tcp or udp" },
		{ "pin dst 203.0.113.5 port 0 wan eth1", "1..65535" },
		{ "pin dst 203.0.113.5 port 70000 wan eth1", "1..65535" },
		{ "pin dst 203.0.113.5 wan eth1 port 80", "after the pin's target" },
		{ "pin dst 203.0.113.5 dst 203.0.113.6 wan eth1", "twice" },
		{ "pin dst 203.0.113.5 via eth1", "unknown word" },
		{ "pin dst 203.0.113.5 proto udp port 51820 wan eth2", "line 7" },
		{ "pin dst 203.0.113.5 wan", "needs a value" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = '\0';
		ASSERT_EQ(pin(&sc, bad[i].line, msg, sizeof(msg)), -EINVAL, bad[i].line);
		ASSERT_CONTAINS(msg, bad[i].says, bad[i].line);
	}
	ASSERT_EQ(sc.n_pins, 3, "rejected pins are not kept");
}

static bool only_eth1(const void *ctx, const char *name)
{
	(void)ctx;
	return !strcmp(name, "eth1");
}

TEST(steering_flows_gateway_and_check)
{
	static struct steering_config sc;
	char msg[256] = "", *ok[] = { "flows", "131072" }, *small[] = { "flows", "10" };
	char *word[] = { "flows", "lots" }, *two[] = { "flows", "1", "2" };
	int line = 0;

	memset(&sc, 0, sizeof(sc));
	ASSERT_EQ(steering_flows_max(&sc), OMR_STEER_FLOWS_DEFAULT, "default size");
	ASSERT_EQ(steering_parse_flows(&sc, 2, ok, 3, msg, sizeof(msg)), 0, msg);
	ASSERT_EQ(steering_flows_max(&sc), 131072, "flows 131072");
	ASSERT_EQ(steering_parse_flows(&sc, 2, small, 3, msg, sizeof(msg)), -EINVAL, "too small");
	ASSERT_CONTAINS(msg, "out of range", "too small");
	ASSERT_EQ(steering_parse_flows(&sc, 2, word, 3, msg, sizeof(msg)), -EINVAL, "not a number");
	ASSERT_EQ(steering_parse_flows(&sc, 3, two, 3, msg, sizeof(msg)), -EINVAL, "two numbers");

	ASSERT_EQ(steering_parse_gateway(&sc, "eth1", AF_INET, "192.0.2.1", 4, msg, sizeof(msg)),
		  0, msg);
	ASSERT_EQ(steering_parse_gateway(&sc, "eth1", AF_INET6, "fe80::1", 4, msg, sizeof(msg)),
		  0, msg);
	ASSERT_EQ(steering_parse_gateway(&sc, "eth1", AF_INET, "fe80::1", 4, msg, sizeof(msg)),
		  -EINVAL, "IPv6 for gateway");
	ASSERT_EQ(steering_parse_gateway(&sc, "eth1", AF_INET, "224.0.0.1", 4, msg, sizeof(msg)),
		  -EINVAL, "multicast gateway");

	ASSERT_EQ(pin(&sc, "pin dst 192.0.2.7 wan eth1", msg, sizeof(msg)), 0, msg);
	ASSERT_EQ(steering_check(&sc, only_eth1, NULL, &line, msg, sizeof(msg)), 0, msg);
	ASSERT_EQ(pin(&sc, "pin dst 192.0.2.8 wan wwan0", msg, sizeof(msg)), 0, msg);
	ASSERT_EQ(steering_check(&sc, only_eth1, NULL, &line, msg, sizeof(msg)), -EINVAL,
		  "pin to an unknown wan");
	ASSERT_CONTAINS(msg, "wwan0", "names the wan");
	ASSERT_EQ(line, 7, "and its line");
}

/* ---- the flow table's housekeeping ------------------------------------------------ */

static struct steer_bpf *load_unpinned(struct steering *st)
{
	struct steer_bpf *skel = steer_load_unpinned();

	if (!skel)
		return NULL;
	memset(st, 0, sizeof(*st));
	st->flows_fd = bpf_map__fd(skel->maps.steer_flows);
	st->cfg_fd = bpf_map__fd(skel->maps.steer_cfg);
	st->wan_fd = bpf_map__fd(skel->maps.steer_wan);
	st->load_fd = bpf_map__fd(skel->maps.steer_load);
	st->rules_fd = bpf_map__fd(skel->maps.steer_rules);
	st->inbound_fd = bpf_map__fd(skel->maps.steer_inbound);
	st->ifcache_fd = bpf_map__fd(skel->maps.steer_ifcache);
	st->sysctl_fd = bpf_map__fd(skel->maps.steer_sysctl);
	st->counters_fd = bpf_map__fd(skel->maps.wan_counters);
	st->interval_ms = 1000;
	return skel;
}

/* What load_unpinned() and the syncs made: the rule copies, the skeleton. */
static void unload_unpinned(struct steering *st, struct steer_bpf *skel)
{
	free(st->rules);	/* the map fds are the skeleton's */
	free(st->rule_vals);
	st->rules = NULL;
	st->rule_vals = NULL;
	steer_bpf__destroy(skel);
}

static struct flow_key mkkey(__u8 proto, __u32 src, __u16 sport, __u8 kind)
{
	struct flow_key k = { .proto = proto, .kind = kind };

	k.saddr[2] = k.daddr[2] = htonl(0xffff);
	k.saddr[3] = htonl(src);
	k.daddr[3] = htonl(0xc633640a);	/* 198.51.100.10 */
	k.sport = htons(sport);
	k.dport = htons(443);
	return k;
}

static void put(int fd, struct flow_key k, __u8 wan, __u32 flags, __u32 seen, __u32 created,
		__u32 addr, __u16 port)
{
	struct flow_entry v = { .wan_idx = wan, .flags = flags, .seen_epoch = seen,
				.created_epoch = created, .port = htons(port) };

	v.addr[2] = htonl(0xffff);
	v.addr[3] = htonl(addr);
	ASSERT_EQ(bpf_map_update_elem(fd, &k, &v, BPF_ANY), 0, "insert flow");
}

static bool present(int fd, struct flow_key k)
{
	struct flow_entry v;

	return !bpf_map_lookup_elem(fd, &k, &v);
}

TEST(steering_flow_aging_and_counts)
{
	const __u32 lan = 0x0a4d0102, wan2 = 0x0a4d0202;	/* 10.77.1.2, 10.77.2.2 */
	const __u32 now = 10000;
	static struct wan_entry tbl[OMR_MAX_WANS];
	__u64 flows[OMR_MAX_WANS];
	struct steering st;
	struct steer_bpf *skel = load_unpinned(&st);
	struct flow_key udp_old, udp_new, tcp_idle, tcp_open, tcp_closed, nat, nat_x, orphan_old,
			orphan_new, nat_quiet, nat_quiet_x, dns_old, dns_new, rst, rst_x;
	int fd;

	if (!skel)
		return;
	fd = st.flows_fd;
	udp_old = mkkey(IPPROTO_UDP, lan, 1000, FLOW_KIND_ORIG);
	put(fd, udp_old, 0, 0, now - 301, now - 400, lan, 1000);		/* idle 301 s */
	udp_new = mkkey(IPPROTO_UDP, lan, 1001, FLOW_KIND_ORIG);
	put(fd, udp_new, 1, 0, now - 299, now - 400, lan, 1001);		/* idle 299 s */
	tcp_idle = mkkey(IPPROTO_TCP, lan, 1002, FLOW_KIND_ORIG);
	put(fd, tcp_idle, 0, 0, now - 7441, now - 8000, lan, 1002);		/* 2 h 4 min 1 s */
	tcp_open = mkkey(IPPROTO_TCP, lan, 1003, FLOW_KIND_ORIG);
	put(fd, tcp_open, 0, 0, now - 3600, now - 8000, lan, 1003);		/* quiet hour */
	tcp_closed = mkkey(IPPROTO_TCP, lan, 1004, FLOW_KIND_ORIG);
	put(fd, tcp_closed, 1, FLOW_F_CLOSING, now - 31, now - 100, lan, 1004);
	/* translated, quiet outward but its replies keep coming */
	nat = mkkey(IPPROTO_UDP, lan, 1005, FLOW_KIND_ORIG);
	put(fd, nat, 1, FLOW_F_NAT, now - 500, now - 600, wan2, 1005);
	nat_x = mkkey(IPPROTO_UDP, wan2, 1005, FLOW_KIND_XLAT);
	put(fd, nat_x, 1, FLOW_F_NAT, now - 5, now - 600, lan, 1005);
	/* translated and quiet both ways */
	nat_quiet = mkkey(IPPROTO_UDP, lan, 1006, FLOW_KIND_ORIG);
	put(fd, nat_quiet, 1, FLOW_F_NAT, now - 500, now - 600, wan2, 2006);
	nat_quiet_x = mkkey(IPPROTO_UDP, wan2, 2006, FLOW_KIND_XLAT);
	put(fd, nat_quiet_x, 1, FLOW_F_NAT, now - 400, now - 600, lan, 1006);
	/* reply entries without their flow: quiet ones go, a brand new one stays */
	orphan_old = mkkey(IPPROTO_TCP, wan2, 1007, FLOW_KIND_XLAT);
	put(fd, orphan_old, 1, FLOW_F_NAT, now - 31, now - 40, lan, 1007);
	orphan_new = mkkey(IPPROTO_TCP, wan2, 1008, FLOW_KIND_XLAT);
	put(fd, orphan_new, 1, FLOW_F_NAT, now, now, lan, 1008);

	/* single UDP exchanges (DNS): 30 s idle */
	dns_old = mkkey(IPPROTO_UDP, lan, 1009, FLOW_KIND_ORIG);
	put(fd, dns_old, 0, 0, now - 31, now - 32, lan, 1009);
	dns_new = mkkey(IPPROTO_UDP, lan, 1010, FLOW_KIND_ORIG);
	put(fd, dns_new, 0, 0, now - 29, now - 29, lan, 1010);
	/* a translated connection the server reset: the RST came in on its reply entry */
	rst = mkkey(IPPROTO_TCP, lan, 1011, FLOW_KIND_ORIG);
	put(fd, rst, 1, FLOW_F_NAT, now - 40, now - 100, wan2, 1011);
	rst_x = mkkey(IPPROTO_TCP, wan2, 1011, FLOW_KIND_XLAT);
	put(fd, rst_x, 1, FLOW_F_NAT | FLOW_F_CLOSING, now - 35, now - 100, lan, 1011);

	ASSERT_EQ(flow_table_count(fd, now, 1000, flows), 0, "dry count");
	ASSERT_TRUE(present(fd, udp_old), "a dry count removes nothing");

	/* no WANs: the sync only ages the table, its scan starting epoch @now */
	st.cfg.epoch = now - 1;
	ASSERT_EQ(steering_sync(&st, tbl), 0, "sync");
	ASSERT_EQ(st.cfg.epoch, now, "a new epoch per interval");
	ASSERT_EQ(st.expired, 6, "expired: idle UDP, idle TCP, closed TCP, quiet translated, "
		  "old DNS exchange, reset translated TCP");
	ASSERT_EQ(st.orphans, 1, "old reply entry without its flow");
	memcpy(flows, st.flows, sizeof(flows));
	ASSERT_FALSE(present(fd, udp_old), "UDP idle > 300 s removed");
	ASSERT_TRUE(present(fd, udp_new), "UDP idle < 300 s kept");
	ASSERT_FALSE(present(fd, tcp_idle), "TCP idle > 2 h 4 min removed");
	ASSERT_TRUE(present(fd, tcp_open), "TCP quiet for an hour kept");
	ASSERT_FALSE(present(fd, tcp_closed), "TCP 31 s after FIN removed");
	ASSERT_TRUE(present(fd, nat), "translated flow with live replies kept");
	ASSERT_TRUE(present(fd, nat_x), "and its reply entry");
	ASSERT_FALSE(present(fd, nat_quiet), "translated flow quiet both ways removed");
	ASSERT_FALSE(present(fd, nat_quiet_x), "with its reply entry");
	ASSERT_FALSE(present(fd, orphan_old), "orphan reply entry removed");
	ASSERT_TRUE(present(fd, orphan_new), "brand new reply entry kept (its flow is coming)");
	ASSERT_FALSE(present(fd, dns_old), "UDP exchange idle > 30 s removed");
	ASSERT_TRUE(present(fd, dns_new), "UDP exchange idle < 30 s kept");
	ASSERT_FALSE(present(fd, rst), "translated TCP 35 s after the server's RST removed");
	ASSERT_FALSE(present(fd, rst_x), "with its reply entry");
	ASSERT_EQ(flows[0], 2, "wan 0 flows");
	ASSERT_EQ(flows[1], 2, "wan 1 flows");
	/* the load new flows are weighed against: only flows busy in the last 5 s */
	ASSERT_EQ(st.busy[0], 0, "wan 0: its TCP flow is quiet");
	ASSERT_EQ(st.busy[1], 1, "wan 1: the translated flow whose replies still come");
	ASSERT_EQ(st.cfg.load_base[0], 0, "load_base wan 0");
	ASSERT_EQ(st.cfg.load_base[1], 1, "load_base wan 1");
	unload_unpinned(&st, skel);
}

/* ---- discovery, in a namespace of its own ------------------------------------------ */

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int read_rp_filter(const char *dev)
{
	char path[128], buf[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", dev);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return atoi(buf);
}

/* Runs in the child, in a fresh network namespace; returns the number of failures. */
static int discovery_child(struct steering *st)
{
	static struct wan_entry tbl[OMR_MAX_WANS];
	struct steer_wan w;
	struct steer_rule_key rk = { .prefixlen = 32 + 128 };
	struct steer_rule rv;
	__u32 idx = 2, ifindex;
	char want[INET6_ADDRSTRLEN];
	int fails = 0;

#define CHECK(cond, what) do {						\
		if (!(cond)) {						\
			fprintf(stderr, "  discovery: %s\n", what);	\
			fails++;					\
		}							\
	} while (0)
	if (sh("ip link set lo up && ip link add osw1 type veth peer name osw1p && "
	       "ip link set osw1p up && ip link set osw1 up && "
	       "ip addr add 10.66.1.2/24 dev osw1 && ip addr add 10.66.9.2/24 dev osw1 && "
	       "ip -6 addr add fd66:1::2/64 dev osw1 nodad && "
	       "ip route add default via 10.66.1.1 dev osw1 metric 5 && "
	       "ip route add 172.30.0.0/16 dev osw1 scope link && "
	       "ip -6 route add default via fe80::66 dev osw1 metric 5 && "
	       "sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.osw1.rp_filter=0") != 0)
		return 100;
	ifindex = if_nametoindex("osw1");
	snprintf(tbl[idx].name, sizeof(tbl[idx].name), "osw1");
	tbl[idx].ifindex = ifindex;
	tbl[idx].flags = OMR_WAN_F_CONFIGURED | OMR_WAN_F_PRESENT | OMR_WAN_F_ATTACHED |
			 OMR_WAN_F_UP;
	tbl[idx].effective_weight = 3;
	CHECK(steering_sync(st, tbl) == 0, "steering_sync");
	CHECK(!bpf_map_lookup_elem(st->wan_fd, &idx, &w), "steer_wan entry");
	CHECK(w.ifindex == ifindex, "ifindex");
	CHECK(w.flags == (STEER_WAN_F_L2 | STEER_WAN_F_ADDR4 | STEER_WAN_F_ADDR6 |
			  STEER_WAN_F_GW4 | STEER_WAN_F_GW6),
	      "flags: ethernet, both addresses, both gateways");
	inet_ntop(AF_INET, &w.addr4, want, sizeof(want));
	CHECK(!strcmp(want, "10.66.1.2"), "IPv4 address is the primary one");
	inet_ntop(AF_INET, &w.gw4, want, sizeof(want));
	CHECK(!strcmp(want, "10.66.1.1"), "IPv4 gateway from the default route");
	inet_ntop(AF_INET6, w.addr6, want, sizeof(want));
	CHECK(!strcmp(want, "fd66:1::2"), "IPv6 address");
	inet_ntop(AF_INET6, w.gw6, want, sizeof(want));
	CHECK(!strcmp(want, "fe80::66"), "IPv6 gateway from the default route");
	CHECK(st->cfg.enabled == 1, "steering on");
	CHECK(st->cfg.usable4 == 1U << idx && st->cfg.usable6 == 1U << idx, "usable");
	CHECK(st->cfg.weight[idx] == 3, "weight");

	/* connected networks and the on-link route are bypassed */
	rk.addr[2] = htonl(0xffff);
	inet_pton(AF_INET, "10.66.1.77", &rk.addr[3]);
	CHECK(!bpf_map_lookup_elem(st->rules_fd, &rk, &rv) && rv.action == STEER_RULE_BYPASS,
	      "10.66.1.0/24 bypassed");
	inet_pton(AF_INET, "10.66.9.77", &rk.addr[3]);
	CHECK(!bpf_map_lookup_elem(st->rules_fd, &rk, &rv), "its second network bypassed too");
	inet_pton(AF_INET, "172.30.4.4", &rk.addr[3]);
	CHECK(!bpf_map_lookup_elem(st->rules_fd, &rk, &rv), "on-link 172.30.0.0/16 bypassed");
	inet_pton(AF_INET6, "fd66:1::99", rk.addr);
	CHECK(!bpf_map_lookup_elem(st->rules_fd, &rk, &rv), "fd66:1::/64 bypassed");
	inet_pton(AF_INET, "198.51.100.10", &rk.addr[3]);
	rk.addr[0] = rk.addr[1] = 0;
	rk.addr[2] = htonl(0xffff);
	CHECK(bpf_map_lookup_elem(st->rules_fd, &rk, &rv), "the internet is not bypassed");

	/* strict rp_filter made loose, and put back by unload */
	CHECK(read_rp_filter("osw1") == 2, "rp_filter loosened");
	CHECK(steering_restore(st->cfg_fd, st->sysctl_fd) == 0, "restore");
	CHECK(read_rp_filter("osw1") == 0, "rp_filter put back");

	/* weight 0: only when no weighted WAN is up; a gateway from the weight file wins */
	tbl[idx].effective_weight = 0;
	st->settings.n_gateways = 1;
	snprintf(st->settings.gateways[0].wan, OMR_IFNAMSIZ, "osw1");
	st->settings.gateways[0].family = AF_INET;
	inet_pton(AF_INET, "10.66.1.254", st->settings.gateways[0].addr);
	CHECK(steering_sync(st, tbl) == 0, "steering_sync again");
	CHECK(st->cfg.usable4 == 0 && st->cfg.fallback4 == 1U << idx, "weight 0 is fallback");
	CHECK(!bpf_map_lookup_elem(st->wan_fd, &idx, &w), "steer_wan entry");
	inet_ntop(AF_INET, &w.gw4, want, sizeof(want));
	CHECK(!strcmp(want, "10.66.1.254"), "gateway override");

	CHECK(w.mtu == 1500, "MTU");

	/* a new address (a PPP redial) and MTU: followed */
	sh("ip addr del 10.66.1.2/24 dev osw1 && ip addr del 10.66.9.2/24 dev osw1 && "
	   "ip addr add 10.66.2.2/24 dev osw1 && ip link set osw1 mtu 1492");
	CHECK(steering_sync(st, tbl) == 0, "steering_sync after the address changed");
	CHECK(!bpf_map_lookup_elem(st->wan_fd, &idx, &w), "steer_wan entry");
	inet_ntop(AF_INET, &w.addr4, want, sizeof(want));
	CHECK(!strcmp(want, "10.66.2.2"), "new address followed");
	CHECK(w.mtu == 1492, "new MTU followed");
	inet_pton(AF_INET, "10.66.1.77", &rk.addr[3]);
	CHECK(bpf_map_lookup_elem(st->rules_fd, &rk, &rv), "the old network's bypass removed");
#undef CHECK
	return fails;
}

TEST(steering_discovers_wan_addresses_gateways_networks)
{
	struct steering st;
	struct steer_bpf *skel = load_unpinned(&st);
	pid_t pid;
	int status = 0;

	if (!skel)
		return;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(101);
		_exit(discovery_child(&st));
	}
	if (ASSERT_TRUE(pid > 0, "fork") && waitpid(pid, &status, 0) == pid) {
		if (WIFEXITED(status) && WEXITSTATUS(status) == 100)
			test_skip("cannot build the namespace (ip, dummy interfaces)");
		else if (WIFEXITED(status) && WEXITSTATUS(status) == 101)
			test_skip("cannot create a network namespace");
		else
			ASSERT_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
				  "discovery checks failed (listed above)");
	}
	unload_unpinned(&st, skel);
}

/*
 * The agent's per-interval cost with a full default-size table (issue 9):
 * 32768 translated flows (65536 entries), one sync with every flow live,
 * then the sync that ages them all out.  Timings are printed for
 * scripts/bench/flow_aging.sh; the test checks what the scans did.
 */
static int count_all(int fd)
{
	struct flow_key k, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		n++;
	}
	return n;
}

static double ms_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1e3 + (t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* a measurement (scripts/bench/flow_aging.sh), not run by make test */
BENCH(steering_bench_aging_scan)
{
	const __u32 lan = 0x0a4d0102, wan2 = 0x0a4d0202, now = 10000;
	const int pairs = OMR_STEER_FLOWS_DEFAULT / 2;
	static struct wan_entry tbl[OMR_MAX_WANS];
	double empty_ms, live_ms[3], expire_ms;
	struct timespec t0;
	struct steering st;
	struct steer_bpf *skel = load_unpinned(&st);
	int fd;

	if (!skel)
		return;
	fd = st.flows_fd;
	st.cfg.epoch = now - 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(steering_sync(&st, tbl), 0, "sync, empty table");
	empty_ms = ms_since(&t0);
	for (int i = 0; i < pairs; i++) {
		struct flow_key o = mkkey(IPPROTO_UDP, lan + (i >> 14), 1024 + (i & 0x3fff),
					  FLOW_KIND_ORIG);
		struct flow_key x = mkkey(IPPROTO_UDP, wan2, 1024 + (i & 0x3fff), FLOW_KIND_XLAT);
		struct flow_entry v = { .wan_idx = 1, .flags = FLOW_F_NAT, .seen_epoch = now,
					.created_epoch = now - 100, .port = o.sport };

		x.dport = htons(443 + (i >> 14));	/* distinct reply tuples */
		o.dport = x.dport;
		v.addr[2] = htonl(0xffff);
		v.addr[3] = htonl(wan2);
		if (bpf_map_update_elem(fd, &o, &v, BPF_NOEXIST))
			break;
		v.addr[3] = htonl(lan + (i >> 14));
		if (bpf_map_update_elem(fd, &x, &v, BPF_NOEXIST))
			break;
	}
	ASSERT_EQ(count_all(fd), 2 * pairs, "table full of translated flows");
	for (int r = 0; r < 3; r++) {
		st.last_gc_ns = 0;	/* a scan every call */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ASSERT_EQ(steering_sync(&st, tbl), 0, "sync, every flow live");
		live_ms[r] = ms_since(&t0);
	}
	ASSERT_EQ(st.expired + st.orphans, 0, "nothing removed while live");
	ASSERT_EQ(st.flows[1], pairs, "every flow counted on wan 1");
	st.cfg.epoch = now + 400;	/* 5 min idle and more */
	st.last_gc_ns = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ASSERT_EQ(steering_sync(&st, tbl), 0, "sync, every flow expired");
	expire_ms = ms_since(&t0);
	ASSERT_EQ(st.expired, pairs, "every flow expired");
	ASSERT_EQ(count_all(fd), 0, "with its reply entry");
	printf("# aging scan: one sync %.1f ms with an empty table; with %d translated flows "
	       "(%d entries) %.1f/%.1f/%.1f ms while live, %.1f ms removing them all\n",
	       empty_ms, pairs, 2 * pairs, live_ms[0], live_ms[1], live_ms[2], expire_ms);
	unload_unpinned(&st, skel);
}
