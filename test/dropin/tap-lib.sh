# tap-lib.sh: TAP for the shell tests of test/dropin (sourced).
#   ok COND-STATUS "description"   -- ok N / not ok N
#   skip "why"                      -- ok N # SKIP why
#   ok_unless_bug STATUS IDS "desc"  -- a failure is a TODO while one of the
#                                      hakmem bug IDS is known (known-bugs.txt)
#   done_testing                    -- prints the plan, exits 1 on a failure
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

# A private scratch directory, removed on exit.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/hakmem-test.XXXXXX") || exit 99
trap 'rm -rf "$scratch"' EXIT
