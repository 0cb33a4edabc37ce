# scenario.sh: for the scripts that run a TAP program once per scenario,
# each in its own process (sourced).
#   scenario_tap NAME CMD [ARG]...  -- run CMD; its TAP lines without its
#                                      plan, its hakmem: messages as
#                                      comments, then one line for how it
#                                      exited (a death is a failure)
#   ... | scenario_renumber         -- number the lines as one stream and
#                                      print the plan
scenario_tap() {
	_name=$1
	shift
	_out=$("$@" 2>&1)
	_status=$?
	printf '%s\n' "$_out" | grep -v '^1\.\.[0-9]' | sed 's/^hakmem:/# hakmem:/'
	if [ $_status -eq 0 ]; then
		echo "ok 0 - scenario $_name exited cleanly"
	else
		echo "not ok 0 - scenario $_name exited with status $_status"
	fi
}

scenario_renumber() {
	awk '/^(not )?ok [0-9]+/ { n++; sub(/ok [0-9]+/, "ok " n) } { print } END { print "1.." n }'
}
