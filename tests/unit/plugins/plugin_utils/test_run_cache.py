# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the cross-worker run cache, with forked processes standing in for
Ansible's workers and a fake fetch that counts its calls in a file."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import subprocess
import sys
import time
from unittest import mock

import pytest

from ansible_collections.dialogtech.api.plugins.plugin_utils import _run_cache
from ansible_collections.dialogtech.api.plugins.plugin_utils._run_cache import RunCacheError, get_or_fetch

SECRET = 'run-cache-SECRET-canary'
MATERIAL = {'api_url': 'http://127.0.0.1:1/ibp_api.php', 'access_key': 'ACCESS-canary', 'secret_access_key': SECRET}
ANSWER = {'numbers': [{'number': '5559990000', 'sms_enabled': True, 'url': 'https://sms.example.com/listener'}]}
FORK = multiprocessing.get_context('fork')  # Ansible's workers are forked, so are these


class CountingFetch(object):
    """A fetch that appends a line per call to a file, so calls in any process count."""

    def __init__(self, path, answer=None, error=None, seconds=0):
        self.path, self.answer, self.error, self.seconds = str(path), answer or ANSWER, error, seconds

    def __call__(self, material):
        with open(self.path, 'a') as calls:
            calls.write(json.dumps(material['access_key']) + '\n')
        # A slow API: the other processes have long reached the cache meanwhile.
        time.sleep(self.seconds)
        if self.error:
            raise self.error
        return self.answer

    @property
    def calls(self):
        if not os.path.exists(self.path):
            return 0
        with open(self.path) as calls:
            return len(calls.readlines())


@pytest.fixture
def cache_dir(tmp_path):
    return str(tmp_path / 'cache')


@pytest.fixture
def fetch(tmp_path):
    return CountingFetch(tmp_path / 'calls')


def _cached_files(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith('.json'))


def test_second_ask_is_served_from_the_file(cache_dir, fetch):
    first, first_note = get_or_fetch(MATERIAL, fetch, cache_dir)
    second, second_note = get_or_fetch(MATERIAL, fetch, cache_dir)
    assert first == second == ANSWER
    assert fetch.calls == 1
    assert first_note.startswith('fetched and shared in ')
    assert second_note.startswith('shared answer read from ')


@pytest.mark.parametrize('change', [
    {'secret_access_key': SECRET + 'x'},
    {'access_key': 'other-access-key'},
    {'api_url': 'http://127.0.0.1:2/ibp_api.php'},
    {'http_method': 'POST'},
])
def test_different_credentials_or_url_never_share(cache_dir, fetch, change):
    get_or_fetch(MATERIAL, fetch, cache_dir)
    get_or_fetch(dict(MATERIAL, **change), fetch, cache_dir)
    assert fetch.calls == 2
    assert len(_cached_files(cache_dir)) == 2


def test_name_depends_on_the_per_user_key(tmp_path, fetch):
    """Without the key, the file name cannot be recomputed from guessed credentials."""
    first, second = str(tmp_path / 'first'), str(tmp_path / 'second')
    get_or_fetch(MATERIAL, fetch, first)
    get_or_fetch(MATERIAL, fetch, second)
    with open(os.path.join(first, 'key'), 'rb') as one, open(os.path.join(second, 'key'), 'rb') as other:
        assert one.read() != other.read()
    assert _cached_files(first) != _cached_files(second)
    assert _cached_files(first)[0].startswith(_run_cache.run_id() + '-')


def test_permissions_and_no_secret_in_any_file(cache_dir, fetch):
    get_or_fetch(MATERIAL, fetch, cache_dir)
    _run_cache.invalidate(cache_dir)  # adds the epoch file
    get_or_fetch(dict(MATERIAL, api_url='http://127.0.0.1:2/ibp_api.php'), CountingFetch(fetch.path, {'error': 'x'}),
                 cache_dir)
    assert stat.S_IMODE(os.stat(cache_dir).st_mode) == 0o700
    names = os.listdir(cache_dir)
    assert {name.rsplit('.', 1)[-1] for name in names} == {'json', 'lock', 'key', '%s-epoch' % _run_cache.run_id()}
    for name in names:
        path = os.path.join(cache_dir, name)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name
        with open(path, 'rb') as cached:
            content = cached.read()
        for value in (SECRET, MATERIAL['access_key']):
            assert value.encode() not in content and value not in name


