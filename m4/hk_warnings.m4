# HK_CHECK_WARNINGS
# -----------------
# Collect the warning and code-generation flags hakmem is built with into
# HK_CFLAGS (AC_SUBST), keeping only those the compiler accepts.
# -fvisibility=hidden makes every symbol internal unless marked HK_EXPORT.
AC_DEFUN([HK_CHECK_WARNINGS], [
  HK_CFLAGS=""
  hk_save_CFLAGS=$CFLAGS
  for hk_flag in -Wall -Wextra -Wshadow -Wpointer-arith -Wmissing-prototypes \
                 -Wstrict-prototypes -Wformat=2 -fvisibility=hidden \
                 -fno-strict-aliasing -ftls-model=initial-exec; do
    AC_MSG_CHECKING([whether $CC accepts $hk_flag])
    CFLAGS="$hk_save_CFLAGS -Werror $hk_flag"
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
      [AC_MSG_RESULT([yes]); HK_CFLAGS="$HK_CFLAGS $hk_flag"],
      [AC_MSG_RESULT([no])])
  done
  CFLAGS=$hk_save_CFLAGS
  AC_SUBST([HK_CFLAGS])
])
