#!/bin/sh
# compare.sh: run the benchmark suite under every allocator and write the
# results (make bench runs it).
#
# Every workload runs under glibc, mimalloc, jemalloc, tcmalloc and, when
# its library exports malloc, hakmem, through LD_PRELOAD; within each
# repetition the allocators take turns in an order shuffled anew for each
# workload and repetition, so that load from elsewhere on the machine
# falls on all of them alike, and so does what one run leaves behind for
# the next (a rotation would keep each run's predecessor: see shuffle).  bench/measure gives each run's CPU
# time, peak RSS and minor faults (wait4); bench/report.py turns the raw
# CSV into medians, ratios to mimalloc, the tables of doc/BENCHMARKS.md
# and the chart.  random-mixed also runs, in the same turns, under
# bench/libhkfloor.so (floor.c: a pop and a push, nothing more) and
# without its allocator calls: the floor table says how fast any
# allocator can make that loop run on this machine.
#
# Environment:
#   BENCH_QUICK=1       smaller workloads and 3 runs (a few minutes)
#   BENCH_RUNS=n        repetitions (default 5, 3 when quick)
#   BENCH_CALLGRIND=1   also count instructions per malloc+free (slow)
#   BENCH_ONLY=regex    only the workloads whose name matches
#   BENCH_ALLOCS="glibc mimalloc ..."   a subset of the allocators (and
#                       "floor" for the floor table, which is left out
#                       when the list does not name it)
#   BENCH_OUT=dir       where the CSV, the PNG and BENCHMARKS.md go
#                       (default $top_srcdir/doc)
#   BENCH_TIMEOUT=s     kill a run after s seconds (default 60, 30 when quick)
#   HAKMEM_LIB=path     the hakmem library (default lib/.libs/libhakmem.so)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(dirname "$here")}
top_builddir=${top_builddir:-$top_srcdir}
B=$top_builddir/bench
quick=${BENCH_QUICK:-0}
if [ "$quick" = 1 ]; then
	runs=${BENCH_RUNS:-3} timeout=${BENCH_TIMEOUT:-30}
else
	runs=${BENCH_RUNS:-5} timeout=${BENCH_TIMEOUT:-60}
fi
out=${BENCH_OUT:-$top_srcdir/doc}
csv=$out/bench-raw.csv
hakmem=${HAKMEM_LIB:-$top_builddir/lib/.libs/libhakmem.so}
libdir=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)

say() { printf 'compare: %s\n' "$*" >&2; }

# The first existing file among the arguments.
first_file() {
	for f; do [ -f "$f" ] && { echo "$f"; return 0; }; done
	return 1
}

# The shared object of a Debian peer, from its package list or the usual
# place.
peer_lib() {
	pkg=$1 base=$2
	first_file $(dpkg -L "$pkg" 2>/dev/null | grep "/$base\$") \
		"$libdir/$base" "/usr/local/lib/$base"
}

find_peers() {
	mi=$(peer_lib libmimalloc2.0 libmimalloc.so.2) &&
		je=$(peer_lib libjemalloc2 libjemalloc.so.2) &&
		tc=$(peer_lib libtcmalloc-minimal4 libtcmalloc_minimal.so.4)
}

if ! find_peers; then
	if [ "$(id -u)" = 0 ]; then
		say "installing the missing peers from Debian"
		sh "$top_srcdir/tools/install-deps.sh" >&2 || true
	fi
	find_peers || true
fi

# name=library pairs; glibc is the empty preload.
allocs="glibc="
[ -n "${mi:-}" ] && allocs="$allocs mimalloc=$mi" || say "no mimalloc: ratios need it"
[ -n "${je:-}" ] && allocs="$allocs jemalloc=$je" || say "no jemalloc"
[ -n "${tc:-}" ] && allocs="$allocs tcmalloc=$tc" || say "no tcmalloc"
if [ -f "$hakmem" ] && nm -D --defined-only "$hakmem" 2>/dev/null |
		awk '$3 == "malloc" { f = 1 } END { exit !f }'; then
	allocs="$allocs hakmem=$hakmem"
