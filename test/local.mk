# test/: make check.  The harness (TAP, time bound, environment), then
# the tests by folder; test/unit/local.mk has the unit tests.
# ----------------------------------------------------------------------
# The harness: TAP through build-aux/tap-driver.sh.
# ----------------------------------------------------------------------
TEST_EXTENSIONS = .sh .preload
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
PRELOAD_LOG_DRIVER = $(LOG_DRIVER)
# A hang is a failure, never a stuck CI run: every test gets at most
# HK_TEST_TIMEOUT seconds (timeout(1) exits 124, which fails the test).
HK_TEST_TIMEOUT = 300
HK_TIMEOUT = timeout -k 10 $(HK_TEST_TIMEOUT)
LOG_COMPILER = $(HK_TIMEOUT)
SH_LOG_COMPILER = $(HK_TIMEOUT) $(SHELL)
# NAME-preload.preload runs the plain program NAME under LD_PRELOAD of
# libhakmem.so (test/dropin/preload-run.sh).
PRELOAD_LOG_COMPILER = $(HK_TIMEOUT) $(SHELL) $(top_srcdir)/test/dropin/preload-run.sh
AM_TESTS_ENVIRONMENT = \
	top_srcdir='$(abs_top_srcdir)'; top_builddir='$(abs_top_builddir)'; \
	HK_LIB='$(abs_top_builddir)/lib/.libs/libhakmem.so'; \
	PYTHON3='$(PYTHON3)'; PERL='$(PERL)'; CXX='$(CXX)'; \
	export top_srcdir top_builddir HK_LIB PYTHON3 PERL CXX;
EXTRA_DIST += test/run-suite.sh test/tap.h test/dropin/preload-run.sh

# What the tests link: the OS layer, the allocator's hk_* twins, or
# nothing of hakmem (plain: glibc's malloc, or hakmem's when preloaded).
HK_TEST_CORE_LIBS = lib/libhkcore.la
HK_TEST_ALLOC_LIBS = lib/libhkalloc.la
HK_TEST_PLAIN_LIBS = -ldl -lpthread
HK_TEST_LINKED_LIBS = lib/libhkalloc.la -ldl -lpthread
HK_TEST_LINKED_CPPFLAGS = $(AM_CPPFLAGS) -DHK_TEST_LINKED

include $(srcdir)/test/unit/local.mk

# ----------------------------------------------------------------------
# The allocator's API from programs.  Each program of HK_TRIPLE_TESTS
# is built twice from one source: NAME-hk calls the hk_* twins (linked to
# libhkalloc, its own malloc stays glibc's); NAME is plain and runs twice,
# as a glibc baseline (which shows the test itself is right) and, through
# NAME-preload.preload, under LD_PRELOAD of libhakmem.so.  A check that
# fails because of a hakmem bug listed in test/api/known-bugs.txt is a
# TODO (XFAIL).
#   test/api       the malloc family, misuse of free;
#   test/stress    thread turnover, fork, trim, dense chunks, signal
#                  handlers at once; owners exiting while others free
#                  their blocks (doc/THREAD-EXIT.md); key destructors
#                  that allocate;
#   test/fault     out of address space (RLIMIT_AS) from the start and
#                  in the middle of work, a large block's attributes reset
#                  before reuse, threads cancelled and signals taken while
#                  allocating, the program's fork handlers allocating,
#                  fork releasing each mutex once, longjmp out of the
#                  first mallocs;
#   test/badinput  misuse of free and realloc, each case in a child that
#                  must abort with hakmem's one-line message, and a
#                  use-after-free write that must not steer malloc.
# ----------------------------------------------------------------------
HK_TRIPLE_TESTS = \
	test/api/test-api test/api/test-badfree \
	test/stress/test-stress test/stress/test-fork \
	test/stress/test-thread-exit test/stress/test-large-churn \
	test/stress/test-trim test/stress/test-remote-trim \
	test/stress/test-idle-purge test/stress/test-stats-race \
	test/stress/test-churn test/stress/test-owner-exit \
	test/stress/test-key-malloc \
	test/fault/test-oom test/fault/test-addrspace \
	test/fault/test-large-attrs test/fault/test-interrupt \
	test/fault/test-atfork test/fault/test-fork-unlock \
	test/fault/test-sigjmp \
	test/badinput/test-misuse test/badinput/test-uaf
