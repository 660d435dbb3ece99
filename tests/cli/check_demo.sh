#!/usr/bin/env bash
# tests/cli/check_demo.sh: `dial demo` exits 0, prints an aligned table with at least six distinct
# outcome names, and removes its temporary directory. Usage: check_demo.sh PATH/TO/dial
set -u
dial=$1
output=$("$dial" demo)
status=$?
printf '%s\n' "$output"
fail() { echo "FAIL: $*"; exit 1; }

[[ $status -eq 0 ]] || fail "dial demo exited $status, expected 0"
header=$(head -n 1 <<<"$output")
[[ $header =~ ^TARGET\ +OUTCOME\ +CODE\ +TIME\ +NOTE$ ]] || fail "unexpected header: $header"

# Table rows: from the second line up to the first empty line. The OUTCOME column starts where
# the header's OUTCOME does, in every row (aligned), and holds one PascalCase word.
column=$(awk 'NR == 1 { print index($0, "OUTCOME"); exit }' <<<"$output")
rows=$(awk 'NR > 1 && $0 == "" { exit } NR > 1' <<<"$output")
[[ -n $rows ]] || fail "no rows"
names=$(while IFS= read -r line; do
  rest=${line:column-1}
  # Each column begins right after two spaces: the character before the OUTCOME column is blank.
  [[ ${line:column-2:1} == " " ]] || echo "MISALIGNED"
  echo "${rest%% *}"
done <<<"$rows")
grep -q MISALIGNED <<<"$names" && fail "rows are not aligned under the header"
grep -vqE '^[A-Z][A-Za-z]+$' <<<"$names" && fail "an outcome is not a single name"
distinct=$(grep -v '^Skipped$' <<<"$names" | sort -u)
count=$(grep -c . <<<"$distinct")
echo "--- $count distinct outcomes: $(tr '\n' ' ' <<<"$distinct")"
[[ $count -ge 6 ]] || fail "fewer than six distinct outcomes"
grep -qx Connected <<<"$distinct" || fail "no fixture connected"

# The summary names the directory it removed; it must be gone.
dir=$(sed -n 's/.*Cleaned up: \(.*\) removed, .*/\1/p' <<<"$output")
[[ -n $dir ]] || fail "no clean-up line"
[[ ! -e $dir ]] || fail "$dir still exists"
echo "PASS"
