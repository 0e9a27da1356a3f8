#!/usr/bin/env bash
# Formatting is a tool's job: C++ as clang-format 16 writes it (.clang-format,
# Google style) and Bazel files as buildifier writes them. Installs what it
# needs (Debian's clang-format-16; buildifier from npm, pinned, into a cache
# directory), then checks every tracked file.
#
#   bash .ci/check_format.sh         # check: lists the files that differ, exit 1
#   bash .ci/check_format.sh --fix   # rewrite them in place
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fix=0
[[ ${1:-} == --fix ]] && fix=1

buildifier_version=8.2.1
tools=${XDG_CACHE_HOME:-$HOME/.cache}/coactor-format-tools

sudo=()
((EUID == 0)) || sudo=(sudo)
apt_install() {
  "${sudo[@]}" apt-get update -qq &&
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v clang-format-16 >/dev/null || apt_install clang-format-16
buildifier=$tools/node_modules/@bazel/buildifier/buildifier-linux_amd64
if [[ ! -x $buildifier ]]; then
  command -v npm >/dev/null || apt_install npm
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-audit --no-fund --silent \
    "@bazel/buildifier@$buildifier_version" >/dev/null
fi
# (Read whole, then matched: `buildifier --version | grep -q` can fail
# under pipefail when grep exits before buildifier has written.)
version=$("$buildifier" --version)
[[ $version == *"version: $buildifier_version"* ]] || {
  echo "check_format: $buildifier is not buildifier $buildifier_version" >&2
  exit 1
}

mapfile -t cpp < <(git ls-files '*.h' '*.cc')
mapfile -t bazel < <(git ls-files 'BUILD' '*/BUILD' '*.bazel' '*.bzl' 'WORKSPACE' '*/WORKSPACE')

if ((fix)); then
  clang-format-16 -i "${cpp[@]}"
  "$buildifier" -lint=off -mode=fix "${bazel[@]}"
  exit 0
fi

bad=0
for f in "${cpp[@]}"; do
  if ! clang-format-16 --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted (clang-format-16): $f"
    bad=1
  fi
done
if ! "$buildifier" -lint=off -mode=check "${bazel[@]}"; then
  bad=1
fi
if ((bad)); then
  echo "check_format: run 'bash .ci/check_format.sh --fix' and commit the result" >&2
  exit 1
fi
echo "check_format: ${#cpp[@]} C++ files and ${#bazel[@]} Bazel files formatted"
