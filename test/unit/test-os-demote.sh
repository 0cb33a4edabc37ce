#!/bin/sh
# test-os-demote.sh: the OS layer's run-time demotion, on kernels made to
# refuse a feature by test/sim/hk-seccomp.  Each scenario of
# test-os-demote runs in its own process under its own filter; its TAP
# lines are renumbered into one stream, and a scenario that dies or exits
# non-zero is a failure of its own.
b=${top_builddir:-.}
seccomp=$b/test/sim/hk-seccomp
prog=$b/test/unit/test-os-demote
. "${top_srcdir:-.}/test/unit/scenario.sh"

if ! "$seccomp" --madvise FREE=EINVAL -- true 2>/dev/null; then
	echo "1..0 # SKIP seccomp filters unavailable here"
	exit 0
fi
unset HAKMEM_BACKEND HAKMEM_SS_PREFAULT

# scenario NAME -- FILTER-OPTIONS...
scenario() {
	name=$1
	shift 2
	scenario_tap "$name" env HAKMEM_VERBOSE=1 "$seccomp" "$@" -- "$prog" "$name"
}

{
	scenario populate -- --madvise POPULATE_WRITE=EINVAL
	scenario hugetlb -- --mmap-flag HUGETLB=ENOMEM
	scenario free -- --madvise FREE=EINVAL
	scenario fallback -- --madvise POPULATE_WRITE=EINVAL --madvise FREE=EINVAL
} | scenario_renumber
