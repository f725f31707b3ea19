# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The listener probe module (playbooks/listener_probe.yml) against the test listeners of
tests/listeners/listeners.py on 127.0.0.1 (issue 22): 100 distinct URLs of which 10 never
answer, with ``timeout: 2``, must take the task at most 2 timeouts, as the hung probes
share the 16 workers; and 1,000 numbers sharing 3 URLs must make 3 probes, counted by the
listener itself."""

from __future__ import annotations

import json
import os
import re
import statistics

from harness import PLAYBOOKS, BenchmarkError, Result, emulator_client, log, run_tree

NUMBER = 8
TITLE = 'listener probes: hung listeners share the workers; numbers sharing URLs share probes'
SCALE = {'runs': (1, 3)}
URLS, SILENT, TIMEOUT = 100, 10, 2
NUMBERS, SHARED_URLS = 1000, 3
TARGET = 2.0
_REPORT = re.compile(r'BENCH task_seconds=(\S+) listeners=(\d+) numbers=(\d+) timeouts=(\d+) other_problems=(\d+)')


def run(context):
    from ansible_collections.dialogtech.api.tests.listeners.listeners import Listeners
    runs = context.scale(SCALE).runs
    listeners_dir = context.workdir / 'listeners'
    listeners_dir.mkdir()
    listeners = Listeners(str(listeners_dir), silent_count=SILENT)
    playbooks = context.playbooks()
    try:
        return [_hung_listeners(context, playbooks, listeners, runs), _shared_urls(context, playbooks, listeners)]
    finally:
        listeners.stop()


def _play(context, playbooks, env, extra):
    """Run the play once; return its BENCH line's figures."""
    output = context.workdir / ('listener-probe-%d.log' % len(list(context.workdir.glob('listener-probe-*.log'))))
    command = [str(playbooks.bin / 'ansible-playbook'), str(PLAYBOOKS / 'listener_probe.yml')]
    for argument in extra:
        command += ['-e', argument]
    status, wall, cpu = run_tree(command, output, env, context.workdir, time_limit=300)
    text = output.read_text()
    match = _REPORT.search(text)
    if status != 0 or not match:
        raise BenchmarkError('listener_probe.yml failed (exit %s):\n%s' % (status, text[-2000:]))
    seconds, listeners, numbers, timeouts, others = match.groups()
    return float(seconds), int(listeners), int(numbers), int(timeouts), int(others), wall


def _hung_listeners(context, playbooks, listeners, runs):
    """The task with 10 hung listeners, interleaved with the same task where all 100 answer:
    the difference is what the hung ones cost."""
    answering = ['http://127.0.0.1:%d/ok?listener=%d' % (listeners.http.port, index) for index in range(URLS)]
    hung = answering[:URLS - SILENT] + ['http://127.0.0.1:%d/?listener=%d' % (silent.port, index)
                                        for index, silent in enumerate(listeners.silent)]
    # The hung ones spread over the list, as they would be in an account.
    variants = {'10 hung': hung[::2] + hung[1::2], 'all answer': answering, 'ping': None}
    expected = {'10 hung': (URLS, SILENT, 0), 'all answer': (URLS, 0, 0), 'ping': (0, 0, 0)}
    extra = {'ping': ['bench_floor=true']}
    for name, urls in variants.items():
        if urls is not None:
            urls_file = context.workdir / ('listener-urls-%s.json' % name.replace(' ', '-'))
            urls_file.write_text(json.dumps(urls))
            extra[name] = ['bench_urls_file=%s' % urls_file, 'bench_timeout=%d' % TIMEOUT]
    seconds = {name: [] for name in variants}
    for round_number in range(runs):
        for name in (list(variants) if round_number % 2 == 0 else list(variants)[::-1]):
            task, found, _numbers, timeouts, others, _wall = _play(context, playbooks, playbooks.env, extra[name])
            if (found, timeouts, others) != expected[name]:
                raise BenchmarkError('%s: expected (listeners, timeouts, other problems) %s, got %s'
                                     % (name, expected[name], (found, timeouts, others)))
            seconds[name].append(task)
        log('    round %d: %s' % (round_number + 1, ', '.join(
            '%s: task %.2f s' % (name, values[-1]) for name, values in seconds.items())))
    with_hung, without, floor = (statistics.median(seconds[name]) for name in variants)
    return Result(NUMBER, '%d distinct URLs, %d never answer, timeout %d s: task wall time / timeout'
                  % (URLS, SILENT, TIMEOUT), with_hung / TIMEOUT, TARGET, 'lower',
                  'task median %.2f s (min %.2f s) over %d run(s), 16 workers; the same task with all %d answering '
                  'median %.2f s, so the %d hung listeners (%d s of probe time in all) cost %.2fx the timeout; '
                  'an ansible.builtin.ping task in the same play %.2f s; load average %.1f'
                  % (with_hung, min(seconds['10 hung']), runs, URLS, without, SILENT, SILENT * TIMEOUT,
                     (with_hung - without) / TIMEOUT, floor, os.getloadavg()[0]),
                  judged=not context.quick)


def _shared_urls(context, playbooks, listeners):
    urls = ['http://127.0.0.1:%d/ok?shared=%d' % (listeners.http.port, index) for index in range(SHARED_URLS)]
    data = context.workdir / 'shared-urls-account.json'
    data.write_text(json.dumps({'accounts': [{
        'access_key': 'bench-shared-urls', 'secret_access_key': 'bench-shared-urls-secret',
        'numbers': [{'number': '%010d' % (5550000000 + index), 'sms_enabled': True, 'url': urls[index % SHARED_URLS]}
                    for index in range(NUMBERS)]}]}))
    emulator = emulator_client.Emulator(data)
    try:
        before = sum(count for request, count in listeners.http.counts.items() if 'shared=' in request)
        env = dict(playbooks.env, DIALOGTECH_API_URL=emulator.url, DIALOGTECH_ACCESS_KEY='bench-shared-urls',
                   DIALOGTECH_SECRET_ACCESS_KEY='bench-shared-urls-secret')
        task, found, numbers, _timeouts, others, _wall = _play(context, playbooks, env, [])
    finally:
        emulator.stop()
    probes = sum(count for request, count in listeners.http.counts.items() if 'shared=' in request) - before
    if (found, numbers, others) != (SHARED_URLS, NUMBERS, 0):
        raise BenchmarkError('expected %d listeners for %d numbers and no problem, got %d for %d and %d problem(s)'
                             % (SHARED_URLS, NUMBERS, found, numbers, others))
    log('    %d numbers, %d URLs: %d requests at the listener, task %.2f s' % (NUMBERS, SHARED_URLS, probes, task))
    return Result(NUMBER, '%d numbers sharing %d URLs: requests the listener got' % (NUMBERS, SHARED_URLS),
                  probes, SHARED_URLS, 'lower', 'counted by the listener; the module reported %d listeners for %d '
                  'numbers, task %.2f s' % (found, numbers, task), unit=' requests')
