# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request against the emulator: retries, timeouts, redirects, size caps, TLS, proxies."""

from __future__ import annotations

import time
import tracemalloc
from urllib.parse import quote_plus

from http import HTTPStatus

import pytest
import requests
import urllib3

from ansible_collections.dialogtech.api.plugins.module_utils import _client, _transport
from ansible_collections.dialogtech.api.plugins.module_utils._client import fetch_numbers
from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError, UncertainOutcome
from ansible_collections.dialogtech.api.plugins.module_utils._response import SmsNumber
from ansible_collections.dialogtech.api.tests.unit.helpers import (
    SECRET, SECRET_FORMS, XXE_CANARY, emulator_module, fetch_error, free_port, options, stats,
)


def test_wrong_secret_is_the_api_failed_result_not_retried(emulator, sleeps):
    message = fetch_error(options(emulator.api_url, secret_access_key='wrong-' + SECRET))
    assert message == "DialogTech API reported 'failed': Invalid Access Key or Secret Access Key"
    assert stats(emulator)['requests'] == 1 and sleeps == []


def test_api_failed_is_not_retried(emulator, sleeps):
    assert fetch_error(options(emulator.api_url, 'fault-api-failed')) == \
        "DialogTech API reported 'failed': Account suspended"
    assert stats(emulator)['requests'] == 1 and sleeps == []


# The reason phrase is the emulator's Python's: 3.13 renamed 413 to "Content Too Large".
@pytest.mark.parametrize('account, status', [('fault-http-500', 500), ('fault-http-403', 403),
                                             ('fault-http-413-retry-after', 413)])
def test_other_http_errors_are_not_retried(emulator, sleeps, account, status):
    message = fetch_error(options(emulator.api_url, account))
    port = emulator.server_address[1]
    assert message == ("DialogTech API at http://127.0.0.1:%d answered HTTP %d %s; body starts: "
                       "'<html><body>Error %d</body></html>'" % (port, status, HTTPStatus(status).phrase, status))
    assert stats(emulator)['requests'] == 1 and sleeps == []


def test_503_twice_then_success_with_exponential_backoff(emulator, sleeps):
    assert len(fetch_numbers(options(emulator.api_url, 'fault-503-twice')).numbers) == 3
    assert stats(emulator)['requests'] == 3
    assert sleeps == [0.5, 1.0]


def test_503_always_gives_up_after_the_retries(emulator, sleeps):
    message = fetch_error(options(emulator.api_url, 'fault-503-always', retries=2))
    assert 'answered HTTP 503 Service Unavailable (after 2 retries)' in message
    assert stats(emulator)['requests'] == 3
    assert sleeps == [0.5, 1.0]


def test_no_retries(emulator, sleeps):
    assert '(after 0 retries)' in fetch_error(options(emulator.api_url, 'fault-503-twice', retries=0))
    assert stats(emulator)['requests'] == 1 and sleeps == []


def test_429_honours_retry_after(emulator, sleeps):
    assert len(fetch_numbers(options(emulator.api_url, 'fault-429-once')).numbers) == 3
    assert stats(emulator)['requests'] == 2
    assert sleeps == [1.0]


def test_retry_after_is_capped(emulator, sleeps):
    message = fetch_error(options(emulator.api_url, 'fault-429-retry-after-hour', retries=2))
    assert sleeps == [_transport.RETRY_AFTER_CAP] * 2
    assert 'answered HTTP 429 Too Many Requests (after 2 retries)' in message
    assert stats(emulator)['requests'] == 3


def test_retry_after_past_total_timeout_gives_up_at_once(emulator, sleeps):
    message = fetch_error(options(emulator.api_url, 'fault-429-retry-after-hour', total_timeout=10))
    assert message == ('DialogTech API at http://127.0.0.1:%d: gave up after 1 attempt(s) (the last answered '
                       'HTTP 429): waiting 30 seconds for another would pass total_timeout=10'
                       % emulator.server_address[1])
    assert stats(emulator)['requests'] == 1 and sleeps == []


def test_unparsable_retry_after_falls_back_to_backoff(emulator, sleeps):
    assert fetch_numbers(options(emulator.api_url, 'fault-429-bad-retry-after')).numbers
    assert sleeps == [0.5]


def test_connection_closed_without_answer_is_retried(emulator, sleeps):
    assert fetch_numbers(options(emulator.api_url, 'fault-drop-once')).numbers
    assert stats(emulator)['requests'] == 2 and sleeps == [0.5]


