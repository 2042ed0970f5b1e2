#!/usr/bin/env bash
# Hardening of the life cycle (issue 9, defects 3, 4, 6, 8 and part of 11):
#  - `load` mounts a bpffs only on /sys/fs/bpf or on an empty directory, never
#    over a directory that holds files; a refused or failed `load` leaves no
#    pidfile and no directory of its own behind;
#  - `unload` removes only omr-steer's own pins, by name, and only on a bpffs;
#  - `reload` parses the pidfile strictly and signals only an omr-steer agent;
#  - two `load`s on one pin dir: one runs, the other refuses at once (the pin
#    dir is locked before anything is touched); `unload` during start-up
#    leaves a consistent state;
#  - `status --json` escapes the pin dir; an over-long --pin-dir is refused
#    with a message; `stats`/`status` without permission say so.
set -u
cd "$(dirname "$0")/../.." || exit 1
. tests/net/lib.sh

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
lab_up --wans 2 || { lab_fail setup "the lab could not be built"; exit 1; }
for c in setpriv unshare flock bpftool; do
	command -v "$c" >/dev/null || { lab_fail setup "'$c' is missing; run 'make deps'"; exit 1; }
done

CONF=$LAB_TMP/omr-steer.conf
lab_conf "$CONF" "interval 1" "wan wan1 weight 1" "wan wan2 weight 2"
# strict rp_filter on wan1: `load` loosens it, `unload` must put it back
lab_sysctl rtr net.ipv4.conf.wan1.rp_filter=1
rp_wan1() { in_ns rtr cat /proc/sys/net/ipv4/conf/wan1/rp_filter; }

# ---- defect 3: where a bpffs is mounted --------------------------------------