else
	say "hakmem left out: $hakmem does not export malloc (yet)"
	hakmem=
fi
# The floor of random-mixed (bench/floor.c): an allocator that only
# pops and pushes, which no allocator can beat there by much; with the
# loop's time alone, it says how much of a ratio is within reach.
floor=$B/.libs/libhkfloor.so
[ -f "$floor" ] || { say "no $floor: no random-mixed floor (make bench builds it)"; floor=; }
case " ${BENCH_ALLOCS:-floor} " in *" floor "*) ;; *) floor= ;; esac
if [ -n "${BENCH_ALLOCS:-}" ]; then
	keep=
	for a in $allocs; do
		case " $BENCH_ALLOCS " in *" ${a%%=*} "*) keep="$keep $a" ;; esac
	done
	allocs=$keep
fi

# The workloads: name <tab> threads <tab> full arguments <tab> quick
# arguments.  @LIB@ (startup only) is replaced by the allocator's library
# and the program then runs without a preload of its own.
workloads() {
	cat <<-'EOF'
	random-mixed-1M	1	random-mixed 1000000 256 42	random-mixed 1000000 256 42
	random-mixed-10M	1	random-mixed 10000000 256 42	random-mixed 10000000 256 42
	random-mixed-warm	1	random-mixed 1000000 256 42 1000000	random-mixed 1000000 256 42 1000000
	larson-1t	1	larson 1 30 1000000 1000 8 1000	larson 1 10 200000 1000 8 1000
	larson-2t	2	larson 2 30 500000 1000 8 1000	larson 2 10 100000 1000 8 1000
	xmalloc-1p	2	xmalloc 1 5000000	xmalloc 1 1000000
	xmalloc-2p	4	xmalloc 2 5000000	xmalloc 2 500000
	cache-thrash-1t	1	cache thrash 1 1000000 100 8	cache thrash 1 100000 100 8
	cache-thrash-2t	2	cache thrash 2 1000000 100 8	cache thrash 2 100000 100 8
	cache-scratch-1t	1	cache scratch 1 1000000 100 8	cache scratch 1 100000 100 8
	cache-scratch-2t	2	cache scratch 2 1000000 100 8	cache scratch 2 100000 100 8
	tight-loop-1t	1	tight-loop 1 400000 100	tight-loop 1 50000 100
	tight-loop-2t	2	tight-loop 2 200000 100	tight-loop 2 50000 100
	mstress-1t	1	mstress 1 30 1000000	mstress 1 10 200000
	mstress-2t	2	mstress 2 30 500000	mstress 2 10 100000
	alloc-test-1t	1	alloc-test 1 3000 100	alloc-test 1 200 100
	alloc-test-2t	2	alloc-test 2 1500 100	alloc-test 2 100 100
	realloc-growth	1	realloc-growth 1000	realloc-growth 100
	large	1	large 100 4 42	large 30 4 42
	frag	1	frag 1024 42	frag 256 42
	fresh-touch-all	1	fresh-touch 1024 64 100	fresh-touch 256 64 100
	fresh-touch-10pct	1	fresh-touch 1024 64 10	fresh-touch 256 64 10
	startup	1	startup 1000 @TINY@ @LIB@	startup 200 @TINY@ @LIB@
	EOF
}

# The workloads of the backend table.
backend_workloads='^(random-mixed-1M|larson-2t|large|frag|fresh-touch-all|fresh-touch-10pct)$'
backends="lazy touch map_populate populate thp hugetlb auto"

