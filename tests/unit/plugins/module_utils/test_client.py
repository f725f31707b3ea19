# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the client core: parsing, errors, redaction, and the HTTP paths against
the bundled emulator, run in-process on 127.0.0.1 with a free port."""

from __future__ import annotations

import builtins
import importlib.util
import io
import json
import shutil
import socket
import subprocess
import threading
import urllib.request
from http import HTTPStatus
from pathlib import Path
from unittest import mock
from urllib.parse import quote, quote_plus

import pytest
import requests

from ansible_collections.dialogtech.api.plugins.module_utils import _client
from ansible_collections.dialogtech.api.plugins.module_utils._client import (
    CONNECTION_ARGUMENT_SPEC,
    ConnectionOptions,
    DialogTechError,
    NumbersResult,
    ResponseParser,
    SmsNumber,
    as_dicts,
    fetch_numbers,
    missing_libraries,
    redact,
)
from ansible_collections.dialogtech.api.plugins.module_utils._numbers import normalize_number
from ansible_collections.dialogtech.api.tests.emulator import client as emulator_client

EMULATOR_DIR = Path(__file__).resolve().parents[3] / 'emulator'
FAULTS_FILE = EMULATOR_DIR / 'faults.json'
SECRET = json.loads(FAULTS_FILE.read_text())['accounts'][0]['secret_access_key']
# Every form the secret could take on its way out: as given, form/query-encoded, path-encoded.
SECRET_FORMS = (SECRET, quote_plus(SECRET), quote(SECRET, safe=''))
XXE_CANARY = (EMULATOR_DIR / 'faults' / 'xxe-canary.txt').read_text().strip()


def _load_emulator():
    spec = importlib.util.spec_from_file_location('dialogtech_emulator', EMULATOR_DIR / 'dialogtech_emulator.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


emulator_module = _load_emulator()


# --- parsing ---------------------------------------------------------------------------

PROLOG = emulator_module.VENDOR_PROLOG


def document(numbers='', result='', description='[n] Number(s) Returned', prolog=PROLOG):
    return ('%s<response>\n\t<result>%s</result>\n\t<result_description>%s</result_description>\n'
            '\t<data>\n%s\t</data>\n</response>\n' % (prolog, result, description, numbers)).encode('utf-8')


def parse(body, chunk=None, secret=None):
    parser = ResponseParser(secret)
    step = chunk or max(len(body), 1)
    for offset in range(0, len(body), step):
        parser.feed(body[offset:offset + step])
    return parser.close()


def excerpt(body):
    """What an error message shows of a body: its first 80 characters, on one line."""
    text = ' '.join(body.decode('utf-8', 'replace').split())
    return repr(text[:80] + ('...' if len(text) > 80 else '')) if text else '(empty)'


def parse_error(body, **kwargs):
    with pytest.raises(DialogTechError) as caught:
        parse(body, **kwargs)
    return str(caught.value)


VENDOR_EXAMPLE = (EMULATOR_DIR / 'vendor-example-response.xml').read_bytes()
VENDOR_EXPECTED = [{'number': '5559990000', 'sms_enabled': True, 'url': 'http://example.net/sms_listener.php'}]


def test_vendor_example_parses_to_its_one_number():
    result = parse(VENDOR_EXAMPLE)
    assert as_dicts(result.numbers) == VENDOR_EXPECTED
    assert result.result_description == '[1] Number(s) Returned'


def test_vendor_example_fed_byte_by_byte():
    assert as_dicts(parse(VENDOR_EXAMPLE, chunk=1).numbers) == VENDOR_EXPECTED


def test_vendor_example_split_at_every_offset():
    for cut in range(1, len(VENDOR_EXAMPLE)):
        parser = ResponseParser()
        parser.feed(VENDOR_EXAMPLE[:cut])
        parser.feed(VENDOR_EXAMPLE[cut:])
        assert as_dicts(parser.close().numbers) == VENDOR_EXPECTED, cut


def test_zero_numbers():
    assert parse(document()) == NumbersResult([], '[n] Number(s) Returned')


def test_zero_numbers_without_data_element():
    body = b'<response><result>success</result><result_description>none</result_description></response>'
    assert parse(body) == NumbersResult([], 'none')


def test_many_numbers_keep_order_and_leading_zeros():
    numbers = ''.join('<number sms_enabled="1" url="https://x.example/%d">%010d</number>\n' % (i, i)
                      for i in range(500))
    result = parse(document(numbers), chunk=997)
    assert len(result.numbers) == 500
    assert result.numbers[0] == SmsNumber('0000000000', True, 'https://x.example/0')
    assert result.numbers[-1] == SmsNumber('0000000499', True, 'https://x.example/499')


@pytest.mark.parametrize('element, url', [
    ('<number sms_enabled="1" url="http://a.example/x">5559990000</number>', 'http://a.example/x'),
    ('<number sms_enabled="1">5559990000<url>http://b.example/y</url></number>', 'http://b.example/y'),
    ('<number sms_enabled="1">5559990000<url> http://b.example/z </url></number>', 'http://b.example/z'),
    ('<number sms_enabled="1">5559990000</number>', None),
    ('<number sms_enabled="1" url="">5559990000</number>', None),
    ('<number sms_enabled="1" url="   ">5559990000</number>', None),
    ('<number sms_enabled="1">5559990000<url>  </url></number>', None),
    ('<number sms_enabled="1">5559990000<url/></number>', None),
    ('<number sms_enabled="1" url="http://a.example/&amp;q">5559990000</number>', 'http://a.example/&q'),
])
def test_url_sources(element, url):
    assert parse(document(element)).numbers == [SmsNumber('5559990000', True, url)]


def test_attribute_url_wins_over_element():
    element = '<number sms_enabled="0" url="http://attr.example">5559990000<url>http://elem.example</url></number>'
    assert parse(document(element)).numbers == [SmsNumber('5559990000', False, 'http://attr.example')]


def test_leading_zero_number_stays_a_string():
    assert parse(document('<number sms_enabled="1">0055599900</number>')).numbers[0].number == '0055599900'


@pytest.mark.parametrize('attribute, enabled', [
    ('sms_enabled="1"', True), ('sms_enabled="0"', False), ('sms_enabled=" 1 "', True),
    ('sms_enabled="true"', True), ('sms_enabled="No"', False), ('', False),
])
def test_sms_enabled_values(attribute, enabled):
    assert parse(document('<number %s>5559990000</number>' % attribute)).numbers[0].sms_enabled is enabled


@pytest.mark.parametrize('value', ['2', 'maybe', ''])
def test_sms_enabled_invalid_is_an_error_naming_the_number(value):
    message = parse_error(document('<number sms_enabled="%s">5559990000</number>' % value))
    assert "gives number 5559990000 sms_enabled=%r, expected 0 or 1" % value in message


@pytest.mark.parametrize('result', ['', 'success', 'Success', ' success '])
def test_success_results(result):
    assert parse(document('<number sms_enabled="1">5559990000</number>', result=result)).numbers


@pytest.mark.parametrize('result', ['failed', 'error', 'pending'])
def test_other_results_are_errors_with_the_description(result):
    message = parse_error(document(result=result, description='Invalid Access Key'))
    assert message == "DialogTech API reported %r: Invalid Access Key" % result


def test_failed_without_description():
    assert parse_error(b'<response><result>failed</result></response>') == \
        "DialogTech API reported 'failed': (no description)"


@pytest.mark.parametrize('body, problem', [
    (b'<error><message>moved</message></error>', 'has root element <error>, expected <response>'),
    (b'<response><data><number>5559990000</number></data></response>', 'has no <result> element'),
    (b'<response><result/><data><item>1</item></data></response>', 'has an unexpected <item> element in <data>'),
    (b'<response><result/><data><number><b>1</b></number></data></response>',
     'has an unexpected <b> element in <number>'),
    (b'<response><result/><data><number sms_enabled="1"> </number></data></response>',
     'has a <number> element without a number'),
    (b'Service temporarily unavailable', 'is not well-formed XML (syntax error: line 1, column 0)'),
    (b'<response><result></response>', 'is not well-formed XML (mismatched tag: line 1, column 20)'),
    (b'', 'is empty'),
    (b'  \n\t ', 'is empty'),
    (b'<?xml version="1.0"?>\n<!-- nothing -->\n',
     'ends before the XML document is complete, as if truncated (its root element never starts)'),
    (b'<response><result>&nbsp;</result></response>', 'is not well-formed XML (undefined entity: line 1, column 18)'),
])
def test_malformed_bodies_name_the_problem_and_the_first_bytes(body, problem):
    message = parse_error(body)
    assert message.startswith('DialogTech API response %s; body starts: ' % problem)
    assert message.endswith('body starts: ' + excerpt(body))


@pytest.mark.parametrize('cut', [1, 40, len(PROLOG) + 30, len(VENDOR_EXAMPLE) - 20, len(VENDOR_EXAMPLE) - 2])
def test_truncated_document(cut):
    message = parse_error(VENDOR_EXAMPLE[:cut])
    assert message.startswith('DialogTech API response ends before the XML document is complete, as if truncated (')
    assert message.endswith('body starts: ' + excerpt(VENDOR_EXAMPLE[:cut]))


def test_html_page_is_named_as_such():
    page = b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Sign in</title></head><body></body></html>'
    message = parse_error(page)
    assert message.startswith("DialogTech API response is an HTML page, not the API's XML")
    assert "body starts: '<!DOCTYPE html> <html><head>" in message


def test_well_formed_html_is_named_as_html_too():
    assert "is an HTML page" in parse_error(b'<!-- x --><html><body>Login</body></html>')


def test_excerpt_is_cut_and_on_one_line():
    message = parse_error(b'not xml\n\n' + b'x' * 500)
    assert message.endswith("body starts: 'not xml " + 'x' * 72 + "...'")


def test_non_utf8_body():
    body = b'<?xml version="1.0" encoding="UTF-8"?>\n<response><result_description>caf\xe9</result_description>'
    message = parse_error(body + b'</response>')
    assert message.startswith('DialogTech API response is not valid UTF-8 (byte 0xe9 at offset %d)' % body.index(b'\xe9'))


def test_utf8_character_split_across_chunks_is_fine():
    body = document('<number sms_enabled="1" url="http://caf\u00e9.example/\u00e9">5559990000</number>',
                    description='N\u00famero \u00e9\u00e9')
    assert parse(body, chunk=1).numbers[0].url == 'http://caf\u00e9.example/\u00e9'


def test_other_declared_encoding_is_parsed():
    body = (b'<?xml version="1.0" encoding="ISO-8859-1"?>\n<response><result/>'
            b'<result_description>caf\xe9</result_description></response>')
    assert parse(body).result_description == 'caf\u00e9'


# Hostile documents.  Each would parse (and leak or expand) if the guard let it through,
# so each is refused by the guard and not by some later accident.
BILLION_LAUGHS = (EMULATOR_DIR / 'faults' / 'billion-laughs.xml').read_bytes()
XXE_LOCAL_FILE = (EMULATOR_DIR / 'faults' / 'xxe-local-file.xml').read_bytes().replace(
    b'{data_dir}', str(EMULATOR_DIR).encode())
EXTERNAL_DTD = b'''<?xml version="1.0"?>
<!DOCTYPE response SYSTEM "http://127.0.0.1:9/response.dtd">
<response><result/><result_description>&fetched;</result_description></response>'''
HOSTILE = {
    'billion laughs': (BILLION_LAUGHS, "was refused: it declares the XML entity 'lol' (entities are never expanded)"),
    'xxe local file': (XXE_LOCAL_FILE, "was refused: it declares the XML entity 'xxe' (entities are never expanded)"),
    'external dtd': (EXTERNAL_DTD, "was refused: it references the external resource "
                                   "'http://127.0.0.1:9/response.dtd' (never fetched)"),
    'public external dtd': (EXTERNAL_DTD.replace(b'SYSTEM', b'PUBLIC "-//X//Y"'),
                            "was refused: it references the external resource 'http://127.0.0.1:9/response.dtd'"),
    'external parameter entity': (b'<!DOCTYPE response [<!ENTITY % ext SYSTEM "http://127.0.0.1:9/x.dtd"> %ext;]>'
                                  b'<response><result/></response>',
                                  "was refused: it declares the XML entity 'ext' (entities are never expanded)"),
    'internal entity': (b'<!DOCTYPE response [<!ENTITY e "x">]><response><result>&e;</result></response>',
                        "was refused: it declares the XML entity 'e'"),
}


@pytest.mark.parametrize('name', sorted(HOSTILE))
@pytest.mark.parametrize('chunk', [None, 1, 7])
def test_hostile_documents_are_refused_without_file_or_network_access(name, chunk):
    body, problem = HOSTILE[name]
    opened, connected, fetched = mock.Mock(side_effect=OSError), mock.Mock(side_effect=OSError), \
        mock.Mock(side_effect=OSError)
    with mock.patch.object(builtins, 'open', opened), mock.patch.object(io, 'open', opened), \
            mock.patch.object(socket.socket, 'connect', connected), \
            mock.patch.object(urllib.request, 'urlopen', fetched):
        message = parse_error(body, chunk=chunk)
    assert message.startswith('DialogTech API response %s' % problem)
    assert not (opened.called or connected.called or fetched.called)
    assert XXE_CANARY not in message and 'lollol' not in message


# --- redaction and normalisation -----------------------------------------------------

def test_redact_every_form():
    text = 'a %s b %s c %s d' % SECRET_FORMS
    assert redact(text, SECRET) == 'a ******** b ******** c ******** d'


def test_redact_query_parameter_whatever_its_value():
    url = 'https://h/ibp_api.php?access_key=k&secret_access_key=other%2Bvalue&x=1'
    assert redact(url, SECRET) == 'https://h/ibp_api.php?access_key=k&secret_access_key=********&x=1'
    assert redact("{'secret_access_key': 'zzz'}", '') == "{'secret_access_key': 'zzz'}"
    assert redact('secret_access_key=zzz', None) == 'secret_access_key=********'


def test_redact_html_escaped_secret():
    secret = 'a&b<c>"d'
    assert redact('<p>a&amp;b&lt;c&gt;&quot;d</p> and a&b<c>"d', secret) == '<p>********</p> and ********'


def test_redact_without_secret_leaves_text():
    assert redact('nothing to hide', '') == 'nothing to hide'


def test_excerpt_never_shows_part_of_a_secret_cut_at_its_end():
    body = b'x' * 75 + SECRET.encode() + b' tail'
    message = parse_error(body, secret=SECRET)
    assert SECRET[:4] not in message
    assert message.endswith("body starts: '" + 'x' * 75 + "*****...'")


@pytest.mark.parametrize('value, expected', [
    ('5559990000', '5559990000'), ('(555) 999-0000', '5559990000'), ('555.999.0000', '5559990000'),
    ('+1 555 999 0000', '5559990000'), ('15559990000', '5559990000'), (' 555-999-0000 ', '5559990000'),
    (5559990000, '5559990000'), ('0559990000', '0559990000'),
])
def test_normalize_number_accepts(value, expected):
    assert normalize_number(value) == expected


@pytest.mark.parametrize('value', ['555-999-000', 'abc', '+44 20 7946 0958', '', '1-800-FLOWERS',
                                   '555999000011', '25559990000', '555 999 0000 x12'])
def test_normalize_number_refuses(value):
    with pytest.raises(ValueError, match='is not a 10-digit US phone number'):
        normalize_number(value)


def test_libraries_present_and_dicts():
    assert missing_libraries() == []
    assert as_dicts([SmsNumber('1', False, None)]) == [{'number': '1', 'sms_enabled': False, 'url': None}]


# --- HTTP paths against the emulator ----------------------------------------------------

def serve(data, **tls):
    server = emulator_module.make_server('127.0.0.1', 0, data, **tls)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    requests_seen = []

    class Recorder(server.RequestHandlerClass):
        def parse_request(self):
            ok = super(Recorder, self).parse_request()
            requests_seen.append(self.requestline)
            return ok

    server.RequestHandlerClass = Recorder
    server.request_lines = requests_seen
    server.api_url = '%s://127.0.0.1:%d/ibp_api.php' % (server.scheme, server.server_address[1])
    return server


def stop(server):
    server.shutdown()
    server.server_close()


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


@pytest.fixture
def sleeps(monkeypatch):
    """Record the client's retry waits instead of sleeping them: no test waits or times."""
    slept = []
    monkeypatch.setattr(_client.time, 'sleep', slept.append)
    return slept


