# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lookup at fleet scale (playbooks/fleet.yml): one API request per run however many
hosts ask, and what it adds per host against the same play without it."""

from __future__ import annotations

from harness import ROOT, BenchmarkError, Result, compare, cpu_note, ratio, require, summary

NUMBER = 3
TITLE = 'lookup at fleet scale'
SCALE = {'hosts': (20, 200), 'forks': (5, 20), 'runs': (1, 3)}
ACCOUNT = 1000
TARGET = 1.2


def run(context):
    scale = context.scale(SCALE)
    require(ROOT / 'plugins' / 'lookup' / 'dialogtech_sms_numbers.py', 'the lookup plugin')
    playbooks = context.playbooks(ACCOUNT)
    # 'floor': a trivial lookup of another collection (ansible.utils.get_path) in ours' place.
    variants = {name: (lambda choice=choice: playbooks.run('fleet.yml', ACCOUNT, scale.hosts, scale.forks,
                                                           ['bench_lookup=' + choice]))
                for name, choice in (('lookup', 'dialogtech'), ('no lookup', 'none'),
                                     ('ansible.utils lookup', 'floor'))}
    variants['lookup']()  # untimed: warms caches and proves the play passes
    times, requests, cpu = compare(playbooks, scale.runs, variants)
    made = sorted(set(requests['lookup']))
    if min(made) < 1:
        raise BenchmarkError('a lookup run made no API request: the play did not use the lookup')
    # Judged at every scale: it is a count, not a timing.
    results = [Result(NUMBER, 'API requests per run, %d hosts, forks %d (most in any run)' % (scale.hosts, scale.forks),
                      max(made), 1, 'lower', 'requests counted at the emulator in each of %d lookup runs: %s'
                      % (len(requests['lookup']), ', '.join(str(n) for n in requests['lookup'])), unit=' requests')]
    results.append(Result(NUMBER, 'play with lookup per host vs the same play without, %d hosts, forks %d'
                          % (scale.hosts, scale.forks),
                          ratio(times, 'lookup', 'no lookup'), TARGET, 'lower',
                          '%s; median of %d interleaved runs; %s; for reference, a trivial lookup of another '
                          'collection (ansible.utils.get_path) in its place: %.2fx'
                          % (summary(times, cpu), scale.runs, cpu_note(cpu, 'lookup', 'no lookup'),
                             ratio(times, 'ansible.utils lookup', 'no lookup')),
                          judged=not context.quick))
    return results
