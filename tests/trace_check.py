#!/usr/bin/env python3
"""Checks a coactor trace (Chrome Trace Event JSON) and its counts.

usage: trace_check.py TRACE [--turns N] [--flows N] [--received N]
                      [--instant NAME=N ...]
                      [--lanes N] [--max-lanes N] [--dropped N]
                      [--max-per-lane N]
                      [--messages N] [--unpaired-ok]
                      [--min-instant NAME=N ...] [--min-actor-lanes N]

Always checked: the file is one JSON object whose "traceEvents" is a list;
every event but metadata has ph, pid, tid and ts; each flow (keyed by
category, name and id) has one start ("s") and then one end ("f", bound
with "bp":"e"); an id may be used again after its flow ended, so in time
order a key's events alternate start, end; each start lies inside a slice
of its thread (a turn, or an "outside" slice) and so does each end, whose
turn starts no earlier than the send (but for an end whose outcome is
"dropped": a message a bounded mailbox dropped, perhaps in the very turn
that sent it; it is not a receipt); slices on one thread never overlap.
--unpaired-ok (bounded traces) allows a first end or last start alone.
The options check exact counts: turns (slices of category "turn"), the
messages they handled (their "messages" args), paired message and ask
flows, those of them received in a turn (--received), instant events by name, lanes (threads with a "thread_name";
--max-lanes: 1 to N), the trace's dropped_events, and at most N events
kept on any one thread. --min-instant and --min-actor-lanes check lower
bounds: at least N instant events by name, and one actor at least whose
turns lie on N lanes or more (it moved between workers). Prints the
counts; exits 1 with the reasons on failure.
"""
import argparse
import bisect
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
    p.add_argument("--received", type=int)
    p.add_argument("--instant", action="append", default=[])
    p.add_argument("--lanes", type=int)
    p.add_argument("--max-lanes", type=int)
    p.add_argument("--dropped", type=int)
    p.add_argument("--max-per-lane", type=int)
    p.add_argument("--unpaired-ok", action="store_true")
    p.add_argument("--messages", type=int)
    p.add_argument("--min-instant", action="append", default=[])
    p.add_argument("--min-actor-lanes", type=int)
    a = p.parse_args()
    errors = []
    with open(a.trace, encoding="utf-8") as f:
        trace = json.load(f, parse_float=decimal.Decimal)
    events = trace["traceEvents"]
    assert isinstance(events, list)
    slices = collections.defaultdict(list)  # tid -> [(begin, end, cat, name)]
    flows = collections.defaultdict(lambda: {"s": [], "f": []})
    dropped_ends = set()  # (key, t, tid) of ends with outcome "dropped".
    instants = collections.Counter()
    lanes = set()
    per_lane = collections.Counter()
    messages = 0
    actor_lanes = collections.defaultdict(set)  # actor id -> tids of its turns
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
            if e["cat"] == "turn":
                messages += e.get("args", {}).get("messages", 0)
                actor_lanes[e.get("args", {}).get("actor")].add(e["tid"])
        elif ph in ("s", "f"):
            if ph == "f" and e.get("bp") != "e":
                errors.append(f"flow end not bound to its enclosing slice: {e}")
            key = (e["cat"], e["name"], e["id"])
            flows[key][ph].append((t, e["tid"]))
            if ph == "f" and e.get("args", {}).get("outcome") == "dropped":
                dropped_ends.add((key, t, e["tid"]))
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

    starts = {tid: [s[0] for s in spans] for tid, spans in slices.items()}

    def enclosing(tid, t):
        # Slices on a thread do not overlap (checked above): the last one
        # to begin at or before t is the only candidate.
        i = bisect.bisect_right(starts.get(tid, []), t) - 1
        if i < 0:
            return None
        b, e, cat, _ = slices[tid][i]
        return (b, cat) if t <= e else None

    # A flow id may be used again once its flow has ended (work stealing
    # names a message by its mailbox slot): in time order, each key's
    # events must alternate start, end, start, end...
    paired = collections.Counter()
    received = 0  # Flows that end in a turn.
    for key, ends in flows.items():
        seq = sorted([(t, 0, tid, "s") for t, tid in ends["s"]] +
                     [(t, 1, tid, "f") for t, tid in ends["f"]])
        if a.unpaired_ok:
            if seq and seq[0][3] == "f":
                seq = seq[1:]
            if seq and seq[-1][3] == "s":
                seq = seq[:-1]
        phases = "".join(e[3] for e in seq)
        if phases != "sf" * (len(phases) // 2) or len(phases) % 2:
            errors.append(f"flow {key}: starts and ends out of turn: "
                          f"{phases[:20]}")
            continue
        for (ts, _, stid, _), (tf, _, ftid, _) in zip(seq[::2], seq[1::2]):
            paired[key[0]] += 1
            if enclosing(stid, ts) is None:
                errors.append(f"flow {key}: its send is in no slice of tid {stid}")
            turn = enclosing(ftid, tf)
            if turn is None:
                errors.append(f"flow {key}: its receipt is in no slice of "
                              f"tid {ftid}")
            elif (key, tf, ftid) in dropped_ends:
                pass  # Dropped where it was: no receipt.
            elif turn[1] == "turn":
                received += 1
                if turn[0] < ts:
                    errors.append(f"flow {key}: the receiving turn starts at "
                                  f"{turn[0]}, before the send at {ts}")

    turns = sum(1 for spans in slices.values() for s in spans if s[2] == "turn")
    dropped = trace.get("otherData", {}).get("dropped_events")
    counts = {"turns": turns, "messages": messages, "flows": sum(paired.values()),
              "received": received,
              "msg_flows": paired["msg"], "ask_flows": paired["ask"],
              "lanes": len(lanes), "dropped": dropped,
              "instants": dict(instants),
              "max_per_lane": max(per_lane.values(), default=0),
              "max_actor_lanes": max(map(len, actor_lanes.values()),
                                     default=0)}
    print(json.dumps(counts, default=str))

    def expect(what, got, want):
        if want is not None and got != want:
            errors.append(f"{what}: {got}, expected {want}")

    expect("turns", turns, a.turns)
    expect("messages handled in turns", messages, a.messages)
    expect("paired flows", counts["flows"], a.flows)
    expect("flows ending in a turn", received, a.received)
    expect("lanes", len(lanes), a.lanes)
    if a.max_lanes is not None and not 1 <= len(lanes) <= a.max_lanes:
        errors.append(f"lanes: {len(lanes)}, expected 1 to {a.max_lanes}")
    expect("dropped_events", dropped, a.dropped)
    for spec in a.instant:
        name, n = spec.rsplit("=", 1)
        expect(f"instant events {name!r}", instants[name], int(n))
    for spec in a.min_instant:
        name, n = spec.rsplit("=", 1)
        if instants[name] < int(n):
            errors.append(f"instant events {name!r}: {instants[name]}, "
                          f"expected at least {n}")
    if (a.min_actor_lanes is not None and
            counts["max_actor_lanes"] < a.min_actor_lanes):
        errors.append(f"no actor has turns on {a.min_actor_lanes} lanes "
                      f"(at most {counts['max_actor_lanes']})")
    if a.max_per_lane is not None and counts["max_per_lane"] > a.max_per_lane:
        errors.append(f"a lane keeps {counts['max_per_lane']} events, "
                      f"more than {a.max_per_lane}")
    for e in errors[:20]:
        print("FAIL", e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
