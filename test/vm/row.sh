#!/bin/sh
# row.sh: one row of the real-kernel matrix (the LOG_COMPILER of
# test/vm/rows/*.vm; `make check-vm` runs them all).  It boots the kernel
# under qemu's TCG with test/vm's initramfs and the row's kernel
# arguments, memory and vCPUs, runs test/vm/guest-row.sh there and prints
# its checks as TAP, plus one for the guest's run itself.  hk-probe's
# report goes to test/vm/reports/ROW.txt in the build tree, the kernel's
# messages to test/vm/reports/ROW.console.
#
# A row file sets, in sh syntax:
#   append   kernel arguments          mem   guest MiB (default 1024)
#   cpus     vCPUs (default 1)         setup guest-row.sh's SETUP words
#   expect   guest-row.sh's EXPECTED words; huge_pages.thp_enabled=@kconfig
#            is the kernel configuration's THP default (dropped when
#            the configuration is unknown)
#   needs    CONFIG_ options the row needs (skipped when the kernel's
#            configuration is known and lacks one)
#   cpuflag  a flag of the guest CPU the row needs (/proc/cpuinfo)
# Environment: HK_VM_KERNEL (the image; default the newest
# /boot/vmlinuz-*-cloud-amd64, Debian's linux-image-cloud-amd64),
# HK_VM_BOUND (seconds for the whole boot and run, default 280).
b=${top_builddir:-.}
s=${top_srcdir:-.}
# The programs the guest gets, as paths in the build tree (one place to
# change when one moves).
probe=${HK_VM_PROBE:-hk-probe/hk-probe}
lib=lib/.libs/libhakmem.so
tests="test/api/test-api test/stress/test-stress test/stress/test-fork test/fault/test-oom"
helpers="test/vm/hk-vm-seed test/vm/hk-vm-trials test/vm/hk-vm-anonhuge"
bound=${HK_VM_BOUND:-280}

row=$1
name=$(basename "$row" .vm)
append= mem=1024 cpus=1 setup= expect= needs= cpuflag=
# shellcheck disable=SC1090
. "$row"

skip_all() { echo "1..0 # SKIP $name: $1"; exit 0; }

if [ -z "$HK_VM_KERNEL" ]; then
	HK_VM_KERNEL=$(ls /boot/vmlinuz-*-cloud-amd64 2>/dev/null | sort -V | tail -n 1)
	[ -n "$HK_VM_KERNEL" ] ||
		skip_all "no kernel image: set HK_VM_KERNEL, or install linux-image-cloud-amd64 (tools/install-deps.sh)"
fi
[ -r "$HK_VM_KERNEL" ] || skip_all "cannot read the kernel image $HK_VM_KERNEL"
command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	skip_all "no qemu-system-x86_64 (tools/install-deps.sh installs qemu-system-x86)"
[ "$(uname -m)" = x86_64 ] || skip_all "the harness boots x86_64 kernels only"
for f in $lib $probe $tests $helpers; do
	[ -f "$b/$f" ] || skip_all "$f is not built"
done

. "$s/test/vm/kconfig.sh"
kconfig=$(hk_vm_kconfig "$HK_VM_KERNEL")
if [ -n "$kconfig" ]; then
	miss=$(hk_vm_missing "$kconfig")
	if [ -n "$miss" ]; then
		echo "1..1"
		echo "not ok 1 - $name: $HK_VM_KERNEL lacks, built in: $miss(test/vm/README)"
		exit 0
	fi
	for o in $needs; do
		printf '%s\n' "$kconfig" | grep -q "^$o=y" || skip_all "the kernel has no $o"
	done
	thp=never
	printf '%s\n' "$kconfig" | grep -q '^CONFIG_TRANSPARENT_HUGEPAGE_MADVISE=y' && thp=madvise
	printf '%s\n' "$kconfig" | grep -q '^CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y' && thp=always
	printf '%s\n' "$kconfig" | grep -q '^CONFIG_TRANSPARENT_HUGEPAGE=y' || thp=absent
	expect=$(echo "$expect" | sed "s/=@kconfig/=$thp/g")
else
	expect=$(echo "$expect" | sed 's/[^ ]*=@kconfig//g')
fi

set --
for f in $lib $probe $tests $helpers; do
	case $f in $lib) set -- "$@" "lib/libhakmem.so=$b/$f" ;; *) set -- "$@" "$f=$b/$f" ;; esac
done
set -- "$@" "test/vm/guest-row.sh=$s/test/vm/guest-row.sh" \
	"test/probe/json-get.sh=$s/test/probe/json-get.sh" \
	"test/api/known-bugs.txt=$s/test/api/known-bugs.txt" \
	"test/vm/known-failures.txt=$s/test/vm/known-failures.txt"
initrd=$("$s/test/vm/mkinitramfs.sh" "$b/test/vm/cache" "$s/test/vm/init" "$@") ||
	{ echo "1..1"; echo "not ok 1 - $name: the initramfs could not be built"; exit 0; }

reports=$b/test/vm/reports
mkdir -p "$reports"
tmp=$(mktemp "${TMPDIR:-/tmp}/hk-vm-row.XXXXXX") || exit 1
trap 'rm -f "$tmp"' EXIT
cmd="sh test/vm/guest-row.sh '$name' '$setup' '$expect'"
[ -z "$cpuflag" ] || cmd="grep -qw $cpuflag /proc/cpuinfo || { echo 'HK-SKIP the guest CPU has no $cpuflag'; exit 0; }; $cmd"
start=$(date +%s)
"$s/test/vm/run-vm" -k "$HK_VM_KERNEL" -i "$initrd" -a "$append" -m "$mem" -c "$cpus" \
	-t "$bound" -l "$reports/$name.console" -- "$cmd" >"$tmp" 2>&1
rc=$?
secs=$(($(date +%s) - start))
sed -n '/^HK-SKIP /{s/^HK-SKIP /1..0 # SKIP '"$name"': /p;q1}' "$tmp" || exit 0
sed -n '/^HK-PROBE-REPORT-BEGIN$/,/^HK-PROBE-REPORT-END$/p' "$tmp" |
	sed '1d;$d' >"$reports/$name.txt"
{
	echo "# $name: $(basename "$HK_VM_KERNEL") ${append:+($append) }-m $mem -smp $cpus${setup:+, $setup}: ${secs}s"
	sed 's/^/# /' "$reports/$name.txt"
	sed '/^HK-PROBE-REPORT-BEGIN$/,/^HK-PROBE-REPORT-END$/d' "$tmp"
} | awk -v name="$name" -v rc="$rc" -v secs="$secs" '
	/^ok - / { sub(/^ok - /, ""); print "ok " ++n " - " $0; next }
	/^not ok - / { sub(/^not ok - /, ""); print "not ok " ++n " - " $0; next }
	/^#/ { print; next }
	{ print "# " $0 }
	END {
		n++
		if (rc == 0) print "ok " n " - " name ": the guest booted and ran the row (" secs "s)"
		else print "not ok " n " - " name ": the guest booted and ran the row (run-vm status " rc ", " secs "s; see the lines above)"
		print "1.." n
	}'
