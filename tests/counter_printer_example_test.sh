#!/usr/bin/env bash
# Runs //examples:counter_printer as a user would and checks its output:
# with no flags it prints "Got: 100" down to "Got: 1" like the Python
# original; with --quiet it reports every message delivered.
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

if "$example" --n=-1 2>/dev/null; then
  echo "FAIL: a negative --n was accepted" >&2
  exit 1
fi
echo "PASS"
