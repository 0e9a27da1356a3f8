#!/usr/bin/env python3
"""Checks a coactor trace (Chrome Trace Event JSON) and its counts.

usage: trace_check.py TRACE [--turns N] [--flows N] [--instant NAME=N ...]
                      [--lanes N] [--dropped N] [--max-per-lane N]
                      [--unpaired-ok] [--actors-end-turns]

Always checked: the file is one JSON object whose "traceEvents" is a list;
every event but metadata has ph, pid, tid and ts; each flow (keyed by
category, name and id) has one start ("s") and one end ("f", bound with
"bp":"e"), the end after the start; the start lies inside a slice of its
thread (a turn, or an "outside" slice) and so does the end, whose turn
starts no earlier than the send; slices on one thread never overlap.
--unpaired-ok (bounded traces) allows a flow with only one of its ends.
The options check exact counts: turns (slices of category "turn"), paired
message and ask flows, instant events by name, lanes (threads with a
"thread_name"), the trace's dropped_events, and at most N events kept on
any one thread. Prints the counts; exits 1 with the reasons on failure.
"""
import argparse
import collections
import decimal
import json
import sys


def ns(ts):
    return int(decimal.Decimal(ts) * 1000)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("trace")
    p.add_argument("--turns", type=int)
    p.add_argument("--flows", type=int)
    p.add_argument("--instant", action="append", default=[])
    p.add_argument("--lanes", type=int)
    p.add_argument("--dropped", type=int)
    p.add_argument("--max-per-lane", type=int)
    p.add_argument("--unpaired-ok", action="store_true")
    a = p.parse_args()
    errors = []
    with open(a.trace, encoding="utf-8") as f:
        trace = json.load(f, parse_float=decimal.Decimal)
    events = trace["traceEvents"]
    assert isinstance(events, list)
    slices = collections.defaultdict(list)  # tid -> [(begin, end, cat, name)]
    flows = collections.defaultdict(lambda: {"s": [], "f": []})
    instants = collections.Counter()
    lanes = set()
    per_lane = collections.Counter()
    for e in events:
        ph = e.get("ph")
        if ph == "M":
            if e.get("name") == "thread_name":
                lanes.add(e["tid"])
            continue
        for key in ("pid", "tid", "ts"):
            if key not in e:
                errors.append(f"event without {key}: {e}")
        per_lane[e["tid"]] += 1
        t = ns(e["ts"])
        if ph == "X":
            slices[e["tid"]].append((t, t + ns(e["dur"]), e["cat"], e["name"]))
        elif ph in ("s", "f"):
            if ph == "f" and e.get("bp") != "e":
                errors.append(f"flow end not bound to its enclosing slice: {e}")
            flows[(e["cat"], e["name"], e["id"])][ph].append((t, e["tid"]))
        elif ph == "i":
            instants[e["name"]] += 1
        else:
            errors.append(f"unexpected phase {ph}: {e}")

    for tid, spans in slices.items():
        spans.sort()
        for (b0, e0, _, n0), (b1, _, _, n1) in zip(spans, spans[1:]):
            if b1 < e0:
                errors.append(f"tid {tid}: slices overlap: {n0} [{b0},{e0}] "
                              f"and {n1} from {b1}")
                break

    def enclosing(tid, t):
        for b, e, cat, name in slices.get(tid, ()):
            if b <= t <= e:
                return b, cat
        return None

    paired = collections.Counter()
    for key, ends in flows.items():
        ns_, nf = len(ends["s"]), len(ends["f"])
        if (ns_, nf) != (1, 1):
            if not (a.unpaired_ok and ns_ <= 1 and nf <= 1):
                errors.append(f"flow {key}: {ns_} starts, {nf} ends")
            continue
        (ts, stid), (tf, ftid) = ends["s"][0], ends["f"][0]
        paired[key[0]] += 1
        if tf < ts:
            errors.append(f"flow {key}: received at {tf} before sent at {ts}")
        if enclosing(stid, ts) is None:
            errors.append(f"flow {key}: its send is in no slice of tid {stid}")
        turn = enclosing(ftid, tf)
        if turn is None:
            errors.append(f"flow {key}: its receipt is in no slice of tid {ftid}")
        elif turn[1] == "turn" and turn[0] < ts:
            errors.append(f"flow {key}: the receiving turn starts at "
                          f"{turn[0]}, before the send at {ts}")

    turns = sum(1 for spans in slices.values() for s in spans if s[2] == "turn")
    dropped = trace.get("otherData", {}).get("dropped_events")
    counts = {"turns": turns, "flows": sum(paired.values()),
              "msg_flows": paired["msg"], "ask_flows": paired["ask"],
              "lanes": len(lanes), "dropped": dropped,
              "instants": dict(instants),
              "max_per_lane": max(per_lane.values(), default=0)}
    print(json.dumps(counts, default=str))

    def expect(what, got, want):
        if want is not None and got != want:
            errors.append(f"{what}: {got}, expected {want}")

    expect("turns", turns, a.turns)
    expect("paired flows", counts["flows"], a.flows)
    expect("lanes", len(lanes), a.lanes)
    expect("dropped_events", dropped, a.dropped)
    for spec in a.instant:
        name, n = spec.rsplit("=", 1)
        expect(f"instant events {name!r}", instants[name], int(n))
    if a.max_per_lane is not None and counts["max_per_lane"] > a.max_per_lane:
        errors.append(f"a lane keeps {counts['max_per_lane']} events, "
                      f"more than {a.max_per_lane}")
    for e in errors[:20]:
        print("FAIL", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
