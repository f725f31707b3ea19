# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How parse time and peak memory grow with the account's size: linearly, or faster.

Uses benchmark 1's measurements (scenarios/parse.py), at more sizes.
"""

from __future__ import annotations

from harness import Result, log, plot

from scenarios import parse

NUMBER = 5
TITLE = 'cost growth with account size'
SCALE = {'sizes': ((10, 100, 1000, 10000, 20000), (10, 100, 1000, 10000, 30000, 100000, 200000))}
TARGET = 1.5


def marginal_costs(rows, key):
    """Cost of one more number between consecutive sizes of 1,000 and up: constant when
    cost grows linearly, rising with size when it grows faster (quadratically: in
    proportion to the size)."""
    steps = [row for row in rows if row['numbers'] >= 1000]
    return [((low['numbers'], high['numbers']), (high[key] - low[key]) / float(high['numbers'] - low['numbers']))
            for low, high in zip(steps, steps[1:])]


def run(context):
    rows = parse.measure(context, context.scale(SCALE).sizes)
    log('    numbers | body bytes | parse ms | us/number | peak bytes | peak bytes/number | peak/body')
    for row in rows:
        log('    %7d | %10d | %8.2f | %9.3f | %10d | %17.1f | %9.2f'
            % (row['numbers'], row['body_bytes'], row['ours_seconds'] * 1e3, row['ours_seconds'] * 1e6 / row['numbers'],
               row['ours_peak_bytes'], row['ours_peak_bytes'] / float(row['numbers']), row['memory_ratio']))
    results = []
    for key, what, scale, unit in (('ours_seconds', 'parse time', 1e6, 'us'), ('ours_peak_bytes', 'peak memory', 1, 'bytes')):
        steps = marginal_costs(rows, key)
        (first, first_cost), (last, last_cost) = steps[0], steps[-1]
        # Linear growth: the last step's cost per added number is about the first's
        # (noise aside); quadratic growth would make it (last sizes / first sizes) times higher.
        results.append(Result(
            NUMBER, '%s per added number, %s-%s vs %s-%s numbers (1.0 = linear)'
            % (what, format(last[0], ','), format(last[1], ','), format(first[0], ','), format(first[1], ',')),
            last_cost / first_cost, TARGET, 'lower',
            'marginal cost per number at each step: %s'
            % ', '.join('%s-%s: %.2f %s' % (format(low, ','), format(high, ','), cost * scale, unit)
                        for (low, high), cost in steps),
            judged=not context.quick))
    if context.plot:
        counts = [row['numbers'] for row in rows]
        plot(context.plot, 'dialogtech.api: parse cost against account size', [
            ('numbers in the account', 'parse time (ms)', [
                ('ResponseParser', 'o-', counts, [row['ours_seconds'] * 1e3 for row in rows]),
                ('ET.fromstring + list', 's--', counts, [row['bare_seconds'] * 1e3 for row in rows])]),
            ('numbers in the account', 'MiB (tracemalloc)', [
                ('ResponseParser peak', 'o-', counts, [row['ours_peak_bytes'] / 2.0 ** 20 for row in rows]),
                ('ET.fromstring + list peak', 's--', counts, [row['bare_peak_bytes'] / 2.0 ** 20 for row in rows]),
                ('body size', ':', counts, [row['body_bytes'] / 2.0 ** 20 for row in rows])])])
    return results