# Runs one workload once and appends a CSV row.
# run_one table rep name threads alloc lib backend args...
run_one() {
	table=$1 rep=$2 name=$3 threads=$4 alloc=$5 lib=$6 backend=$7
	shift 7
	set -- $(printf '%s\n' "$*" | sed "s|@TINY@|$B/tiny|; s|@LIB@|${lib:-none}|")
	pre=$lib
	[ "$1" = startup ] && pre=
	env=
	[ -n "$backend" ] && env="-e HAKMEM_BACKEND=$backend"
	prog=$1
	shift
	# A run that hung once is not tried again in later repetitions.
	key="$table $name $alloc $backend"
	grep -qxF "$key" "$hung" && return 0
	res=$("$B/measure" -p "$pre" -t "$timeout" $env -- "$B/$prog" "$@" 2>/dev/null) ||
		res="status=measure-failed"
	case $res in *status=timeout*) echo "$key" >>"$hung" ;; esac
	printf '%s\n' "$res" | tr ' ' '\n' | awk -F= -v head="$table,$rep,$name,$threads,$alloc,$backend" '
		/=/ { k = $1; v = substr($0, length(k) + 2)
		      if (k ~ /^(seconds|ops|backend|cpu_s|wall_s|maxrss_kb|minflt|status)$/) f[k] = v
		      else if (k != "ops_per_s") extra = extra (extra ? ";" : "") k "=" v }
		END { if (f["status"] != "0") print "compare: " head ": status " f["status"] > "/dev/stderr"
		      print head "," f["backend"] "," f["seconds"] "," f["ops"] "," f["cpu_s"] "," \
			    f["wall_s"] "," f["maxrss_kb"] "," f["minflt"] "," f["status"] "," extra }' >>"$csv"
}

# Prints the words of $2 in an order drawn from the seed $1 (Fisher-Yates
# over awk's rand, so a rerun takes the same turns).  Not a rotation:
# that keeps each run's predecessor, and the state it leaves behind came
# to the same neighbour every time (a thp run after the other one, which
# had just compacted memory for it, took 0.2 s where the same run after a
# gigabyte of 4 KiB pages took 1.2 s).
shuffle() {
	printf '%s\n' $2 | awk -v seed="$1" '
		BEGIN { srand(seed) }
		{ w[NR] = $0 }
		END {
			for (i = NR; i > 1; i--) {
				j = int(rand() * i) + 1
				t = w[i]; w[i] = w[j]; w[j] = t
			}
			for (i = 1; i <= NR; i++)
				printf "%s ", w[i]
		}'
}

# Calls "$fn rep name threads args..." for every repetition and every
# workload whose name matches both regexes; sets w to the workload's
# index, for the seed of the shuffle.  for_workloads regex fn
for_workloads() {
	rep=1
	while [ $rep -le "$runs" ]; do
		w=0
		workloads | while IFS='	' read -r name threads full quickargs; do
			w=$((w + 1))
			printf '%s\n' "$name" | grep -Eq "$1" || continue
			printf '%s\n' "$name" | grep -Eq "${BENCH_ONLY:-.}" || continue
			[ "$quick" = 1 ] && args=$quickargs || args=$full
			$2 "$rep" "$name" "$threads" $args
		done
		rep=$((rep + 1))
	done
}

# The arguments of a random-mixed run that does the same steps without
# calling the allocator (its warm-up argument, then null = 1).
loop_args() {
	if [ $# -ge 5 ]; then echo "$@" 1; else echo "$@" 0 1; fi
}

# Every allocator in turn, in a shuffled order; random-mixed also under
# the floor allocator and without allocator calls, in the same turns
# (the floor table).
main_one() {
	r=$1 n=$2 t=$3
	shift 3
	say "run $r/$runs: $n"
	turn=$allocs
	case $n in random-mixed*) [ -z "$floor" ] || turn="$turn floor=$floor loop=" ;; esac
	for a in $(shuffle $((r * 100 + w)) "$turn"); do
		case ${a%%=*} in
		floor) run_one floor "$r" "$n" "$t" floor "$floor" "" "$@" ;;
		loop) run_one floor "$r" "$n" "$t" loop "" "" $(loop_args "$@") ;;
		*) run_one main "$r" "$n" "$t" "${a%%=*}" "${a#*=}" "" "$@" ;;
		esac
	done
}

