# battery.sh: the real programs test/system/ld-so-preload.sh runs with
# and without hakmem in /etc/ld.so.preload (sourced).  battery DIR writes
# NAME.out for each program into DIR: its output (what varies between
# runs left out) and its exit status.  Each program is bounded by
# timeout; all of it takes seconds.
battery_run() {	# NAME CMD...: CMD's stdout and exit status into NAME.out
	name=$1
	shift
	timeout 30 "$@" >"$out/$name.out" 2>"$out/$name.err" </dev/null
	echo "exit $?" >>"$out/$name.out"
}

# The programs' own code is in single quotes, expanded by them.
# shellcheck disable=SC2016
battery() {
	out=$1
	work=$out/work
	mkdir -p "$work"
	# The data for sort and cp: 200000 lines, the same in each run.
	awk 'BEGIN { s = 7; for (i = 0; i < 200000; i++) { s = (s * 1103515245 + 12345) % 2147483648; print s, i } }' \
		>"$work/big.txt"
	battery_run bash bash -c 'declare -A h; for i in $(seq 1 2000); do h[$i]=$((i * i)); done; echo ${#h[@]} ${h[1999]}; printf "%s\n" c a b | sort | tr "\n" " "'
	battery_run ls ls -1 /usr/bin /etc/apt
	battery_run sort sh -c "sort -n '$work/big.txt' | md5sum"
	battery_run cp sh -c "cp '$work/big.txt' '$work/copy.txt' && md5sum <'$work/copy.txt'"
	battery_run python3 /usr/bin/python3 -c 'import json, hashlib; d = {str(i): [i] * (i % 7) for i in range(20000)}; print(hashlib.sha1(json.dumps(d, sort_keys=True).encode()).hexdigest())'
	battery_run perl perl -e 'my %h; $h{$_} = "x" x ($_ % 100) for 1..50000; my $n = 0; $n += length $h{$_} for keys %h; print "$n\n"'
	printf '#include <stdio.h>\n#include <stdlib.h>\nint main(void) { char *p = malloc(100); snprintf(p, 100, "%%d", 6 * 7); puts(p); free(p); return 0; }\n' >"$work/hello.c"
	battery_run gcc sh -c "gcc -O2 -o '$work/hello' '$work/hello.c' && '$work/hello'"
	battery_run git sh -c "cd '$work' && rm -rf repo && git init -q repo && cd repo && echo one >f && git add f &&
		GIT_AUTHOR_DATE='2020-01-01T00:00:00Z' GIT_COMMITTER_DATE='2020-01-01T00:00:00Z' \
		git -c user.name=hk -c user.email=hk@example.org commit -qm first && git log --format='%H %s'"
	battery_run apt-cache apt-cache policy bash
	battery_run setpriv setpriv --reuid=nobody --regid=nogroup --clear-groups id -un
	battery_run su su -s /bin/sh -c 'id -un; echo $HOME' nobody
	# A setuid program run by nobody: AT_SECURE, and ld.so.preload still applies.
	battery_run mount setpriv --reuid=nobody --regid=nogroup --clear-groups mount --version
}
