# Shared by the VM tests and benchmarks of the omr_steer MPTCP scheduler
# (tests/vm/test_mptcp_sched*.sh, tests/vm/bench_mptcp_{sched_shares,faults}.sh):
# sourced after tests/net/lib.sh, with a lab of WANs wan1..wanN built.
#
# How a split is measured: the router's WAN tx byte counters, sampled every
# 0.1 s while an MPTCP upload runs.  Until the other subflows have joined,
# the first one carries everything (in TCG on a busy host that alone gave
# 41 % instead of 25 % at 1:3 over a whole 16 MB upload), so a share is
# counted over a window that starts 1 s after every WAN that carries the
# upload has sent its first 64 KiB (joined, and the scheduler's accounts
# past the newcomer's catch-up).

# vm_sched_only NAME: exits unless this runs in the test VM (OMR_VM=1 from
# scripts/vm/init) on a kernel with the BPF MPTCP scheduler hook, with
# build/omr-steer there (SKIP NAME, or FAIL setup)
vm_sched_only() {
	if [ "${OMR_VM:-}" != 1 ]; then
		lab_skip "$1" "runs inside the test VM only (make vmtest)"
		exit 0
	fi
	lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
	if ! bpftool btf dump file /sys/kernel/btf/vmlinux | grep -q "STRUCT 'bpf_struct_ops_mptcp_sched_ops'"; then
		lab_skip "$1" "this kernel has no BPF MPTCP scheduler hook"
		exit 0
	fi
}

# mptcp_lab3 W1 W2 W3: the lab with three WANs, an MPTCP server, an IPv4 and
# an IPv6 "subflow" endpoint per WAN, and the agent loaded with weights
# W1:W2:W3 from $CONF; weights W1 W2 W3 rewrites $CONF (reload_applied
# applies it); WANS=(wan1 wan2 wan3).  Exits with FAIL setup when it cannot.
WANS=(wan1 wan2 wan3)
weights() { printf 'interval 0.5\nwan wan1 weight %s\nwan wan2 weight %s\nwan wan3 weight %s\n' "$@" > "$CONF"; }
mptcp_lab3() {
	local i
	lab_up --wans 3 || { lab_fail setup "the lab could not be built"; exit 1; }
	lab_server_start "$LAB_PORT" --mptcp || { lab_fail setup "the MPTCP traffic server did not start"; exit 1; }
	in_ns srv ip mptcp limits set subflows 8 add_addr_accepted 8
	in_ns rtr ip mptcp limits set subflows 8 add_addr_accepted 8
	for i in 1 2 3; do
		in_ns rtr ip mptcp endpoint add "$(lab_wan_addr4 "$i")" dev "wan$i" subflow
		in_ns rtr ip mptcp endpoint add "$(lab_wan_addr6 "$i")" dev "wan$i" subflow
	done
	CONF=$LAB_TMP/omr-steer.conf
	weights "$@"
	load_slow "$CONF" || { lab_fail setup "the agent did not start: $(tail -n 5 "$LAB_AGENT_LOG" | tr '\n' ';')"; exit 1; }
}

# sched_trap NAME...: on exit, unregister the schedulers NAME... (a scheduler
# registered without its pin stays registered), then lab.sh's clean-up, with
# the script's own exit status
sched_trap() {
	SCHED_TRAP_NAMES=("$@")
	trap 'sched__rc=$?; sched_unregister_all "${SCHED_TRAP_NAMES[@]}"; (exit $sched__rc); lab__on_exit' EXIT
}

# the struct_ops map ids registered under NAME (bpftool struct_ops show)
sched_ids() { bpftool struct_ops show 2>/dev/null | awk -v n="$1" '$2 == n { print $1 }' | tr -d ':'; }
sched_unregister_all() {
	local id
	for id in $(for n in "$@"; do sched_ids "$n"; done); do
		bpftool struct_ops unregister id "$id" >/dev/null 2>&1
	done
}

