#!/usr/bin/env python3
"""Python's side of //bench:generator_bench: the same generators in CPython.

Times sum() over a flat generator of N values and over the same values
delegated through DEPTH levels of `yield from`, and prints ns/value of CPU
time (process_time, as Google Benchmark's items_per_second uses CPU time;
the machine may be shared):

    python3 bench/generator_bench.py [--n=10000000] [--depth=1000]
        [--nested_n=100000]

Output (one line per measurement, parsed by generator_bench.cc):
    flat_ns_per_value 41.2
    nested_1000_ns_per_value 30512.0
"""
import argparse
import sys
import time


def iota(n):
    i = 0
    while i < n:
        yield i
        i += 1


def delegate(inner):
    yield from inner


def chain(depth, n):
    """The leaf and depth - 1 levels of `yield from` above it."""
    gen = iota(n)
    for _ in range(depth - 1):
        gen = delegate(gen)
    return gen


def ns_per_value(make, n, repeats):
    best = None
    for _ in range(repeats):
        gen = make()
        start = time.process_time_ns()
        total = sum(gen)
        elapsed = time.process_time_ns() - start
        assert total == n * (n - 1) // 2, total
        best = elapsed if best is None else min(best, elapsed)
    return best / n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--depth", type=int, default=1000)
    parser.add_argument("--nested_n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    # Starting the chain recurses through its `depth` generators.
    sys.setrecursionlimit(max(sys.getrecursionlimit(), args.depth + 100))

    flat = ns_per_value(lambda: iota(args.n), args.n, args.repeats)
    print(f"flat_ns_per_value {flat:.2f}", flush=True)
    if args.depth > 0 and args.nested_n > 0:
        nested = ns_per_value(lambda: chain(args.depth, args.nested_n),
                              args.nested_n, args.repeats)
        print(f"nested_{args.depth}_ns_per_value {nested:.2f}", flush=True)


if __name__ == "__main__":
    main()
