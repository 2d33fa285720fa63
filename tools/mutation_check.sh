#!/usr/bin/env bash
# Mutation check of the privacy pins (catalog/reviews.hpp). In a temporary copy of the
# headers, never in the tree, it makes one change at a time and confirms that the pins
# translation unit (tests/audit/pins_tu.cpp) then fails to compile through a pin or a type
# rule:
#   flip    every field of the catalog's events and contexts: its sharing attribute
#           flipped (central< <-> instance_only<);
#   retype  a representative subset of central fields: per event or context, the first
#           central field of each of these value kinds (as docs/privacy-manifest.json lists
#           them) gets another type that a review must see again (std::optional is kept):
#             integer, version -> a test-only reviewed type sent through an identity
#                                 projection (value -> projection: text could go out)
#             reviewed         -> that test-only reviewed type (another projection rule)
#             id               -> another id type (job_id, or task_id for a job_id)
#             enum             -> std::uint64_t (another kind)
#           Once per kind and type, not per field: the fields of one kind in one type are
#           checked by the same pin code, and this keeps the run under twice the flips'
#           time. floating and boolean fields are left out for the same reason: a kind
#           change is already exercised by enum -> integer.
# Prints the score and passes only at 100 %: a mutant that compiles is a change no review
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

# Finds, in a field declaration, the k-th sharing attribute outside a trailing // comment,
# as a field declaration writes it: `(central<T>, name)` in BOOST_HANA_DEFINE_STRUCT or
# `central<T> name;` in an adapted aggregate. Prints one line per field:
#   <file> <line> <k> <attribute> <type> <field> <line text>
# where <type> is the C++ type that declares it (the last `struct X` seen) and <field> its
# name.
list_fields() {
  local file
  for file in "${catalog_files[@]}"; do
    awk -v file="$file" '
      # Position of the ">" closing the "<" just before position from, or 0.
      function closing(s, from,   depth, i, c) {
        depth = 1
        for (i = from; i <= length(s); i++) {
          c = substr(s, i, 1)
          if (c == "<") depth++
          else if (c == ">" && --depth == 0) return i
        }
        return 0
      }
      {
        code = $0
        comment = index(code, "//")
        if (comment > 0) code = substr(code, 1, comment - 1)
        if (match(code, /(^|[^A-Za-z0-9_])struct [A-Za-z_][A-Za-z0-9_]*/)) {
          type = substr(code, RSTART, RLENGTH)
          sub(/^.*struct /, "", type)
        }
        k = 0
        while (match(code, /(^|[^A-Za-z0-9_])(central|instance_only)</)) {
          token = substr(code, RSTART, RLENGTH)
          sub(/^[^ci]*/, "", token)
          sub(/<$/, "", token)
          k++
          code = substr(code, RSTART + RLENGTH)
          field = "?"
          close_at = closing(code, 1)
          if (close_at > 0) {
            after = substr(code, close_at + 1)
            if (match(after, /^[ ,]*[A-Za-z_][A-Za-z0-9_]*/)) {
              field = substr(after, RSTART, RLENGTH)
              sub(/^[ ,]*/, "", field)
            }
          }
          text = $0
          gsub(/^[ \t]+/, "", text)
          print file, NR, k, token, type, field, text
        }
      }' "$root/$catalog_dir/$file"
  done
}

