"""compare's progress: one stderr line per run, with an estimate of the
time left.

A configuration's runs are expected to take as long as its latest run
(wall clock, process start included): after calibration, that is a run at
the size the counted runs use. Configurations not run yet count as the mean
of those that have, plus, in full mode, the mean calibration. The machine
can slow down (or speed up) between calibrating a configuration and
counting its runs, as other work comes and goes: a configuration known only
from its calibration is scaled by the median ratio, over the configurations
counted so far, of their first counted run to their last calibration run.
"""

import statistics
import sys
import time

import compare_report


class Progress:
    def __init__(self, configs, repetitions, calibrating, clock=time.monotonic,
                 out=sys.stderr):
        self.left = {c: repetitions for c in configs}
        self.uncalibrated = set(configs) if calibrating else set()
        self.per_run = {}         # config -> wall seconds of its latest run
        self.calibration = {}     # config -> wall seconds calibrating it
        self.calibrated_run = {}  # config -> wall seconds of its last one
        self.counted = set()      # configs with a counted run
        self.drift = []           # first counted / last calibration run
        self.total = len(configs) * repetitions + len(self.uncalibrated)
        self.done = 0
        self.clock, self.out = clock, out
        self.started = self.last = clock()

    def add(self, more):
        """Counts `more` runs not planned (another calibration run)."""
        self.total += more

    def seconds_left(self):
        def mean(values, default):
            values = list(values)
            return sum(values) / len(values) if values else default
        drift = statistics.median(self.drift) if self.drift else 1.0
        per_run = mean(self.per_run.values(), 1.0)
        calibration = mean(
            (w for c, w in self.calibration.items()
             if c not in self.uncalibrated), 2 * per_run)

        def expected(config):
            if config in self.counted:
                return self.per_run[config]
            return self.per_run.get(config, per_run) * drift
        return (sum(n * expected(c) for c, n in self.left.items()) +
                calibration * len(self.uncalibrated))

    def report(self, what, config, report, units, calibrated=False):
        """Prints one line for `report`, a run of `config`; `what` is
        'calibrate' or the repetition; calibrated: the last calibration run."""
        now = self.clock()
        wall, self.last = now - self.last, now
        self.done += 1
        self.per_run[config] = wall
        if what == 'calibrate':
            self.calibration[config] = self.calibration.get(config, 0) + wall
            if calibrated:
                self.uncalibrated.discard(config)
                self.calibrated_run[config] = wall
        else:
            self.left[config] -= 1
            if config not in self.counted and self.calibrated_run.get(config):
                self.drift.append(wall / self.calibrated_run[config])
            self.counted.add(config)
        if report.get('ok'):
            repetitions = report.get('repetitions', 1)
            status = '%s %s/s in %.3f s (n = %d%s)' % (
                compare_report.human(report['items_per_second']),
                units[report['workload']], report['seconds'], report['size'],
                ' × %d repetitions' % repetitions if repetitions > 1 else '')
        else:
            status = 'FAILED: %s' % report.get('error', '?')
        print('[%d/%d %4.0f s, ~%.0f s left] %-10s %-20s %-16s %2dt  %s' % (
            self.done, self.total, now - self.started, self.seconds_left(),
            what, report['workload'], report['system'], report['threads'],
            status), file=self.out, flush=True)