def stats(server):
    return emulator_client.stats(server.api_url)


def options(url, access_key='fault-none', **overrides):
    values = {name: spec.get('default') for name, spec in CONNECTION_ARGUMENT_SPEC.items()}
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
        assert as_dicts(fetch_numbers(opts).numbers) == VENDOR_EXPECTED
    finally:
        stop(server)


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
    assert sleeps == [_client.RETRY_AFTER_CAP] * 2
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


def free_port():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


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


def test_body_still_arriving_at_total_timeout(emulator):
    # The server pauses 3 seconds mid-body, within timeout but past total_timeout.
    message = fetch_error(options(emulator.api_url, 'fault-slow-body', timeout=10, total_timeout=1))
    assert message == ('DialogTech API at http://127.0.0.1:%d: gave up reading the response after total_timeout=1 '
                       'seconds' % emulator.server_address[1])


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
    session = _client._SameOriginSession()
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


@pytest.mark.parametrize('validate_certs, ca_path, verify', [
    (True, None, True), (True, '/etc/private-ca.pem', '/etc/private-ca.pem'),
    (False, None, False), (False, '/etc/private-ca.pem', False),
])
def test_certificate_options_reach_requests(emulator, mocker, validate_certs, ca_path, verify):
    spy = mocker.spy(_client._SameOriginSession, 'request')
    fetch_numbers(options(emulator.api_url, validate_certs=validate_certs, ca_path=ca_path))
    assert spy.call_args.kwargs['verify'] == verify


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


