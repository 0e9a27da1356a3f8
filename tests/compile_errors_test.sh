#!/usr/bin/env bash
# Compiles each case in tests/compile_errors/ and checks that the compiler
# refuses it with the message a user should see. A case is a .cc file whose
# leading comment lines say how to compile it and what to expect:
#
#   // COMPILER: g++          the compiler (default clang++-16)
#   // FLAGS: -std=c++17      flags (default -std=c++20); -I<root> is added
#   // EXPECT: <ERE>          the FIRST "error:" line must match this
#   // EXPECT-COUNT: N        optional: exactly N "error:" lines, each
#                             matching EXPECT (one per statement of a case
#                             that lists several mistakes of one kind)
#   // EXPECT-NOTE: <ERE>     optional: some line of the output (a note
#                             under the error, say) must match too
#   // REJECT: <ERE>          optional: no line of the output may match
#                             (say "in instantiation of": no template
#                             backtrace)
#   // COMPILES-WITH: <flags> optional: with these flags instead of FLAGS
#                             the case must compile, so what FLAGS add (a
#                             warning made an error) is the only reason it
#                             is refused
#
# A case must fail to compile, and its first error must match: a later
# error that matches does not count, because users read the first one.
# Usage: compile_errors_test.sh CASE.cc...   (Bazel passes every case.)
set -uo pipefail

root=${TEST_SRCDIR:+$TEST_SRCDIR/${TEST_WORKSPACE:-coactor}}
root=${root:-$(cd "$(dirname "$0")/.." && pwd)}
failures=0
count=0

for case_file in "$@"; do
  [[ -f $case_file ]] || case_file=$root/$case_file
  name=$(basename "$case_file" .cc)
  compiler=$(sed -n 's|^// COMPILER: *||p' "$case_file" | head -1)
  flags=$(sed -n 's|^// FLAGS: *||p' "$case_file" | head -1)
  expect=$(sed -n 's|^// EXPECT: *||p' "$case_file" | head -1)
  expect_count=$(sed -n 's|^// EXPECT-COUNT: *||p' "$case_file" | head -1)
  expect_note=$(sed -n 's|^// EXPECT-NOTE: *||p' "$case_file" | head -1)
  reject=$(sed -n 's|^// REJECT: *||p' "$case_file" | head -1)
  compiles_with=$(sed -n 's|^// COMPILES-WITH: *||p' "$case_file" | head -1)
  compiler=${compiler:-clang++-16}
  flags=${flags:--std=c++20}
  count=$((count + 1))
  if [[ -z $expect ]]; then
    echo "FAIL $name: no // EXPECT: line"
    failures=$((failures + 1))
    continue
  fi
  # shellcheck disable=SC2086  # FLAGS is a list of words.
  output=$("$compiler" $flags -fsyntax-only -I"$root" "$case_file" 2>&1)
  rc=$?
  output=${output//"$root/"/}  # Paths as a user sees them.
  first_error=$(grep -m1 -E '(fatal )?error:' <<<"$output")
  errors=$(grep -cE '(fatal )?error:' <<<"$output")
  matching=$(grep -E '(fatal )?error:' <<<"$output" | grep -cE -- "$expect")
  if ((rc == 0)); then
    echo "FAIL $name: $compiler compiled it; expected an error matching: $expect"
    failures=$((failures + 1))
  elif ! grep -qE -- "$expect" <<<"$first_error"; then
    echo "FAIL $name: the first error does not match: $expect"
    echo "  first error: $first_error"
    echo "$output" | head -20 | sed 's/^/  | /'
    failures=$((failures + 1))
  elif [[ -n $expect_count ]] &&
       ((errors != expect_count || matching != expect_count)); then
    echo "FAIL $name: expected $expect_count errors matching: $expect"
    echo "  got $errors errors, $matching of them matching"
    grep -E '(fatal )?error:' <<<"$output" | head -30 | sed 's/^/  | /'
    failures=$((failures + 1))
  elif [[ -n $expect_note ]] && ! grep -qE -- "$expect_note" <<<"$output"; then
    echo "FAIL $name: no line of the output matches: $expect_note"
    echo "$output" | head -20 | sed 's/^/  | /'
    failures=$((failures + 1))
  elif [[ -n $reject ]] && grep -qE -- "$reject" <<<"$output"; then
    echo "FAIL $name: a line of the output matches: $reject"
    grep -E -- "$reject" <<<"$output" | head -5 | sed 's/^/  | /'
    failures=$((failures + 1))
  # shellcheck disable=SC2086  # COMPILES-WITH is a list of words too.
  elif [[ -n $compiles_with ]] &&
       ! other=$("$compiler" $compiles_with -fsyntax-only -I"$root" \
                 "$case_file" 2>&1); then
    echo "FAIL $name: does not compile with $compiles_with either"
    echo "${other//"$root/"/}" | head -20 | sed 's/^/  | /'
    failures=$((failures + 1))
  else
    echo "ok   $name ($compiler $flags): $first_error" | cut -c1-220
  fi
done

echo "$((count - failures)) of $count compile-error cases behave as expected"
((count > 0 && failures == 0))
