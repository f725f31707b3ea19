# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every benchmark scenario uses: the run's context, timing, the CPU time of a
process tree, playbook runs against the bundled emulator, result rows and the plot.

The scenarios are the files of benchmarks/scenarios/; benchmarks/README.md describes the
interface they implement, run.py finds and runs them.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib.metadata
import json
import os
import platform
import re
import resource
import signal
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOKS = Path(__file__).resolve().parent / 'playbooks'
BENCH_DIR = ROOT / '.build' / 'bench'
ACCESS_KEY_PREFIX = 'bench-'
# Not a real credential: the emulator's accounts are made up for each run.
BENCH_SECRET = 'bench-secret-access-key'

sys.path.insert(0, str(ROOT / 'tests' / 'emulator'))
import client as emulator_client  # noqa: E402  pylint: disable=wrong-import-position
# For scenarios that render an account's answer in-process.
import dialogtech_emulator  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import


class BenchmarkError(Exception):
    """A benchmark could not run or produced a wrong result: its numbers mean nothing."""


def log(message):
    print(message, flush=True)


class Result(object):
    """One measured ratio and its target, as printed and as recorded.

    ``better`` is 'lower' or 'higher'; a result that is not ``judged`` (every timing of a
    --quick run, a reference figure) prints ``unjudged`` instead of MET or MISSED."""

    def __init__(self, benchmark, name, ratio, target, better, detail, judged=True, unit='x',
                 unjudged='not judged (--quick)'):
        self.benchmark, self.name, self.ratio, self.target = benchmark, name, ratio, target
        self.better, self.detail, self.judged, self.unit, self.unjudged = better, detail, judged, unit, unjudged

    @property
    def met(self):
        if self.better == 'lower':
            return self.ratio <= self.target
        return self.ratio >= self.target

    def verdict(self):
        if not self.judged:
            return self.unjudged
        return 'MET' if self.met else 'MISSED'

    def describe(self):
        sign = '<=' if self.better == 'lower' else '>='
        number = '%.2f' if self.unit == 'x' else '%g'
        return ('[%s] %s: ' + number + '%s (target %s ' + number + '%s) %s; %s') % (
            self.benchmark, self.name, self.ratio, self.unit, sign, self.target, self.unit, self.verdict(), self.detail)

    def as_dict(self):
        return {'benchmark': self.benchmark, 'name': self.name, 'value': round(self.ratio, 3), 'unit': self.unit,
                'target': self.target, 'better': self.better, 'verdict': self.verdict(), 'detail': self.detail}


class Context(object):
    """What a scenario's ``run(context)`` gets: the run's options and shared resources.

    ``quick``: reduced scale, judge no timing; ``workdir``: this run's scratch directory
    (removed afterwards unless ``keep``); ``plot``: where to draw a plot, or None;
    ``records``: extra data for the JSON file, by key.
    """

    def __init__(self, workdir, quick=False, plot=None, keep=False):
        self.workdir, self.quick, self.plot, self.keep = workdir, quick, plot, keep
        self.records = {}
        self._playbooks = None

    def scale(self, settings):
        """A scenario's settings for this run: ``settings`` maps each name to its
        (quick, full) pair."""
        return argparse.Namespace(**{name: pair[0 if self.quick else 1] for name, pair in settings.items()})

    def playbooks(self, *accounts):
        """Playbooks against the emulator, which serves a generated account of each size
        in ``accounts`` (and of the sizes asked for before)."""
        if self._playbooks is None:
            self._playbooks = Playbooks(self.workdir)
        self._playbooks.serve(accounts)
        return self._playbooks

    def close(self):
        if self._playbooks is not None:
            self._playbooks.stop()


def access_key(size):
    """The access key of the emulator's generated account of ``size`` numbers."""
    return '%s%d' % (ACCESS_KEY_PREFIX, size)


# --- timing in this process ---------------------------------------------------------------

