#!/usr/bin/python3
"""compare --min-seconds: counted runs repeat within their process until they
last the minimum; a runner that does not take the flag still runs.

Two runners speaking the protocol of bench/runner/runner.h, with a workload
capped at a size whose run lasts 0.2 s (they report made-up seconds, so the
test takes no real time): `repeats` says in its --list that it takes
--min-seconds, `once` does not and, as an older RunnerMain would, rejects
any flag it does not know. A full comparison (2 counted runs each, minimum
0.3 s) must pass --min-seconds to the counted runs of `repeats` only (not
to its calibration runs), report 2 repetitions with exact totals, rate and
size-table cell from them, and flag the runs of `once` as short, saying
that it does not repeat; quick mode passes no minimum at all. Results
written before runs repeated, replotted, do not claim that they did.

Usage: compare_min_seconds_test.py PATH_TO_COMPARE
"""

import json
import os
import subprocess
import sys
import tempfile

RUNNER = r'''#!/usr/bin/python3
import json, sys
TAKES_MIN_SECONDS = %(takes)s
with open(%(log)r, 'a') as log:
    log.write(' '.join(sys.argv[1:]) + '\n')
if sys.argv[1:] == ['--list']:
    print(json.dumps({'workload': 'tick', 'unit': 'ticks', 'full_size': 10,
                      'quick_size': 2, 'max_size': 20,
                      'description': 'made-up ticks, 10 ms each'}))
    if TAKES_MIN_SECONDS:
        print(json.dumps({'min_seconds': True}))
    sys.exit(0)
flags = dict(a[2:].split('=', 1) for a in sys.argv[1:])
known = {'workload', 'size', 'threads'} | (
    {'min-seconds'} if TAKES_MIN_SECONDS else set())
if set(flags) - known or flags.get('workload') != 'tick':
    print('unknown flag in %%s' %% sys.argv[1:], file=sys.stderr)
    sys.exit(2)
size, minimum = int(flags['size']), float(flags.get('min-seconds', 0))
repetitions = items = seconds = 0
while True:  # One repetition: 3 ticks per unit of size, 10 ms each unit.
    repetitions, items, seconds = (repetitions + 1, items + 3 * size,
                                   seconds + 0.01 * size)
    if seconds >= minimum:
        break
report = {'workload': 'tick', 'threads': 1, 'size': size,
          'items': items, 'seconds': seconds,
          'items_per_second': items / seconds, 'ok': True}
if TAKES_MIN_SECONDS:
    report['repetitions'] = repetitions
print(json.dumps(report))
'''


def write_runner(tmp, name, takes):
    path = os.path.join(tmp, name)
    with open(path, 'w') as f:
        f.write(RUNNER % {'takes': takes,
                          'log': os.path.join(tmp, name + '.log')})
    os.chmod(path, 0o755)
    return path


def compare(command, tmp, out, *flags):
    runners = ['--runner=%s=%s' % (name, os.path.join(tmp, name))
               for name in ('repeats', 'once')]
    for name in ('repeats', 'once'):
        open(os.path.join(tmp, name + '.log'), 'w').close()
    done = subprocess.run(
        [command, '--out=' + out, '--systems=repeats,once', '--threads=1'] +
        runners +
        list(flags), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, check=False)
    if done.returncode != 0:
        sys.exit('FAIL: compare %s exited %d:\n%s' % (
            ' '.join(flags), done.returncode, done.stderr))
    with open(os.path.join(out, 'results.json')) as f:
        results = json.load(f)
    with open(os.path.join(out, 'results.md')) as f:
        report = f.read()
    logs = {}
    for name in ('repeats', 'once'):
        with open(os.path.join(tmp, name + '.log')) as f:
            logs[name] = f.read().splitlines()
    return results, report, logs, done.stderr


