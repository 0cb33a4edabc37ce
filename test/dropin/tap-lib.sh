# tap-lib.sh: TAP for the shell tests of test/dropin (sourced).
#   ok COND-STATUS "description"   -- ok N / not ok N
#   skip "why"                      -- ok N # SKIP why
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
