# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""dialogtech.api.sms_numbers: an ansible-rulebook event source that polls a DialogTech
account's SMS numbers and emits one event per number that changed.

A thin adapter: the API call is the collection's client (``fetch_numbers``), the
detection the compliance role's drift (``_compliance.number_changes``); this file only
schedules polls, keeps the last seen account (and its ``state_file``) and turns
outcomes into events.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import os
import sys
import tempfile
import threading

DOCUMENTATION = r'''
---
short_description: Emit an event for every change to a DialogTech account's SMS numbers.
description:
  - An ansible-rulebook event source that polls the DialogTech API (C(sms.get_numbers)) every
    O(interval) seconds and emits one event per number that was added, removed, or whose
    SMS flag or listener URL changed since the previous poll.
  - The first poll is the baseline, unless O(emit_initial) is set or O(state_file) holds the
    account as last seen.
  - A failed poll emits an C(error) event and is retried after O(interval); the next good
    poll emits a C(recovered) event and the changes since the last good poll.
  - The connection options are those of the collection's modules, with the same defaults;
    each one not given falls back to its E(DIALOGTECH_*) environment variable. Give the
    secret in the environment (an EDA credential), not as an argument, which
    ansible-rulebook prints at C(-vv).
version_added: 0.2.0
author:
  - dialogtech.api maintainers
options:
  access_key:
    description: Access Key of the account. Default E(DIALOGTECH_ACCESS_KEY).
    type: str
  secret_access_key:
    description: Secret Access Key of the account. Default E(DIALOGTECH_SECRET_ACCESS_KEY); set it there.
    type: str
  api_url:
    description: URL of the API endpoint. Default E(DIALOGTECH_API_URL), else the vendor's.
    type: str
    default: https://secure.dialogtech.com/ibp_api.php
  http_method:
    description: V(GET) or V(POST) (keeps the secret out of URLs). Default E(DIALOGTECH_HTTP_METHOD).
    type: str
    default: GET
    choices: [GET, POST]
  timeout:
    description: Seconds to wait for the connection and each read. Default E(DIALOGTECH_TIMEOUT).
    type: float
    default: 30
  total_timeout:
    description: Upper bound in seconds on one poll, retries included. Default E(DIALOGTECH_TOTAL_TIMEOUT).
    type: float
    default: 120
  retries:
    description: Retries of a poll after a connection error or HTTP 429/502/503/504. Default E(DIALOGTECH_RETRIES).
    type: int
    default: 3
  validate_certs:
    description: Whether to verify the API's TLS certificate. Default E(DIALOGTECH_VALIDATE_CERTS).
    type: bool
    default: true
  ca_path:
    description: CA bundle file or directory to trust instead of the system's. Default E(DIALOGTECH_CA_PATH).
    type: path
  max_response_bytes:
    description: Largest answer accepted, in bytes. Default E(DIALOGTECH_MAX_RESPONSE_BYTES).
    type: int
    default: 67108864
  interval:
    description:
      - Seconds between polls, at least 10. Each poll is one C(sms.get_numbers) request (more
        when retried); mind the account's rate limits.
    type: int
    default: 300
  numbers:
    description:
      - Watch only these numbers, in any format the modules take (V(5559990000),
        V((555\) 999-0000), V(+1 555 999 0000)). Default every number of the account.
    type: list
    elements: str
  emit_initial:
    description:
      - V(true) emits an C(added) event for every watched number at the first poll;
        V(false) takes the first poll as the baseline. Ignored when O(state_file) exists.
    type: bool
    default: false
  state_file:
    description:
      - File that keeps the account as last seen, written atomically after every poll that
        changed it. When it exists at start it is the baseline, so changes made while the
        rulebook was stopped are emitted once. One file per account and source.
    type: path
'''

EXAMPLES = r'''
- name: Run the remediation when a number's listener URL changes
  hosts: localhost
  sources:
    - dialogtech.api.sms_numbers:
        interval: 300
        state_file: /var/lib/eda/dialogtech-sms-numbers.json
  rules:
    - name: Listener URL changed
      condition: event.dialogtech.type == "change" and "url_changed" in event.dialogtech.changes
      action:
        run_playbook:
          name: restore_listener.yml
'''

# Connection options come from the collection's spec; these are the source's own.
SOURCE_OPTIONS = ('interval', 'numbers', 'emit_initial', 'state_file')
DEFAULT_INTERVAL = 300
MINIMUM_INTERVAL = 10
STATE_FORMAT = 'dialogtech.api.sms_numbers/1'

logger = logging.getLogger('dialogtech.api.sms_numbers')


def collections_root(path):
    """The folder holding ``ansible_collections`` for this file at ``path``.

    ansible-rulebook runs a source with runpy.run_path and puts no collection on sys.path,
    so the source makes its own collection importable from where it lies:
    ROOT/ansible_collections/dialogtech/api/extensions/eda/plugins/event_source/.
    """
    parts = os.path.abspath(path).split(os.sep)
    if len(parts) < 9 or parts[-8] != 'ansible_collections':
        raise ImportError('%s is not inside an installed collection (.../ansible_collections/dialogtech/api/'
                          'extensions/eda/plugins/event_source/): install dialogtech.api with ansible-galaxy'
                          % path)
    return os.sep.join(parts[:-8]) or os.sep