# omr_load, with time for TCG: the agent may take longer than lib.sh's 10 s
load_slow() { omr_load "$1" 2>/dev/null || lab_wait 60 omr__ready_or_dead; omr__ready; }

# reload_applied: SIGHUP to the agent (omr reload), returns once its log says
# the file was applied (a loaded TCG guest can take a while)
reload__count() { grep -c 'reload: .* applied' "$LAB_AGENT_LOG"; }
reload__more() { [ "$(reload__count)" -gt "$1" ]; }
reload_applied() {
	local n
	n=$(reload__count)
	omr reload --pidfile "$LAB_PIDFILE" >/dev/null 2>&1 || return 1
	lab_wait 20 reload__more "$n"
}

# ---- the sampler ----------------------------------------------------------------------

# sample_start TAG WAN...: the WANs' tx counters every 0.1 s into $SAMPLES,
# one line "t_us b1 b2 ..." (at most 120 s); sample_stop ends it.
SAMPLES=
SAMPLER=
sample_start() {
	local tag=$1; shift
	SAMPLES=$LAB_TMP/samples.$tag
	# ip netns exec execs bash: $! is the sampler itself, which a kill stops
	ip netns exec "$LAB_PREFIX-rtr" bash -c '
		end=$((${EPOCHREALTIME/./} + 120000000))
		while :; do
			now=${EPOCHREALTIME/./}
			[ "$now" -gt "$end" ] && break
			line=$now
			for d in "$@"; do read -r b < "/sys/class/net/$d/statistics/tx_bytes"; line="$line $b"; done
			echo "$line"
			sleep 0.1
		done' sampler "$@" > "$SAMPLES" 2>/dev/null &
	SAMPLER=$!
	LAB_BG_PIDS+=("$SAMPLER")
}
sample_stop() { kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; }

# samples_join: the time (us) at which every WAN that carried >= 1 % of all
# the sampled bytes had sent 64 KiB, plus 1 s; empty if never
samples_join() {
	awk 'NR == 1 { for (i = 2; i <= NF; i++) b[i] = $i }
	     { for (i = 2; i <= NF; i++) { last[i] = $i; if (t[i] == "" && $i - b[i] >= 65536) t[i] = $1 } }
	     END { tot = 0; for (i = 2; i <= NF; i++) tot += last[i] - b[i]
		   j = 0
		   for (i = 2; i <= NF; i++) if ((last[i] - b[i]) * 100 >= tot) {
			   if (t[i] == "") exit
			   if (t[i] > j) j = t[i] }
		   if (j) printf "%.0f\n", j + 1000000 }' "$SAMPLES"
}

# samples_shares FROM_US [TO_US]: "p1 p2 ... bytes seconds": each WAN's percent
# of the bytes sent between the first sample at or after FROM_US and the
# last one at or before TO_US; "none" without two samples in there
samples_shares() {
	awk -v from="$1" -v to="${2:-0}" '
		$1 < from || (to > 0 && $1 > to) { next }
		{ n++; if (n == 1) { t0 = $1; for (i = 2; i <= NF; i++) s[i] = $i }
		  t1 = $1; for (i = 2; i <= NF; i++) e[i] = $i; nf = NF }
		END { if (n < 2) { print "none"; exit }
		      tot = 0; for (i = 2; i <= nf; i++) tot += e[i] - s[i]
		      out = ""; for (i = 2; i <= nf; i++) out = out sprintf("%d ", tot > 0 ? (e[i] - s[i]) * 100 / tot : 0)
		      printf "%s%.0f %.1f\n", out, tot, (t1 - t0) / 1e6 }' "$SAMPLES"
}

