#!/bin/sh
# test-launcher.sh: the hakmem launcher (tools/hakmem, built from
# tools/hakmem.in): options, exit codes, and what it hands the command.
# None of this needs the library to override malloc yet.
. "$top_srcdir/test/dropin/tap-lib.sh"
hakmem="$top_builddir/tools/hakmem"
make_scratch

out=$("$hakmem" --help); st=$?
ok $(( st != 0 )) "--help exits 0"
case $out in *Usage:*--lib*) r=0 ;; *) r=1 ;; esac
ok $r "--help prints the usage, with --lib"
case $(unset HAKMEM_LIBRARY; "$hakmem" --help) in
*'default: ${'*|*'default: @'*) r=1 ;;
*"default: /"*libhakmem.so*) r=0 ;;
*) r=1 ;;
esac
ok $r "the default library is an expanded path under libdir"

"$hakmem" --no-such-option -- true 2>"$scratch/err"; st=$?
ok $(( st != 1 )) "an unknown option exits 1 (got $st)"
grep -q 'unknown option --no-such-option' "$scratch/err"
ok $? "... and names the option on stderr"

"$hakmem" --lib /nonexistent/libhakmem.so -- true 2>/dev/null; st=$?
ok $(( st != 127 )) "a missing library exits 127 (got $st)"
HAKMEM_LIBRARY=/nonexistent/libhakmem.so "$hakmem" -- true 2>/dev/null; st=$?
ok $(( st != 127 )) "a missing HAKMEM_LIBRARY exits 127 (got $st)"
"$hakmem" --lib "$top_builddir/lib" -- true 2>/dev/null; st=$?
ok $(( st != 127 )) "a directory as the library exits 127 (got $st)"

"$hakmem" --lib "$HK_LIB" 2>/dev/null; st=$?
ok $(( st != 1 )) "no command exits 1 (got $st)"
"$hakmem" --lib 2>/dev/null; st=$?
ok $(( st != 1 )) "--lib without a value exits 1 (got $st)"

out=$("$hakmem" --version); st=$?
case $out in "hakmem "[0-9]*) r=$st ;; *) r=1 ;; esac
ok $r "--version prints 'hakmem VERSION' ($out)"

# LD_PRELOAD as the command sees it.
out=$("$hakmem" --lib "$HK_LIB" -- sh -c 'echo "$LD_PRELOAD"'); st=$?
[ $st -eq 0 ] && [ "$out" = "$HK_LIB" ]
ok $? "--lib PATH -- CMD runs CMD with LD_PRELOAD=PATH ($out)"
out=$("$hakmem" --lib="$HK_LIB" sh -c 'echo "$LD_PRELOAD"')
[ "$out" = "$HK_LIB" ]
ok $? "--lib=PATH works, and CMD may follow without --"
out=$(HAKMEM_LIBRARY=$HK_LIB "$hakmem" -- sh -c 'echo "$LD_PRELOAD"')
[ "$out" = "$HK_LIB" ]
ok $? "HAKMEM_LIBRARY sets the library"
out=$(LD_PRELOAD=/nonexistent/libother.so "$hakmem" --lib "$HK_LIB" -- \
	sh -c 'echo "$LD_PRELOAD"' 2>/dev/null)
[ "$out" = "$HK_LIB /nonexistent/libother.so" ]
ok $? "an LD_PRELOAD already set is kept after the library ($out)"

"$hakmem" --lib "$HK_LIB" -- grep -q libhakmem /proc/self/maps
ok $? "the command runs with the library mapped"

# A relative path must work from another directory too.
rel_dir=$(dirname "$HK_LIB")
out=$(cd "$rel_dir" && "$hakmem" --lib ./libhakmem.so -- sh -c 'cd / && echo "$LD_PRELOAD"')
case $out in /*/libhakmem.so) r=0 ;; *) r=1 ;; esac
ok $r "a relative --lib is made absolute ($out)"
ln -s "$HK_LIB" "$scratch/lib with space.so"
"$hakmem" --lib "$scratch/lib with space.so" -- true 2>/dev/null; st=$?
ok $(( st != 1 )) "a library path with a space is refused with exit 1 (got $st)"

# Arguments reach the command unchanged.
out=$("$hakmem" --lib "$HK_LIB" -- printf '[%s]' a 'b c' '' '--stats' '*')
[ "$out" = '[a][b c][][--stats][*]' ]
ok $? "arguments pass unchanged, options after CMD included ($out)"
"$hakmem" --lib "$HK_LIB" -- sh -c 'exit 7'; st=$?
ok $(( st != 7 )) "the command's exit status comes back (got $st)"
"$hakmem" --lib "$HK_LIB" -- /nonexistent/command 2>/dev/null; st=$?
ok $(( st != 127 )) "a command that does not exist exits 127 (got $st)"

# Options become HAKMEM_* variables.
env_of() {
	"$hakmem" --lib "$HK_LIB" "$@" -- sh -c \
		'echo "${HAKMEM_BACKEND-unset} ${HAKMEM_STATS-unset} ${HAKMEM_VERBOSE-unset}"' 2>/dev/null
}
out=$(unset HAKMEM_BACKEND HAKMEM_STATS HAKMEM_VERBOSE; env_of)
[ "$out" = "unset unset unset" ]
ok $? "no option sets no HAKMEM_* variable ($out)"
out=$(env_of --backend lazy)
case $out in "lazy "*) r=0 ;; *) r=1 ;; esac
ok $r "--backend lazy sets HAKMEM_BACKEND=lazy ($out)"
out=$(env_of --backend=populate -s -v)
[ "$out" = "populate 1 1" ]
ok $? "--backend=NAME, -s and -v set HAKMEM_BACKEND, HAKMEM_STATS=1, HAKMEM_VERBOSE=1 ($out)"
out=$(env_of -b thp --stats --verbose)
[ "$out" = "thp 1 1" ]
ok $? "-b NAME, --stats and --verbose ($out)"

done_testing