def test_the_answer_is_stored_as_given(cache_dir, fetch):
    get_or_fetch(MATERIAL, fetch, cache_dir)
    with open(os.path.join(cache_dir, _cached_files(cache_dir)[0])) as cached:
        assert json.load(cached) == ANSWER


def test_an_exception_from_fetch_is_not_stored(cache_dir, tmp_path):
    failing = CountingFetch(tmp_path / 'calls', error=RuntimeError('boom'))
    with pytest.raises(RuntimeError, match='boom'):
        get_or_fetch(MATERIAL, failing, cache_dir)
    assert _cached_files(cache_dir) == []
    working = CountingFetch(tmp_path / 'calls')
    assert get_or_fetch(MATERIAL, working, cache_dir)[0] == ANSWER
    assert working.calls == 2  # the failed call and the one after it


def _ask(material, fetch, directory, barrier, results):
    barrier.wait()
    results.put(get_or_fetch(material, fetch, directory)[0])


@pytest.mark.parametrize('answer', [ANSWER, {'error': 'DialogTech API reported failed: Account suspended'}])
def test_concurrent_workers_make_one_fetch(cache_dir, tmp_path, answer):
    """Eight forks asking at the same moment: one fetches, the others wait and read.

    An error answer is shared the same way, so a wrong secret costs one request too.
    """
    fetch = CountingFetch(tmp_path / 'calls', answer, seconds=0.5)
    barrier, results = FORK.Barrier(8), FORK.Queue()
    workers = [FORK.Process(target=_ask, args=(MATERIAL, fetch, cache_dir, barrier, results)) for dummy in range(8)]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=60) for dummy in workers]
    for worker in workers:
        worker.join()
    assert [worker.exitcode for worker in workers] == [0] * 8
    assert answers == [answer] * 8
    assert fetch.calls == 1


def _report_run_id(results):
    results.put(_run_cache.run_id())


def test_workers_and_their_controller_share_the_run_id():
    results = FORK.Queue()
    worker = FORK.Process(target=_report_run_id, args=(results,))
    worker.start()
    in_worker = results.get(timeout=60)
    worker.join()
    pid, start = _run_cache.run_id().split('-')
    assert in_worker == _run_cache.run_id()
    assert int(pid) == os.getpid() and start == _run_cache.start_time(os.getpid())


def test_a_process_not_forked_by_multiprocessing_is_its_own_run():
    """ansible-playbook itself, templating in the controller: its own PID names the run."""
    code = ('import os; from ansible_collections.dialogtech.api.plugins.plugin_utils import _run_cache; '
            'print(os.getpid(), _run_cache.run_id())')
    other = subprocess.run([sys.executable, '-c', code], capture_output=True, check=True, text=True,
                           env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    pid, run = other.stdout.split()
    assert run.startswith(pid + '-')
    assert run != _run_cache.run_id()


def test_an_orphaned_worker_does_not_share(cache_dir, fetch):
    """A worker whose controller exited cannot trust that PID: no run id, no sharing."""
    orphan_parent = mock.Mock(pid=os.getppid() + 1)
    with mock.patch.object(multiprocessing, 'parent_process', return_value=orphan_parent):
        assert _run_cache.run_id() is None
        for dummy in range(2):
            answer, note = get_or_fetch(MATERIAL, fetch, cache_dir)
    assert answer == ANSWER and fetch.calls == 2
    assert note == 'not shared: cannot identify the Ansible run'
    assert not os.path.exists(cache_dir)


def test_start_time_reads_past_a_command_name_with_spaces_and_parentheses(tmp_path):
    script = tmp_path / 'odd) name ('
    script.write_text('import sys; sys.stdin.read()')
    child = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE)
    try:
        with open('/proc/%d/stat' % child.pid, 'rb') as stat_file:
            expected = stat_file.read().split(b') ')[-1].split()[19].decode()
        assert _run_cache.start_time(child.pid) == expected
    finally:
        child.communicate(b'')


