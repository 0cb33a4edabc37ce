# lib.sh: TAP from shell for test/probe/*.sh (sourced, not a test).
#   tap_plan N; tap_ok STATUS "what"; tap_skip "why"; tap_diag "text"
# STATUS is an exit status: 0 passes.  The tests run hk-probe from the
# build tree with every HAKMEM_* variable removed from the environment,
# so the Options and Decision sections do not depend on the caller.

tap_n=0
hk_probe="${top_builddir:-.}/hk-probe/hk-probe"
hk_srcdir="${top_srcdir:-.}"
hk_tmp=$(mktemp -d "${TMPDIR:-/tmp}/hk-probe-test.XXXXXX") || exit 99
trap 'rm -rf "$hk_tmp"' EXIT

for hk_v in $(env | sed -n 's/^\(HAKMEM_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$hk_v"
done

tap_plan() { echo "1..$1"; }
tap_diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
tap_ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
	fi
}
tap_skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
}

# The fixture trees (test/fixtures/<machine>/) and the command whose
# output test/expected/<machine>.out holds; update-expected.sh rewrites
# them with the same command.
hk_fixtures() {
	# A machine's tree has a proc/ (test/fixtures/conf holds files).
	for d in "$hk_srcdir"/test/fixtures/*/; do
		[ -d "$d/proc" ] && basename "$d"
	done
}
hk_sysroot_report() {
	"$hk_probe" --sysroot "$hk_srcdir/test/fixtures/$1"
}
