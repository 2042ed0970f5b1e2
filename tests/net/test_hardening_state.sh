#!/usr/bin/env bash
# Hardening: what a running agent keeps and what it refuses.
#
#  - SIGHUP keeps what the agent learnt about each WAN: right after a
#    reload that changes weights only, a WAN down by its probe is still
#    down (effective weight 0), the smoothed RTTs are still there and a
#    lowest-rtt class still takes the faster WAN only.  A changed probe
#    starts that WAN's health afresh.
#  - A FIFO as the weight file: `check` and `load` refuse it at once
#    ("not a regular file"); SIGHUP logs that, keeps the running
#    configuration, the agent keeps publishing state (a WAN set down shows
#    down) and SIGTERM still stops it.
#  - Pinned maps of another shape (type, key or value size): `stats`,
#    `status`, `load` and `unload` name the map and do not read it (they read
#    4096-byte values into 80-byte structs before); `unload` still removes
#    the pins.
#
# Lab: two WANs, wan2 behind a 10 ms delay line (one way), both probed.
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=hs$$
. tests/net/lib.sh

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
command -v bpftool >/dev/null || { lab_fail setup "bpftool is missing; run 'make deps'"; exit 1; }
lab_up --wans 2 --delays "- 10" || { lab_fail setup "the lab could not be built"; exit 1; }
CONF=$LAB_TMP/omr-steer.conf

conf() { # conf WEIGHT1 WEIGHT2 [PROBE2]
	lab_conf "$CONF" "interval 1" "wan wan1 weight $1 probe $LAB_SRV4" \
		"wan wan2 weight $2 probe ${3:-$LAB_SRV4}" \
		"class voip lowest-rtt" "rule proto udp dport 5060 class voip"
}
conf 3 1
omr_load "$CONF" || { lab_fail setup "the agent did not start"; exit 1; }

generation() { omr status --json --pin-dir "$LAB_PIN_DIR" 2>/dev/null | jq -r '.config_generation'; }
voip_wans() { # the IPv4 WANs of class voip now, from status
	omr status --json --pin-dir "$LAB_PIN_DIR" 2>/dev/null |
		jq -r '.classes[] | select(.name == "voip") | .wans4 | join(" ")'
}
rtts_known() { # both WANs have an RTT and voip takes wan1 only
	local json
	json=$(omr_stats_json 2>/dev/null) || return 1
	[ "$(omr_wan rtt_us wan1 "$json")" -gt 0 ] && [ "$(omr_wan rtt_us wan2 "$json")" -gt 0 ] &&
		[ "$(voip_wans)" = wan1 ]
}
# reload_now WEIGHT1 WEIGHT2 [PROBE2]: write the file, SIGHUP, return as soon
# as the new generation is published; STATS holds `stats --json` of that moment.
reload_now() {
	local gen
	gen=$(generation)
	conf "$@"
	kill -HUP "$OMR_PID"
	lab_wait 20 gen_past "$gen" || return 1
	STATS=$(omr_stats_json)
	VOIP=$(voip_wans)
}
gen_past() { [ "$(generation)" -gt "$1" ] 2>/dev/null; }
state_is() { [ "$(omr_wan state "$1")" = "$2" ]; }

# ---- SIGHUP keeps the RTTs (and with them the lowest-rtt choice) ----------------

if ! lab_wait 60 rtts_known; then
	lab_fail reload_keeps_rtt "before the reload: no RTT on both WANs, or voip takes '$(voip_wans)', not wan1"
elif ! reload_now 5 1; then
	lab_fail reload_keeps_rtt "the reload was not applied within 20 s"
else
	r1=$(omr_wan rtt_us wan1 "$STATS") r2=$(omr_wan rtt_us wan2 "$STATS")
	lab_log "right after the reload: rtt_us wan1 $r1, wan2 $r2; voip takes '$VOIP'"
	if [ "${r1:-0}" -gt 0 ] && [ "${r2:-0}" -gt 0 ]; then
		lab_pass reload_keeps_rtt
	else
		lab_fail reload_keeps_rtt "right after a weight-only reload: rtt_us wan1 $r1, wan2 $r2 (forgotten)"
	fi
	lab_check reload_keeps_lowest_rtt_class "right after the reload class voip takes '$VOIP', want wan1" \
		[ "$VOIP" = wan1 ]
