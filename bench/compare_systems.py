"""The systems //bench:compare runs, each a runner it starts per run.

coactor's own runner (bench/savina, with the workloads' names, units,
sizes and descriptions from its --list), CAF's (bench/caf), Erlang's and
Go's (compiled here, offline, into a temporary directory), Beazley's Python
(bench/python) and any runner named with --runner (the protocol of
bench/runner/runner.h). A system is a dict: {'id', 'label', 'workloads'
(names), 'threads' (None: any count), 'command': f(workload, size,
threads) -> argv, 'env', 'note' (how it runs, for the report), 'repeats'
(it takes --min-seconds: it repeats a run within its process until the
run lasts that long), 'not_written' ({workload: why the system has no
version of it}), and 'unavailable' (why not) when its tools are missing}.
"""

import json
import os
import platform
import shlex
import shutil
import subprocess
import sys

# The systems compare knows, in column order: id -> label.
BUILTIN_LABELS = {
    'coactor-deque': 'coactor deque',
    'coactor-stealing': 'coactor stealing',
    'caf': 'CAF',
    'erlang': 'Erlang',
    'go': 'Go',
    'python': 'Python',
}
# coactor's workloads written for CAF, Erlang and Go (all ten) and Python.
TEN = ('counter_printer', 'ping_pong', 'counting', 'thread_ring',
       'fork_join_throughput', 'fork_join_creation', 'big', 'chameneos',
       'bounded_buffer', 'idle_actor_memory')
PYTHON_WORKLOADS = ('counter_printer', 'ping_pong', 'thread_ring')
# Written only where the system has mailboxes (or channels) of a fixed
# size whose senders wait for room; the others say why not.
BOUNDED = ('bounded_mailbox_buffer',)
NO_BOUNDED_MAILBOX = {
    'caf': 'CAF: its mailboxes are unbounded; it has no sender that waits '
           'for room (CAF#1829).',
    'erlang': "Erlang: a process's mailbox is unbounded; a sender cannot "
              'wait for room.',
}


def package_version(name):
    try:
        return subprocess.run(
            ['dpkg-query', '-W', '-f=${Version}', name],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            check=False).stdout.strip() or None
    except OSError:
        return None


# ---- Systems ----------------------------------------------------------------
# A system: {'id', 'label', 'workloads' (names), 'threads' (None: any),
# 'command': f(workload, size, threads) -> argv, 'env': dict, 'note',
# 'repeats', 'not_written': {workload: why it is not written there}}.


def list_workloads(command):
    """Runs `command --list`: ({workload: info}, thread counts or None,
    whether it takes --min-seconds)."""
    done = subprocess.run(command + ['--list'], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=60,
                          check=False)
    if done.returncode != 0:
        raise RuntimeError('%s --list: exit %d: %s' % (
            ' '.join(command), done.returncode, done.stderr.strip()))
    workloads, threads, repeats = {}, None, False
    for line in done.stdout.splitlines():
        if not line.startswith('{'):
            continue
        entry = json.loads(line)
        if 'workload' in entry:
            workloads[entry['workload']] = entry
        elif 'threads' in entry:
            threads = entry['threads']
        elif entry.get('min_seconds') is True:
            repeats = True
    return workloads, threads, repeats


def resolve(command, caller):
    """argv of a --runner COMMAND, its program relative to the caller."""
    argv = shlex.split(command)
    if argv and not os.path.isabs(argv[0]) and os.sep in argv[0]:
        argv[0] = os.path.join(caller, argv[0])
    return argv


def build_erlang(root, tmp):
    """Compiles the Erlang runner; (system or None, why not)."""
    erlc, erl = shutil.which('erlc'), shutil.which('erl')
    if not erlc or not erl:
        return None, 'not installed (Debian erlang-base; ./bazelw installs it)'
    beam = os.path.join(tmp, 'erlang')
    os.makedirs(beam)
    source = os.path.join(root, 'bench', 'erlang', 'erlang_runner.erl')
    done = subprocess.run([erlc, '-o', beam, source], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, check=False)
    if done.returncode != 0:
        return None, 'erlc failed: %s' % done.stdout.strip()

    def command(workload, size, threads):
        # +P: room for every process the run has alive at once.
        return [erl, '+S', '%d:%d' % (threads, threads),
                '+P', str(max(1 << 20, 2 * size + 4096)), '-noshell',
                '-pa', beam, '-s', 'erlang_runner', 'main', '-extra',
                '--workload=%s' % workload, '--size=%d' % size,
                '--threads=%d' % threads]
    version = package_version('erlang-base')
    return {'command': command, 'env': {'ERL_CRASH_DUMP_SECONDS': '0'},
            'note': 'each actor a process looping over `receive`; `erl +S '
                    'N:N` (N schedulers), otherwise the defaults; compiled '
                    'by erlc' + (' (Debian erlang-base %s)' % version
                                 if version else '')}, None


