#!/usr/bin/env bash
# Several threads record into one Tracer (trace_recorder_driver.cc says what
# each does); the traces are checked as JSON by trace_check.py with exact
# counts: streaming with small batches (threads write concurrently), and
# bounded (a ring per thread, with the dropped events counted).
set -euo pipefail
driver=$1
check=$2
python=python3
if [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3; fi
out=${TEST_TMPDIR:-$(mktemp -d)}

threads=4
turns=3000
for batch in 64 4096; do
  "$driver" "$out/stream.json" $threads $turns 0 $batch
  $python "$check" "$out/stream.json" --turns $((threads * (turns + 1))) \
    --flows $((threads * turns + 1)) --lanes $((threads + 1)) --dropped 0 \
    --instant spawn=$threads --instant end=$threads \
    --instant "dead letter=$threads" --instant "timer armed=$threads" \
    --instant "timer fired=$threads" --instant "timer cancelled=$threads" \
    --instant steal=$threads --instant park=$threads --instant wake=$threads
done

# One thread, the receiver of its own sends.
"$driver" "$out/one.json" 1 100 0 16
$python "$check" "$out/one.json" --turns 101 --flows 101 --lanes 2 --dropped 0

# Bounded: each worker thread records 3 x turns + 10 events (thread 0 one
# more), the main thread 2; a ring of 500 keeps the last 500 of each.
ring=500
per_thread=$((3 * turns + 10))
"$driver" "$out/ring.json" $threads $turns $ring 4096
$python "$check" "$out/ring.json" --unpaired-ok --lanes $((threads + 1)) \
  --dropped $((threads * (per_thread - ring) + 1)) \
  --instant "events dropped=$threads" --max-per-lane $((ring + 1)) \
  --instant spawn=0 --instant end=$threads

# A crash (the driver ends at once, without Stop()): each worker thread
# recorded 3 x turns + 10 events (thread 0 one more); the file keeps all
# but at most its buffer (64) of each.
buffer=64
set +e
"$driver" "$out/crash.json" $threads $turns 0 $buffer crash
status=$?
set -e
[[ $status -eq 3 ]] || { echo "FAIL: the crash driver ended with $status"; exit 1; }
$python - "$out/crash.json" $threads $((3 * turns + 10)) $buffer <<'PY'
import collections, json, sys
path, threads, recorded, buffer = sys.argv[1], *map(int, sys.argv[2:])
kept = collections.Counter()
for line in open(path):
    line = line.strip().rstrip(",")
    if not line.startswith("{\"ph\""):
        continue
    try:
        e = json.loads(line)
    except ValueError:
        continue  # The line a crash cut short.
    if e["ph"] != "M":
        kept[e["tid"]] += 1
workers = [n for tid, n in kept.items() if n > 2]  # Not the main thread.
print(f"crash: events kept per thread {sorted(kept.values())}, "
      f"recorded {recorded} (+1 on thread 0), buffer {buffer}")
if len(workers) != threads or min(workers) < recorded - buffer:
    sys.exit(f"FAIL: a crash lost more than a buffer of a thread: {dict(kept)}")
PY

# The checker itself: each of these traces breaks one rule and must fail.
bad() {
  printf '{"traceEvents":[%s]}' "$2" >"$out/bad.json"
  if $python "$check" "$out/bad.json" "${@:4}" >"$out/bad.log"; then
    echo "FAIL: trace_check.py accepted a trace with $1"; exit 1
  fi
  grep -q "$3" "$out/bad.log" || { echo "FAIL: $1: $(cat "$out/bad.log")"; exit 1; }
}
x='"ph":"X","pid":1,"cat":"turn","name":"a"'
bad "overlapping turns" "{$x,\"tid\":1,\"ts\":1,\"dur\":5},{$x,\"tid\":1,\"ts\":3,\"dur\":1}" "slices overlap"
bad "a flow without its end" "{$x,\"tid\":1,\"ts\":1,\"dur\":5},{\"ph\":\"s\",\"pid\":1,\"tid\":1,\"ts\":2,\"cat\":\"msg\",\"name\":\"m\",\"id\":1}" "out of turn: s$"
bad "a receiving turn before its send" "{$x,\"tid\":1,\"ts\":10,\"dur\":5},{$x,\"tid\":2,\"ts\":1,\"dur\":20},{\"ph\":\"s\",\"pid\":1,\"tid\":1,\"ts\":11,\"cat\":\"msg\",\"name\":\"m\",\"id\":1},{\"ph\":\"f\",\"bp\":\"e\",\"pid\":1,\"tid\":2,\"ts\":12,\"cat\":\"msg\",\"name\":\"m\",\"id\":1}" "before the send"
bad "an id used again before its flow ended" "{$x,\"tid\":1,\"ts\":1,\"dur\":5},{$x,\"tid\":2,\"ts\":10,\"dur\":5},{\"ph\":\"s\",\"pid\":1,\"tid\":1,\"ts\":2,\"cat\":\"msg\",\"name\":\"m\",\"id\":1},{\"ph\":\"s\",\"pid\":1,\"tid\":1,\"ts\":3,\"cat\":\"msg\",\"name\":\"m\",\"id\":1},{\"ph\":\"f\",\"bp\":\"e\",\"pid\":1,\"tid\":2,\"ts\":11,\"cat\":\"msg\",\"name\":\"m\",\"id\":1},{\"ph\":\"f\",\"bp\":\"e\",\"pid\":1,\"tid\":2,\"ts\":12,\"cat\":\"msg\",\"name\":\"m\",\"id\":1}" "out of turn: ssff"
bad "a wrong count" "{$x,\"tid\":1,\"ts\":1,\"dur\":5}" "turns: 1, expected 2" --turns 2
echo PASS
