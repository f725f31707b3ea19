# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The dialogtech.api.sms_numbers event source against the emulator, loaded the way
ansible-rulebook loads it (runpy.run_path).  Polls are stepped by the test: the source's
pause between polls is replaced by a clock that returns when the test says, so no test
waits for an interval or times anything."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading

import ansible
import pytest

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.tests.unit.helpers import (
    EVENT_SOURCE as SOURCE, SECRET, SECRET_FORMS, load_event_source, serve, stop,
)

KEY = 'eda-watched'
NUMBERS = [
    {'number': '5550001001', 'sms_enabled': True, 'url': 'https://sms.example.com/a'},
    {'number': '5550001002', 'sms_enabled': True, 'url': 'https://sms.example.com/b'},
    {'number': '5550001003', 'sms_enabled': False, 'url': None},
]
# An answer that is not the API's and quotes the secret, as a login page or proxy might.
ECHO_FAULT = {'kind': 'raw', 'content_type': 'text/html; charset=UTF-8',
              'body': '<html><body>Log in again: ?access_key=%s&secret_access_key=%s</body></html>' % (KEY, SECRET)}


@pytest.fixture(scope='module')
def emulator(tmp_path_factory):
    data = tmp_path_factory.mktemp('eda') / 'accounts.json'
    data.write_text(json.dumps({'accounts': [{'access_key': KEY, 'secret_access_key': SECRET, 'numbers': NUMBERS}]}))
    server = serve(data)
    yield server
    stop(server)


@pytest.fixture
def account(emulator, monkeypatch):
    """The emulated account, restored for each test, and the environment pointing at it."""
    emulator.emulator.reset()
    emulator.emulator.accounts[KEY].pop('fault', None)
    for name in [name for name in os.environ if name.startswith('DIALOGTECH_')]:
        monkeypatch.delenv(name)
    monkeypatch.setenv('DIALOGTECH_ACCESS_KEY', KEY)
    monkeypatch.setenv('DIALOGTECH_SECRET_ACCESS_KEY', SECRET)
    monkeypatch.setenv('DIALOGTECH_API_URL', emulator.api_url)
    monkeypatch.setenv('DIALOGTECH_RETRIES', '0')
    return Account(emulator)


class Account(object):
    def __init__(self, server):
        self.server, self.emulator = server, server.emulator
        self.api = self.server.api_url.rsplit('/', 1)[0]

    def set(self, number, **state):
        """Change a number's state; add it when the account lacks it."""
        with self.emulator.lock:
            entries = self.emulator.numbers(self.emulator.accounts[KEY])
            entry = next((entry for entry in entries if entry['number'] == number), None)
            if entry is None:
                entries.append(dict({'number': number, 'sms_enabled': False, 'url': None}, **state))
            else:
                entry.update(state)
            self.emulator.rendered.clear()

    def remove(self, number):
        with self.emulator.lock:
            entries = self.emulator.numbers(self.emulator.accounts[KEY])
            entries[:] = [entry for entry in entries if entry['number'] != number]
            self.emulator.rendered.clear()

    def fail(self, fault):
        self.emulator.accounts[KEY]['fault'] = fault

    def recover(self):
        del self.emulator.accounts[KEY]['fault']

    def requests(self):
        return self.emulator.stats()['requests']


@pytest.fixture
def source():
    return load_event_source()


class Polls(object):
    """The source running as a task; each step lets one poll run and returns its events."""

    def __init__(self, source, args, monkeypatch):
        self.queue, self.intervals = asyncio.Queue(), []
        self._asleep, self._wake = asyncio.Queue(), asyncio.Queue()
        monkeypatch.setitem(source, '_pause', self._pause)
        self.task = asyncio.ensure_future(source['main'](self.queue, args))

    async def _pause(self, seconds):
        self.intervals.append(seconds)
        await self._asleep.put(None)
        await self._wake.get()

    async def first(self):
        """The events of the first poll."""
        return await self._until_asleep()

    async def next(self):
        await self._wake.put(None)
        return await self._until_asleep()

    async def _until_asleep(self):
        asleep = asyncio.ensure_future(self._asleep.get())
        # The timeout only guards against a hang; it measures nothing.
        done = (await asyncio.wait({asleep, self.task}, timeout=60, return_when=asyncio.FIRST_COMPLETED))[0]
        if asleep not in done:
            asleep.cancel()
            if self.task.done():
                self.task.result()  # the source's own error
            pytest.fail('the source neither ended nor finished its poll')
        events = []
        while not self.queue.empty():
            events.append(self.queue.get_nowait()['dialogtech'])
        return events

    async def stop(self):
        self.task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await self.task


