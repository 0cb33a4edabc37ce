#!/bin/sh
# build.sh: build the libFuzzer target test/fuzz/fuzz-alloc with clang
# from the allocator's sources (every lib/ and probe/ source but the
# malloc-family override), with
# -fsanitize=fuzzer,address,undefined.  Needs top_srcdir and
# top_builddir (for config.h); CLANG overrides the compiler.
# Exit 77 when no clang with libFuzzer is found.
set -e
clang=${CLANG:-clang}
out=$top_builddir/test/fuzz/fuzz-alloc
command -v "$clang" >/dev/null 2>&1 || exit 77
srcs=
for f in "$top_srcdir"/lib/*.c "$top_srcdir"/probe/*.c; do
	case ${f##*/} in
	override.c) ;;
	*) srcs="$srcs $f" ;;
	esac
done
newest=$(ls -t $srcs "$top_srcdir"/lib/*.h "$top_srcdir"/probe/*.h \
	"$top_srcdir/test/fuzz/fuzz-alloc.c" "$out" 2>/dev/null | head -1)
[ "$newest" = "$out" ] && exit 0
mkdir -p "$top_builddir/test/fuzz"
# shellcheck disable=SC2086
"$clang" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-include "$top_builddir/config.h" -I"$top_srcdir" \
	-o "$out.tmp" "$top_srcdir/test/fuzz/fuzz-alloc.c" $srcs -lpthread 2>"$out.errors" || {
	# A clang without the libFuzzer runtime is a missing tool, not a failure.
	grep -q 'libclang_rt.fuzzer\|cannot find.*fuzzer' "$out.errors" && exit 77
	cat "$out.errors" >&2
	exit 1
}
mv "$out.tmp" "$out"
rm -f "$out.errors"
