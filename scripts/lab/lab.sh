#!/usr/bin/env bash
# A command line over tests/net/lib.sh for the demo, the benchmarks and
# hands-on experiments: build the lab network, leave it running, remove it.
#
#   scripts/lab/lab.sh up   [--prefix P] [--wans N] [--rates "8mbit 24mbit"] [--delays "- 20"]
#   scripts/lab/lab.sh down [--prefix P]
#   scripts/lab/lab.sh env  [--prefix P]     # the lab's variables, for eval
#
# `up` prints the lab's variables (LAB_RTR=..., LAB_PIN_DIR=..., ...) so that
# `eval "$(scripts/lab/lab.sh up ...)"` sets them; run commands in it with
# `ip netns exec "$LAB_RTR" ...`.  The prefix (default "omrlab") names the
# namespaces P-lan, P-rtr, P-isp, P-srv (P-dlyI for a WAN with a delay)
# and the bpffs /run/P-bpf.  --delays: one-way ms per WAN, "-" for none.
set -u

usage() {
	sed -n '2,13s/^# \{0,1\}//p' "$0"
	exit "${1:-2}"
}

cmd=${1:-}
[ -n "$cmd" ] || usage 2
shift
prefix=omrlab
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--prefix) prefix=${2:?--prefix needs a value}; shift 2 ;;
	-h|--help) usage 0 ;;
	*) args+=("$1"); shift ;;
	esac
done

LAB_PREFIX=$prefix
LAB_NO_TRAP=1			# the lab outlives this script
. "$(dirname "$0")/../../tests/net/lib.sh"

print_env() {
	local v
	for v in LAB_PREFIX LAB_LAN LAB_RTR LAB_ISP LAB_SRV LAB_BPF_DIR LAB_PIN_DIR \
		 LAB_TMP LAB_LAN4 LAB_LAN6 LAB_SRV4 LAB_SRV6; do
		printf '%s=%q\n' "$v" "${!v}"
	done
}

case "$cmd" in
up)
	if [ -e "/run/netns/$LAB_RTR" ]; then
		echo "lab.sh: a lab with prefix '$prefix' is up already ('lab.sh down --prefix $prefix' removes it)" >&2
		exit 1
	fi
	if ! lab_up "${args[@]}"; then
		echo "lab.sh: building the lab failed; removing what was built" >&2
		lab_down
		exit 1
	fi
	print_env
	;;
down)
	[ ${#args[@]} -eq 0 ] || usage 2
	lab_down
	;;
env)
	print_env
	;;
-h|--help|help)
	usage 0
	;;
*)
	echo "lab.sh: unknown command '$cmd'" >&2
	usage 2
	;;
esac
