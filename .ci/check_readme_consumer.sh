#!/usr/bin/env bash
# Fails if the README's downstream workspace files drift from consumer/.
#
# In README.md, a line `<!-- consumer/FILE -->` followed by a fenced block
# shows consumer/FILE in full. Each such block must equal its file byte for
# byte (both keep the placeholder path "/path/to/coactor", which .ci/run
# replaces in its copy), and the README must show WORKSPACE, .bazelrc and
# BUILD.bazel. Run from anywhere: bash .ci/check_readme_consumer.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

required=(WORKSPACE .bazelrc BUILD.bazel)

# block FILE: the fenced block after the marker line for FILE; fails if the
# marker is not followed by a fence or the fence is not closed.
block() {
  awk -v marker="<!-- consumer/$1 -->" '
    state == 0 && $0 == marker { state = 1; next }
    state == 1 { if ($0 ~ /^```/) { state = 2; next } exit 1 }
    state == 2 { if ($0 == "```") { state = 3; exit } print }
    END { exit state == 3 ? 0 : 1 }
  ' README.md
}

shown=$(sed -n 's/^<!-- consumer\/\(.*\) -->$/\1/p' README.md)
status=0
for f in "${required[@]}"; do
  if ! grep -qxF "$f" <<<"$shown"; then
    echo "README.md does not show consumer/$f (no line <!-- consumer/$f -->)"
    status=1
  fi
done
while IFS= read -r f; do
  [[ -n $f ]] || continue
  if [[ $(grep -cxF "<!-- consumer/$f -->" README.md) != 1 ]]; then
    echo "README.md shows consumer/$f more than once"
    status=1
  elif [[ ! -f consumer/$f ]]; then
    echo "README.md shows consumer/$f, which does not exist"
    status=1
  elif ! text=$(block "$f"); then
    echo "README.md: <!-- consumer/$f --> is not followed by a closed fenced block"
    status=1
  elif ! diff -u --label "consumer/$f" --label "README.md block for consumer/$f" \
    "consumer/$f" <(printf '%s\n' "$text"); then
    status=1
  else
    echo "consumer/$f: README.md shows it as it is"
  fi
done <<<"$shown"
exit "$status"
