#!/bin/sh
# fuzz.sh: build the libFuzzer target (test/fuzz/build.sh) and run it for
# HK_FUZZ_SECONDS (20 in make check; make fuzz runs it longer).  On a
# crash the log's tail, with the input in Base64, goes to the TAP output:
# base64 -d >crash, then test/fuzz/fuzz-alloc crash reproduces it.
. "$top_srcdir/test/dropin/tap-lib.sh"
sh "$top_srcdir/test/fuzz/build.sh"
case $? in
0) ;;
77) echo "1..0 # SKIP no clang with libFuzzer (apt-get install clang)"; exit 0 ;;
*) echo "1..1"; echo "not ok 1 - the fuzz target builds with clang"; exit 1 ;;
esac
ok 0 "the fuzz target builds with clang -fsanitize=fuzzer,address,undefined"
make_scratch
secs=${HK_FUZZ_SECONDS:-20}
"$top_builddir/test/fuzz/fuzz-alloc" -max_total_time="$secs" -max_len=700 \
	-timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
	-artifact_prefix="$scratch/" "$scratch" >"$scratch/log" 2>&1
st=$?
grep -E '^stat::number_of_executed_units|ERROR|SUMMARY' "$scratch/log" | sed 's/^/# /'
[ $st -eq 0 ] || tail -40 "$scratch/log" | sed 's/^/# /'
ok $st "hk_malloc/calloc/realloc/aligned_alloc/free under libFuzzer for $secs s: contents, zeroing and alignment hold (exit $st)"
done_testing