if collections_root(__file__) not in sys.path:
    # First, so that this copy of the collection is the one imported.
    sys.path.insert(0, collections_root(__file__))

from ansible_collections.dialogtech.api.plugins.module_utils._client import fetch_numbers
from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._numbers import normalize_number
from ansible_collections.dialogtech.api.plugins.module_utils._options import (
    CONNECTION_ARGUMENT_SPEC,
    ConnectionOptions,
    convert,
    from_environment,
    require_credentials,
    validate,
)
from ansible_collections.dialogtech.api.plugins.module_utils._redaction import redact, redact_library_logs
from ansible_collections.dialogtech.api.plugins.module_utils._response import as_dicts
from ansible_collections.dialogtech.api.plugins.module_utils._transport import origin
from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance import number_changes

# What the source waits with between polls; the unit tests put a clock of theirs here to
# run polls one at a time without waiting.
_pause = asyncio.sleep


async def main(queue, args):
    """Poll the account every ``interval`` seconds and put an event on ``queue`` for every
    change, failed poll and recovery; run until cancelled.

    Bad arguments and missing credentials raise DialogTechError at once, with one line
    naming the argument; API failures never end the source.
    """
    watch = Watch(args or {}, os.environ)
    await watch.run(queue)


class Watch(object):
    """The source's arguments, checked, and the account as last seen."""

    def __init__(self, args, environ):
        # ansible-rulebook adds arguments of its own, all named eda_* (eda_feedback_queue).
        unknown = sorted(str(name) for name in set(args) - set(CONNECTION_ARGUMENT_SPEC) - set(SOURCE_OPTIONS)
                         if not str(name).startswith('eda_'))
        if unknown:
            raise DialogTechError('unknown argument(s) %s of dialogtech.api.sms_numbers; it takes: %s'
                                  % (', '.join(unknown), ', '.join(list(CONNECTION_ARGUMENT_SPEC) + list(SOURCE_OPTIONS))))
        given = {}
        for name in CONNECTION_ARGUMENT_SPEC:
            if args.get(name) is not None:
                # Converted too: a value templated from rulebook variables arrives as text.
                given[name], problem = convert(name, args[name])
                if problem:
                    raise DialogTechError('argument %s: %r %s' % (name, args[name], problem))
        if given.get('secret_access_key'):
            logger.warning('dialogtech.api.sms_numbers: secret_access_key is given as a rulebook argument, which '
                           'ansible-rulebook prints at -vv; set the DIALOGTECH_SECRET_ACCESS_KEY environment '
                           'variable (an EDA credential) instead')
        self.options = ConnectionOptions(**from_environment(given, environ))
        require_credentials(self.options, 'the argument {name} or the {variable} environment variable')
        validate(self.options)
        self.api = origin(self.options.api_url)
        self.interval = _interval(args.get('interval'))
        self.numbers = _numbers(args.get('numbers'))
        self.emit_initial = _flag('emit_initial', args.get('emit_initial'))
        self.state_file = _state_file(args.get('state_file'))
        # The account as last seen, in full: the baseline of the next poll.
        self.account = self._read_state() if self.state_file else None

    async def run(self, queue):
        redact_library_logs()
        failures = 0
        while True:
            polled_at = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')
            try:
                records = await _in_daemon_thread(_account, self.options)
            except DialogTechError as exc:
                failures += 1
                message = redact(str(exc), self.options.secret_access_key)
                logger.warning('dialogtech.api.sms_numbers: poll %d in a row of %s failed, next in %d s: %s',
                               failures, self.api, self.interval, message)
                await queue.put(self._event('error', polled_at, message=message, consecutive_failures=failures))
            else:
                if failures:
                    logger.info('dialogtech.api.sms_numbers: %s answers again after %d failed poll(s)',
                                self.api, failures)
                    await queue.put(self._event('recovered', polled_at, failed_polls=failures))
                    failures = 0
                for change in self._changes(records):
                    await queue.put(self._event('change', polled_at, **change))
            await _pause(self.interval)

    def _event(self, kind, polled_at, **fields):
        return {'dialogtech': dict(type=kind, api=self.api, polled_at=polled_at, **fields)}

    def _changes(self, records):
        """The changes of the watched numbers since the last good poll; keeps ``records``
        (and writes the state file) as the next baseline."""
        if records == self.account:
            # The usual poll, decided in one comparison: comparing number by number at
            # every poll missed the CPU target on a large account (benchmarks/RESULTS.md, 7).
            return []
        baseline = self.account
        if baseline is None:
            baseline = [] if self.emit_initial else records
        self.account = records
        if self.state_file:
            self._write_state(records)
        if baseline is records:
            return []
        return number_changes(self._watched(baseline), self._watched(records))

    def _watched(self, records):
        if self.numbers is None:
            return records
        return [record for record in records if record['number'] in self.numbers]

    def _read_state(self):
        """The account the state file holds, or None when it does not exist yet."""
        try:
            with open(self.state_file, encoding='utf-8') as stream:
                state = json.load(stream)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DialogTechError('state_file %s cannot be read: %s' % (self.state_file, exc.strerror or exc)) from None
        except ValueError:  # not JSON, or not UTF-8
            state = None
        if not (isinstance(state, dict) and state.get('format') == STATE_FORMAT
                and isinstance(state.get('numbers'), list) and all(_is_record(record) for record in state['numbers'])):
            raise DialogTechError('state_file %s is not a state file of dialogtech.api.sms_numbers (%s): remove it '
                                  'or name another file' % (self.state_file, STATE_FORMAT))
        if (state.get('api'), state.get('access_key')) != (self.api, self.options.access_key):
            raise DialogTechError('state_file %s holds the account of access_key %s at %s, not of %s at %s: give '
                                  'each account a state file of its own'
                                  % (self.state_file, state.get('access_key'), state.get('api'),
                                     self.options.access_key, self.api))
        return state['numbers']

    def _write_state(self, records):
        """Replace the state file in one step: a stop at any moment leaves the old or the new."""
        state = {'format': STATE_FORMAT, 'api': self.api, 'access_key': self.options.access_key, 'numbers': records}
        directory = os.path.dirname(self.state_file) or '.'
        try:
            descriptor, temporary = tempfile.mkstemp(dir=directory, prefix='.sms_numbers-', suffix='.tmp')
            try:
                with os.fdopen(descriptor, 'w', encoding='utf-8') as stream:
                    json.dump(state, stream, separators=(',', ':'))
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(temporary, self.state_file)
            except BaseException:
                os.unlink(temporary)
                raise
        except OSError as exc:
            raise DialogTechError('state_file %s cannot be written: %s' % (self.state_file, exc.strerror or exc)) from None


