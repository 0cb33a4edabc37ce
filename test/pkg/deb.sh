#!/bin/sh
# deb.sh: the Debian packages.  `make deb` builds them from a copy of the
# distribution, lintian must find no errors in them (when installed);
# dpkg installs them into a throwaway root (dpkg --root,
# maintainer scripts run without chroot, with $DPKG_ROOT naming the root),
# never on the host.  From there hk-probe runs, a program runs with the
# packaged library preloaded, and the launcher's default library is one
# the runtime package ships.  Then the removal policy, on a
# /etc/ld.so.preload inside the root: reinstalling (an upgrade for prerm)
# leaves it alone; removing takes out exactly the entries naming the
# packaged library (also by /lib, merged with /usr/lib) and keeps a
# backup; postrm's safety net takes out only entries whose file is gone.
. "$top_srcdir/test/dropin/tap-lib.sh"
. "$top_srcdir/test/pkg/pkg-lib.sh"
pkg_need dpkg-buildpackage dpkg-deb dpkg dh
if ! deps=$(cd "$top_srcdir" && dpkg-checkbuilddeps 2>&1); then
	pkg_skip_all "$(echo "$deps" | head -c 200)"
fi
PATH=$PATH:/usr/sbin:/sbin   # dpkg looks for ldconfig and friends there
ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
host_before=$(cat /etc/ld.so.preload 2>/dev/null; echo x)
pkg_build deb
run_deb=$(ls "$scratch"/pkgs/hakmem_"$version"_*.deb)
dev_deb=$(ls "$scratch"/pkgs/libhakmem-dev_"$version"_*.deb)
if command -v lintian >/dev/null; then
	lintian --fail-on error "$run_deb" "$dev_deb" >"$scratch/lintian.out" 2>&1
	st=$?
	grep '^E:' "$scratch/lintian.out" | sed 's/^/# /'
	ok $st "lintian finds no errors in the packages"
else
	skip "no lintian (tools/install-deps.sh installs it)"
fi

# A root with a dpkg database of its own, /usr merged as on Debian 12.
root=$scratch/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" \
	"$root/var/lib/dpkg/triggers" "$root/usr/lib" "$root/etc"
: >"$root/var/lib/dpkg/status"
ln -s usr/lib "$root/lib"
dpkg_root() {
	dpkg --root="$root" --force-not-root --force-script-chrootless \
		--force-depends --force-unsafe-io --log=/dev/null "$@"
}
dpkg_root -i "$run_deb" "$dev_deb" >"$scratch/install.log" 2>&1
ok $? "dpkg installs both packages into the throwaway root"
libdir=$root/usr/lib/$ma

out=$(LD_LIBRARY_PATH=$libdir "$root/usr/bin/hk-probe" --version | head -1)
[ "$out" = "hk-probe (hakmem) $version" ]
ok $? "the packaged hk-probe runs and names version $version ($out)"
LD_LIBRARY_PATH=$libdir "$root/usr/bin/hk-probe" >"$scratch/report" 2>&1 &&
	grep -q library_agrees "$scratch/report"
ok $? "the packaged hk-probe prints its report"
# cat's own maps, under the packaged library
n=$(LD_PRELOAD=$libdir/libhakmem.so.0 cat /proc/self/maps | grep -c "$libdir/libhakmem.so")
[ "$n" -gt 0 ]
ok $? "a program runs with the packaged libhakmem.so.0 preloaded ($n mappings)"
def=$("$root/usr/bin/hakmem" --help | sed -n 's/.*(default: \(.*\))$/\1/p')
dpkg-deb -c "$run_deb" | grep -q " \.$def\( \|$\)"
ok $? "the launcher's default library ($def) is in the runtime package"
[ -f "$root/usr/include/hakmem.h" ] && [ -f "$libdir/pkgconfig/hakmem.pc" ] &&
	[ "$(readlink -f "$libdir/libhakmem.so")" = "$(readlink -f "$libdir/libhakmem.so.0")" ]
ok $? "libhakmem-dev holds hakmem.h, hakmem.pc and the link to the library"

pre=$root/etc/ld.so.preload
cat >"$pre" <<PRE
/opt/other/libfoo.so
/usr/lib/$ma/libhakmem.so.0
/lib/$ma/libhakmem.so.0.0.0 /opt/other/libbar.so
/usr/local/lib/libhakmem.so
PRE
chmod 644 "$pre"
cp "$pre" "$scratch/preload.orig"
dpkg_root -i "$run_deb" >"$scratch/upgrade.log" 2>&1
ok $? "dpkg reinstalls the runtime package (prerm upgrade)"
cmp -s "$pre" "$scratch/preload.orig" && ! [ -e "$pre.hakmem-bak" ]
ok $? "an upgrade leaves /etc/ld.so.preload as it was"

dpkg_root -r libhakmem-dev hakmem >"$scratch/remove.log" 2>&1
ok $? "dpkg removes both packages"
printf '/opt/other/libfoo.so\n/opt/other/libbar.so\n/usr/local/lib/libhakmem.so\n' >"$scratch/want"
if cmp -s "$pre" "$scratch/want"; then r=0; else r=1; diff "$scratch/want" "$pre" | sed 's/^/# /'; fi
ok $r "removal took out the packaged library's entries, and only them"
cmp -s "$pre.hakmem-bak" "$scratch/preload.orig"
ok $? "the old file is kept as /etc/ld.so.preload.hakmem-bak"
[ "$(stat -c %a "$pre")" = 644 ]
ok $? "the new file keeps mode 644"
[ "$(grep -c 'warning: /etc/ld.so.preload names' "$scratch/remove.log")" = 2 ]
ok $? "removal warned once for each entry it took out"
! [ -e "$libdir/libhakmem.so.0" ]
ok $? "the library is gone from the root"

# postrm's safety net alone (the real script, run as dpkg would): only an
# entry whose file is missing goes.
dpkg_root -i "$run_deb" >/dev/null 2>&1
dpkg-deb -e "$run_deb" "$scratch/ctl"
printf '/usr/lib/%s/libhakmem.so.0\n/usr/lib/%s/libhakmem.so.9\n' "$ma" "$ma" >"$pre"
DPKG_ROOT=$root sh "$scratch/ctl/postrm" remove 2>"$scratch/postrm.err"
[ "$(cat "$pre")" = "/usr/lib/$ma/libhakmem.so.0" ]
ok $? "postrm takes out only the entry whose file is missing"

[ "$(cat /etc/ld.so.preload 2>/dev/null; echo x)" = "$host_before" ]
ok $? "the host's /etc/ld.so.preload was not touched"
done_testing
