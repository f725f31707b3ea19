# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dialogtech.api.sms_numbers event source (issue 23).

1. CPU per poll: the source's own CPU time (its poll thread, the comparison with the last
   seen account, the event loop) per poll of a generated account, at rest, against what one
   dialogtech_sms_numbers_info call spends reading the same account (fetch_numbers and
   as_dicts, the module's parse), both in this process against the emulator in its own.
2. Latency: a real ansible-rulebook (hack/rulebook-venv.sh) runs a rulebook whose source
   polls every INTERVAL seconds; numbers are re-pointed at spread moments of the interval,
   and the time from each write to the rule's action in the rulebook's output is taken.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time

from harness import BENCH_SECRET, ROOT, BenchmarkError, Result, access_key, emulator_client, log

NUMBER = 7
TITLE = 'event source: CPU per poll vs the info module, change-to-action latency'
SCALE = {'numbers': (1000, 10000), 'polls': (3, 10), 'rounds': (2, 5), 'changes': (1, 3)}
CPU_TARGET = 1.2
INTERVAL = 10
LATENCY_SLACK = 2.0
RULEBOOK_VENV = ROOT / '.build' / 'rulebook' / 'venv'
RULEBOOK = '''
- name: Latency
  hosts: localhost
  sources:
    - dialogtech.api.sms_numbers:
        interval: %d
  rules:
    - name: Changed
      condition: event.dialogtech.type == "change"
      action:
        debug:
          msg: "CHANGED {{ event.dialogtech.number }} {{ event.dialogtech.after.url }}"
''' % INTERVAL


class _Stop(Exception):
    """Ends the source after the polls asked for."""


def load_source(context):
    """The source as ansible-rulebook loads it, from the checkout as run.py installs it."""
    path = (context.workdir / 'collections' / 'ansible_collections' / 'dialogtech' / 'api' / 'extensions' / 'eda'
            / 'plugins' / 'event_source' / 'sms_numbers.py')
    namespace = {'__name__': '<run_path>', '__file__': str(path)}
    exec(compile(path.read_bytes(), str(path), 'exec'), namespace)  # pylint: disable=exec-used
    return namespace


def poll_cpu(source, args, polls):
    """CPU seconds of this process per poll, over ``polls`` polls (the first one included)."""
    done = []

    async def pause(seconds):
        done.append(seconds)
        if len(done) >= polls:
            raise _Stop()

    async def watch():
        queue = asyncio.Queue()
        try:
            await source['main'](queue, args)
        except _Stop:
            pass
        if not queue.empty():
            raise BenchmarkError('the source emitted events for an account at rest')

    source['_pause'] = pause
    start = time.process_time()
    asyncio.run(watch())
    return (time.process_time() - start) / polls


def fetch_cpu(options, calls):
    from ansible_collections.dialogtech.api.plugins.module_utils._client import fetch_numbers
    from ansible_collections.dialogtech.api.plugins.module_utils._response import as_dicts
    start = time.process_time()
    for dummy in range(calls):
        records = as_dicts(fetch_numbers(options).numbers)
    return (time.process_time() - start) / calls, records


def cpu_per_poll(context, scale):
    from ansible_collections.dialogtech.api.plugins.module_utils._options import ConnectionOptions, from_environment
    playbooks = context.playbooks(scale.numbers)
    url = playbooks.emulator.url
    values = {'access_key': access_key(scale.numbers), 'secret_access_key': BENCH_SECRET, 'api_url': url}
    options = ConnectionOptions(**from_environment(values, {}))
    source = load_source(context)
    args = {'access_key': values['access_key'], 'api_url': url, 'interval': INTERVAL}
    os.environ['DIALOGTECH_SECRET_ACCESS_KEY'] = BENCH_SECRET
    try:
        dummy, records = fetch_cpu(options, 1)
        if len(records) != scale.numbers:
            raise BenchmarkError('the emulator served %d numbers, not %d' % (len(records), scale.numbers))
        ours, info = [], []
        # Interleaved rounds, so that a noisy stretch of the machine hits both.
        for dummy in range(scale.rounds):
            ours.append(poll_cpu(source, args, scale.polls))
            info.append(fetch_cpu(options, scale.polls)[0])
    finally:
        del os.environ['DIALOGTECH_SECRET_ACCESS_KEY']
    ours_best, info_best = min(ours), min(info)
    log('    %s numbers: source %.1f ms CPU per poll, info module fetch and parse %.1f ms (best of %d rounds of %d)'
        % (format(scale.numbers, ','), ours_best * 1e3, info_best * 1e3, scale.rounds, scale.polls))
    return Result(NUMBER, 'source CPU per poll vs the info module\'s fetch, %s numbers' % format(scale.numbers, ','),
                  ours_best / info_best, CPU_TARGET, 'lower',
                  'source %.1f ms, info module %.1f ms of CPU' % (ours_best * 1e3, info_best * 1e3),
                  judged=not context.quick), records[0]['number']


def latency(context, scale, number):
    """Seconds from each re-pointing write to the rule's action in ansible-rulebook."""
    from ansible_collections.dialogtech.api.plugins.module_utils._client import register_number
    from ansible_collections.dialogtech.api.plugins.module_utils._options import ConnectionOptions, from_environment
    rulebook = RULEBOOK_VENV / 'bin' / 'ansible-rulebook'
    if not rulebook.exists():
        raise BenchmarkError('no ansible-rulebook at %s: run hack/rulebook-venv.sh .build/rulebook first' % rulebook)
    playbooks = context.playbooks(scale.numbers)
    url = playbooks.emulator.url
    options = ConnectionOptions(**from_environment(
        {'access_key': access_key(scale.numbers), 'secret_access_key': BENCH_SECRET, 'api_url': url}, {}))
    (context.workdir / 'latency.yml').write_text(RULEBOOK)
    output = context.workdir / 'latency.log'
    env = dict(playbooks.env, PATH='%s%s%s' % (RULEBOOK_VENV / 'bin', os.pathsep, playbooks.env['PATH']),
               DIALOGTECH_ACCESS_KEY=access_key(scale.numbers), DIALOGTECH_API_URL=url)

    def reads():
        return emulator_client.stats(url)['reads']

    before = reads()
    with open(str(output), 'w') as log_file:
        process = subprocess.Popen([str(rulebook), '-r', 'latency.yml'], cwd=str(context.workdir), env=env,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    latencies = []
    try:
        deadline = time.monotonic() + 300  # only a guard against a hung start
        while reads() == before:
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchmarkError('ansible-rulebook did not poll: %s' % output.read_text()[-2000:])
            time.sleep(0.2)
        first_poll = time.monotonic()
        for index in range(scale.changes):
            # Spread over the interval: a change just after a poll waits for the next one.
            offset = (index + 0.5) * INTERVAL / scale.changes
            time.sleep(max(0.0, first_poll + INTERVAL * (index + 1) + offset - time.monotonic()))
            new_url = 'https://sms.example.com/moved/%d' % index
            register_number(options, number, new_url)
            changed = time.monotonic()
            wanted = 'CHANGED %s %s' % (number, new_url)
            while wanted not in output.read_text():
                if process.poll() is not None or time.monotonic() > changed + 3 * INTERVAL:
                    raise BenchmarkError('no action for the change to %s: %s' % (new_url, output.read_text()[-2000:]))
                time.sleep(0.05)
            latencies.append(time.monotonic() - changed)
            log('    change %d at %.1f s into the interval: action after %.2f s' % (index + 1, offset, latencies[-1]))
    finally:
        process.terminate()
        process.wait()
    target = INTERVAL + LATENCY_SLACK
    return Result(NUMBER, 'change-to-action latency at interval %d (worst of %d)' % (INTERVAL, len(latencies)),
                  max(latencies), target, 'lower',
                  'each: %s s' % ', '.join('%.2f' % value for value in latencies), unit='s',
                  judged=not context.quick)


def run(context):
    scale = context.scale(SCALE)
    cpu, number = cpu_per_poll(context, scale)
    return [cpu, latency(context, scale, number)]
