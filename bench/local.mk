# bench/: benchmarks (make bench; never part of make check).  The
# programs link nothing of hakmem: compare.sh runs each under each
# allocator with LD_PRELOAD (doc/BENCHMARKS.md).
BENCH_PROGS = bench/measure bench/startup bench/tiny \
	bench/random-mixed bench/larson bench/xmalloc \
	bench/cache bench/tight-loop \
	bench/mstress bench/alloc-test bench/realloc-growth \
	bench/large bench/frag bench/fresh-touch
# bench/fork-copy: fork cost with hugetlb memory (doc/HUGETLB-FORK.md),
# outside make bench.
EXTRA_PROGRAMS += $(BENCH_PROGS) bench/fork-copy
CLEANFILES += $(BENCH_PROGS) bench/fork-copy
EXTRA_DIST += bench/bench.h bench/compare.sh bench/report.py bench/.gitignore \
	bench/hardening.sh
# -fno-builtin: the compiler must not drop or merge the malloc/free
# pairs the workloads are made of.  Per-program flags (automake has no
# per-folder ones); each program's source is its name with .c.
BENCH_CFLAGS = $(AM_CFLAGS) -fno-builtin -pthread
bench_measure_CFLAGS = $(BENCH_CFLAGS)
bench_startup_CFLAGS = $(BENCH_CFLAGS)
bench_tiny_CFLAGS = $(BENCH_CFLAGS)
bench_random_mixed_CFLAGS = $(BENCH_CFLAGS)
bench_larson_CFLAGS = $(BENCH_CFLAGS)
bench_xmalloc_CFLAGS = $(BENCH_CFLAGS)
bench_cache_CFLAGS = $(BENCH_CFLAGS)
bench_tight_loop_CFLAGS = $(BENCH_CFLAGS)
bench_mstress_CFLAGS = $(BENCH_CFLAGS)
bench_alloc_test_CFLAGS = $(BENCH_CFLAGS)
bench_realloc_growth_CFLAGS = $(BENCH_CFLAGS)
bench_large_CFLAGS = $(BENCH_CFLAGS)
bench_frag_CFLAGS = $(BENCH_CFLAGS)
bench_fresh_touch_CFLAGS = $(BENCH_CFLAGS)
bench_fork_copy_CFLAGS = $(BENCH_CFLAGS)

# make bench: build the programs, then compare the allocators
# (BENCH_QUICK=1 for a short run, BENCH_RUNS=n, BENCH_CALLGRIND=1; see
# doc/BENCHMARKS.md).
bench: $(BENCH_PROGS) lib/libhakmem.la bench/libhkfloor.la
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(srcdir)/bench/compare.sh
.PHONY: bench

# make bench-hardening: what the hardened free list costs.  The same
# library built with -DHK_UNHARDENED (next pointers in the clear, see
# lib/internal.h hk_enc), never installed, against the real one.
EXTRA_LTLIBRARIES += bench/libhakmem-unhardened.la
bench_libhakmem_unhardened_la_SOURCES = $(HK_PROBE_SOURCES) $(HK_OS_SOURCES) \
	$(HK_ALLOC_SOURCES) $(HK_OVERRIDE_SOURCES)
bench_libhakmem_unhardened_la_CPPFLAGS = $(AM_CPPFLAGS) -DHK_UNHARDENED
bench_libhakmem_unhardened_la_LIBADD = -lpthread
bench_libhakmem_unhardened_la_LDFLAGS = -rpath /nowhere -avoid-version \
	-no-undefined -Wl,--version-script=$(srcdir)/lib/libhakmem.sym \
	-Wl,-Bsymbolic-functions
CLEANFILES += bench/libhakmem-unhardened.la
bench-hardening: $(BENCH_PROGS) lib/libhakmem.la bench/libhakmem-unhardened.la
	top_srcdir='$(abs_top_srcdir)' top_builddir='$(abs_top_builddir)' \
	$(SHELL) $(srcdir)/bench/hardening.sh
.PHONY: bench-hardening

# The random-mixed floor: an allocator that does no more than a pop and
# a push (bench/floor.c), never installed, to measure what the loop
# costs around any allocator.
EXTRA_LTLIBRARIES += bench/libhkfloor.la
bench_libhkfloor_la_SOURCES = bench/floor.c
bench_libhkfloor_la_CFLAGS = $(BENCH_CFLAGS)
bench_libhkfloor_la_LDFLAGS = -rpath /nowhere -avoid-version -no-undefined
CLEANFILES += bench/libhkfloor.la

# What a chunk costs per backend, fresh and cached (built by make check,
# run by hand: bench/bench-os-chunks [REPS]).
check_PROGRAMS += bench/bench-os-chunks
bench_bench_os_chunks_LDADD = lib/libhkcore.la
