#!/bin/sh
# Print the path of the clang that compiles BPF programs: $CLANG when set,
# else the newest Debian clang installed (Debian 12: clang-19; 18, 17 and 16
# work too), else plain `clang`.  The Makefile (CLANG), the sanitizer build
# and the VM tests that compile their own BPF objects all ask this script.
#   scripts/clang.sh            the clang
#   scripts/clang.sh --strip    the llvm-strip of the same LLVM version
# Exit status 1, with a message on stderr, when there is none.
set -u
if [ -n "${CLANG:-}" ]; then
	clang=$(command -v "$CLANG") ||
		{ echo "$0: CLANG=$CLANG is not an executable; unset it or run 'make deps'" >&2; exit 1; }
else
	clang=
	for v in 19 18 17 16; do
		clang=$(command -v "clang-$v") && break
	done
	[ -n "$clang" ] || clang=$(command -v clang) ||
		{ echo "$0: no clang-19, 18, 17, 16 or clang; run 'make deps' (scripts/deps.sh installs clang-19)" >&2; exit 1; }
fi
[ "${1:-}" = --strip ] || { echo "$clang"; exit 0; }

# clang-16 or a full path: llvm-strip-16 when installed, else llvm-strip
major=$("$clang" -dumpversion 2>/dev/null | cut -d. -f1)
command -v "llvm-strip-$major" 2>/dev/null || command -v llvm-strip ||
	{ echo "$0: no llvm-strip-$major or llvm-strip for $clang; run 'make deps'" >&2; exit 1; }