def test_library_logs_carry_no_secret(emulator, sleeps, caplog):
    # urllib3 logs each retry at WARNING and each request at DEBUG, with the URL; in a
    # lookup, Ansible writes those records to ANSIBLE_LOG_PATH.
    caplog.set_level('DEBUG')
    fetch_numbers(options(emulator.api_url, 'fault-drop-once'))
    assert any(record.levelname == 'WARNING' and 'Retrying' in record.getMessage() for record in caplog.records)
    assert 'secret_access_key=********' in caplog.text
    for form in SECRET_FORMS:
        assert form not in caplog.text


def test_connection_refused_is_retried_then_reported(sleeps):
    port = free_port()
    message = fetch_error(options('http://127.0.0.1:%d/ibp_api.php' % port))
    assert message.startswith('could not connect to DialogTech API at http://127.0.0.1:%d (4 attempts): ' % port)
    assert 'Connection refused' in message
    assert sleeps == [0.5, 1.0, 2.0]


def test_connection_retries_stop_before_total_timeout(sleeps):
    port = free_port()
    message = fetch_error(options('http://127.0.0.1:%d/ibp_api.php' % port, total_timeout=0.9))
    assert message == ('DialogTech API at http://127.0.0.1:%d: gave up after 2 attempt(s) (the last got no answer): '
                       'waiting 1 seconds for another would pass total_timeout=0.9' % port)
    assert sleeps == [0.5]


def total_timeout_message(emulator, seconds):
    return ('DialogTech API at http://127.0.0.1:%d: no complete answer within total_timeout=%g seconds; gave up'
            % (emulator.server_address[1], seconds))


def test_body_still_arriving_at_total_timeout(emulator):
    # The server pauses 3 seconds mid-body, within timeout but past total_timeout.
    assert fetch_error(options(emulator.api_url, 'fault-slow-body', timeout=10, total_timeout=1)) == \
        total_timeout_message(emulator, 1)


@pytest.mark.parametrize('account', ['fault-drip-headers', 'fault-drip-body'])
@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_total_timeout_bounds_an_answer_dripping_a_byte_at_a_time(emulator, account, method):
    # A byte every 0.2 s restarts any read timeout: headers and body together take over
    # two minutes, which a deadline checked between reads would wait out.  The promise
    # (at most timeout past total_timeout) is a correctness bound, with slack for a busy
    # machine; it is not a measure of speed.
    opts = options(emulator.api_url, account, http_method=method, timeout=1, total_timeout=1)
    started = time.monotonic()
    message = fetch_error(opts)
    elapsed = time.monotonic() - started
    assert message == total_timeout_message(emulator, 1)
    assert elapsed < opts.total_timeout + opts.timeout + 3
    assert stats(emulator)['requests'] == 1


def test_accept_encoding_is_identity(emulator):
    fetch_numbers(options(emulator.api_url))
    assert emulator.request_headers[0]['Accept-Encoding'] == 'identity'


@pytest.mark.parametrize('account', ['fault-gzip', 'fault-deflate'])
def test_compressed_answer_sent_anyway_is_inflated(emulator, account):
    assert len(fetch_numbers(options(emulator.api_url, account)).numbers) == 3


def test_unknown_content_encoding_is_refused(emulator):
    assert fetch_error(options(emulator.api_url, 'fault-brotli')) == (
        "DialogTech API response is in Content-Encoding 'br', which the collection does not decode (it asks for "
        "identity); not read")


def peak_memory_of(call):
    """The most memory Python held at once while ``call`` ran (the emulator, which runs in
    this process, included), and what ``call`` returned or raised."""
    tracemalloc.start()
    try:
        try:
            outcome = call()
        except DialogTechError as exc:
            outcome = exc
        return tracemalloc.get_traced_memory()[1], outcome
    finally:
        tracemalloc.stop()


BOMB_BYTES = 256 * 1024 * 1024


