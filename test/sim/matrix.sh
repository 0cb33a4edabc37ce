#!/bin/sh
# matrix.sh: hakmem on kernels unlike this one.  For each row of
# test/sim/kernels.txt, under test/sim/hk-simkernel (+ test/sim/hk-seccomp):
#   (a) hk-probe --json reports the facts that kernel would show;
#   (b) the policy names the backend the row expects, for HAKMEM_BACKEND
#       unset and for the explicit backends the row names;
#   (c) with libhakmem.so preloaded and the row's environment, sim-alloc
#       (demotion on a pool that runs dry) and the conformance and stress
#       programs pass.
# Prints TAP.  Skips, saying why, where the simulation cannot be set up
# (no root and no user namespaces), a row that needs what this host lacks
# (a THP sysfs directory to rewrite, root for the hugetlb pool), and (c)
# while libhakmem.so does not take malloc over in a preloaded program.
#
# HK_SIM_ROWS="name ..." runs only those rows; HK_SIM_TESTS="prog ..."
# (paths under the build tree) replaces the programs of (c).
b=${top_builddir:-.}
s=${top_srcdir:-.}
sim=$b/test/sim/hk-simkernel
seccomp=$b/test/sim/hk-seccomp
probe=$b/hk-probe/hk-probe
alloc=$b/test/sim/sim-alloc
lib=${HK_LIB:-$b/lib/.libs/libhakmem.so}
table=$s/test/sim/kernels.txt
tests=${HK_SIM_TESTS-test/api/test-api test/stress/test-stress test/stress/test-fork}
tmp=${TMPDIR:-/tmp}/hk-matrix.$$
n=0

for v in $(env | sed -n 's/^\(HAKMEM_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
unset LD_PRELOAD

if ! err=$("$sim" -- true 2>&1); then
	echo "1..0 # SKIP hk-simkernel cannot simulate a kernel here: $(echo "$err" | head -n 1)"
	exit 0
fi
mkdir "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# The words of the arguments, single-spaced (table fields are padded).
# shellcheck disable=SC2048,SC2086
trim() { echo $*; }

ok() { # CONDITION-STATUS DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
skip() {
	n=$((n + 1))
	echo "ok $n # SKIP $1"
}

. "$s/test/probe/json-get.sh"

# The release UNAME26 shows for REL (kernel/sys.c override_release).
uname26_of() {
	major=${1%%.*} minor=${1#*.}
	minor=${minor%%[!0-9]*}
	rest=$(echo "$1" | sed 's/^[0-9]*\(\.[0-9]*\)\{0,2\}//')
	echo "2.6.$((minor + (major == 3 ? 40 : 60)))$rest"
}

# under ROW-SIMARGS ROW-SECARGS CMD...: CMD in the row's kernel.
under() {
	sa=$1 sc=$2
	shift 2
	# shellcheck disable=SC2086
	if [ -n "$sc" ]; then
		"$sim" $sa -- "$seccomp" $sc -- "$@" </dev/null
	else
		"$sim" $sa -- "$@" </dev/null
	fi
}

# Whether a row can run here; prints the reason when not.
row_unfit() {
	case " $1 " in
	*" --thp "[nma]*|*" --thp-defrag "*)
		[ -r /sys/kernel/mm/transparent_hugepage/enabled ] ||
			{ echo "no THP sysfs files here to rewrite"; return 0; } ;;
	esac
	case " $1 " in
	*" --hugetlb-pool "*)
		[ "$(id -u)" -eq 0 ] || { echo "growing vm.nr_hugepages needs root"; return 0; }
		[ -w /proc/sys/vm/nr_hugepages ] ||
			{ echo "/proc/sys/vm/nr_hugepages is not writable here"; return 0; } ;;
	esac
	return 1
}

# (a) and (b): the probe's facts and the policy's choices.
check_probe() { # NAME SIMARGS SECARGS EXPECTED
	if ! under "$2" "$3" "$probe" --json >"$tmp/probe" 2>"$tmp/err"; then
		ok 1 "$1: hk-probe --json runs under the simulation ($(head -n 1 "$tmp/err"))"
		return
	fi
	for kv in $4; do
		key=${kv%%=*} want=${kv#*=} field=${kv%%=*}
		[ "$key" = backend ] && field=decision.backend
		case $want in
		@host) want=$(json_get "$tmp/host" "$field") ;;
		@uname26) want=$(uname26_of "$(json_get "$tmp/host" kernel.release)") ;;
		esac
		case $key in
		alloc|todo@*) continue ;;
		backend@*) got=$(HAKMEM_BACKEND=${key#backend@} under "$2" "$3" "$probe" --backend 2>/dev/null) ;;
		*) got=$(json_get "$tmp/probe" "$field") ;;
		esac
		[ "$got" = "$want" ]
		ok $? "$1: $key = $want (hk-probe: ${got:-nothing})"
	done
}