# "<type>.<field> <kind> <sharing>" for every field of docs/privacy-manifest.json (events and
# contexts), read from its one-field-per-line layout.
manifest_kinds() {
  awk '
    /^ *"type": "[A-Za-z0-9_]+",? *$/ { type = $0; sub(/^ *"type": "/, "", type); sub(/".*$/, "", type) }
    /^ *\{"name": .*"sharing": / {
      name = $0; sub(/^ *\{"name": "/, "", name); sub(/".*$/, "", name)
      kind = $0; sub(/^.*"kind": "/, "", kind); sub(/".*$/, "", kind)
      sharing = $0; sub(/^.*"sharing": "/, "", sharing); sub(/".*$/, "", sharing)
      print type "." name, kind, sharing
    }' "$manifest"
}

# The test-only reviewed type the retype mutants use, appended to catalog/ids.hpp in their
# copy (every catalog header includes it): final, named for itself, its central form is its
# whole value, its grammar all printable ASCII the grammar allows.
mutation_type_source='
#include <onefuzz/telemetry/reviewed.hpp>
#include <string_view>
namespace onefuzz::telemetry::catalog {
class mutation_projection final : public reviewed<mutation_projection> {
 public:
  static constexpr std::string_view projection = "mutation check: the value itself";
  static constexpr projection_grammar central_grammar{" !#-[]-~", 8192};
  [[nodiscard]] std::string_view full_value() const noexcept { return value_; }
  [[nodiscard]] std::string_view central_projection() const noexcept { return value_; }

 private:
  std::string_view value_;
};
}  // namespace onefuzz::telemetry::catalog
'

# Writes the changed header to <dir>/include, an overlay searched before the tree's include/
# (the headers include each other with <...> only, so the copy is the one used): <op> is `flip` (the k-th attribute on
# <line> flipped) or `retype:<kind>` (the type inside the k-th attribute replaced, see the
# top of this file; a default member initializer of the old type is dropped with it).
make_mutant() {
  local dir=$1 op=$2 file=$3 line=$4 k=$5
  mkdir -p "$dir/include/onefuzz/telemetry/catalog"
  if [[ $op == retype:* ]]; then
    { cat "$root/$catalog_dir/ids.hpp"; printf '%s' "$mutation_type_source"; } \
      >"$dir/include/onefuzz/telemetry/catalog/ids.hpp"
  fi
  awk -v target="$line" -v k="$k" -v op="$op" '
    function closing(s, from,   depth, i, c) {
      depth = 1
      for (i = from; i <= length(s); i++) {
        c = substr(s, i, 1)
        if (c == "<") depth++
        else if (c == ">" && --depth == 0) return i
      }
      return 0
    }
    # The replacement for the value type core (std::optional removed) of a field of kind.
    function retyped(kind, core) {
      if (kind == "integer" || kind == "version" || kind == "reviewed") return "catalog::mutation_projection"
      if (kind == "id") return core ~ /job_id$/ ? "catalog::task_id" : "catalog::job_id"
      return "std::uint64_t"  # enum
    }
    NR == target {
      out = ""; rest = $0; seen = 0
      while (match(rest, /(^|[^A-Za-z0-9_])(central|instance_only)</)) {
        head = substr(rest, 1, RSTART - 1)
        token = substr(rest, RSTART, RLENGTH)
        rest = substr(rest, RSTART + RLENGTH)
        seen++
        if (seen == k && op == "flip") {
          if (token ~ /central<$/) sub(/central<$/, "instance_only<", token)
          else sub(/instance_only<$/, "central<", token)
        } else if (seen == k) {
          close_at = closing(rest, 1)
          inner = substr(rest, 1, close_at - 1)
          rest = substr(rest, close_at)
          core = inner; wrap = 0
          if (core ~ /^std::optional<.*>$/) { core = substr(core, 15, length(core) - 15); wrap = 1 }
          core = retyped(substr(op, 8), core)
          token = token (wrap ? "std::optional<" core ">" : core)
          # `central<T> name{T::x};`: the initializer was of the old type.
          if (match(rest, /^> *[A-Za-z_][A-Za-z0-9_]* *\{[^}]*\}/)) {
            kept = substr(rest, 1, RLENGTH); sub(/ *\{[^}]*\}$/, "", kept)
            rest = kept substr(rest, RLENGTH + 1)
          }
        }
        out = out head token
      }
      $0 = out rest
    }
    { print }' "$root/$catalog_dir/$file" >"$dir/include/onefuzz/telemetry/catalog/$file"
}

# Compiles one mutant, given as one line
#   "<id> <op> <file> <line> <k> <attribute> <type> <field> <text>",
# and prints "<verdict> <file>:<line> <type>.<field> <change>: <text>".
run_mutant() {
  local id op file line k attribute type field text
  read -r id op file line k attribute type field text <<<"$1"
  local dir=$work/mutant-$id verdict change
  local -a prefix_args
  read -r -a prefix_args <<<"$prefix_args_text"
  if [[ $op == flip ]]; then
    change="$attribute -> $([[ $attribute == central ]] && echo instance_only || echo central)"
  else
    change="retype (${op#retype:})"
  fi
  make_mutant "$dir" "$op" "$file" "$line" "$k"
  if cmp -s "$root/$catalog_dir/$file" "$dir/include/onefuzz/telemetry/catalog/$file"; then
    verdict=not-applied
  elif "$compiler" -std=c++20 -fsyntax-only "${prefix_args[@]}" "-I$dir/include" "-I$work/baseline/include" "$tu" \
      >"$dir/log" 2>&1; then
    verdict=SURVIVED
  elif grep -q 'onefuzz::telemetry::central<' "$dir/log"; then
    # The type rule fires first (central<std::string> and the like), at the field itself.
    verdict=caught-by-type-rule
  elif grep -Eq 'central_field_not_in_review|reviewed_field_not_central|reviewed_field_not_in_event|wire_name_used_twice|central_field_exposure_changed' "$dir/log"; then
    verdict=caught-by-pin
  else
    # Rejected, but not by a privacy rule: the check cannot claim it.
    verdict=BROKEN
    sed -n '1,20p' "$dir/log" >"$work/broken-$id.log"
  fi
  if [[ $op != flip ]]; then
    change="$change: $(sed -n "${line}p" "$dir/include/onefuzz/telemetry/catalog/$file" | sed 's/^[ \t]*//')"
  fi
  printf '%s %s:%s %s.%s %s <- %s\n' "$verdict" "$file" "$line" "$type" "$field" "$change" "$text"
  [[ $verdict == SURVIVED || $verdict == BROKEN || $verdict == not-applied ]] || rm -rf "$dir"
}
export -f make_mutant run_mutant
export root catalog_dir tu compiler work mutation_type_source

