#!/bin/sh
# test-dropin.sh: real programs with libhakmem.so preloaded must behave
# exactly as without it: same stdout, same stderr, same exit status.
# bash, coreutils sort on a few MB, python3 and perl with large hashes,
# and a C++ program (new/delete, std::map<std::string>, std::vector).
. "$top_srcdir/test/dropin/tap-lib.sh"
d="$top_srcdir/test/dropin"
unset HAKMEM_VERBOSE HAKMEM_STATS

need_malloc_override
make_scratch

# same NAME CMD...: run CMD plain and preloaded, compare everything.
same() {
	name=$1
	shift
	"$@" >"$scratch/plain.out" 2>"$scratch/plain.err"
	st_plain=$?
	env LD_PRELOAD="$HK_LIB" "$@" >"$scratch/hk.out" 2>"$scratch/hk.err"
	st_hk=$?
	if [ $st_plain -ne $st_hk ]; then
		diag "exit status $st_plain plain, $st_hk preloaded"
		diag "$(tail -5 "$scratch/hk.err")"
		ok 1 "$name: same exit status"
		return
	fi
	if ! cmp -s "$scratch/plain.err" "$scratch/hk.err"; then
		diag "$(diff "$scratch/plain.err" "$scratch/hk.err" | head -10)"
		ok 1 "$name: same stderr"
		return
	fi
	cmp -s "$scratch/plain.out" "$scratch/hk.out"
	r=$?
	[ $r -eq 0 ] || diag "$(diff "$scratch/plain.out" "$scratch/hk.out" | head -10)"
	ok $r "$name: same output ($(wc -c <"$scratch/hk.out") bytes), exit status $st_hk"
}

n=$(env LD_PRELOAD="$HK_LIB" grep -c libhakmem /proc/self/maps)
[ "${n:-0}" -gt 0 ]
ok $? "a preloaded process maps libhakmem ($n mappings)"
# Mapped is not enough: the program's (and libc's) calls must bind to it.
b=$(LD_DEBUG=bindings env LD_PRELOAD="$HK_LIB" true 2>&1 | grep "normal symbol \`malloc'")
case $b in
*"binding file "*libc.so*" to "*libhakmem*) r=0 ;;
*) r=1 ;;
esac
[ $r -eq 0 ] || diag "$b"
ok_unless_bug $r symver "a preloaded program's and libc's calls to malloc bind to libhakmem (LD_DEBUG=bindings)"

same "bash (arrays, associative arrays, strings, pipes)" bash "$d/work.bash"

# A few MB of lines with repeated keys, made once by awk.
awk 'BEGIN { x = 12345; for (i = 0; i < 120000; i++) {
	x = (x * 1103515245 + 12345) % 2147483648
	printf "%08x,%d,line %d of the drop-in sort input\n", x, x % 1000, i } }' \
	>"$scratch/input"
same "sort, $(wc -c <"$scratch/input") bytes" env LC_ALL=C sort "$scratch/input"
same "sort -t, -k2,2n -k1,1r (keyed)" env LC_ALL=C sort -t, -k2,2n -k1,1r "$scratch/input"
same "sort -u --parallel=2 -S 8M (threads, temp files)" \
	env LC_ALL=C TMPDIR="$scratch" sort -u --parallel=2 -S 8M "$scratch/input"

if [ -n "$PYTHON3" ] && [ -x "$PYTHON3" ]; then
	same "python3 (large dicts built and dropped)" "$PYTHON3" "$d/dicts.py"
	same "python3 with PYTHONMALLOC=malloc (every object through malloc)" \
		env PYTHONMALLOC=malloc "$PYTHON3" "$d/dicts.py"
else
	skip "python3 not found by configure"
	skip "python3 not found by configure"
fi

if [ -n "$PERL" ] && [ -x "$PERL" ]; then
	same "perl (hashes, regexes, sort)" "$PERL" "$d/hashes.pl"
else
	skip "perl not found by configure"
fi

cxx=${CXX:-c++}
backends="auto lazy populate touch map_populate thp hugetlb"
if $cxx -O2 -pthread -o "$scratch/containers" "$d/containers.cc" 2>"$scratch/cxx.err"; then
	same "C++ (new/delete, new[]/delete[], std::map<std::string>, std::vector, a thread)" \
		"$scratch/containers"
	# Every backend works, or demotes where this kernel lacks it.
	"$scratch/containers" >"$scratch/want"
	for b in $backends; do
		"$top_builddir/tools/hakmem" --lib "$HK_LIB" --backend "$b" -- \
			"$scratch/containers" >"$scratch/got" 2>"$scratch/err"
		st=$?
		[ $st -eq 0 ] && cmp -s "$scratch/want" "$scratch/got"
		r=$?
		[ $r -eq 0 ] || diag "exit $st; $(head -3 "$scratch/err")"
		ok $r "hakmem --backend $b runs the C++ program to the same output"
	done
else
	why="the C++ compiler ($cxx) cannot build containers.cc: $(head -1 "$scratch/cxx.err")"
	skip "$why"
	for b in $backends; do skip "$why"; done
fi

# The launcher's --stats and --verbose make the library talk on stderr
# (the probe runs at the first malloc, so the commands must allocate).
hk() {
	"$top_builddir/tools/hakmem" --lib "$HK_LIB" "$@" 2>"$scratch/err" >/dev/null
}
# (perl leaves through exit() and keeps stderr open to the end; dash
# calls _exit, which runs no destructor, and coreutils and mawk close
# stderr first.)
if [ -n "$PERL" ] && [ -x "$PERL" ]; then
	hk --stats -- "$PERL" -e 'my %h; $h{$_} = "v$_" for 1 .. 10000; print scalar(keys %h), "\n"'
	[ -s "$scratch/err" ]
	ok_unless_bug $? symver "hakmem --stats prints counters on stderr at exit ($(wc -l <"$scratch/err") lines)"
else
	skip "perl not found by configure"
fi
# coreutils (and mawk) close stderr in an atexit handler, before the
# library's destructors run: the counters must still come out.
hk --stats -- sort "$scratch/input"
[ -s "$scratch/err" ]
ok_unless_bug $? "stats-stderr symver" "hakmem --stats prints counters for sort, which closes stderr at exit ($(wc -l <"$scratch/err") lines)"
hk --verbose -- sort "$scratch/input"
[ -s "$scratch/err" ]
ok_unless_bug $? symver "hakmem --verbose prints the probe's decision on stderr ($(head -1 "$scratch/err"))"

done_testing
