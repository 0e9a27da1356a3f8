#!/usr/bin/python3
"""compare_progress: the estimate of the time left follows the machine.

Two configurations, two counted runs each, calibrated at 1 s a run; then the
machine turns 3 times slower (other work starts): after the first counted
run (3 s), the estimate is 3 s for its second run and 2 × 3 s for the other
configuration, known only from its calibration: 9 s, not 5 s. Before the
slowdown is seen, the calibration's own times count; after every
configuration's runs, nothing is left. A run that repeated its workload
within its process (--min-seconds) says how often on its line.
"""

import io
import os
import sys

# Beside this file, or (under bazel test) in the runfiles tree.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.environ.get('TEST_SRCDIR', '/nonexistent'),
                                'coactor', 'bench'))
from compare_progress import Progress  # noqa: E402 (after the path is set)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def run(progress, clock, what, config, seconds, calibrated=False,
        repetitions=None):
    clock.now += seconds
    report = {'ok': True, 'workload': config[0], 'system': config[1],
              'threads': config[2], 'items_per_second': 1e6,
              'seconds': seconds, 'size': 1000}
    if repetitions is not None:
        report['repetitions'] = repetitions
    progress.report(what, config, report, {config[0]: 'msgs'}, calibrated)
    return progress.seconds_left()


def main():
    a, b = ('ping_pong', 'go', 1), ('ping_pong', 'go', 2)
    clock, out = Clock(), io.StringIO()
    progress = Progress([a, b], 2, True, clock=clock, out=out)
    failures = []

    def expect(what, got, want):
        if abs(got - want) > 1e-9:
            failures.append('%s: %.3f s left, want %.3f' % (what, got, want))

    # Calibration at 1 s a run: a done, b still to calibrate (one run of
    # a's calibration's length, 1 s) and 2 + 2 counted runs of 1 s.
    expect('after calibrating a', run(progress, clock, 'calibrate', a, 1.0,
                                      calibrated=True), 1 + 4)
    expect('after calibrating b', run(progress, clock, 'calibrate', b, 1.0,
                                      calibrated=True), 4)
    # The machine is 3 times slower now.
    expect("after a's first counted run", run(progress, clock, 'rep 1', a,
                                               3.0), 3 + 2 * 3)
    expect("after b's first counted run", run(progress, clock, 'rep 1', b,
                                              3.0), 3 + 3)
    run(progress, clock, 'rep 2', a, 3.0, repetitions=1)
    expect('at the end', run(progress, clock, 'rep 2', b, 3.0,
                             repetitions=3), 0)
    lines = out.getvalue().splitlines()
    if len(lines) != 6 or not lines[2].startswith('[3/6    5 s, ~9 s left] '):
        failures.append('progress lines: %s' % lines)
    # Repetitions within a run show only when there was more than one.
    if not lines[4].endswith(' 1M msgs/s in 3.000 s (n = 1000)'):
        failures.append('a run of one repetition: %s' % lines[4])
    if not lines[5].endswith(' 1M msgs/s in 3.000 s (n = 1000 × 3 '
                             'repetitions)'):
        failures.append('a run of three repetitions: %s' % lines[5])

    for failure in failures:
        print('FAIL: ' + failure)
    if failures:
        return 1
    print('PASS: the estimate follows a machine that slowed down after '
          'calibration')
    return 0


if __name__ == '__main__':
    sys.exit(main())