fi

# ---- SIGHUP keeps a WAN down by its probe down -------------------------------------

# the ISP drops wan2's pings: its probe goes unanswered
in_ns isp nft -f - <<-'EOF' || lab_fail setup "cannot drop the probes of wan2"
	table ip lab_hs {
		chain prerouting {
			type filter hook prerouting priority -300; policy accept;
			iifname "rtr2" icmp type echo-request drop
		}
	}
EOF
if ! lab_wait 30 state_is wan2 down; then
	lab_fail reload_keeps_down "wan2 did not go down when its probes were dropped (state $(omr_wan state wan2))"
elif ! reload_now 5 2; then
	lab_fail reload_keeps_down "the reload was not applied within 20 s"
else
	s2=$(omr_wan state wan2 "$STATS") w2=$(omr_wan effective_weight wan2 "$STATS")
	lab_log "right after the reload: wan2 $s2, effective weight $w2"
	if [ "$s2" = down ] && [ "$w2" = 0 ]; then
		lab_pass reload_keeps_down
	else
		lab_fail reload_keeps_down "right after a weight-only reload wan2 (probe unanswered) is $s2, effective weight $w2"
	fi
fi

# another probe target (IPv6, not dropped): wan2 starts afresh and answers
if reload_now 5 2 "$LAB_SRV6"; then
	lab_check reload_new_probe_starts_afresh "wan2 with a new probe target is $(omr_wan state wan2), want up" \
		lab_wait 20 state_is wan2 up
else
	lab_fail reload_new_probe_starts_afresh "the reload was not applied within 20 s"
fi

# ---- a FIFO as the weight file ----------------------------------------------------

FIFO=$LAB_TMP/fifo.conf
status_says() { [ "$1" -eq "$2" ] && grep -q "$3" <<< "$4"; }	# RC WANT TEXT OUTPUT
mkfifo "$FIFO"
out=$(timeout -k 2 5 "$OMR" check -c "$FIFO" 2>&1)
rc=$?
lab_log "check -c FIFO: status $rc: $out"
lab_check fifo_check_refused "check -c FIFO: status $rc (want 2), '$out'" \
	status_says "$rc" 2 "$FIFO: not a regular file" "$out"
out=$(timeout -k 2 5 ip netns exec "$LAB_RTR" "$OMR" load -c "$FIFO" --pin-dir "$LAB_BPF_DIR/other" \
	--pidfile "$LAB_TMP/other.pid" 2>&1)
rc=$?
lab_log "load -c FIFO: status $rc: $out"
lab_check fifo_load_refused "load -c FIFO: status $rc (want 2), '$out'" \
	status_says "$rc" 2 "$FIFO: not a regular file" "$out"

weights() { omr_stats_json 2>/dev/null | jq -r '[.wans[] | "\(.name)=\(.weight)"] | join(" ")'; }
before=$(weights)
log_lines=$(wc -l < "$LAB_AGENT_LOG")
mv "$CONF" "$CONF.saved" && mv "$FIFO" "$CONF"
kill -HUP "$OMR_PID"
fifo_logged() { tail -n +"$((log_lines + 1))" "$LAB_AGENT_LOG" | grep -q "$CONF: not a regular file"; }
lab_check fifo_sighup_refused "no 'not a regular file' in the agent's log after SIGHUP" \
	lab_wait 20 fifo_logged
lab_check fifo_sighup_keeps_config "weights after SIGHUP on a FIFO: '$(weights)', want '$before'" \
	[ "$(weights)" = "$before" ]
in_ns rtr ip link set wan1 down
lab_check fifo_agent_still_publishes "wan1 set down shows '$(omr_wan state wan1)' in stats, want down" \
	lab_wait 20 state_is wan1 down
in_ns rtr ip link set wan1 up
kill -TERM "$OMR_PID"
if lab_wait 20 omr__gone; then
	lab_pass fifo_sigterm_stops
else
	lab_fail fifo_sigterm_stops "the agent ignores SIGTERM after SIGHUP on a FIFO"
	omr_stop
fi
wait "$OMR_PID" 2>/dev/null
OMR_PID=
rm -f "$CONF" && mv "$CONF.saved" "$CONF"

