#!/bin/sh
# rpm.sh: the RPM packages.  `make rpm` builds them with rpmbuild (on
# Debian, its rpm package); the runtime package must hold the library and
# hk-probe, the -devel one the header, pc file and link.  The erase
# scriptlet, taken from the package, runs on a /etc/ld.so.preload in a
# throwaway root ($DPKG_ROOT, which the shared function honours): an
# upgrade ($1 = 1) leaves the file alone, an erase ($1 = 0) takes out the
# library's entry and nothing else.
. "$top_srcdir/test/dropin/tap-lib.sh"
. "$top_srcdir/test/pkg/pkg-lib.sh"
pkg_need rpmbuild rpm
pkg_build rpm
run_rpm=$(ls "$scratch"/pkgs/hakmem-"$version"-*.rpm | grep -v devel)
dev_rpm=$(ls "$scratch"/pkgs/hakmem-devel-"$version"-*.rpm)
libdir=$(rpm --eval '%{_libdir}')
rpm -qlp "$run_rpm" >"$scratch/run.list" 2>&1
grep -qx "$libdir/libhakmem.so.0" "$scratch/run.list" &&
	grep -qx /usr/bin/hk-probe "$scratch/run.list" &&
	grep -qx /usr/bin/hakmem "$scratch/run.list"
ok $? "hakmem holds libhakmem.so.0, hk-probe and the launcher"
rpm -qlp "$dev_rpm" >"$scratch/dev.list" 2>&1
grep -qx /usr/include/hakmem.h "$scratch/dev.list" &&
	grep -qx "$libdir/libhakmem.so" "$scratch/dev.list" &&
	grep -qx "$libdir/pkgconfig/hakmem.pc" "$scratch/dev.list"
ok $? "hakmem-devel holds hakmem.h, the link and hakmem.pc"

root=$scratch/root
mkdir -p "$root/etc" "$root$libdir"
rpm -qp --qf '%{PREUN}' "$run_rpm" >"$scratch/preun" 2>/dev/null
printf '/opt/other/libfoo.so\n%s/libhakmem.so.0\n' "$libdir" >"$root/etc/ld.so.preload"
cp "$root/etc/ld.so.preload" "$scratch/orig"
DPKG_ROOT=$root sh "$scratch/preun" 1 2>"$scratch/preun.err"
cmp -s "$root/etc/ld.so.preload" "$scratch/orig"
ok $? "%preun of an upgrade leaves /etc/ld.so.preload as it was"
DPKG_ROOT=$root sh "$scratch/preun" 0 2>"$scratch/preun.err"
[ "$(cat "$root/etc/ld.so.preload")" = /opt/other/libfoo.so ] &&
	grep -q 'warning: /etc/ld.so.preload names' "$scratch/preun.err"
ok $? "%preun of an erase takes the library's entry out, with a warning"
done_testing