# The unmutated copy must compile, or every mutant would look caught.
mkdir -p "$work/baseline"
cp -R "$root/include" "$work/baseline/include"

# The headers every mutant includes and no mutant changes (the catalog's dependencies, not
# the catalog), precompiled once: parsing them was about 40 % of each mutant's compile.
# Only when that header pulls in no catalog header (a catalog header in it would hide the
# mutants' copies, and every mutant would survive); a compiler that cannot use the
# precompiled file parses the header as usual, so the verdicts are the same either way.
prefix=$work/prefix/mutation_prefix.hpp
mkdir -p "$work/prefix"
cat >"$prefix" <<'EOF_PREFIX'
#include <onefuzz/telemetry/audit.hpp>
#include <onefuzz/telemetry/event.hpp>
#include <onefuzz/telemetry/reviewed.hpp>
#include <onefuzz/telemetry/role.hpp>
#include <boost/hana/adapt_struct.hpp>
EOF_PREFIX
prefix_args=()
if "$compiler" -std=c++20 -H "-I$work/baseline/include" -x c++-header "$prefix" -o "$prefix.gch" \
    >"$work/prefix.log" 2>&1 && ! grep -q "/$catalog_dir/" "$work/prefix.log"; then
  prefix_args=(-include "$prefix")
else
  rm -f "$prefix.gch"
fi
# Bash cannot export an array: run_mutant reads it from this string.
export prefix_args_text="${prefix_args[*]}"

if ! "$compiler" -std=c++20 -fsyntax-only "${prefix_args[@]}" "-I$work/baseline/include" "$tu" 2>"$work/baseline.log"; then
  echo "mutation_check: the unmutated pins TU does not compile; fix that first:" >&2
  sed -n '1,30p' "$work/baseline.log" >&2
  exit 2
fi

list_fields >"$work/fields"
flips=$(wc -l <"$work/fields")

# Every field of the manifest must have been found, or a field written in an unexpected
# form would escape the check unnoticed.
if [[ -f $manifest ]]; then
  expected=$(grep -c '"sharing":' "$manifest")
  if [[ $flips -ne $expected ]]; then
    echo "mutation_check: found $flips field declarations, but docs/privacy-manifest.json lists $expected fields" >&2
    exit 2
  fi
  manifest_kinds >"$work/kinds"
fi

# One flip per field; one retype per (type, kind of central field), on its first such field.
awk '{ print "flip", $0 }' "$work/fields" >"$work/plan"
if [[ -f $manifest ]]; then
  if ! awk '
      BEGIN { split("integer version reviewed id enum", list, " "); for (i in list) retyped[list[i]] = 1 }
      NR == FNR { kind[$1] = $2; sharing[$1] = $3; next }
      {
        key = $5 "." $6
        if (!(key in kind)) {
          print "mutation_check: " key " (" $1 ":" $2 ") is not in docs/privacy-manifest.json; regenerate it" > "/dev/stderr"
          missing = 1
          next
        }
        if ($4 != "central" || sharing[key] == "instance" || !(kind[key] in retyped)) next
        if ((($5 SUBSEP kind[key]) in done)) next
        done[$5, kind[key]] = 1
        print "retype:" kind[key], $0
      }
      END { exit missing }' "$work/kinds" "$work/fields" >>"$work/plan"; then
    exit 2
  fi
else
  echo "mutation_check: docs/privacy-manifest.json not found: no retype mutants (kinds unknown)" >&2
fi
retypes=$(grep -c '^retype:' "$work/plan" || true)
nl -w1 -s' ' "$work/plan" >"$work/mutants"
total=$(wc -l <"$work/mutants")

echo "mutation_check: $total mutants ($flips sharing flips, one per catalog field; $retypes retypes, one per type and retyped kind), $jobs at a time, with $compiler"
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
echo "mutation score: $caught/$total caught ($by_pin by a pin, $by_type by a type rule; $flips flips, $retypes retypes) in $((SECONDS - start)) s"
[[ $caught -eq $total && $total -gt 0 ]]
