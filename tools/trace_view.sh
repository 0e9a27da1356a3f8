#!/usr/bin/env bash
# Launcher for //tools:trace_view: runs trace_view.py with Debian's python3
# (/usr/bin/python3, where apt installs python3-matplotlib) even when another
# python3 comes first on PATH. Relative paths are the caller's:
#   ./bazelw run //tools:trace_view -- trace.json trace.png
set -euo pipefail

python=python3
if [[ -x /usr/bin/python3 ]]; then python=/usr/bin/python3; fi

script=
for candidate in \
    "${RUNFILES_DIR:-/nonexistent}/coactor/tools/trace_view.py" \
    "$0.runfiles/coactor/tools/trace_view.py" \
    "${TEST_SRCDIR:-/nonexistent}/coactor/tools/trace_view.py" \
    "$(dirname "$(realpath "$0")")/trace_view.py"; do
  if [[ -f $candidate ]]; then script=$(realpath "$candidate"); break; fi
done
if [[ -z $script ]]; then
  echo "trace_view: cannot find trace_view.py in the runfiles" >&2
  exit 2
fi
# matplotlib wants a writable config directory (a test's HOME is not).
export MPLCONFIGDIR=${MPLCONFIGDIR:-${TMPDIR:-/tmp}/trace_view-mpl.$(id -u)}
# `bazel run` starts in the runfiles tree; go back to where it was called.
if [[ -n ${BUILD_WORKING_DIRECTORY:-} ]]; then cd "$BUILD_WORKING_DIRECTORY"; fi
exec "$python" "$script" "$@"
