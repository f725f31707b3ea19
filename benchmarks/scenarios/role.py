# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compliance role at scale: many expected numbers against one, as a variable and as
a file, beside what ansible-core alone costs for the same data (the floors) and against
a naive per-number assert loop."""

from __future__ import annotations

import functools
import json
import statistics

from harness import ROOT, Result, bounded_loop, compare, cpu_note, ratio, require, summary

NUMBER = 4
TITLE = 'compliance role at scale'
SCALE = {'numbers': (100, 10000), 'runs': (1, 3)}
TARGET = 1.2
# How much faster than a per-number assert loop the role must be.
NAIVE_TARGET = 20.0
# Reference plays, not baselines: they do less than any role with this interface can
# (read the expected numbers once; and validate them as ansible-core does for a role that
# documents them in meta/argument_specs.yml), so their cost is a floor under the role's.
FLOORS = {'vars_floor.yml': 'read once', 'argspec_floor.yml': 'argument_specs validation + read once'}


def variant(what, count):
    return '%s, %s expected' % (what, format(count, ','))


def write_expectations(context, size):
    """The same expectations of 1 and of ``size`` numbers as a vars file and as a CSV
    file the role reads itself; returns ({count: vars file}, {count: CSV file})."""
    expected, files = {}, {}
    for count in (1, size):
        rows = [('%010d' % (5550000000 + i), 'https://sms.example.com/listener/%d' % (5550000000 + i))
                for i in range(count)]
        expected[count] = context.workdir / ('expected-%d.json' % count)
        expected[count].write_text(json.dumps({'sms_listener_compliance_expected_numbers': [
            {'number': number, 'url': url} for number, url in rows]}))
        files[count] = context.workdir / ('expected-%d.csv' % count)
        files[count].write_text('number,url\n' + ''.join('%s,%s\n' % row for row in rows))
    return expected, files


def run(context):
    scale = context.scale(SCALE)
    size = scale.numbers
    require(ROOT / 'roles' / 'sms_listener_compliance' / 'tasks' / 'main.yml', 'the compliance role')
    playbooks = context.playbooks(size)
    expected, files = write_expectations(context, size)
    variants = {variant(what, count): functools.partial(playbooks.run, playbook, size, extra=['@%s' % expected[count]])
                for playbook, what in dict({'role.yml': 'role'}, **FLOORS).items() for count in (1, size)}
    variants.update({variant('role, file', count): functools.partial(
        playbooks.run, 'role_file.yml', size,
        extra=[json.dumps({'bench_expected_file': str(files[count]), 'bench_expected_count': count})])
        for count in (1, size)})
    one, many = variant('role', 1), variant('role', size)
    file_one, file_many = variant('role, file', 1), variant('role, file', size)
    for run_variant in variants.values():
        run_variant()  # untimed: warms caches and proves the role passes on the compliant account
    times, dummy, cpu = compare(playbooks, scale.runs, variants)
    role_one, role_seconds = statistics.median(times[one]), statistics.median(times[many])
    results = [Result(NUMBER, 'role with %s expected numbers vs 1' % format(size, ','), ratio(times, many, one), TARGET,
                      'lower', '%s; median of %d interleaved runs; %s; %s expected numbers add %.2f s to the role'
                      % (summary({one: times[one], many: times[many]}, cpu), scale.runs, cpu_note(cpu, many, one),
                         format(size, ','), role_seconds - role_one),
                      judged=not context.quick)]
    results.append(Result(
        NUMBER, 'role with %s expected numbers from a CSV file vs a 1-row file' % format(size, ','),
        ratio(times, file_many, file_one), TARGET, 'lower',
        '%s; median of %d interleaved runs; %s; the same numbers as an Ansible variable: %.2fx (above)'
        % (summary({file_one: times[file_one], file_many: times[file_many]}, cpu), scale.runs,
           cpu_note(cpu, file_many, file_one), ratio(times, many, one)),
        judged=not context.quick))
    for playbook, what in FLOORS.items():
        extra = statistics.median(times[variant(what, size)]) - statistics.median(times[variant(what, 1)])
        results.append(Result(NUMBER, 'lowest ratio reachable by a role that does only: %s' % what,
                              (role_one + extra) / role_one, TARGET, 'lower',
                              '%s of %s expected numbers costs ansible-core %.2f s (%s); added to the role with 1 '
                              'expected number (%.2f s), this is the floor under the role\'s ratio'
                              % (what, format(size, ','), extra, playbook, role_one),
                              judged=False, unjudged='a floor, not judged'))
    # The naive loop grows as expected numbers x account size, so it only runs until it
    # proves or disproves its target.
    results.append(bounded_loop(context, playbooks, NUMBER, 'naive per-number assert loop vs role, %s expected numbers'
                                % format(size, ','), ('naive_assert.yml', size, ['@%s' % expected[size]]), size,
                                ('role', role_seconds), NAIVE_TARGET))
    return results
