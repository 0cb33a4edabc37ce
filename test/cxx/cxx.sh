#!/bin/sh
# cxx.sh: libhakmem.so's C++ operators (lib/cxx-new.c) without C++ in
# the library: it needs libc only (no libstdc++ in readelf -d), its
# references to libstdc++ are weak, a C program loads it and calls its
# operators (test/cxx/new-from-c), one that loads libstdc++ later gets
# its new_handler and std::bad_alloc (new-from-c dlopen), and under HAKMEM_ENABLED=0 new hands
# out glibc's blocks and delete frees them (test/cxx/test-new glibc).
. "$top_srcdir/test/dropin/tap-lib.sh"
need_malloc_override "the C++ operators not tested"
make_scratch

if command -v readelf >/dev/null 2>&1; then
	needed=$(readelf -d "$HK_LIB" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
	[ "$needed" = "libc.so.6 " ]
	ok $? "libhakmem.so needs libc.so.6 only (NEEDED: $needed)"
else
	echo "ok $((tap_n += 1)) # SKIP readelf not found"
fi
weak=$(nm -D "$HK_LIB" | grep -E ' (_ZSt15get_new_handlerv|_ZSt17__throw_bad_allocv)$' | awk '{print $1}' | tr '\n' ' ')
[ "$weak" = "w w " ]
ok $? "its references to libstdc++ are weak undefined (nm: $weak)"

run_ok "a C program calls the operators, no libstdc++ loaded" \
	LD_PRELOAD="$HK_LIB" "$top_builddir/test/cxx/new-from-c"
run_ok "libstdc++ loaded after hakmem: new_handler and std::bad_alloc" \
	LD_PRELOAD="$HK_LIB" "$top_builddir/test/cxx/new-from-c" dlopen
run_ok "HAKMEM_ENABLED=0: new's blocks are glibc's, delete forwards" \
	HAKMEM_ENABLED=0 LD_PRELOAD="$HK_LIB" "$top_builddir/test/cxx/test-new" glibc
run_ok "HAKMEM_ENABLED unset: the same check sees hakmem" \
	LD_PRELOAD="$HK_LIB" "$top_builddir/test/cxx/test-new" hakmem
run_ok "HAKMEM_ENABLED=0: the whole test passes as on glibc" \
	HAKMEM_ENABLED=0 HK_EXPECT_GLIBC=1 LD_PRELOAD="$HK_LIB" "$top_builddir/test/cxx/test-new"

done_testing
