#!/bin/sh
# ld-so-preload.sh: hakmem installed system-wide.  Inside a private
# mount namespace (unshare -m) /etc/ld.so.preload names the built
# library: an overlay on /etc holds it, or a bind mount over the file
# where one exists, so the real system is never touched.  A battery of
# real programs runs there and must give the same output as without the
# preload (what legitimately varies is left out of the output), and a
# cat under the preload must show libhakmem in its maps; HAKMEM_ENABLED=0
# leaves one program on glibc's malloc (test/api/test-disabled).  Root only.
. "$top_srcdir/test/dropin/tap-lib.sh"
if [ "$1" = --inside ]; then
	scratch=$2
	if [ -e /etc/ld.so.preload ]; then
		mount --bind "$scratch/ld.so.preload" /etc/ld.so.preload || exit 3
	else
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$scratch/up,workdir=$scratch/work" /etc || exit 3
	fi
	# cat's own maps: a program started under the preload, not this shell
	# shellcheck disable=SC2002
	cat /proc/self/maps | grep -c libhakmem >"$scratch/loaded"
	# HAKMEM_ENABLED=0 leaves one program on glibc's malloc, and only it.
	HAKMEM_ENABLED=0 "$top_builddir/test/api/test-disabled" glibc >"$scratch/off.out" 2>&1
	echo $? >"$scratch/off"
	"$top_builddir/test/api/test-disabled" hakmem >"$scratch/on.out" 2>&1
	echo $? >"$scratch/on"
	. "$top_srcdir/test/system/battery.sh"
	battery "$scratch/preload"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (a mount namespace and /etc/ld.so.preload)"; exit 0; }
command -v unshare >/dev/null || { echo "1..0 # SKIP no unshare"; exit 0; }
need_malloc_override "libhakmem.so cannot be preloaded"
make_scratch
lib=$(readlink -f "$HK_LIB")
mkdir "$scratch/up" "$scratch/work" "$scratch/plain" "$scratch/preload"
chmod 755 "$scratch"
echo "$lib" >"$scratch/up/ld.so.preload"
cp "$scratch/up/ld.so.preload" "$scratch/ld.so.preload"
. "$top_srcdir/test/system/battery.sh"
battery "$scratch/plain"
unshare -m --propagation private sh "$0" --inside "$scratch" 2>"$scratch/inside.err"
st=$?
if [ $st -eq 3 ] || ! [ -s "$scratch/loaded" ]; then
	echo "1..0 # SKIP no private /etc/ld.so.preload here (unshare or mount refused: $(head -c 200 "$scratch/inside.err"))"
	exit 0
fi
ok $st "the battery ran in the namespace (exit $st)"
[ "$(cat "$scratch/loaded")" -gt 0 ]
ok $? "cat under /etc/ld.so.preload has libhakmem mapped"
[ "$(cat "$scratch/off")" = 0 ] || grep '^not ok' "$scratch/off.out" | sed 's/^/# /'
ok "$(cat "$scratch/off")" "HAKMEM_ENABLED=0 under /etc/ld.so.preload: test-disabled finds glibc's malloc"
[ "$(cat "$scratch/on")" = 0 ] || grep '^not ok' "$scratch/on.out" | sed 's/^/# /'
ok "$(cat "$scratch/on")" "and the next program, without it, hakmem's"
for f in "$scratch"/plain/*.out; do
	name=$(basename "$f" .out)
	if cmp -s "$f" "$scratch/preload/$name.out"; then
		ok 0 "$name: the same output with hakmem in /etc/ld.so.preload"
	else
		diff "$f" "$scratch/preload/$name.out" | head -10 | sed 's/^/# /'
		ok 1 "$name: the same output with hakmem in /etc/ld.so.preload"
	fi
done
done_testing
