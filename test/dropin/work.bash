# work.bash: a bash workload for test-dropin.sh: indexed and associative
# arrays, string operations, command substitution.  Deterministic output.
declare -a words
declare -A count
for ((i = 0; i < 20000; i++)); do
	w="w$(( (i * 7919) % 1543 ))x${i:0:2}"
	words+=("$w")
	count[$w]=$(( ${count[$w]:-0} + 1 ))
done
echo "words ${#words[@]} distinct ${#count[@]}"
s=""
for ((i = 0; i < 3000; i++)); do
	s+="${words[i]}-"
done
echo "len ${#s} upper ${s:0:20}" | tr a-z A-Z
t=${s//w/W}
echo "replaced ${t:100:30} suffix ${s%%-*} prefix ${s##*x}"
keys=("${!count[@]}")
sum=0
for k in "${keys[@]}"; do
	sum=$(( sum + count[$k] * ${#k} ))
done
echo "weighted $sum"
unset 'words[5]' 'words[7]'
words=("${words[@]}")
echo "after unset ${#words[@]} ${words[5]} ${words[6]}"
big=$(printf '%s\n' "${words[@]}" | head -5000)
echo "lines $(printf '%s\n' "$big" | wc -l)"
for ((r = 0; r < 5; r++)); do
	unset count
	declare -A count
	for ((i = r; i < ${#words[@]}; i += 3)); do count[${words[i]}]=$i; done
	echo "round $r ${#count[@]}"
done
