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

bool weights_update(struct wan_entry tbl[OMR_MAX_WANS], const struct weight_input in[OMR_MAX_WANS])
{
	__u32 sum = 0, n = 0, fallback;
	bool changed = false;

	for (int i = 0; i < OMR_MAX_WANS; i++) {
		if (!(tbl[i].flags & OMR_WAN_F_CONFIGURED) || in[i].base == OMR_WEIGHT_AUTO ||
		    !in[i].base)
			continue;
		sum += in[i].base;
		n++;
	}
	fallback = n ? (sum + n / 2) / n : 1;

	for (int i = 0; i < OMR_MAX_WANS; i++) {
		struct wan_entry *e = &tbl[i];
		__u32 w;

		if (!(e->flags & OMR_WAN_F_CONFIGURED))
			continue;
		if (!in[i].usable)
			w = 0;
		else if (in[i].base != OMR_WEIGHT_AUTO)
			w = in[i].base;
		else
			w = in[i].auto_weight ? in[i].auto_weight : fallback;
		changed |= e->effective_weight != w;
		e->effective_weight = w;
	}
	return changed;
}