def main():
    command = os.path.abspath(sys.argv[1])
    failures = []

    def expect(what, got, want):
        if got != want:
            failures.append('%s: got %r, want %r' % (what, got, want))

    with tempfile.TemporaryDirectory() as tmp:
        write_runner(tmp, 'repeats', True)
        write_runner(tmp, 'once', False)

        # Full mode: calibration grows 10 -> 20 (the cap: 0.2 s a run).
        results, report, logs, progress = compare(
            command, tmp, os.path.join(tmp, 'full'), '--repetitions=2',
            '--min-seconds=0.3')
        counted = [r for r in results['runs'] if not r.get('calibration')]
        calibration = [r for r in results['runs'] if r.get('calibration')]
        expect('calibration sizes',
               sorted((r['system'], r['size']) for r in calibration),
               [('once', 10), ('once', 20), ('repeats', 10),
                ('repeats', 20)])
        for run in counted:
            repetitions = 2 if run['system'] == 'repeats' else 1
            what = 'a counted run of %s' % run['system']
            expect(what + ': repetitions', run['repetitions'], repetitions)
            expect(what + ': items', run['items'], 3 * 20 * repetitions)
            expect(what + ': seconds', round(run['seconds'], 9),
                   0.2 * repetitions)
        expect('counted runs', len(counted), 4)
        stats = {s['system']: s for s in results['statistics']}
        expect('items of one repetition', stats['repeats']['items'], 60)
        expect('repetitions of repeats', stats['repeats']['repetitions'],
               [2, 2])
        expect('repetitions of once', stats['once']['repetitions'], [1, 1])
        expect('rate of repeats', round(stats['repeats']['median']), 300)
        expect('not repeating', results['meta']['not_repeating'], ['once'])
        # --min-seconds only in the counted runs of the runner that takes it.
        runs_of = {name: [line for line in lines if line != '--list']
                   for name, lines in logs.items()}
        expect('runs of repeats with a minimum',
               [line.endswith(' --min-seconds=0.3')
                for line in runs_of['repeats']],
               [False] * 3 + [True] * 2)  # Probe, 2 calibration, 2 counted.
        expect('runs of once with a minimum',
               [line for line in runs_of['once'] if 'min-seconds' in line],
               [])
        for text in (
                '| tick (ticks) | n = 20, 0.40 s (×2) | n = 20, 0.20 s |',
                '## Size and median run time (×N: repetitions within a run)',
                'each run lasts at least 0.3 s: it repeats its workload '
                'within its process (a fresh scheduler or actor system each '
                'time, each repetition verified) until the repetitions '
                'together have run that long',
                '- **Runs shorter than 0.3 s**: 1 of the 2 cells had at '
                'least one counted run below it (the machine ran faster than '
                'while the size was chosen, or the size reached its cap; once '
                'does not repeat a run within its process); the shortest: '
                'tick on once 1t '
                '(0.20 s).'):
            if text not in report:
                failures.append('the full report lacks %r' % text)
        if '(n = 20 × 2 repetitions)' not in progress:
            failures.append('the progress does not show the repetitions: ' +
                            progress)

        # Results of a compare from before runs repeated, replotted: the
        # report does not claim that they did.
        old = os.path.join(tmp, 'old')
        os.makedirs(old)
        with open(os.path.join(tmp, 'full', 'results.json')) as f:
            data = json.load(f)
        del data['meta']['not_repeating']
        for run in data['runs']:
            del run['repetitions']
            run['items'], run['seconds'] = 60, 0.2
        with open(os.path.join(old, 'results.json'), 'w') as f:
            json.dump(data, f)
        done = subprocess.run([command, '--replot', '--out=' + old],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, check=False)
        expect('replot exit status', done.returncode, 0)
        for text in ('each run in its own process. A table below gives the '
                     'size used and the median run time; the notes list',
                     '| tick (ticks) | n = 20, 0.20 s | n = 20, 0.20 s |'):
            if text not in done.stdout:
                failures.append('the replotted old report lacks %r' % text)
        if 'repeats its workload' in done.stdout:
            failures.append('the replotted old report claims repetitions')

        # Quick mode: one run each, no minimum passed to anyone.
        results, report, logs, _ = compare(
            command, tmp, os.path.join(tmp, 'quick'), '--quick')
        expect('quick runs', sorted((r['system'], r['size'],
                                     r['repetitions'])
                                    for r in results['runs']),
               [('once', 2, 1), ('repeats', 2, 1)])
        expect('quick runs with a minimum',
               [line for lines in logs.values() for line in lines
                if 'min-seconds' in line], [])

    for failure in failures:
        print('FAIL: ' + failure)
    if failures:
        return 1
    print('PASS: counted runs repeat up to --min-seconds with exact totals; '
          'a runner without the flag runs once and is flagged short; quick '
          'mode passes no minimum')
    return 0


if __name__ == '__main__':
    sys.exit(main())
