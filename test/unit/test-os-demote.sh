#!/bin/sh
# test-os-demote.sh: the OS layer's run-time demotion, on kernels made to
# refuse a feature by test/sim/hk-seccomp.  Each scenario of
# test-os-demote runs in its own process under its own filter; its TAP
# lines are renumbered into one stream, and a scenario that dies or exits
# non-zero is a failure of its own.
b=${top_builddir:-.}
seccomp=$b/test/sim/hk-seccomp
prog=$b/test/unit/test-os-demote

if ! "$seccomp" --madvise FREE=EINVAL -- true 2>/dev/null; then
	echo "1..0 # SKIP seccomp filters unavailable here"
	exit 0
fi
unset HAKMEM_BACKEND HAKMEM_SS_PREFAULT

# scenario NAME -- FILTER-OPTIONS...
scenario() {
	name=$1
	shift 2
	out=$(HAKMEM_VERBOSE=1 "$seccomp" "$@" -- "$prog" "$name" 2>&1)
	status=$?
	# Its plan goes (the script counts), its messages become comments.
	printf '%s\n' "$out" | grep -v '^1\.\.[0-9]' | sed 's/^hakmem:/# hakmem:/'
	if [ $status -eq 0 ]; then
		echo "ok 0 - scenario $name exited cleanly"
	else
		echo "not ok 0 - scenario $name exited with status $status"
	fi
}

{
	scenario populate -- --madvise POPULATE_WRITE=EINVAL
	scenario hugetlb -- --mmap-flag HUGETLB=ENOMEM
	scenario free -- --madvise FREE=EINVAL
} | awk '/^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) } { print } END { print "1.." n }'
