#!/usr/bin/env python3
"""Draws a coactor trace (Chrome Trace Event JSON) as a PNG.

usage: trace_view.py TRACE OUT.png [--arrows N] [--top N] [--title TEXT]

The picture: one lane per thread (worker) with each actor turn as a box
(one colour per actor; "outside" slices, sends from no actor, in grey),
up to N message arrows (send -> the turn that received it, an even sample
of all of them), dead letters as red crosses and steals, parks and wake-ups
as small marks; under it a table of the top actors by total turn time
(turns, total and longest turn, and the high-water mark of the actor's
mailbox: the most messages sent to it and not yet taken by one of its
turns, as the trace's arrows show) and the dead letters by recipient. The same table is printed to stdout. Needs matplotlib (Debian:
python3-matplotlib).
"""
import argparse
import bisect
import collections
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(path):
    with open(path, encoding="utf-8") as f:
        trace = json.load(f)
    lanes = {}  # tid -> name
    turns = collections.defaultdict(list)  # tid -> [(start_us, dur_us, name)]
    outside = collections.defaultdict(list)
    flow_events = collections.defaultdict(list)  # key -> [(ts, order, tid)]
    marks = collections.defaultdict(list)  # kind -> [(ts, tid)]
    dead = collections.Counter()
    failures = []
    for e in trace["traceEvents"]:
        ph = e.get("ph")
        if ph == "M":
            if e.get("name") == "thread_name":
                lanes[e["tid"]] = e["args"]["name"]
            continue
        tid = e.get("tid")
        if ph == "X":
            target = turns if e.get("cat") == "turn" else outside
            target[tid].append((float(e["ts"]), float(e["dur"]), e["name"]))
        elif ph in ("s", "f"):
            key = (e["cat"], e["name"], e["id"])
            flow_events[key].append((float(e["ts"]), ph == "f", tid))
        elif ph == "i":
            name = e["name"]
            marks[name].append((float(e["ts"]), tid))
            if name == "dead letter":
                dead[e["args"].get("recipient", "?")] += 1
            elif name == "failure":
                failures.append(e["args"].get("name", "?"))
    # An id may be used again once its flow ended (work stealing names a
    # message by its mailbox slot): pair each start with the next end.
    flows = []
    for (cat, name, _), events in flow_events.items():
        start = None
        for ts, is_end, tid in sorted(events):
            if not is_end:
                start = (ts, tid)
            elif start is not None:
                flows.append((start, (ts, tid), cat == "msg" and name != "start"))
                start = None
    flows.sort()
    dropped = trace.get("otherData", {}).get("dropped_events", 0)
    return lanes, turns, outside, flows, marks, dead, failures, dropped


def receiver(turns_by_tid, starts_by_tid, ts, tid):
    """The actor whose turn on `tid` holds time `ts` (a flow's end), or None."""
    starts = starts_by_tid.get(tid)
    if not starts:
        return None
    i = bisect.bisect_right(starts, ts + 5e-4) - 1
    if i < 0:
        return None
    start, dur, name = turns_by_tid[tid][i]
    return name if ts <= start + dur + 5e-4 else None


def mailbox_peaks(turns, flows):
    """actor -> the most messages sent to it and not yet received at once:
    +1 at each send, -1 at the receiving turn (a receive before a send at
    the same time, so that a peak is never overstated)."""
    turns_by_tid = {tid: sorted(spans) for tid, spans in turns.items()}
    starts_by_tid = {tid: [s for s, _, _ in spans]
                     for tid, spans in turns_by_tid.items()}
    steps = collections.defaultdict(list)
    for (ts, _), (tf, ftid), is_message in flows:
        if not is_message:
            continue
        actor = receiver(turns_by_tid, starts_by_tid, tf, ftid)
        if actor is not None:
            steps[actor] += [(ts, 1), (tf, -1)]
    peaks = {}
    for actor, changes in steps.items():
        depth = peak = 0
        for _, change in sorted(changes):
            depth += change
            peak = max(peak, depth)
        peaks[actor] = peak
    return peaks


