#!/bin/sh
# sysroot.sh: hk-probe --sysroot on every captured tree matches
# test/expected/<machine>.out.  After a deliberate change to the report
# or the probe, regenerate with `make update-expected` and review the diff.
. "${top_srcdir:-.}/test/probe/lib.sh"

machines=$(hk_fixtures)
if [ -z "$machines" ]; then
	echo "1..0 # SKIP no fixture trees under test/fixtures"
	exit 0
fi
tap_plan $(($(echo $machines | wc -w) * 2))
for m in $machines; do
	hk_sysroot_report "$m" >"$hk_tmp/$m.out" 2>"$hk_tmp/$m.err"
	tap_ok $? "$m: hk-probe --sysroot exits 0"
	want="$hk_srcdir/test/expected/$m.out"
	if [ ! -f "$want" ]; then
		tap_ok 1 "$m: no test/expected/$m.out (make update-expected)"
		continue
	fi
	diff -u "$want" "$hk_tmp/$m.out" >"$hk_tmp/$m.diff"
	tap_ok $? "$m: report matches test/expected/$m.out"
	[ -s "$hk_tmp/$m.diff" ] && tap_diag "$(cat "$hk_tmp/$m.diff")"
done
exit 0