def run(scenario):
    return asyncio.run(scenario())


def start_error(source, args):
    """Start the source; it must end with an error before its first pause."""
    async def scenario():
        # The timeout only turns a source that wrongly starts polling into a failure.
        await asyncio.wait_for(source['main'](asyncio.Queue(), args), 60)
    asyncio.run(scenario())


def change(number, kinds, before, after):
    return {'type': 'change', 'change': kinds[0], 'changes': kinds, 'number': number, 'before': before,
            'after': after}


def without_time(events, api):
    """The events without ``polled_at`` (checked for its format) and ``api`` (checked)."""
    for event in events:
        assert event.pop('api') == api
        assert len(event['polled_at']) == 20 and event.pop('polled_at').endswith('Z')
    return events


def test_the_first_poll_is_the_baseline_then_every_kind_of_change_is_one_event(source, account, monkeypatch):
    async def scenario():
        polls = Polls(source, {'interval': 60}, monkeypatch)
        assert await polls.first() == []
        assert await polls.next() == []
        account.set('5550001001', url='https://sms.example.com/new')
        account.set('5550001002', sms_enabled=False, url=None)
        account.set('5550001003', sms_enabled=True, url='https://sms.example.com/c')
        account.remove('5550001001')
        account.set('5550001009', sms_enabled=True, url='https://sms.example.com/z')
        events = without_time(await polls.next(), account.api)
        assert await polls.next() == []
        await polls.stop()
        assert polls.intervals == [60, 60, 60, 60]
        return events

    enabled_b = {'sms_enabled': True, 'url': 'https://sms.example.com/b'}
    assert run(scenario) == [
        change('5550001001', ['removed'], {'sms_enabled': True, 'url': 'https://sms.example.com/a'}, None),
        change('5550001002', ['sms_enabled_changed', 'url_changed'], enabled_b, {'sms_enabled': False, 'url': None}),
        change('5550001003', ['sms_enabled_changed', 'url_changed'], {'sms_enabled': False, 'url': None},
               {'sms_enabled': True, 'url': 'https://sms.example.com/c'}),
        change('5550001009', ['added'], None, {'sms_enabled': True, 'url': 'https://sms.example.com/z'}),
    ]


def test_url_change_alone_the_default_interval_and_rulebook_arguments(source, account, monkeypatch):
    async def scenario():
        polls = Polls(source, {'eda_feedback_queue': asyncio.Queue()}, monkeypatch)  # ansible-rulebook's own
        await polls.first()
        account.set('5550001002', url='https://sms.example.com/moved')
        events = without_time(await polls.next(), account.api)
        await polls.stop()
        assert polls.intervals == [300, 300]
        return events

    assert run(scenario) == [change('5550001002', ['url_changed'], {'sms_enabled': True, 'url': 'https://sms.example.com/b'},
                                    {'sms_enabled': True, 'url': 'https://sms.example.com/moved'})]


@pytest.mark.parametrize('emit_initial', [True, False])
def test_numbers_filter_in_any_format_with_and_without_emit_initial(source, account, monkeypatch, emit_initial):
    async def scenario():
        polls = Polls(source, {'numbers': ['(555) 000-1002', '+1 555 000 1009'], 'emit_initial': emit_initial},
                      monkeypatch)
        initial = without_time(await polls.first(), account.api)
        account.set('5550001001', url='https://sms.example.com/ignored')
        account.set('5550001002', url='https://sms.example.com/watched')
        account.set('5550001009', sms_enabled=True, url='https://sms.example.com/new')
        later = without_time(await polls.next(), account.api)
        await polls.stop()
        return initial, later

    initial, later = run(scenario)
    b = {'sms_enabled': True, 'url': 'https://sms.example.com/b'}
    assert initial == ([change('5550001002', ['added'], None, b)] if emit_initial else [])
    assert later == [change('5550001002', ['url_changed'], b, {'sms_enabled': True, 'url': 'https://sms.example.com/watched'}),
                     change('5550001009', ['added'], None, {'sms_enabled': True, 'url': 'https://sms.example.com/new'})]


