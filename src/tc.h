/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Our place on a WAN's clsact hooks: one filter per direction with our fixed
 * handle and priority, and the clsact qdisc created only when missing.
 */
#ifndef OMR_TC_H
#define OMR_TC_H

#include <stdbool.h>

/*
 * Attach @egress_fd / @ingress_fd to @ifindex, replacing our own filters if
 * they are there (atomic: traffic is never unfiltered in between).
 * *created_clsact tells whether this call created the clsact qdisc.
 */
int tc_attach(int ifindex, int egress_fd, int ingress_fd, bool *created_clsact);

/* Remove our filters from @ifindex; absent filters are not an error. */
int tc_detach(int ifindex);

/* The id of the program behind our filter in one direction, 0 if none. */
int tc_query(int ifindex, bool egress, unsigned int *prog_id);

/* How many filters of anyone are on the clsact hooks of @ifindex. */
int tc_count_filters(int ifindex);

/* Remove the clsact qdisc of @ifindex (and with it every filter on it). */
int tc_destroy_clsact(int ifindex);

#endif
