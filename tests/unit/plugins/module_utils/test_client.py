# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API actions end to end against the emulator, and the libraries the core needs."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest

from ansible_collections.dialogtech.api.plugins.module_utils import _transport
from ansible_collections.dialogtech.api.plugins.module_utils._client import fetch_numbers, missing_libraries
from ansible_collections.dialogtech.api.plugins.module_utils._response import SmsNumber, as_dicts
from ansible_collections.dialogtech.api.tests.unit.helpers import (
    EMULATOR_DIR, SECRET, VENDOR_EXAMPLE_NUMBERS, fetch_error, options, serve, stats, stop,
)


def test_libraries_present_and_dicts():
    assert missing_libraries() == []
    assert as_dicts([SmsNumber('1', False, None)]) == [{'number': '1', 'sms_enabled': False, 'url': None}]


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_success(emulator, method):
    result = fetch_numbers(options(emulator.api_url, http_method=method))
    assert as_dicts(result.numbers) == [
        {'number': '5559990000', 'sms_enabled': True, 'url': 'https://sms.example.com/listener'},
        {'number': '5559990001', 'sms_enabled': False, 'url': None},
        {'number': '0559990002', 'sms_enabled': True, 'url': 'http://legacy.example.com/sms.php'},
    ]
    assert stats(emulator)['by_access_key'] == {'fault-none': 1}


def test_post_keeps_the_secret_out_of_the_url_get_does_not(emulator):
    fetch_numbers(options(emulator.api_url, http_method='POST'))
    post_line = emulator.request_lines[0]
    fetch_numbers(options(emulator.api_url, http_method='GET'))
    get_line = emulator.request_lines[1]
    assert post_line.startswith('POST /ibp_api.php ') and quote_plus(SECRET) not in post_line
    assert get_line.startswith('GET /ibp_api.php?') and quote_plus(SECRET) in get_line


def test_vendor_example_account_over_http():
    server = serve(EMULATOR_DIR / 'accounts.json')
    try:
        opts = options(server.api_url, access_key='vendor-example', secret_access_key='vendor-example-secret')
        assert as_dicts(fetch_numbers(opts).numbers) == VENDOR_EXAMPLE_NUMBERS
    finally:
        stop(server)


def test_local_os_error_before_sending_is_one_line_naming_where(emulator, monkeypatch):
    def no_descriptors(*args, **kwargs):
        raise OSError(24, 'Too many open files')
    monkeypatch.setattr(_transport._SameOriginSession, 'request', no_descriptors)
    message = fetch_error(options(emulator.api_url))
    assert message == ('could not send the request to DialogTech API at http://127.0.0.1:%d: Too many open files'
                       % emulator.server_address[1])


def test_missing_ca_path_is_named_before_any_request(emulator):
    message = fetch_error(options(emulator.api_url, ca_path='/nonexistent/ca.pem'))
    assert message == ('ca_path /nonexistent/ca.pem does not exist or is not readable: give a CA bundle file or a '
                       'directory of CA certificates')
    assert stats(emulator)['requests'] == 0
