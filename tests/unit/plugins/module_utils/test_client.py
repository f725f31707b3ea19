# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API actions end to end against the emulator, and the libraries the core needs."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
import requests

from ansible_collections.dialogtech.api.plugins.module_utils import _transport
from ansible_collections.dialogtech.api.plugins.module_utils._client import (
    fetch_numbers,
    missing_libraries,
    register_number,
    unregister_number,
)
from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError, UncertainOutcome
from ansible_collections.dialogtech.api.plugins.module_utils._response import SmsNumber, as_dicts
from ansible_collections.dialogtech.api.tests.unit.helpers import (
    EMULATOR_DIR, SECRET, SECRET_FORMS, VENDOR_EXAMPLE_NUMBERS, fetch_error, free_port, options, serve, stats, stop,
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


def numbers_of(emulator, access_key='fault-none'):
    return as_dicts(fetch_numbers(options(emulator.api_url, access_key)).numbers)


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_writes_answer_success_and_the_next_read_shows_them(emulator, method):
    opts = options(emulator.api_url, http_method=method)
    registered = register_number(opts, '5559990001', 'https://new.example.com/sms?a=1&b=2')
    unregistered = unregister_number(opts, '5559990000')
    assert registered.numbers == [] and registered.result_description == 'Number 5559990001 registered'
    assert unregistered.numbers == [] and unregistered.result_description == 'Number 5559990000 unregistered'
    assert numbers_of(emulator) == [
        {'number': '5559990000', 'sms_enabled': False, 'url': None},
        {'number': '5559990001', 'sms_enabled': True, 'url': 'https://new.example.com/sms?a=1&b=2'},
        {'number': '0559990002', 'sms_enabled': True, 'url': 'http://legacy.example.com/sms.php'},
    ]
    counted = stats(emulator)
    assert (counted['reads'], counted['writes']) == (1, 2)
    assert counted['by_action'] == {'sms.get_numbers': 1, 'sms.register_number': 1, 'sms.unregister_number': 1}


def test_reset_restores_the_accounts(emulator):
    before = numbers_of(emulator)
    unregister_number(options(emulator.api_url), '5559990000')
    requests.post(emulator.api_url.replace('/ibp_api.php', '/_emulator/reset'), timeout=5).raise_for_status()
    assert numbers_of(emulator) == before
    assert stats(emulator)['writes'] == 0


def write_error(call, *args):
    with pytest.raises(DialogTechError) as caught:
        call(*args)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    for form in SECRET_FORMS:
        assert form not in str(caught.value)
    return caught.value


@pytest.mark.parametrize('access_key, number, url, message', [
    ('fault-read-only', '5559990000', 'https://new.example.com/sms',
     "DialogTech API reported 'failed': Access denied: this API key is not permitted to use sms.register_number"),
    ('fault-none', '5550000000', 'https://new.example.com/sms',
     "DialogTech API reported 'failed': Invalid number: 5550000000 is not a number of this account"),
    ('fault-none', '5559990000', 'https://new.example.com/' + 'x' * 1002,
     "DialogTech API reported 'failed': Invalid url: must be 1024 characters or fewer"),
])
def test_refused_writes_are_errors_with_the_description_and_change_nothing(emulator, access_key, number, url, message):
    before = numbers_of(emulator, access_key)
    error = write_error(register_number, options(emulator.api_url, access_key), number, url)
    assert str(error) == message and not isinstance(error, UncertainOutcome)
    assert numbers_of(emulator, access_key) == before


def test_refused_unregister(emulator):
    error = write_error(unregister_number, options(emulator.api_url, 'fault-read-only'), '5559990000')
    assert 'not permitted to use sms.unregister_number' in str(error)


def test_a_write_whose_answer_is_lost_is_uncertain_and_sent_once(emulator, sleeps):
    error = write_error(register_number, options(emulator.api_url, 'fault-write-answer-lost'), '5559990001',
                        'https://new.example.com/sms')
    assert isinstance(error, UncertainOutcome) and 'answered HTTP 504' in str(error)
    assert stats(emulator)['writes'] == 1 and sleeps == []
    assert numbers_of(emulator, 'fault-write-answer-lost')[1]['url'] == 'https://new.example.com/sms'


def test_a_write_refused_with_503_is_retried(emulator, sleeps):
    register_number(options(emulator.api_url, 'fault-503-twice'), '5559990001', 'https://new.example.com/sms')
    assert stats(emulator)['writes'] == 3 and len(sleeps) == 2
    assert numbers_of(emulator, 'fault-503-twice')[1]['url'] == 'https://new.example.com/sms'


@pytest.mark.parametrize('access_key, secret, overrides, definite', [
    # The API's own refusal and a client error: asking again gets the same answer.
    ('fault-none', 'wrong-' + SECRET, {}, True),
    ('fault-api-failed', SECRET, {}, True),
    ('fault-http-403', SECRET, {}, True),
    ('fault-http-413-retry-after', SECRET, {}, True),
    # Everything that may pass: a cache that kept it would fail every later ask of the run.
    ('fault-http-500', SECRET, {}, False),
    ('fault-503-always', SECRET, {}, False),
    ('fault-429-retry-after-hour', SECRET, {}, False),
    ('fault-503-twice', SECRET, {'retries': 0}, False),
    ('fault-drop-once', SECRET, {'retries': 0}, False),
    ('fault-truncated', SECRET, {}, False),
    ('fault-html-login', SECRET, {}, False),
])
def test_only_a_refusal_of_the_request_itself_is_definite(emulator, sleeps, access_key, secret, overrides, definite):
    with pytest.raises(DialogTechError) as caught:
        fetch_numbers(options(emulator.api_url, access_key, secret_access_key=secret, **overrides))
    assert caught.value.definite is definite, str(caught.value)


# Not with the sleeps fixture: it would also take the emulator's pause away.
@pytest.mark.parametrize('access_key, overrides', [
    ('fault-slow-headers', {'timeout': 0.3}),
    ('fault-slow-body', {'timeout': 10, 'total_timeout': 0.5}),
])
def test_a_timeout_is_not_definite(emulator, access_key, overrides):
    with pytest.raises(DialogTechError) as caught:
        fetch_numbers(options(emulator.api_url, access_key, **overrides))
    assert caught.value.definite is False, str(caught.value)


def test_a_connection_refused_is_not_definite(sleeps):
    with pytest.raises(DialogTechError) as caught:
        fetch_numbers(options('http://127.0.0.1:%d/ibp_api.php' % free_port(), retries=0))
    assert caught.value.definite is False


@pytest.mark.parametrize('access_key, overrides, start', [
    ('fault-write-answer-html', {}, "DialogTech API response is an HTML page, not the API's XML"),
    ('fault-write-answer-truncated', {}, 'DialogTech API response ends before the XML document is complete'),
    ('fault-none', {'max_response_bytes': 100}, 'DialogTech API response of 159 bytes exceeds max_response_bytes=100; not read'),
    ('fault-write-answer-gzip-bomb', {'max_response_bytes': 1 << 20},
     'DialogTech API response exceeds max_response_bytes=1048576; stopped reading it'),
    ('fault-write-answer-drip', {'timeout': 1, 'total_timeout': 1},
     'DialogTech API at http://127.0.0.1:%d: no complete answer within total_timeout=1 seconds; gave up'),
])
@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_a_write_answered_200_with_a_body_that_cannot_be_read_is_uncertain(emulator, access_key, overrides, start,
                                                                           method):
    # Each of these writes was applied: a 200 proves the request arrived, so an answer that
    # cannot be read must send the module to read the account back, not report a failure.
    # (No `sleeps` fixture: it would stop the emulator's drip from sleeping too.)
    opts = options(emulator.api_url, access_key, http_method=method, **overrides)
    error = write_error(register_number, opts, '5559990001', 'https://new.example.com/sms')
    assert isinstance(error, UncertainOutcome)
    assert str(error).startswith(start.replace('%d', str(emulator.server_address[1])))
    assert stats(emulator)['writes'] == 1
    assert numbers_of(emulator, access_key)[1]['url'] == 'https://new.example.com/sms'


def test_a_read_answered_200_with_a_body_that_cannot_be_read_is_a_plain_error(emulator):
    message = fetch_error(options(emulator.api_url, 'fault-html-login'))
    assert message.startswith("DialogTech API response is an HTML page")
    with pytest.raises(DialogTechError) as caught:
        fetch_numbers(options(emulator.api_url, 'fault-html-login'))
    assert not isinstance(caught.value, UncertainOutcome)
