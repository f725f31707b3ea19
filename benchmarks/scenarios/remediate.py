# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One dialogtech_sms_number task with every number against a loop of single-number
tasks over the same wanted list, of which CHANGED numbers differ from the account.  The
task must read once, write each differing number and read back once, as the requests it
makes show."""

from __future__ import annotations

import functools
import json
import statistics

from harness import ROOT, BenchmarkError, bounded_loop, log, require

NUMBER = 6
TITLE = 'one dialogtech_sms_number task vs a loop'
SCALE = {'numbers': (100, 1000), 'runs': (1, 3)}
ACCOUNT = 1000
CHANGED = 10
TARGET = 20.0


def run(context):
    scale = context.scale(SCALE)
    count = scale.numbers
    require(ROOT / 'plugins' / 'modules' / 'dialogtech_sms_number.py', 'the dialogtech_sms_number module')
    playbooks = context.playbooks(ACCOUNT)
    step = count // CHANGED
    wanted = context.workdir / ('wanted-%d.json' % count)
    wanted.write_text(json.dumps({'sms_wanted': [
        {'number': '%010d' % (5550000000 + i),
         'url': 'https://sms.example.com/%s/%d' % ('moved' if i % step == 0 else 'listener', 5550000000 + i)}
        for i in range(count)]}))
    expected = 1 + CHANGED + 1
    # Playbooks.run resets the emulator, which restores the account, before every run.
    run_task = functools.partial(playbooks.run, 'remediate.yml', ACCOUNT, extra=['@%s' % wanted])
    run_task()  # untimed: warms caches
    times = []
    for dummy in range(scale.runs):
        elapsed, made = run_task()
        times.append(elapsed)
        if made != expected:
            raise BenchmarkError('the numbers task made %d API requests, expected %d' % (made, expected))
    task = statistics.median(times)
    log('    numbers task: median %.2f s (min %.2f s) of %d runs, %d API requests each'
        % (task, min(times), len(times), expected))
    return [bounded_loop(context, playbooks, NUMBER, 'loop of %s single-number tasks vs one numbers task, %d differing, '
                         'account of %s' % (format(count, ','), CHANGED, format(ACCOUNT, ',')),
                         ('remediate_loop.yml', ACCOUNT, ['@%s' % wanted]), count, ('numbers task', task), TARGET)]
