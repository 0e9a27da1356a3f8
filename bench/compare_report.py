"""The comparison's report: results.md (also printed), from the runs.

Statistics per configuration (workload, system, threads): the median items
per second with the fastest and slowest run beside it, and the interquartile
range in results.json; the size used, the median run time and how often a
run repeated its workload to last the minimum; peak RSS; the memory per
idle actor. A run's items and seconds are the totals of its repetitions. Quick mode's report says on top and in every table
heading that its rates are not measurements, and judges no goals.
"""

import statistics

# Said wherever quick mode shows a figure (report, table headings, chart).
QUICK_NOTICE = ('quick: checks that every workload runs and verifies; the '
                'rates are not measurements')


def human(rate):
    for scale, suffix in ((1e9, 'G'), (1e6, 'M'), (1e3, 'k')):
        if rate >= scale:
            return '%.3g%s' % (rate / scale, suffix)
    return '%.3g' % rate


def quartiles(values):
    values = sorted(values)
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method='inclusive')
    return q[0], q[2]


def aggregate(runs):
    """Per (workload, system, threads): medians, spread and ratios to CAF."""
    groups = {}
    for run in runs:
        if run.get('calibration'):
            continue
        key = (run['workload'], run['system'], run['threads'])
        groups.setdefault(key, []).append(run)
    stats = {}
    for key, group in groups.items():
        good = [r for r in group if r.get('ok')]
        entry = {'workload': key[0], 'system': key[1], 'threads': key[2],
                 'runs': len(group), 'ok': len(good) == len(group)}
        if not good:
            entry['error'] = group[-1].get('error', 'failed')
        else:
            rates = [r['items_per_second'] for r in good]
            repetitions = [r.get('repetitions', 1) for r in good]
            # One repetition's items (each repetition runs the same size).
            entry['items'] = good[0]['items'] // repetitions[0]
            entry['repetitions'] = [min(repetitions), max(repetitions)]
            entry['size'] = good[0]['size']
            entry['median'] = statistics.median(rates)
            entry['min'], entry['max'] = min(rates), max(rates)
            entry['q1'], entry['q3'] = quartiles(rates)
            entry['seconds'] = statistics.median(r['seconds'] for r in good)
            entry['min_seconds'] = min(r['seconds'] for r in good)
            rss = [r['peak_rss_kib'] for r in good if 'peak_rss_kib' in r]
            if rss:
                entry['peak_rss_kib'] = statistics.median(rss)
            if all('bytes_per_actor' in r for r in good):
                entry['bytes_per_actor'] = statistics.median(
                    r['bytes_per_actor'] for r in good)
        stats[key] = entry
    for (workload, system, threads), entry in stats.items():
        caf = stats.get((workload, 'caf', threads), {})
        if system != 'caf' and 'median' in entry and caf.get('median'):
            entry['ratio_to_caf'] = entry['median'] / caf['median']
            if 'bytes_per_actor' in entry and caf.get('bytes_per_actor'):
                entry['bytes_ratio_to_caf'] = (entry['bytes_per_actor'] /
                                               caf['bytes_per_actor'])
    return stats