check_PROGRAMS += $(HK_TRIPLE_TESTS) $(HK_TRIPLE_TESTS:=-hk)
TESTS += $(HK_TRIPLE_TESTS) $(HK_TRIPLE_TESTS:=-hk) \
	$(HK_TRIPLE_TESTS:=-preload.preload)
EXTRA_DIST += $(HK_TRIPLE_TESTS:=-preload.preload) test/api/known-bugs.txt \
	test/api/alloc-api.h test/badinput/child.h \
	test/stress/rss.h test/stress/stage.h test/stress/wait.h
# C++'s operator new and delete (lib/cxx-new.c), built the same three
# ways; test-new-hk exports its symbols (-rdynamic), so that libstdc++
# binds to the operators it takes from libhkalloc, as the test checks.
# cxx.sh: the library needs no libstdc++, a C program loads it, and
# under HAKMEM_ENABLED=0 new's blocks are glibc's.
check_PROGRAMS += test/cxx/test-new test/cxx/test-new-hk test/cxx/new-from-c
TESTS += test/cxx/test-new test/cxx/test-new-hk \
	test/cxx/test-new-preload.preload test/cxx/cxx.sh
EXTRA_DIST += test/cxx/test-new-preload.preload test/cxx/cxx.sh
test_cxx_test_new_SOURCES = test/cxx/test-new.cc
test_cxx_new_from_c_LDADD = $(HK_TEST_PLAIN_LIBS)
test_cxx_test_new_LDADD = $(HK_TEST_PLAIN_LIBS)
test_cxx_test_new_hk_SOURCES = test/cxx/test-new.cc
test_cxx_test_new_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_cxx_test_new_hk_LDFLAGS = -rdynamic
test_cxx_test_new_hk_LDADD = $(HK_TEST_LINKED_LIBS)
# Automake cannot loop: one stanza per program, the plain one linking
# nothing of hakmem, the -hk one the twins.
test_api_test_api_LDADD = $(HK_TEST_PLAIN_LIBS)
test_api_test_api_hk_SOURCES = test/api/test-api.c
test_api_test_api_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_api_test_api_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_api_test_badfree_LDADD = $(HK_TEST_PLAIN_LIBS)
test_api_test_badfree_hk_SOURCES = test/api/test-badfree.c
test_api_test_badfree_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_api_test_badfree_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_stress_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_stress_hk_SOURCES = test/stress/test-stress.c
test_stress_test_stress_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_stress_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_fork_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_fork_hk_SOURCES = test/stress/test-fork.c
test_stress_test_fork_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_fork_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_thread_exit_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_thread_exit_hk_SOURCES = test/stress/test-thread-exit.c
test_stress_test_thread_exit_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_thread_exit_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_large_churn_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_large_churn_hk_SOURCES = test/stress/test-large-churn.c
test_stress_test_large_churn_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_large_churn_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_trim_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_trim_hk_SOURCES = test/stress/test-trim.c
test_stress_test_trim_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_trim_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_remote_trim_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_remote_trim_hk_SOURCES = test/stress/test-remote-trim.c
test_stress_test_remote_trim_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_remote_trim_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_idle_purge_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_idle_purge_hk_SOURCES = test/stress/test-idle-purge.c
test_stress_test_idle_purge_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_idle_purge_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_stats_race_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_stats_race_hk_SOURCES = test/stress/test-stats-race.c
test_stress_test_stats_race_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_stats_race_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_churn_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_churn_hk_SOURCES = test/stress/test-churn.c
test_stress_test_churn_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_churn_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_owner_exit_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_owner_exit_hk_SOURCES = test/stress/test-owner-exit.c
test_stress_test_owner_exit_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_owner_exit_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_key_malloc_LDADD = $(HK_TEST_PLAIN_LIBS)
test_stress_test_key_malloc_hk_SOURCES = test/stress/test-key-malloc.c
test_stress_test_key_malloc_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_stress_test_key_malloc_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_fault_test_oom_LDADD = $(HK_TEST_PLAIN_LIBS)
test_fault_test_oom_hk_SOURCES = test/fault/test-oom.c
test_fault_test_oom_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_fault_test_oom_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_fault_test_addrspace_LDADD = $(HK_TEST_PLAIN_LIBS)
test_fault_test_addrspace_hk_SOURCES = test/fault/test-addrspace.c
test_fault_test_addrspace_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_fault_test_addrspace_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_fault_test_large_attrs_LDADD = $(HK_TEST_PLAIN_LIBS)
test_fault_test_large_attrs_hk_SOURCES = test/fault/test-large-attrs.c
test_fault_test_large_attrs_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_fault_test_large_attrs_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_fault_test_interrupt_LDADD = $(HK_TEST_PLAIN_LIBS)
test_fault_test_interrupt_hk_SOURCES = test/fault/test-interrupt.c
test_fault_test_interrupt_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_fault_test_interrupt_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_fault_test_atfork_LDADD = $(HK_TEST_PLAIN_LIBS)
test_fault_test_atfork_hk_SOURCES = test/fault/test-atfork.c
test_fault_test_atfork_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_fault_test_atfork_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_fault_test_fork_unlock_LDADD = $(HK_TEST_PLAIN_LIBS)
test_fault_test_fork_unlock_hk_SOURCES = test/fault/test-fork-unlock.c
test_fault_test_fork_unlock_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_fault_test_fork_unlock_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_fault_test_sigjmp_LDADD = $(HK_TEST_PLAIN_LIBS)
test_fault_test_sigjmp_hk_SOURCES = test/fault/test-sigjmp.c
test_fault_test_sigjmp_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_fault_test_sigjmp_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_badinput_test_misuse_LDADD = $(HK_TEST_PLAIN_LIBS)
test_badinput_test_misuse_hk_SOURCES = test/badinput/test-misuse.c
test_badinput_test_misuse_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_badinput_test_misuse_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_badinput_test_uaf_LDADD = $(HK_TEST_PLAIN_LIBS)
test_badinput_test_uaf_hk_SOURCES = test/badinput/test-uaf.c
test_badinput_test_uaf_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_badinput_test_uaf_hk_LDADD = $(HK_TEST_LINKED_LIBS)

