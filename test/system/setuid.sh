#!/bin/sh
# setuid.sh: in a setuid program (AT_SECURE) every HAKMEM_ variable is
# ignored.  A setuid-root copy of test/system/secure-prog, run as nobody
# with HAKMEM_VERBOSE=1 and HAKMEM_BACKEND=bogus, prints nothing from
# hakmem on stderr; with HAKMEM_BACKEND set to another valid backend it
# keeps the default one, and HAKMEM_STATS_FILE makes no file.  A plain
# copy run the same way shows that the variables do act where they are
# allowed (so the test can fail).  The
# copies live in a private directory of /tmp (checked for nosuid),
# removed at the end.  Root only.
. "$top_srcdir/test/dropin/tap-lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (a setuid-root copy and setpriv)"; exit 0; }
command -v setpriv >/dev/null || { echo "1..0 # SKIP no setpriv"; exit 0; }
prog=$top_builddir/test/system/secure-prog
dir=$(mktemp -d /tmp/hk-setuid.XXXXXX) || exit 1
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"
case ,$(findmnt -no OPTIONS -T "$dir"), in
*,nosuid,*) echo "1..0 # SKIP /tmp is mounted nosuid"; exit 0 ;;
esac
cp "$prog" "$dir/plain" && cp "$prog" "$dir/suid" && chmod 4755 "$dir/suid" || exit 1
asnobody() {
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}
if ! asnobody "$dir/plain" >"$dir/base.out" 2>"$dir/base.err"; then
	echo "1..0 # SKIP nobody cannot run $prog (is the build tree readable?)"
	exit 0
fi
default=$(sed -n 's/^backend: //p' "$dir/base.out")
other="lazy"
[ "$default" = lazy ] && other="touch"

asnobody env HAKMEM_VERBOSE=1 HAKMEM_BACKEND=$other "$dir/plain" >"$dir/p.out" 2>"$dir/p.err"
grep -q "^backend: $other\$" "$dir/p.out" && [ -s "$dir/p.err" ]
ok $? "a plain copy, as nobody, obeys HAKMEM_BACKEND=$other and HAKMEM_VERBOSE=1 (the test can fail)"

asnobody "$dir/suid" >"$dir/s0.out" 2>"$dir/s0.err"
grep -q '^secure: 1$' "$dir/s0.out"
ok $? "the setuid-root copy, run as nobody, is AT_SECURE"

asnobody env HAKMEM_VERBOSE=1 HAKMEM_BACKEND=bogus "$dir/suid" >"$dir/s1.out" 2>"$dir/s1.err"
st=$?
[ $st -eq 0 ] && ! [ -s "$dir/s1.err" ] && cmp -s "$dir/s0.out" "$dir/s1.out"
ok $? "setuid, HAKMEM_VERBOSE=1 HAKMEM_BACKEND=bogus: exit 0, nothing on stderr, same output (exit $st, stderr: $(head -c 200 "$dir/s1.err"))"

asnobody env HAKMEM_VERBOSE=1 HAKMEM_BACKEND=$other HAKMEM_STATS=1 "$dir/suid" >"$dir/s2.out" 2>"$dir/s2.err"
grep -q "^backend: $default\$" "$dir/s2.out" && ! [ -s "$dir/s2.err" ]
ok $? "setuid, HAKMEM_BACKEND=$other HAKMEM_STATS=1: the default backend ($default) and no output from hakmem"

# A report file named by the caller is a file written with the owner's
# rights: only the plain copy makes one.
mkdir "$dir/out" && chmod 1777 "$dir/out"
asnobody env HAKMEM_STATS_FILE="$dir/out/plain.%p" "$dir/plain" >/dev/null 2>&1
asnobody env HAKMEM_STATS_FILE="$dir/out/suid.%p" "$dir/suid" >/dev/null 2>&1
ls "$dir/out" | grep -q '^plain\.' && ! ls "$dir/out" | grep -q '^suid'
ok $? "HAKMEM_STATS_FILE: a file from the plain copy, none from the setuid one ($(ls "$dir/out"))"
done_testing
