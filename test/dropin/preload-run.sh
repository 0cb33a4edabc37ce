#!/bin/sh
# preload-run.sh: runs the test program a *.preload file stands for
# (test/api/test-api-preload.preload ->
# $top_builddir/test/api/test-api) with
# libhakmem.so preloaded: the drop-in way a program meets hakmem.  The
# program then checks that malloc really is hakmem's (HK_EXPECT_HAKMEM).
# Until the library overrides malloc, the test is skipped, saying so.
t=$1
case $t in
*/test/*) rel=test/${t##*/test/} ;;
*) rel=${t#./} ;;
esac
bin=$top_builddir/${rel%-preload.preload}
name=${rel%-preload.preload}

if ! command -v nm >/dev/null 2>&1; then
	echo "1..0 # SKIP nm not found: cannot tell whether $HK_LIB overrides malloc"
	exit 0
fi
if [ ! -r "$HK_LIB" ]; then
	echo "1..1"
	echo "not ok 1 - $HK_LIB exists (build the library first)"
	exit 1
fi
if ! nm -D --defined-only "$HK_LIB" | grep -qw malloc; then
	echo "1..0 # SKIP $HK_LIB does not define malloc yet (nm -D | grep -w malloc is empty): $name not run under LD_PRELOAD"
	exit 0
fi
HK_EXPECT_HAKMEM=1
LD_PRELOAD=$HK_LIB
export HK_EXPECT_HAKMEM LD_PRELOAD
exec "$bin"
