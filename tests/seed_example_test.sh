#!/usr/bin/env bash
# Runs one of the asyncio-seed examples and checks its output against the
# Python original's (numbers that the original prints from a clock are
# normalized).   Usage: seed_example_test.sh NAME BINARY
set -euo pipefail
name=$1
example=$2

fail() {
  echo "FAIL ($name): $*" >&2
  exit 1
}

expect_output() {  # expect_output EXPECTED ACTUAL
  if [[ "$2" != "$1" ]]; then
    diff <(echo "$1") <(echo "$2") || true
    fail "output differs from the seed's"
  fi
}

case "$name" in
  factorial_gather)
    expected='Task A: Compute factorial(2), currently i=2...
Task B: Compute factorial(3), currently i=2...
Task C: Compute factorial(4), currently i=2...
Task A: factorial(2) = 2
Task B: Compute factorial(3), currently i=3...
Task C: Compute factorial(4), currently i=3...
Task B: factorial(3) = 6
Task C: Compute factorial(4), currently i=4...
Task C: factorial(4) = 24
[2, 6, 24]'
    actual=$("$example" --virtual 2>"$TEST_TMPDIR/err")
    expect_output "$expected" "$actual"
    # Concurrent: 3 units of (virtual) time, not 1 + 2 + 3 = 6.
    [[ "$(cat "$TEST_TMPDIR/err")" == "took 3 units" ]] ||
      fail "expected 'took 3 units', got '$(cat "$TEST_TMPDIR/err")'"
    ;;
  loop_step)
    expected='1
a T
a 0 T
b T
b 0 T
2
a 1 T
b 1 T
3
a 2 T
b 2 T
4
a done
b 3 T
5
b 4 T
6
b done
7
done'
    actual=$("$example" | sed -E 's/ [0-9]+\.[0-9]{3}$/ T/')
    expect_output "$expected" "$actual"
    ;;
  producer_consumer)
    expected='producer-1 : 75
producer-2 : 41
consumer-1 : 75
consumer-1 : 41
producer-1 : 54
producer-2 : 83
consumer-1 : 54
consumer-1 : 83'
    actual=$("$example" --rounds=2 2>"$TEST_TMPDIR/err")
    expect_output "$expected" "$actual"
    [[ "$(cat "$TEST_TMPDIR/err")" == "made 4, consumed 4" ]] ||
      fail "unexpected summary: $(cat "$TEST_TMPDIR/err")"
    ;;
  tail_grep)
    file="$TEST_TMPDIR/followed.txt"
    out="$TEST_TMPDIR/out.txt"
    echo "an old python line: before the start, not followed" >"$file"
    "$example" --file="$file" --max_matches=2 --printers=2 >"$out" 2>&1 &
    pid=$!
    for _ in $(seq 100); do
      grep -q '^following' "$out" && break
      sleep 0.05
    done
    grep -q '^following' "$out" || fail "the example did not start"
    echo "I like java" >>"$file"
    echo "I like python" >>"$file"
    sleep 0.1
    printf "a line written in two goes: py" >>"$file"  # Half a line...
    sleep 0.1
    echo "thon" >>"$file"                               # ...then the rest.
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      fail "did not stop after --max_matches lines"
    fi
    wait "$pid" || fail "exited with an error"
    expected="following $file
printer-1: I like python
printer-2: I like python
printer-1: a line written in two goes: python
printer-2: a line written in two goes: python"
    expect_output "$expected" "$(cat "$out")"
    ;;
  *)
    fail "unknown example"
    ;;
esac
echo "PASS ($name)"
