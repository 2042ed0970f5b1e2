// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sock_diag parser of the TCP RTT reader (tcp_rtt_parse) on any bytes
 * as one recv() of the dump: it reads nothing outside the buffer, returns
 * 0, 1 or a negative errno, counts no more sockets on the WANs than it saw
 * and keeps at most TCP_RTT_MAX_SAMPLES RTTs per WAN.  The map: WAN 0 on
 * ifindex 11 with 10.77.1.2 and fd00:77:1::2, WAN 3 on 12 with 10.77.2.2.
 */
#include <arpa/inet.h>
#include "fuzz.h"
#include "tcp_rtt.h"

#define SEQ 7	/* the sequence number of the seeds' messages */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tcp_rtt_map map;
	static struct tcp_rtt_round round;
	void *buf = fuzz_copy(data, size);
	unsigned on = 0;
	__u8 a[16];
	int rc;

	tcp_rtt_map_clear(&map);
	tcp_rtt_map_set_ifindex(&map, 0, 11);
	tcp_rtt_map_set_ifindex(&map, 3, 12);
	inet_pton(AF_INET, "10.77.1.2", a);
	tcp_rtt_map_add_addr(&map, 0, AF_INET, a);
	inet_pton(AF_INET6, "fd00:77:1::2", a);
	tcp_rtt_map_add_addr(&map, 0, AF_INET6, a);
	inet_pton(AF_INET, "10.77.2.2", a);
	tcp_rtt_map_add_addr(&map, 3, AF_INET, a);
	tcp_rtt_round_start(&round, 1000);
	rc = tcp_rtt_parse(&map, &round, buf, size, SEQ);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc < 0);
	for (int i = 0; i < OMR_MAX_WANS; i++) {
		FUZZ_CHECK(round.wan[i].n <= TCP_RTT_MAX_SAMPLES);
		FUZZ_CHECK(round.wan[i].n <= round.wan[i].sockets);
		FUZZ_CHECK(round.wan[i].sockets == 0 || i == 0 || i == 3);
		on += round.wan[i].sockets;
	}
	FUZZ_CHECK(on == round.on_wans && round.on_wans <= round.sockets);
	free(buf);
	return 0;
}