@pytest.mark.parametrize('overrides, message', [
    ({'access_key': None}, 'access_key is required: set it as an option or in the DIALOGTECH_ACCESS_KEY '
                           'environment variable'),
    ({'secret_access_key': ''}, 'secret_access_key is required: set it as an option or in the '
                                'DIALOGTECH_SECRET_ACCESS_KEY environment variable'),
    ({'api_url': 'ftp://x/ibp_api.php'}, "api_url must be an absolute http:// or https:// URL, not 'ftp://x/ibp_api.php'"),
    ({'api_url': 'secure.dialogtech.com'}, "api_url must be an absolute http:// or https:// URL, not "
                                           "'secure.dialogtech.com'"),
    ({'api_url': 'http://[::1/ibp_api.php'}, "api_url must be an absolute http:// or https:// URL, not "
                                             "'http://[::1/ibp_api.php'"),
    ({'api_url': 'https://h:port/ibp_api.php'}, "api_url must be an absolute http:// or https:// URL, not "
                                                "'https://h:port/ibp_api.php'"),
    ({'http_method': 'PUT'}, "http_method must be GET or POST, not 'PUT'"),
    ({'timeout': 0}, 'timeout must be greater than 0'),
    ({'total_timeout': -1}, 'total_timeout must be greater than 0'),
    ({'max_response_bytes': 0}, 'max_response_bytes must be greater than 0'),
    ({'retries': -1}, 'retries must be 0 or more'),
])
def test_invalid_options(overrides, message):
    assert fetch_error(options('http://127.0.0.1:9/ibp_api.php', **overrides)) == message


def test_argument_spec_defaults():
    defaults = {name: spec.get('default') for name, spec in CONNECTION_ARGUMENT_SPEC.items()}
    assert defaults == {
        'access_key': None, 'secret_access_key': None, 'api_url': 'https://secure.dialogtech.com/ibp_api.php',
        'http_method': 'GET', 'timeout': 30, 'total_timeout': 120, 'retries': 3, 'validate_certs': True,
        'ca_path': None, 'max_response_bytes': 64 * 1024 * 1024,
    }
    assert CONNECTION_ARGUMENT_SPEC['secret_access_key']['no_log'] is True
