# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of dialogtech.api against what users would write themselves.

    .build/bench/venv/bin/python benchmarks/run.py [--quick] [--only 1,3] [--json FILE] [--plot FILE]

Run it with the benchmark venv's Python (``make bench`` does; benchmarks/setup.sh makes
the venv): the playbooks use that venv's ansible-playbook, and benchmark 2's baseline
needs ansible.utils and xmltodict, which the project's own .venv does not carry.

Each file of benchmarks/scenarios/ is one benchmark (the interface: benchmarks/README.md);
this finds them and runs them in the order of their numbers.  Every benchmark measures
its baseline in the same run and reports the ratio, because absolute times on a shared
2-core machine say little, and prints whether it met its target; ``--quick`` runs every
benchmark at a reduced scale to prove the harness works and judges no timing target.

Exit status: 0 when every benchmark ran and produced correct results (misses are
reported, not failures; ``--strict`` makes them fail), 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from harness import ROOT, BenchmarkError, Context, log, machine

SCENARIOS = ROOT / 'benchmarks' / 'scenarios'


def discover():
    """The scenario modules, by benchmark number; files starting with ``_`` are helpers."""
    found = {}
    for info in pkgutil.iter_modules([str(SCENARIOS)]):
        if info.name.startswith('_'):
            continue
        module = importlib.import_module('scenarios.' + info.name)
        for attribute in ('NUMBER', 'TITLE', 'run'):
            if not hasattr(module, attribute):
                raise SystemExit('benchmarks/scenarios/%s.py defines no %s (see benchmarks/README.md)' % (info.name, attribute))
        if module.NUMBER in found:
            raise SystemExit('benchmarks/scenarios/%s.py and %s.py both claim benchmark number %d'
                             % (found[module.NUMBER].__name__.split('.')[-1], info.name, module.NUMBER))
        found[module.NUMBER] = module
    return dict(sorted(found.items()))


def main(argv=None):
    workdir = Path(tempfile.mkdtemp(prefix='dialogtech-bench-'))
    # The live checkout as dialogtech.api, for the scenarios' imports and for the
    # playbooks: the benchmarks measure the working tree.
    collection = workdir / 'collections' / 'ansible_collections' / 'dialogtech' / 'api'
    collection.parent.mkdir(parents=True)
    collection.symlink_to(ROOT)
    sys.path.insert(0, str(workdir / 'collections'))
    context = Context(workdir)
    try:
        return run(discover(), context, argv)
    finally:
        context.close()
        if context.keep:
            log('\nwork directory kept: %s' % workdir)
        else:
            shutil.rmtree(str(workdir), ignore_errors=True)


def run(scenarios, context, argv):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0],
                                     epilog='benchmarks: ' + '; '.join('%d %s' % (number, module.TITLE)
                                                                       for number, module in scenarios.items()))
    parser.add_argument('--quick', action='store_true', help='reduced scale, for a CI smoke run; judges no target')
    parser.add_argument('--only', default=','.join(str(number) for number in scenarios),
                        help='comma-separated benchmark numbers (default: all)')
    parser.add_argument('--json', type=Path, help='write the results and machine facts here')
    parser.add_argument('--plot', type=Path, help='write the cost-growth plot here (PNG, needs matplotlib)')
    parser.add_argument('--strict', action='store_true', help='exit 1 when a target is missed')
    parser.add_argument('--keep', action='store_true', help='keep the work directory (playbook logs)')
    args = parser.parse_args(argv)
    only = {int(part) for part in args.only.split(',') if part.strip()}
    if only - set(scenarios):
        parser.error('no benchmark numbered %s' % ', '.join(str(number) for number in sorted(only - set(scenarios))))
    context.quick, context.plot, context.keep = args.quick, args.plot, args.keep
    # SIGTERM (make interrupted, CI cancelled) unwinds like an error, so the emulator and
    # any running playbook are stopped rather than left behind.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    facts = machine()
    log('dialogtech.api benchmarks%s, %s, commit %s' % (' (--quick)' if args.quick else '', facts['date'], facts['commit']))
    log('  %s CPUs (%s), %s; load average %s' % (facts['cpus'], facts['cpu'], facts['platform'], facts['load_average']))
    log('  ' + ', '.join('%s %s' % item for item in facts['versions'].items()))
    results, errors = [], []
    started = time.perf_counter()
    for number, scenario in scenarios.items():
        if number not in only:
            continue
        log('\n[%d] %s' % (number, scenario.TITLE))
        try:
            for result in scenario.run(context):
                results.append(result)
                log('  ' + result.describe())
        except BenchmarkError as exc:
            errors.append('[%d] %s' % (number, exc))
            log('  ERROR: %s' % exc)

    log('\nSummary (%.0f s):' % (time.perf_counter() - started))
    for result in results:
        log('  ' + result.describe())
    for error in errors:
        log('  ERROR ' + error.splitlines()[0])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(dict({'machine': facts, 'quick': args.quick, 'results': [r.as_dict() for r in results],
                                              'errors': errors}, **context.records), indent=2) + '\n')
    missed = [result for result in results if result.judged and not result.met]
    return 1 if errors or (args.strict and missed) else 0


if __name__ == '__main__':
    sys.exit(main())
