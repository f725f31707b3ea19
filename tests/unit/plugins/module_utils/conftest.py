# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the core tests: the emulator served in-process, and retry waits recorded
instead of slept."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ansible_collections.dialogtech.api.tests.emulator import client as emulator_client

from ansible_collections.dialogtech.api.plugins.module_utils import _transport
from ansible_collections.dialogtech.api.tests.unit.helpers import (
    FAULTS_FILE, serve, stop,
)


@pytest.fixture(scope='module')
def emulator():
    server = serve(FAULTS_FILE)
    yield server
    stop(server)


@pytest.fixture(autouse=True)
def reset(request):
    if 'emulator' in request.fixturenames:
        server = request.getfixturevalue('emulator')
        emulator_client.reset(server.api_url)
        del server.request_lines[:]
        del server.request_headers[:]


@pytest.fixture
def sleeps(monkeypatch):
    """Record the client's retry waits instead of sleeping them: no test waits or times."""
    slept = []
    monkeypatch.setattr(_transport.time, 'sleep', slept.append)
    return slept


@pytest.fixture(scope='module')
def tls_emulator(tmp_path_factory):
    if not shutil.which('openssl'):
        pytest.skip('openssl is needed to make a test certificate')
    directory = tmp_path_factory.mktemp('tls')
    cert, key = directory / 'cert.pem', directory / 'key.pem'
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
                    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', str(key), '-out', str(cert)],
                   check=True, capture_output=True)
    server = serve(FAULTS_FILE, tls_cert=str(cert), tls_key=str(key))
    server.cert = str(cert)
    yield server
    stop(server)
