#!/bin/sh
# syscall-audit.sh: the system calls libhakmem.so makes after main()
# starts, as strace -f -k sees them, for doc/SYSCALLS.md.
#
# Usage: test/tools/syscall-audit.sh PROG [ARG]...   (from the build tree)
#
# Runs PROG with libhakmem.so preloaded under strace -f -k (strace built
# with stack tracing), and prints one line per kind of call whose stack
# holds a frame of libhakmem.so and a frame of the program's own run
# (__libc_start_main, a thread's start_thread or clone, a fork child's):
#   COUNT SYSCALL DETAIL
# DETAIL is the madvise advice, or the mmap protection and flags.  Calls
# made while the library is loaded (_dl_init: the probe, lib/load.c) are
# left out: they come before any filter a program installs itself.
# Several runs: HAKMEM_BACKEND and the like pass through the environment.
set -e
lib=${HK_LIB:-${top_builddir:-.}/lib/.libs/libhakmem.so}
out=$(mktemp "${TMPDIR:-/tmp}/hk-audit.XXXXXX")
trap 'rm -f "$out"' EXIT
command -v strace >/dev/null || { echo "syscall-audit: no strace" >&2; exit 77; }
strace -f -k -qq -o "$out" env LD_PRELOAD="$lib" "$@" >/dev/null 2>&1 || true
awk '
function flush() {
	if (call != "" && inlib && late && !load)
		n[call]++
	call = ""; inlib = late = load = 0
}
/^[0-9]+ +[a-z_0-9]+\(/ {
	flush()
	line = $0
	sub(/^[0-9]+ +/, "", line)
	name = line
	sub(/\(.*/, "", name)
	detail = ""
	if (name == "madvise") {
		detail = line
		sub(/^[^,]*, [^,]*, /, "", detail)
		sub(/\).*/, "", detail)
	} else if (name == "mmap" || name == "mprotect") {
		detail = line
		sub(/^[^,]*, [^,]*, /, "", detail)
		sub(/, -?[0-9]+, [0-9a-fx]+\).*/, "", detail)
		sub(/\).*/, "", detail)
	} else if (name == "write") {
		detail = line
		sub(/^write\(/, "fd ", detail)
		sub(/,.*/, "", detail)
	}
	call = name (detail != "" ? " " detail : "")
	next
}
/^ > / {
	if (index($0, "libhakmem.so")) inlib = 1
	if (index($0, "__libc_start_main") || index($0, "start_thread") ||
	    index($0, "clone") ||
	    index($0, "__libc_fork") || index($0, "_Fork")) late = 1
	if (index($0, "_dl_init") || index($0, "call_init")) load = 1
	next
}
/^[0-9]+ / { flush() }
END {
	flush()
	for (c in n) printf "%7d %s\n", n[c], c
}' "$out" | sort -k2
