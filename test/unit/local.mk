# test/unit/: the libraries' own tests, included by test/local.mk.
# ----------------------------------------------------------------------
# Against lib/libhkcore.la (HK_TEST_CORE_LIBS): the probe's readers
# against the fixture trees (test/fixtures) and the live system; the
# policy (select, the chunk plan) against a table of machines; the
# options table and HAKMEM_STATS_FILE's pattern; the probe with /proc and /sys hidden under a kill
# filter; the OS layer's backends, batches, demotion and fallbacks on
# kernels that refuse a feature (test-os-demote.sh, through
# test/sim/hk-seccomp), threads, and the promotion of fresh chunks found
# dense (probe/chunk.h, lib/os-dense.h); the run-once flags whose
# claimant left them (lib/once.h); page moves on a kernel whose mremap
# unmaps the destination of a move it then refuses (before 6.17).  probe-trials prints this machine's
# trials for tools/capture-fixture.sh.
# ----------------------------------------------------------------------
HK_CORE_TESTS = \
	test/unit/test-sysfile test/unit/test-uname test/unit/test-limits \
	test/unit/test-privs test/unit/test-thp test/unit/test-hugetlb \
	test/unit/test-madv test/unit/test-probe test/unit/test-select \
	test/unit/test-chunk test/unit/test-options test/unit/test-conf \
	test/unit/test-probe-hidden test/unit/test-fmt test/unit/test-kconst \
	test/unit/test-os-backends test/unit/test-os-batch \
	test/unit/test-os-early test/unit/test-os-hugetlb \
	test/unit/test-os-threads test/unit/test-os-always \
	test/unit/test-dense test/unit/test-once test/unit/test-os-move \
	test/unit/test-stats-path
check_PROGRAMS += $(HK_CORE_TESTS) test/unit/probe-trials test/unit/test-os-demote
TESTS += $(HK_CORE_TESTS) test/unit/test-os-demote.sh
EXTRA_DIST += test/unit/probe-fixture.h test/unit/os-test.h test/unit/cases.h test/unit/old-mremap.h \
	test/unit/test-os-demote.sh
test_unit_test_sysfile_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_uname_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_limits_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_privs_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_thp_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_hugetlb_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_madv_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_probe_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_select_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_chunk_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_options_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_conf_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_probe_hidden_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_fmt_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_kconst_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_os_backends_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_os_batch_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_os_early_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_os_hugetlb_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_os_threads_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_os_threads_LDFLAGS = -pthread
test_unit_test_os_always_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_dense_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_once_LDADD = $(HK_TEST_CORE_LIBS) -lpthread
test_unit_probe_trials_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_os_demote_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_os_move_LDADD = $(HK_TEST_CORE_LIBS)
test_unit_test_stats_path_LDADD = $(HK_TEST_CORE_LIBS)

# ----------------------------------------------------------------------
# Against lib/libhkalloc.la (HK_TEST_ALLOC_LIBS): size classes, slabs,
# superslabs, the hk_* API, the large-object cache, remote frees, what a
# heap keeps for reuse and shares with a new thread, what an exiting
# thread and the large cache leave resident, the ring of a class's slabs,
# where the big classes' slabs go, fork children and the slabs of threads
# they stopped, the pages of blocks freed by other threads near a cgroup
# limit.  test-dense-alloc runs under simulated kernels, through
# test-dense-alloc.sh.
# ----------------------------------------------------------------------
HK_ALLOC_TESTS = \
	test/unit/test-sizeclass test/unit/test-slab test/unit/test-superslab \
	test/unit/test-alloc test/unit/test-large test/unit/test-remote \
	test/unit/test-notice test/unit/test-heap-trim test/unit/test-fork-batch \
	test/unit/test-heap-reuse test/unit/test-abandon-purge \
	test/unit/test-lcache-order test/unit/test-heap-share \
	test/unit/test-heap-ring test/unit/test-slab-fit \
	test/unit/test-fork-torn test/unit/test-fork-exit \
	test/unit/test-purge-block
check_PROGRAMS += $(HK_ALLOC_TESTS) test/unit/test-dense-alloc
TESTS += $(HK_ALLOC_TESTS) test/unit/test-dense-alloc.sh
EXTRA_DIST += test/unit/test-dense-alloc.sh test/unit/scenario.sh
test_unit_test_sizeclass_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_slab_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_superslab_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_alloc_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_large_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_remote_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_notice_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_heap_trim_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_fork_batch_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_heap_reuse_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_abandon_purge_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_lcache_order_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_heap_share_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_heap_ring_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_slab_fit_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_fork_torn_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_fork_exit_LDADD = $(HK_TEST_ALLOC_LIBS) -ldl -lpthread
test_unit_test_dense_alloc_LDADD = $(HK_TEST_ALLOC_LIBS)
test_unit_test_purge_block_LDADD = $(HK_TEST_ALLOC_LIBS)

# ----------------------------------------------------------------------
# Linking nothing of hakmem: dlopen of libhakmem.so with threads, and
# the program's keys all used (dlclose with threads), plain and
# preloaded.
# ----------------------------------------------------------------------
check_PROGRAMS += test/unit/test-dlopen test/unit/test-keys
TESTS += test/unit/test-dlopen test/unit/test-keys \
	test/unit/test-keys-preload.preload
EXTRA_DIST += test/unit/test-keys-preload.preload
test_unit_test_dlopen_LDADD = $(HK_TEST_PLAIN_LIBS)
test_unit_test_keys_LDADD = $(HK_TEST_PLAIN_LIBS)
