// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rtnetlink address-dump parser of the TCP RTT reader
 * (tcp_rtt_parse_addrs) on any bytes as one recv() of the dump: it reads
 * nothing outside the buffer, returns 0 (more follows), 1 (done) or a
 * negative errno, and the map keeps at most TCP_RTT_MAX_ADDRS addresses,
 * each of a WAN of the map.  The map: WAN 0 on ifindex 11, WAN 3 on 12.
 */
#include <errno.h>
#include <sys/socket.h>
#include "fuzz.h"
#include "tcp_rtt.h"

#define SEQ 7	/* the sequence number of the seeds' messages */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tcp_rtt_map map;
	void *buf = fuzz_copy(data, size);
	int rc;

	tcp_rtt_map_clear(&map);
	tcp_rtt_map_set_ifindex(&map, 0, 11);
	tcp_rtt_map_set_ifindex(&map, 3, 12);
	rc = tcp_rtt_parse_addrs(&map, buf, size, SEQ);
	FUZZ_CHECK(rc == 0 || rc == 1 || rc < 0);
	FUZZ_CHECK(map.n_addrs >= 0 && map.n_addrs <= TCP_RTT_MAX_ADDRS);
	for (int i = 0; i < map.n_addrs; i++) {
		FUZZ_CHECK(map.addrs[i].wan_idx == 0 || map.addrs[i].wan_idx == 3);
		FUZZ_CHECK(map.addrs[i].family == AF_INET || map.addrs[i].family == AF_INET6);
	}
	free(buf);
	return 0;
}
