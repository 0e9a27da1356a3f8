"""The comparison's chart, drawn with matplotlib: chart.png and chart.svg.

Grouped bars of items per second per workload on a log scale, one bar per
series (a system at a thread count), the median with an error bar from the
fastest to the slowest run. Every system has its own hue and its own
hatching; its thread counts are tones of that hue, each 22 lighter or
darker (CIE L*) than the next, with the same hatching, in the same order in
every group. So every series has a colour of its own (for the usual
series, at least 20 apart in CIELAB; compare_chart_test checks it), and in
grey-scale print systems differ by hatching and one system's thread counts
by lightness. In quick mode the chart's first line says its rates are not
measurements.
"""

import os

import matplotlib

matplotlib.use('Agg')  # No display: files only.
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

# One hue per system, in column order: coactor deque, coactor stealing, CAF,
# Erlang, Go, Python, then runners named with --runner. From Okabe & Ito's
# and Paul Tol's colour-blind-safe palettes, picked so that no two series'
# colours come close (Go's light blue once sat beside coactor stealing's
# lighter blue); a system beyond these reuses them in order, with other
# hatching.
PALETTE = ['#009E73', '#0072B2', '#E69F00', '#CC79A7', '#661100', '#D55E00',
           '#F0E442', '#332288', '#999933', '#44AA99']
HATCHES = ['', '///', '\\\\\\', 'xxx', '...', 'ooo', '---', '+++', '|||',
           '**']
# A system's thread counts differ in lightness (CIE L*, 0-100) by this much,
# so that they stay apart in grey-scale too.
LIGHTNESS_STEP = 22
# Outlines and hatching: black on light bars, white on dark ones (at least
# 50 apart in L* from the bar).
DARK_EDGE, LIGHT_EDGE = '#000000', '#ffffff'


def _lightness(rgb):
    """CIE L* of an sRGB triple in [0, 1]."""
    def linear(u):
        return u / 12.92 if u <= 0.04045 else ((u + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(u) for u in rgb)
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 116 * y ** (1 / 3) - 16 if y > 0.008856 else 903.3 * y


def _mix(rgb, fraction):
    """rgb mixed with white (fraction > 0) or black (fraction < 0)."""
    if fraction >= 0:
        return tuple(c + (1 - c) * fraction for c in rgb)
    return tuple(c * (1 + fraction) for c in rgb)


def _tones(color, count):
    """`count` tones of `color`, LIGHTNESS_STEP apart in L*: the colour,
    then lighter and darker ones (only lighter for a dark colour, only
    darker for a light one)."""
    rgb = matplotlib.colors.to_rgb(color)
    base, step = _lightness(rgb), LIGHTNESS_STEP
    if base > 100 - 1.6 * step:
        offsets = [-step * k for k in range(count)]
    elif base < 1.6 * step:
        offsets = [step * k for k in range(count)]
    else:
        offsets = [0] + [step * ((k + 1) // 2) * (1 if k % 2 else -1)
                         for k in range(1, count)]
    tones = []
    for offset in offsets:
        target = max(3.0, min(97.0, base + offset))
        low, high = -1.0, 1.0  # Bisect the mix for the target lightness.
        for _ in range(30):
            middle = (low + high) / 2
            if _lightness(_mix(rgb, middle)) < target:
                low = middle
            else:
                high = middle
        tones.append(_mix(rgb, (low + high) / 2))
    return tones


def styles(series):
    """{(system, threads): (rgb, hatch, edge)} for series [(system,
    threads, _)]: a hue and hatching per system (in order of first
    appearance), a tone of the hue per thread count, in the order given, and
    the colour of the bar's outline and hatching: dark, or light on a dark
    tone, so that the hatching shows."""
    systems = []
    for system, _, _ in series:
        if system not in systems:
            systems.append(system)
    style = {}
    for index, system in enumerate(systems):
        mine = [s for s in series if s[0] == system]
        hatch = HATCHES[index % len(HATCHES)]
        if index >= len(PALETTE):  # Reused hues: shift the hatching.
            hatch = HATCHES[(index + 3) % len(HATCHES)]
        tones = _tones(PALETTE[index % len(PALETTE)], len(mine))
        for tone, (_, threads, _) in zip(tones, mine):
            edge = DARK_EDGE if _lightness(tone) >= 50 else LIGHT_EDGE
            style[(system, threads)] = (tone, hatch, edge)
    return style


def draw(out_dir, title, subtitle, quick_notice, workloads, units, series,
         stats):
    """Writes out_dir/chart.png and out_dir/chart.svg.

    series: [(system, threads, label)] in bar order; stats maps (workload,
    system, threads) to {'median', 'min', 'max'} items per second, or to an
    entry without them when every run failed (no bar).
    Returns the file names written.
    """
    matplotlib.rcParams['svg.fonttype'] = 'none'  # Text stays text in SVG.
    # The same figures, the same files: fixed SVG ids, no date inside.
    matplotlib.rcParams['svg.hashsalt'] = 'coactor compare'
    style = styles(series)
    width = max(10.0, 1.1 + 0.19 * len(series) * len(workloads))
    fig, ax = plt.subplots(figsize=(width, 6.8))
    bar = 0.84 / max(1, len(series))
    for i, (system, threads, label) in enumerate(series):
        xs, ys, low, high = [], [], [], []
        for g, workload in enumerate(workloads):
            entry = stats.get((workload, system, threads))
            if not entry or 'median' not in entry:
                continue  # Not run, or every run failed (the report says).
            xs.append(g - 0.42 + bar * (i + 0.5))
            ys.append(entry['median'])
            low.append(entry['median'] - entry['min'])
            high.append(entry['max'] - entry['median'])
        color, hatch, edge = style[(system, threads)]
        ax.bar(xs, ys, bar, label=label, color=color, hatch=hatch,
               edgecolor=edge, linewidth=0.5,
               yerr=[low, high], error_kw={'elinewidth': 0.8, 'capsize': 1.5,
                                           'ecolor': '#000000'})
    ax.set_yscale('log')
    ax.set_ylabel('items per second (log scale; higher is better)')
    ax.set_xticks(range(len(workloads)))
    ax.set_xticklabels(['%s\n(%s/s)' % (w, units[w]) for w in workloads],
                       rotation=30, ha='right', fontsize=9)
    ax.set_xlim(-0.6, len(workloads) - 0.4)
    ax.grid(axis='y', which='major', color='#cccccc', linewidth=0.6)
    ax.set_axisbelow(True)
    ax.legend(ncol=min(6, len(series)), fontsize=8, loc='upper center',
              bbox_to_anchor=(0.5, -0.28), frameon=False)
    heading = title + '\n' + subtitle
    if quick_notice:
        fig.suptitle(quick_notice, color='#b71c1c', fontweight='bold',
                     fontsize=13)
        ax.set_title(heading, fontsize=10)
    else:
        ax.set_title(heading, fontsize=10)
    fig.tight_layout()
    names = []
    for ext in ('png', 'svg'):
        name = 'chart.' + ext
        fig.savefig(os.path.join(out_dir, name), dpi=110,
                    metadata={'Date': None} if ext == 'svg' else None)
        names.append(name)
    plt.close(fig)
    return names
