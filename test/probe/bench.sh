#!/bin/sh
# bench.sh: a short hk-probe --bench runs and prints a row per pattern
# for each backend it measures and a reason for each it skips.  No
# timing is asserted: the machine is shared.
. "${top_srcdir:-.}/test/probe/lib.sh"

backends='lazy touch map_populate populate thp hugetlb'
tap_plan 9

"$hk_probe" --bench --size=16 --reps=1 >"$hk_tmp/out" 2>"$hk_tmp/err"
tap_ok $? "--bench --size=16 --reps=1 exits 0"
for b in $backends; do
	if grep -Eq "^$b +skipped: .+" "$hk_tmp/out"; then
		tap_ok 0 "$b: skipped with a reason: $(sed -n "s/^$b *skipped: //p" "$hk_tmp/out")"
	else
		num='[0-9]+\.[0-9]'
		grep -Eq "^$b +dense +[0-2] +$num" "$hk_tmp/out" &&
			grep -Eq "^$b +sparse +[0-2] +$num" "$hk_tmp/out"
		tap_ok $? "$b: a dense and a sparse row"
	fi
done
grep -Eq '^dense_auto: [a-z_]+ \((agrees|disagrees|not measured)' "$hk_tmp/out"
tap_ok $? "says whether the automatic choice agrees (dense)"
grep -Eq '^sparse_auto: [a-z_]+ \((agrees|disagrees|not measured)' "$hk_tmp/out"
tap_ok $? "says whether the automatic choice agrees (sparse)"
[ -s "$hk_tmp/err" ] && tap_diag "$(cat "$hk_tmp/err")"
tap_diag "$(cat "$hk_tmp/out")"
exit 0
