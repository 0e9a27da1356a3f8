#!/usr/bin/env bash
# //examples:fork_join with --trace: every message is delivered and traced
# (16 x 400 to the workers, 16 joins, the driver's one: 6417), and on 2
# workers the trace shows work stolen: at least one steal, and an actor
# whose turns lie on both workers' lanes; on 1 worker, no steal and one
# lane of turns. Whether the second worker gets a CPU while the driver
# fans out is up to the OS on a loaded machine, so the 2-worker run may
# take up to 10 tries to show a steal (under a load average of 7, 16 of
# 20 runs did); each try must deliver everything.
set -euo pipefail
example=$1
check=$2
python=python3
if [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3; fi
out=${TEST_TMPDIR:-$(mktemp -d)}
run() {  # run WORKERS CHECK_ARGS...: one traced run, its counts checked
  local workers=$1; shift
  result=$("$example" --workers="$workers" --trace="$out/fj.json")
  [[ $result == "fork-join: 6400 messages, 16 workers joined" ]] ||
    { echo "FAIL: $result"; exit 1; }
  $python "$check" "$out/fj.json" --messages 6417 --received 6417 \
    --flows 6417 --max-lanes $((workers + 1)) "$@"
}
run 1 --instant steal=0 --min-actor-lanes 1 >/dev/null
stole=no
for try in 1 2 3 4 5 6 7 8 9 10; do
  run 2 >/dev/null
  if $python "$check" "$out/fj.json" --min-instant steal=1 \
      --min-actor-lanes 2 >/dev/null; then
    stole=yes
    break
  fi
done
[[ $stole == yes ]] || { echo "FAIL: no steal in 10 runs on 2 workers"; exit 1; }
if "$example" --workers=0 2>/dev/null; then
  echo "FAIL: --workers=0 was accepted"; exit 1
fi
echo PASS
