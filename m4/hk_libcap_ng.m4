# HK_WITH_LIBCAP_NG
# -----------------
# --with-libcap-ng=auto|yes|no (default auto).  Only hk-probe links
# libcap-ng: the preloaded library reads its few capabilities with
# capget(2), because libcap-ng's constructor would run in every process
# and calls pthread_atfork.  Sets CAPNG_CFLAGS/CAPNG_LIBS, HAVE_LIBCAP_NG
# (config.h) and the automake conditional HAVE_LIBCAP_NG.
AC_DEFUN([HK_WITH_LIBCAP_NG], [
  AC_ARG_WITH([libcap-ng],
    AS_HELP_STRING([--with-libcap-ng=auto|yes|no],
      [use libcap-ng in hk-probe for the capability report @<:@default=auto@:>@]),
    [], [with_libcap_ng=auto])
  hk_have_capng=no
  AS_CASE([$with_libcap_ng],
    [no], [],
    [yes], [PKG_CHECK_MODULES([CAPNG], [libcap-ng], [hk_have_capng=yes])],
    [auto], [PKG_CHECK_MODULES([CAPNG], [libcap-ng], [hk_have_capng=yes],
                               [hk_have_capng=no])],
    [AC_MSG_ERROR([bad value $with_libcap_ng for --with-libcap-ng])])
  AS_IF([test "x$hk_have_capng" = xyes],
    [AC_DEFINE([HAVE_LIBCAP_NG], [1], [Define if hk-probe uses libcap-ng.])])
  AM_CONDITIONAL([HAVE_LIBCAP_NG], [test "x$hk_have_capng" = xyes])
])