# A pin dir whose parent holds files (like /etc): refused, nothing mounted,
# nothing hidden, no pidfile or directory left.  All in the router's own
# mount namespace (ip netns exec), so even a wrong mount stays there.
D=$LAB_TMP/etcx
mkdir -p "$D" && echo "root:x:0:0" > "$D/passwd"
PF=$LAB_TMP/refused.pid
out=$(in_ns rtr timeout 10 bash -c '
	"$1" load -c "$2" --pin-dir "$3/omr-steer-x" --pidfile "$4" 2>&1
	echo "rc=$?"
	echo "passwd=$(cat "$3/passwd" 2>&1)"
	echo "fstype=$(stat -f -c %T "$3")"' _ "$OMR" "$CONF" "$D" "$PF")
lab_log "load over a directory with files: $out"
problems=""
grep -q '^rc=1$' <<< "$out" || problems="$problems; want exit 1"
grep -q '^passwd=root:x:0:0$' <<< "$out" || problems="$problems; $D/passwd was hidden"
grep -q '^fstype=bpf' <<< "$out" && problems="$problems; a bpffs was mounted on $D"
grep -qi "mount -t bpf" <<< "$out" || problems="$problems; the message does not say what to do"
[ -e "$PF" ] && problems="$problems; the pidfile $PF was left behind"
[ -e "$D/omr-steer-x" ] && problems="$problems; $D/omr-steer-x was left behind"
lab_check load_refuses_mount_over_files "${problems#; }" [ -z "$problems" ]

# A parent that does not exist: refused, nothing created.
D2=$LAB_TMP/nonexistent/sub
out=$(in_ns rtr timeout 10 "$OMR" load -c "$CONF" --pin-dir "$D2/omr-steer" --pidfile "$PF" 2>&1)
rc=$?
problems=""
[ $rc -eq 1 ] || problems="$problems; exited $rc, want 1"
[ -e "$LAB_TMP/nonexistent" ] && problems="$problems; $LAB_TMP/nonexistent was created"
[ -e "$PF" ] && problems="$problems; the pidfile was left behind"
grep -q "$D2" <<< "$out" || problems="$problems; the message does not name $D2: $out"
lab_check load_refuses_missing_parent "${problems#; }" [ -z "$problems" ]

# An empty directory named as the bpffs root: a bpffs is mounted there and
# the agent runs; unload then removes the pin dir (the mount stays, like
# /sys/fs/bpf's).  One shell in the router's mount namespace does it all.
E=$LAB_TMP/emptyroot
mkdir -p "$E"
out=$(in_ns rtr timeout 40 bash -c '
	omr=$1 conf=$2 e=$3 pf=$4
	"$omr" load -c "$conf" --pin-dir "$e/omr-steer" --pidfile "$pf" >"$e.log" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		[ "$(cat "$pf" 2>/dev/null)" = "$pid" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.2
	done
	echo "fstype=$(stat -f -c %T "$e")"
	echo "running=$("$omr" status --json --pin-dir "$e/omr-steer" | jq -r .agent_running)"
	"$omr" unload --pin-dir "$e/omr-steer" >/dev/null 2>&1; echo "unload=$?"
	wait $pid
	[ -e "$e/omr-steer" ] && echo "pin dir left"
	umount "$e"' _ "$OMR" "$CONF" "$E" "$LAB_TMP/empty.pid")
problems=""
grep -q '^fstype=bpf' <<< "$out" || problems="$problems; no bpffs on the empty $E"
grep -q '^running=true$' <<< "$out" || problems="$problems; the agent did not run: $(tail -n 3 "$E.log")"
grep -q '^unload=0$' <<< "$out" || problems="$problems; unload failed"
grep -q 'pin dir left' <<< "$out" && problems="$problems; unload left the pin dir"
lab_check load_mounts_on_empty_dir "${problems#; } ($out)" [ -z "$problems" ]

# ---- defect 4: unload removes only its own pins, only on a bpffs ---------------

P=$LAB_TMP/plain
mkdir -p "$P" && echo a > "$P/a.txt" && echo b > "$P/b.conf"
out=$(omr unload --pin-dir "$P" 2>&1)
rc=$?
problems=""
[ $rc -ne 0 ] || problems="$problems; exited 0"
[ -e "$P/a.txt" ] && [ -e "$P/b.conf" ] || problems="$problems; files of $P were deleted"
grep -q bpffs <<< "$out" || problems="$problems; the message does not say why: $out"
lab_check unload_refuses_non_bpffs "${problems#; }" [ -z "$problems" ]

omr_load "$CONF" || { lab_fail setup "the agent did not start"; exit 1; }
FOREIGN=$LAB_PIN_DIR/someone_elses_map
bpftool map create "$FOREIGN" type array key 4 value 4 entries 1 name foreign ||
	lab_log "bpftool could not pin a foreign map in $LAB_PIN_DIR"
out=$(omr unload --pin-dir "$LAB_PIN_DIR" 2>&1)
rc=$?
lab_wait 20 omr__gone
problems=""
[ $rc -eq 0 ] || problems="$problems; exited $rc: $out"
[ -e "$FOREIGN" ] || problems="$problems; the foreign pin was removed"
left=$(ls -A "$LAB_PIN_DIR" 2>/dev/null | grep -vx someone_elses_map | tr '\n' ' ')
[ -n "$left" ] && problems="$problems; omr-steer pins left: $left"
grep -q someone_elses_map <<< "$out" || problems="$problems; the message does not name what was left"
for w in wan1 wan2; do
	[ "$(omr_filter_count $w)" = 0 ] || problems="$problems; filters left on $w"
done
lab_check unload_removes_only_own_pins "${problems#; }" [ -z "$problems" ]
rm -f "$FOREIGN"
rmdir "$LAB_PIN_DIR" 2>/dev/null
omr_stop

# ---- defect 6: reload and the pidfile ------------------------------------------

# In a pid namespace of its own, whose pid 1 is a shell that records a
# SIGHUP: a pidfile held by someone and naming pid 1 (in any spelling)
# must not get pid 1 signalled.
reload_in_pidns() { # reload_in_pidns CONTENT: prints "rc=N", the messages, "HUP" if pid 1 got it
	timeout 20 unshare --pid --fork --mount-proc bash -c '
		omr=$1 dir=$2 content=$3
		trap "echo HUP >> $dir/hup" HUP
		printf "%s" "$content" > "$dir/reload.pid"
		flock -n "$dir/reload.pid" sleep 10 & holder=$!
		sleep 0.3
		"$omr" reload --pidfile "$dir/reload.pid" 2>&1; echo "rc=$?"
		sleep 0.3
		kill $holder; wait $holder 2>/dev/null
		cat "$dir/hup" 2>/dev/null; rm -f "$dir/hup"' _ "$OMR" "$LAB_TMP" "$1"
}
for content in '1' '4294967297' '1abc' '1\n'; do
	out=$(reload_in_pidns "$(printf "$content")")
	problems=""
	grep -q '^HUP$' <<< "$out" && problems="$problems; pid 1 got SIGHUP"
	grep -q '^rc=1$' <<< "$out" || problems="$problems; want exit 1"
	lab_check "reload_pidfile_${content//\\n/_nl}_not_signalled" "${problems#; }: $out" [ -z "$problems" ]
done
for content in '-1' '' '0' 'abc'; do
	out=$(reload_in_pidns "$content")
	problems=""
	grep -q '^rc=1$' <<< "$out" || problems="$problems; want exit 1"
	grep -q 'not held' <<< "$out" && problems="$problems; says 'not held' while it is held"
	grep -qi 'not permitted' <<< "$out" && problems="$problems; says strerror(1)"
	grep -q 'reload.pid' <<< "$out" || problems="$problems; does not name the pidfile"
	lab_check "reload_pidfile_bad_${content:-empty}_message" "${problems#; }: $out" [ -z "$problems" ]
done

# ---- defect 8: two loads on one pin dir ------------------------------------------

# stop_leftovers PID...: agents a failed check left running are stopped, and
# what they attached removed, so that the next check starts clean
stop_leftovers() {
	local p left=""
	for p in "$@"; do
		lab_pid_alive "$p" && { kill -TERM "$p"; left=1; }
	done
	for p in "$@"; do
		lab_wait 20 eval "! lab_pid_alive $p" || kill -KILL "$p" 2>/dev/null
		{ wait "$p"; } 2>/dev/null
	done
	[ -n "$left" ] && omr unload --pin-dir "$LAB_PIN_DIR" >/dev/null 2>&1
	return 0
}

# ready_or_dead PID PIDFILE: the agent wrote its pidfile, or it is gone
ready_or_dead() { [ "$(cat "$2" 2>/dev/null)" = "$1" ] || ! lab_pid_alive "$1"; }
both_gone() { ! lab_pid_alive "$A" && ! lab_pid_alive "$B"; }
both_settled() { ready_or_dead "$A" "$LAB_TMP/a.pid" && ready_or_dead "$B" "$LAB_TMP/b.pid"; }

for try in 1 2 3; do
	rm -f "$LAB_TMP/a.pid" "$LAB_TMP/b.pid"
	ip netns exec "$LAB_RTR" "$OMR" load -c "$CONF" --pin-dir "$LAB_PIN_DIR" \
		--pidfile "$LAB_TMP/a.pid" >"$LAB_TMP/a.log" 2>&1 &
	A=$!
	ip netns exec "$LAB_RTR" "$OMR" load -c "$CONF" --pin-dir "$LAB_PIN_DIR" \
		--pidfile "$LAB_TMP/b.pid" >"$LAB_TMP/b.log" 2>&1 &
	B=$!
	LAB_BG_PIDS+=("$A" "$B")
	lab_wait 15 both_settled
	alive=0 winner="" loser=""
	lab_pid_alive "$A" && { alive=$((alive + 1)); winner=a; loser=b; }
	lab_pid_alive "$B" && { alive=$((alive + 1)); winner=b; loser=a; }
	problems=""
	if [ $alive -ne 1 ]; then
		problems="$alive agents run on one pin dir"
	else
		grep -q "$LAB_PIN_DIR" "$LAB_TMP/$loser.log" ||
			problems="$problems; the refusal does not name the pin dir: $(cat "$LAB_TMP/$loser.log")"
		[ -e "$LAB_TMP/$loser.pid" ] && problems="$problems; the refused load left its pidfile"
	fi
	out=$(omr unload --pin-dir "$LAB_PIN_DIR" 2>&1) || problems="$problems; unload failed: $out"
	lab_wait 20 both_gone
	lab_pid_alive "$A" && problems="$problems; agent a still runs after unload"
	lab_pid_alive "$B" && problems="$problems; agent b still runs after unload"
	for w in wan1 wan2; do
		n=$(omr_filter_count $w)
		[ "$n" = 0 ] || problems="$problems; $n filters left on $w"
	done
	[ "$(rp_wan1)" = 1 ] || problems="$problems; wan1 rp_filter is $(rp_wan1), was 1"
	[ -e "$LAB_PIN_DIR" ] && problems="$problems; $LAB_PIN_DIR is still there"
	lab_check "two_loads_one_pin_dir_try$try" "${problems#; }" [ -z "$problems" ]
	stop_leftovers "$A" "$B"
done

# unload while a load is starting: afterwards either no agent and nothing
# attached, or a complete running agent (the unload came first).
ip netns exec "$LAB_RTR" "$OMR" load -c "$CONF" --pin-dir "$LAB_PIN_DIR" \
	--pidfile "$LAB_TMP/a.pid" >"$LAB_TMP/a.log" 2>&1 &
A=$!
LAB_BG_PIDS+=("$A")
lab_wait 5 test -d "$LAB_PIN_DIR"
out=$(omr unload --pin-dir "$LAB_PIN_DIR" 2>&1)
rc=$?
lab_wait 15 ready_or_dead "$A" "$LAB_TMP/a.pid"
problems=""
if lab_pid_alive "$A"; then
	json=$(omr status --json --pin-dir "$LAB_PIN_DIR" 2>/dev/null)
	[ "$(jq -r '.agent_running' <<< "$json" 2>/dev/null)" = true ] ||
		problems="the agent runs but its pins are gone (unload: $rc $out)"
else
	for w in wan1 wan2; do
		n=$(omr_filter_count $w)
		[ "$n" = 0 ] || problems="$problems; $n filters left on $w with no agent"
	done
	[ "$(rp_wan1)" = 1 ] || problems="$problems; wan1 rp_filter is $(rp_wan1)"
	[ -e "$LAB_PIN_DIR" ] && problems="$problems; $LAB_PIN_DIR is left with no agent"
fi
lab_check unload_during_startup "${problems#; }" [ -z "$problems" ]
stop_leftovers "$A"
omr unload --pin-dir "$LAB_PIN_DIR" >/dev/null 2>&1

# A refused load because the pidfile is held: the pin dir it made goes too.
omr_load "$CONF" || { lab_fail setup "the agent did not start"; exit 1; }
out=$(timeout 10 ip netns exec "$LAB_RTR" "$OMR" load -c "$CONF" --pin-dir "$LAB_BPF_DIR/second" \
	--pidfile "$LAB_PIDFILE" 2>&1)
rc=$?
problems=""
[ $rc -eq 1 ] || problems="exited $rc"
[ -e "$LAB_BPF_DIR/second" ] && problems="$problems; $LAB_BPF_DIR/second was left behind"
lab_check refused_load_removes_its_pin_dir "${problems#; }: $out" [ -z "$problems" ]

# ---- defect 11: JSON, long paths, permissions ------------------------------------

# without permission: say so, not "not loaded" (the agent of above runs).
# nobody must be able to run the binary: a / that others cannot search (the
# root of fresh-check's chroot is a mktemp -d directory, mode 0700; a real
# system's is 0755) is opened for the check and put back after it.
root_mode=$(stat -c %a /)
[ $(( 0$root_mode & 01 )) -eq 1 ] || chmod o+x /
for cmd in stats status; do
	out=$(in_ns rtr setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$OMR" $cmd --pin-dir "$LAB_PIN_DIR" 2>&1)
	rc=$?
	problems=""
	[ $rc -eq 1 ] || problems="exited $rc"
	grep -qi 'permission\|not permitted' <<< "$out" || problems="$problems; no permission message"
	grep -qi 'not loaded\|no pins\|no omr-steer pins' <<< "$out" && problems="$problems; says nothing is loaded"
	lab_check "${cmd}_says_permission_denied" "${problems#; }: $out" [ -z "$problems" ]
done
chmod "$root_mode" /
omr_stop

# -d forks before it takes anything: the pid that locks the pin dir, fills
# the pidfile and is published is the daemon's; the parent exits 0 only once
# it is up, or with its status when it fails (the message on the terminal).
out=$(timeout 30 ip netns exec "$LAB_RTR" "$OMR" load -d -c "$CONF" --pin-dir "$LAB_PIN_DIR" \
	--pidfile "$LAB_TMP/d.pid" 2>&1)
rc=$?
dpid=$(cat "$LAB_TMP/d.pid" 2>/dev/null)
problems=""
[ $rc -eq 0 ] || problems="load -d exited $rc: $out"
if [ -z "$dpid" ] || ! lab_pid_alive "$dpid"; then
	problems="$problems; the pidfile names no live process ('$dpid')"
else
	[ "$(cat /proc/"$dpid"/comm)" = omr-steer ] || problems="$problems; pid $dpid is not omr-steer"
	[ "$(omr status --json --pin-dir "$LAB_PIN_DIR" | jq -r .agent_pid)" = "$dpid" ] ||
		problems="$problems; status does not show pid $dpid"
	[ "$(omr_filter_count wan1)" = 2 ] || problems="$problems; wan1 not attached when load -d returned"
	out=$(timeout 30 ip netns exec "$LAB_RTR" "$OMR" load -d -c "$CONF" --pin-dir "$LAB_PIN_DIR" \
		--pidfile "$LAB_TMP/d2.pid" 2>&1)
	rc=$?
	[ $rc -eq 1 ] || problems="$problems; a second load -d on the pin dir exited $rc"
	grep -qw "$dpid" <<< "$out" || problems="$problems; its refusal does not name pid $dpid: $out"
fi
omr unload --pin-dir "$LAB_PIN_DIR" >/dev/null 2>&1
[ -n "$dpid" ] && lab_wait 20 eval "! lab_pid_alive $dpid"
[ -n "$dpid" ] && lab_pid_alive "$dpid" && { problems="$problems; unload did not stop it"; kill -KILL "$dpid"; }
lab_check load_daemon_is_the_owner "${problems#; }" [ -z "$problems" ]

evil='/tmp/x"}, "loaded": true, "x": "'
out=$(omr status --json --pin-dir "$evil" 2>/dev/null)
status_json_ok() { # the JSON parses and says exactly: not loaded, that pin dir
	jq -e --arg p "$evil" '.loaded == false and .pin_dir == $p and (keys | length) == 2' \
		<<< "$out" >/dev/null
}
lab_check status_json_escapes_pin_dir "status --json printed: $out" status_json_ok

long=/run/$(printf 'a%.0s' $(seq 5000))
for cmd in load stats status unload; do
	out=$(timeout 10 ip netns exec "$LAB_RTR" "$OMR" $cmd --pin-dir "$long" 2>&1)
	rc=$?
	lab_check "long_pin_dir_${cmd}_message" "exited $rc with '${out:0:200}'" \
		eval '[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q -- "--pin-dir" <<< "$out"'
done

lab_finish
