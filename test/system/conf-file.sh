#!/bin/sh
# conf-file.sh: /etc/hakmem.conf, read by the library at start.  Inside a
# private mount namespace (unshare -m) the file is ours: an overlay on
# /etc holds it, or a bind mount over the file where one exists, so the
# real system is never touched.  test/system/secure-prog (linked to
# libhakmem; prints the backend in force) runs as nobody, a plain copy
# and a setuid-root copy, as setuid.sh does; /bin/true runs with the
# library preloaded.  Checked: the file's global section and
# [program PATH] / [comm NAME] sections apply, the environment wins over
# the file, a setuid program follows the file but not the environment,
# a file writable by group or others or not owned by root is ignored
# (said under HAKMEM_VERBOSE), a bad line is reported with file and
# line; hk-probe --for shows the values and their sources; enabled = no
# and stats_file apply per program.  Root only.
. "$top_srcdir/test/dropin/tap-lib.sh"
if [ "$1" = --inside ]; then
	scratch=$2
	if [ -e /etc/hakmem.conf ]; then
		mount --bind "$scratch/hakmem.conf" /etc/hakmem.conf || exit 3
	else
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$scratch/up,workdir=$scratch/work" /etc || exit 3
	fi
	[ -f /etc/hakmem.conf ] || exit 3
	dir=$scratch/bin
	conf() {	# conf MODE OWNER: the file from stdin
		cat >/etc/hakmem.conf && chown "$2" /etc/hakmem.conf && chmod "$1" /etc/hakmem.conf
	}
	asnobody() {
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	}
	run() {		# run NAME COMMAND...: stdout in NAME.out, stderr in NAME.err
		name=$1
		shift
		asnobody "$@" >"$scratch/$name.out" 2>"$scratch/$name.err"
	}
	backend() { sed -n 's/^backend: //p' "$scratch/$1.out"; }

	# The default, without a file, picks what to compare against.
	rm -f /etc/hakmem.conf 2>/dev/null || : >/etc/hakmem.conf
	run none "$dir/plain"
	default=$(backend none)
	file=lazy other=touch
	[ "$default" = lazy ] && file=touch other=map_populate
	[ -e /etc/hakmem.conf ] || : >/etc/hakmem.conf

	conf 644 root <<-EOT
	# test/system/conf-file.sh
	backend = $file
	purge_delay_ms = 250
	no_such_key = 1
	EOT
	run plain "$dir/plain"
	[ "$(backend plain)" = "$file" ]
	ok $? "the global section's backend = $file applies (default $default, got $(backend plain))"
	grep -q '^hakmem: /etc/hakmem.conf:4: unknown key' "$scratch/plain.err"
	ok $? "a bad line is reported with the file and its number: $(head -c 200 "$scratch/plain.err")"
	run env env HAKMEM_BACKEND=$other "$dir/plain"
	[ "$(backend env)" = "$other" ]
	ok $? "HAKMEM_BACKEND=$other wins over the file (got $(backend env))"
	run suid env HAKMEM_BACKEND=$other "$dir/suid"
	[ "$(backend suid)" = "$file" ] && grep -q '^secure: 1$' "$scratch/suid.out"
	ok $? "a setuid-root program follows the file, not HAKMEM_BACKEND=$other (got $(backend suid))"
	LD_PRELOAD=$lib /bin/true 2>"$scratch/true.err"
	grep -q '^hakmem: /etc/hakmem.conf:4:' "$scratch/true.err"
	ok $? "/bin/true with the library preloaded reads the file too"

	conf 644 root <<-EOT
	verbose = yes
	[program $dir/plain]
	backend = $file
	[comm suid]
	backend = $other
	EOT
	run sect "$dir/plain"
	run sect2 "$dir/suid"
	[ "$(backend sect)" = "$file" ] && [ "$(backend sect2)" = "$other" ]
	ok $? "[program $dir/plain] and [comm suid] apply to their programs only (got $(backend sect), $(backend sect2))"
	LD_PRELOAD=$lib /bin/true 2>"$scratch/true2.err"
	grep -q "^hakmem: backend [a-z_]*: " "$scratch/true2.err"
	ok $? "verbose = yes in the global section: the preloaded /bin/true says its backend: $(head -c 200 "$scratch/true2.err")"
	"$hk_probe" --for "$dir/plain" >"$scratch/for.out" 2>&1
	grep -Eq "^  HAKMEM_BACKEND +$file +\\[program $dir/plain\\]\$" "$scratch/for.out" &&
		grep -Eq '^  HAKMEM_VERBOSE +1 +global section$' "$scratch/for.out" &&
		grep -Eq '^  HAKMEM_DENSE +0 +default$' "$scratch/for.out"
	ok $? "hk-probe --for $dir/plain: each value and where it comes from"
	asnobody env HAKMEM_BACKEND=$file "$hk_probe" --for "$dir/suid" --json >"$scratch/for.json" 2>&1
	grep -q "\"HAKMEM_BACKEND\": {\"key\": \"backend\", \"value\": \"$other\", \"source\": \"\\[comm suid\\]\"}" "$scratch/for.json" &&
		grep -q '"environment": false' "$scratch/for.json"
	ok $? "hk-probe --for (setuid, as nobody) --json: the [comm suid] section, HAKMEM_BACKEND=$file ignored"

	# The keys other parts of the library added: enabled (lib/glibc.c)
	# and the stats file (lib/stats-exit.c), per program.
	conf 644 root <<-EOT
	[comm ls]
	enabled = no
	verbose = yes
	[comm cat]
	stats = json
	stats_file = $scratch/cat.%p.json
	EOT
	LD_PRELOAD=$lib ls / >/dev/null 2>"$scratch/ls.err"
	grep -q "glibc's malloc serves this process" "$scratch/ls.err"
	ok $? "[comm ls] enabled = no: ls runs on glibc's malloc: $(head -c 200 "$scratch/ls.err")"
	LD_PRELOAD=$lib cat /etc/hakmem.conf >/dev/null 2>"$scratch/cat.err"
	LD_PRELOAD=$lib ls / >/dev/null 2>&1
	set -- "$scratch"/cat.*.json
	[ $# -eq 1 ] && [ -f "$1" ] && grep -q '^{"schema":1,' "$1"
	ok $? "[comm cat] stats_file: one JSON report, for cat only ($*)"

	for how in "666 root" "664 root" "644 nobody"; do
		# shellcheck disable=SC2086 # mode and owner, two words
		conf $how <<-EOT
		backend = $file
		EOT
		run untrusted env HAKMEM_VERBOSE=1 "$dir/plain"
		[ "$(backend untrusted)" = "$default" ] &&
			grep -Eq '^hakmem: /etc/hakmem.conf: (writable by group or others \(mode 0[0-7]{3}\)|not owned by root \(uid [0-9]+\)), ignored$' "$scratch/untrusted.err"
		ok $? "mode ${how% *}, owner ${how#* }: ignored ($(backend untrusted)), said under HAKMEM_VERBOSE: $(grep conf "$scratch/untrusted.err" | head -c 200)"
		run untrusted2 "$dir/plain"
		! [ -s "$scratch/untrusted2.err" ]
		ok $? "mode ${how% *}, owner ${how#* }: nothing said without HAKMEM_VERBOSE"
	done
	exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (a mount namespace, /etc/hakmem.conf, setuid)"; exit 0; }
command -v unshare >/dev/null || { echo "1..0 # SKIP no unshare"; exit 0; }
command -v setpriv >/dev/null || { echo "1..0 # SKIP no setpriv"; exit 0; }
make_scratch
chmod 755 "$scratch"
case ,$(findmnt -no OPTIONS -T "$scratch"), in
*,nosuid,*) echo "1..0 # SKIP $scratch is mounted nosuid"; exit 0 ;;
esac
mkdir "$scratch/up" "$scratch/work" "$scratch/bin"
: >"$scratch/up/hakmem.conf"
: >"$scratch/hakmem.conf"
chmod 755 "$scratch/bin"
prog=$top_builddir/test/system/secure-prog
cp "$prog" "$scratch/bin/plain" && cp "$prog" "$scratch/bin/suid" && chmod 4755 "$scratch/bin/suid" || exit 1
if ! setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$scratch/bin/plain" >/dev/null 2>&1; then
	echo "1..0 # SKIP nobody cannot run $prog (is the build tree readable?)"
	exit 0
fi
lib=$(readlink -f "$HK_LIB")
hk_probe=$top_builddir/hk-probe/hk-probe
export lib hk_probe
unshare -m --propagation private sh "$0" --inside "$scratch" >"$scratch/tap" 2>"$scratch/inside.err"
st=$?
if [ $st -eq 3 ]; then
	echo "1..0 # SKIP no private /etc/hakmem.conf here (unshare or mount refused: $(head -c 200 "$scratch/inside.err"))"
	exit 0
fi
cat "$scratch/tap"
# The counts done_testing (tap-lib.sh) reads, from the inside's lines.
# shellcheck disable=SC2034
tap_n=$(grep -c '^\(not \)\?ok ' "$scratch/tap")
# shellcheck disable=SC2034
tap_failed=$(grep -c '^not ok ' "$scratch/tap")
ok $st "the checks ran in the namespace (exit $st)"
done_testing
