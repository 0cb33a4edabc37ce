# tap-lib.sh: TAP for the shell tests of test/dropin (sourced).
#   ok COND-STATUS "description"   -- ok N / not ok N
#   skip "why"                      -- ok N # SKIP why
#   ok_unless_bug STATUS IDS "desc"  -- a failure is a TODO while one of the
#                                      hakmem bug IDS is known (known-bugs.txt)
#   done_testing                    -- prints the plan, exits 1 on a failure
#   need_malloc_override [WHAT]     -- skip it all while $HK_LIB has no malloc
#   make_scratch                    -- $scratch, a directory removed on exit
#   run_ok NAME ENV... PROG ARGS    -- ok when PROG exits 0 (needs $scratch;
#                                      its output in $scratch/out, err)
tap_n=0
tap_failed=0

ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

# The ids of hakmem's known bugs: HK_KNOWN_BUGS when set, else the first
# word of each line of test/api/known-bugs.txt.
known_bugs() {
	if [ "${HK_KNOWN_BUGS+set}" = set ]; then
		echo "$HK_KNOWN_BUGS"
	else
		sed -e '/^#/d' -e '/^$/d' -e 's/[ 	].*//' "$top_srcdir/test/api/known-bugs.txt"
	fi
}

ok_unless_bug() {
	if [ "$1" -ne 0 ]; then
		for id in $2; do
			for k in $(known_bugs); do
				if [ "$id" = "$k" ]; then
					tap_n=$((tap_n + 1))
					echo "not ok $tap_n - $3 # TODO hakmem bug $id (test/api/known-bugs.txt)"
					return
				fi
			done
		done
	fi
	ok "$1" "$3"
}

skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

diag() {
	echo "$*" | sed 's/^/# /'
}

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit
}

# Exit with a skip of the whole script unless $HK_LIB defines malloc
# (before the allocator landed it did not; nm -D shows it).
need_malloc_override() {
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
		echo "1..0 # SKIP $HK_LIB does not define malloc yet (nm -D | grep -w malloc is empty)${1:+: $1}"
		exit 0
	fi
}

# A private scratch directory in $scratch, removed on exit.
make_scratch() {
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/hakmem-test.XXXXXX") || exit 99
	trap 'rm -rf "$scratch"' EXIT
}

# run_ok NAME ENV... PROG ARGS: ok when PROG exits 0, its TAP (less the
# ok lines) and stderr as diag if not.
run_ok() {
	run_ok_name=$1
	shift
	env "$@" >"$scratch/out" 2>"$scratch/err"
	run_ok_st=$?
	[ $run_ok_st -eq 0 ] || sed 's/^/# /' "$scratch/out" "$scratch/err" | grep -v '^# ok' | head -40
	ok $run_ok_st "$run_ok_name (exit $run_ok_st)"
}
