#!/usr/bin/env python3
"""Compares coactor with CAF, Erlang, Go and Beazley's Python: one command.

    ./bazelw run --config=opt //bench:compare -- [--quick] [--out=DIR]
        [--runner=LABEL=COMMAND ...] [--systems=...] [--workloads=...]

Runs every workload on every system and thread count: coactor's
DequeScheduler (1 thread) and WorkStealingScheduler (1, 2 and the core count
if > 2), CAF 0.17 (bench/caf), Erlang (bench/erlang, `erl +S N:N`) and Go
(bench/go, GOMAXPROCS=N) at the same thread counts, and Beazley's Python
ActorScheduler (bench/python, 1 thread, three workloads). Erlang and Go are
compiled here, offline, into a temporary directory (erlc; go build with its
cache there). The workloads, with their units, sizes and descriptions, come
from `savina_runner --list` and from each --runner's --list.

A runner is any program that speaks the protocol in bench/runner/runner.h:
`--list` prints its workloads, `--workload=W --size=N --threads=T` runs one
and prints one JSON line. `--runner=LABEL=COMMAND` (repeatable) adds one as
a system of its own, e.g. a user's workloads linked with RunnerMain:
    --runner="mine deque=/path/my_runner --scheduler=deque"

Each run is its own process (clean RSS figures). In full mode each
configuration's size is first grown until one run lasts --min-seconds (that
run is not counted), then the configurations run --repetitions times
round-robin, so machine drift hits all alike; each counted run is told
--min-seconds too, and repeats its workload within its process (a fresh
scheduler or actor system each time, each verified) until it has run that
long, in case the machine got faster since its size was chosen. A runner
whose --list does not say it takes --min-seconds runs once, and the report
flags its short runs. Progress, with an estimate of
the time left, goes to stderr. Writes DIR/results.md (also printed),
DIR/results.json (every run and statistic) and DIR/chart.png and chart.svg
(matplotlib). DIR defaults to bench/results in the workspace under `bazel
run`. `--quick` runs every workload once at a small size: a check that
everything runs and verifies, not a measurement, and its report and chart
say so. Exit status 1 if any run failed its own verification, crashed or
timed out.
"""

import argparse
import datetime
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time

try:
    import compare_chart
except ImportError as error:  # matplotlib: Debian's python3-matplotlib.
    sys.exit('compare: cannot draw the chart (%s): install python3-matplotlib '
             '(./bazelw does) and run with /usr/bin/python3' % error)
import compare_report
import compare_systems
from compare_progress import Progress
from compare_systems import BUILTIN_LABELS

GROWTH_CAP = 100  # Sizes grow to at most this many times the base size.


