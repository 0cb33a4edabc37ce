#!/bin/sh
# report.sh: the text report holds every section and key, --json parses
# and holds the same facts and backend as --backend.
. "${top_srcdir:-.}/test/probe/lib.sh"

sections='Kernel Memory_features Huge_pages Limits Capabilities Options Decision'
keys='release version machine uname26 page_size ncpu
populate_write populate_read map_populate madv_free fixed_noreplace madv_hugepage
thp_enabled thp_defrag thp_pmd_size hugetlbfs hugetlbfs_mounts huge_default_kb map_hugetlb
memlock_cur memlock_max overcommit max_map_count cgroup_memory_max cgroup_version
via cap_ipc_lock cap_sys_admin at_secure
HAKMEM_BACKEND HAKMEM_SS_PREFAULT HAKMEM_VERBOSE HAKMEM_STATS HAKMEM_PURGE_DELAY_MS HAKMEM_STATS_FILE secure
backend reason purge prefault demote_chain library_agrees probe_us'

nsect=$(echo $sections | wc -w)
nkeys=$(echo $keys | wc -w)
tap_plan $((nsect + nkeys + 7))

"$hk_probe" >"$hk_tmp/report" 2>"$hk_tmp/err"
tap_ok $? "the report exits 0"
for s in $sections; do
	s=$(echo "$s" | tr _ ' ')
	grep -qx "$s:" "$hk_tmp/report"
	tap_ok $? "section '$s'"
done
for k in $keys; do
	grep -Eq "^  (ok|warn|skip|info) +$k: " "$hk_tmp/report"
	tap_ok $? "key '$k'"
done
bad=$(grep -Ev '^$|^[A-Z][a-z ]+:$|^  (ok|warn|skip|info) +[A-Za-z0-9_]+: |^        hint: ' "$hk_tmp/report")
[ -z "$bad" ]
tap_ok $? "every line is a section, a marked 'key: value' or a hint"
[ -z "$bad" ] || tap_diag "$bad"

"$hk_probe" --backend >"$hk_tmp/backend"
"$hk_probe" --json >"$hk_tmp/json"
tap_ok $? "--json exits 0"
backend=$(awk '$2 == "backend:" { print $3 }' "$hk_tmp/report")
[ "$backend" = "$(cat "$hk_tmp/backend")" ]
tap_ok $? "the report's backend ($backend) is --backend's"

if [ -z "$PYTHON3" ] && command -v python3 >/dev/null 2>&1; then
	PYTHON3=python3
fi
if [ -z "$PYTHON3" ]; then
	for i in 1 2 3; do tap_skip "python3 not found: cannot parse JSON"; done
	exit 0
fi
"$PYTHON3" -m json.tool "$hk_tmp/json" >/dev/null
tap_ok $? "--json parses (python3 -m json.tool)"
"$PYTHON3" - "$hk_tmp/json" "$hk_tmp/backend" >"$hk_tmp/py" 2>&1 <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
want = open(sys.argv[2]).read().strip()
assert j["decision"]["backend"] == want, (j["decision"]["backend"], want)
PY
tap_ok $? "--json's decision.backend is --backend's"
[ -s "$hk_tmp/py" ] && tap_diag "$(cat "$hk_tmp/py")"
"$PYTHON3" - "$hk_tmp/json" "$hk_tmp/report" >"$hk_tmp/py" 2>&1 <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
names = {"Kernel": "kernel", "Memory features": "memory", "Huge pages": "huge_pages",
         "Limits": "limits", "Capabilities": "capabilities", "Options": "options",
         "Decision": "decision"}
sect = None
n = 0
for line in open(sys.argv[2]):
    m = re.match(r"^([A-Z][a-z ]+):$", line)
    if m:
        sect = names[m.group(1)]
        continue
    m = re.match(r"^  (\w+) +(\w+): ", line)
    if m:
        assert m.group(2) in j[sect], (sect, m.group(2))
        n += 1
checks = {c["key"]: c["status"] for c in j["checks"]}
assert len(checks) == n, (len(checks), n)
PY
tap_ok $? "--json holds every key of the report, with a check each"
[ -s "$hk_tmp/py" ] && tap_diag "$(cat "$hk_tmp/py")"
exit 0
