# Shell helpers the bench scripts share; source it after setting `bench_name`.
# die/say print "<bench_name>: ..." on stderr (die exits 2, a usage error).
die() { echo "$bench_name: $*" >&2; exit 2; }
say() { echo "$bench_name: $*" >&2; }
# The median of the numbers on stdin, separated by spaces or newlines; "-" and
# empty entries are ignored, "-" when none is left.
median() { tr ' ' '\n' | grep -v '^-\?$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
