#!/bin/sh
# update-expected.sh: rewrite test/expected/<machine>.out from the fixture
# trees, with the command sysroot.sh checks.  Run through
# `make update-expected`, then review `git diff test/expected`.
. "${top_srcdir:-.}/test/probe/lib.sh"

for m in $(hk_fixtures); do
	hk_sysroot_report "$m" >"$hk_srcdir/test/expected/$m.out" || exit 1
	echo "wrote test/expected/$m.out"
done
