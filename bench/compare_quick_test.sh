#!/usr/bin/env bash
# Runs //bench:compare --quick (every workload on every system at small
# sizes, each verifying its own result) and checks that it succeeded and
# wrote its three reports.
set -euo pipefail

compare="${1:?usage: compare_quick_test.sh PATH_TO_COMPARE}"
out="${TEST_TMPDIR:-$(mktemp -d)}/compare"

if ! "$compare" --quick --out="$out" >"$out.stdout"; then
  echo "FAIL: compare --quick exited non-zero; its report:" >&2
  cat "$out.stdout" >&2
  exit 1
fi
for file in results.md results.json chart.svg; do
  if [[ ! -s "$out/$file" ]]; then
    echo "FAIL: compare --quick did not write $file" >&2
    exit 1
  fi
done
grep -q "Every run verified its own result" "$out/results.md" || {
  echo "FAIL: results.md does not say every run verified" >&2
  exit 1
}
grep -q "<svg" "$out/chart.svg" || { echo "FAIL: chart.svg is no SVG" >&2; exit 1; }
runs=$(python3 -c '
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
assert runs and all(r["ok"] for r in runs), "a run failed"
print(len(runs))' "$out/results.json")
echo "PASS: compare --quick: $runs runs, all verified"