# samples_longest_stall FROM_US COLS...: the longest time (ms) after FROM_US
# during which the sum of the counters in columns COLS (2 = the first WAN)
# did not grow, measured between samples that saw it not grow: a sampler
# that was itself not scheduled for a while (one long step, bytes sent
# across it) is not a stall of the upload
samples_longest_stall() {
	local from=$1; shift
	awk -v from="$from" -v cols="$*" '
		BEGIN { nc = split(cols, c, " ") }
		$1 < from { next }
		{ s = 0; for (k = 1; k <= nc; k++) s += $(c[k])
		  if (p == "") { p = s; prev = $1; next }
		  if (s > p) { p = s; since = "" }
		  else { if (since == "") since = prev; if ($1 - since > g) g = $1 - since }
		  prev = $1 }
		END { print int(g / 1000) }' "$SAMPLES"
}

# samples_timeline [FROM_US]: each 0.5 s from FROM_US, "+T:p1/p2/..." (percent of
# the bytes sent in that half second per WAN, "-" when none), for the log
samples_timeline() {
	awk -v from="${1:-0}" '
		$1 < from { next }
		{ if (t0 == "") { t0 = $1; for (i = 2; i <= NF; i++) s[i] = $i }
		  if ($1 - t0 >= 500000) {
			tot = 0; for (i = 2; i <= NF; i++) tot += $i - s[i]
			out = out sprintf(" +%.1f:", (t0 - from) / 1e6)
			for (i = 2; i <= NF; i++) out = out (tot > 0 ? sprintf("%d", ($i - s[i]) * 100 / tot) : "-") (i < NF ? "/" : "")
			t0 = $1; for (i = 2; i <= NF; i++) s[i] = $i } }
		END { print substr(out, 2) }' "$SAMPLES"
}

# upload_drained: once the connections of an upload that was stopped are
# gone from the router (a closed socket still sends what it had queued,
# megabytes in TCG, which would count in the next upload's split); at most 30 s
upload__open() {
	in_ns rtr ss -tnH state established state fin-wait-1 state fin-wait-2 state close-wait \
		state last-ack state closing "( dport = :$LAB_PORT )" 2>/dev/null | grep -q .
}
upload_drained() { lab_wait 30 eval '! upload__open' || lab_log "the stopped upload's connections are still open after 30 s"; }

# upload_start DEST BYTES: a bulk MPTCP upload from the router in the
# background, UPLOAD_PID the client itself (ip netns exec execs it), so that
# a kill stops it; its output in $LAB_TMP/upload.out
upload_start() {
	ip netns exec "$LAB_PREFIX-rtr" "$TRAFGEN" client "$1" "$LAB_PORT" --mptcp --upload \
		--bytes "$2" --timeout 60 > "$LAB_TMP/upload.out" 2>&1 &
	UPLOAD_PID=$!
	LAB_BG_PIDS+=("$UPLOAD_PID")
}

# ---- uploads ---------------------------------------------------------------------------

# upload_run DEST BYTES AT_JOIN STOP_S AT_STOP WAN...: an MPTCP upload of
# BYTES from the router to DEST, the WANs' tx counters sampled (sample_start;
# at most 65 s in all).  Once every subflow has joined (samples_join, see the
# top) the command AT_JOIN runs and UPLOAD_AT is the time (us) it returned;
# STOP_S s later AT_STOP runs, UPLOAD_STOPPED is the time it returned and the
# upload is stopped (STOP_S 0: it runs to its end).  UPLOAD_AT is empty when
# the join never came; UPLOAD_RC is the upload's exit status.
upload_run() {
	local dest=$1 bytes=$2 at_join=$3 stop_s=$4 at_stop=$5 pid deadline now join=
	shift 5
	UPLOAD_AT= UPLOAD_STOPPED=
	sample_start "up$RANDOM" "$@"
	upload_start "$dest" "$bytes"
	pid=$UPLOAD_PID
	deadline=$(( ${EPOCHREALTIME/./} + 65000000 ))
	while kill -0 "$pid" 2>/dev/null; do
		now=${EPOCHREALTIME/./}
		[ "$now" -gt "$deadline" ] && break
		[ -z "$join" ] && join=$(samples_join)
		if [ -n "$join" ] && [ -z "$UPLOAD_AT" ] && [ "$now" -ge "$join" ]; then
			eval "$at_join"
			UPLOAD_AT=${EPOCHREALTIME/./}
		elif [ -n "$UPLOAD_AT" ] && [ "$stop_s" -gt 0 ] && [ "$now" -gt $(( UPLOAD_AT + stop_s * 1000000 )) ]; then
			eval "$at_stop"
			UPLOAD_STOPPED=${EPOCHREALTIME/./}
			break
		fi
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	wait "$pid"; UPLOAD_RC=$?
	sample_stop
	upload_drained
}