@pytest.mark.parametrize('account', ['fault-gzip-bomb', 'fault-gzip-bomb-redirect'])
def test_gzip_bomb_is_inflated_no_further_than_max_response_bytes(emulator, account):
    # 256 KiB of gzip that inflate to 256 MiB, as the answer or as the body of a redirect
    # within the origin.  Neither urllib3 before 2.6 (a whole read inflated at once) nor
    # requests (which reads and decodes a redirect's body) may inflate it.
    emulator_module.gzip_bomb(BOMB_BYTES)  # made before measuring
    limit = 4 * 1024 * 1024
    peak, outcome = peak_memory_of(lambda: fetch_numbers(options(emulator.api_url, account, max_response_bytes=limit)))
    if account == 'fault-gzip-bomb':
        assert str(outcome) == 'DialogTech API response exceeds max_response_bytes=4194304; stopped reading it'
    else:
        # The redirect's body is never read; the redirected request gets the numbers.
        assert len(outcome.numbers) == 3 and stats(emulator)['requests'] == 2
    assert peak < 2 * limit, 'held %d bytes at once' % peak


@pytest.mark.parametrize('account', ['fault-slow-headers', 'fault-slow-body'])
def test_hung_server_times_out_once_and_says_after_how_long(emulator, account):
    message = fetch_error(options(emulator.api_url, account, timeout=0.3))
    assert message == ('DialogTech API at http://127.0.0.1:%d timed out: no data for 0.3 seconds (timeout) '
                       'while waiting for its answer' % emulator.server_address[1])
    assert stats(emulator)['requests'] == 1


def test_truncated_body(emulator):
    message = fetch_error(options(emulator.api_url, 'fault-truncated'))
    assert message.startswith('DialogTech API response ends before the XML document is complete, as if truncated')


def test_connection_broken_mid_body(emulator, sleeps):
    message = fetch_error(options(emulator.api_url, 'fault-truncated-connection'))
    if urllib3.__version__.startswith('1.'):
        # urllib3 1.26 does not hold a body to its Content-Length: the parser finds the cut.
        assert message.startswith('DialogTech API response ends before the XML document is complete, as if truncated')
    else:
        assert message.startswith('the connection to DialogTech API at http://127.0.0.1:%d broke while reading the '
                                  'response: Connection broken: IncompleteRead(420 bytes read'
                                  % emulator.server_address[1])


@pytest.mark.parametrize('account, start', [
    ('fault-html-login', "DialogTech API response is an HTML page, not the API's XML"),
    ('fault-empty-body', 'DialogTech API response is empty; body starts: (empty)'),
    ('fault-wrong-root', 'DialogTech API response has root element <error>, expected <response>'),
    ('fault-non-utf8', 'DialogTech API response is not valid UTF-8 (byte 0xe9 at offset 93)'),
    ('fault-billion-laughs', "DialogTech API response was refused: it declares the XML entity 'lol'"),
    ('fault-xxe-local-file', "DialogTech API response was refused: it declares the XML entity 'xxe'"),
])
def test_malformed_and_hostile_bodies_over_http(emulator, sleeps, account, start):
    message = fetch_error(options(emulator.api_url, account))
    assert message.startswith(start)
    assert XXE_CANARY not in message
    assert stats(emulator)['requests'] == 1 and sleeps == []


def test_external_dtd_is_never_fetched(emulator):
    message = fetch_error(options(emulator.api_url, 'fault-external-dtd'))
    dtd_url = emulator.api_url.replace('/ibp_api.php', '/_emulator/dtd/response.dtd')
    assert message.startswith("DialogTech API response was refused: it references the external resource %r"
                              % dtd_url)
    assert stats(emulator)['dtd_fetches'] == 0
    # The counter works: a fetch of the DTD shows up in it.
    requests.get(dtd_url, timeout=5)
    assert stats(emulator)['dtd_fetches'] == 1


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_redirect_to_another_origin_is_refused(emulator, method):
    message = fetch_error(options(emulator.api_url, 'fault-redirect-other-origin', http_method=method))
    port = emulator.server_address[1]
    assert message == ('DialogTech API at http://127.0.0.1:%d redirected to http://localhost:%d (HTTP 302); '
                       'refusing to follow a redirect to another origin with credentials: check api_url'
                       % (port, port))
    assert 'access_key' not in message and '?' not in message
    # localhost is this same emulator: following the redirect would have counted a second request.
    assert stats(emulator)['requests'] == 1


@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_redirect_within_the_origin_is_followed(emulator, method):
    assert fetch_numbers(options(emulator.api_url, 'fault-redirect-same-origin', http_method=method)).numbers
    assert stats(emulator)['requests'] == 2


