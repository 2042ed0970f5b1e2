#!/usr/bin/env bash
# Steering forwarding cost (issue 3): bulk TCP through the lab router (veth,
# no shaping), uploads and downloads, with omr-steer's tc programs attached
# to both WANs and without them.  The machine's load swings from one
# second to the next, so the two are measured in pairs, in A-B-B-A order,
# by taking our filters off and putting them back with tc (the agent is
# stopped after loading: the datapath stays attached and configured), and
# the medians of the pairs' ratios are compared.  Target: >= 0.95.
#   fast path    weights 1:0: every flow on the WAN its route chose
#   translated   weights 0:1: every flow translated and redirected to wan2
#                (printed, no target)
#   ROUNDS=6 BYTES=128m CONNS=4 scripts/bench/steer_forward.sh
# KEEP_RESULTS=FILE keeps the raw pairs ("MODE DIR WITHOUT WITH", Gbit/s).
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-os$$f}
. tests/net/lib.sh

ROUNDS=${ROUNDS:-6}
BYTES=${BYTES:-128m}
CONNS=${CONNS:-4}
TARGET=${TARGET:-0.95}

die() { echo "steer_forward: $*" >&2; exit 1; }
lab_require_omr || exit 1
[ -x "$TRAFGEN" ] || die "$TRAFGEN is missing (make build/tools/trafgen)"
lab_up --wans 2 || die "the lab could not be built"
lab_server_start || die "the traffic server did not start"
CONF=$LAB_TMP/omr-steer.conf
res=${KEEP_RESULTS:-$LAB_TMP/results}
: > "$res" || die "cannot write $res"

# gbps DIR: one bulk transfer's Gbit/s
gbps() {
	local out
	out=$(lab_traffic lan "$LAB_SRV4" "$LAB_PORT" "--$1" --bytes "$BYTES" --conns "$CONNS" \
		--parallel "$CONNS" --timeout 120) || { echo "transfer failed: $out" >&2; return 1; }
	jq -r '.bytes * 8 / .seconds / 1e9' <<< "$out"
}

# our filters on both WANs, off or back on (the programs stay pinned)
filters() { # filters on|off
	local i d
	for i in 1 2; do
		for d in egress ingress; do
			if [ "$1" = off ]; then
				in_net rtr tc filter del dev "wan$i" "$d" pref 1 handle 0x6f6d bpf || return 1
			else
				in_net rtr tc filter add dev "wan$i" "$d" pref 1 handle 0x6f6d bpf da \
					object-pinned "$LAB_PIN_DIR/prog_$d" || return 1
			fi
		done
	done
}

# pairs MODE: ROUNDS pairs per direction, A-B-B-A; "MODE DIR RATIO" lines to the results
pairs() {
	local r d a b a2 b2
	for ((r = 1; r <= ROUNDS; r += 2)); do
		for d in upload download; do
			filters off && a=$(gbps "$d") && filters on && b=$(gbps "$d") &&
				b2=$(gbps "$d") && filters off && a2=$(gbps "$d") && filters on ||
				return 1
			echo "$1 $d $a $b" >> "$res"
			echo "$1 $d $a2 $b2" >> "$res"
		done
	done
}

# load W1 W2: the agent configures steering with these weights, then stops
load() {
	lab_conf "$CONF" "interval 1" "wan wan1 weight $1" "wan wan2 weight $2"
	omr_load "$CONF" || return 1
	sleep 2
	omr_stop
}

echo "steer_forward: $ROUNDS pairs of $CONNS x $BYTES per direction and mode, A-B-B-A"
load 1 0 || die "the agent did not start"
pairs fast || die "a transfer failed"
load 0 1 || die "the agent did not start again"
pairs translated || die "a transfer failed"
omr unload --pin-dir "$LAB_PIN_DIR" --pidfile "$LAB_PIDFILE" >>"$LAB_AGENT_LOG" 2>&1

# median MODE DIR COLUMN-EXPR
median() {
	awk -v m="$1" -v d="$2" "\$1 == m && \$2 == d { print $3 }" "$res" | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
rc=0
for d in upload download; do
	for m in fast translated; do
		wo=$(median "$m" "$d" '$3') wi=$(median "$m" "$d" '$4') ratio=$(median "$m" "$d" '$4 / $3')
		printf "  %-8s %-10s without %6.2f Gbit/s   with %6.2f Gbit/s   ratio %.3f\n" \
			"$d" "$m" "$wo" "$wi" "$ratio"
		[ "$m" = fast ] && ! awk -v r="$ratio" -v t="$TARGET" 'BEGIN { exit !(r >= t) }' && rc=1
	done
done
if [ $rc = 0 ]; then
	echo "  target met: fast path >= $TARGET x without (median ratio of $ROUNDS pairs)"
else
	echo "  target missed: a fast-path ratio below $TARGET (median of $ROUNDS pairs)"
fi
exit $rc