def runfiles_root():
    """The workspace directory inside this binary's runfiles.

    Resolved once, at start: run as bazel-bin/bench/compare, the path goes
    through the bazel-bin symlink, which a later build in another
    configuration re-points (a fastbuild while a full comparison ran
    swapped its optimized runners for unoptimized ones halfway). The
    runfiles directory itself is real; its files stay symlinks.
    """
    return os.path.realpath(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def parse_args():
    parser = argparse.ArgumentParser(
        description='coactor vs CAF, Erlang, Go and Python: actor workloads.')
    parser.add_argument('--quick', action='store_true',
                        help='small sizes, 1 run each: checks that every '
                        'workload runs and verifies; not a measurement')
    parser.add_argument('--out', default=None,
                        help='output directory (default: bench/results in '
                        'the workspace, or ./compare_results)')
    parser.add_argument('--repetitions', type=int, default=None,
                        help='counted runs per configuration (default 5, '
                        'quick 1)')
    parser.add_argument('--min-seconds', type=float, default=0.3,
                        help='full mode: grow each size until a run lasts '
                        'this long, and have each counted run repeat its '
                        'workload within its process until it has '
                        '(default 0.3)')
    parser.add_argument('--workloads', default='',
                        help='comma-separated subset of workloads')
    parser.add_argument('--systems', default='',
                        help='comma-separated subset of systems (ids: '
                        + ', '.join(BUILTIN_LABELS) + ', or a --runner '
                        'label)')
    parser.add_argument('--threads', default='',
                        help='comma-separated thread counts '
                        '(default 1,2 and the core count if > 2)')
    parser.add_argument('--runner', action='append', default=[],
                        metavar='LABEL=COMMAND',
                        help='add a runner speaking bench/runner/runner.h\'s '
                        'protocol as the system LABEL (repeatable)')
    parser.add_argument('--timeout', type=float, default=None,
                        help='seconds per run before it counts as failed')
    parser.add_argument('--replot', action='store_true',
                        help='run nothing: rewrite results.md and the chart '
                        'from DIR/results.json')
    args = parser.parse_args()
    if args.repetitions is None:
        args.repetitions = 1 if args.quick else 5
    if args.timeout is None:
        args.timeout = 60.0 if args.quick else 120.0
    caller = os.environ.get('BUILD_WORKING_DIRECTORY', os.getcwd())
    if args.out is None:
        workspace = os.environ.get('BUILD_WORKSPACE_DIRECTORY')
        args.out = (os.path.join(workspace, 'bench', 'results') if workspace
                    else os.path.abspath('compare_results'))
    elif not os.path.isabs(args.out):
        # Under `bazel run` the working directory is the runfiles tree; a
        # relative path means the caller's directory.
        args.out = os.path.join(caller, args.out)
    args.caller = caller
    return args


def machine_description():
    cpu = platform.processor() or platform.machine()
    system, memory_gib = platform.system(), None
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next((l.split(':', 1)[1].strip() for l in f
                        if l.startswith('model name')), cpu)
        with open('/etc/os-release') as f:
            system = next((l.split('=', 1)[1].strip().strip('"') for l in f
                           if l.startswith('PRETTY_NAME=')), system)
        with open('/proc/meminfo') as f:
            memory_gib = next((int(l.split()[1]) / 1024 / 1024 for l in f
                               if l.startswith('MemTotal:')), None)
    except OSError:
        pass
    return {'cores': os.cpu_count() or 1, 'cpu': cpu, 'os': system,
            'kernel': platform.release(),
            'memory_gib': round(memory_gib, 1) if memory_gib else None}


def plan(args, systems_, catalog, thread_counts):
    """[(workload, system, threads)], the series, and why cells are empty."""
    wanted = [w for w in args.workloads.split(',') if w]
    unknown = set(wanted) - set(catalog)
    if unknown:
        sys.exit('unknown workloads: %s' % ', '.join(sorted(unknown)))
    workloads = [w for w in catalog if not wanted or w in wanted]
    configs, series, missing, notes = [], [], {}, {}
    for system in systems_:
        counts = [t for t in thread_counts
                  if system['threads'] is None or t in system['threads']]
        series += [(system['id'], t, '%s %dt' % (system['label'], t))
                   for t in counts]
        for workload in workloads:
            if workload in system['workloads']:
                configs += [(workload, system['id'], t) for t in counts]
                continue
            if 'unavailable' in system:
                why = '%s: %s.' % (system['label'], system['unavailable'])
            elif system['id'] == 'python':
                why = ("Python: the baseline is Beazley's own scheduler, "
                       'with the three workloads of his seed programs.')
            elif system.get('not_written', {}).get(workload):
                why = system['not_written'][workload]
            else:
                why = 'The workload is not written for this system.'
            mark = next((m for m, w in notes.items() if w == why), None)
            if mark is None:
                mark = '(%s)' % 'abcdefghijklmnopqrstuvwxyz'[len(notes)]
                notes[mark] = why
            missing[(workload, system['id'])] = mark
    # Drop series with no run at all (e.g. a system not installed).
    ran = {(s, t) for _, s, t in configs}
    series = [s for s in series if (s[0], s[1]) in ran]
    return workloads, configs, series, missing, notes


# ---- Running ----------------------------------------------------------------

def run_one(system, workload, size, threads, timeout, cwd, measuring,
            min_seconds=0):
    """Runs one process; returns its JSON report (ok False on any failure,
    and, when measuring, for a C++ runner built without optimization).
    min_seconds > 0: a runner that takes it repeats the workload until it
    has run that long; the report's 'repetitions' says how often (1 for a
    runner that does not)."""
    failure = {'system': system['id'], 'workload': workload,
               'threads': threads, 'size': size, 'ok': False}
    env = dict(os.environ, GOMAXPROCS=str(threads), **system['env'])
    env.setdefault('HOME', cwd)  # erl wants one.
    cmd = system['command'](workload, size, threads)
    if min_seconds > 0 and system['repeats']:
        cmd.append('--min-seconds=%g' % min_seconds)
    try:
        done = subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env,
                              cwd=cwd, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return dict(failure, error='timed out after %.0f s' % timeout)
    except OSError as error:
        return dict(failure, error='cannot run %s: %s' % (cmd[0], error))
    report = None
    for line in reversed(done.stdout.splitlines()):
        if line.startswith('{'):
            try:
                report = json.loads(line)
            except ValueError:
                pass
            break
    if report is None:
        tail = (done.stderr.strip().splitlines() or ['no output'])[-1]
        return dict(failure, error='exit %d: %s' % (done.returncode, tail))
    # The label is compare's; the runner's own name for itself is kept.
    report['runner_system'] = report.get('system')
    report.update(system=system['id'], threads=threads, size=size)
    report.setdefault('repetitions', 1)
    if done.returncode != 0 and report.get('ok'):
        report['ok'] = False
        report['error'] = 'exit status %d' % done.returncode
    if measuring and report.get('optimized') is False:
        report['ok'] = False
        report['error'] = ('built without optimization: measure with '
                           '`bazel run --config=opt` (or pass --quick)')
    return report


def calibrate(args, system, workload, info, threads, tmp, progress, units):
    """Grows the size until a run lasts args.min_seconds; (size, runs)."""
    size = int(info['full_size'])
    cap = int(info.get('max_size') or 0) or GROWTH_CAP * size
    cap = min(cap, GROWTH_CAP * size)
    config = (workload, system['id'], threads)
    runs = []
    while True:
        report = run_one(system, workload, size, threads, args.timeout, tmp,
                         True)
        report['calibration'] = True
        runs.append(report)
        # A quarter past the threshold, so that a faster moment of the
        # machine later still leaves the counted runs above it.
        done = (not report.get('ok') or
                report['seconds'] >= 1.25 * args.min_seconds or size >= cap)
        progress.report('calibrate', config, report, units, calibrated=done)
        if done:
            return size, runs
        # Aim 60% past the threshold; round to two significant digits.
        factor = 1.6 * args.min_seconds / max(report['seconds'], 1e-4)
        grown = min(cap, int(size * min(factor, GROWTH_CAP)))
        digits = 10 ** max(0, int(math.log10(grown)) - 1)
        size = max(size + 1, min(cap, -(-grown // digits) * digits))
        progress.add(1)


def measure(args, systems_, catalog, configs, tmp):
    by_id = {s['id']: s for s in systems_}
    units = {w: info['unit'] for w, info in catalog.items()}
    runs, sizes = [], {}
    progress = Progress(configs, args.repetitions, not args.quick)
    for workload, system, threads in configs:
        info = catalog[workload]
        if args.quick:
            sizes[(workload, system, threads)] = int(info['quick_size'])
            continue
        size, calibration = calibrate(args, by_id[system], workload, info,
                                      threads, tmp, progress, units)
        sizes[(workload, system, threads)] = size
        runs += calibration
    for rep in range(args.repetitions):
        # Rotate the order each repetition so no configuration always runs
        # first or right after the same heavy one.
        shift = (rep * 7) % max(1, len(configs))
        for workload, system, threads in configs[shift:] + configs[:shift]:
            report = run_one(by_id[system], workload,
                             sizes[(workload, system, threads)], threads,
                             args.timeout, tmp, not args.quick,
                             0 if args.quick else args.min_seconds)
            report['repetition'] = rep
            runs.append(report)
            progress.report('rep %d' % (rep + 1), (workload, system, threads),
                            report, units)
    return runs


# ---- Reports ----------------------------------------------------------------

def write_reports(args, meta, runs):
    """Writes results.md/.json and the chart; returns the markdown."""
    stats = compare_report.aggregate(runs)
    series = [tuple(s) for s in meta['series']]
    missing = {tuple(k.split('|')): v for k, v in meta['missing'].items()}
    report = compare_report.markdown(meta, stats, series, meta['workloads'],
                                     meta['catalog'], missing, meta['quick'])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, 'results.md'), 'w') as f:
        f.write(report)
    with open(os.path.join(args.out, 'results.json'), 'w') as f:
        json.dump({'meta': meta,
                   'statistics': sorted(stats.values(), key=lambda e: (
                       e['workload'], e['system'], e['threads'])),
                   'runs': runs}, f, indent=1)
        f.write('\n')
    m = meta['machine']
    compare_chart.draw(
        args.out,
        'coactor vs CAF, Erlang, Go and Python: items per second (%s)' % (
            'one run each' if meta['repetitions'] == 1 else
            'median of %d runs; bars: fastest to slowest run' %
            meta['repetitions']),
        '%d cores, %s; %s' % (m['cores'], m['cpu'], meta['date']),
        compare_report.QUICK_NOTICE if meta['quick'] else None,
        meta['workloads'],
        {w: meta['catalog'][w]['unit'] for w in meta['workloads']},
        series, stats)
    return report


def replot(args):
    with open(os.path.join(args.out, 'results.json')) as f:
        data = json.load(f)
    if 'series' not in data['meta']:
        sys.exit('compare: %s/results.json was written by an older compare; '
                 'run the comparison again' % args.out)
    print(write_reports(args, data['meta'], data['runs']))
    return 0 if all(r.get('ok') for r in data['runs']) else 1


def versions(runs, systems_):
    def first(field, system):
        return next((r[field] for r in runs
                     if r.get('system') == system and field in r), None)
    out = ['coactor runners: %s%s' % (
        first('compiler', 'coactor-deque') or
        first('compiler', 'coactor-stealing') or 'unknown',
        '' if first('optimized', 'coactor-deque') in (True, None) else
        ', NOT optimized: build with --config=opt')]
    labels = {'caf': 'CAF', 'erlang': 'Erlang', 'go': 'Go',
              'python': 'Python'}
    for system in systems_:
        if system['id'] in labels:
            version = (first('caf_version', 'caf') if system['id'] == 'caf'
                       else first('compiler', system['id']))
            out.append('%s: %s' % (labels[system['id']],
                                   version or system.get('unavailable') or
                                   'not run'))
    return out


def main():
    args = parse_args()
    if args.replot:
        return replot(args)
    root = runfiles_root()
    machine = machine_description()
    if args.threads:
        thread_counts = sorted({int(t) for t in args.threads.split(',')})
    else:
        cores = machine['cores']
        thread_counts = [1, 2] + ([cores] if cores > 2 else [])
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='compare.') as tmp:
        systems_, catalog = compare_systems.systems(args, root, tmp)
        if not args.quick:
            # Minutes of unoptimized runs measure nothing: stop at once.
            # Each C++ runner (coactor's, CAF's, any --runner) runs its
            # first workload at its quick size and says whether it was
            # optimized.
            for system in systems_:
                if not system['workloads'] or system['id'] in (
                        'erlang', 'go', 'python'):
                    continue
                workload = system['workloads'][0]
                probe = run_one(system, workload,
                                int(catalog[workload]['quick_size']),
                                (system['threads'] or [1])[0], args.timeout,
                                tmp, True)
                if probe.get('optimized') is False:
                    sys.exit('compare: %s: %s' % (system['label'],
                                                  probe['error']))
        workloads, configs, series, missing, notes = plan(
            args, systems_, catalog, thread_counts)
        print('compare: %d configurations x %d run%s%s, thread counts %s, '
              'output %s%s' % (
                  len(configs), args.repetitions,
                  '' if args.repetitions == 1 else 's',
                  '' if args.quick else ' (after one calibration run each)',
                  thread_counts, args.out,
                  ' (%s)' % compare_report.QUICK_NOTICE if args.quick
                  else ''), file=sys.stderr)
        runs = measure(args, systems_, catalog, configs, tmp)
    flags = ' '.join(shlex.quote(a) for a in sys.argv[1:])
    meta = {
        'machine': machine,
        'versions': versions(runs, systems_),
        'system_notes': [(s['label'], s['note']) for s in systems_],
        'command': ('./bazelw run --config=opt //bench:compare' +
                    (' -- ' + flags if flags else '')),
        'date': datetime.datetime.now().strftime('%Y-%m-%d %H:%M'),
        'quick': args.quick,
        'repetitions': args.repetitions,
        'min_seconds': args.min_seconds,
        # Systems whose runs do not repeat up to min_seconds.
        'not_repeating': [s['label'] for s in systems_
                          if not s['repeats'] and s['workloads']],
        'thread_counts': thread_counts,
        'workloads': workloads,
        'catalog': {w: catalog[w] for w in workloads},
        'series': series,
        'missing': {'|'.join(k): v for k, v in missing.items()},
        'missing_notes': notes,
    }
    report = write_reports(args, meta, runs)
    print(report)
    failures = [r for r in runs if not r.get('ok')]
    print('compare: wrote %s/{results.md,results.json,chart.png,chart.svg}; '
          '%d of %d runs failed; %.0f s' % (
              args.out, len(failures), len(runs),
              time.monotonic() - started), file=sys.stderr)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