# upload_window DEST SECS WAN...: an MPTCP upload from the router to DEST,
# stopped SECS s after the join (upload_run); SHARES
# "p1 p2 ..." of the bytes its subflows on WAN... had acknowledged in that
# window (TCP_INFO bytes_acked: what the scheduler put on each subflow and
# got through, without the retransmissions and headers the WAN counters
# also count), WINDOW what it was; the WAN counters' shares are logged
# beside them
upload_window() {
	local dest=$1 secs=$2 a= b=
	shift 2
	upload_run "$dest" 8g 'a=$(subflow_acked)' "$secs" 'b=$(subflow_acked)' "$@"
	if [ -z "$UPLOAD_STOPPED" ]; then
		SHARES=none WINDOW="no window of $secs s after the join (upload: $(tail -c 200 "$LAB_TMP/upload.out" | tr '\n' ' '))"
		lab_log "upload to $dest: $WINDOW"
		return 1
	fi
	local r n=$# tot
	read -r -a r <<< "$(subflow_shares "$a" "$b" "$n")"
	SHARES="${r[*]:0:n}" tot=${r[n]}
	WINDOW="$(awk -v d=$((UPLOAD_STOPPED - UPLOAD_AT)) 'BEGIN { printf "%.1f", d / 1e6 }') s after the join, $tot B acknowledged"
	lab_log "upload to $dest over $*: shares % $SHARES over $WINDOW; WAN tx counters over it: $(samples_shares "$UPLOAD_AT" "$UPLOAD_STOPPED")"
}

# subflow_acked: "WAN-NUMBER LOCAL-ADDR:PORT BYTES-ACKED" of each TCP socket
# of the router to the lab's port (MPTCP subflows: tcp-ulp-mptcp), the WAN
# from the local address (10.77.N.2, fd00:77:N::2)
subflow_acked() {
	in_ns rtr ss -tinH "( dport = :$LAB_PORT )" 2>/dev/null | awk '
		/^[A-Z]/ { local = $4; sub(/%[^:]*:/, ":", local); wan = 0
			   if (match(local, /^10\.77\.[0-9]+\.2:/)) { split(local, o, "."); wan = o[3] }
			   else if (match(local, /^\[fd00:77:[0-9]+::2\]:/)) { split(local, o, ":"); wan = o[3] }
			   next }
		/tcp-ulp-mptcp/ { if (match($0, /bytes_acked:[0-9]+/)) print wan, local, substr($0, RSTART + 12, RLENGTH - 12) }'
}

# subflow_shares BEFORE AFTER N: "p1 .. pN total" from two subflow_acked
# snapshots: each WAN's percent of the bytes acknowledged in between
subflow_shares() {
	awk -v n="$3" -v before="$1" -v after="$2" 'BEGIN {
		m = split(before, l, "\n"); for (i = 1; i <= m; i++) { split(l[i], f, " "); if (f[2] != "") b[f[2]] = f[3] }
		m = split(after, l, "\n")
		for (i = 1; i <= m; i++) { split(l[i], f, " "); if (f[2] == "") continue
			d = f[3] - (f[2] in b ? b[f[2]] : 0); if (d < 0) d = 0; w[f[1]] += d; tot += d }
		for (i = 1; i <= n; i++) printf "%d ", (tot > 0 ? w[i] * 100 / tot : 0)
		printf "%.0f\n", tot }'
}