def test_emit_initial_adds_every_number_once(source, account, monkeypatch):
    async def scenario():
        polls = Polls(source, {'emit_initial': True}, monkeypatch)
        initial, later = await polls.first(), await polls.next()
        await polls.stop()
        return without_time(initial, account.api), later

    initial, later = run(scenario)
    assert initial == [change(record['number'], ['added'], None, {'sms_enabled': record['sms_enabled'], 'url': record['url']})
                       for record in NUMBERS]
    assert later == []


def test_state_file_carries_the_account_across_a_restart(source, account, monkeypatch, tmp_path):
    state_file = tmp_path / 'state' / 'sms.json'
    state_file.parent.mkdir()
    args = {'state_file': str(state_file), 'emit_initial': True}

    def stored():
        return {record['number']: record['url'] for record in json.loads(state_file.read_text())['numbers']}

    async def first_run():
        polls = Polls(source, args, monkeypatch)
        # No state yet: emit_initial applies, and the state is written at the first poll.
        assert len(await polls.first()) == 3
        assert stored()['5550001001'] == 'https://sms.example.com/a'
        written = state_file.stat().st_mtime_ns
        assert await polls.next() == []
        assert state_file.stat().st_mtime_ns == written, 'a poll without change rewrote the state file'
        account.set('5550001001', url='https://sms.example.com/during')
        assert [event['number'] for event in await polls.next()] == ['5550001001']
        # Written at the poll, not at exit: ansible-rulebook's JVM exits without cancelling.
        assert stored()['5550001001'] == 'https://sms.example.com/during'
        await polls.stop()

    async def later_run():
        polls = Polls(source, args, monkeypatch)
        events = without_time(await polls.first(), account.api)
        assert await polls.next() == []
        await polls.stop()
        return events

    run(first_run)
    account.set('5550001002', url='https://sms.example.com/while-stopped')
    # The stored account is the baseline: emit_initial no longer applies, the change made
    # while stopped comes once, and a third run has nothing to emit.
    assert run(later_run) == [change('5550001002', ['url_changed'], {'sms_enabled': True, 'url': 'https://sms.example.com/b'},
                                     {'sms_enabled': True, 'url': 'https://sms.example.com/while-stopped'})]
    assert run(later_run) == []
    assert oct(state_file.stat().st_mode & 0o777) == '0o600'
    assert sorted(path.name for path in state_file.parent.iterdir()) == ['sms.json']
    assert not any(form in state_file.read_text() for form in SECRET_FORMS)


