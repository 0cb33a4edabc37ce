#!/bin/sh
# disabled.sh: HAKMEM_ENABLED=0 under LD_PRELOAD runs the program on
# glibc's malloc, as if libhakmem.so were not loaded (doc/hakmem.7).
# test-disabled checks the blocks are glibc's and that every entry point
# works, and, with hakmem left on, that the same checks see hakmem; the
# API conformance test runs forwarded as it runs on glibc; HAKMEM_STATS
# has nothing to report, and a real program runs.
. "$top_srcdir/test/dropin/tap-lib.sh"
need_malloc_override "HAKMEM_ENABLED=0 not tested"
make_scratch
prog=$top_builddir/test/api/test-disabled

run_ok "HAKMEM_ENABLED=0: blocks are glibc's, every entry point works" \
	HAKMEM_ENABLED=0 HAKMEM_STATS=1 LD_PRELOAD="$HK_LIB" "$prog" glibc
grep -q '^Arena 0:' "$scratch/err"
ok $? "HAKMEM_ENABLED=0: malloc_stats is glibc's (Arena 0:)"
! grep -q '^hakmem:' "$scratch/err"
ok $? "HAKMEM_ENABLED=0: HAKMEM_STATS=1 prints nothing of hakmem's"
[ -s "$scratch/err" ] && grep '^hakmem:' "$scratch/err" | head -5 | sed 's/^/# /'

run_ok "HAKMEM_ENABLED unset: the same checks see hakmem" \
	HAKMEM_STATS=1 LD_PRELOAD="$HK_LIB" "$prog" hakmem
grep -q '^hakmem: superslabs: new [1-9]' "$scratch/err"
ok $? "HAKMEM_ENABLED unset: HAKMEM_STATS=1 counts hakmem's superslabs"

run_ok "HAKMEM_ENABLED=1: hakmem" HAKMEM_ENABLED=1 LD_PRELOAD="$HK_LIB" "$prog" hakmem

HAKMEM_ENABLED=0 HAKMEM_VERBOSE=1 LD_PRELOAD="$HK_LIB" "$prog" glibc >/dev/null 2>"$scratch/err"
grep -q "^hakmem: HAKMEM_ENABLED=0: glibc's malloc serves this process" "$scratch/err"
ok $? "HAKMEM_ENABLED=0 HAKMEM_VERBOSE=1 says glibc serves, and nothing of the probe"
grep -q '^hakmem: backend' "$scratch/err" && tap_failed=$((tap_failed + 1)) &&
	echo "not ok $((tap_n += 1)) - the probe ran although hakmem is off"

# The conformance test, its allocator hakmem's entry points forwarding
# to glibc: glibc's known deviations are TODO there (HK_EXPECT_GLIBC).
run_ok "test-api under HAKMEM_ENABLED=0 passes as on glibc" \
	HAKMEM_ENABLED=0 HK_EXPECT_GLIBC=1 LD_PRELOAD="$HK_LIB" \
	"$top_builddir/test/api/test-api"
grep -q 'allocator under test: libhakmem.so, forwarding to glibc' "$scratch/out"
ok $? "test-api tested libhakmem.so's entry points"

# A real program, and its children (the variable is inherited).
out=$(HAKMEM_ENABLED=0 LD_PRELOAD="$HK_LIB" sh -c 'seq 1 20000 | sort -rn | sed -n 1p' 2>&1)
[ "$out" = 20000 ]
ok $? "sh, seq, sort and sed run with HAKMEM_ENABLED=0 (got: $out)"

done_testing
