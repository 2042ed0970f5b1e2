#!/usr/bin/env bash
# `omr-steer stats` and `omr-steer top` the way an operator sees them on an
# 80x24 SSH terminal (issue 11, part 4): both run in tmux (80 columns, 24
# lines) while traffic flows through a lab router with two WANs weighted
# 1 and 3, and the captured screen is checked:
#
#  - stats: the default table (WAN STATE WEIGHT SHARE TX RATE RX RATE RTT
#    FLOWS) is not wider than 100 columns (here: fits 80), a row per WAN
#    with its state and a rate; --wide has every column;
#  - top: the header on line 1 and each WAN on its lines after several
#    refreshes (redrawn in place, not scrolled), no line wider than the
#    terminal, weight bars 1:3, byte bars that add up to the whole bar,
#    tx/rx sparklines that show the traffic; narrowed to 60 columns
#    (SIGWINCH) no line is wider than 60; `q` quits with status 0 and puts
#    the terminal back (main screen, cursor, the same stty settings); so do
#    Ctrl-C and SIGTERM; Ctrl-Z puts it back too and fg redraws; without a
#    UTF-8 locale the bars are ASCII;
#  - top not on a terminal (a file) prints the stats table once, exit 0.
set -u
cd "$(dirname "$0")/../.." || exit 1
LAB_PREFIX=${LAB_PREFIX:-ot$$}
. tests/net/lib.sh

TMUX_SOCK=omrtop$$
# tmux with its own server (socket) and no user configuration
tmx() { LANG=C.UTF-8 tmux -L "$TMUX_SOCK" -f /dev/null "$@"; }
on_exit() {
	local rc=$?
	tmx kill-server >/dev/null 2>&1
	(exit $rc)
	lab__on_exit
}
trap on_exit EXIT

lab_require_omr || { lab_fail setup "build/omr-steer is missing"; exit 1; }
command -v tmux >/dev/null || { lab_fail setup "tmux is missing (scripts/deps.sh test installs it)"; exit 1; }
[ -x "$TRAFGEN" ] || { lab_fail setup "$TRAFGEN is missing (make build/tools/trafgen)"; exit 1; }
lab_up --wans 2 --rates "8mbit 24mbit" || { lab_fail setup "the lab could not be built"; exit 1; }
lab_server_start || { lab_fail setup "the traffic server did not start"; exit 1; }
CONF=$LAB_TMP/omr-steer.conf
lab_conf "$CONF" "interval 0.5" "wan wan1 weight 1" "wan wan2 weight 3"
omr_load "$CONF" || { lab_fail setup "the agent did not start: $(tail -n 5 "$LAB_AGENT_LOG")"; exit 1; }

# The operator's terminal: a shell in an 80x24 tmux pane, UTF-8 (and where
# tests/run's sanitizer reports go, for an OMR built with them).
tmx new-session -d -s op -x 80 -y 24 \
	"env -i PATH=$PATH HOME=/root TERM=screen LANG=C.UTF-8 PS1='$ ' \
	${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} ${UBSAN_OPTIONS:+UBSAN_OPTIONS=$UBSAN_OPTIONS} \
	bash --norc --noprofile" ||
	{ lab_fail setup "tmux did not start"; exit 1; }
OMR_CMD="ip netns exec $LAB_RTR $OMR"

# type LINE: type a command line into the pane and press Enter
type_line() { tmx send-keys -t op -l "$1" && tmx send-keys -t op Enter; }
# screen: the pane as the operator sees it; -J joins lines the terminal wrapped
screen() { tmx capture-pane -p -J -t op; }
pane() { tmx display -p -t op "$1"; }
screen_has() { screen | grep -q -- "$1"; }
# widest: the widest line of stdin, in characters
widest() {
	local line w=0
	while IFS= read -r line; do
		[ "${#line}" -gt "$w" ] && w=${#line}
	done
	echo "$w"
}
# blocks LINE: the length of the bar at the end of LINE, in eighths of a
# column (UTF-8 block elements) or in columns ('#')
blocks() {
	local bar=${1##*% } i c n=0
	for ((i = 0; i < ${#bar}; i++)); do
		c=${bar:i:1}
		case "$c" in
		█) n=$((n + 8)) ;; ▉) n=$((n + 7)) ;; ▊) n=$((n + 6)) ;; ▋) n=$((n + 5)) ;;
		▌) n=$((n + 4)) ;; ▍) n=$((n + 3)) ;; ▎) n=$((n + 2)) ;; ▏) n=$((n + 1)) ;;
		'#') n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}