# The API tests built one way only.  test-faults: start-up page faults,
# preloaded (lib/local.mk says why they are few).  test-fork-init-hk:
# fork while the linked allocator starts.  test-hugetlb-fork: fork with
# HAKMEM_BACKEND=hugetlb and a small pool (root: it sets the pool for a
# few seconds and restores it).  test-sandbox: seccomp filters modelled
# on OpenSSH's and systemd's (test/fault/sandbox-filters.h), installed
# after start and before exec.
check_PROGRAMS += test/api/test-faults test/fault/test-fork-init-hk \
	test/stress/test-hugetlb-fork test/fault/test-sandbox
TESTS += test/api/test-faults-preload.preload test/fault/test-fork-init-hk \
	test/stress/test-hugetlb-fork test/fault/test-sandbox-preload.preload \
	test/fault/madvise.sh
EXTRA_DIST += test/api/test-faults-preload.preload \
	test/fault/test-sandbox-preload.preload test/fault/sandbox-filters.h \
	test/fault/madvise.sh
test_api_test_faults_LDADD = $(HK_TEST_PLAIN_LIBS)

# HAKMEM_ENABLED=0: a preloaded program runs on glibc's malloc
# (test/api/disabled.sh runs test-disabled both ways, test-api, and a
# real program); test-disabled is plain, run preloaded only there.
check_PROGRAMS += test/api/test-disabled
TESTS += test/api/disabled.sh
EXTRA_DIST += test/api/disabled.sh
test_api_test_disabled_LDADD = $(HK_TEST_PLAIN_LIBS)
test_fault_test_fork_init_hk_SOURCES = test/fault/test-fork-init.c
test_fault_test_fork_init_hk_CPPFLAGS = $(HK_TEST_LINKED_CPPFLAGS)
test_fault_test_fork_init_hk_LDADD = $(HK_TEST_LINKED_LIBS)
test_stress_test_hugetlb_fork_LDADD = $(HK_TEST_LINKED_LIBS)
test_fault_test_sandbox_LDADD = $(HK_TEST_PLAIN_LIBS)

