#!/bin/sh
# stats-report.sh: the report at exit for a fleet (lib/stats-exit.c).
# HAKMEM_STATS=json is one JSON object on one line that parses and holds
# the counters the text report holds for the same moment (malloc_stats()
# just before exit); HAKMEM_STATS_FILE makes one new file per process,
# named by its pid, mode 0600, never through a symbolic link nor over a
# file already there, also from a program that closed stdout and stderr;
# bad values are refused with a warning.  Run with libhakmem.so
# preloaded into test/stats/stats-prog.
. "$top_srcdir/test/dropin/tap-lib.sh"
need_malloc_override "the report at exit is hakmem's malloc's"
make_scratch
prog=$top_builddir/test/stats/stats-prog
unset HAKMEM_STATS HAKMEM_STATS_FILE HAKMEM_VERBOSE
HAKMEM_PURGE_DELAY_MS=60000	# no purge between malloc_stats() and exit
export HAKMEM_PURGE_DELAY_MS
umask 022
if [ -z "$PYTHON3" ] && command -v python3 >/dev/null 2>&1; then
	PYTHON3=python3
fi

run() {
	env LD_PRELOAD="$HK_LIB" "$@"
}

# Whether JSON file $1 parses and holds the counters of the text report
# in $2 (its lines "hakmem: ..."); what differs goes to $scratch/py.
same_counters() {
	"$PYTHON3" - "$1" "$2" >"$scratch/py" 2>&1 <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
assert text.endswith("\n") and text.count("\n") == 1, "not one line"
j = json.loads(text)
for k in ("schema", "pid", "slabs_made", "threads", "purged_bytes", "trimmed_slabs"):
    assert type(j[k]) is int and j[k] >= 0, k
got, want = [], []
for c in j["classes"]:
    got += [c["size"], c["blocks"], c["slabs"]]
s, l, o, f, d = j["superslabs"], j["large"], j["os"], j["fork"], j["dense"]
got += [s["new"], s["freed"], s["reclaimed"], s["mapped"], j["slabs_made"], j["threads"]]
got += [l["maps"], l["unmaps"], l["cache_hits"], l["remaps"], l["mapped_bytes"],
        j["purged_bytes"], j["trimmed_slabs"]]
got += [j["backend"], o["regions"], o["bytes"], o["released_bytes"], o["purges"],
        o["purged_bytes"], o["failures"], o["demotions"], o["fallbacks"]]
if f["hugetlb_moved_bytes"] or f["hugetlb_shared_bytes"] or f["waits"]:
    got += [f["hugetlb_moved_bytes"], f["hugetlb_shared_bytes"], f["waits"]]
if d["probes"]:
    got += [d["probes"], d["sampled"], d["dense"], d["promoted_thp"],
            d["promoted_populate"], d["thp_trials_slow"], d["failures"]]
for line in open(sys.argv[2]):
    if not line.startswith("hakmem: ") or line.startswith("hakmem: page faults"):
        continue
    m = re.match(r"hakmem: backend (\S+): ", line)
    if m:
        want.append(m.group(1))
        line = line[m.end():]
    want += [int(n) for n in re.findall(r"\d+", line)]
assert j["classes"], "no class in use"
assert got == want, (got, want)
PY
}

# 1. HAKMEM_STATS=json into a file, beside malloc_stats()'s text on stderr.
run env HAKMEM_STATS=json HAKMEM_STATS_FILE="$scratch/work.%p.json" \
	"$prog" work 2>"$scratch/work.err"