# ---- pinned maps of another shape -------------------------------------------------

# swap_map MAP CMD...: run CMD with the pin MAP replaced by an array of
# 4096-byte values (key 0 all 0xff); the real map is put back after.
ff=$(printf '0xff %.0s' $(seq 4096))
swap_map() {
	local m=$1 rc; shift
	mv "$LAB_PIN_DIR/$m" "$LAB_PIN_DIR/${m}_saved" || return 99
	# shellcheck disable=SC2086
	bpftool map create "$LAB_PIN_DIR/$m" type array key 4 value 4096 entries 64 name bad &&
		bpftool map update pinned "$LAB_PIN_DIR/$m" key 0 0 0 0 value $ff
	"$@"
	rc=$?
	rm -f "$LAB_PIN_DIR/$m"
	mv "$LAB_PIN_DIR/${m}_saved" "$LAB_PIN_DIR/$m"
	return $rc
}
run_cmd() { # run_cmd CMD...: OUT (stdout and stderr), RC
	OUT=$(timeout -k 2 10 ip netns exec "$LAB_RTR" "$OMR" "$@" --pin-dir "$LAB_PIN_DIR" 2>&1)
	RC=$?
}
# refused NAME MAP CMD: CMD exits 1 and names the pin
refused() {
	local name=$1 m=$2; shift 2
	swap_map "$m" run_cmd "$@"
	if [ "$RC" -eq 1 ] && grep -q "$LAB_PIN_DIR/$m: .*map of 4-byte keys and 4096-byte values" <<< "$OUT"; then
		lab_pass "$name"
	else
		lab_fail "$name" "'$*' with a foreign $m: status $RC (want 1, naming $m): $(head -c 300 <<< "$OUT" | tr "\n" " ")"
	fi
}
for m in wan_ifindex wan_counters wan_table omr_meta; do
	[ -e "$LAB_PIN_DIR/$m" ] || { lab_fail "pin_$m" "$LAB_PIN_DIR/$m is missing"; continue; }
	refused "stats_refuses_foreign_$m" "$m" stats
	refused "status_refuses_foreign_$m" "$m" status
done
for m in steer_classes class_hits agent_policy mptcp_state mptcp_endp; do
	[ -e "$LAB_PIN_DIR/$m" ] || { lab_skip "status_refuses_foreign_$m" "not pinned here"; continue; }
	refused "status_refuses_foreign_$m" "$m" status
	swap_map "$m" run_cmd stats
	lab_check "stats_ignores_foreign_$m" "stats with a foreign $m (which it does not read): status $RC" \
		[ "$RC" -eq 0 ]
done
refused load_refuses_foreign_wan_table wan_table load -c "$CONF" --pidfile "$LAB_PIDFILE"
run_cmd stats
lab_check stats_after_swaps "stats after the maps were put back: status $RC: $(head -c 300 <<< "$OUT" | tr "\n" " ")" \
	[ "$RC" -eq 0 ]

# unload with a foreign wan_table: no crash, it names the map, removes
# omr-steer's pins by name (that wan_table too) and leaves what is not its own
# (the saved original under another name), and with it the directory
mv "$LAB_PIN_DIR/wan_table" "$LAB_PIN_DIR/wan_table_saved"
bpftool map create "$LAB_PIN_DIR/wan_table" type array key 4 value 4096 entries 64 name bad &&
	bpftool map update pinned "$LAB_PIN_DIR/wan_table" key 0 0 0 0 value $ff
run_cmd unload
lab_log "unload with a foreign wan_table: status $RC: $OUT"
left=$(ls "$LAB_PIN_DIR" 2>/dev/null | tr '\n' ' ')
unloaded() { [ "$RC" -eq 0 ] && [ "$left" = "wan_table_saved " ] && grep -q "$LAB_PIN_DIR/wan_table: " <<< "$OUT"; }
lab_check unload_foreign_wan_table "unload: status $RC, left in the pin dir: '$left': $(head -c 300 <<< "$OUT" | tr "\n" " ")" \
	unloaded
rm -f "$LAB_PIN_DIR/wan_table_saved"
rmdir "$LAB_PIN_DIR" 2>/dev/null

lab_finish