# ----------------------------------------------------------------------
# The soak (test/soak): threads in waves, blocks handed between them,
# fork and posix_spawn from threads, statistics from a monitor thread,
# every block checked, memory back at the end.  A minute in make check;
# make soak runs it for HK_SOAK_SECONDS (600 unless set).
# ----------------------------------------------------------------------
check_PROGRAMS += test/soak/soak
test_soak_soak_LDADD = -lpthread
TESTS += test/soak/soak.sh
EXTRA_DIST += test/soak/soak.sh
soak: lib/libhakmem.la test/soak/soak
	HK_SOAK_SECONDS=$${HK_SOAK_SECONDS:-600} \
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	HK_LIB='$(abs_top_builddir)/lib/.libs/libhakmem.so' \
	$(SHELL) $(srcdir)/test/soak/soak.sh
.PHONY: soak

# ----------------------------------------------------------------------
# hk-probe's tests: shell scripts printing TAP.  test/expected/ holds the
# reports of the fixture trees (test/fixtures, tools/capture-fixture.sh);
# `make update-expected` rewrites them.
# ----------------------------------------------------------------------
HK_PROBE_TEST_SH = test/probe/cli.sh test/probe/report.sh \
	test/probe/sysroot.sh test/probe/bench.sh test/probe/check-config.sh
TESTS += $(HK_PROBE_TEST_SH)
EXTRA_DIST += $(HK_PROBE_TEST_SH) test/probe/lib.sh \
	test/probe/update-expected.sh test/expected test/fixtures \
	tools/capture-fixture.sh
update-expected: hk-probe/hk-probe$(EXEEXT)
	$(AM_V_GEN)top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
		$(SHELL) $(srcdir)/test/probe/update-expected.sh
.PHONY: update-expected

# ----------------------------------------------------------------------
# Simulated kernels.  hk-simkernel runs a command in a private mount
# namespace with another release, THP setup or hugetlb setup; with
# hk-seccomp (which makes the running kernel refuse chosen calls) it makes
# each kernel of test/sim/kernels.txt, and test/sim/matrix.sh checks
# hk-probe and the preloaded allocator under each (skipped, saying why,
# where namespaces are not allowed).
# ----------------------------------------------------------------------
check_PROGRAMS += test/sim/hk-simkernel test/sim/hk-seccomp test/sim/sim-alloc
test_sim_hk_simkernel_SOURCES = test/sim/hk-simkernel.c test/sim/sim.h \
	test/sim/sim-mounts.c test/sim/sim-uname.c test/sim/sim-pool.c
TESTS += test/sim/matrix.sh
EXTRA_DIST += test/sim/matrix.sh test/sim/kernels.txt

# ----------------------------------------------------------------------
# Drop-in: real programs run plain and with libhakmem.so preloaded must
# agree; the hakmem launcher's options and exit codes.
# ----------------------------------------------------------------------
TESTS += test/dropin/test-launcher.sh test/dropin/test-dropin.sh
EXTRA_DIST += test/dropin/tap-lib.sh \
	test/dropin/test-launcher.sh test/dropin/test-dropin.sh \
	test/dropin/work.bash test/dropin/dicts.py test/dropin/hashes.pl \
	test/dropin/containers.cc

# ----------------------------------------------------------------------
# The report at exit for a fleet: HAKMEM_STATS=json and
# HAKMEM_STATS_FILE, preloaded into a plain program.
# ----------------------------------------------------------------------
check_PROGRAMS += test/stats/stats-prog
TESTS += test/stats/stats-report.sh
EXTRA_DIST += test/stats/stats-report.sh

# ----------------------------------------------------------------------
# System-wide.  Root only (skipped, saying why, otherwise): HAKMEM_
# variables ignored in a setuid program, /etc/hakmem.conf obeyed (also
# by a setuid program) unless untrusted, a battery of real programs
# with the library in /etc/ld.so.preload of a private mount namespace
# (the real file is never touched), and a program that fits in a
# cgroup memory limit under glibc fitting under hakmem.
# ----------------------------------------------------------------------
check_PROGRAMS += test/system/secure-prog
test_system_secure_prog_LDADD = lib/libhakmem.la
test_system_secure_prog_LDFLAGS = -no-install
TESTS += test/system/setuid.sh test/system/ld-so-preload.sh \
	test/system/cgroup-limit.sh test/system/conf-file.sh
EXTRA_DIST += test/system/setuid.sh test/system/ld-so-preload.sh \
	test/system/battery.sh test/system/cgroup-limit.sh test/system/conf-file.sh
