#!/bin/sh
# capture-fixture.sh: copy what hk_probe reads on this machine into a
# fixture tree, test/fixtures/<machine>/ (layout: test/fixtures/README.txt).
#
#   tools/capture-fixture.sh DIR [TRIALS-PROGRAM]
#
# TRIALS-PROGRAM (default: test/unit/probe-trials of the build tree in the
# current directory) prints the trial results; without one, the tree has
# no trials file and the trials read as unknown.  Only the Cap* lines of
# /proc/self/status are kept.  Review the tree before committing it:
# /proc/self/mounts and the cgroup path name this machine's layout.
set -eu

usage() { echo "usage: $0 DIR [TRIALS-PROGRAM]"; }
case "${1-}" in
-h|--help) usage; exit 0 ;;
'') usage >&2; exit 1 ;;
esac
dir=$1
trials=${2-test/unit/probe-trials}

# copy FILE: /FILE -> DIR/FILE when readable
copy() {
	[ -r "$1" ] || return 0
	mkdir -p "$dir$(dirname "$1")"
	cat "$1" > "$dir$1"
}

mkdir -p "$dir"
uname -r > "$dir/uname-r"
uname -m > "$dir/uname-m"
printf 'AT_PAGESZ %s\nAT_SECURE 0\n' "$(getconf PAGESIZE)" > "$dir/auxv"
# "Max locked memory  8388608  8388608  bytes" -> "8388608 8388608"
awk '/^Max locked memory/ { print $4, $5 }' /proc/self/limits > "$dir/rlimit-memlock"

for f in /proc/filesystems /proc/meminfo /proc/self/cgroup /proc/self/mounts \
	/proc/self/personality /proc/sys/kernel/osrelease \
	/proc/sys/vm/overcommit_memory /proc/sys/vm/max_map_count \
	/sys/devices/system/cpu/online \
	/sys/kernel/mm/transparent_hugepage/enabled \
	/sys/kernel/mm/transparent_hugepage/defrag \
	/sys/kernel/mm/transparent_hugepage/hpage_pmd_size; do
	copy "$f"
done
mkdir -p "$dir/proc/self"
grep '^Cap' /proc/self/status > "$dir/proc/self/status"

for p in /sys/kernel/mm/hugepages/hugepages-*; do
	[ -d "$p" ] || continue
	for f in nr_hugepages free_hugepages resv_hugepages surplus_hugepages \
		nr_overcommit_hugepages; do
		copy "$p/$f"
	done
done

# The cgroup limit files, from our cgroup up to the root.
v2=$(sed -n 's/^0:://p' /proc/self/cgroup)
v1=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3 }' /proc/self/cgroup)
if [ -n "$v1" ]; then
	copy "/sys/fs/cgroup/memory$v1/memory.limit_in_bytes"
	copy /sys/fs/cgroup/memory/memory.limit_in_bytes
elif [ -n "$v2" ]; then
	p=$v2
	while :; do
		copy "/sys/fs/cgroup${p%/}/memory.max"
		[ "$p" = / ] || [ -z "$p" ] && break
		p=$(dirname "$p")
	done
fi

if [ -x "$trials" ]; then
	"$trials" > "$dir/trials"
else
	echo "$0: no $trials: the tree has no trials file" >&2
fi
