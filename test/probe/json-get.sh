# json-get.sh: sourced by the scripts that read hk-probe --json
# (test/sim/matrix.sh on this host, test/vm/guest-row.sh in a guest with
# only busybox): no jq, the layout hk-probe writes is fixed.

# json_get FILE SECTION.FIELD: one scalar of hk-probe --json, unquoted.
json_get() {
	awk -v sec="${2%%.*}" -v key="${2#*.}" '
		$0 ~ "^  \"" sec "\": [{]" { in_sec = 1; next }
		in_sec && /^  [}\]]/ { in_sec = 0 }
		in_sec && index($0, "    \"" key "\": ") == 1 {
			v = substr($0, length(key) + 9)
			sub(/,$/, "", v); gsub(/^"|"$/, "", v); print v; exit
		}' "$1"
}