def test_files_of_ended_runs_are_removed_on_a_miss(cache_dir, fetch):
    ended = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, check=True)
    own = _run_cache.run_id()
    get_or_fetch(MATERIAL, fetch, cache_dir)
    stale = ['%s-12345-%s.json' % (ended.stdout.decode().strip(), 'a' * 64),
             '%s-12345-%s.lock' % (ended.stdout.decode().strip(), 'a' * 64),
             # the PID of this run with another start time: an earlier process with that PID
             '%s-%d-%s.json' % (own.split('-')[0], int(own.split('-')[1]) + 1, 'b' * 64)]
    for name in stale:
        open(os.path.join(cache_dir, name), 'w').close()
    kept = set(os.listdir(cache_dir)) - set(stale)
    get_or_fetch(dict(MATERIAL, access_key='another'), fetch, cache_dir)  # a miss cleans up
    remaining = set(os.listdir(cache_dir))
    assert not remaining & set(stale)
    assert kept < remaining


def test_a_directory_others_can_read_is_refused(tmp_path, fetch):
    shared = tmp_path / 'shared'
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    with pytest.raises(RunCacheError, match=r'mode 0700, not owner \d+ mode 0755; .*run_cache=false'):
        get_or_fetch(MATERIAL, fetch, str(shared))
    assert fetch.calls == 0


@pytest.mark.parametrize('suffix', ['', '/'])  # with a final slash, lstat() would follow it
def test_a_symlink_is_refused(tmp_path, fetch, suffix):
    target = tmp_path / 'target'
    target.mkdir(mode=0o700)
    (tmp_path / 'link').symlink_to(target)
    with pytest.raises(RunCacheError, match='not a symlink'):
        get_or_fetch(MATERIAL, fetch, str(tmp_path / 'link') + suffix)
    assert _run_cache.invalidate(str(tmp_path / 'link') + suffix) == 0
    assert os.listdir(str(target)) == []


def test_a_directory_that_cannot_be_created_is_reported(tmp_path, fetch):
    (tmp_path / 'file').write_text('')
    with pytest.raises(RunCacheError, match='cannot create the run cache directory .*/file/cache'):
        get_or_fetch(MATERIAL, fetch, str(tmp_path / 'file' / 'cache'))


def test_a_directory_another_user_made_first_is_refused(cache_dir, fetch, monkeypatch):
    """Without XDG_RUNTIME_DIR the default name in /tmp is predictable: someone else may own it."""
    os.mkdir(cache_dir, 0o700)
    owner = os.stat(cache_dir).st_uid
    monkeypatch.setattr(os, 'geteuid', lambda: owner + 4242)  # the directory's owner is another user now
    with pytest.raises(RunCacheError, match=r'owned by uid %d with mode 0700, not owner %d mode 0700' % (
            owner + 4242, owner)):
        get_or_fetch(MATERIAL, fetch, cache_dir)
    assert fetch.calls == 0 and os.listdir(cache_dir) == []


@pytest.mark.parametrize('mode, refused', [(0o777, True), (0o775, True), (0o1777, False), (0o755, False)])
def test_a_folder_above_that_others_can_write_is_refused_unless_sticky(tmp_path, fetch, mode, refused):
    """Whoever can write the folder above can rename the private directory and put theirs."""
    above = tmp_path / 'above'
    above.mkdir()
    above.chmod(mode)
    directory = str(above / 'cache')
    if refused:
        with pytest.raises(RunCacheError, match=r'refusing the run cache directory .*/cache: .*/above above it is '
                                                r'owned by uid \d+ with mode %04o, so another user could replace it'
                                                % mode):
            get_or_fetch(MATERIAL, fetch, directory)
        assert fetch.calls == 0
    else:
        assert get_or_fetch(MATERIAL, fetch, directory)[0] == ANSWER


def test_a_directory_that_cannot_be_written_is_a_run_cache_error(cache_dir, fetch, monkeypatch):
    """Not a raw OSError: the caller falls back to fetching itself.  (Faked: the tests may
    run as root, whom a mode does not stop.)"""
    def unwritable(*args, **kwargs):
        raise PermissionError(13, 'Permission denied')
    monkeypatch.setattr(_run_cache.tempfile, 'mkstemp', unwritable)
    with pytest.raises(RunCacheError, match=r'^cannot use the run cache directory .*/cache: Permission denied$'):
        get_or_fetch(MATERIAL, fetch, cache_dir)
    assert fetch.calls == 0