def targets(stats):
    """coactor's own goals: (what, measured, goal, met). Against CAF, and
    the rows where a peer (Erlang's spawning) or coactor's other scheduler
    sets the bar."""
    checks = []

    def ratio(workload, system, threads, field='ratio_to_caf'):
        return stats.get((workload, system, threads), {}).get(field)

    def between(workload, cell, base):
        """The median of `cell` over that of `base`, each (system, threads)."""
        num = stats.get((workload,) + cell, {}).get('median')
        den = stats.get((workload,) + base, {}).get('median')
        return num / den if num and den else None

    for workload in ('counter_printer', 'ping_pong', 'thread_ring'):
        checks.append(('%s: deque vs CAF 1t' % workload,
                       ratio(workload, 'coactor-deque', 1), 20, '>='))
    for workload in ('fork_join_throughput', 'counting', 'big'):
        checks.append(('%s: stealing 2t vs CAF 2t' % workload,
                       ratio(workload, 'coactor-stealing', 2), 5, '>='))
    checks.append(('fork_join_creation: deque vs CAF 1t',
                   ratio('fork_join_creation', 'coactor-deque', 1), 10, '>='))
    checks.append(('fork_join_creation: stealing 2t vs CAF 2t',
                   ratio('fork_join_creation', 'coactor-stealing', 2), 10,
                   '>='))
    checks.append(('bytes per idle actor: deque / CAF 1t',
                   ratio('idle_actor_memory', 'coactor-deque', 1,
                         'bytes_ratio_to_caf'), 0.25, '<='))
    checks.append(('bytes per idle actor: stealing 2t / CAF 2t',
                   ratio('idle_actor_memory', 'coactor-stealing', 2,
                         'bytes_ratio_to_caf'), 0.25, '<='))
    checks.append(('fork_join_creation: deque vs Erlang 1t',
                   between('fork_join_creation', ('coactor-deque', 1),
                           ('erlang', 1)), 3, '>='))
    checks.append(('fork_join_creation: stealing 2t vs Erlang 2t',
                   between('fork_join_creation', ('coactor-stealing', 2),
                           ('erlang', 2)), 2, '>='))
    for workload in ('ping_pong', 'thread_ring', 'big'):
        checks.append(('%s: stealing 1t vs deque 1t' % workload,
                       between(workload, ('coactor-stealing', 1),
                               ('coactor-deque', 1)), 0.6, '>='))
    checks.append(('big: stealing 2t vs stealing 1t',
                   between('big', ('coactor-stealing', 2),
                           ('coactor-stealing', 1)), 0.9, '>='))
    out = []
    for what, value, goal, sense in checks:
        if value is None:
            continue
        met = value >= goal if sense == '>=' else value <= goal
        out.append((what, value, '%s %g×' % (sense, goal), met))
    return out


def _listed(items, of='', most=10):
    """'a, b and c'; past `most` items, the first ones and 'and N more'
    (followed by `of`)."""
    if len(items) > most:
        return '%s and %d more%s' % (', '.join(items[:most]),
                                     len(items) - most, of)
    if len(items) < 2:
        return ''.join(items)
    return '%s and %s' % (', '.join(items[:-1]), items[-1])


