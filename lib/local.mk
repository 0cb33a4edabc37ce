# lib/: the OS layer and the allocator, in three libraries, each from one
# list of sources (the sanitizer and unhardened builds reuse the lists):
#   libhkcore   the probe and the OS-acquire layer: everything but the
#               allocator, so tests and hk-probe can link it without
#               replacing their own malloc;
#   libhkalloc  the allocator but the malloc-family names (override.c),
#               so unit tests can drive hk_* and the internals while
#               their own stdio keeps glibc's malloc;
#   libhakmem   the installed library: the malloc family on top.
HK_OS_SOURCES = \
	lib/internal.h \
	lib/msg.h lib/msg.c \
	lib/options.h lib/options.c lib/options-conf.c \
	lib/conf-read.h lib/conf-read.c \
	lib/once.h lib/lock.h lib/os.h lib/os.c lib/os-impl.h \
	lib/os-sys.c lib/os-batch.c lib/os-map.c \
	lib/os-lazy.c lib/os-touch.c lib/os-populate.c \
	lib/os-mappopulate.c lib/os-thp.c lib/os-hugetlb.c \
	lib/os-hugefork.c \
	lib/version.c \
	lib/os-dense.h lib/os-dense.c \
	lib/stats-path.h lib/stats-path.c
HK_ALLOC_SOURCES = \
	lib/internal.h lib/fastpath.h \
	lib/sizeclass.h lib/sizeclass.c \
	lib/slab.c lib/superslab.c lib/segmap.c lib/meta.c \
	lib/heap.c lib/heap-impl.h lib/heap-purge.c lib/heap-abandon.c lib/heap-trim.c \
	lib/large.c lib/purge.c \
	lib/alloc.c lib/free-slow.c lib/init.c \
	lib/stats.c lib/stats-impl.h lib/stats-json.c lib/stats-exit.c \
	lib/remote.c lib/heap-lend.c lib/heap-late.c \
	lib/glibc.h lib/glibc.c \
	lib/cxx-new.c
HK_OVERRIDE_SOURCES = lib/override.c lib/load.c

noinst_LTLIBRARIES += lib/libhkcore.la lib/libhkalloc.la
lib_libhkcore_la_SOURCES = $(HK_PROBE_SOURCES) $(HK_OS_SOURCES)
lib_libhkalloc_la_SOURCES = $(HK_ALLOC_SOURCES)
lib_libhkalloc_la_LIBADD = lib/libhkcore.la -lpthread

# libhakmem.so.  Library interface version, current:revision:age.  Update
# before a release: code changed -> revision++; interfaces
# added/removed/changed -> current++, revision = 0; interfaces added ->
# age++; removed -> age = 0.
lib_LTLIBRARIES = lib/libhakmem.la
lib_libhakmem_la_SOURCES = $(HK_OVERRIDE_SOURCES)
lib_libhakmem_la_LIBADD = lib/libhkalloc.la
lib_libhakmem_la_LDFLAGS = -version-info 0:0:0 -no-undefined \
	-Wl,--version-script=$(srcdir)/lib/libhakmem.sym
EXTRA_lib_libhakmem_la_DEPENDENCIES = lib/libhakmem.sym
EXTRA_DIST += lib/libhakmem.sym
# Calls inside the library (calloc to hk_calloc, cfree to free) bind to
# its own definitions at link time: direct jumps, not through the PLT.
lib_libhakmem_la_LDFLAGS += -Wl,-Bsymbolic-functions
# Resident once loaded (doc/hakmem.7, "dlopen"): dlclose leaves the code
# in place, since a thread that used hakmem runs its destructor at exit,
# and blocks it handed out may be freed after the close.
lib_libhakmem_la_LDFLAGS += -Wl,-z,nodelete
# Start-up page faults.  Full RELRO: the PLT's GOT joins the
# read-only-after-relocation pages, so .data and .bss start a page of
# their own, which the loader writes anyway (it zeroes .bss's first bytes
# there): every small global, and the segment map's entries in use, share
# it (lib/segmap.c), and cost no page fault of their own.
# test/api/test-faults checks it.
lib_libhakmem_la_LDFLAGS += -Wl,-z,relro -Wl,-z,now