ok $? "stats-prog work exits 0 under HAKMEM_STATS=json HAKMEM_STATS_FILE"
set -- "$scratch"/work.*.json
[ $# -eq 1 ] && [ -f "$1" ]
ok $? "one file made for the process ($*)"
work=$1
grep -q '^hakmem: superslabs: ' "$scratch/work.err" && ! grep -q '^{' "$scratch/work.err"
ok $? "the text of malloc_stats() on stderr, no JSON there"
if [ -n "$PYTHON3" ]; then
	"$PYTHON3" -m json.tool "$work" >/dev/null 2>"$scratch/py"
	ok $? "the file parses as JSON (python3 -m json.tool)"
	same_counters "$work" "$scratch/work.err"
	ok $? "its counters are those of the text report"
	[ -s "$scratch/py" ] && diag "$(cat "$scratch/py")"
else
	skip "python3 not found: cannot parse JSON"
	skip "python3 not found: cannot parse JSON"
fi

# 2. HAKMEM_STATS=json without a file: the last line on stderr.
run env HAKMEM_STATS=json "$prog" work 2>"$scratch/err.txt"
ok $? "stats-prog work exits 0 under HAKMEM_STATS=json"
tail -n 1 "$scratch/err.txt" >"$scratch/err.json"
if [ -n "$PYTHON3" ]; then
	same_counters "$scratch/err.json" "$scratch/err.txt"
	ok $? "on stderr: one JSON line after the text, the same counters"
	[ -s "$scratch/py" ] && diag "$(cat "$scratch/py")"
else
	skip "python3 not found: cannot parse JSON"
fi

# 3. A fork child that exits writes its own file, named by its pid.
rm -f "$scratch"/*.json
out=$(run env HAKMEM_STATS_FILE="$scratch/fork.%p.json" "$prog" fork); st=$?
ok $st "stats-prog fork exits 0 ($out)"
parent=${out% *}
child=${out#* }
n=$(ls "$scratch" | grep -c '^fork\..*\.json$')
[ "$n" -eq 2 ] && [ -s "$scratch/fork.$parent.json" ] && [ -s "$scratch/fork.$child.json" ]
ok $? "two files, fork.$parent.json and fork.$child.json ($(ls "$scratch" | tr '\n' ' '))"
grep -q "\"pid\":$child," "$scratch/fork.$child.json" 2>/dev/null &&
	grep -q "\"pid\":$parent," "$scratch/fork.$parent.json" 2>/dev/null
ok $? "each holds its own pid"
modes=$(stat -c %a "$scratch"/fork.*.json 2>/dev/null | sort -u)
[ "$modes" = 600 ]
ok $? "mode 0600 under umask 022 ($modes)"
(umask 0; run env HAKMEM_STATS_FILE="$scratch/open.%p.json" "$prog" close)
modes=$(stat -c %a "$scratch"/open.*.json 2>/dev/null)
[ "$modes" = 600 ]
ok $? "mode 0600 under umask 0, from a program that closed fds 0, 1 and 2 ($modes)"

# 4. Never through a link, never over a file already there.
ln -s "$scratch/target" "$scratch/link"
echo keep >"$scratch/there"
ln -s "$scratch/there" "$scratch/link2"
for name in link link2 there; do
	run env HAKMEM_VERBOSE=1 HAKMEM_STATS_FILE="$scratch/$name" "$prog" close 2>/dev/null
	st=$?
	[ $st -eq 0 ] && [ "$(cat "$scratch/there")" = keep ] && [ ! -e "$scratch/target" ]
	ok $? "HAKMEM_STATS_FILE=$name: exits 0, nothing written through or over it"
done
[ -L "$scratch/link" ] && [ -L "$scratch/link2" ]
ok $? "the links are still links"
run env HAKMEM_VERBOSE=1 HAKMEM_STATS_FILE="$scratch/there" "$prog" fork \
	>/dev/null 2>"$scratch/err"
grep -q "cannot create $scratch/there: EEXIST" "$scratch/err"
ok $? "HAKMEM_VERBOSE=1 says why: $(grep 'cannot create' "$scratch/err")"
run env HAKMEM_STATS_FILE="$scratch/there" "$prog" fork >/dev/null 2>"$scratch/err"
[ ! -s "$scratch/err" ]
ok $? "silent without HAKMEM_VERBOSE"

# 5. The form and the switch: text by HAKMEM_STATS=1, none by 0; %c.
run env HAKMEM_STATS=1 HAKMEM_STATS_FILE="$scratch/text.%p" "$prog" close
grep -q '^hakmem: page faults: ' "$scratch"/text.* 2>/dev/null
ok $? "HAKMEM_STATS=1: the text report in the file"
run env HAKMEM_STATS=0 HAKMEM_STATS_FILE="$scratch/off.%p" "$prog" close
! ls "$scratch" | grep -q '^off'
ok $? "HAKMEM_STATS=0 turns the file off"
run env HAKMEM_STATS_FILE="$scratch/%c.json" "$prog" close
[ -s "$scratch/stats-prog.json" ]
ok $? "%c is the command name"

# 6. Bad values: a warning, the default, no file.
long=$scratch/$(printf '%0300d' 0)
mkdir "$scratch/cwd"
for v in "rel.%p" "$scratch/x%d" "$long"; do
	(cd "$scratch/cwd" && run env HAKMEM_STATS_FILE="$v" "$prog" fork) \
		>/dev/null 2>"$scratch/err"
	st=$?
	[ $st -eq 0 ] && grep -q "^hakmem: ignoring HAKMEM_STATS_FILE=" "$scratch/err" &&
		[ -z "$(ls "$scratch/cwd")" ] && ! ls "$scratch" | grep -q '^x'
	ok $? "HAKMEM_STATS_FILE=$(echo "$v" | cut -c1-40)...: refused with a warning, no file"
done
done_testing