def build_go(root, tmp):
    """Builds the Go runner offline; (system or None, why not)."""
    go = shutil.which('go')
    if not go:
        return None, 'not installed (Debian golang-go; ./bazelw installs it)'
    binary = os.path.join(tmp, 'go_runner')
    env = dict(os.environ, GOCACHE=os.path.join(tmp, 'gocache'),
               GOPATH=os.path.join(tmp, 'gopath'), GOPROXY='off',
               GO111MODULE='off', GOFLAGS='', CGO_ENABLED='0')
    source = os.path.join(root, 'bench', 'go', 'go_runner.go')
    done = subprocess.run([go, 'build', '-o', binary, source], env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, check=False, cwd=tmp)
    if done.returncode != 0:
        return None, 'go build failed: %s' % done.stdout.strip()

    def command(workload, size, threads):
        return [binary, '--workload=%s' % workload, '--size=%d' % size,
                '--threads=%d' % threads]
    version = package_version('golang-go')
    return {'command': command, 'env': {},
            'note': 'each actor a goroutine owning a channel (its mailbox, '
                    'room for 1024 messages); GOMAXPROCS = N; built by go '
                    'build' + (' (Debian golang-go %s)' % version
                               if version else '')}, None


def systems(args, root, tmp):
    """The systems, in column order, and the workload catalog."""
    savina = [os.path.join(root, 'bench', 'savina', 'savina_runner')]
    catalog, _, savina_repeats = list_workloads(savina)
    out = []

    def runner_command(argv):
        return lambda w, s, t: argv + ['--workload=%s' % w, '--size=%d' % s,
                                       '--threads=%d' % t]

    out.append({'id': 'coactor-deque', 'workloads': list(catalog),
                'threads': [1],
                'command': runner_command(savina + ['--scheduler=deque']),
                'repeats': savina_repeats,
                'note': 'DequeScheduler: one thread, one deque'})
    out.append({'id': 'coactor-stealing', 'workloads': list(catalog),
                'threads': None,
                'command': runner_command(savina + ['--scheduler=stealing']),
                'repeats': savina_repeats,
                'note': 'WorkStealingScheduler with N workers'})
    caf = os.path.join(root, 'bench', 'caf', 'caf_runner')
    caf_package = package_version('libcaf-dev')
    out.append({'id': 'caf', 'workloads': list(TEN), 'threads': None,
                'repeats': True,
                'not_written': dict.fromkeys(BOUNDED,
                                             NO_BOUNDED_MAILBOX['caf']),
                'command': lambda w, s, t: [
                    caf, '--workload=%s' % w, '--size=%d' % s,
                    '--threads=%d' % t],
                'note': 'event-based actors, the default work-stealing '
                        'scheduler with scheduler.max-threads = N, other '
                        'settings default' +
                        (' (Debian libcaf-dev %s)' % caf_package
                         if caf_package else '')})
    wanted = set(args.systems.split(',')) if args.systems else None
    for name, build in (('erlang', build_erlang), ('go', build_go)):
        if wanted is not None and name not in wanted:
            continue  # Not asked for: not compiled either.
        system, why = build(root, tmp)
        if system is None:
            out.append({'id': name, 'workloads': [], 'threads': None,
                        'unavailable': why, 'note': why})
            continue
        system.update({'id': name, 'threads': None, 'repeats': True,
                       'workloads': list(TEN) + (
                           list(BOUNDED) if name == 'go' else []),
                       'not_written': (
                           dict.fromkeys(BOUNDED, NO_BOUNDED_MAILBOX[name])
                           if name in NO_BOUNDED_MAILBOX else {})})
        out.append(system)
    script = os.path.join(root, 'bench', 'python', 'actor_scheduler_bench.py')
    out.append({'id': 'python', 'workloads': list(PYTHON_WORKLOADS),
                'threads': [1], 'repeats': True,
                'command': lambda w, s, t: [
                    sys.executable, script, '--workload=%s' % w,
                    '--size=%d' % s, '--threads=%d' % t],
                'note': "Beazley's ActorScheduler (generators, one deque), "
                        'one thread, %s %s' % (
                            platform.python_implementation(),
                            platform.python_version())})
    for spec in args.runner:
        label, _, command = spec.partition('=')
        if not label or not command:
            sys.exit('--runner wants LABEL=COMMAND, got %r' % spec)
        argv = resolve(command, args.caller)
        listed, threads, repeats = list_workloads(argv)
        for name, info in listed.items():
            catalog.setdefault(name, info)
        out.append({'id': label, 'label': label, 'workloads': list(listed),
                    'threads': threads, 'command': runner_command(argv),
                    'repeats': repeats,
                    'note': 'a runner named on the command line: `%s`' %
                            command})
    for system in out:
        system.setdefault('label', BUILTIN_LABELS.get(system['id']))
        system.setdefault('env', {})
        system.setdefault('repeats', False)
    if wanted is not None:
        unknown = wanted - {s['id'] for s in out}
        if unknown:
            sys.exit('unknown systems: %s' % ', '.join(sorted(unknown)))
        out = [s for s in out if s['id'] in wanted]
    return out, catalog