def test_an_api_failure_is_an_error_event_per_poll_then_recovered_and_the_changes(source, account, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario():
        polls = Polls(source, {'interval': 30}, monkeypatch)
        await polls.first()
        account.fail({'kind': 'http_status', 'status': 500})
        first, second = await polls.next(), await polls.next()
        account.fail(ECHO_FAULT)
        account.set('5550001003', sms_enabled=True, url='https://sms.example.com/c')
        third = await polls.next()
        account.recover()
        back, quiet = await polls.next(), await polls.next()
        await polls.stop()
        return [without_time(events, account.api) for events in (first, second, third, back, quiet)]

    first, second, third, back, quiet = run(scenario)
    assert [(event['type'], event['consecutive_failures']) for event in first + second + third] == [
        ('error', 1), ('error', 2), ('error', 3)]
    assert first[0]['message'].startswith('DialogTech API at %s' % account.api) and '500' in first[0]['message']
    assert third[0]['message'].startswith('DialogTech API response is an HTML page') and '********' in third[0]['message']
    assert back == [{'type': 'recovered', 'failed_polls': 3},
                    change('5550001003', ['sms_enabled_changed', 'url_changed'], {'sms_enabled': False, 'url': None},
                           {'sms_enabled': True, 'url': 'https://sms.example.com/c'})]
    assert quiet == []
    warnings = [record.getMessage() for record in caplog.records
                if record.name == 'dialogtech.api.sms_numbers' and record.levelno == logging.WARNING]
    assert len(warnings) == 3 and all('\n' not in line for line in warnings)
    assert warnings[0] == ('dialogtech.api.sms_numbers: poll 1 in a row of %s failed, next in 30 s: %s'
                           % (account.api, first[0]['message']))
    leaked = [form for form in SECRET_FORMS
              for text in [caplog.text, json.dumps([first, second, third, back])] if form in text]
    assert not leaked


def test_a_secret_given_as_an_argument_is_warned_about_and_never_shown(source, account, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.delenv('DIALOGTECH_SECRET_ACCESS_KEY')
    account.fail(ECHO_FAULT)

    async def scenario():
        polls = Polls(source, {'secret_access_key': SECRET, 'http_method': 'GET'}, monkeypatch)
        events = await polls.first()
        await polls.stop()
        return events

    events = run(scenario)
    assert [event['type'] for event in events] == ['error']
    assert any(record.levelno == logging.WARNING and 'secret_access_key is given as a rulebook argument'
               in record.getMessage() for record in caplog.records)
    for form in SECRET_FORMS:
        assert form not in caplog.text and form not in json.dumps(events)


@pytest.mark.parametrize('args, message', [
    ({'intervall': 60}, 'unknown argument(s) intervall of dialogtech.api.sms_numbers; it takes: access_key, '),
    ({'interval': 5}, 'argument interval must be a whole number of seconds, at least 10, not 5'),
    ({'interval': 'soon'}, "argument interval must be a whole number of seconds, at least 10, not 'soon'"),
    ({'interval': 12.5}, 'argument interval must be a whole number of seconds, at least 10, not 12.5'),
    ({'numbers': '5550001001'}, "argument numbers must be a non-empty list of phone numbers, not '5550001001'"),
    ({'numbers': ['5550001001', '555-01']}, "argument numbers[1]: '555-01' is not a 10-digit US phone number"),
    ({'emit_initial': 'yes'}, "argument emit_initial must be true or false, not 'yes'"),
    ({'timeout': 'soon'}, "argument timeout: 'soon' is not a number"),
    ({'http_method': 'PUT'}, "argument http_method: 'PUT' must be GET or POST"),
    ({'retries': -1}, 'argument retries: -1 must be 0 or more'),
    ({'validate_certs': 'maybe'}, "argument validate_certs: 'maybe' is not a boolean"),
    ({'state_file': '/nonexistent/dir/state.json'}, 'argument state_file /nonexistent/dir/state.json cannot be '
                                                    'written: its directory does not exist or is not writable'),
])
def test_bad_arguments_end_the_source_at_start_naming_the_argument(source, account, args, message):
    with pytest.raises(DialogTechError) as caught:
        start_error(source, args)
    assert str(caught.value).startswith(message) and '\n' not in str(caught.value)
    assert account.requests() == 0


@pytest.mark.parametrize('variable, message', [
    ('DIALOGTECH_ACCESS_KEY', 'access_key is required: set the argument access_key or the '
                              'DIALOGTECH_ACCESS_KEY environment variable'),
    ('DIALOGTECH_SECRET_ACCESS_KEY', 'secret_access_key is required: set the argument secret_access_key or the '
                                     'DIALOGTECH_SECRET_ACCESS_KEY environment variable'),
])
def test_missing_credentials_end_the_source_at_start(source, account, monkeypatch, variable, message):
    monkeypatch.delenv(variable)
    with pytest.raises(DialogTechError, match='^%s$' % message):
        start_error(source, {})


def test_an_invalid_environment_variable_is_named(source, account, monkeypatch):
    monkeypatch.setenv('DIALOGTECH_TIMEOUT', 'soon')
    with pytest.raises(DialogTechError, match="^DIALOGTECH_TIMEOUT: 'soon' is not a number$"):
        start_error(source, {})


@pytest.mark.parametrize('content, message', [
    ('not json', 'is not a state file of dialogtech.api.sms_numbers'),
    ('{"numbers": []}', 'is not a state file of dialogtech.api.sms_numbers'),
    ('{"format": "dialogtech.api.sms_numbers/1", "numbers": [{"number": 5}]}',
     'is not a state file of dialogtech.api.sms_numbers'),
    ('{"format": "dialogtech.api.sms_numbers/1", "api": "https://secure.dialogtech.com", "access_key": "other", '
     '"numbers": []}', 'holds the account of access_key other at https://secure.dialogtech.com, not of eda-watched'),
    (None, 'cannot be read: Is a directory'),
])
def test_a_foreign_or_unreadable_state_file_is_a_clear_error_at_start(source, account, tmp_path, content, message):
    state_file = tmp_path / 'state.json'
    if content is None:
        state_file.mkdir()
    else:
        state_file.write_text(content)
    with pytest.raises(DialogTechError) as caught:
        start_error(source, {'state_file': str(state_file)})
    assert str(caught.value).startswith('state_file %s ' % state_file) and message in str(caught.value)
    assert account.requests() == 0


HANG_SECONDS = 5


@pytest.mark.parametrize('hang', [True, False], ids=['during-a-hung-poll', 'between-polls'])
def test_cancellation_ends_the_source_at_once_without_an_error(source, account, monkeypatch, caplog, hang):
    # The hang outlasts the scenario but not the test: the emulator's request thread and the
    # poll thread must both be gone before the emulator stops (it joins its request threads)
    # and before a later test forks.
    if hang:
        account.fail({'kind': 'slow', 'delay': HANG_SECONDS, 'where': 'headers'})
    monkeypatch.setenv('DIALOGTECH_TIMEOUT', '3600')

    async def scenario():
        polls = Polls(source, {}, monkeypatch)
        if hang:
            while account.requests() == 0:  # the poll thread's request has reached the emulator
                await asyncio.sleep(0.01)
            assert polls.queue.empty() and not polls.task.done()
        else:
            await polls.first()
        await polls.stop()

    run(scenario)
    poll_threads = [thread for thread in threading.enumerate() if thread.name == 'dialogtech.api.sms_numbers poll']
    assert all(thread.daemon for thread in poll_threads) and (poll_threads or not hang)
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    for thread in poll_threads:
        thread.join(HANG_SECONDS * 4)
        assert not thread.is_alive()


IMPORT_AS_ANSIBLE_RULEBOOK = r'''
import importlib.util, json, runpy, sys
sys.path.append(sys.argv[2])  # ansible-core, installed beside ansible-rulebook
before = importlib.util.find_spec('ansible_collections') is not None
source = runpy.run_path(sys.argv[1])
print(json.dumps({'importable_before': before, 'main': callable(source['main']), 'root': sys.path[0],
                  'core': source['fetch_numbers'].__module__}))
'''


def test_the_source_finds_its_collection_without_sys_path_help():
    # -I: no PYTHONPATH, user site or current folder; ansible-rulebook adds nothing either.
    ansible_core = os.path.dirname(os.path.dirname(ansible.__file__))
    result = subprocess.run([sys.executable, '-I', '-c', IMPORT_AS_ANSIBLE_RULEBOOK, str(SOURCE), ansible_core],
                            capture_output=True, text=True, check=False, cwd='/')
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        'importable_before': False, 'main': True, 'root': str(SOURCE.parents[7]),
        'core': 'ansible_collections.dialogtech.api.plugins.module_utils._client'}


def test_a_copy_outside_a_collection_says_so(source, tmp_path):
    with pytest.raises(ImportError, match='is not inside an installed collection'):
        source['collections_root'](str(tmp_path / 'sms_numbers.py'))
    assert source['collections_root']('/c/ansible_collections/dialogtech/api/extensions/eda/plugins/event_source/'
                                      'sms_numbers.py') == '/c'