# wan_line SCREEN WAN LABEL: the "  LABEL" line of WAN's block of a top screen
wan_line() {
	awk -v w="$2" -v l="  $3" '$1 == w { on = 1; next }
		on && index($0, l) == 1 { print; exit }' <<< "$1"
}
export LC_ALL=C.UTF-8	# ${#line} and ${bar:i:1} count characters

# Traffic for the whole test, bounded: 64 uploads of 1 MiB, 8 at a time,
# over 32 Mbit/s of WANs: about 17 s.
lab_traffic lan "$LAB_SRV4" "$LAB_PORT" --upload --bytes 1m --conns 64 --parallel 8 \
	--timeout 60 >"$LAB_TMP/traffic.json" 2>&1 &
TRAFFIC_PID=$!
LAB_BG_PIDS+=("$TRAFFIC_PID")
sleep 2

# ---- stats -------------------------------------------------------------------

type_line "clear; $OMR_CMD stats --pin-dir $LAB_PIN_DIR"
lab_wait 5 screen_has '^wan2 ' || lab_log "stats did not show wan2: $(screen)"
S=$(screen)
lab_log "stats in 80x24:"$'\n'"$S"
w=$(grep -v '^\$' <<< "$S" | widest)
head=$(grep '^WAN ' <<< "$S")
if [ "$w" -le 100 ] && [ "$w" -le 80 ] &&
   [[ $head =~ ^WAN\ +STATE\ +WEIGHT\ +SHARE\ +TX\ RATE\ +RX\ RATE\ +RTT\ +FLOWS$ ]]; then
	lab_pass stats_fits_the_terminal
else
	lab_fail stats_fits_the_terminal "widest line $w columns (want <= 100, and <= 80 with these names), header '$head'"
fi
bad=""
for wan in wan1 wan2; do
	row=$(grep "^$wan " <<< "$S")
	[[ $row =~ ^$wan\ +up\ +[13]\ .*[1-9][0-9.]*\ [kM]bit/s ]] || bad+=" $wan: '$row';"
done
lab_check stats_rows "a WAN's row lacks its state or a rate while traffic flows:$bad" [ -z "$bad" ]

type_line "clear; $OMR_CMD stats --wide --pin-dir $LAB_PIN_DIR"
# the table before is gone once the header of this one is there
lab_wait 5 screen_has '^WAN  *IFINDEX ' && lab_wait 5 screen_has '^wan2 ' ||
	lab_log "stats --wide did not show wan2"
S=$(screen)
missing=""
for col in WAN IFINDEX STATE WEIGHT 'TX BYTES' 'RX BYTES' 'TX PKTS' 'RX PKTS' 'TX RATE' \
	   'RX RATE' SHARE CAPACITY RTT FLOWS STEERED ERR/DROP 'TABLE FULL'; do
	grep '^WAN ' <<< "$S" | grep -q " $col\( \|$\)\|^$col " || missing+=" '$col'"
done
lab_check stats_wide_has_every_column "stats --wide lacks$missing: $(grep '^WAN ' <<< "$S")" \
	[ -z "$missing" ]

# ---- top ---------------------------------------------------------------------

