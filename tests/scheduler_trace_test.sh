#!/usr/bin/env bash
# Thread ring traced on the deque scheduler and on work stealing at 1, 2 and
# 4 workers (scheduler_trace_driver.cc); trace_check.py checks each trace:
# valid JSON, every flow with one start and one end, each receiving turn
# starting after its send, turns on one thread never overlapping, and the
# messages handled in turns equal to the messages sent.
set -euo pipefail
driver=$1
check=$2
python=python3
if [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3; fi
out=${TEST_TMPDIR:-$(mktemp -d)}

actors=7
hops=3000
messages=$((hops + 1))
for workers in 0 1 2 4; do
  echo "--- workers $workers (0: deque)"
  "$driver" "$out/ring$workers.json" $workers $actors $hops >"$out/run.txt"
  grep -qx "messages $messages" "$out/run.txt" || { cat "$out/run.txt"; exit 1; }
  if ((workers == 0)); then
    # One turn per envelope: each actor's start and each message, and a
    # flow into each (the first message and the starts from outside).
    $python "$check" "$out/ring$workers.json" --messages $messages \
      --turns $((actors + messages)) --flows $((actors + messages)) \
      --received $((actors + messages)) --lanes 1
  else
    # One turn per resumption: each actor's start and each message; a flow
    # into each message's turn (the main thread sends the first: its lane
    # too).
    $python "$check" "$out/ring$workers.json" --messages $messages \
      --turns $((actors + messages)) --received $messages \
      --max-lanes $((workers + 1))
  fi
done
echo PASS