def test_a_damaged_answer_file_is_a_run_cache_error(cache_dir, fetch):
    get_or_fetch(MATERIAL, fetch, cache_dir)
    with open(os.path.join(cache_dir, _cached_files(cache_dir)[0]), 'w') as damaged:
        damaged.write('{"numbers": [')
    with pytest.raises(RunCacheError, match='^cannot use the run cache directory .*/cache: Expecting value'):
        get_or_fetch(MATERIAL, fetch, cache_dir)
    assert fetch.calls == 1


def _hold_the_lock_while_fetching(directory, fetching, release):
    def fetch(material):
        fetching.set()
        release.wait(60)
        return ANSWER
    get_or_fetch(MATERIAL, fetch, directory)


def test_a_worker_waits_for_another_ones_fetch_at_most_wait_seconds(cache_dir, fetch):
    fetching, release = FORK.Event(), FORK.Event()
    holder = FORK.Process(target=_hold_the_lock_while_fetching, args=(cache_dir, fetching, release))
    holder.start()
    try:
        assert fetching.wait(60)
        with pytest.raises(RunCacheError, match=r'^waited 0.2 seconds for another worker of the run to fetch the '
                                                r'same answer$'):
            get_or_fetch(MATERIAL, fetch, cache_dir, wait=0.2)
        assert fetch.calls == 0
    finally:
        release.set()
        holder.join(60)
    assert holder.exitcode == 0
    answer, note = get_or_fetch(MATERIAL, fetch, cache_dir, wait=0.2)
    assert answer == ANSWER and note.startswith('shared answer read from ') and fetch.calls == 0


@pytest.mark.parametrize('runtime, expected', [
    ('/run/user/1000', '/run/user/1000/dialogtech.api'),
    (None, os.path.join('/tmp/x', 'dialogtech.api-%d' % os.geteuid())),
    ('relative/dir', os.path.join('/tmp/x', 'dialogtech.api-%d' % os.geteuid())),
])
def test_default_directory(monkeypatch, runtime, expected):
    monkeypatch.setattr(_run_cache.tempfile, 'gettempdir', lambda: '/tmp/x')
    if runtime is None:
        monkeypatch.delenv('XDG_RUNTIME_DIR', raising=False)
    else:
        monkeypatch.setenv('XDG_RUNTIME_DIR', runtime)
    assert _run_cache.default_directory() == expected


@pytest.fixture
def default_dir(monkeypatch, tmp_path):
    directory = str(tmp_path / 'default')
    monkeypatch.setattr(_run_cache, 'default_directory', lambda: directory)
    return directory


def test_a_shared_value_is_read_back_in_the_same_run(default_dir):
    assert _run_cache.read_shared('options-x') is None
    assert not os.path.exists(default_dir)  # reading never creates the directory
    _run_cache.write_shared('options-x', {'a': [1, 'b']})
    assert _run_cache.read_shared('options-x') == {'a': [1, 'b']}
    path = os.path.join(default_dir, '%s-options-x.json' % _run_cache.run_id())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_shared_value_is_not_trusted_from_a_directory_others_can_write(default_dir):
    os.mkdir(default_dir)
    os.chmod(default_dir, 0o777)
    with open(os.path.join(default_dir, '%s-options-x.json' % _run_cache.run_id()), 'w') as planted:
        planted.write('{"api_url": "https://attacker.example"}')
    assert _run_cache.read_shared('options-x') is None
    _run_cache.write_shared('options-y', {'a': 1})
    assert not os.path.exists(os.path.join(default_dir, '%s-options-y.json' % _run_cache.run_id()))


def test_nothing_is_shared_when_the_run_is_unknown(default_dir, monkeypatch):
    monkeypatch.setattr(_run_cache, 'run_id', lambda: None)
    _run_cache.write_shared('options-x', {'a': 1})
    assert _run_cache.read_shared('options-x') is None
    assert not os.path.exists(default_dir)


def _invalidate_in_worker(directory, results):
    results.put(_run_cache.invalidate(directory))