def _account(options):
    return as_dicts(fetch_numbers(options).numbers)


def _is_record(record):
    return (isinstance(record, dict) and set(record) == {'number', 'sms_enabled', 'url'}
            and isinstance(record['number'], str) and isinstance(record['sms_enabled'], bool)
            and (record['url'] is None or isinstance(record['url'], str)))


def _interval(value):
    if value is None:
        return DEFAULT_INTERVAL
    try:
        interval = int(value) if not isinstance(value, (bool, float)) else None
    except (TypeError, ValueError):
        interval = None
    if interval is None or interval < MINIMUM_INTERVAL:
        raise DialogTechError('argument interval must be a whole number of seconds, at least %d, not %r'
                              % (MINIMUM_INTERVAL, value))
    return interval


def _numbers(value):
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise DialogTechError('argument numbers must be a non-empty list of phone numbers, not %r; leave it out to '
                              'watch every number' % (value,))
    wanted = set()
    for index, number in enumerate(value):
        try:
            wanted.add(normalize_number(number))
        except ValueError as exc:
            raise DialogTechError('argument numbers[%d]: %s' % (index, exc)) from None
    return wanted


def _flag(name, value):
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise DialogTechError('argument %s must be true or false, not %r' % (name, value))


def _state_file(value):
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise DialogTechError('argument state_file must be a file path, not %r' % (value,))
    path = os.path.abspath(os.path.expanduser(value))
    directory = os.path.dirname(path)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise DialogTechError('argument state_file %s cannot be written: its directory does not exist or is not '
                              'writable' % path)
    return path


def _in_daemon_thread(function, *args):
    """A future of ``function(*args)`` run in a daemon thread of its own.

    Not the loop's executor: the interpreter waits for its threads at exit, so a hung poll
    would hold up the end of ansible-rulebook.  A cancelled wait leaves the thread to end
    on its own (the client's total_timeout bounds it) and drops its outcome.
    """
    loop = asyncio.get_running_loop()
    future = loop.create_future()

    def settle(result, error):
        if future.done():  # cancelled meanwhile
            return
        if error is None:
            future.set_result(result)
        else:
            future.set_exception(error)

    def work():
        result = error = None
        try:
            result = function(*args)
        except Exception as exc:  # handed to the awaiting coroutine, which decides
            error = exc
        try:
            loop.call_soon_threadsafe(settle, result, error)
        except RuntimeError:  # the loop is closed: nobody waits any more
            pass

    threading.Thread(target=work, name='dialogtech.api.sms_numbers poll', daemon=True).start()
    return future


if __name__ == '__main__':
    class _PrintingQueue(object):
        """Prints the events: ``python sms_numbers.py`` with DIALOGTECH_* set, to try it."""

        async def put(self, event):
            print(json.dumps(event))  # noqa: T201

    asyncio.run(main(_PrintingQueue(), {'interval': MINIMUM_INTERVAL}))
