#!/bin/sh
# preload-run.sh: the LOG_COMPILER of the *.preload tests.  It runs the
# program a .preload file stands for (test/api/test-api-preload.preload
# stands for $top_builddir/test/api/test-api) with libhakmem.so
# preloaded, the drop-in way a program meets hakmem; HK_EXPECT_HAKMEM
# makes the program check that its malloc really is hakmem's.
. "$top_srcdir/test/dropin/tap-lib.sh"
case $1 in
*/test/*) rel=test/${1##*/test/} ;;
*) rel=${1#./} ;;
esac
name=${rel%-preload.preload}
need_malloc_override "$name not run under LD_PRELOAD"
HK_EXPECT_HAKMEM=1
LD_PRELOAD=$HK_LIB
export HK_EXPECT_HAKMEM LD_PRELOAD
exec "$top_builddir/$name"
