#!/bin/sh
# soak.sh: test/soak/soak under LD_PRELOAD of libhakmem.so for
# HK_SOAK_SECONDS (60 in make check, 600 by make soak), then the same
# program under glibc's malloc for a tenth of the time, which shows the
# program itself is right.  A hang is caught by the time bound around it.
. "$top_srcdir/test/dropin/tap-lib.sh"
need_malloc_override "the soak runs under LD_PRELOAD"
secs=${HK_SOAK_SECONDS:-60}
prog=$top_builddir/test/soak/soak
bound=$((secs + 120))
out=$(LD_PRELOAD=$HK_LIB timeout -k 5 "$bound" "$prog" "$secs" 2>&1)
rc=$?
echo "$out" | sed 's/^/# hakmem: /'
ok $rc "soak under hakmem, $secs s: no abort, hang, corruption or leak (exit $rc)"
gsecs=$((secs / 10 > 5 ? secs / 10 : 5))
out=$(timeout -k 5 $((gsecs + 120)) "$prog" "$gsecs" 2>&1)
rc=$?
echo "$out" | sed 's/^/# glibc: /'
ok $rc "the same soak under glibc, $gsecs s (exit $rc)"
done_testing
