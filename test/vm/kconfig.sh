# kconfig.sh: sourced by test/vm/row.sh and test/vm/check-kernel.  What a
# kernel image must have built in to boot test/vm's initramfs, checked up
# front when its configuration can be found:
#   HK_VM_KCONFIG (a file), config-VERSION next to vmlinuz-VERSION (as in
#   /boot), or the image's own copy (CONFIG_IKCONFIG) when the kernel
#   tree's scripts/extract-ikconfig is at hand.
# Without a configuration, the boot itself is the check: run-vm says
# what the kernel needs when the guest never reports back.

# Options that must be =y: modules cannot be loaded from the initramfs.
hk_vm_required="CONFIG_64BIT CONFIG_BLK_DEV_INITRD CONFIG_BINFMT_ELF CONFIG_BINFMT_SCRIPT
CONFIG_SERIAL_8250 CONFIG_SERIAL_8250_CONSOLE CONFIG_DEVTMPFS CONFIG_PROC_FS CONFIG_SYSFS
CONFIG_TMPFS"

# hk_vm_kconfig KERNEL: print the configuration's text, or nothing.
hk_vm_kconfig() {
	if [ -n "$HK_VM_KCONFIG" ]; then
		cat "$HK_VM_KCONFIG"
		return
	fi
	k=$1
	d=$(dirname "$k") base=$(basename "$k")
	case $base in
	vmlinuz-*|bzImage-*)
		c=$d/config-${base#*-}
		[ -r "$c" ] && { cat "$c"; return; } ;;
	esac
	for x in extract-ikconfig /usr/src/linux-headers-*/scripts/extract-ikconfig; do
		command -v "$x" >/dev/null 2>&1 || [ -x "$x" ] || continue
		"$x" "$k" 2>/dev/null && return
	done
}

# hk_vm_missing CONFIG-TEXT: the required options not =y, or nothing.
hk_vm_missing() {
	for o in $hk_vm_required; do
		printf '%s\n' "$1" | grep -q "^$o=y" || printf '%s ' "$o"
	done
}
