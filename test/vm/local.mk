# ----------------------------------------------------------------------
# test/vm: real kernels under qemu's TCG (no KVM needed).  Each row of
# test/vm/rows/ boots a kernel image (Debian's 6.1 cloud kernel by
# default) with a busybox initramfs holding the library, hk-probe and the
# conformance, stress, fork and out-of-memory programs, and checks
# hk-probe and the preloaded library there (test/vm/README).  Rows skip,
# saying why, without qemu or a kernel image.
#   make check-vm                        the rows alone (part of make check)
#   make check-kernel KERNEL=/boot/vmlinuz-...   the rows in another kernel
# ----------------------------------------------------------------------
check_PROGRAMS += test/vm/hk-vm-seed test/vm/hk-vm-trials test/vm/hk-vm-anonhuge
test_vm_hk_vm_anonhuge_SOURCES = test/vm/vm-anonhuge.c
test_vm_hk_vm_seed_SOURCES = test/vm/vm-seed.c
test_vm_hk_vm_trials_SOURCES = test/vm/vm-trials.c
HK_VM_ROWS = test/vm/rows/defaults.vm test/vm/rows/thp-never.vm \
	test/vm/rows/thp-madvise.vm test/vm/rows/hugepages-16.vm \
	test/vm/rows/gigantic.vm test/vm/rows/mem-448m.vm \
	test/vm/rows/cgroup-max.vm test/vm/rows/smp2.vm \
	test/vm/rows/overcommit2.vm
TESTS += $(HK_VM_ROWS)
TEST_EXTENSIONS += .vm
VM_LOG_DRIVER = $(LOG_DRIVER)
# The built programs the guest gets are named in test/vm/row.sh; hk-probe
# here, where its directory may move.
HK_VM_PROBE = hk-probe/hk-probe
KERNEL = $(HK_VM_KERNEL)
VM_LOG_COMPILER = $(HK_TIMEOUT) env HK_VM_PROBE='$(HK_VM_PROBE)' \
	HK_VM_KERNEL='$(KERNEL)' $(SHELL) $(srcdir)/test/vm/row.sh
EXTRA_DIST += test/probe/json-get.sh test/vm/README test/vm/init test/vm/run-vm test/vm/row.sh \
	test/vm/guest-row.sh test/vm/mkinitramfs.sh test/vm/kconfig.sh \
	test/vm/check-kernel test/vm/known-failures.txt $(HK_VM_ROWS)

check-vm:
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(HK_VM_ROWS)'
check-kernel:
	@test -n '$(KERNEL)' || { echo 'usage: make check-kernel KERNEL=/path/to/vmlinuz' >&2; exit 1; }
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='$(HK_VM_ROWS)' KERNEL='$(KERNEL)'
clean-local: clean-vm
clean-vm:
	rm -rf test/vm/cache test/vm/reports
.PHONY: check-vm check-kernel clean-vm