# hakmem under every backend in turn, in a shuffled order.
backend_one() {
	r=$1 n=$2 t=$3
	shift 3
	say "backends $r/$runs: $n"
	for b in $(shuffle $((r * 100 + w + 50)) "$backends"); do
		run_one backend "$r" "$n" "$t" hakmem "$hakmem" "$b" "$@"
	done
}

# Instructions (callgrind Ir) of random-mixed with n steps: the "totals"
# line of the output file.  callgrind_ir lib n null
callgrind_ir() {
	f=$(mktemp)
	env ${1:+LD_PRELOAD=$1} timeout $((timeout * 10)) valgrind --tool=callgrind --callgrind-out-file="$f" \
		"$B/random-mixed" "$2" 256 42 0 "$3" >"$f.out" 2>/dev/null
	ir=$(awk '/^(totals|summary):/ { print $2; exit }' "$f")
	m=$(tr ' ' '\n' <"$f.out" | sed -n 's/^mallocs=//p')
	rm -f "$f" "$f.out"
	echo "$ir $m"
}

# Instructions per malloc+free pair: the difference between a long and a
# short run (start-up cancels), less the same difference with the
# allocator calls left out (the loop's own work cancels).
callgrind_table() {
	[ "${BENCH_CALLGRIND:-0}" = 1 ] || return 0
	command -v valgrind >/dev/null || { say "no valgrind: no instruction counts"; return 0; }
	n1=200000 n2=1000000
	set -- $(callgrind_ir "" $n1 1) $(callgrind_ir "" $n2 1)
	loop=$(($3 - $1))
	for a in $allocs ${floor:+floor=$floor}; do
		say "callgrind: ${a%%=*}"
		set -- $(callgrind_ir "${a#*=}" $n1 0) $(callgrind_ir "${a#*=}" $n2 0)
		if [ $# -ne 4 ] || [ "$4" -le "$2" ]; then
			say "callgrind: ${a%%=*} failed"
			continue
		fi
		pairs=$(($4 - $2))
		per=$(((($3 - $1) - loop) / pairs))
		# table..alloc, backend_req..minflt empty, status, extra
		echo "callgrind,1,random-mixed,1,${a%%=*},,,,,,,,,0,ir_per_pair=$per;ir_loop_per_step=$((loop / (n2 - n1)))" >>"$csv"
	done
}

for p in measure startup tiny random-mixed; do
	[ -x "$B/$p" ] || { say "$B/$p missing: run make bench"; exit 1; }
done
mkdir -p "$out"
hung=$(mktemp)
trap 'rm -f "$hung"' EXIT
echo "table,rep,workload,threads,alloc,backend_req,backend,seconds,ops,cpu_s,wall_s,maxrss_kb,minflt,status,extra" >"$csv"
say "allocators: $(for a in $allocs; do printf '%s ' "${a%%=*}"; done)runs: $runs quick: $quick"
start=$(date +%s)
for_workloads . main_one
[ -z "$hakmem" ] || for_workloads "$backend_workloads" backend_one
callgrind_table
say "done in $(($(date +%s) - start)) s; raw numbers in $csv"

cmd="make bench"
[ "$quick" = 1 ] && cmd="BENCH_QUICK=1 $cmd"
[ -n "${BENCH_RUNS:-}" ] && cmd="BENCH_RUNS=$BENCH_RUNS $cmd"
[ "${BENCH_CALLGRIND:-0}" = 1 ] && cmd="BENCH_CALLGRIND=1 $cmd"
[ -n "${HAKMEM_LIB:-}" ] && cmd="HAKMEM_LIB=$HAKMEM_LIB $cmd"
python3 "$here/report.py" --csv "$csv" --md "$out/BENCHMARKS.md" \
	--png "$out/bench-ratios.png" --command "$cmd" --runs "$runs" \
	--quick "$quick" --seconds $(($(date +%s) - start))
