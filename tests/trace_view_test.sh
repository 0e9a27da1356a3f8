#!/usr/bin/env bash
# //tools:trace_view on a small trace of 3 threads (trace_recorder_driver.cc):
# the summary it prints names every actor with its exact turn count and the
# dead letters, and the PNG is a real picture (PNG signature, the size the
# tool draws, not a blank: tens of kilobytes). Then the mailbox high-water
# marks of a small trace written here, exactly.
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

# Mailbox high-water marks from a trace written here: "a" sends b three
# messages (ts 1, 2, 3) before b's turns take them one at a time (10, 12,
# 14), so b's peak is 3; b's start (a flow named "start", sent at 0.5 and
# taken at 10) is not a message and does not count; b sends a one (11 ->
# 20): a's peak is 1.
cat >"$out/peaks.json" <<'JSON'
{"traceEvents":[
{"ph":"M","pid":1,"tid":1,"name":"thread_name","args":{"name":"worker 0"}},
{"ph":"X","pid":1,"tid":1,"ts":0,"dur":5,"cat":"turn","name":"a"},
{"ph":"s","pid":1,"tid":1,"ts":0.5,"cat":"msg","name":"start","id":9},
{"ph":"s","pid":1,"tid":1,"ts":1,"cat":"msg","name":"int","id":1},
{"ph":"s","pid":1,"tid":1,"ts":2,"cat":"msg","name":"int","id":2},
{"ph":"s","pid":1,"tid":1,"ts":3,"cat":"msg","name":"int","id":3},
{"ph":"X","pid":1,"tid":1,"ts":10,"dur":1.5,"cat":"turn","name":"b"},
{"ph":"f","pid":1,"tid":1,"ts":10,"bp":"e","cat":"msg","name":"start","id":9},
{"ph":"f","pid":1,"tid":1,"ts":10.1,"bp":"e","cat":"msg","name":"int","id":1},
{"ph":"s","pid":1,"tid":1,"ts":11,"cat":"msg","name":"int","id":4},
{"ph":"X","pid":1,"tid":1,"ts":12,"dur":1,"cat":"turn","name":"b"},
{"ph":"f","pid":1,"tid":1,"ts":12.1,"bp":"e","cat":"msg","name":"int","id":2},
{"ph":"X","pid":1,"tid":1,"ts":14,"dur":1,"cat":"turn","name":"b"},
{"ph":"f","pid":1,"tid":1,"ts":14.1,"bp":"e","cat":"msg","name":"int","id":3},
{"ph":"X","pid":1,"tid":1,"ts":20,"dur":1,"cat":"turn","name":"a"},
{"ph":"f","pid":1,"tid":1,"ts":20.1,"bp":"e","cat":"msg","name":"int","id":4}
]}
JSON
"$view" "$out/peaks.json" "$out/peaks.png" >"$out/peaks.txt"
cat "$out/peaks.txt"
grep -Eq "^b +3 +3.5 +1.5 +3$" "$out/peaks.txt" ||
  { echo "FAIL: b's mailbox peak is not 3"; exit 1; }
grep -Eq "^a +2 +6.0 +5.0 +1$" "$out/peaks.txt" ||
  { echo "FAIL: a's mailbox peak is not 1"; exit 1; }
echo PASS
