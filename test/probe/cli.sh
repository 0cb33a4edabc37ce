#!/bin/sh
# cli.sh: hk-probe's options and exit codes (hk-probe(1), EXIT STATUS).
. "${top_srcdir:-.}/test/probe/lib.sh"

tap_plan 15

"$hk_probe" -V >"$hk_tmp/out" 2>"$hk_tmp/err"
tap_ok $? "-V exits 0"
grep -q '^hk-probe (hakmem) [0-9]' "$hk_tmp/out" && grep -Eq '^[+-]LIBCAP_NG ' "$hk_tmp/out"
tap_ok $? "-V prints the version and the feature line"

"$hk_probe" --help >"$hk_tmp/out" 2>"$hk_tmp/err"
tap_ok $? "--help exits 0"
grep -q '^Usage: hk-probe' "$hk_tmp/out" && [ ! -s "$hk_tmp/err" ]
tap_ok $? "--help goes to stdout"

"$hk_probe" --no-such-option >"$hk_tmp/out" 2>"$hk_tmp/err"
rc=$?
[ "$rc" -eq 1 ]
tap_ok $? "a bad option exits 1 (got $rc)"
[ -s "$hk_tmp/err" ] && [ ! -s "$hk_tmp/out" ]
tap_ok $? "a bad option is reported on stderr only"

"$hk_probe" --sysroot "$hk_tmp/absent" >"$hk_tmp/out" 2>"$hk_tmp/err"
rc=$?
[ "$rc" -eq 1 ]
tap_ok $? "--sysroot on a missing directory exits 1 (got $rc)"

"$hk_probe" --time=0 >/dev/null 2>&1
rc=$?
[ "$rc" -eq 1 ]
tap_ok $? "--time=0 is a usage error (got $rc)"

if [ -w /dev/full ]; then
	"$hk_probe" >/dev/full 2>"$hk_tmp/err"
	rc=$?
	[ "$rc" -ne 0 ] && grep -q 'write error' "$hk_tmp/err"
	tap_ok $? "report to /dev/full fails (exit $rc)"
	"$hk_probe" --version >/dev/full 2>/dev/null
	rc=$?
	[ "$rc" -ne 0 ]
	tap_ok $? "--version to /dev/full fails (exit $rc)"
else
	tap_skip "no writable /dev/full"
	tap_skip "no writable /dev/full"
fi

"$hk_probe" --time=5 >"$hk_tmp/out" 2>"$hk_tmp/err"
tap_ok $? "--time=5 exits 0"
grep -Eq '^[0-9]+(\.[0-9]+)?$' "$hk_tmp/out"
tap_ok $? "--time prints a number of microseconds: $(cat "$hk_tmp/out")"

"$hk_probe" --backend >"$hk_tmp/out" 2>"$hk_tmp/err"
tap_ok $? "--backend exits 0"
grep -Eqx 'lazy|touch|map_populate|populate|thp|hugetlb' "$hk_tmp/out" &&
	[ "$(wc -l <"$hk_tmp/out")" -eq 1 ]
tap_ok $? "--backend prints one backend name: $(cat "$hk_tmp/out")"

# Least privilege (hk-probe(1), CAPABILITIES): as root with libcap-ng it
# keeps only the two capabilities the probe reports.
if [ "$(id -u)" != 0 ]; then
	tap_skip "not root: nothing to drop"
elif ! "$hk_probe" -V | grep -q '+LIBCAP_NG'; then
	tap_skip "built without libcap-ng: nothing is dropped"
else
	"$hk_probe" >"$hk_tmp/out" 2>&1
	grep -Eq '^  info  hk_probe_kept: (CAP_IPC_LOCK ?)?(CAP_SYS_ADMIN)? \(all other' "$hk_tmp/out"
	tap_ok $? "as root it drops all but CAP_IPC_LOCK and CAP_SYS_ADMIN: $(sed -n 's/^ *info *hk_probe_kept: //p' "$hk_tmp/out")"
fi