# the shell's terminal settings, put back before each top (each run is
# checked on its own, whatever the one before left)
type_line 's0=$(stty -g)'
# run_top ARGS: top in the pane; afterwards the shell says how it ended and
# whether the terminal settings are those from before
run_top() {
	type_line "clear; stty \$s0; s=\$(stty -g); sh -c 'echo \$\$ > $LAB_TMP/top.pid; exec $OMR_CMD top --pin-dir $LAB_PIN_DIR $*'; echo \"TOP-EXIT=\$? \$([ \"\$s\" = \"\$(stty -g)\" ] && echo tty-same || echo tty-changed)\""
	lab_wait 5 screen_has '^omr-steer top ' && [ "$(pane '#{alternate_on}')" = 1 ]
}
# top_ended NAME HOW: PASS when top ended with status 0, the main screen
# back, the cursor shown, the terminal settings as before
top_ended() {
	local s m=TOP-EXIT
	lab_wait 5 screen_has "^$m="
	s=$(screen | grep "^$m=" | tail -n 1)
	if [ "$s" = "$m=0 tty-same" ] && [ "$(pane '#{alternate_on}')" = 0 ] &&
	   [ "$(pane '#{cursor_flag}')" = 1 ]; then
		lab_pass "$1"
	else
		lab_fail "$1" "after $2: '${s:-top did not end}', alternate screen $(pane '#{alternate_on}'), cursor $(pane '#{cursor_flag}')"
	fi
}

run_top --interval 0.5 || lab_log "top did not come up: $(screen)"
# several refreshes while traffic flows: each screen has the header on line
# 1, wan1 on line 3 and wan2 on line 7, and the clock moves
bad="" clocks=()
for i in 1 2 3 4 5 6; do
	sleep 0.7
	T=$(screen)
	mapfile -t L <<< "$T"
	[[ ${L[0]} == "omr-steer top  agent pid $OMR_PID  every 0.5 s  "* ]] || bad+=" line 1 '${L[0]}';"
	[[ ${L[2]} == "wan1 "*" up "* ]] && [[ ${L[6]} == "wan2 "*" up "* ]] ||
		bad+=" lines 3/7 '${L[2]}' '${L[6]}';"
	w=$(widest <<< "$T")
	[ "$w" -le 80 ] || bad+=" a line of $w columns;"
	clocks+=("${L[0]}")
done
lab_log "top in 80x24:"$'\n'"$T"
[ "${clocks[0]}" != "${clocks[5]}" ] || bad+=" the clock did not move in 4 s: '${clocks[5]}';"
lab_check top_refreshes_in_place "$bad" [ -z "$bad" ]

# bars: the weights are 1 and 3; the byte shares add up to the whole bar
w1=$(blocks "$(wan_line "$T" wan1 weight)") w2=$(blocks "$(wan_line "$T" wan2 weight)")
b1=$(blocks "$(wan_line "$T" wan1 bytes)") b2=$(blocks "$(wan_line "$T" wan2 bytes)")
lab_log "bars in eighths: weight $w1 $w2, bytes $b1 $b2"
# 64 columns at 80: weight bars of 16 and 48 columns
if [ "$w1" -ge $((15 * 8)) ] && [ "$w1" -le $((17 * 8)) ] && [ $((w2 * 10)) -ge $((w1 * 29)) ] &&
   [ $((w2 * 10)) -le $((w1 * 31)) ]; then
	lab_pass top_weight_bars_in_proportion
else
	lab_fail top_weight_bars_in_proportion "weight bars of $w1 and $w2 eighths, want 1:3 (128:384)"
fi
sum=$((b1 + b2))
lab_check top_byte_bars_share_the_bar \
	"byte bars of $b1 and $b2 eighths, want both > 0, together 64 columns (512 +- 2)" \
	[ "$b1" -gt 0 ] && [ "$b2" -gt 0 ] && [ "$sum" -ge 510 ] && [ "$sum" -le 514 ]
bad=""
for wan in wan1 wan2; do
	line=$(wan_line "$T" "$wan" tx)
	# after the rate ("  tx  12.30 Mbit/s "): the sparkline, then " rx", rate, sparkline
	tx=${line:19:21} rx=${line:58:21}
	[[ $tx =~ [▁▂▃▄▅▆▇█] ]] && [[ $rx =~ [▁▂▃▄▅▆▇█] ]] || bad+=" $wan: '$line';"
