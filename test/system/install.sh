#!/bin/sh
# install.sh: hakmem install --system, status and remove --system on
# /etc/ld.so.preload, and hk-probe --self-test.  Inside a private mount
# namespace (unshare -m) an overlay on /etc holds the list, so the real
# system is never touched and the launcher edits the real path.  An
# overlay, not a bind mount over the file as in ld-so-preload.sh: the
# launcher replaces the file by rename(2), which a mount point refuses
# (EBUSY).  The list starts with other lines, which must survive; a
# library that fails a check or the self-test must leave the file
# byte-identical.  Root only.
. "$top_srcdir/test/dropin/tap-lib.sh"
hakmem="$top_builddir/tools/hakmem"
HAKMEM_PROBE="$top_builddir/hk-probe/hk-probe"
export HAKMEM_PROBE

# Run the command, its output in $scratch/out and as TAP comments.
run() {
	"$@" >"$scratch/out" 2>&1
	st=$?
	sed 's/^/#   /' "$scratch/out"
	return $st
}

# Whether /etc/ld.so.preload holds exactly the file $1 (or is absent when $1 is).
same_list() {
	if [ -e "$1" ]; then cmp -s "$1" /etc/ld.so.preload; else [ ! -e /etc/ld.so.preload ]; fi
}

# A refusal: non-zero, saying $1, the list unchanged.
refused() {
	msg=$1
	shift
	run "$@"
	st=$?
	[ $st -ne 0 ] && grep -q -- "$msg" "$scratch/out" && same_list "$scratch/orig"
}

