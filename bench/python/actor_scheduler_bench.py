#!/usr/bin/env python3
"""Beazley's Python ActorScheduler, the seed of coactor, as a baseline.

Runs one of the comparison workloads (counter_printer, ping_pong,
thread_ring) once and prints one JSON line in the format of the C++ runners
(bench/savina/report.h), for bench/compare.py:

    python3 actor_scheduler_bench.py --workload=ping_pong --size=100000
        [--min-seconds=0.3]

The scheduler is Beazley's: named generator actors, one deque of
(actor, message) pairs, send() only appends, run() pops and resumes until
the deque is empty. Each workload verifies its result; exit status 1 if not.
With --min-seconds=S the workload repeats, each time on a fresh scheduler
and verified, until its measured seconds add up to S (the runner protocol,
bench/runner/runner.h); the report gives the totals and the repetitions.
"""

import argparse
import json
import platform
import resource
import sys
import time
from collections import deque


class ActorScheduler:
    """Beazley's scheduler: actors are generators, messages go by name."""

    def __init__(self):
        self._actors = {}
        self._msg_queue = deque()

    def new_actor(self, name, actor):
        self._msg_queue.append((actor, None))
        self._actors[name] = actor

    def send(self, name, msg):
        actor = self._actors.get(name)
        if actor:
            self._msg_queue.append((actor, msg))

    def run(self):
        while self._msg_queue:
            actor, msg = self._msg_queue.popleft()
            try:
                actor.send(msg)
            except StopIteration:
                pass


# ---- counter_printer: items = 2n -------------------------------------------------

def counter_printer(n):
    total = [0]

    def printer():
        while True:
            msg = yield
            if msg is not None:
                total[0] += msg

    def counter(sched):
        while True:
            n = yield
            if n is None:
                continue
            if n == 0:
                break
            sched.send('printer', n)
            sched.send('counter', n - 1)

    sched = ActorScheduler()
    start = time.perf_counter()
    sched.new_actor('printer', printer())
    sched.new_actor('counter', counter(sched))
    sched.send('counter', n)
    sched.run()
    seconds = time.perf_counter() - start
    return 2 * n, seconds, total[0] == n * (n + 1) // 2


# ---- ping_pong: items = hits; -1 ends the game ------------------------------------

def ping_pong(n):
    hits = [0]

    def player(sched, other):
        while True:
            left = yield
            if left is None:
                continue
            if left < 0:
                break
            hits[0] += 1
            if left == 0:
                sched.send(other, -1)
                break
            sched.send(other, left - 1)

    sched = ActorScheduler()
    start = time.perf_counter()
    sched.new_actor('ping', player(sched, 'pong'))
    sched.new_actor('pong', player(sched, 'ping'))
    sched.send('ping', n - 1)
    sched.run()
    seconds = time.perf_counter() - start
    return n, seconds, hits[0] == n


# ---- thread_ring: 503 actors, items = n hops; -(i+1) is node i's stop lap -----

RING_SIZE = 503


def thread_ring(n):
    hops = [0]
    names = ['node%d' % i for i in range(RING_SIZE)]

    def node(sched, index):
        next_index = (index + 1) % RING_SIZE
        next_name = names[next_index]
        while True:
            token = yield
            if token is None:
                continue
            if token < 0:
                if next_index != -token - 1:
                    sched.send(next_name, token)
                break
            hops[0] += 1
            if token == 0:
                sched.send(next_name, -index - 1)
                break
            sched.send(next_name, token - 1)

    sched = ActorScheduler()
    start = time.perf_counter()
    for i in range(RING_SIZE):
        sched.new_actor(names[i], node(sched, i))
    sched.send(names[0], n)
    sched.run()
    seconds = time.perf_counter() - start
    return n, seconds, hops[0] == n + 1


def peak_rss_kib():
    """This process's peak RSS in KiB (VmHWM).

    Not ru_maxrss alone: Linux carries it over execve(), so a child of a
    bigger parent would report the parent's peak.
    """
    try:
        with open('/proc/self/status') as status:
            for line in status:
                if line.startswith('VmHWM:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


WORKLOADS = {
    'counter_printer': counter_printer,
    'ping_pong': ping_pong,
    'thread_ring': thread_ring,
}


def repeat_until(min_seconds, run):
    """Calls run() -> (items, seconds, ok), each call a fresh scheduler,
    until the seconds add up to min_seconds or a call fails; returns the
    totals (items, seconds, ok) and the number of calls."""
    items = seconds = repetitions = 0
    while True:
        more, took, ok = run()
        items += more
        seconds += took
        repetitions += 1
        if not ok or seconds >= min_seconds or took <= 0:
            return items, seconds, ok, repetitions


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--workload', required=True, choices=sorted(WORKLOADS))
    parser.add_argument('--size', type=int, required=True)
    parser.add_argument('--threads', type=int, default=1,
                        help='must be 1 (the scheduler is single-threaded)')
    parser.add_argument('--min-seconds', type=float, default=0.0,
                        help='repeat until the measured seconds add up to '
                        'this')
    args = parser.parse_args()
    if args.size <= 0 or args.threads != 1 or not args.min_seconds >= 0:
        parser.error('need --size > 0, --threads=1 and --min-seconds >= 0')
    items, seconds, ok, repetitions = repeat_until(
        args.min_seconds, lambda: WORKLOADS[args.workload](args.size))
    report = {
        'system': 'python',
        'workload': args.workload,
        'threads': 1,
        'size': args.size,
        'repetitions': repetitions,
        'items': items,
        'seconds': round(seconds, 6),
        'items_per_second': round(items / seconds, 1) if seconds > 0 else 0,
        'peak_rss_kib': peak_rss_kib(),
        'compiler': '%s %s' % (platform.python_implementation(),
                               platform.python_version()),
        'ok': ok,
    }
    if not ok:
        report['error'] = 'repetition %d: wrong result' % repetitions
    print(json.dumps(report), flush=True)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