done
lab_check top_sparklines_show_traffic "no traffic in a sparkline:$bad" [ -z "$bad" ]

# a narrower terminal (SIGWINCH): redrawn to fit
tmx resize-window -t op -x 60
sleep 1.5
T=$(screen)
w=$(widest <<< "$T")
lab_log "top in 60x24:"$'\n'"$T"
lab_check top_fits_a_narrower_terminal "at 60 columns the widest line has $w: $T" \
	[ "$w" -le 60 ] && [[ $T == "omr-steer top "* ]] && grep -q "^wan2 " <<< "$T"
tmx resize-window -t op -x 80

tmx send-keys -t op x	# a key that is not q does not quit
sleep 1
tmx send-keys -t op q
top_ended top_quits_on_q "q"

run_top "--interval 0.5" >/dev/null
tmx send-keys -t op C-c
top_ended top_quits_on_ctrl_c "Ctrl-C"

# Ctrl-Z: the terminal is put back while top is stopped (the shell goes on
# with the command line: status 148), fg redraws it, SIGTERM ends it
run_top "--interval 0.5" >/dev/null
tmx send-keys -t op C-z
lab_wait 5 screen_has '^TOP-EXIT='
s=$(screen | grep '^TOP-EXIT=' | tail -n 1)
alt=$(pane '#{alternate_on}') cursor=$(pane '#{cursor_flag}')
type_line "fg; echo FG-EXIT=\$?"
lab_wait 5 screen_has '^omr-steer top '
alt_fg=$(pane '#{alternate_on}') T=$(screen)
kill -TERM "$(cat "$LAB_TMP/top.pid")"
lab_wait 5 screen_has '^FG-EXIT='
lab_check top_suspends_and_resumes \
	"after Ctrl-Z: '$s', alternate screen $alt, cursor $cursor; after fg: alternate screen $alt_fg, line 1 '${T%%$'\n'*}'; then $(screen | grep '^FG-EXIT=')" \
	[ "$s" = "TOP-EXIT=148 tty-same" ] && [ "$alt" = 0 ] && [ "$cursor" = 1 ] &&
	[ "$alt_fg" = 1 ] && [[ $T == "omr-steer top "* ]] && screen_has '^FG-EXIT=0$'

# without a UTF-8 locale: ASCII bars; SIGTERM
type_line "clear; export LC_ALL=C"
run_top "--interval 0.5" || lab_log "top did not come up in the C locale"
sleep 1.5
T=$(screen)
lab_log "top in the C locale:"$'\n'"$T"
w1=$(blocks "$(wan_line "$T" wan1 weight)") w2=$(blocks "$(wan_line "$T" wan2 weight)")
if LC_ALL=C grep -q $'[\x80-\xff]' <<< "$T" || [ "$w1" -lt 15 ] || [ "$w1" -gt 17 ] ||
   [ "$((w2 * 10))" -lt "$((w1 * 29))" ] || [ "$((w2 * 10))" -gt "$((w1 * 31))" ]; then
	lab_fail top_ascii_without_utf8 "weight bars of $w1 and $w2 '#', want 16 and 48, and no UTF-8: $T"
else
	lab_pass top_ascii_without_utf8
fi
kill -TERM "$(cat "$LAB_TMP/top.pid")"
top_ended top_restores_on_sigterm "SIGTERM"

# ---- top not on a terminal ---------------------------------------------------

out=$(omr top --pin-dir "$LAB_PIN_DIR" 2>&1 < /dev/null)
rc=$?
if [ $rc -eq 0 ] && [[ $(head -n 1 <<< "$out") =~ ^WAN\ +STATE\ +WEIGHT ]] &&
   grep -q '^wan1 ' <<< "$out" && grep -q '^wan2 ' <<< "$out" && ! grep -q $'\033' <<< "$out"; then
	lab_pass top_piped_prints_stats
else
	lab_fail top_piped_prints_stats "exit $rc, output: $out"
fi

wait "$TRAFFIC_PID"
lab_all_ok traffic_completed "$(cat "$LAB_TMP/traffic.json")" 64
lab_finish