def summarize(turns, top):
    per_actor = {}
    for spans in turns.values():
        for _, dur, name in spans:
            s = per_actor.setdefault(name, [0, 0.0, 0.0])
            s[0] += 1
            s[1] += dur
            s[2] = max(s[2], dur)
    rows = sorted(per_actor.items(), key=lambda kv: (-kv[1][1], kv[0]))
    return [(name, n, total, longest) for name, (n, total, longest) in rows[:top]]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("trace")
    p.add_argument("out")
    p.add_argument("--arrows", type=int, default=60)
    p.add_argument("--top", type=int, default=10)
    p.add_argument("--title", default="")
    a = p.parse_args()
    lanes, turns, outside, flows, marks, dead, failures, dropped = load(a.trace)
    tids = sorted(set(lanes) | set(turns) | set(outside))
    row = {tid: i for i, tid in enumerate(tids)}
    top = summarize(turns, a.top)
    peaks = mailbox_peaks(turns, flows)

    # Text first: the table a person reads in a terminal or a test.
    print(f"{'actor':<24} {'turns':>8} {'total us':>12} {'max us':>10} "
          f"{'mailbox peak':>12}")
    for name, n, total, longest in top:
        print(f"{name:<24} {n:>8} {total:>12.1f} {longest:>10.1f} "
              f"{peaks.get(name, 0):>12}")
    print(f"flows {len(flows)}  dead letters {sum(dead.values())}  "
          f"failures {len(failures)}  dropped events {dropped}")
    for recipient, n in dead.most_common(a.top):
        print(f"dead letters to {recipient}: {n}")

    fig = plt.figure(figsize=(12, 3 + 0.5 * len(tids) + 0.25 * len(top)))
    grid = fig.add_gridspec(2, 1, height_ratios=[max(2, len(tids)), 1 + len(top) * 0.25])
    ax = fig.add_subplot(grid[0])
    names = sorted({name for spans in turns.values() for *_, name in spans})
    cmap = plt.get_cmap("tab20")
    colour = {name: cmap(i % 20) for i, name in enumerate(names)}
    for tid in tids:
        y = row[tid]
        spans = turns.get(tid, [])
        by_actor = collections.defaultdict(list)
        for start, dur, name in spans:
            by_actor[name].append((start, max(dur, 1e-3)))
        for name, boxes in by_actor.items():
            ax.broken_barh(boxes, (y - 0.35, 0.7), facecolors=colour[name],
                           edgecolor="black", linewidth=0.2)
        if outside.get(tid):
            ax.broken_barh([(s, max(d, 1e-3)) for s, d, _ in outside[tid]],
                           (y - 0.35, 0.7), facecolors="lightgrey")
    step = max(1, len(flows) // max(1, a.arrows)) if a.arrows else 0
    for (ts, stid), (tf, ftid), _ in (flows[::step] if step else []):
        ax.annotate("", xy=(tf, row.get(ftid, 0)), xytext=(ts, row.get(stid, 0)),
                    arrowprops=dict(arrowstyle="->", color="tab:blue",
                                    alpha=0.6, linewidth=0.7))
    styles = {"dead letter": ("x", "red"), "steal": ("v", "purple"),
              "park": ("|", "black"), "wake": ("^", "green"),
              "failure": ("X", "darkred")}
    for kind, (marker, col) in styles.items():
        pts = marks.get(kind, [])
        if pts:
            ax.scatter([t for t, _ in pts], [row.get(tid, 0) + 0.42 for _, tid in pts],
                       marker=marker, color=col, s=18, label=kind, zorder=3)
    ax.set_yticks(range(len(tids)))
    ax.set_yticklabels([lanes.get(t, f"thread {t}") for t in tids])
    ax.invert_yaxis()
    ax.set_xlabel("time (us since the trace started)")
    ax.set_title(a.title or f"{a.trace}: {sum(len(s) for s in turns.values())} "
                 f"turns, {len(flows)} messages ({min(len(flows), a.arrows)} drawn)")
    if any(marks.get(k) for k in styles):
        ax.legend(loc="upper right", fontsize=7)
    tab = fig.add_subplot(grid[1])
    tab.axis("off")
    cells = [[name, n, f"{total:.1f}", f"{longest:.1f}", peaks.get(name, 0)]
             for name, n, total, longest in top]
    cells.append([f"dead letters: {sum(dead.values())}", f"failures: {len(failures)}",
                  f"dropped: {dropped}", "", ""])
    t = tab.table(cellText=cells,
                  colLabels=["actor", "turns", "total us", "max us", "mailbox peak"],
                  loc="upper center", cellLoc="left")
    t.auto_set_font_size(False)
    t.set_fontsize(8)
    fig.tight_layout()
    fig.savefig(a.out, dpi=100)
    return 0


if __name__ == "__main__":
    sys.exit(main())
