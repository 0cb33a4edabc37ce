#!/bin/sh
# valgrind.sh: hk-probe is clean under valgrind's memcheck, in its report
# and its --json form: no invalid read or write, no use of uninitialised
# memory, no leak.
. "$top_srcdir/test/dropin/tap-lib.sh"
command -v valgrind >/dev/null || { echo "1..0 # SKIP valgrind is not installed"; exit 0; }
make_scratch
probe=$top_builddir/hk-probe/hk-probe
for args in "" "--json"; do
	valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		"$probe" $args >/dev/null 2>"$scratch/vg.err"
	st=$?
	[ $st -eq 99 ] && sed 's/^/# /' "$scratch/vg.err" | head -30
	ok $((st == 99)) "valgrind memcheck: hk-probe $args is clean (exit $st)"
done
done_testing