# shares_dev "WANT...": the worst deviation (points) of $SHARES from WANT, or
# 100 when none was measured
shares_dev() {
	local i dev=0 d
	local -a got want
	read -r -a want <<< "$1"
	read -r -a got <<< "$SHARES"
	[ "${got[0]:-none}" = none ] && { echo 100; return; }
	for i in "${!want[@]}"; do
		d=$(( got[i] > want[i] ? got[i] - want[i] : want[i] - got[i] ))
		[ "$d" -gt "$dev" ] && dev=$d
	done
	echo "$dev"
}

# split_check NAME "WANT..." DEST WAN...: an upload_window of 4 s to DEST,
# PASS when each WAN's share is within 5 points of WANT.  A TCG guest on a
# host busy with other work starves one subflow now and then (retransmissions
# on the wire, a subflow that cannot take its share), so a split off by more
# is measured once more and only a second miss fails; both are printed.
split_check() {
	local name=$1 want=$2 dest=$3 first=
	shift 3
	upload_window "$dest" 4 "$@"
	if [ "$(shares_dev "$want")" -gt 5 ]; then
		first="$SHARES % over $WINDOW"
		lab_log "$name: first upload $first, want $want: measured once more"
		upload_window "$dest" 4 "$@"
	fi
	shares_check "$name" "$want" 5 "${first:+(first upload $first)}"
}

# shares_check NAME "WANT..." [TOL] [NOTE]: PASS when each share in $SHARES is
# within TOL (5) points of the wanted one
shares_check() {
	local name=$1 want=$2 tol=${3:-5} note=${4:-} dev
	if [ "${SHARES:-none}" = none ]; then
		lab_fail "$name" "no share measured: $WINDOW $note"
		return 1
	fi
	dev=$(shares_dev "$want")
	echo "# $name: shares $SHARES % over $WINDOW, want $want: worst deviation $dev points $note"
	if [ "$dev" -gt "$tol" ]; then
		lab_fail "$name" "shares $SHARES % over $WINDOW, want $want (+-$tol) $note"
		return 1
	fi
	lab_pass "$name"
}

# sighup_split_run DEST CONF_FN "OLD" "NEW" WAN...: an MPTCP upload at weights
# OLD (written by CONF_FN, e.g. "1 3 0"); 1 s after the join the weights
# become NEW and the agent gets SIGHUP (omr reload).  SHARES/WINDOW: the
# split in the 2 s from 2 s after the signal.
sighup_split_run() {
	local dest=$1 conf_fn=$2 old=$3 new=$4 t_hup
	shift 4
	$conf_fn $old; reload_applied
	upload_run "$dest" 8g '$conf_fn $new; omr reload --pidfile "$LAB_PIDFILE" >/dev/null 2>&1' 4 : "$@"
	t_hup=$UPLOAD_AT
	if [ -z "$t_hup" ]; then
		SHARES=none WINDOW="the upload ended before the change: $(tail -c 200 "$LAB_TMP/upload.out" | tr '\n' ' ')"
		return 1
	fi
	local r n=$#
	read -r -a r <<< "$(samples_shares $(( t_hup + 2000000 )) $(( t_hup + 4000000 )))"
	if [ "${r[0]}" = none ]; then SHARES=none WINDOW="no samples after the signal"; return 1; fi
	SHARES="${r[*]:0:n}"
	WINDOW="${r[n + 1]} s from 2 s after SIGHUP ($old -> $new), ${r[n]} B"
	lab_log "sighup: timeline from the signal: $(samples_timeline "$t_hup")"
	lab_log "sighup: shares % $SHARES over $WINDOW"
}

