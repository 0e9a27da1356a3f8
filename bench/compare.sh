#!/usr/bin/env bash
# Launcher for //bench:compare: runs compare.py with the system python3
# (Bazel 4.2.3's py_binary stub wants a `python` command, which Debian
# does not have by default). compare.py finds the runners beside itself in
# the runfiles tree.
set -euo pipefail

for candidate in \
    "${RUNFILES_DIR:-/nonexistent}/coactor/bench/compare.py" \
    "$0.runfiles/coactor/bench/compare.py" \
    "${TEST_SRCDIR:-/nonexistent}/coactor/bench/compare.py" \
    "$PWD/bench/compare.py"; do
  if [[ -f $candidate ]]; then
    exec python3 "$candidate" "$@"
  fi
done
echo "compare: cannot find compare.py in the runfiles" >&2
exit 2