if [ "$1" = --inside ]; then
	scratch=$2
	mount -t overlay overlay -o "lowerdir=/etc,upperdir=$scratch/up,workdir=$scratch/work" /etc || {
		echo "1..0 # SKIP no overlay on /etc here"
		exit 0
	}
	lib=$scratch/lib/libhakmem.so
	other=$(sed -n 1p "$scratch/orig")

	run "$HAKMEM_PROBE" --self-test="$lib"
	[ $? -eq 2 ] && grep -q "not preloaded" "$scratch/out"
	ok $? "hk-probe --self-test fails without the preload, saying why"
	run env LD_PRELOAD="$lib" "$HAKMEM_PROBE" --self-test="$lib"
	[ $? -eq 0 ] && grep -q "self-test: ok" "$scratch/out" && grep -q "^backend: " "$scratch/out"
	ok $? "hk-probe --self-test passes under LD_PRELOAD=libhakmem and prints the backend"
	run env LD_PRELOAD="$lib" "$HAKMEM_PROBE" --self-test="$other"
	[ $? -eq 2 ] && grep -q "not from $other" "$scratch/out"
	ok $? "hk-probe --self-test=LIB fails when malloc comes from another file"

	refused "--system needed" "$hakmem" install --lib "$lib"
	ok $? "install without --system is refused, the list untouched"
	refused "self-test failed" "$hakmem" install --system --lib "$other"
	ok $? "install of a library that is not hakmem ($other) fails its self-test, the list untouched"
	refused "writable by group" "$hakmem" install --system --lib "$scratch/gw/libhakmem.so"
	ok $? "install of a group-writable copy is refused, the list untouched"
	refused "not root" "$hakmem" install --system --lib "$scratch/nobody/libhakmem.so"
	ok $? "install of a copy owned by another user is refused, the list untouched"
	refused "writable by others" "$hakmem" install --system --lib "$scratch/ow/libhakmem.so"
	ok $? "install from a directory others can write to is refused, the list untouched"
	refused "nobodydir: owned by uid 65534" "$hakmem" install --system --lib "$scratch/nobodydir/libhakmem.so"
	ok $? "install from a directory owned by another user is refused, the list untouched"
	refused "absolute" "$hakmem" install --system --lib lib/libhakmem.so
	ok $? "install of a relative path is refused, the list untouched"
	if command -v setpriv >/dev/null; then
		refused "must run as root" setpriv --reuid=65534 --regid=65534 --clear-groups \
			"$hakmem" install --system --lib "$lib"
		ok $? "install by another user than root is refused, saying why"
	else
		skip "no setpriv to run install as another user"
	fi

	# status, before install: one sleep under LD_PRELOAD, one without.
	LD_PRELOAD=$lib sleep 60 &
	with=$!
	sleep 60 &
	without=$!
	# Wait until both have exec'd sleep (the shell's fork is not yet it).
	i=0
	while [ $i -lt 100 ] && ! { grep -q libhakmem "/proc/$with/maps" && [ "$(cat /proc/$without/comm)" = sleep ]; }; do
		sleep 0.1
		i=$((i + 1))
	done
	run "$hakmem" status --all
	st=$?
	[ $st -eq 0 ] && grep -q "^ *$with sleep .*libhakmem" "$scratch/out" &&
		! grep -q "^ *$without " "$scratch/out" &&
		grep -q "^processes with libhakmem mapped: [1-9]" "$scratch/out" &&
		grep -q "^processes without: [1-9]" "$scratch/out"
	ok $? "status lists the sleep under LD_PRELOAD, not the plain one, and counts both kinds"
	kill "$with" "$without" 2>/dev/null
	wait 2>/dev/null

	run "$hakmem" install --system --lib "$lib"
	st=$?
	{ cat "$scratch/orig"; echo "$lib"; } >"$scratch/want"
	[ $st -eq 0 ] && cmp -s "$scratch/want" /etc/ld.so.preload
	ok $? "install adds the library's line after the other lines"
	cmp -s "$scratch/orig" /etc/ld.so.preload.hakmem-bak
	ok $? "install keeps the previous list in /etc/ld.so.preload.hakmem-bak"
	[ "$(stat -c %a /etc/ld.so.preload)" = 644 ] && ! ls /etc/.ld.so.preload.hakmem* >/dev/null 2>&1
	ok $? "the new list is mode 644 and no temporary file is left in /etc"
	ino=$(stat -c %i /etc/ld.so.preload)
	run "$hakmem" install --system --lib "$lib"
	[ $? -eq 0 ] && cmp -s "$scratch/want" /etc/ld.so.preload &&
		[ "$(stat -c %i /etc/ld.so.preload)" = "$ino" ] && grep -q "nothing changed" "$scratch/out"
	ok $? "a second install changes nothing (same bytes, same file) and says so"
	# shellcheck disable=SC2002
	n=$(cat /proc/self/maps | grep -c libhakmem)
	[ "$n" -gt 0 ]
	ok $? "a program started after install has libhakmem mapped"
	run "$hakmem" status
	grep -q "^/etc/ld.so.preload: $lib\$" "$scratch/out" && grep -q "^config: " "$scratch/out"
	ok $? "status shows the line in /etc/ld.so.preload and the config in force"

	cp /etc/ld.so.preload "$scratch/installed"
	run "$hakmem" install --system --lib "$other"
	[ $? -ne 0 ] && grep -q "self-test failed" "$scratch/out" &&
		cmp -s "$scratch/installed" /etc/ld.so.preload
	ok $? "a failing self-test after install leaves the list as it was"

	run "$hakmem" install --system --lib "$scratch/lib/libhakmem.so.0"
	st=$?
	{ cat "$scratch/orig"; echo "$scratch/lib/libhakmem.so.0"; } >"$scratch/want"
	[ $st -eq 0 ] && cmp -s "$scratch/want" /etc/ld.so.preload && grep -q "replaced $lib" "$scratch/out"
	ok $? "install of another path replaces our line in place"

	run "$hakmem" remove
	[ $? -ne 0 ] && cmp -s "$scratch/want" /etc/ld.so.preload
	ok $? "remove without --system is refused"
	run "$hakmem" remove --system
	[ $? -eq 0 ] && cmp -s "$scratch/orig" /etc/ld.so.preload && grep -q "took out" "$scratch/out"
	ok $? "remove takes out only our line and says so"
	run "$hakmem" remove --system
	[ $? -eq 0 ] && cmp -s "$scratch/orig" /etc/ld.so.preload && grep -q "nothing changed" "$scratch/out"
	ok $? "a second remove changes nothing"

	printf '%s %s\n' "$other" "$lib" >>/etc/ld.so.preload
	cp /etc/ld.so.preload "$scratch/mixed"
	run "$hakmem" install --system --lib "$lib"
	[ $? -ne 0 ] && cmp -s "$scratch/mixed" /etc/ld.so.preload
	ok $? "a line naming libhakmem among other libraries is left to a person"

	rm /etc/ld.so.preload
	run "$hakmem" install --system --lib "$lib"
	[ $? -eq 0 ] && [ "$(cat /etc/ld.so.preload)" = "$lib" ]
	ok $? "install creates the list when there was none"
	run "$hakmem" remove --system
	[ $? -eq 0 ] && [ ! -e /etc/ld.so.preload ]
	ok $? "remove deletes a list that named only libhakmem"
	run "$hakmem" --lib "$lib" -- install --version
	[ $? -eq 0 ] && grep -q "GNU coreutils" "$scratch/out"
	ok $? "hakmem -- install runs a program named install"
	run "$hakmem" --lib "$lib" sh -c 'grep -c libhakmem /proc/$$/maps'
	[ $? -eq 0 ] && [ "$(cat "$scratch/out")" -gt 0 ]
	ok $? "hakmem CMD still runs CMD with the library preloaded"
	done_testing
