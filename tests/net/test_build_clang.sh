#!/usr/bin/env bash
# Which clang builds the BPF programs: scripts/clang.sh picks the newest
# installed (clang-19, 18, 17, 16, then clang) and the llvm-strip of the same
# version; CLANG= overrides it, in the environment and on make's command
# line; the BPF programs compile with -Werror under the chosen clang and
# under clang-16 when it is installed, and switching between them rebuilds.  No network: it only builds, into a
# scratch folder.  Prints one "PASS/FAIL/SKIP clang_<check>" line per check.
set -u
cd "$(dirname "$0")/../.." || exit 1

work=$(mktemp -d /tmp/omr-clang.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT

pass() { echo "PASS clang_$1"; }
fail() { echo "FAIL clang_$1: $2"; }
skip() { echo "SKIP clang_$1: $2"; }
major() { "$1" -dumpversion 2>/dev/null | cut -d. -f1; }

# ---- the newest one installed -----------------------------------------------
newest=
for v in 16 17 18 19; do command -v "clang-$v" >/dev/null && newest=$v; done
if ! got=$(env -u CLANG scripts/clang.sh 2>"$work/err"); then
	fail newest "scripts/clang.sh found no clang: $(cat "$work/err")"
elif [ -z "$newest" ]; then
	skip newest "no clang-16 to clang-19 installed (scripts/clang.sh chose $got)"
elif [ "$(major "$got")" != "$newest" ]; then
	fail newest "scripts/clang.sh chose $got (clang $(major "$got")), but clang-$newest is installed"
else
	pass newest
fi

# ---- llvm-strip of the same version ----------------------------------------
if strip=$(env -u CLANG scripts/clang.sh --strip 2>"$work/err"); then
	case "$strip" in
	*-"$(major "$got")" | */llvm-strip) pass strip_matches ;;
	*) fail strip_matches "clang $got but $strip" ;;
	esac
else
	fail strip_matches "scripts/clang.sh --strip: $(cat "$work/err")"
fi

# ---- CLANG= overrides it ----------------------------------------------------
if command -v clang-16 >/dev/null && [ "$newest" != 16 ]; then
	c=$(CLANG=clang-16 scripts/clang.sh); s=$(CLANG=clang-16 scripts/clang.sh --strip)
	if [ "$c" = "$(command -v clang-16)" ] && [[ "$s" == *llvm-strip-16 ]]; then
		pass override_env
	else
		fail override_env "CLANG=clang-16: scripts/clang.sh gave '$c' and '$s'"
	fi
	# make 4.3's $(shell) does not see command-line variables: the Makefile passes CLANG on
	cmds=$(env -u CLANG make -s -n BUILD="$work/b" CLANG=clang-16 "$work/b/steer.bpf.o" 2>&1)
	if grep -q '^clang-16 .*-target bpf.*-Werror' <<< "$cmds" && grep -q 'llvm-strip-16 -g' <<< "$cmds"; then
		pass override_make
	else
		fail override_make "make CLANG=clang-16 would run: $(grep -E 'clang|strip' <<< "$cmds" | tr '\n' ';')"
	fi
else
	skip override_env "clang-16 is not installed beside a newer clang"
	skip override_make "clang-16 is not installed beside a newer clang"
fi
if CLANG=no-such-clang scripts/clang.sh >/dev/null 2>"$work/err"; then
	fail override_missing "CLANG=no-such-clang: scripts/clang.sh succeeded"
elif grep -q 'CLANG=no-such-clang' "$work/err"; then
	pass override_missing
else
	fail override_missing "CLANG=no-such-clang: the message does not name it: $(cat "$work/err")"
fi

# ---- the BPF programs build with -Werror -------------------------------------
# (in one build folder: switching the clang rebuilds them)
objs=()
for f in bpf/*.bpf.c; do objs+=("$work/b/$(basename "$f" .c).o"); done
sums() { cat "${objs[@]}" 2>/dev/null | md5sum; }
build() { # build NAME [CLANG=...]
	local name=$1; shift
	if env -u CLANG make -s BUILD="$work/b" "$@" "${objs[@]}" > "$work/make.log" 2>&1 &&
		! grep -q 'warning:' "$work/make.log"; then
		pass "$name"
	else
		fail "$name" "$(grep -m 3 -E 'error|warning' "$work/make.log" | tr '\n' ';')"
	fi
}
build bpf_builds_newest
if command -v clang-16 >/dev/null && [ "$newest" != 16 ]; then
	first=$(sums)
	build bpf_builds_clang16 CLANG=clang-16
	old=$(sums)
	build bpf_builds_newest_again
	if [ "$old" = "$first" ]; then
		fail rebuilt_on_switch "make CLANG=clang-16 kept the objects of $got"
	elif [ "$(sums)" != "$first" ]; then
		fail rebuilt_on_switch "make after make CLANG=clang-16 did not rebuild the objects with $got"
	else
		pass rebuilt_on_switch
	fi
else
	skip bpf_builds_clang16 "clang-16 is not installed beside a newer clang"
fi
