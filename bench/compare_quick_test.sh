#!/usr/bin/env bash
# Runs //bench:compare --quick (every workload on every system at small
# sizes, each verifying its own result) and checks that it succeeded, wrote
# its three reports, and says what a user needs to read them:
#   - quick mode says, in the report's header, its table headings and the
#     chart's title, that its rates are not measurements, and judges no
#     goals;
#   - no output names an internal issue;
#   - the report describes each of the ten workloads in one line.
# Then replots the same runs as if they were a full run (--replot reads
# the mode from results.json) and checks the full report: no quick notice,
# the goals table under its own name, the notes on the results that invite
# doubt.
set -euo pipefail

compare="${1:?usage: compare_quick_test.sh PATH_TO_COMPARE}"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
out="$tmp/compare"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

if ! "$compare" --quick --out="$out" >"$tmp/stdout" 2>"$tmp/stderr"; then
  cat "$tmp/stdout" "$tmp/stderr" >&2
  fail "compare --quick exited non-zero; its report and progress are above"
fi
for file in results.md results.json chart.svg; do
  [[ -s "$out/$file" ]] || fail "compare --quick did not write $file"
done
grep -q "<svg" "$out/chart.svg" || fail "chart.svg is no SVG"
[[ "$(cat "$out/results.md")" == "$(cat "$tmp/stdout")" ]] ||
  fail "stdout is not the report in results.md"
grep -qx "Every run verified its own result." "$out/results.md" ||
  fail "results.md does not say every run verified"

# --- Quick mode says its rates are not measurements, and judges nothing. ---
notice='**Quick mode: a smoke test, not a measurement. Every workload ran once at a small size (runs of a few milliseconds) only to check that it runs and verifies its result; none of the rates, ratios or memory figures below are measurements. Run without --quick to measure.**'
[[ $(grep -cxF -- "$notice" "$out/results.md") == 1 ]] ||
  fail "results.md lacks the quick-mode notice (exactly once)"
[[ $(sed -n 3p "$out/results.md") == "$notice" ]] ||
  fail "the quick-mode notice is not right under the report's title"
for heading in \
    '## Throughput: items per second (× CAF at the same thread count) — quick mode: smoke test, not measurements' \
    '## Peak RSS per run (MiB) — quick mode: smoke test, not measurements' \
    '## Memory per idle actor (RSS growth / actors spawned) — quick mode: smoke test, not measurements'; do
  grep -qxF -- "$heading" "$out/results.md" || fail "no heading: $heading"
done
[[ $(grep -c '^## ' "$out/results.md") == 5 ]] ||
  fail "quick report: expected 5 sections (workloads, 3 tables, notes), got: $(grep '^## ' "$out/results.md")"
grep -qiE '^## .*(goal|target)|^\| ratio \|' "$out/results.md" &&
  fail "quick report judges goals: $(grep -iE 'goal|target' "$out/results.md")"
grep -qF '>QUICK MODE (smoke test): these rates are not measurements</text>' \
  "$out/chart.svg" || fail "chart.svg has no quick-mode title"
grep -qF 'quick mode: smoke test, not measurements' "$tmp/stderr" ||
  fail "the progress on stderr does not say quick mode is no measurement"

# --- No internal issue numbers anywhere. ---
for file in "$tmp/stdout" "$tmp/stderr" "$out/results.md" "$out/chart.svg"; do
  if grep -qi 'issue' "$file"; then
    fail "$(basename "$file") mentions an issue: $(grep -i 'issue' "$file")"
  fi
done

# --- One description line per workload, for exactly the ten workloads. ---
expected='counter_printer ping_pong counting thread_ring fork_join_throughput fork_join_creation big chameneos bounded_buffer idle_actor_memory'
described=$(sed -n 's/^- \*\*\([a-z_]*\)\*\* — ..*$/\1/p' "$out/results.md" | tr '\n' ' ')
[[ $described == "$expected " ]] ||
  fail "workload descriptions: got '$described', want '$expected '"
[[ $(grep -c '^## Workloads$' "$out/results.md") == 1 ]] ||
  fail "no Workloads section"

# Ten workloads; each on the deque scheduler, work stealing and CAF at
# every thread count (1, 2 and the core count if > 2); three also in Python.
runs=$(python3 -c '
import json, os, sys
data = json.load(open(sys.argv[1]))
runs = data["runs"]
assert all(r["ok"] for r in runs), "a run failed"
assert data["meta"]["quick"] is True, "meta.quick is not true"
cores = os.cpu_count()
thread_counts = 2 + (cores > 2)
assert len(runs) == 10 * (1 + 2 * thread_counts) + 3, len(runs)
print(len(runs))' "$out/results.json") || fail "results.json: see above"

# --- The same runs replotted as a full run. ---
full="$tmp/full"
mkdir -p "$full"
python3 -c '
import json, sys
data = json.load(open(sys.argv[1]))
data["meta"]["quick"] = False
json.dump(data, open(sys.argv[2], "w"))' "$out/results.json" "$full/results.json"
"$compare" --replot --out="$full" >"$tmp/full.stdout" 2>"$tmp/full.stderr" ||
  fail "compare --replot exited non-zero: $(cat "$tmp/full.stderr")"
grep -qi 'quick mode' "$full/results.md" "$full/chart.svg" &&
  fail "the full report says quick mode"
grep -qxF "## coactor's own goals (ratios to CAF it aims for)" "$full/results.md" ||
  fail "the full report has no goals table"
grep -qxF '| ratio | measured | goal | met |' "$full/results.md" ||
  fail "the goals table has no header row"
grep -qxF '## Results that invite doubt: what is known' "$full/results.md" ||
  fail "the full report has no notes on the results that invite doubt"
grep -q "^- \*\*CAF's memory on counter_printer at 1 thread\*\*" "$full/results.md" ||
  fail "no note on CAF's memory on counter_printer"
grep -q '^- \*\*CPython against CAF at 1 thread\*\*: In this run CPython beats CAF at 1 thread on ' \
  "$full/results.md" || fail "no note on CPython against CAF"
described=$(sed -n 's/^- \*\*\([a-z_]*\)\*\* — ..*$/\1/p' "$full/results.md" | tr '\n' ' ')
[[ $described == "$expected " ]] ||
  fail "full report, workload descriptions: got '$described'"
for file in "$tmp/full.stdout" "$full/results.md" "$full/chart.svg"; do
  if grep -qi 'issue' "$file"; then
    fail "full: $(basename "$file") mentions an issue: $(grep -i 'issue' "$file")"
  fi
done

echo "PASS: compare --quick: $runs runs, all verified; quick and full reports say what they are"