fi
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (a mount namespace and /etc/ld.so.preload)"; exit 0; }
command -v unshare >/dev/null || { echo "1..0 # SKIP no unshare"; exit 0; }
need_malloc_override "libhakmem.so cannot be preloaded"
make_scratch
chmod 755 "$scratch"
mkdir "$scratch/up" "$scratch/work" "$scratch/lib" "$scratch/gw" "$scratch/nobody" "$scratch/ow" "$scratch/nobodydir"
# Root-owned copies of the built library (the build tree may be anyone's),
# and the bad ones.
cp "$HK_LIB" "$scratch/lib/libhakmem.so"
cp "$HK_LIB" "$scratch/lib/libhakmem.so.0"
cp "$HK_LIB" "$scratch/gw/libhakmem.so"
cp "$HK_LIB" "$scratch/nobody/libhakmem.so"
cp "$HK_LIB" "$scratch/ow/libhakmem.so"
cp "$HK_LIB" "$scratch/nobodydir/libhakmem.so"
chown -R 0:0 "$scratch/lib" "$scratch/gw" "$scratch/ow"
chmod 755 "$scratch/lib" "$scratch/gw" "$scratch/nobody" "$scratch/lib/"* "$scratch/nobody/libhakmem.so" "$scratch/ow/libhakmem.so"
chmod 775 "$scratch/gw/libhakmem.so"
chmod 757 "$scratch/ow"
chown 65534 "$scratch/nobody/libhakmem.so"
chmod 755 "$scratch/nobodydir" "$scratch/nobodydir/libhakmem.so"
chown 0:0 "$scratch/nobodydir/libhakmem.so"
chown 65534 "$scratch/nobodydir"
# The other line: a harmless real library (libm), a file that exists:
# a missing one would make ld.so print an error in every process.
other=$(readlink -f "$(ldconfig -p | awk '$1 == "libm.so.6" && /x86-64|64bit/ { print $NF; exit }')" 2>/dev/null)
[ -f "$other" ] || other=$(readlink -f "$(ldconfig -p | awk '$1 == "libm.so.6" { print $NF; exit }')")
[ -f "$other" ] || { echo "1..0 # SKIP no libm.so.6 in ldconfig -p to be the other line"; exit 0; }
printf '%s\n' "$other" >"$scratch/orig"
cp "$scratch/orig" "$scratch/up/ld.so.preload"
unshare -m --propagation private sh "$0" --inside "$scratch"
