#!/bin/sh
# mkinitramfs.sh: the initramfs test/vm/run-vm boots, built once per set
# of inputs and cached.  It holds the static busybox, test/vm/init as
# /init, the given files under /hk, and every shared library they need
# (from ldd, at the path ldd resolves, plus libgcc_s.so.1, which glibc
# loads itself for thread cancellation).  The cache key is a hash of the
# inputs' contents and destinations, so the rows of a matrix share one
# archive and a rebuilt library makes a new one.
#
# Usage: mkinitramfs.sh CACHEDIR INIT DEST=SRC...
#   DEST: path under /hk in the guest; SRC: the file on this machine
#   (copied with symbolic links followed).
# Prints the archive's path.  Needs busybox (static) for the guest and
# cpio (busybox's own, when there is no other).
set -e
busybox=${HK_VM_BUSYBOX:-/bin/busybox}
mkdir -p "$1" && cache=$(cd "$1" && pwd) init=$2 || exit 1
shift 2
[ -x "$busybox" ] || { echo "mkinitramfs: no static busybox at $busybox (Debian: busybox-static)" >&2; exit 1; }
ldd "$busybox" >/dev/null 2>&1 &&
	{ echo "mkinitramfs: $busybox is linked dynamically; the guest needs busybox-static" >&2; exit 1; }
for a; do [ -f "${a#*=}" ] || { echo "mkinitramfs: no file ${a#*=}" >&2; exit 1; }; done

# The shared libraries FILE loads, as ldd resolves them (none for a
# static program or a script).
libs_of() {
	ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p'
}
gcc_s=$( (/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null) |
	awk '/libgcc_s\.so\.1 .*x86-64/ { print $NF; exit }')

libs=$(for a; do libs_of "${a#*=}"; done | sort -u)
[ -z "$gcc_s" ] || libs=$(printf '%s\n%s\n' "$libs" "$gcc_s" | sort -u)

key=$( {
	sha256sum "$0" "$init" "$busybox" | cut -c1-64
	for a; do echo "${a%%=*} $(sha256sum <"${a#*=}" | cut -c1-64)"; done
	for l in $libs; do echo "$l $(sha256sum <"$l" | cut -c1-64)"; done
} | sha256sum | cut -c1-16)
out=$cache/initramfs-$key.cpio
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
root=$(mktemp -d "$cache/root.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/hk" "$root/dev" "$root/proc" "$root/sys" "$root/tmp"
cp "$busybox" "$root/bin/busybox"
cp "$init" "$root/init"
chmod 755 "$root/init"
for a; do
	d=$root/hk/${a%%=*}
	mkdir -p "${d%/*}"
	cp -L "${a#*=}" "$d"
done
for l in $libs; do
	mkdir -p "$root${l%/*}"
	cp -L "$l" "$root$l"
done
cpio=cpio
command -v cpio >/dev/null 2>&1 || cpio="$busybox cpio"
# Uncompressed: no decompressor needed in the kernel, and TCG unpacks it
# faster than it would inflate it.
(cd "$root" && find . | LC_ALL=C sort | $cpio -o -H newc >"$out.tmp.$$" 2>"$out.err.$$") ||
	{ cat "$out.err.$$" >&2; rm -f "$out.tmp.$$" "$out.err.$$"; exit 1; }
rm -f "$out.err.$$"
mv "$out.tmp.$$" "$out"
# Archives of older inputs go once they are an hour old.
find "$cache" -maxdepth 1 -name 'initramfs-*.cpio' ! -name "${out##*/}" -mmin +60 -exec rm -f {} + 2>/dev/null || true
echo "$out"
