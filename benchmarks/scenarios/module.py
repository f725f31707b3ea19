# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A play with the module against the careful user's ``uri`` + ``ansible.utils.from_xml``
play (playbooks/module.yml, playbooks/uri_from_xml.yml), which must build the same list."""

from __future__ import annotations

import json

from harness import BenchmarkError, Result, compare, cpu_note, log, ratio, summary

NUMBER = 2
TITLE = 'module vs uri + ansible.utils.from_xml'
SCALE = {'runs': (1, 7)}
ACCOUNT = 1000
TARGET = 1.0


def run(context):
    runs = context.scale(SCALE).runs
    playbooks = context.playbooks(ACCOUNT)
    # An untimed first run of each: warms caches (.pyc, page cache) and proves that both
    # plays build the very same list.
    dumps = {}
    for playbook in ('module.yml', 'uri_from_xml.yml'):
        dumps[playbook] = context.workdir / ('dump-%s.json' % playbook)
        playbooks.run(playbook, ACCOUNT, extra=['bench_dump=%s' % dumps[playbook]])
    module, baseline = (json.loads(dumps[playbook].read_text()) for playbook in ('module.yml', 'uri_from_xml.yml'))
    if module != baseline or len(module) != ACCOUNT:
        raise BenchmarkError('the module and the uri + from_xml baseline return different lists')
    log('    both plays return the same %d numbers' % ACCOUNT)
    times, dummy, cpu = compare(playbooks, runs, {
        'module': lambda: playbooks.run('module.yml', ACCOUNT),
        'uri+from_xml': lambda: playbooks.run('uri_from_xml.yml', ACCOUNT)})
    return [Result(NUMBER, 'module play vs uri + ansible.utils.from_xml play, %d numbers' % ACCOUNT,
                   ratio(times, 'module', 'uri+from_xml'), TARGET, 'lower',
                   '%s; median of %d interleaved runs; %s'
                   % (summary(times, cpu), runs, cpu_note(cpu, 'module', 'uri+from_xml')),
                   judged=not context.quick)]
