#!/usr/bin/env bash
# Launcher for //bench:compare: runs compare.py with Debian's python3
# (Bazel 4.2.3's py_binary stub wants a `python` command, which Debian
# does not have by default), where apt installs python3-matplotlib, even
# when another python3 comes first on PATH. compare.py finds the runners
# beside itself in the runfiles tree.
set -euo pipefail

python=python3
if [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3; fi

for candidate in \
    "${RUNFILES_DIR:-/nonexistent}/coactor/bench/compare.py" \
    "$0.runfiles/coactor/bench/compare.py" \
    "${TEST_SRCDIR:-/nonexistent}/coactor/bench/compare.py" \
    "$PWD/bench/compare.py"; do
  if [[ -f $candidate ]]; then
    exec "$python" "$candidate" "$@"
  fi
done
echo "compare: cannot find compare.py in the runfiles" >&2
exit 2
