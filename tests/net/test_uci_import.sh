#!/usr/bin/env bash
# `omr-steer uci-import` end to end, on OMR-style UCI files
# (tests/fixtures/uci/): the 4-WAN network file gives the expected weight
# file and `check -c` accepts it; bad input exits 2 with FILE:LINE and
# leaves the old weight file untouched, with no temporary file left; an
# own UCI file with every section type; the procd init script imports
# before `load` and on reload.  No network, no root needed.
# Prints one "PASS/FAIL/SKIP uci_import_<check>" line per check.
set -u
cd "$(dirname "$0")/../.." || exit 1

bin=${BUILD:-build}/omr-steer
fix=tests/fixtures/uci
init=scripts/boot/omr-steer.init
work=$(mktemp -d /tmp/omr-uci.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT

pass() { echo "PASS uci_import_$1"; }
fail() { # fail NAME WHY [LOGFILE]
	echo "FAIL uci_import_$1"
	echo "  uci_import_$1: $2" >&2
	[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/    /' "$3" | tail -n 30 >&2
}

if [ ! -x "$bin" ]; then
	echo "SKIP uci_import_all: $bin not built"
	exit 0
fi

# ---- the 4-WAN OMR network file -> the weight file a person would write -----
out=$work/omr-steer.conf
if "$bin" uci-import --network "$fix/network-4wan" -o "$out" >"$work/log" 2>&1 &&
   diff -u "$fix/want-4wan.conf" "$out" >"$work/diff" 2>&1; then
	pass omr_4wan
else
	cat "$work/diff" >>"$work/log" 2>/dev/null
	fail omr_4wan "output differs from $fix/want-4wan.conf" "$work/log"
fi
if "$bin" check -c "$out" >"$work/log" 2>&1 && grep -q ": ok, 3 WANs" "$work/log"; then
	pass check_accepts
else
	fail check_accepts "omr-steer check -c rejects the imported file" "$work/log"
fi
mode=$(stat -c %a "$out" 2>/dev/null)
if [ "$mode" = 644 ]; then pass mode_644; else fail mode_644 "mode $mode, want 644"; fi

# ---- bad input: exit 2, FILE:LINE, the old file untouched, no temp file -----
sum=$(md5sum <"$out")
bad_case() { # bad_case NAME WANT-IN-STDERR ARGS...
	local name=$1 want=$2 rc
	shift 2
	"$bin" uci-import "$@" -o "$out" >"$work/bad.out" 2>"$work/bad.err"
	rc=$?
	if [ $rc -ne 2 ]; then
		fail "bad_$name" "exit $rc, want 2" "$work/bad.err"
	elif ! grep -qF -- "$want" "$work/bad.err"; then
		fail "bad_$name" "stderr lacks '$want'" "$work/bad.err"
	elif [ "$(md5sum <"$out")" != "$sum" ]; then
		fail "bad_$name" "the old weight file was changed"
	elif [ "$(find "$work" -name 'omr-steer.conf.*' | wc -l)" -ne 0 ]; then
		fail "bad_$name" "a temporary file was left: $(find "$work" -name 'omr-steer.conf.*')"
	else
		pass "bad_$name"
	fi
}
bad_case quote "$fix/bad-quote:5: unterminated single quote" --network "$fix/bad-quote"
bad_case multipath "$fix/bad-multipath:3:" --network "$fix/bad-multipath"
bad_case words "$fix/bad-words:6:" --network "$fix/bad-words"
bad_case lte_device "$fix/network-lte:34: interface 'lte'" --network "$fix/network-lte"
bad_case own_config "$fix/omr-steer-bad:9: config wan: unknown option 'wieght'" \
	--network "$fix/network-4wan" -c "$fix/omr-steer-bad"
bad_case weight_range "$fix/omr-steer-weight:3: weight 1200 out of range" \
	--network "$fix/network-4wan" -c "$fix/omr-steer-weight"

# an unwritable destination: exit 1, nothing there
"$bin" uci-import --network "$fix/network-4wan" -o "$work/no/such/dir/x.conf" \
	>"$work/log" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "cannot write" "$work/log" && [ ! -e "$work/no" ]; then
	pass unwritable
else
	fail unwritable "exit $rc, want 1 and 'cannot write'" "$work/log"
fi

# a good import replaces the file by rename (a new inode), no temporary left
ino=$(stat -c %i "$out")
if "$bin" uci-import --network "$fix/network-4wan" -o "$out" >"$work/log" 2>&1 &&
   [ "$(stat -c %i "$out")" != "$ino" ] &&
   [ "$(find "$work" -name 'omr-steer.conf.*' | wc -l)" -eq 0 ]; then
	pass renamed
else
	fail renamed "not replaced by a rename, or a temporary file left" "$work/log"
fi

# ---- an own UCI file with every section type; LTE by QMI named there -------
if "$bin" uci-import --network "$fix/network-lte" -c "$fix/omr-steer-full" -o "$out" \
	>"$work/log" 2>&1 && "$bin" check -c "$out" >>"$work/log" 2>&1 &&
   grep -qx "wan wwan0 weight 300 gateway 100.64.0.1" "$out" &&
   grep -qx "class backup prefer pppoe-wan2 wan" "$out"; then
	pass own_config
else
	cat "$out" >>"$work/log" 2>/dev/null
	fail own_config "import with $fix/omr-steer-full" "$work/log"
fi

# ---- the example /etc/config/omr-steer of the OpenWrt package --------------
if "$bin" uci-import --network "$fix/network-4wan" -c scripts/openwrt/omr-steer.config \
	-o "$out" >"$work/log" 2>&1 && "$bin" check -c "$out" >>"$work/log" 2>&1 &&
   grep -qx "wan pppoe-wan2 weight 250" "$out"; then
	pass example_config
else
	fail example_config "scripts/openwrt/omr-steer.config does not import" "$work/log"
fi

# ---- the procd init script: import before load and on reload ---------------
if ! command -v sh >/dev/null; then
	echo "SKIP uci_import_init: no sh"
	exit 0
fi
cp "$fix/omr-steer-full" "$work/uci-own"
rm -f "$out"
# shellcheck disable=SC2016
sh -c '
	init=$1 bin=$2 conf=$3 own=$4 net=$5 bad=$6
	procd_open_instance() { :; }
	procd_set_param() { [ "$1" = command ] && echo "command ${*#command }"; }
	procd_close_instance() { :; }
	procd_send_signal() { echo "send_signal $*"; }
	procd_add_reload_trigger() { echo "reload_trigger $*"; }
	. "./$init"
	PROG=$bin CONF=$conf UCI_CONF=$own UCI_NETWORK=$net
	start_service; echo "start_rc=$?"
	[ -f "$conf" ] && echo "written_by_start"
	service_triggers
	reload_service; echo "reload_rc=$?"
	UCI_CONF=$bad
	reload_service 2>/dev/null; echo "reload_bad_rc=$?"
' sh "$init" "$bin" "$out" "$work/uci-own" "$fix/network-lte" "$fix/omr-steer-bad" \
	>"$work/init.log" 2>&1
missing=""
for line in "command $bin load -c $out --pidfile /var/run/omr-steer.pid" "start_rc=0" \
	    "written_by_start" "reload_trigger omr-steer" "reload_trigger network" \
	    "send_signal omr-steer * HUP" "reload_rc=0" "reload_bad_rc=1"; do
	grep -qxF -- "$line" "$work/init.log" || missing="$missing [$line]"
done
hups=$(grep -c '^send_signal' "$work/init.log")
if [ -n "$missing" ]; then
	fail init "expected lines missing:$missing" "$work/init.log"
elif [ "$hups" -ne 1 ]; then
	fail init "$hups HUPs, want 1 (none after the broken UCI file)" "$work/init.log"
elif ! "$bin" check -c "$out" >/dev/null 2>&1; then
	fail init "the weight file after the broken reload is not the good one"
else
	pass init
fi
