#!/usr/bin/env bash
# Runs a Generator example (//examples:countdown, averager, throw_into,
# task_scheduler) as a user would and checks that it exits 0, writes nothing
# to stderr, and prints exactly the expected output: the lines the Python
# seeds print, plus the "# ..." headers some examples add between parts.
# Usage: generator_example_test.sh EXAMPLE EXPECTED_OUTPUT_FILE
set -euo pipefail
example=$1
expected_file=$2

stderr_file=$(mktemp)
trap 'rm -f "$stderr_file"' EXIT
if ! actual=$("$example" 2>"$stderr_file"); then
  echo "FAIL: $example exited with an error" >&2
  cat "$stderr_file" >&2
  exit 1
fi
if [[ -s "$stderr_file" ]]; then
  echo "FAIL: $example wrote to stderr:" >&2
  cat "$stderr_file" >&2
  exit 1
fi
expected=$(cat "$expected_file")
if [[ "$actual" != "$expected" ]]; then
  diff <(echo "$expected") <(echo "$actual") || true
  echo "FAIL: output of $example differs from $expected_file" >&2
  exit 1
fi
echo "PASS"
