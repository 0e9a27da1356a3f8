#!/usr/bin/env bash
# Runs //examples:counter_printer as a user would and checks its output:
# with no flags it prints "Got: 100" down to "Got: 1" like the Python
# original; with --quiet it reports every message delivered; with --trace
# it also writes a trace (checked by trace_check.py).
set -euo pipefail
example=$1

expected=$(for ((n = 100; n >= 1; n--)); do echo "Got: $n"; done)
actual=$("$example")
if [[ "$actual" != "$expected" ]]; then
  diff <(echo "$expected") <(echo "$actual") || true
  echo "FAIL: default output differs from the Python original" >&2
  exit 1
fi

quiet=$("$example" --n=1000 --quiet)
if [[ "$quiet" != "printer received 1000 messages; 2001 messages delivered in "* ]]; then
  echo "FAIL: unexpected --quiet output: $quiet" >&2
  exit 1
fi

# --trace: the same output, and a trace with the 2n + 1 messages' turns (and
# the two actors' starts) and a flow into each; an unwritable path is
# reported and the run goes on untraced.
check=$2
python=python3
if [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3; fi
out=${TEST_TMPDIR:-$(mktemp -d)}
actual=$("$example" --trace="$out/cp.json")
[[ "$actual" == "$expected" ]] || { echo "FAIL: --trace changed the output" >&2; exit 1; }
$python "$check" "$out/cp.json" --messages 201 --turns 203 --flows 203 \
  --received 203 --lanes 1
actual=$("$example" --trace=/nonexistent-dir/cp.json 2>"$out/err.txt")
[[ "$actual" == "$expected" ]] || { echo "FAIL: untraced output differs" >&2; exit 1; }
grep -q 'cannot write the trace file "/nonexistent-dir/cp.json"' "$out/err.txt" ||
  { echo "FAIL: no error for an unwritable trace path" >&2; cat "$out/err.txt"; exit 1; }

if "$example" --n=-1 2>/dev/null; then
  echo "FAIL: a negative --n was accepted" >&2
  exit 1
fi
echo "PASS"