# (c) sim-alloc: demotes or keeps its backend, every block intact.
check_alloc() { # NAME SIMARGS SECARGS ENV EXPECT
	mib=16
	[ "$5" = demotes ] && mib=48
	# shellcheck disable=SC2086
	under "$2" "$3" env LD_PRELOAD="$lib" HAKMEM_VERBOSE=1 $4 \
		"$alloc" $mib >"$tmp/out" 2>"$tmp/err"
	rc=$?
	ok $rc "$1: sim-alloc $mib MiB with $4: $(tr -d '#' <"$tmp/out")"
	dem=$(grep -c 'demoted to' "$tmp/err")
	if [ "$5" = demotes ]; then
		[ "$dem" -eq 1 ]
		ok $? "$1: the pool runs dry, the backend demotes once and goes on ($(grep -m1 'demoted to' "$tmp/err" || echo "$dem demotions"))"
	else
		[ "$dem" -eq 0 ]
		ok $? "$1: the backend keeps its pages ($dem demotions)"
	fi
}

# (c) the conformance and stress programs, preloaded, in the row's kernel.
check_tests() { # NAME SIMARGS SECARGS ENV EXPECTED
	if [ -n "$hk_unused" ]; then
		skip "$1: $(trim "$tests" | sed 's|[^ ]*/||g'): $hk_unused"
		return
	fi
	for t in $tests; do
		todo=
		for kv in $5; do
			case $kv in "todo@${t##*/}="*) todo=" # TODO $(echo "${kv#*=}" | tr _ ' ')" ;; esac
		done
		if [ ! -x "$b/$t" ]; then
			skip "$1: ${t##*/} is not built in this tree"
			continue
		fi
		case " $hk_broken " in
		*" $t "*) skip "$1: ${t##*/} fails without simulation too (its own -preload test reports it)"
			continue ;;
		esac
		# shellcheck disable=SC2086
		under "$2" "$3" env LD_PRELOAD="$lib" HK_EXPECT_HAKMEM=1 $4 \
			$timeout "$b/$t" >"$tmp/out" 2>&1
		rc=$?
		[ $rc -eq 0 ] || tail -n 12 "$tmp/out" | sed 's/^/# /'
		why=
		[ $rc -eq 0 ] || why=$(grep -m1 '^not ok' "$tmp/out" | tr -d '#' | sed 's/^/: /')
		# A known failure that happens to pass this time is a plain ok,
		# not an unexpected pass that would fail the suite.
		[ $rc -eq 0 ] && todo=
		ok $rc "$1: ${t##*/} passes, preloaded${4:+ with $4} (status $rc$why)$todo"
	done
}

# The host as it is, the reference of @host.
"$probe" --json >"$tmp/host" 2>/dev/null || { echo "1..1"; ok 1 "hk-probe --json runs"; exit 1; }
timeout=
command -v timeout >/dev/null 2>&1 && timeout="timeout 30"

# Whether (c) can run: the library must define malloc and, preloaded,
# really serve it (HAKMEM_STATS prints at exit only from hakmem's malloc).
hk_unused='' hk_broken=''
if ! nm -D --defined-only "$lib" 2>/dev/null | grep -qw malloc; then
	hk_unused="$lib does not define malloc yet (nm -D | grep -w malloc)"
elif ! env LD_PRELOAD="$lib" HAKMEM_STATS=1 "$alloc" 1 2>&1 >/dev/null | grep -q '^hakmem: '; then
	hk_unused="libhakmem.so, preloaded, does not serve malloc (HAKMEM_STATS=1 prints nothing: malloc versioned, binding to glibc's?)"
else
	for t in $tests; do
		# shellcheck disable=SC2086
		[ ! -x "$b/$t" ] || env LD_PRELOAD="$lib" HK_EXPECT_HAKMEM=1 $timeout "$b/$t" >/dev/null 2>&1 ||
			hk_broken="$hk_broken $t"
	done
fi

set -f
while IFS='|' read -r name sa sc envs expect; do
	name=$(trim "$name") envs=$(trim "$envs")
	case $name in ''|'#'*) continue ;; esac
	[ -z "$HK_SIM_ROWS" ] || case " $HK_SIM_ROWS " in *" $name "*) ;; *) continue ;; esac
	if why=$(row_unfit "$sa"); then
		skip "$name: $why"
		continue
	fi
	if ! err=$(under "$sa" "$sc" true 2>&1); then
		skip "$name: cannot be simulated here: $(echo "$err" | head -n 1)"
		continue
	fi
	check_probe "$name" "$sa" "$sc" "$expect"
	case " $expect " in
	*" alloc=demotes "*) want=demotes ;;
	*" alloc=keeps "*) want=keeps ;;
	*) want= ;;
	esac
	if [ -n "$want" ] && [ -n "$hk_unused" ]; then
		skip "$name: sim-alloc: $hk_unused"
	elif [ -n "$want" ]; then
		check_alloc "$name" "$sa" "$sc" "$envs" "$want"
	fi
	check_tests "$name" "$sa" "$sc" "$envs" "$expect"
done <"$table"
echo "1..$n"
