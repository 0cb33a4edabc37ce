# HK_CHECK_TLS_MODEL
# ------------------
# The allocator's thread heap must be initial-exec TLS: a dlopen-style
# dynamic TLS access may call malloc, which would recurse into us.
# Fail early when the toolchain cannot compile the attribute.
AC_DEFUN([HK_CHECK_TLS_MODEL], [
  AC_CACHE_CHECK([for __thread with tls_model("initial-exec")],
    [hk_cv_tls_ie], [
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM(
      [[static __thread int x __attribute__((tls_model("initial-exec")));]],
      [[x = 1; return x;]])],
      [hk_cv_tls_ie=yes], [hk_cv_tls_ie=no])])
  AS_IF([test "x$hk_cv_tls_ie" != xyes],
    [AC_MSG_ERROR([hakmem needs initial-exec thread-local storage])])
])