@pytest.mark.parametrize('location, allowed', [
    ('http://api.example.com/ibp_api.php', False),
    ('https://api.example.com:8443/ibp_api.php', False),
    ('https://evil.example.com/ibp_api.php', False),
    ('//evil.example.com/ibp_api.php', False),
    ('https://api.example.com:99999/ibp_api.php', False),
    ('https://API.example.com:443/v2/ibp_api.php', True),
    ('/v2/ibp_api.php', True),
])
def test_redirect_origin_rules(location, allowed):
    response = requests.Response()
    response.url = 'https://api.example.com/ibp_api.php?secret_access_key=%s' % quote_plus(SECRET)
    response.status_code = 302
    response.headers['Location'] = location + '?secret_access_key=' + quote_plus(SECRET)
    session = _transport._SameOriginSession()
    if allowed:
        assert session.get_redirect_target(response).startswith(location)
    else:
        with pytest.raises(DialogTechError, match='^DialogTech API at https://api.example.com redirected to '
                                                  '[a-z]+://[a-z.]+(:8443|:99999)? \\(HTTP 302\\); refusing') as caught:
            session.get_redirect_target(response)
        assert quote_plus(SECRET) not in str(caught.value)


def test_size_cap_from_content_length(emulator):
    message = fetch_error(options(emulator.api_url, max_response_bytes=100))
    assert message == 'DialogTech API response of 606 bytes exceeds max_response_bytes=100; not read'


def test_size_cap_while_streaming(emulator):
    message = fetch_error(options(emulator.api_url, 'fault-chunked-large', max_response_bytes=50000))
    assert message == 'DialogTech API response exceeds max_response_bytes=50000; stopped reading it'


def test_streamed_body_without_length_parses(emulator):
    result = fetch_numbers(options(emulator.api_url, 'fault-chunked-large'))
    assert len(result.numbers) == 2000 and result.numbers[-1].number == '5550001999'


def test_100k_numbers_parse_within_the_default_cap(emulator):
    result = fetch_numbers(options(emulator.api_url, 'fault-100k-numbers'))
    assert len(result.numbers) == 100000
    assert result.result_description == '[100000] Number(s) Returned'
    assert result.numbers[0] == SmsNumber('5550000000', True, 'https://sms.example.com/listener/5550000000')
    assert result.numbers[-1].number == '5550099999'


def test_proxy_from_environment(emulator, monkeypatch):
    for name in ('NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy', 'HTTPS_PROXY', 'https_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HTTP_PROXY', emulator.api_url.replace('/ibp_api.php', ''))
    monkeypatch.setenv('http_proxy', emulator.api_url.replace('/ibp_api.php', ''))
    # .invalid never resolves: only the proxy can have answered.
    assert fetch_numbers(options('http://dialogtech.invalid/ibp_api.php', http_method='POST')).numbers
    assert emulator.request_lines == ['POST http://dialogtech.invalid/ibp_api.php HTTP/1.1']


@pytest.mark.parametrize('write', [False, True])
def test_a_proxy_url_the_library_cannot_parse_is_a_one_line_error_before_sending(emulator, monkeypatch, write):
    proxy = 'http://%s.example.com:3128' % ('a' * 64)
    for name in ('NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HTTP_PROXY', proxy)
    monkeypatch.setenv('http_proxy', proxy)
    opts = options(emulator.api_url)
    with pytest.raises(DialogTechError) as caught:
        _client._call(opts, {'action': 'sms.get_numbers'}, idempotent=not write)
    assert str(caught.value) == ("request to DialogTech API at http://127.0.0.1:%d failed: Failed to parse: '%s', "
                                 "label empty or too long" % (emulator.server_address[1], proxy[7:-5]))
    assert not isinstance(caught.value, UncertainOutcome)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    for form in SECRET_FORMS:
        assert form not in str(caught.value)
    assert stats(emulator)['requests'] == 0


def test_a_content_length_of_other_digits_is_not_a_size(emulator, monkeypatch):
    # Latin-1 header text: '\u00b2' passes str.isdigit(), and int() refuses it.
    real = _transport._request

    def superscript_length(*args):
        response = real(*args)
        response.headers['Content-Length'] = '\u00b2'
        return response
    monkeypatch.setattr(_transport, '_request', superscript_length)
    assert len(fetch_numbers(options(emulator.api_url)).numbers) == 3


