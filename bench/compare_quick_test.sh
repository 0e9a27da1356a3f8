#!/usr/bin/env bash
# Runs //bench:compare --quick (every workload on every system: coactor,
# CAF, Erlang, Go and Python, each run verifying its own result) and checks
# that it succeeded, wrote its reports, and says what a user needs to read
# them:
#   - quick mode says, on top of the report, in its table headings and on
#     the chart, that its rates are not measurements, and judges no goals;
#   - no output names an internal issue;
#   - the report describes each of the eleven workloads in one line;
#   - Erlang and Go ran every workload at every thread count (the bounded
#     mailbox workload in Go only; CAF's and Erlang's cells say why not).
# Then runs a runner named on the command line (--runner, the protocol of
# bench/runner/runner.h), and replots the first runs as if they were a full
# run (--replot reads the mode from results.json) to check the full report:
# no quick notice, the spread beside each median, the goals table, the
# notes on results that invite doubt (coactor's memory on counting).
set -euo pipefail

compare="${1:?usage: compare_quick_test.sh PATH_TO_COMPARE PATH_TO_SAVINA_RUNNER}"
runner="${2:?usage: compare_quick_test.sh PATH_TO_COMPARE PATH_TO_SAVINA_RUNNER}"
runner=$(cd "$(dirname "$runner")" && pwd)/$(basename "$runner")
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
out="$tmp/compare"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

start=$SECONDS
if ! "$compare" --quick --out="$out" >"$tmp/stdout" 2>"$tmp/stderr"; then
  cat "$tmp/stdout" "$tmp/stderr" >&2
  fail "compare --quick exited non-zero; its report and progress are above"
fi
quick_seconds=$((SECONDS - start))
((quick_seconds < 60)) || fail "compare --quick took $quick_seconds s (> 60)"
for file in results.md results.json chart.png chart.svg; do
  [[ -s "$out/$file" ]] || fail "compare --quick did not write $file"
done
grep -q "<svg" "$out/chart.svg" || fail "chart.svg is no SVG"
[[ $(head -c 4 "$out/chart.png" | tail -c 3) == PNG ]] || fail "chart.png is no PNG"
[[ "$(cat "$out/results.md")" == "$(cat "$tmp/stdout")" ]] ||
  fail "stdout is not the report in results.md"
grep -qx "Every run verified its own result." "$out/results.md" ||
  fail "results.md does not say every run verified"

# --- Quick mode says its rates are not measurements, and judges nothing. ---
notice='quick: checks that every workload runs and verifies; the rates are not measurements'
sed -n 3p "$out/results.md" | grep -qiF -- "**$notice.**" ||
  fail "the quick notice is not right under the report's title"
for heading in \
    "## Throughput: items per second (one run each) × CAF at the same thread count — $notice" \
    "## Size and median run time — $notice" \
    "## Peak RSS per run (MiB) — $notice" \
    "## Memory per idle actor (RSS growth / actors spawned) — $notice"; do
  grep -qxF -- "$heading" "$out/results.md" || fail "no heading: $heading"
done
grep -qiE '^## .*(goal|target)|^\| ratio \|' "$out/results.md" &&
  fail "quick report judges goals: $(grep -iE 'goal|target' "$out/results.md")"
grep -qF ">$notice<" "$out/chart.svg" || fail "chart.svg has no quick notice"
grep -qF '>coactor vs CAF, Erlang, Go and Python: items per second (one run each)<' "$out/chart.svg" ||
  fail "the quick chart does not say it shows one run each"
grep -qF "$notice" "$tmp/stderr" ||
  fail "the progress on stderr does not say quick mode is no measurement"

# --- No internal issue numbers anywhere. ---
for file in "$tmp/stdout" "$tmp/stderr" "$out/results.md" "$out/chart.svg"; do
  if grep -qi 'issue' "$file"; then
    fail "$(basename "$file") mentions an issue: $(grep -i 'issue' "$file")"
  fi
done

