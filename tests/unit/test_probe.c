// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Probe targets as the weight file writes them, and the probe state machine
 * without a network (the network half is tests/net/test_probe.sh).
 */
#include <errno.h>
#include <netinet/in.h>
#include "test.h"
#include "probe.h"

TEST(probe_parse_target)
{
	static const struct { const char *text; int rc; enum probe_kind kind; int family; int port; const char *canonical; } cases[] = {
		{ "192.0.2.1", 0, PROBE_ICMP, AF_INET, 0, "192.0.2.1" },
		{ "192.0.2.1:443", 0, PROBE_TCP, AF_INET, 443, "192.0.2.1:443" },
		{ "2001:db8::1", 0, PROBE_ICMP, AF_INET6, 0, "2001:db8::1" },
		{ "[2001:db8::1]", 0, PROBE_ICMP, AF_INET6, 0, "2001:db8::1" },
		{ "[2001:db8::1]:443", 0, PROBE_TCP, AF_INET6, 443, "[2001:db8::1]:443" },
		{ "fe80::1", 0, PROBE_ICMP, AF_INET6, 0, "fe80::1" },
		{ "::ffff:192.0.2.1", 0, PROBE_ICMP, AF_INET6, 0, "::ffff:192.0.2.1" },
	};
	static const struct { const char *text, *message; } bad[] = {
		{ "example.com", "not a numeric IPv4 or IPv6 address" },
		{ "192.0.2.1:0", "port '0' is not 1..65535" },
		{ "192.0.2.1:65536", "is not 1..65535" },
		{ "192.0.2.1:http", "is not 1..65535" },
		{ "192.0.2.256", "not a numeric" },
		{ "[2001:db8::1", "'[' without ']'" },
		{ "[2001:db8::1]443", "expected ':PORT' after ']'" },
		{ "[192.0.2.1]:80x", "is not 1..65535" },
		{ "", "not a numeric" },
	};
	struct probe_target t;
	char err[256], buf[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!ASSERT_EQ(probe_parse_target(cases[i].text, &t, err, sizeof(err)), 0, cases[i].text))
			continue;
		ASSERT_EQ(t.kind, cases[i].kind, cases[i].text);
		ASSERT_EQ(t.addr.ss_family, cases[i].family, cases[i].text);
		ASSERT_EQ(ntohs(((struct sockaddr_in *)&t.addr)->sin_port), cases[i].port, cases[i].text);
		probe_target_format(&t, buf, sizeof(buf));
		ASSERT_STREQ(buf, cases[i].canonical, cases[i].text);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ASSERT_EQ(probe_parse_target(bad[i].text, &t, err, sizeof(err)), -EINVAL, bad[i].text);
		ASSERT_CONTAINS(err, bad[i].message, bad[i].text);
	}
}

TEST(probe_without_network)
{
	struct probe_target t;
	struct probe p;
	char err[128];

	probe_parse_target("192.0.2.1:443", &t, err, sizeof(err));
	ASSERT_EQ(probe_open(&p, "omr-no-such-if", NULL, 0, &t, 0, 0), -ENODEV, "missing interface");
	ASSERT_EQ(p.fd, -1, "closed after a failed open");
	ASSERT_EQ(probe_open(&p, "", NULL, 0, &t, 0, 0), -EINVAL, "empty interface name");
	ASSERT_EQ(probe_open(&p, "lo", NULL, 0, &t, 0, 0), 0, "a TCP probe opens nothing yet");
	ASSERT_EQ(probe_fd(&p), -1, "TCP: no fd between probes");
	ASSERT_EQ(probe_wait_ms(&p, 0), -1, "nothing in flight");
	ASSERT_EQ(probe_check_timeout(&p, 5000000000ULL), 0, "nothing to time out");
	ASSERT_STREQ(probe_method(&p), "tcp", "method");
	ASSERT_EQ(p.timeout_ns, PROBE_DEFAULT_TIMEOUT_NS, "default timeout");
	probe_close(&p);
}
