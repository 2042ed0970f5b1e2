// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include "weights.h"

const char *weight_str(__u32 weight, char *buf, size_t len)
{
	if (weight == OMR_WEIGHT_AUTO)
		snprintf(buf, len, "auto");
	else
		snprintf(buf, len, "%u", weight);
	return buf;
}

void weights_update(struct wan_entry tbl[OMR_MAX_WANS])
{
	__u32 sum = 0, n = 0, auto_weight;

	for (int i = 0; i < OMR_MAX_WANS; i++) {
		if (!(tbl[i].flags & OMR_WAN_F_CONFIGURED) || tbl[i].weight == OMR_WEIGHT_AUTO ||
		    !tbl[i].weight)
			continue;
		sum += tbl[i].weight;
		n++;
	}
	auto_weight = n ? (sum + n / 2) / n : 1;

	for (int i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_entry *e = &tbl[i];

		if (!(e->flags & OMR_WAN_F_CONFIGURED))
			continue;
		if (!(e->flags & OMR_WAN_F_PRESENT) || !(e->flags & OMR_WAN_F_UP))
			e->effective_weight = 0;
		else if (e->weight == OMR_WEIGHT_AUTO)
			e->effective_weight = auto_weight;
		else
			e->effective_weight = e->weight;
	}
}