# --- One description line per workload, for exactly the eleven workloads. ---
expected='counter_printer ping_pong counting thread_ring fork_join_throughput fork_join_creation big chameneos bounded_buffer bounded_mailbox_buffer idle_actor_memory'
described=$(sed -n '/^## Workloads$/,/^## /s/^- \*\*\([a-z_]*\)\*\* — ..*$/\1/p' "$out/results.md" | tr '\n' ' ')
[[ $described == "$expected " ]] ||
  fail "workload descriptions: got '$described', want '$expected '"
for system in 'coactor deque' 'coactor stealing' CAF Erlang Go Python; do
  grep -q "^- \*\*$system\*\* — " "$out/results.md" ||
    fail "the report does not say how $system runs"
done

# Eleven workloads on coactor's two schedulers and Go, the ten without
# bounded mailboxes on CAF and Erlang, at every thread count (1, 2 and the
# core count if > 2; the deque at 1); three also in Python. Every run
# verified.
runs=$(python3 -c '
import json, os, sys
data = json.load(open(sys.argv[1]))
runs = data["runs"]
bad = [r for r in runs if not r["ok"]]
assert not bad, "failed runs: %s" % bad
assert data["meta"]["quick"] is True, "meta.quick is not true"
counts = 2 + (os.cpu_count() > 2)
for system, workloads in (("erlang", 10), ("caf", 10), ("go", 11),
                          ("coactor-stealing", 11)):
    mine = {(r["workload"], r["threads"]) for r in runs if r["system"] == system}
    assert len(mine) == workloads * counts, (system, sorted(mine))
assert len(runs) == 11 + (11 + 10 + 10 + 11) * counts + 3, len(runs)
print(len(runs))' "$out/results.json") || fail "results.json: see above"

for why in 'CAF: its mailboxes are unbounded; it has no sender that waits for room' \
           "Erlang: a process's mailbox is unbounded; a sender cannot wait for room"; do
  grep -qF "$why" "$out/results.md" ||
    fail "the report does not say why a cell is empty: $why"
done

# --- A runner named on the command line, with the protocol's --list. ---
mine="$tmp/mine"
"$compare" --quick --out="$mine" --systems=coactor-deque,mine \
  --workloads=ping_pong,counting --runner="mine=$runner --scheduler=deque" \
  >"$tmp/mine.stdout" 2>"$tmp/mine.stderr" ||
  fail "compare --runner exited non-zero: $(cat "$tmp/mine.stderr")"
grep -q '^| workload | coactor deque 1t | mine 1t |$' "$mine/results.md" ||
  fail "the --runner report has no column 'mine 1t': $(grep '^| workload' "$mine/results.md")"
grep -qxF "## Throughput: items per second (one run each) — $notice" "$mine/results.md" ||
  fail "the --runner report's throughput heading (no CAF, so no ratio): $(grep '^## Throughput' "$mine/results.md")"
python3 -c '
import json, sys
runs = json.load(open(sys.argv[1]))["runs"]
mine = sorted(r["workload"] for r in runs if r["system"] == "mine" and r["ok"])
assert mine == ["counting", "ping_pong"], mine' "$mine/results.json" ||
  fail "the runner named with --runner did not run both workloads"

# --- A full run refuses an unoptimized runner at once. ---
# (This runner is a fastbuild; its only workload is not compare's first.)
only="$tmp/only_ping_pong.sh"
cat >"$only" <<EOF
#!/usr/bin/env bash
if [[ \$1 == --list ]]; then "$runner" --list | grep '"ping_pong"'; exit; fi
[[ \$1 == --workload=ping_pong ]] || { echo "unknown workload \$1" >&2; exit 2; }
exec "$runner" "\$@" --scheduler=deque
EOF
chmod +x "$only"
start=$SECONDS
if "$compare" --out="$tmp/unoptimized" --systems=mine --runner="mine=$only" \
  >"$tmp/unoptimized.stdout" 2>"$tmp/unoptimized.stderr"; then
  fail "a full run measured an unoptimized runner"
fi
grep -qF 'compare: mine: built without optimization' "$tmp/unoptimized.stderr" ||
  fail "a full run with an unoptimized runner did not say so: $(tail -3 "$tmp/unoptimized.stderr")"
((SECONDS - start < 20)) || fail "refusing an unoptimized runner took $((SECONDS - start)) s"

# --- The same runs replotted as a full run. ---
full="$tmp/full"
mkdir -p "$full"
python3 -c '
import json, sys
data = json.load(open(sys.argv[1]))
data["meta"]["quick"] = False
data["meta"]["repetitions"] = 2
# Two runs of each configuration, 4x apart, so the report shows a spread
# and calls every cell wide.
runs = data["runs"] + [dict(r, items_per_second=r["items_per_second"] * 4)
                       for r in data["runs"]]
# A deque run that queued a lot, as a full-size counting run does.
for r in runs:
    if r["system"] == "coactor-deque" and r["workload"] == "counting":
        r["peak_rss_kib"] = 100 * 1024
data["runs"] = runs
json.dump(data, open(sys.argv[2], "w"))' "$out/results.json" "$full/results.json"
"$compare" --replot --out="$full" >"$tmp/full.stdout" 2>"$tmp/full.stderr" ||
  fail "compare --replot exited non-zero: $(cat "$tmp/full.stderr")"
grep -qiF "$notice" "$full/results.md" "$full/chart.svg" &&
  fail "the full report says quick mode"
grep -qF 'until one run takes at least 0.38 s (0.3 s with a margin' "$full/results.md" ||
  fail "the full report does not say how long each run lasts"
grep -q '^| ping_pong (msgs) | [0-9.]*[kMG]* ([0-9.]*[kMG]*–[0-9.]*[kMG]*) ×' "$full/results.md" ||
  fail "the full report shows no spread beside the median"
grep -qxF '## Throughput: items per second, median (fastest–slowest run) × CAF at the same thread count' "$full/results.md" ||
  fail "the full report's throughput heading: $(grep '^## Throughput' "$full/results.md")"
grep -qxF "## coactor's own goals (the ratios it aims for)" "$full/results.md" ||
  fail "the full report has no goals table"
grep -qE '^\| ping_pong: stealing 1t vs deque 1t \| [0-9.]+× \| >= 0\.6× \| (yes|\*\*no\*\*) \|$' "$full/results.md" ||
  fail "the full report does not judge work stealing at 1 worker against the deque"
grep -qE '^\| fork_join_creation: deque vs Erlang 1t \| ' "$full/results.md" ||
  fail "the full report does not judge spawning against Erlang"
grep -qxF '## Results that invite doubt: what is known' "$full/results.md" ||
  fail "the full report has no notes on the results that invite doubt"
grep -qF '(fastest run more than 3× the slowest): ' "$full/results.md" ||
  fail "the full report does not list the wide spreads"
grep -qE '×4\.0\) and [0-9]+ more of the [0-9]+ cells\. Read these cells' "$full/results.md" ||
  fail "the full report does not cut the list of wide spreads short"
grep -qE '^- \*\*Runs shorter than 0\.3 s\*\*: [0-9]+ of the [0-9]+ cells had at least one counted run below it .*; the shortest: [a-z_]+ on [a-z-]+ [0-9]t \([0-9.]+ s\), .* and [0-9]+ more\. The size table' "$full/results.md" ||
  fail "the full report does not count and cut short the cells with short runs"
grep -qF '>coactor vs CAF, Erlang, Go and Python: items per second (median of 2 runs; bars: fastest to slowest run)<' "$full/chart.svg" ||
  fail "the full chart does not say what its bars and error bars are"
grep -qF "coactor's memory where one actor sends everything in one turn**: counting (the producer; 100 MiB at 10k messages, about 10486 bytes each; " "$full/results.md" ||
  fail "the full report does not explain coactor's peak RSS on counting"
for file in "$tmp/full.stdout" "$full/results.md" "$full/chart.svg"; do
  if grep -qi 'issue' "$file"; then
    fail "full: $(basename "$file") mentions an issue: $(grep -i 'issue' "$file")"
  fi
done

echo "PASS: compare --quick: $runs runs in $quick_seconds s, all verified (Erlang and Go included); a --runner; quick and full reports say what they are"
