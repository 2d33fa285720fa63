#!/usr/bin/env bash
# Mutation check of the privacy pins (catalog/reviews.hpp): for every field of the catalog's
# events and contexts, flips its sharing attribute (central< <-> instance_only<) in a
# temporary copy of the headers, never in the tree, and confirms that the pins translation
# unit (tests/audit/pins_tu.cpp) then fails to compile through a pin or a type rule. Prints
# the score and passes only at 100 %: a mutant that compiles is a sharing change no review
# would have seen.
#
#   tools/mutation_check.sh [--compiler <c++>] [--jobs <n>]
#
# Mutants are compiled with -fsyntax-only (templates are instantiated, so static_asserts
# fire), <n> at a time (default 2).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
compiler=${CXX:-c++}
jobs=2
while (($#)); do
  case $1 in
    --compiler) compiler=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "usage: $0 [--compiler <c++>] [--jobs <n>]" >&2; exit 2 ;;
  esac
done

catalog_dir=include/onefuzz/telemetry/catalog
catalog_files=(agent_events.hpp service_events.hpp context.hpp)
tu=$root/tests/audit/pins_tu.cpp
manifest=$root/docs/privacy-manifest.json
work=$(mktemp -d "${TMPDIR:-/tmp}/onefuzz-mutation.XXXXXX")
trap 'rm -rf "$work"' EXIT
start=$SECONDS

# The k-th sharing attribute on a line, outside a trailing // comment, as a field
# declaration writes it: `(central<T>, name)` in BOOST_HANA_DEFINE_STRUCT or `central<T> name;`
# in an adapted aggregate. Prints "<file> <line> <k> <attribute> <line text>" per field.
list_fields() {
  local file
  for file in "${catalog_files[@]}"; do
    awk -v file="$file" '
      {
        code = $0
        comment = index(code, "//")
        if (comment > 0) code = substr(code, 1, comment - 1)
        k = 0
        while (match(code, /(^|[^A-Za-z0-9_])(central|instance_only)</)) {
          token = substr(code, RSTART, RLENGTH)
          sub(/^[^ci]*/, "", token)
          sub(/<$/, "", token)
          k++
          text = $0
          gsub(/^[ \t]+/, "", text)
          print file, NR, k, token, text
          code = substr(code, RSTART + RLENGTH)
        }
      }' "$root/$catalog_dir/$file"
  done
}

# Writes the headers with one attribute flipped to <dir>/include.
make_mutant() {
  local dir=$1 file=$2 line=$3 k=$4
  mkdir -p "$dir"
  cp -R "$root/include" "$dir/include"
  awk -v target="$line" -v k="$k" '
    NR == target {
      out = ""; rest = $0; seen = 0
      while (match(rest, /(^|[^A-Za-z0-9_])(central|instance_only)</)) {
        head = substr(rest, 1, RSTART - 1)
        token = substr(rest, RSTART, RLENGTH)
        rest = substr(rest, RSTART + RLENGTH)
        seen++
        if (seen == k) {
          if (token ~ /central<$/) sub(/central<$/, "instance_only<", token)
          else sub(/instance_only<$/, "central<", token)
        }
        out = out head token
      }
      $0 = out rest
    }
    { print }' "$root/$catalog_dir/$file" >"$dir/include/onefuzz/telemetry/catalog/$file"
}

# Compiles one mutant, given as one line "<id> <file> <line> <k> <attribute> <text>", and
# prints "<verdict> <file>:<line> <attribute> -> <flipped>: <text>".
run_mutant() {
  local id file line k attribute text
  read -r id file line k attribute text <<<"$1"
  local dir=$work/mutant-$id verdict flipped=central
  [[ $attribute == central ]] && flipped=instance_only
  make_mutant "$dir" "$file" "$line" "$k"
  if cmp -s "$root/$catalog_dir/$file" "$dir/include/onefuzz/telemetry/catalog/$file"; then
    verdict=not-applied
  elif "$compiler" -std=c++20 -fsyntax-only "-I$dir/include" "$tu" >"$dir/log" 2>&1; then
    verdict=SURVIVED
  elif grep -q 'onefuzz::telemetry::central<' "$dir/log"; then
    # The type rule fires first (central<std::string> and the like), at the field itself.
    verdict=caught-by-type-rule
  elif grep -Eq 'central_field_not_in_review|reviewed_field_not_central|reviewed_field_not_in_event|wire_name_used_twice' "$dir/log"; then
    verdict=caught-by-pin
  else
    # Rejected, but not by a privacy rule: the check cannot claim it.
    verdict=BROKEN
    sed -n '1,20p' "$dir/log" >"$work/broken-$id.log"
  fi
  printf '%s %s:%s %s -> %s: %s\n' "$verdict" "$file" "$line" "$attribute" "$flipped" "$text"
  [[ $verdict == SURVIVED || $verdict == BROKEN || $verdict == not-applied ]] || rm -rf "$dir"
}
export -f make_mutant run_mutant
export root catalog_dir tu compiler work

# The unmutated copy must compile, or every mutant would look caught.
mkdir -p "$work/baseline"
cp -R "$root/include" "$work/baseline/include"
if ! "$compiler" -std=c++20 -fsyntax-only "-I$work/baseline/include" "$tu" 2>"$work/baseline.log"; then
  echo "mutation_check: the unmutated pins TU does not compile; fix that first:" >&2
  sed -n '1,30p' "$work/baseline.log" >&2
  exit 2
fi

list_fields | nl -w1 -s' ' >"$work/mutants"
total=$(wc -l <"$work/mutants")

# Every field of the manifest must have been found, or a field written in an unexpected
# form would escape the check unnoticed.
if [[ -f $manifest ]]; then
  expected=$(grep -c '"sharing":' "$manifest")
  if [[ $total -ne $expected ]]; then
    echo "mutation_check: found $total field declarations, but docs/privacy-manifest.json lists $expected fields" >&2
    exit 2
  fi
fi

echo "mutation_check: $total mutants (one per catalog field), $jobs at a time, with $compiler"
# One line per mutant, passed whole (-d '\n'): the source text may hold quotes, which
# xargs would otherwise interpret.
xargs -d '\n' -P "$jobs" -n 1 bash -c 'run_mutant "$1"' _ <"$work/mutants" | sort -t' ' -k2,2V | tee "$work/results"

caught=$(grep -c '^caught-' "$work/results" || true)
by_pin=$(grep -c '^caught-by-pin' "$work/results" || true)
by_type=$(grep -c '^caught-by-type-rule' "$work/results" || true)
for log in "$work"/broken-*.log; do
  [[ -e $log ]] || continue
  echo "--- compiler output of a mutant rejected for another reason ($log):"
  cat "$log"
done
echo "mutation score: $caught/$total caught ($by_pin by a pin, $by_type by a type rule) in $((SECONDS - start)) s"
[[ $caught -eq $total && $total -gt 0 ]]
