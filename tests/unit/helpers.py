# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared by the unit tests: the bundled emulator served in-process on 127.0.0.1 and the
connection options that point at it."""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.dialogtech.api.tests.emulator import client as emulator_client

from ansible_collections.dialogtech.api.plugins.module_utils._client import fetch_numbers
from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._options import CONNECTION_DEFAULTS, ConnectionOptions


EMULATOR_DIR = Path(__file__).resolve().parents[1] / 'emulator'
FAULTS_FILE = EMULATOR_DIR / 'faults.json'
SECRET = json.loads(FAULTS_FILE.read_text())['accounts'][0]['secret_access_key']
# Every form the secret could take on its way out: as given, form/query-encoded, path-encoded.
SECRET_FORMS = (SECRET, quote_plus(SECRET), quote(SECRET, safe=''))
# The one number of the vendor's example response, as every adapter returns it.
VENDOR_EXAMPLE_NUMBERS = [{'number': '5559990000', 'sms_enabled': True, 'url': 'http://example.net/sms_listener.php'}]
EVENT_SOURCE = Path(__file__).resolve().parents[2] / 'extensions' / 'eda' / 'plugins' / 'event_source' / 'sms_numbers.py'
XXE_CANARY = (EMULATOR_DIR / 'faults' / 'xxe-canary.txt').read_text().strip()


def _load_emulator():
    spec = importlib.util.spec_from_file_location('dialogtech_emulator', EMULATOR_DIR / 'dialogtech_emulator.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


emulator_module = _load_emulator()


def load_event_source():
    """The source's globals as ansible-rulebook's runpy.run_path makes them.

    runpy.run_path itself runs in a process of its own (test_sms_numbers.py): under
    ansible-test, the collection loader's path hook makes run_path take the file for a
    folder with a __main__ module.  For a plain file, run_path does just this.
    """
    namespace = {'__name__': '<run_path>', '__file__': str(EVENT_SOURCE)}
    exec(compile(EVENT_SOURCE.read_bytes(), str(EVENT_SOURCE), 'exec'), namespace)  # pylint: disable=exec-used
    return namespace


def serve(data, **tls):
    server = emulator_module.make_server('127.0.0.1', 0, data, **tls)
    # Tracked, so that stop() waits for every request thread: one still answering a slow
    # fault after the client gave up would be alive when a later test forks.
    server.daemon_threads = False
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    requests_seen, headers_seen = [], []

    class Recorder(server.RequestHandlerClass):
        # A client that keeps its connection open and idle (a pooled keep-alive one) must not
        # hold stop(), which joins the request threads, for ever.
        timeout = 10

        def parse_request(self):
            ok = super(Recorder, self).parse_request()
            requests_seen.append(self.requestline)
            headers_seen.append(dict(self.headers or {}))
            return ok

    server.RequestHandlerClass = Recorder
    server.request_lines = requests_seen
    server.request_headers = headers_seen
    server.api_url = '%s://127.0.0.1:%d/ibp_api.php' % (server.scheme, server.server_address[1])
    return server


def stop(server):
    server.shutdown()
    server.server_close()  # joins the request threads


def stats(server):
    return emulator_client.stats(server.api_url)


def options(url, access_key='fault-none', **overrides):
    values = dict(CONNECTION_DEFAULTS)
    values.update(access_key=access_key, secret_access_key=SECRET, api_url=url)
    values.update(overrides)
    return ConnectionOptions(**values)


def fetch_error(opts):
    with pytest.raises(DialogTechError) as caught:
        fetch_numbers(opts)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    message = str(caught.value)
    for form in SECRET_FORMS:
        assert form not in message
    return message


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]
