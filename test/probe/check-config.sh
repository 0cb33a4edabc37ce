#!/bin/sh
# check-config.sh: hk-probe --check-config's verdicts and exit codes
# (hk-probe(1)): 0 valid, 1 bad lines (each listed as FILE:LINE), 2 a
# file the library would not use (missing, a directory, too big, not
# root's or writable by group or others), on copies of the fixtures of
# test/fixtures/conf; the JSON form parses and carries the same exit.
# doc/hakmem.conf.example is valid and names every option's key.
. "${top_srcdir:-.}/test/probe/lib.sh"

tap_plan 14
conf=$hk_srcdir/test/fixtures/conf
# Root's files when run as root; otherwise every file is untrusted (2).
trusted=0
[ "$(id -u)" -eq 0 ] || trusted=2
cp "$conf/good.conf" "$conf/bad-lines.conf" "$hk_tmp/"
chmod 644 "$hk_tmp/good.conf" "$hk_tmp/bad-lines.conf"

"$hk_probe" --check-config "$hk_tmp/good.conf" >"$hk_tmp/out" 2>&1
rc=$?
[ $rc -eq $trusted ]
tap_ok $? "good.conf: exit $trusted (got $rc: $(tail -1 "$hk_tmp/out"))"

"$hk_probe" --check-config="$hk_tmp/bad-lines.conf" >"$hk_tmp/out" 2>&1
rc=$?
want=1
[ $trusted -eq 2 ] && want=2
[ $rc -eq $want ]
tap_ok $? "bad-lines.conf: exit $want (got $rc)"
lines=$(sed -n "s|^$hk_tmp/bad-lines.conf:\\([0-9]*\\): .*|\\1|p" "$hk_tmp/out" | tr '\n' ' ')
[ "$lines" = "3 4 5 6 7 8 9 11 12 13 15 " ]
tap_ok $? "bad-lines.conf: each bad line listed as FILE:LINE ($lines)"
grep -q "bad-lines.conf:6: bad value for backend: expected auto|lazy" "$hk_tmp/out"
tap_ok $? "a bad value names the values the key takes"

"$hk_probe" --check-config "$hk_tmp/absent.conf" >"$hk_tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'cannot be read' "$hk_tmp/out"
tap_ok $? "a missing file: exit 2 (got $rc)"

"$hk_probe" --check-config "$hk_tmp" >"$hk_tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'not a regular file' "$hk_tmp/out"
tap_ok $? "a directory: exit 2 (got $rc)"

head -c 70000 /dev/zero | tr '\0' '#' >"$hk_tmp/huge.conf"
chmod 644 "$hk_tmp/huge.conf"
"$hk_probe" --check-config "$hk_tmp/huge.conf" >"$hk_tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'bigger than 65536 bytes' "$hk_tmp/out"
tap_ok $? "a file over 64 KiB: exit 2 (got $rc)"

cp "$hk_tmp/good.conf" "$hk_tmp/open.conf"
chmod 666 "$hk_tmp/open.conf"
"$hk_probe" --check-config "$hk_tmp/open.conf" >"$hk_tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -Eq 'writable by group or others|not owned by root' "$hk_tmp/out"
tap_ok $? "a file writable by others: exit 2, said why (got $rc: $(tail -1 "$hk_tmp/out"))"

cp "$hk_tmp/bad-lines.conf" "$hk_tmp/open-bad.conf"
chmod 666 "$hk_tmp/open-bad.conf"
"$hk_probe" --check-config "$hk_tmp/open-bad.conf" >"$hk_tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] && [ "$(grep -c "^$hk_tmp/open-bad.conf:[0-9]*: " "$hk_tmp/out")" -eq 11 ]
tap_ok $? "an untrusted file's bad lines are listed all the same (exit $rc)"

"$hk_probe" --check-config "$hk_tmp/bad-lines.conf" --json >"$hk_tmp/json" 2>&1
rc=$?
if [ -n "$PYTHON3" ] || command -v python3 >/dev/null; then
	"${PYTHON3:-python3}" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["exit"] == int(sys.argv[2]), d["exit"]
assert [b["line"] for b in d["bad_lines"]] == [3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15]
' "$hk_tmp/json" "$rc" 2>"$hk_tmp/err"
	tap_ok $? "--json: parses, the same bad lines, \"exit\": $rc $(head -c 200 "$hk_tmp/err")"
else
	tap_skip "no python3 to parse the JSON"
fi

"$hk_probe" --check-config >"$hk_tmp/out" 2>&1
rc=$?
grep -q "^/etc/hakmem.conf: \\|^/etc/hakmem.conf:[0-9]" "$hk_tmp/out" || grep -q "hakmem.conf" "$hk_tmp/out"
tap_ok $? "no FILE: the library's own file is checked (exit $rc: $(tail -1 "$hk_tmp/out"))"

"$hk_probe" --check-config a b >/dev/null 2>&1
rc=$?
[ $rc -eq 1 ]
tap_ok $? "two files: a usage error (got $rc)"

cp "$hk_srcdir/doc/hakmem.conf.example" "$hk_tmp/example.conf"
chmod 644 "$hk_tmp/example.conf"
sed 's/^#\([a-z_]* = \)/\1/; s/^#\(\[\)/\1/' "$hk_tmp/example.conf" >"$hk_tmp/example-on.conf"
chmod 644 "$hk_tmp/example-on.conf"
"$hk_probe" --check-config "$hk_tmp/example.conf" >"$hk_tmp/out" 2>&1
rc1=$?
"$hk_probe" --check-config "$hk_tmp/example-on.conf" >>"$hk_tmp/out" 2>&1
rc2=$?
[ $rc1 -eq $trusted ] && [ $rc2 -eq $trusted ]
tap_ok $? "doc/hakmem.conf.example is valid, as it is and with its lines uncommented (exit $rc1, $rc2)"
missing=
for v in $("$hk_probe" --for /bin/true 2>/dev/null | sed -n 's/^  HAKMEM_\([A-Z0-9_]*\) .*/\1/p'); do
	k=$(echo "$v" | tr 'A-Z' 'a-z')
	grep -q "^#$k = " "$hk_tmp/example.conf" || missing="$missing $k"
done
[ -z "$missing" ]
tap_ok $? "doc/hakmem.conf.example names every option's key (missing:${missing:- none})"
