#!/usr/bin/env bash
# `make install` into a scratch DESTDIR: the binary, man page, systemd unit and
# example weight file land where they belong; the example file passes
# `omr-steer check`; the unit passes `systemd-analyze verify`; the man page
# renders; the OpenWrt init script parses and drives procd as intended; a
# second install keeps an edited config; `make uninstall` removes what it
# installed.  Prints one "PASS/FAIL/SKIP install_<check>" line per check.
set -u
cd "$(dirname "$0")/../.." || exit 1

work=$(mktemp -d /tmp/omr-install.XXXXXX) || exit 1
dest=$work/root
trap 'rm -rf "$work"' EXIT
failed=0

pass() { echo "PASS install_$1"; }
fail() { # fail NAME WHY [LOGFILE]
	echo "FAIL install_$1"
	echo "  install_$1: $2" >&2
	[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/    /' "$3" | tail -n 30 >&2
	failed=1
}
skip() { echo "SKIP install_$1: $2"; }

sbin=$dest/usr/sbin/omr-steer
man8=$dest/usr/share/man/man8/omr-steer.8
unit=$dest/lib/systemd/system/omr-steer.service
conf=$dest/etc/omr-steer.conf
init=scripts/boot/omr-steer.init

# mode FILE -> octal permissions
mode() { stat -c %a "$1" 2>/dev/null; }

# ---- make install ----------------------------------------------------------
if make -s install DESTDIR="$dest" PREFIX=/usr >"$work/make.log" 2>&1; then
	pass make
	installed=1
else
	fail make "make install DESTDIR=$dest PREFIX=/usr failed" "$work/make.log"
	installed=0
fi

check_file() { # check_file NAME PATH MODE
	if [ "$installed" != 1 ]; then
		skip "$1" "make install failed"
	elif [ ! -f "$2" ]; then
		fail "$1" "${2#"$dest"} was not installed"
	elif [ "$(mode "$2")" != "$3" ]; then
		fail "$1" "${2#"$dest"} has mode $(mode "$2"), want $3"
	else
		pass "$1"
	fi
}
check_file binary "$sbin" 755
check_file manpage "$man8" 644
check_file config "$conf" 644
check_file unit "$unit" 644

# ---- the unit runs the installed binary on the installed config -----------
if [ "$installed" != 1 ] || [ ! -f "$unit" ]; then
	skip unit_execstart "no unit installed"
elif grep -q '@[A-Z]*@' "$unit"; then
	fail unit_execstart "placeholders left in the unit: $(grep -o '@[A-Z]*@' "$unit" | sort -u | tr '\n' ' ')"
elif ! grep -qx 'ExecStart=/usr/sbin/omr-steer load -c /etc/omr-steer.conf' "$unit"; then
	fail unit_execstart "unexpected ExecStart: $(grep '^ExecStart=' "$unit")"
else
	pass unit_execstart
fi

# ---- the example config is valid, and check really checks it --------------
if [ ! -x "$sbin" ] || [ ! -f "$conf" ]; then
	skip example_config_valid "binary or config not installed"
	skip check_rejects_broken "binary or config not installed"
else
	if "$sbin" check -c "$conf" >"$work/check.log" 2>&1; then
		pass example_config_valid
	else
		fail example_config_valid "omr-steer check -c ${conf#"$dest"} exited $?" "$work/check.log"
	fi

	# Without this, a `check` that accepts anything would pass the above.
	broken=$work/broken.conf
	cp "$conf" "$broken"
	first_wan=$(awk '$1 == "wan" { print $2; exit }' "$conf")
	echo "wan ${first_wan:-eth1} weight 5" >>"$broken"	# a duplicate
	bad_line=$(wc -l <"$broken")
	"$sbin" check -c "$broken" >"$work/broken.log" 2>&1
	rc=$?
	if [ $rc -ne 2 ]; then
		fail check_rejects_broken "check of a file with a duplicate wan exited $rc, want 2" "$work/broken.log"
	elif ! grep -q "$broken:$bad_line:" "$work/broken.log"; then
		fail check_rejects_broken "the error does not name $broken:$bad_line" "$work/broken.log"
	else
		pass check_rejects_broken
	fi
fi

# ---- the man page renders without warnings ---------------------------------
if [ ! -f "$man8" ]; then
	skip manpage_renders "no man page installed"
elif ! command -v man >/dev/null; then
	skip manpage_renders "man(1) is not installed (apt-get install man-db)"
else
	MANWIDTH=80 man --warnings -l "$man8" >"$work/man.txt" 2>"$work/man.err"
	rc=$?
	missing=""
	for section in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS "WEIGHT FILE" FILES \
		       "EXIT STATUS" SIGNALS EXAMPLES NOTES "SEE ALSO"; do
		grep -qx "$section" "$work/man.txt" || missing="$missing [$section]"
	done
	if [ $rc -ne 0 ]; then
		fail manpage_renders "man -l exited $rc" "$work/man.err"
	elif [ -s "$work/man.err" ]; then
		fail manpage_renders "groff warnings" "$work/man.err"
	elif [ -n "$missing" ]; then
		fail manpage_renders "sections missing:$missing"
	else
		pass manpage_renders
	fi
fi

# ---- systemd-analyze verify ------------------------------------------------
if [ ! -f "$unit" ] || [ ! -x "$sbin" ]; then
	skip unit_verify "unit or binary not installed"
elif ! command -v systemd-analyze >/dev/null; then
	skip unit_verify "systemd-analyze not available"
else
	# verify checks that ExecStart exists and that Documentation= resolves:
	# point both at DESTDIR (a copy; the installed unit stays as installed).
	mkdir -p "$work/verify"
	sed "s|/usr/sbin/omr-steer|$sbin|g" "$unit" >"$work/verify/omr-steer.service"
	MANPATH=$dest/usr/share/man systemd-analyze verify "$work/verify/omr-steer.service" \
		>"$work/verify.log" 2>&1
	rc=$?
	# It exits 0 on unknown keys and bad values: any line about our unit fails.
	if [ $rc -ne 0 ] || grep -q 'omr-steer' "$work/verify.log"; then
		fail unit_verify "systemd-analyze verify (exit $rc)" "$work/verify.log"
	else
		pass unit_verify
	fi
fi

# ---- the OpenWrt init script -----------------------------------------------
if sh -n "$init" 2>"$work/init.err"; then
	pass init_syntax
else
	fail init_syntax "sh -n $init" "$work/init.err"
fi

# Run start_service and reload_service against stubs of procd's functions
# (rc.common and procd.sh exist only on OpenWrt) and look at what they ask of
# procd.  reload must check the file first: HUP for a valid one, an error
# and no HUP for a broken one.
if [ ! -x "$sbin" ] || [ ! -f "$conf" ]; then
	skip init_procd "binary or config not installed"
else
	# shellcheck disable=SC2016
	sh -c '
		init=$1 sbin=$2 conf=$3 broken=$4
		procd_open_instance() { echo "open_instance $*"; }
		procd_set_param() { echo "set_param $*"; }
		procd_close_instance() { echo "close_instance"; }
		procd_send_signal() { echo "send_signal $*"; }
		procd_add_reload_trigger() { echo "reload_trigger $*"; }
		. "./$init"
		echo "START=$START STOP=$STOP USE_PROCD=$USE_PROCD PROG=$PROG CONF=$CONF"
		PROG=$sbin CONF=$conf
		start_service; echo "start_rc=$?"
		service_triggers
		reload_service 2>/dev/null; echo "reload_rc=$?"
		CONF=$broken
		reload_service 2>/dev/null; echo "reload_broken_rc=$?"
		CONF=/nonexistent/omr-steer.conf
		start_service 2>/dev/null; echo "start_missing_rc=$?"
	' sh "$init" "$sbin" "$conf" "$work/broken.conf" >"$work/procd.log" 2>&1
	want=(
		"START=95 STOP=10 USE_PROCD=1 PROG=/usr/sbin/omr-steer CONF=/etc/omr-steer.conf"
		"set_param command $sbin load -c $conf --pidfile /var/run/omr-steer.pid"
		"set_param respawn"
		"set_param file $conf"
		"set_param reload_signal HUP"
		"close_instance"
		"start_rc=0"
		"reload_trigger omr-steer"
		"send_signal omr-steer * HUP"
		"reload_rc=0"
		"reload_broken_rc=1"
		"start_missing_rc=1"
	)
	missing=""
	for line in "${want[@]}"; do
		grep -qxF -- "$line" "$work/procd.log" || missing="$missing [$line]"
	done
	hups=$(grep -c '^send_signal' "$work/procd.log")
	if [ -n "$missing" ]; then
		fail init_procd "expected procd calls missing:$missing" "$work/procd.log"
	elif [ "$hups" -ne 1 ]; then
		fail init_procd "$hups HUPs sent, want 1 (none for the broken file)" "$work/procd.log"
	else
		pass init_procd
	fi
fi

# ---- a second install keeps an edited weight file ---------------------------
if [ "$installed" != 1 ] || [ ! -f "$conf" ]; then
	skip keeps_config "make install failed"
else
	echo "# edited by the operator" >>"$conf"
	sum=$(md5sum <"$conf")
	if ! make -s install DESTDIR="$dest" PREFIX=/usr >"$work/make2.log" 2>&1; then
		fail keeps_config "second make install failed" "$work/make2.log"
	elif [ "$(md5sum <"$conf")" != "$sum" ]; then
		fail keeps_config "make install overwrote ${conf#"$dest"}"
	else
		pass keeps_config
	fi
fi

# ---- make uninstall ----------------------------------------------------------
if [ "$installed" != 1 ]; then
	skip uninstall "make install failed"
elif ! make -s uninstall DESTDIR="$dest" PREFIX=/usr >"$work/uninstall.log" 2>&1; then
	fail uninstall "make uninstall failed" "$work/uninstall.log"
else
	left=$(cd "$dest" && find . -type f ! -path ./etc/omr-steer.conf | sort)
	if [ -n "$left" ]; then
		fail uninstall "files left behind: $left"
	elif [ ! -f "$conf" ]; then
		fail uninstall "uninstall removed the operator's ${conf#"$dest"}"
	else
		pass uninstall
	fi
fi

exit $failed
