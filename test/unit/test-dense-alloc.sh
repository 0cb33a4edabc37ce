#!/bin/sh
# test-dense-alloc.sh: promotion of dense memory under HAKMEM_BACKEND=auto
# (lib/os-dense.h), on this kernel and on kernels made to lack THP
# (test/sim/hk-simkernel hides its sysfs directory) or MADV_POPULATE_WRITE
# too (test/sim/hk-seccomp fails it with EINVAL).  Each scenario of
# test-dense-alloc runs in its own process; its TAP lines are renumbered
# into one stream, and a scenario that dies or exits non-zero is a
# failure of its own.
b=${top_builddir:-.}
sim=$b/test/sim/hk-simkernel
seccomp=$b/test/sim/hk-seccomp
prog=$b/test/unit/test-dense-alloc
. "${top_srcdir:-.}/test/unit/scenario.sh"

unset HAKMEM_BACKEND HAKMEM_SS_PREFAULT
# Promotion is asked for (off by default: it calls mincore after start).
HAKMEM_DENSE=1
export HAKMEM_DENSE

# scenario NAME [LAUNCHER...]: NAME run under the launcher.
scenario() {
	name=$1
	shift
	scenario_tap "$name" "$@" "$prog" "$name"
}

# skip NAME WHY: a simulated scenario that cannot run here.
skip() {
	echo "ok 0 # SKIP $1: $2"
}

{
	scenario all
	scenario tenth
	scenario nohuge
	scenario off env HAKMEM_DENSE=0
	scenario release
	if ! "$sim" --thp absent -- true 2>/dev/null; then
		skip populate "no private mount namespace here (hk-simkernel)"
		skip lazy "no private mount namespace here (hk-simkernel)"
	elif ! "$seccomp" --madvise FREE=EINVAL -- true 2>/dev/null; then
		scenario populate "$sim" --thp absent --
		skip lazy "seccomp filters unavailable here"
	else
		scenario populate "$sim" --thp absent --
		scenario lazy "$sim" --thp absent -- "$seccomp" \
			--madvise POPULATE_WRITE=EINVAL --madvise POPULATE_READ=EINVAL --
	fi
} | scenario_renumber
