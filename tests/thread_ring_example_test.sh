#!/usr/bin/env bash
# //examples:thread_ring with --trace at 1, 2 and 4 workers: it delivers
# every message (3 tokens x 101 hops), and trace_check.py finds each in a
# turn with a flow into it; a bad flag is refused.
set -euo pipefail
example=$1
check=$2
python=python3
if [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3; fi
out=${TEST_TMPDIR:-$(mktemp -d)}
for workers in 1 2 4; do
  result=$("$example" --workers=$workers --tokens=3 --hops=100 \
    --trace="$out/ring.json")
  [[ $result == "thread ring: 303 messages" ]] || { echo "FAIL: $result"; exit 1; }
  $python "$check" "$out/ring.json" --messages 303 --received 303 \
    --flows 303 --max-lanes $((workers + 1))
done
if "$example" --workers=0 2>/dev/null; then
  echo "FAIL: --workers=0 was accepted"; exit 1
fi
echo PASS
