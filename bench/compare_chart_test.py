#!/usr/bin/python3
"""compare_chart: every series has a colour of its own, and the chart stays
readable in grey-scale print.

For the series a comparison draws (coactor deque, coactor stealing, CAF,
Erlang, Go and Python at 1, 2 and, on more cores, 4 threads, with and
without runners named with --runner): any two series differ by at least
20 in CIELAB (CIE76 distance; 2.3 is a just noticeable difference); in
grey-scale, two systems differ by hatching and two thread counts of one
system by at least 15 in lightness (L*), and hatching is at least 40 from
its bar in lightness. Then draws a chart and checks
that both files are written, that quick mode's notice is on it and that a
configuration whose runs all failed leaves a gap.

Runs with Debian's python3, which has python3-matplotlib.
"""

import itertools
import math
import os
import sys
import tempfile

from matplotlib.colors import to_rgb

# Beside this file, or (under bazel test) in the runfiles tree.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.environ.get('TEST_SRCDIR', '/nonexistent'),
                                'coactor', 'bench'))
import compare_chart  # noqa: E402 (after the path is set)

SYSTEMS = ('coactor-deque', 'coactor-stealing', 'caf', 'erlang', 'go',
           'python')
ONE_THREAD = ('coactor-deque', 'python')


def lab(rgb):
    """CIELAB (D65) of an sRGB triple in [0, 1]."""
    def linear(u):
        return u / 12.92 if u <= 0.04045 else ((u + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(u) for u in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t):
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116
    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def series_of(threads, runners=()):
    out = []
    for system in SYSTEMS + tuple(runners):
        counts = [1] if system in ONE_THREAD else threads
        out += [(system, t, '%s %dt' % (system, t)) for t in counts]
    return out


def check(series):
    """The failures for `series`, as strings."""
    style = compare_chart.styles(series)
    failures = []
    keys = [(s, t) for s, t, _ in series]
    if sorted(style) != sorted(keys):
        failures.append('styles() gave %s for %s' % (sorted(style), keys))
        return failures
    for key in keys:
        colour, hatch, edge = style[key]
        contrast = abs(lab(colour)[0] - lab(to_rgb(edge))[0])
        if hatch and contrast < 40:
            failures.append('%s: hatching %.1f from its bar in lightness '
                            '(< 40)' % (key, contrast))
    for a, b in itertools.combinations(keys, 2):
        (colour_a, hatch_a, _), (colour_b, hatch_b, _) = style[a], style[b]
        lab_a, lab_b = lab(colour_a), lab(colour_b)
        distance = math.dist(lab_a, lab_b)
        if distance < 20:
            failures.append('%s and %s: colours %.1f apart (< 20)' %
                            (a, b, distance))
        if a[0] != b[0] and hatch_a == hatch_b:
            failures.append('%s and %s: the same hatching %r' %
                            (a, b, hatch_a))
        if a[0] == b[0] and abs(lab_a[0] - lab_b[0]) < 15:
            failures.append('%s and %s: lightness %.1f apart (< 15)' %
                            (a, b, abs(lab_a[0] - lab_b[0])))
    return failures


def main():
    failures = []
    cases = {
        '2 cores': series_of([1, 2]),
        '4 cores': series_of([1, 2, 4]),
        '2 cores and a runner at 1 and 2': series_of([1, 2], ['mine']),
        '4 cores and two runners': series_of([1, 2, 4],
                                             ['mine deque', 'mine']),
    }
    for name, series in cases.items():
        failures += ['%s: %s' % (name, f) for f in check(series)]

    # A chart, in quick mode, written as PNG and SVG.
    series = series_of([1, 2])
    stats = {('ping_pong', s, t): {'median': 1e6 * (i + 1), 'min': 9e5 *
                                   (i + 1), 'max': 1.2e6 * (i + 1)}
             for i, (s, t, _) in enumerate(series)}
    # A configuration whose runs all failed has no figures, and no bar.
    stats[('ping_pong', 'go', 2)] = {'ok': False, 'error': 'timed out'}
    notice = 'quick: the rates are not measurements'
    with tempfile.TemporaryDirectory() as out:
        names = compare_chart.draw(out, 'title', 'subtitle', notice,
                                   ['ping_pong'], {'ping_pong': 'msgs'},
                                   series, stats)
        if names != ['chart.png', 'chart.svg']:
            failures.append('draw() wrote %s' % names)
        with open(os.path.join(out, 'chart.png'), 'rb') as f:
            if f.read(4) != b'\x89PNG':
                failures.append('chart.png is no PNG')
        with open(os.path.join(out, 'chart.svg')) as f:
            svg = f.read()
        if '<svg' not in svg or '>%s<' % notice not in svg:
            failures.append('chart.svg lacks the quick notice')

    for failure in failures:
        print('FAIL: ' + failure)
    if failures:
        return 1
    print('PASS: %d series layouts, every pair of series apart in colour '
          'and in grey-scale; a chart drawn' % len(cases))
    return 0


if __name__ == '__main__':
    sys.exit(main())