# fault_run DEST BYTES WAN FAULT UNDO WAN...: an MPTCP upload of BYTES; 1 s
# after the join the command FAULT breaks WAN (e.g. the link goes down), UNDO
# repairs it once the upload has ended.  UPLOAD_RC is the upload's exit
# status, STALL_MS the longest time the other WANs sent nothing after the
# fault (from when FAULT returned), AFTER the WANs' shares % of the bytes
# from then on, RETRANS the router's MPTCP-level retransmissions
# (reinjections: MPTcpExt:MPTCPRetrans) during the upload.
fault_run() {
	local dest=$1 bytes=$2 wan=$3 fault=$4 undo=$5 t_fault r0 i cols=""
	shift 5
	AFTER=
	for i in $(seq 1 $#); do
		[ "${!i}" = "$wan" ] || cols="$cols $((i + 1))"
	done
	r0=$(lab_snmp rtr MPTcpExt:MPTCPRetrans)
	upload_run "$dest" "$bytes" "$fault" 0 : "$@"
	t_fault=$UPLOAD_AT
	eval "$undo"
	RETRANS=$(( $(lab_snmp rtr MPTcpExt:MPTCPRetrans) - r0 ))
	if [ -z "$t_fault" ]; then
		STALL_MS=none
		lab_log "fault on $wan: the upload ended before the fault (rc $UPLOAD_RC): $(tail -c 200 "$LAB_TMP/upload.out" | tr '\n' ' ')"
		return 1
	fi
	STALL_MS=$(samples_longest_stall "$t_fault" $cols)
	lab_log "fault on $wan: timeline from the fault: $(samples_timeline "$t_fault")"
	local r n=$#
	read -r -a r <<< "$(samples_shares "$t_fault")"
	AFTER="${r[*]:0:n}"
	lab_log "fault on $wan ($fault): upload rc $UPLOAD_RC, longest stall of the other WANs ${STALL_MS} ms, MPTCP retransmissions $RETRANS, shares % after the fault $AFTER (${r[n]:-0} B)"
}

# fault_mark; fault_run ...; fault_check NAME WHAT: prints the figures of the
# fault_run ("# NAME: ...": the longest stall of the other WANs, the shares
# after the fault, MPTCP-level retransmissions, the router's TCP segments
# sent, the server's DSS mapping mismatches) and PASSes when the upload
# completed and the broken WAN carried < 1 % after WHAT: what was in flight
# on it then (a 1:1:1 upload at full speed always has some) went out again
# on the others, or the upload could not have completed.  The kernel's
# counters of how (MPTcpExtMPTCPRetrans, MPTcpExtSubflowStale) are printed.
fault_mark() {
	FAULT_OUT0=$(lab_snmp rtr Tcp:OutSegs); FAULT_DSS0=$(lab_snmp srv MPTcpExt:DSSNotMatching)
	FAULT_STALE0=$(lab_snmp rtr MPTcpExt:SubflowStale)
}
fault_check() {
	local name=$1 what=$2 after2 out0=$FAULT_OUT0 rst0=$FAULT_DSS0 stale
	read -r _ after2 _ <<< "$AFTER"
	stale=$(( $(lab_snmp rtr MPTcpExt:SubflowStale) - FAULT_STALE0 ))
	echo "# $name: upload rc $UPLOAD_RC, shares after the fault $AFTER %, longest stall of the others $STALL_MS ms, MPTCP retransmissions $RETRANS, subflows found stale $stale, segments sent $(( $(lab_snmp rtr Tcp:OutSegs) - out0 )), server DSS mismatches $(( $(lab_snmp srv MPTcpExt:DSSNotMatching) - rst0 ))"
	if [ "$STALL_MS" = none ]; then
		lab_fail "$name" "the upload ended before the fault (rc $UPLOAD_RC)"
	elif [ "$UPLOAD_RC" != 0 ]; then
		lab_fail "$name" "the upload did not complete after $what: $(tail -c 200 "$LAB_TMP/upload.out" | tr '\n' ' ')"
	elif [ "${after2:-100}" -ge 1 ]; then
		lab_fail "$name" "wan2 carried $after2 % of the bytes after $what ($AFTER)"
	else
		lab_pass "$name"
	fi
}
