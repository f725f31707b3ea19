# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse time and peak memory of ResponseParser against a bare ElementTree parse.

ResponseParser is fed the emulator's rendering of a generated account in CHUNK_BYTES
pieces, as fetch_numbers feeds it from requests; the baseline parses the same bytes with
``ET.fromstring`` and a list comprehension.  Both must give the same records.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from harness import BenchmarkError, Result, best_time, dialogtech_emulator, log, peak_memory

NUMBER = 1
TITLE = 'parse time and memory vs bare ElementTree'
# The targets are judged on the largest size; the smaller ones show the fixed cost.
SCALE = {'sizes': ((10, 1000, 10000), (10, 1000, 10000, 100000)),
         'repeat': (2, 5), 'min_seconds': (0.02, 0.2)}
TIME_TARGET = 1.1
MEMORY_TARGET = 3.0


def body_of(count):
    """The emulator's rendering of a generated account: the vendor's layout, https URLs."""
    return dialogtech_emulator.render_numbers(dialogtech_emulator.numbers_of({'generate': {'count': count}}))


def parse_ours(body):
    from ansible_collections.dialogtech.api.plugins.module_utils._response import ResponseParser
    from ansible_collections.dialogtech.api.plugins.module_utils._transport import CHUNK_BYTES
    parser = ResponseParser()
    for offset in range(0, len(body), CHUNK_BYTES):
        parser.feed(body[offset:offset + CHUNK_BYTES])
    return parser.close().numbers


def parse_bare(body):
    root = ET.fromstring(body)
    return [(element.text, element.get('sms_enabled') == '1', element.get('url')) for element in root.iter('number')]


def measure(context, sizes):
    """One row of timings per size in ``sizes``, each measured once per run: benchmark 5
    reads the rows of this one and adds sizes of its own (all in the JSON's parse_rows)."""
    rows = context.records.setdefault('parse_rows', [])
    scale = context.scale(SCALE)
    for count in sorted(set(sizes) - {row['numbers'] for row in rows}):
        rows.append(measure_size(count, scale))
    rows.sort(key=lambda row: row['numbers'])
    return [row for row in rows if row['numbers'] in sizes]


def measure_size(count, scale):
    body = body_of(count)
    ours, bare = parse_ours(body), parse_bare(body)
    if len(ours) != count or [tuple(number) for number in ours] != bare:
        raise BenchmarkError('parse of %d numbers: ResponseParser and ElementTree disagree' % count)
    del ours, bare
    # Interleaved, so that a noisy stretch hits both.
    ours_times, bare_times = [], []
    for dummy in range(scale.repeat):
        ours_times.append(best_time(parse_ours, body, 1, scale.min_seconds))
        bare_times.append(best_time(parse_bare, body, 1, scale.min_seconds))
    row = {'numbers': count, 'body_bytes': len(body),
           'ours_seconds': min(ours_times), 'bare_seconds': min(bare_times),
           'ours_peak_bytes': peak_memory(parse_ours, body), 'bare_peak_bytes': peak_memory(parse_bare, body)}
    row['time_ratio'] = row['ours_seconds'] / row['bare_seconds']
    row['memory_ratio'] = row['ours_peak_bytes'] / float(len(body))
    log('    %8d numbers, %11s bytes: ours %9.3f ms, bare %9.3f ms (%.2fx); peak %6.2fx body (bare %.2fx)'
        % (count, format(len(body), ','), row['ours_seconds'] * 1e3, row['bare_seconds'] * 1e3,
           row['time_ratio'], row['memory_ratio'], row['bare_peak_bytes'] / float(len(body))))
    return row


def run(context):
    scale = context.scale(SCALE)
    rows = measure(context, scale.sizes)
    largest = rows[-1]
    results = [Result(
        NUMBER, 'parse time vs ElementTree, %s numbers' % format(row['numbers'], ','), row['time_ratio'],
        TIME_TARGET, 'lower', 'ours %.3f ms, bare %.3f ms (min of %d)'
        % (row['ours_seconds'] * 1e3, row['bare_seconds'] * 1e3, scale.repeat),
        judged=row is largest and not context.quick,
        unjudged='not judged (--quick)' if context.quick else 'for information: the target is for the largest')
        for row in rows]
    results.append(Result(
        NUMBER, 'parse peak memory / body size, %s numbers' % format(largest['numbers'], ','), largest['memory_ratio'],
        MEMORY_TARGET, 'lower', 'peak %.1f MiB for a %.1f MiB body (bare ElementTree: %.2fx)'
        % (largest['ours_peak_bytes'] / 2.0 ** 20, largest['body_bytes'] / 2.0 ** 20,
           largest['bare_peak_bytes'] / float(largest['body_bytes'])),
        judged=not context.quick))
    return results
