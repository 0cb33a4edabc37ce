# HK_CHECK_SANITIZERS
# -------------------
# Whether the compiler builds and runs a program with
# -fsanitize=address,undefined: then make check also builds the probe,
# selection, size-class and slab unit tests with them (Makefile.am,
# "tests: sanitizers and fuzzing").  Sets HK_SAN_CFLAGS and the
# conditional HK_SANITIZE.  --disable-sanitizer-tests turns it off.
AC_DEFUN([HK_CHECK_SANITIZERS], [
  AC_ARG_ENABLE([sanitizer-tests],
    [AS_HELP_STRING([--disable-sanitizer-tests],
      [do not build unit tests with -fsanitize=address,undefined @<:@default=auto@:>@])],
    [], [enable_sanitizer_tests=auto])
  HK_SAN_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  hk_have_san=no
  AS_IF([test "x$enable_sanitizer_tests" != xno], [
    AC_CACHE_CHECK([whether $CC builds with -fsanitize=address,undefined],
      [hk_cv_sanitize], [
      hk_save_CFLAGS=$CFLAGS
      hk_save_LDFLAGS=$LDFLAGS
      CFLAGS="$CFLAGS $HK_SAN_CFLAGS"
      LDFLAGS="$LDFLAGS $HK_SAN_CFLAGS"
      AC_RUN_IFELSE([AC_LANG_PROGRAM([[#include <stdlib.h>]],
          [[char *p = malloc(4); p[0] = 1; free(p); return 0;]])],
        [hk_cv_sanitize=yes], [hk_cv_sanitize=no], [hk_cv_sanitize=no])
      CFLAGS=$hk_save_CFLAGS
      LDFLAGS=$hk_save_LDFLAGS])
    hk_have_san=$hk_cv_sanitize])
  AS_IF([test "x$enable_sanitizer_tests" = xyes && test "x$hk_have_san" != xyes],
    [AC_MSG_ERROR([--enable-sanitizer-tests: $CC cannot build with $HK_SAN_CFLAGS])])
  AC_SUBST([HK_SAN_CFLAGS])
  AM_CONDITIONAL([HK_SANITIZE], [test "x$hk_have_san" = xyes])
])