def doubts(stats, workloads, quick, min_seconds=0.3, not_repeating=(),
           names=None):
    """Notes on the results that invite doubt: what is known about why.
    names: system -> what to call it (its id if absent).

    The figures quoted come from perf profiles and instrumented copies of
    the CAF runner made while writing these notes; the rest is this run's.
    """
    out = []

    def rate(workload, system, threads):
        return stats.get((workload, system, threads), {}).get('median')

    if rate('counter_printer', 'caf', 1):
        out.append(
            "- **CAF's memory on counter_printer at 1 thread**: CAF 0.17's "
            'default `scheduler.max-throughput` is unlimited, so the '
            'counter, whose next message is always the one it just sent '
            'itself, handles all n + 1 of its messages in one turn before '
            'the printer runs at all; the n printer messages wait in the '
            "printer's mailbox, about 112 bytes each, so CAF's peak RSS grows "
            'linearly with n (measured while writing this note: 18 MiB at '
            'n = 100k, 114 MiB at 1M, 541 MiB at 5M; with '
            '`scheduler.max-throughput=100` the peak stayed at 5.5 MiB and '
            'the run was 1.1-2.5× faster). At 2 threads the second worker '
            'takes the printer and drains it meanwhile, so the backlog '
            "depends on timing. The comparison keeps CAF's defaults.")
    floods = []
    for workload, sender, what in (
            ('counting', 'producer', 'messages'),
            ('fork_join_throughput', 'driver', 'messages'),
            ('fork_join_creation', 'creator', 'actors')):
        entry = stats.get((workload, 'coactor-deque', 1), {})
        if entry.get('peak_rss_kib', 0) >= 64 * 1024 and entry.get('items'):
            stealing = stats.get((workload, 'coactor-stealing', 2), {})
            floods.append('%s (the %s; %.0f MiB at %s %s, about %.0f bytes '
                          'each%s)' % (
                              workload, sender, entry['peak_rss_kib'] / 1024,
                              human(entry['items']), what,
                              entry['peak_rss_kib'] * 1024 / entry['items'],
                              '; work stealing at 2 workers %.0f MiB' %
                              (stealing['peak_rss_kib'] / 1024)
                              if 'peak_rss_kib' in stealing else ''))
    if floods and not quick:
        out.append(
            "- **coactor's memory where one actor sends everything in one "
            'turn**: %s. That actor sends all of its messages (spawns all of '
            'its actors) in one loop without waiting, and on the deque '
            "scheduler a turn runs to its end before any receiver runs, so "
            'all of them are queued (alive) at once and peak RSS grows '
            'linearly with n (the bytes are peak RSS / n). With two workers '
            'the receivers run meanwhile, so less is queued. coactor does '
            'not bound mailboxes; CAF and Erlang queue without bound too, '
            'Go makes the sender wait at 1024.' % '; '.join(floods))
    python_wins = []
    for workload in workloads:
        mine, caf = rate(workload, 'python', 1), rate(workload, 'caf', 1)
        if mine and caf and mine > caf:
            python_wins.append('%s (×%.2f)' % (workload, mine / caf))
    if rate('ping_pong', 'caf', 1) and rate('ping_pong', 'python', 1):
        lead = ''
        if not quick:
            lead = ('In this run CPython beats CAF at 1 thread on %s. ' %
                    (_listed(python_wins) if python_wins
                     else 'no workload'))
        out.append(
            '- **CPython against CAF at 1 thread**: %sIn ping_pong and '
            'thread_ring every message goes to an actor that waits, so CAF '
            'schedules and resumes one actor per message, and that is where '
            'its time goes: a perf profile of the CAF runner (1 thread, 2M '
            'messages) put 17%% of the samples in the logger\'s per-resume '
            'actor-id bookkeeping, which runs although Debian builds CAF with '
            'logging off, 14%% in `dynamic_cast` in the worker loop and 7-8%% '
            'in reference counting. Beazley\'s scheduler does a dict lookup, '
            'a deque append and pop and one generator resume per message.'
            % lead)
    # Where every system is slower at two threads than at one.
    slower = []
    for workload in workloads:
        pairs = []
        for (w, system, threads), entry in sorted(stats.items()):
            one = rate(w, system, 1)
            if w == workload and threads == 2 and entry.get('median') and one:
                pairs.append((system, entry['median'] / one))
        if len(pairs) >= 2 and all(r < 1 for _, r in pairs):
            slower.append('%s (%s)' % (workload, ', '.join(
                '%s %.2f' % ((names or {}).get(system, system), r)
                for system, r in pairs)))
    if slower and not quick:
        big = any(entry.startswith('big ') for entry in slower)
        out.append(
            '- **Slower at 2 threads than at 1 for every system** (2 threads '
            '/ 1 thread): %s. Most of these pass everything through one '
            'actor or one token at a time, so a second thread has little to '
            'run beside it, and '
            'each message that crosses between the CPUs costs more than it '
            'saves: this machine\'s two vCPUs moved one cache line in '
            "59-214 ns in scheduler_bench's BM_LineTransfer, more than a whole "
            'message at one thread.%s' % ('; '.join(slower), (
                ' Big has no such bottleneck, but each ping goes to a peer '
                'chosen at random, so at two threads about half of the '
                'messages go to an actor whose state was last touched on the '
                'other CPU. coactor at 2 workers keeps both CPUs busy (197% '
                'CPU, measured while writing this note) but spends about 2.8 '
                'times the CPU time per message of 1 worker; a perf profile '
                '(`perf record -e cpu-clock`) put a quarter of the samples in '
                "handing messages to the receivers' mailboxes and a quarter "
                "in the actors' own code, both touching state the other CPU "
                'had last.') if big else ''))
    wide = sorted((e['max'] / e['min'], key) for key, e in stats.items()
                  if e.get('runs', 0) > 1 and e.get('min') and
                  e['max'] / e['min'] > 3)
    if wide and not quick:
        most = max(e['runs'] for e in stats.values())
        listed = _listed(['%s on %s %dt (×%.1f)' % (key + (ratio,))
                          for ratio, key in reversed(wide)],
                         ' of the %d cells' % len(stats))
        out.append(
            '- **Wide spreads in this run** (fastest run more than 3× the '
            'slowest): %s. %sRead these cells with their range. On a shared '
            'machine, other work and where the host places the threads move '
            'single runs.' % (listed, (
                'The median of %d runs stands while at most %d of them are '
                'slow, not more. ' % (most, (most - 1) // 2)) if most >= 3
                else ''))
    short = sorted((e['min_seconds'], key) for key, e in stats.items()
                   if e.get('min_seconds') is not None and
                   e['min_seconds'] < min_seconds)
    if short and not quick:
        out.append(
            '- **Runs shorter than %.1f s**: %d of the %d cells had at least '
            'one counted run below it%s; the shortest: %s. The size table '
            'gives each cell\'s median run time.' % (
                min_seconds, len(short), len(stats),
                ' (the machine ran faster than while the size was chosen, '
                'or the size reached its cap%s)' % (
                    '; %s %s not repeat a run within its process' % (
                        _listed(list(not_repeating)),
                        'does' if len(not_repeating) == 1 else 'do')
                    if not_repeating else ''),
                _listed(['%s on %s %dt (%.2f s)' % (key + (seconds,))
                         for seconds, key in short])))
    if rate('fork_join_throughput', 'erlang', 1):
        out.append(
            '- **Erlang mailboxes that grow long**: the fork_join_throughput '
            'workers, the counting actor and the printer are spawned with '
            '`{message_queue_data, off_heap}`, as Erlang advises for '
            'processes whose senders never wait; with the default each '
            'garbage collection copied the backlog and fork_join_throughput '
            'ran about 60 times slower.')
    if rate('counter_printer', 'go', 1):
        out.append(
            '- **Go channels are bounded**: every mailbox is a channel with '
            'room for 1024 messages, so where one actor floods another '
            '(counter_printer, counting, fork_join_throughput) the sender '
            'waits for room where an actor system queues without bound; the '
            'messages counted are the same.')
    return out


def _repeated(entry):
    """' (×2)' or ' (×1–3)' for a cell whose runs repeated their workload."""
    low, high = entry.get('repetitions', [1, 1])
    if high <= 1:
        return ''
    return ' (×%d)' % low if low == high else ' (×%d–%d)' % (low, high)


def _cell(entry, note):
    if entry is None:
        return note
    if 'median' not in entry:
        return 'FAILED'
    cell = human(entry['median'])
    if entry['runs'] > 1:
        cell += ' (%s–%s)' % (human(entry['min']), human(entry['max']))
    if 'ratio_to_caf' in entry:
        cell += ' ×%.3g' % entry['ratio_to_caf']
    if not entry['ok']:
        cell += ' (some runs FAILED)'
    return cell


def markdown(meta, stats, series, workloads, catalog, missing, quick):
    """results.md. series: [(system, threads, label)]; catalog: workload ->
    {'unit', 'description', ...}; missing: (workload, system) -> note mark,
    with meta['missing_notes'] mark -> why."""
    suffix = ' — %s' % QUICK_NOTICE if quick else ''
    lines = ['# coactor vs CAF, Erlang, Go and Python: actor workloads', '']
    if quick:
        lines += ['**%s.** Every workload ran once at a small size (runs of '
                  'milliseconds) only to check that it runs and verifies its '
                  'result; no rate, ratio or memory figure below is a '
                  'measurement. Run without --quick to measure.' %
                  QUICK_NOTICE.capitalize(), '']
    m = meta['machine']
    lines.append('Machine: %d cores (%s), %s GiB, %s, kernel %s.' %
                 (m['cores'], m['cpu'], m['memory_gib'], m['os'],
                  m['kernel']))
    lines.append('')
    lines.append('Versions: %s.' % '; '.join(meta['versions']))
    lines.append('')
    lines.append('Command: `%s` (%s; %s; %s).' % (
        meta['command'], 'quick mode' if quick else 'full',
        '1 run per configuration' if meta['repetitions'] == 1 else
        '%d runs per configuration, median with the fastest and slowest '
        'run' % meta['repetitions'], meta['date']))
    lines.append('')
    lines.append('## How each system runs')
    lines.append('')
    lines += ['- **%s** — %s' % (name, text) for name, text in
              meta['system_notes']]
    lines.append('')
    lines.append('## Workloads')
    lines.append('')
    lines.append("In each line n is the workload's size. Each run verifies "
                 'its own result, so a lost or extra message fails it.')
    lines.append('')
    for workload in workloads:
        lines.append('- **%s** — %s' % (workload,
                                        catalog[workload]['description']))
    lines.append('')
    if quick:
        lines.append('Sizes: the quick sizes, one run each.')
    else:
        # Results written before runs repeated have no 'not_repeating'.
        repeated = 'not_repeating' in meta
        lines.append(
            'Sizes: runs long enough to measure. For each workload, system '
            "and thread count, compare starts from the workload's base size "
            'and grows it until one run takes at least %.2f s (%.1f s with '
            'a margin; that calibration run is not counted), unless the size '
            'reaches its cap (memory). Each configuration then runs %d '
            'times, round-robin over all configurations, each run in its own '
            'process%s A table below gives the size used%s; the notes list '
            'every counted run that was shorter than '
            '%.1f s.' % (
                1.25 * meta['min_seconds'], meta['min_seconds'],
                meta['repetitions'],
                '; each run lasts at least %.1f s: it repeats its workload '
                'within its process (a fresh scheduler or actor system each '
                'time, each repetition verified) until the repetitions '
                'together have run that long, for when the machine runs '
                'faster than while the size was chosen or the size reached '
                "its cap. A run's rate is its total items over its total "
                'seconds, its peak RSS the peak over all its repetitions.' %
                meta['min_seconds'] if repeated else '.',
                ', the median run time and, where runs repeated, how often'
                if repeated else ' and the median run time',
                meta['min_seconds']))
    lines.append('')
    header = '| workload | ' + ' | '.join(s[2] for s in series) + ' |'
    rule = '|---|' + '---:|' * len(series)

    def table(title, cell):
        lines.append('## %s%s' % (title, suffix))
        lines.append('')
        lines.append(header)
        lines.append(rule)
        for workload in workloads:
            cells = []
            for system, threads, _ in series:
                entry = stats.get((workload, system, threads))
                mark = missing.get((workload, system), '—')
                cells.append(cell(entry, mark))
            lines.append('| %s (%s) | %s |' % (
                workload, catalog[workload]['unit'], ' | '.join(cells)))
        lines.append('')

    table('Throughput: items per second%s%s' % (
        ', median (fastest–slowest run)' if meta['repetitions'] > 1 else
        ' (one run each)',
        ' × CAF at the same thread count' if any(
            'ratio_to_caf' in e for e in stats.values()) else ''), _cell)
    table('Size and median run time%s' % (
        '' if quick else ' (×N: repetitions within a run)'),
          lambda e, mark: mark if e is None else (
              'FAILED' if 'median' not in e else
              'n = %s, %.2f s%s' % (human(e['size']), e['seconds'],
                                    _repeated(e))))
    table('Peak RSS per run (MiB)',
          lambda e, mark: mark if e is None else (
              '—' if 'peak_rss_kib' not in e else
              '%.1f' % (e['peak_rss_kib'] / 1024)))
    notes = meta.get('missing_notes', {})
    if notes:
        lines += ['%s %s' % (mark, why) for mark, why in sorted(notes.items())]
        lines.append('')
    idle = [(s, stats.get(('idle_actor_memory', s[0], s[1]))) for s in series]
    idle = [(s, e) for s, e in idle if e and 'bytes_per_actor' in e]
    if idle:
        lines.append('## Memory per idle actor (RSS growth / actors spawned)%s'
                     % suffix)
        lines.append('')
        lines.append('| system | bytes per idle actor | × CAF |')
        lines.append('|---|---:|---:|')
        for s, entry in idle:
            ratio = entry.get('bytes_ratio_to_caf')
            lines.append('| %s | %.0f | %s |' % (
                s[2], entry['bytes_per_actor'],
                '%.2f' % ratio if ratio is not None else '—'))
        lines.append('')
    # Goals are judged on measurements only: quick mode prints none.
    checks = [] if quick else targets(stats)
    if checks:
        lines.append("## coactor's own goals (the ratios it aims for)")
        lines.append('')
        lines.append('| ratio | measured | goal | met |')
        lines.append('|---|---:|---:|---|')
        for what, value, goal, met in checks:
            lines.append('| %s | %.3g× | %s | %s |' %
                         (what, value, goal, 'yes' if met else '**no**'))
        lines.append('')
    # A series' label is its system's name and its thread count ("CAF 2t").
    names = {system: label.rsplit(' ', 1)[0] for system, _, label in series}
    remarks = doubts(stats, workloads, quick, meta.get('min_seconds', 0.3),
                     meta.get('not_repeating', ()), names)
    if remarks:
        lines.append('## Results that invite doubt: what is known')
        lines.append('')
        lines += remarks
        lines.append('')
    failed = [e for e in stats.values() if not e['ok']]
    if failed:
        lines.append('**%d configuration(s) had failed runs** (see '
                     'results.json for the errors).' % len(failed))
    else:
        lines.append('Every run verified its own result.')
    lines.append('')
    return '\n'.join(lines)