@pytest.mark.parametrize('validate_certs, private_ca, verified_with', [
    (True, False, True), (True, True, 'ca_path'), (False, False, False), (False, True, False),
])
def test_certificate_options_reach_requests(emulator, mocker, tmp_path, validate_certs, private_ca, verified_with):
    ca_path = tmp_path / 'private-ca.pem'
    ca_path.write_text('not used: the emulator speaks plain HTTP\n')
    spy = mocker.spy(_transport._SameOriginSession, 'request')
    fetch_numbers(options(emulator.api_url, validate_certs=validate_certs, ca_path=str(ca_path) if private_ca else None))
    assert spy.call_args.kwargs['verify'] == (str(ca_path) if verified_with == 'ca_path' else verified_with)


# --- writes: nothing the server may have acted on is retried --------------------------

def write_error(opts):
    """The error of a write (any action sent as one) through the emulator's fault accounts."""
    with pytest.raises(DialogTechError) as caught:
        _client._call(opts, {'action': 'sms.get_numbers'}, idempotent=False)
    assert caught.value.__cause__ is None and caught.value.__context__ is None
    for form in SECRET_FORMS:
        assert form not in str(caught.value)
    return caught.value


def test_write_is_not_retried_after_a_connection_closed_without_answer(emulator, sleeps):
    error = write_error(options(emulator.api_url, 'fault-drop-once'))
    assert isinstance(error, UncertainOutcome)
    assert str(error).startswith('DialogTech API at http://127.0.0.1:%d closed the connection before answering the '
                                 'write, which was sent once and not retried: ' % emulator.server_address[1])
    assert stats(emulator)['requests'] == 1 and sleeps == []


def test_write_is_not_retried_after_a_read_timeout(emulator):
    error = write_error(options(emulator.api_url, 'fault-slow-headers', timeout=0.3))
    assert isinstance(error, UncertainOutcome) and 'timed out' in str(error)
    assert stats(emulator)['requests'] == 1


def test_write_is_retried_after_503_which_says_it_was_not_acted_on(emulator, sleeps):
    _client._call(options(emulator.api_url, 'fault-503-twice'), {'action': 'sms.get_numbers'}, idempotent=False)
    assert stats(emulator)['requests'] == 3 and sleeps == [0.5, 1.0]


def test_write_answered_500_may_have_taken_effect(emulator, sleeps):
    error = write_error(options(emulator.api_url, 'fault-http-500'))
    assert isinstance(error, UncertainOutcome) and 'answered HTTP 500' in str(error)
    assert stats(emulator)['requests'] == 1


def test_write_answered_500_in_a_coding_not_decoded_is_still_uncertain(emulator, sleeps):
    error = write_error(options(emulator.api_url, 'fault-http-500-brotli'))
    assert isinstance(error, UncertainOutcome)
    assert str(error) == ('DialogTech API at http://127.0.0.1:%d answered HTTP 500 Internal Server Error; body starts: '
                          '(empty)' % emulator.server_address[1])


def test_write_that_could_not_connect_is_retried_and_certain(sleeps):
    error = write_error(options('http://127.0.0.1:%d/ibp_api.php' % free_port(), retries=1))
    assert not isinstance(error, UncertainOutcome) and 'could not connect' in str(error)
    assert sleeps == [0.5]


def test_write_refused_by_the_api_is_certain(emulator, sleeps):
    error = write_error(options(emulator.api_url, 'fault-api-failed'))
    assert not isinstance(error, UncertainOutcome)
    assert str(error) == "DialogTech API reported 'failed': Account suspended"


def test_tls_verification_is_on_by_default(tls_emulator, sleeps, monkeypatch):
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        monkeypatch.delenv(name, raising=False)
    message = fetch_error(options(tls_emulator.api_url))
    assert message.startswith('TLS verification of https://127.0.0.1:%d failed; set ca_path to your CA bundle '
                              'for a private CA: ' % tls_emulator.server_address[1])
    assert 'CERTIFICATE_VERIFY_FAILED' in message
    assert sleeps == []


def test_tls_with_ca_path(tls_emulator):
    assert fetch_numbers(options(tls_emulator.api_url, ca_path=tls_emulator.cert)).numbers


def test_tls_without_verification(tls_emulator):
    assert fetch_numbers(options(tls_emulator.api_url, validate_certs=False)).numbers


def test_redirect_from_https_to_http_is_refused(tls_emulator):
    message = fetch_error(options(tls_emulator.api_url, 'fault-redirect-to-http', ca_path=tls_emulator.cert))
    port = tls_emulator.server_address[1]
    assert message.startswith('DialogTech API at https://127.0.0.1:%d redirected to http://127.0.0.1:%d (HTTP 302); '
                              'refusing' % (port, port))
