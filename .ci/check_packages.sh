#!/usr/bin/env bash
# Every system directory that the build's external repositories link to
# (/usr/include/gtest, /usr/include/gmock, ...) belongs to a Debian package
# that ./bazelw installs; those of the repositories a user's workspace gets
# (Abseil, GoogleTest, Benchmark) are also in the README's apt-get line.
# A machine with extra packages (CI's, a developer's) would otherwise hide
# a missing one until a fresh machine fails (libgmock-dev once did).
# Run after a build has fetched the repositories.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bazelw_packages=$(awk '/^packages=\(/{on=1; next} on && /^\)/{on=0} on {print $1}' bazelw)
readme_line=$(awk '/^apt-get install/{on=1} on {print} on && !/\\$/{on=0}' README.md)
output_base=$(./bazelw info output_base 2>/dev/null)
status=0
checked=0
for link in "$output_base"/external/*/include/*; do
  [[ -L $link ]] || continue
  repo=$(basename "$(dirname "$(dirname "$link")")")
  target=$(readlink -f "$link")
  owner=$(dpkg -S "$target" 2>/dev/null | head -1 | cut -d: -f1) || true
  checked=$((checked + 1))
  if [[ -z $owner ]]; then
    echo "FAIL @$repo: $target belongs to no Debian package"; status=1; continue
  fi
  if ! grep -qx -- "$owner" <<<"$bazelw_packages"; then
    echo "FAIL @$repo: $target is in $owner, which ./bazelw does not install"; status=1
  fi
  case $repo in
    com_google_absl | com_google_googletest | com_google_benchmark)
      if ! grep -qw -- "$owner" <<<"$readme_line"; then
        echo "FAIL @$repo: $target is in $owner, which the README's apt-get line lacks"; status=1
      fi ;;
  esac
  ((status)) || echo "ok   @$repo: $target ($owner)"
done
if ((checked == 0)); then
  echo "FAIL: no external include directories under $output_base (build first)"; exit 1
fi
exit $status
