#!/bin/sh
# guest-row.sh: one row of the real-kernel matrix, inside the guest that
# test/vm/row.sh booted (busybox sh, as root, in /hk).  Prints TAP lines
# without numbers (row.sh numbers them) and hk-probe's text report
# between HK-PROBE-REPORT lines.
#
# Usage: guest-row.sh NAME SETUP EXPECTED
#   SETUP     words done first: overcommit=N (vm.overcommit_memory),
#             memory.max=BYTES (this shell moves into a cgroup v2 child
#             with that limit; the programs run there), baseline (each
#             program runs once without hakmem first; where glibc's malloc
#             fails too, hakmem's runs of it are skipped, saying so)
#   EXPECTED  KEY=VALUE words as in test/sim/kernels.txt: SECTION.FIELD
#             of hk-probe --json (SECTION.FIELD~WORDS: contains WORDS),
#             backend (HAKMEM_BACKEND unset),
#             backend@NAME, todo@PROG=why_with_underscores (a failure of
#             PROG is a TODO there; test/vm/known-failures.txt has those of
#             every row)
# Every row also holds hk-probe --json against the guest's own /proc,
# /sys and trial calls (hk-vm-trials), checks that the preloaded library
# uses the backend hk-probe names for auto and for each HAKMEM_BACKEND,
# and runs the conformance, stress, fork and out-of-memory programs
# preloaded under auto and each backend that does not come down to one
# already run (a backend demoted at load runs its successor's code).
name=$1 setup=$2 expect=$3 baseline=
probe=hk-probe/hk-probe
trials=test/vm/hk-vm-trials
lib=/hk/lib/libhakmem.so
tests=${HK_VM_TESTS:-test/api/test-api test/stress/test-stress test/stress/test-fork test/fault/test-oom}
backends="auto lazy touch map_populate populate thp hugetlb"
bound=${HK_VM_TEST_BOUND:-90}
top_srcdir=/hk
export top_srcdir
for v in $(env | sed -n 's/^\(HAKMEM_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done

ok() { # STATUS DESCRIPTION [TODO]
	if [ "$1" -eq 0 ]; then
		echo "ok - $name: $2"
	else
		echo "not ok - $name: $2${3:+ # TODO $3}"
	fi
}

. test/probe/json-get.sh

# pool_get FILE SIZEKB FIELD: total, free, ... of huge_pages.pool_SIZEkB.
pool_get() {
	sed -n "s/.*\"pool_$2kB\": {.*\"$3\": \([0-9]*\).*/\1/p" "$1"
}

# The [selected] word of a sysfs mode file, or absent.
mode_of() {
	[ -r "$1" ] || { echo absent; return; }
	sed 's/.*\[\([a-z+]*\)\].*/\1/' "$1"
}

# The tightest memory.max from this process's cgroup up to the root, in
# bytes, or null when there is none (cgroup v2).
cgroup_max() {
	path=$(sed -n 's/^0:://p' /proc/self/cgroup)
	best=
	while :; do
		f=/sys/fs/cgroup$path/memory.max
		if [ -r "$f" ] && [ "$(cat "$f")" != max ]; then
			v=$(cat "$f")
			[ -z "$best" ] || [ "$v" -lt "$best" ] && best=$v
		fi
		[ -n "$path" ] && [ "$path" != / ] || break
		path=${path%/*}
	done
	echo "${best:-null}"
}

# --- the row's setup ---------------------------------------------------
for w in $setup; do
	case $w in
	baseline)
		baseline=1 ;;
	overcommit=*)
		echo "${w#*=}" >/proc/sys/vm/overcommit_memory
		[ "$(cat /proc/sys/vm/overcommit_memory)" = "${w#*=}" ]
		ok $? "vm.overcommit_memory set to ${w#*=} in the guest" ;;
	memory.max=*)
		mkdir -p /sys/fs/cgroup/hk &&
			echo +memory >/sys/fs/cgroup/cgroup.subtree_control &&
			echo "${w#*=}" >/sys/fs/cgroup/hk/memory.max &&
			echo $$ >/sys/fs/cgroup/hk/cgroup.procs
		ok $? "this shell and its children in cgroup /hk, memory.max ${w#*=}" ;;
	*) ok 1 "unknown setup word $w" ;;
	esac
done

# --- hk-probe against the guest's own files and trials -----------------
if ! $probe --json >/tmp/probe.json 2>/tmp/probe.err; then
	ok 1 "hk-probe --json runs ($(head -n 1 /tmp/probe.err))"
	exit 0
fi
echo HK-PROBE-REPORT-BEGIN
$probe 2>&1
echo HK-PROBE-REPORT-END

facts="kernel.release=$(uname -r) kernel.ncpu=$(nproc)
huge_pages.thp_enabled=$(mode_of /sys/kernel/mm/transparent_hugepage/enabled)
limits.overcommit=$(cat /proc/sys/vm/overcommit_memory)
limits.max_map_count=$(cat /proc/sys/vm/max_map_count)
limits.cgroup_memory_max=$(cgroup_max)
huge_pages.hugetlbfs_mounts=$(grep -c ' hugetlbfs ' /proc/mounts)"
[ ! -r /sys/kernel/mm/transparent_hugepage/defrag ] ||
	facts="$facts huge_pages.thp_defrag=$(mode_of /sys/kernel/mm/transparent_hugepage/defrag)"
[ ! -r /sys/kernel/mm/transparent_hugepage/hpage_pmd_size ] ||
	facts="$facts huge_pages.thp_pmd_size=$(cat /sys/kernel/mm/transparent_hugepage/hpage_pmd_size)"
if grep -qw hugetlbfs /proc/filesystems; then
	facts="$facts huge_pages.hugetlbfs=true huge_pages.huge_default_kb=$(sed -n 's/^Hugepagesize: *\([0-9]*\) kB/\1/p' /proc/meminfo)"
else
	facts="$facts huge_pages.hugetlbfs=false"
fi
[ ! -r /sys/fs/cgroup/cgroup.controllers ] || facts="$facts limits.cgroup_version=2"
facts="$facts $($trials | tr '\n' ' ')"
for kv in $facts; do
	key=${kv%%=*} want=${kv#*=}
	got=$(json_get /tmp/probe.json "$key")
	[ "$got" = "$want" ]
	ok $? "hk-probe $key = $want as the guest's own files and trials say (hk-probe: ${got:-nothing})"
done
for d in /sys/kernel/mm/hugepages/hugepages-*kB; do
	[ -d "$d" ] || continue
	kb=${d##*hugepages-}
	kb=${kb%kB}
	for f in total:nr_hugepages free:free_hugepages; do
		want=$(cat "$d/${f#*:}")
		got=$(pool_get /tmp/probe.json "$kb" "${f%%:*}")
		[ "$got" = "$want" ]
		ok $? "hk-probe pool_${kb}kB ${f%%:*} = $want as $d/${f#*:} says (hk-probe: ${got:-nothing})"
	done
done
[ "$(json_get /tmp/probe.json decision.library_agrees)" = true ]
ok $? "the library's own probe agrees with hk-probe's decision"

# --- the row's expectations ---------------------------------------------
todos=
for kv in $expect; do
	case $kv in
	*~*)	# SECTION.FIELD~WORDS: the field holds WORDS (_ for spaces)
		key=${kv%%~*} want=$(echo "${kv#*~}" | tr _ ' ')
		got=$(json_get /tmp/probe.json "$key")
		case $got in *"$want"*) r=0 ;; *) r=1 ;; esac
		ok $r "expected for this row: $key says \"$want\" (hk-probe: ${got:-nothing})"
		continue ;;
	esac
	key=${kv%%=*} want=${kv#*=}
	case $key in
	todo@*) todos="$todos $kv"; continue ;;
	backend) got=$($probe --backend 2>/dev/null) ;;
	backend@*) got=$(HAKMEM_BACKEND=${key#backend@} $probe --backend 2>/dev/null) ;;
	anon_huge_kb) got=$(LD_PRELOAD=$lib test/vm/hk-vm-anonhuge 2>&1 | sed -n 's/^anon_huge_kb=//p') ;;
	pool_*.*) f=${key#pool_}; got=$(pool_get /tmp/probe.json "${f%%kB.*}" "${f#*.}") ;;
	*) got=$(json_get /tmp/probe.json "$key") ;;
	esac
	[ "$got" = "$want" ]
	ok $? "expected for this row: $key = $want (hk-probe: ${got:-nothing})"
done

# --- the backend the library uses, preloaded ----------------------------
# What HAKMEM_VERBOSE=1 prints at load: "hakmem: backend NAME: why".
ran= unfit=
if [ -n "$baseline" ]; then
	for t in $tests; do
		timeout "$bound" "$t" >/tmp/out 2>&1
		rc=$?
		echo "# $name: ${t##*/} without hakmem (glibc's malloc): status $rc"
		[ $rc -eq 0 ] || unfit="$unfit ${t##*/}=$rc"
	done
fi
for b in $backends; do
	if [ "$b" = auto ]; then set --; else set -- "HAKMEM_BACKEND=$b"; fi
	named=$(env "$@" $probe --backend 2>/dev/null)
	used=$(env "$@" HAKMEM_VERBOSE=1 LD_PRELOAD=$lib $trials 2>&1 >/dev/null |
		sed -n 's/^hakmem: backend \([a-z_]*\):.*/\1/p' | head -n 1)
	[ -n "$named" ] && [ "$named" = "$used" ]
	ok $? "HAKMEM_BACKEND=$b: the preloaded library uses the backend hk-probe names ($named; library: ${used:-nothing})"
	# --- the programs, preloaded, once per backend that really runs ----
	case " $ran " in
	*" $used "*)
		echo "# $name: HAKMEM_BACKEND=$b comes down to $used at load, whose programs ran above"
		continue ;;
	esac
	ran="$ran $used"
	for t in $tests; do
		todo=$(sed -n "s/^${t##*/} //p" test/vm/known-failures.txt 2>/dev/null | head -n 1)
		[ -z "$todo" ] || todo="hakmem bug (test/vm/known-failures.txt): $todo"
		for kv in $todos; do
			case $kv in "todo@${t##*/}="*) todo=$(echo "${kv#*=}" | tr _ ' ') ;; esac
		done
		case " $unfit " in
		*" ${t##*/}="*)
			st=${unfit##* ${t##*/}=}
			echo "ok - $name: ${t##*/}, HAKMEM_BACKEND=$b # SKIP it fails without hakmem too (glibc's malloc: status ${st%% *})"
			continue ;;
		esac
		env "$@" LD_PRELOAD=$lib HK_EXPECT_HAKMEM=1 timeout "$bound" "$t" >/tmp/out 2>&1
		rc=$?
		why=
		if [ $rc -ne 0 ]; then
			tail -n 8 /tmp/out | sed 's/^/# /'
			why=$(grep -m1 '^not ok' /tmp/out | tr -d '#' | sed 's/^/: /')
			[ $rc -ne 124 ] && [ $rc -ne 143 ] || why=": killed after ${bound}s"
		fi
		[ $rc -eq 0 ] && todo=
		ok $rc "${t##*/} passes, preloaded, HAKMEM_BACKEND=$b ($used) (status $rc$why)" "$todo"
	done
done

# --- what the hugetlb backend did (diagnostics, for the rows with a pool)
if [ "$(HAKMEM_BACKEND=hugetlb $probe --backend 2>/dev/null)" = hugetlb ]; then
	HAKMEM_BACKEND=hugetlb HAKMEM_VERBOSE=1 HAKMEM_STATS=1 LD_PRELOAD=$lib \
		test/stress/test-fork 2>&1 >/dev/null | grep '^hakmem: ' | grep -v '^hakmem: class ' | sort -u | sed "s/^/# $name: HAKMEM_BACKEND=hugetlb test-fork: /"
	grep -h . /sys/kernel/mm/hugepages/hugepages-*/free_hugepages | tr '\n' ' ' | sed "s/^/# $name: free pool pages after it: /; s/\$/\\n/"
fi
