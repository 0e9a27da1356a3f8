"""The comparison's chart, drawn with matplotlib: chart.png and chart.svg.

Grouped bars of items per second per workload on a log scale, one bar per
series (a system at a thread count), the median with an error bar from the
fastest to the slowest run. Every system has its own colour and its own
hatching, so the series stay apart in grey-scale print; the thread counts
of one system are lighter shades of its colour with the same hatching, in
the same order in every group. In quick mode the chart's first line says its
rates are not measurements.
"""

import os

import matplotlib

matplotlib.use('Agg')  # No display: files only.
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)

# Okabe & Ito's colour-blind-safe palette, then hatchings that differ in
# grey-scale; a system beyond these reuses them in order.
PALETTE = ['#009E73', '#0072B2', '#E69F00', '#CC79A7', '#56B4E9', '#D55E00',
           '#F0E442', '#000000']
HATCHES = ['', '///', '\\\\\\', 'xxx', '...', 'ooo', '---', '+++']


def _shade(color, fraction):
    """`color` mixed with white: fraction 0 is the colour, 1 is white."""
    rgb = matplotlib.colors.to_rgb(color)
    return tuple(c + (1 - c) * fraction for c in rgb)


def draw(out_dir, title, subtitle, quick_notice, workloads, units, series,
         stats):
    """Writes out_dir/chart.png and out_dir/chart.svg.

    series: [(system, threads, label)] in bar order; stats maps (workload,
    system, threads) to {'median', 'min', 'max'} items per second.
    Returns the file names written.
    """
    matplotlib.rcParams['svg.fonttype'] = 'none'  # Text stays text in SVG.
    systems = []
    for system, _, _ in series:
        if system not in systems:
            systems.append(system)
    style = {}
    for index, system in enumerate(systems):
        mine = [s for s in series if s[0] == system]
        for shade, (_, threads, _) in enumerate(mine):
            style[(system, threads)] = (
                _shade(PALETTE[index % len(PALETTE)], 0.38 * shade),
                HATCHES[index % len(HATCHES)])
    width = max(10.0, 1.1 + 0.19 * len(series) * len(workloads))
    fig, ax = plt.subplots(figsize=(width, 6.8))
    bar = 0.84 / max(1, len(series))
    for i, (system, threads, label) in enumerate(series):
        xs, ys, low, high = [], [], [], []
        for g, workload in enumerate(workloads):
            entry = stats.get((workload, system, threads))
            if not entry:
                continue
            xs.append(g - 0.42 + bar * (i + 0.5))
            ys.append(entry['median'])
            low.append(entry['median'] - entry['min'])
            high.append(entry['max'] - entry['median'])
        color, hatch = style[(system, threads)]
        ax.bar(xs, ys, bar, label=label, color=color, hatch=hatch,
               edgecolor='#222222', linewidth=0.5,
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
        fig.savefig(os.path.join(out_dir, name), dpi=110)
        names.append(name)
    plt.close(fig)
    return names