# hakmem install --system / status / remove --system and hk-probe
# --self-test, on /etc/ld.so.preload in a private mount namespace.
TESTS += test/system/install.sh
EXTRA_DIST += test/system/install.sh

# ----------------------------------------------------------------------
# Sanitizers, valgrind and fuzzing.  Unit tests of the probe, selection,
# size classes and slabs built again with -fsanitize=address,undefined
# where the compiler can (configure: HK_CHECK_SANITIZERS), against the
# libraries' sources built the same way; valgrind memcheck of hk-probe;
# a libFuzzer target of the hk_* API built with clang (test/fuzz/build.sh):
# 20 s in make check, longer in make fuzz.  The system calls the
# preloaded library makes after main() are audited by hand
# (test/tools/syscall-audit.sh PROG; doc/SYSCALLS.md has the results).
# ----------------------------------------------------------------------
if HK_SANITIZE
noinst_LTLIBRARIES += lib/libhkalloc-san.la
lib_libhkalloc_san_la_SOURCES = $(HK_PROBE_SOURCES) $(HK_OS_SOURCES) $(HK_ALLOC_SOURCES)
lib_libhkalloc_san_la_CFLAGS = $(AM_CFLAGS) $(HK_SAN_CFLAGS)
HK_SAN_TESTS = test/san/test-probe test/san/test-select \
	test/san/test-sizeclass test/san/test-slab test/san/test-conf
check_PROGRAMS += $(HK_SAN_TESTS)
TESTS += $(HK_SAN_TESTS)
HK_SAN_LIBS = lib/libhkalloc-san.la -lpthread
test_san_test_probe_SOURCES = test/unit/test-probe.c
test_san_test_probe_CFLAGS = $(AM_CFLAGS) $(HK_SAN_CFLAGS)
test_san_test_probe_LDFLAGS = $(HK_SAN_CFLAGS)
test_san_test_probe_LDADD = $(HK_SAN_LIBS)
test_san_test_select_SOURCES = test/unit/test-select.c
test_san_test_select_CFLAGS = $(AM_CFLAGS) $(HK_SAN_CFLAGS)
test_san_test_select_LDFLAGS = $(HK_SAN_CFLAGS)
test_san_test_select_LDADD = $(HK_SAN_LIBS)
test_san_test_sizeclass_SOURCES = test/unit/test-sizeclass.c
test_san_test_sizeclass_CFLAGS = $(AM_CFLAGS) $(HK_SAN_CFLAGS)
test_san_test_sizeclass_LDFLAGS = $(HK_SAN_CFLAGS)
test_san_test_sizeclass_LDADD = $(HK_SAN_LIBS)
test_san_test_slab_SOURCES = test/unit/test-slab.c
test_san_test_slab_CFLAGS = $(AM_CFLAGS) $(HK_SAN_CFLAGS)
test_san_test_slab_LDFLAGS = $(HK_SAN_CFLAGS)
test_san_test_slab_LDADD = $(HK_SAN_LIBS)
test_san_test_conf_SOURCES = test/unit/test-conf.c
test_san_test_conf_CFLAGS = $(AM_CFLAGS) $(HK_SAN_CFLAGS)
test_san_test_conf_LDFLAGS = $(HK_SAN_CFLAGS)
test_san_test_conf_LDADD = $(HK_SAN_LIBS)
endif
TESTS += test/tools/valgrind.sh test/fuzz/fuzz.sh
EXTRA_DIST += test/tools/valgrind.sh test/tools/syscall-audit.sh \
	test/fuzz/fuzz.sh test/fuzz/build.sh test/fuzz/fuzz-alloc.c
CLEANFILES += test/fuzz/fuzz-alloc test/fuzz/fuzz-alloc.tmp test/fuzz/fuzz-alloc.errors

# make fuzz: the same target for HK_FUZZ_SECONDS (default 600).
fuzz: all
	$(AM_V_GEN)HK_FUZZ_SECONDS=$${HK_FUZZ_SECONDS:-600}; export HK_FUZZ_SECONDS; \
	$(AM_TESTS_ENVIRONMENT) $(SHELL) $(srcdir)/test/fuzz/fuzz.sh
.PHONY: fuzz