def test_invalidate_drops_every_answer_of_the_run_and_nothing_else(cache_dir, fetch, default_dir):
    get_or_fetch(MATERIAL, fetch, cache_dir)
    get_or_fetch(dict(MATERIAL, http_method='POST'), fetch, cache_dir)
    other_run = '%d-12345-%s.json' % (os.getpid(), 'c' * 64)  # this PID with another start time
    open(os.path.join(cache_dir, other_run), 'w').close()
    _run_cache.write_shared('options-x', {'a': 1})
    # A worker of the run (the action plugin runs in one) drops the answers for the run.
    results = FORK.Queue()
    worker = FORK.Process(target=_invalidate_in_worker, args=(cache_dir, results))
    worker.start()
    assert results.get(timeout=60) == 2
    worker.join()
    assert _cached_files(cache_dir) == [other_run]
    assert _run_cache.read_shared('options-x') == {'a': 1}
    assert {'key'} < set(os.listdir(cache_dir))  # the key and the lock files stay
    # The next ask fetches afresh, once.
    get_or_fetch(MATERIAL, fetch, cache_dir)
    get_or_fetch(MATERIAL, fetch, cache_dir)
    assert fetch.calls == 3


def _fetch_across_an_invalidation(directory, fetching, release, results):
    def fetch(material):
        fetching.set()  # the account is read: from here on, a write makes this answer stale
        release.wait(60)
        return {'numbers': 'as before the write'}
    results.put(get_or_fetch(MATERIAL, fetch, directory)[0])


def test_a_fetch_that_began_before_an_invalidation_is_not_kept_for_the_run(cache_dir, fetch):
    """A lookup's worker reads the account, a write's action plugin invalidates, then the
    lookup's answer comes: later asks must not get it."""
    fetching, release, results = FORK.Event(), FORK.Event(), FORK.Queue()
    worker = FORK.Process(target=_fetch_across_an_invalidation, args=(cache_dir, fetching, release, results))
    worker.start()
    try:
        assert fetching.wait(60)
        _run_cache.invalidate(cache_dir)
    finally:
        release.set()
    # The lookup that was under way when the account changed may see it as before ...
    assert results.get(timeout=60) == {'numbers': 'as before the write'}
    worker.join(60)
    # ... but every ask after the invalidation fetches afresh, once.
    assert get_or_fetch(MATERIAL, fetch, cache_dir)[0] == ANSWER
    assert get_or_fetch(MATERIAL, fetch, cache_dir)[0] == ANSWER
    assert fetch.calls == 1


def test_invalidate_that_cannot_write_is_a_run_cache_error(cache_dir, fetch, monkeypatch):
    get_or_fetch(MATERIAL, fetch, cache_dir)

    def unwritable(*args, **kwargs):
        raise PermissionError(13, 'Permission denied')
    monkeypatch.setattr(_run_cache.tempfile, 'mkstemp', unwritable)
    with pytest.raises(RunCacheError, match=r'^cannot invalidate the run cache in .*/cache: Permission denied$'):
        _run_cache.invalidate(cache_dir)


def test_invalidate_uses_the_default_directory(fetch, default_dir):
    get_or_fetch(MATERIAL, fetch)
    assert _run_cache.invalidate() == 1
    assert _cached_files(default_dir) == []


def test_invalidate_leaves_a_missing_or_shared_directory_alone(tmp_path, fetch):
    assert _run_cache.invalidate(str(tmp_path / 'missing')) == 0
    assert not os.path.exists(str(tmp_path / 'missing'))
    shared = tmp_path / 'shared'
    shared.mkdir()
    shared.chmod(0o755)
    planted = shared / ('%s-%s.json' % (_run_cache.run_id(), 'd' * 64))
    planted.write_text('{}')
    assert _run_cache.invalidate(str(shared)) == 0
    assert planted.exists()


def test_invalidate_does_nothing_when_the_run_is_unknown(cache_dir, fetch, monkeypatch):
    get_or_fetch(MATERIAL, fetch, cache_dir)
    monkeypatch.setattr(_run_cache, 'run_id', lambda: None)
    assert _run_cache.invalidate(cache_dir) == 0
    assert len(_cached_files(cache_dir)) == 1
