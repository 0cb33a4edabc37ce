#!/bin/sh
# hardening.sh: what the hardened free list costs (issue: within 3%).
#
# Runs the small-block workloads under libhakmem and under
# bench/libhakmem-unhardened (the same sources built with -DHK_UNHARDENED:
# next pointers stored in the clear, no check of the popped head; see
# lib/internal.h hk_enc), alternating, BENCH_RUNS times (default 7), and
# prints the median CPU time of each and the ratio hardened / unhardened
# as a markdown table.  `make bench-hardening` builds both and runs it; it
# is not part of make check or make bench.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(dirname "$here")}
top_builddir=${top_builddir:-$top_srcdir}
B=$top_builddir/bench
runs=${BENCH_RUNS:-7}
hard=${HAKMEM_LIB:-$top_builddir/lib/.libs/libhakmem.so}
soft=$B/.libs/libhakmem-unhardened.so
raw=$(mktemp /tmp/hk-hardening.XXXXXX)
trap 'rm -f "$raw"' EXIT

workloads='random-mixed 1000000 256 42
random-mixed 10000000 256 42
tight-loop 1 400000 100
larson 1 30 1000000 1000 8 1000
xmalloc 1 5000000
mstress 1 30 1000000'

i=0
while [ $i -lt "$runs" ]; do
	printf '%s\n' "$workloads" | while read -r w; do
		# Alternate which library goes first.
		if [ $((i % 2)) = 0 ]; then order="hard soft"; else order="soft hard"; fi
		for which in $order; do
			[ $which = hard ] && lib=$hard || lib=$soft
			# shellcheck disable=SC2086
			cpu=$("$B/measure" -p "$lib" -t 120 -- "$B/"$w 2>/dev/null |
				tr ' ' '\n' | sed -n 's/^cpu_s=//p')
			printf '%s|%s|%s\n' "$w" "$which" "$cpu" >>"$raw"
		done
	done
	i=$((i + 1))
done

echo "| workload | hardened CPU s | unhardened CPU s | hardened / unhardened |"
echo "|---|---:|---:|---:|"
printf '%s\n' "$workloads" | while read -r w; do
	med() { grep -F "$w|$1|" "$raw" | cut -d'|' -f3 | sort -g |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
	h=$(med hard) s=$(med soft)
	awk -v w="$w" -v h="$h" -v s="$s" 'BEGIN { printf "| %s | %.4f | %.4f | %.3f |\n", w, h, s, h / s }'
done