def best_time(function, argument, repeat, min_seconds):
    """CPU seconds per call of ``function(argument)``: the minimum over ``repeat`` timings
    of enough calls to take ``min_seconds``, the least disturbed by other processes.  CPU
    time of this process, as the time the scheduler gives to others on a shared machine
    is no cost of the function.  The garbage collector stays on, as in real use; it is
    emptied before each timing so one timing does not pay for the previous one's
    garbage."""
    calls = 1
    while True:
        gc.collect()
        start = time.process_time()
        for dummy in range(calls):
            function(argument)
        elapsed = time.process_time() - start
        if elapsed >= min_seconds or calls >= 1000:
            break
        calls = max(calls * 2, int(calls * min_seconds / max(elapsed, 1e-6)))
    timings = [elapsed / calls]
    for dummy in range(repeat - 1):
        gc.collect()
        start = time.process_time()
        for dummy in range(calls):
            function(argument)
        timings.append((time.process_time() - start) / calls)
    return min(timings)


def peak_memory(function, argument):
    """Peak bytes traced during ``function(argument)`` above what was allocated before
    (the argument is not counted; the result is, as it is alive at the end)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        result = function(argument)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    del result
    return peak


# --- a process tree: wall time, CPU time, stopping it ----------------------------------------

def run_tree(command, output, env, cwd, time_limit=None):
    """Run ``command``, its output into the file ``output``; return (exit status, wall
    seconds, CPU seconds), or None when it was still going after ``time_limit`` seconds
    (it is then killed, with everything it started).

    The CPU time (user + system) is that of the whole process tree, as it reaps its own
    children: on a busy machine other processes disturb it far less than the wall time,
    so it shows whether a wall-time ratio is real."""
    with open(str(output), 'w') as out:
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=str(cwd), env=env, stdout=out, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        try:
            status = process.wait(time_limit)
        except subprocess.TimeoutExpired:
            kill_tree(process)
            return None
        except BaseException:
            kill_tree(process)
            raise
        elapsed = time.perf_counter() - start
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return status, elapsed, (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)


def kill_tree(process):
    """Kill a process and everything it started.

    Not by process group: ansible-playbook's workers each call setsid(), so they would
    survive their parent and go on working, orphaned, disturbing every later timing.
    Stopped first, so that none forks again between the listing and the kill."""
    pids = [process.pid] + descendants(process.pid)
    for pid in pids:
        signal_quietly(pid, signal.SIGSTOP)
    for pid in set(pids + descendants(process.pid)):
        signal_quietly(pid, signal.SIGKILL)
    process.wait()


def descendants(pid):
    """The ids of all processes below ``pid``, from Linux's /proc."""
    children = {}
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as stat:
                    parent = int(stat.read().rsplit(')', 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
            children.setdefault(parent, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def signal_quietly(pid, number):
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass


# --- playbooks against the emulator ---------------------------------------------------------

class Playbooks(object):
    """Runs ansible-playbook from the benchmark venv against the live checkout and the
    bundled emulator."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.emulator = None
        self.accounts = set()
        bench_collections = Path(os.environ.get('DIALOGTECH_BENCH_COLLECTIONS', BENCH_DIR / 'collections'))
        self.bin = Path(sys.executable).parent
        self.env = {name: value for name, value in os.environ.items()
                    if not name.startswith(('ANSIBLE_', 'DIALOGTECH_'))}
        self.env.update({
            'ANSIBLE_COLLECTIONS_PATH': '%s%s%s' % (workdir / 'collections', os.pathsep, bench_collections),
            'ANSIBLE_LOCALHOST_WARNING': 'false',
            'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
            'ANSIBLE_RETRY_FILES_ENABLED': 'false',
            'ANSIBLE_LOCAL_TEMP': str(workdir / 'ansible-tmp'),
            'ANSIBLE_HOME': str(workdir / 'ansible-home'),
            'DIALOGTECH_SECRET_ACCESS_KEY': BENCH_SECRET,
            'DIALOGTECH_RUN_CACHE_DIR': str(workdir / 'run-cache'),
            'PATH': '%s%s%s' % (self.bin, os.pathsep, os.environ.get('PATH', '')),
        })
        self.inventories = {}
        self.runs = 0
        # CPU seconds of the last run's whole process tree (run_tree).
        self.last_cpu = None

    def serve(self, accounts):
        """Make the emulator serve a generated account of each size in ``accounts``; it is
        restarted with more accounts only when one is missing."""
        if self.emulator is not None and set(accounts) <= self.accounts:
            return
        self.stop()
        self.accounts |= set(accounts)
        data = self.workdir / 'accounts.json'
        data.write_text(json.dumps({'accounts': [
            {'access_key': access_key(size), 'secret_access_key': BENCH_SECRET, 'generate': {'count': size}}
            for size in sorted(self.accounts)]}))
        try:
            self.emulator = emulator_client.Emulator(data)
        except RuntimeError as exc:
            raise BenchmarkError(str(exc))
        self.env['DIALOGTECH_API_URL'] = self.emulator.url

    def stop(self):
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    def inventory(self, hosts):
        """An inventory of ``hosts`` local hosts (1: just localhost), each with its own
        number of the account as ``sms_number``."""
        if hosts not in self.inventories:
            # YAML (written as JSON): an INI inventory turns the numbers into integers.
            path = self.workdir / ('inventory-%d.yml' % hosts)
            local = {'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable}
            if hosts == 1:
                groups = {'all': {'hosts': {'localhost': local}}}
            else:
                groups = {'fleet': {'hosts': {'host%04d' % i: {'sms_number': '%010d' % (5550000000 + i)}
                                              for i in range(hosts)}, 'vars': local}}
            path.write_text(json.dumps(groups, indent=1) + '\n')
            self.inventories[hosts] = path
        return self.inventories[hosts]

    def run(self, playbook, account, hosts=1, forks=5, extra=(), time_limit=None):
        """Run a playbook of benchmarks/playbooks/ with the account of ``account``
        numbers; return (wall seconds, API requests it made).  The emulator is reset
        first, which also restores the account.

        With ``time_limit``, a run still going after that many seconds is stopped and
        reported as (None, path of its output) instead."""
        self.runs += 1
        output = self.workdir / ('run-%03d-%s.log' % (self.runs, Path(playbook).stem))
        command = [str(self.bin / 'ansible-playbook'), '-i', str(self.inventory(hosts)), '-f', str(forks),
                   str(PLAYBOOKS / playbook)]
        for argument in extra:
            command += ['-e', argument]
        self.emulator.reset()
        outcome = run_tree(command, output, dict(self.env, DIALOGTECH_ACCESS_KEY=access_key(account)), self.workdir,
                           time_limit)
        if outcome is None:
            return None, output
        status, elapsed, self.last_cpu = outcome
        if status != 0:
            lines = output.read_text().splitlines()
            shown = [line for line in lines if line.startswith(('fatal:', '[ERROR]'))][:5] or lines[-15:]
            raise BenchmarkError('%s failed (exit %d):\n      %s' % (playbook, status, '\n      '.join(shown)))
        return elapsed, self.emulator.stats()['requests']


def compare(playbooks, runs, variants):
    """Time the variants (name: function running one) interleaved: ``runs`` rounds, each
    variant once per round, the order reversed every other round, so that a noisy
    stretch hits all of them.  Returns {name: [wall seconds...]}, {name: [API
    requests...]} and {name: [CPU seconds...]}."""
    times = {name: [] for name in variants}
    requests = {name: [] for name in variants}
    cpu = {name: [] for name in variants}
    names = list(variants)
    for round_number in range(runs):
        for name in (names if round_number % 2 == 0 else names[::-1]):
            elapsed, made = variants[name]()
            times[name].append(elapsed)
            requests[name].append(made)
            cpu[name].append(playbooks.last_cpu)
        log('    round %d: %s' % (round_number + 1, ', '.join(
            '%s %.2f s (CPU %.2f s)' % (name, times[name][-1], cpu[name][-1]) for name in names)))
    return times, requests, cpu


def bounded_loop(context, playbooks, benchmark, name, run, items, reference, target):
    """Time a loop baseline (``run``: playbook, account, extra) of ``items`` iterations
    against ``reference`` (name, median seconds), given only as long as it takes to prove
    or disprove ``target``: past target x the reference's time, the reference is at least
    that much faster, and the ratio is reported as a lower bound."""
    what, seconds = reference
    limit = max(target * seconds * 1.05, 10.0)
    playbook, account, extra = run
    elapsed, output = playbooks.run(playbook, account, extra=extra, time_limit=limit)
    if elapsed is not None:
        return Result(benchmark, name, elapsed / seconds, target, 'higher', 'loop %.2f s (1 run), %s median %.2f s'
                      % (elapsed, what, seconds), judged=not context.quick)
    done = len(re.findall(r'^(ok|changed): \[localhost\] => \(item=', output.read_text(), re.M))
    detail = ('loop stopped after %.0f s with %d of %d items done; %s median %.2f s; ratio is a lower bound'
              % (limit, done, items, what, seconds))
    if done:
        detail += ('; at the rate it had (%.3f s per item) it would take about %.0f s, %.0fx the %s'
                   % (limit / done, limit / done * items, limit / done * items / seconds, what))
    return Result(benchmark, name + ' (lower bound)', limit / seconds, target, 'higher', detail,
                  judged=not context.quick)


def summary(times, cpu=None):
    text = ', '.join('%s median %.2f s (min %.2f s)' % (name, statistics.median(values), min(values))
                     for name, values in times.items())
    if cpu:
        text += '; CPU medians: %s' % ', '.join('%s %.2f s' % (name, statistics.median(cpu[name])) for name in times)
    return text


def cpu_note(cpu, name, baseline):
    return 'CPU-time ratio %.2fx' % ratio(cpu, name, baseline)


def ratio(times, name, baseline):
    return statistics.median(times[name]) / statistics.median(times[baseline])


def require(path, what):
    """Fail the scenario unless ``path`` (what it benchmarks) is in this checkout."""
    if not path.exists():
        raise BenchmarkError('%s (%s) is not in this checkout yet' % (what, path.relative_to(ROOT)))


# --- plot and machine facts ----------------------------------------------------------------

def plot(path, title, panels):
    """Log-log charts side by side, as a PNG at ``path``.  ``panels``: one (x label, y
    label, lines) per chart, each line (label, matplotlib format, xs, ys).  Without
    matplotlib it says so and draws nothing: the run prints the same numbers."""
    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
    except ImportError:
        log('    (matplotlib not installed: no plot)')
        return
    figure, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4), squeeze=False)
    for chart, (xlabel, ylabel, lines) in zip(axes[0], panels):
        for label, style, xs, ys in lines:
            chart.loglog(xs, ys, style, label=label)
        chart.set_xlabel(xlabel)
        chart.set_ylabel(ylabel)
        chart.legend()
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(str(path), dpi=80)
    log('    plot: %s' % path)


def machine():
    """Facts that say how comparable two runs are."""
    versions = {'python': platform.python_version()}
    for package in ('ansible-core', 'requests', 'defusedxml', 'xmltodict', 'matplotlib'):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = 'not installed'
    utils = Path(os.environ.get('DIALOGTECH_BENCH_COLLECTIONS', BENCH_DIR / 'collections')) / 'ansible_collections/ansible/utils'
    try:
        versions['ansible.utils'] = json.loads((utils / 'MANIFEST.json').read_text())['collection_info']['version']
    except (OSError, ValueError, KeyError):
        versions['ansible.utils'] = 'not installed'
    cpu = ''
    try:
        cpu = [line.split(':', 1)[1].strip() for line in Path('/proc/cpuinfo').read_text().splitlines()
               if line.startswith('model name')][0]
    except (OSError, IndexError):
        pass
    commit = subprocess.run(['git', 'describe', '--always', '--dirty'], cwd=str(ROOT), stdout=subprocess.PIPE, check=False,
                            stderr=subprocess.DEVNULL, universal_newlines=True).stdout.strip()
    return {'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
            'cpus': os.cpu_count(), 'cpu': cpu, 'platform': platform.platform(), 'commit': commit,
            'load_average': os.getloadavg() if hasattr(os, 'getloadavg') else None, 'versions': versions}
