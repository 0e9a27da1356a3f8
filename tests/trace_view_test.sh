#!/usr/bin/env bash
# //tools:trace_view on a small trace of 3 threads (trace_recorder_driver.cc):
# the summary it prints names every actor with its exact turn count and the
# dead letters, and the PNG is a real picture (PNG signature, the size the
# tool draws, not a blank: tens of kilobytes).
set -euo pipefail
view=$1
driver=$2
out=${TEST_TMPDIR:-$(mktemp -d)}
"$driver" "$out/t.json" 3 40 0 4096
"$view" "$out/t.json" "$out/t.png" --arrows 20 >"$out/summary.txt"
cat "$out/summary.txt"
for i in 0 1 2; do
  grep -Eq "^actor $i +41 " "$out/summary.txt" ||
    { echo "FAIL: actor $i with 41 turns missing"; exit 1; }
done
grep -q "^flows 121  dead letters 3  failures 0  dropped events 0$" "$out/summary.txt" ||
  { echo "FAIL: summary line"; exit 1; }
grep -q "^dead letters to nobody: 3$" "$out/summary.txt" ||
  { echo "FAIL: dead letters by recipient"; exit 1; }
[[ $(head -c 8 "$out/t.png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
  { echo "FAIL: not a PNG"; exit 1; }
size=$(stat -c %s "$out/t.png")
# Width and height from the IHDR chunk (big-endian, bytes 16-23).
read -r width height < <(od -An -tu1 -j16 -N8 "$out/t.png" |
  awk '{print $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8}')
echo "png: $size bytes, ${width}x${height}"
((width == 1200)) || { echo "FAIL: width $width"; exit 1; }
((height >= 400)) || { echo "FAIL: height $height"; exit 1; }
((size > 20000)) || { echo "FAIL: only $size bytes"; exit 1; }
echo PASS
