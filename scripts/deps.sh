#!/bin/sh
# Install the Debian packages omr-steer needs that are missing; idempotent,
# never prompts.  Usage: scripts/deps.sh build|test|all
set -eu

# clang-19 llvm-19: the newest clang Debian 12 has (scripts/clang.sh picks
# it); clang-16 llvm-16: the oldest one the BPF build supports, built and
# loaded by test_build_clang so that it keeps working; libmnl-dev: src/nl.c
build_pkgs="make gcc clang-19 llvm-19 clang-16 llvm-16 libbpf-dev bpftool libelf-dev zlib1g-dev libmnl-dev pkg-config"
run_pkgs="iproute2 nftables procps util-linux kmod"
# socat: test_tcp_rtt; man-db: the man page test; systemd: systemd-analyze
# verify of the unit; libclang-rt-19-dev: ASan/UBSan and libFuzzer for clang-19;
# qemu-system-x86: make vmtest; prometheus: for promtool (check metrics),
# 19 MB download, 96 MB installed; curl: the /metrics scrape; tmux: the
# operator's 80x24 terminal of test_top
test_pkgs="$run_pkgs iputils-ping bc jq socat man-db systemd libclang-rt-19-dev qemu-system-x86 prometheus curl tmux"

case "${1:-all}" in
build) want="$build_pkgs" ;;
test)  want="$build_pkgs $test_pkgs" ;;
all)   want="$build_pkgs $test_pkgs" ;;
*) echo "usage: $0 build|test|all" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "Error: missing Debian packages:$missing; run 'make deps' as root" >&2
	exit 1
fi
echo "Installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Update the package lists once, unless they are fresh (< 1 day).
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then
	apt-get update -qq
fi
# shellcheck disable=SC2086
apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends $missing >/dev/null
# The prometheus package is here for its promtool only: do not leave a
# Prometheus server enabled (listening on :9090) on the developer's machine.
case " $missing " in
*" prometheus "*)
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now prometheus prometheus-node-exporter >/dev/null 2>&1 || true
	fi ;;
esac
