# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The listener probe: address and answer classification, and probes of real listeners
on 127.0.0.1 (tests/listeners), broken in every way the issue names."""

from __future__ import annotations

import datetime
import re
import socket
import threading
from pathlib import Path

import pytest

from ansible_collections.dialogtech.api.plugins.module_utils import _probe
from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._probe import (
    certificate_not_after, classify, probe_all, split_url, unreachable_kind,
)

cryptography = pytest.importorskip('cryptography')
from ansible_collections.dialogtech.api.tests.listeners.listeners import Listeners  # noqa: E402 (needs cryptography)

ROOT = Path(__file__).resolve().parents[4]


@pytest.fixture(scope='module')
def listeners(tmp_path_factory):
    served = Listeners(str(tmp_path_factory.mktemp('listeners')))
    yield served
    served.stop()


@pytest.fixture(autouse=True)
def no_ca_environment(monkeypatch):
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        monkeypatch.delenv(name, raising=False)


def test_the_user_agent_names_the_version_of_galaxy_yml():
    version = re.search(r'^version:\s*["\']?([^"\'\s]+)', (ROOT / 'galaxy.yml').read_text(), re.M).group(1)
    assert _probe.COLLECTION_VERSION == version
    assert 'dialogtech.api/%s' % version in _probe.USER_AGENT


@pytest.mark.parametrize('address, kind', [
    ('127.0.0.1', 'loopback'), ('127.8.9.10', 'loopback'), ('::1', 'loopback'),
    ('10.1.2.3', 'private'), ('172.16.0.1', 'private'), ('172.31.255.254', 'private'), ('192.168.1.1', 'private'),
    ('fc00::1', 'private'), ('fd12:3456::1', 'private'),
    ('169.254.169.254', 'link-local'), ('fe80::1', 'link-local'), ('fe80::1%eth0', 'link-local'),
    ('224.0.0.251', 'multicast'), ('ff02::1', 'multicast'),
    ('0.0.0.0', 'unspecified'), ('::', 'unspecified'),
    ('240.0.0.1', 'reserved'), ('100.64.0.1', 'non-global'),
    # IPv6 that leads to IPv4 is judged by where it leads.
    ('::ffff:127.0.0.1', 'loopback'), ('::ffff:169.254.169.254', 'link-local'), ('::ffff:10.0.0.1', 'private'),
    ('2002:a00:1::1', 'private'),  # 6to4 of 10.0.0.1
    ('8.8.8.8', None), ('172.32.0.1', None), ('2606:4700:4700::1111', None), ('::ffff:8.8.8.8', None),
])
def test_addresses_dialogtech_cannot_reach(address, kind):
    assert unreachable_kind(address) == kind


@pytest.mark.parametrize('status, problem', [
    (200, None), (204, None), (301, None), (302, None), (307, None), (308, None),
    (401, None), (403, None), (405, None),
    (404, 'not_found'), (410, 'not_found'),
    (500, 'http_error'), (502, 'http_error'), (503, 'http_error'), (400, 'http_error'), (418, 'http_error'),
    (429, 'http_error'), (100, 'http_error'),
])
def test_status_classification(status, problem):
    assert classify(status, 'Reason')[0] == problem


def test_a_redirect_names_its_target_and_is_not_followed():
    assert classify(301, 'Moved Permanently', 'https://new.example/sms') == (
        None, 'HTTP 301 Moved Permanently, redirects to https://new.example/sms (not followed)')
    assert classify(302, '')[1] == 'HTTP 302, redirects to no Location given (not followed)'


@pytest.mark.parametrize('url', [
    'ftp://listener.example/', 'listener.example/sms', '/sms', '', 'http://', 'https://:443/', 'http://[::1/',
    'http://host:port/', 'http://host:99999/', 'http://host/a b', 'http://host/\r\nX-Injected: 1', None, 5,
])
def test_invalid_urls(url):
    with pytest.raises(_probe._ProbeEnded) as ended:
        split_url(url)
    assert ended.value.problem == 'invalid_url'
    assert '\n' not in str(ended.value)


@pytest.mark.parametrize('url, parts', [
    ('http://listener.example', ('http', 'listener.example', 80, '/')),
    ('https://listener.example/sms?x=1', ('https', 'listener.example', 443, '/sms?x=1')),
    ('HTTPS://Listener.Example:8443/sms#frag', ('https', 'listener.example', 8443, '/sms')),
    ('http://user:secret@[2001:db8::1]:8080/in', ('http', '2001:db8::1', 8080, '/in')),
])
def test_valid_urls(url, parts):
    assert split_url(url) == parts


def _der(not_after):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, 'x')])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(datetime.datetime(2020, 1, 1)).not_valid_after(not_after)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize('not_after', [
    datetime.datetime(2027, 3, 1, 12, 30, 5),   # UTCTime, 20YY
    datetime.datetime(2049, 12, 31, 23, 59, 59),  # the last UTCTime year
    datetime.datetime(2051, 6, 1, 0, 0, 0),     # GeneralizedTime from 2050 on
])
def test_certificate_expiry_from_der(not_after):
    assert certificate_not_after(_der(not_after)) == not_after.replace(tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize('der', [b'', b'\x30', b'\x30\x03\x02\x01', b'\x04\x02ab', b'not a certificate at all'])
def test_a_certificate_that_is_not_one_is_a_value_error(der):
    with pytest.raises(ValueError):
        certificate_not_after(der)


def _by_url(results):
    return {result['url']: result for result in results}


def test_every_kind_of_listener_in_one_run(listeners):
    """Local listeners of every kind, probed together: each gets its problem, results
    come in input order, each URL once."""
    expected = [
        (listeners.url('/ok'), None, 200),
        (listeners.url('/moved'), None, 301),
        (listeners.url('/protected'), None, 401),
        (listeners.url('/post-only'), None, 405),
        (listeners.url('/missing'), 'not_found', 404),
        (listeners.url('/gone'), 'not_found', 410),
        (listeners.url('/broken'), 'http_error', 500),
        (listeners.url('/ok', 'valid'), None, 200),
        (listeners.url('/ok', 'valid', host='localhost'), None, 200),
        (listeners.url('/ok', 'expired'), 'tls_invalid', None),
        (listeners.url('/ok', 'other_host'), 'tls_invalid', None),
        (listeners.url('/ok', 'expiring'), 'certificate_expiring', 200),
        (listeners.describe()['refusing_url'], 'unreachable', None),
        (listeners.describe()['silent_urls'][0], 'timeout', None),
        ('http://listener.invalid/sms', 'unresolvable', None),
        ('gopher://listener.example/', 'invalid_url', None),
    ]
    urls = [url for url, _problem, _status in expected]
    results = probe_all(urls + urls[:3], timeout=2, workers=4, ca_path=listeners.ca_path, allow_private_addresses=True)
    assert [result['url'] for result in results] == urls
    assert [(result['url'], result['problem'], result['status']) for result in results] == expected
    for result in results:
        assert set(result) == {'url', 'problem', 'message', 'status', 'addresses', 'tls', 'elapsed_ms'}
        assert result['message'] and '\n' not in result['message']
        assert (result['tls'] is None) == (not result['url'].startswith('https:'))
    assert listeners.http.counts['HEAD /ok'] == 1  # the repeats were not probed again
    by_url = _by_url(results)
    assert by_url[listeners.url('/moved')]['message'].endswith('redirects to %s (not followed)'
                                                               % listeners.describe()['moved_to'])
    assert by_url[listeners.url('/ok', 'valid', host='localhost')]['addresses'] == ['127.0.0.1']
    assert by_url['http://listener.invalid/sms']['addresses'] == []


def test_certificate_details(listeners):
    valid, expired, other_host, expiring = (listeners.url('/ok', name) for name in
                                            ('valid', 'expired', 'other_host', 'expiring'))
    results = _by_url(probe_all([valid, expired, other_host, expiring], timeout=5, ca_path=listeners.ca_path,
                                allow_private_addresses=True))
    not_after = listeners.describe()['not_after']
    assert results[valid]['tls'] == {'verified': True, 'error': None, 'not_after': not_after['valid'],
                                     'days_left': 365}
    # A certificate that fails verification still shows when it expires.
    assert results[expired]['tls']['verified'] is False
    assert 'expired' in results[expired]['tls']['error']
    assert results[expired]['tls']['not_after'] == not_after['expired']
    assert results[expired]['tls']['days_left'] == -1
    assert 'Hostname mismatch' in results[other_host]['tls']['error'] or 'IP address mismatch' in \
        results[other_host]['tls']['error']
    assert results[other_host]['tls']['not_after'] == not_after['other_host']
    assert results[expiring]['tls']['days_left'] == listeners.describe()['expiring_days']
    assert results[expiring]['message'] == 'TLS certificate expires %s, in %d days (certificate_min_days is 14)' % (
        not_after['expiring'], listeners.describe()['expiring_days'])
    # Below the threshold it is no problem; validate_certs=false takes any certificate, and
    # an expired one is then reported by its expiry.
    assert probe_all([expiring], ca_path=listeners.ca_path, certificate_min_days=3,
                     allow_private_addresses=True)[0]['problem'] is None
    unverified = _by_url(probe_all([other_host, expired], validate_certs=False, allow_private_addresses=True))
    assert unverified[other_host]['problem'] is None
    assert unverified[other_host]['tls']['verified'] is False and unverified[other_host]['tls']['error'] is None
    assert unverified[expired]['problem'] == 'certificate_expiring'


def test_without_the_test_ca_the_certificate_is_not_trusted(listeners):
    result = probe_all([listeners.url('/ok', 'valid')], timeout=5, allow_private_addresses=True)[0]
    assert result['problem'] == 'tls_invalid'
    assert 'unable to get local issuer certificate' in result['tls']['error']


def test_sni_host_header_and_the_request_sent(listeners, monkeypatch):
    """The name checked goes to SNI and Host; the address connected to is the one
    resolved once; nothing identifying is sent but the User-Agent."""
    lookups = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        lookups.append(host)
        return real_getaddrinfo(host, *args, **kwargs)
    monkeypatch.setattr(_probe.socket, 'getaddrinfo', getaddrinfo)
    server = listeners.https['valid']
    del server.server_names[:]
    url = 'https://user:password@localhost:%d/headers?x=1' % server.port
    result = probe_all([url], method='GET', timeout=5, ca_path=listeners.ca_path, allow_private_addresses=True)[0]
    assert result['problem'] == 'not_found' and result['tls']['verified'] is True
    assert lookups == ['localhost']  # and no lookup to connect: the address resolved is the one used
    assert server.server_names == ['localhost']
    assert server.counts['GET /headers?x=1'] == 1
    headers = {name.lower(): value for name, value in server.last_headers['/headers?x=1'].items()}
    assert headers['host'] == 'localhost:%d' % server.port
    assert headers['user-agent'] == _probe.USER_AGENT
    assert not {'authorization', 'cookie', 'content-length'} & set(headers)


def test_private_addresses_are_not_contacted(listeners):
    before = dict(listeners.http.counts)
    urls = [listeners.url('/ok'), listeners.url('/ok', host='localhost'), 'http://[::ffff:127.0.0.1]:%d/ok'
            % listeners.http.port]
    results = probe_all(urls, timeout=2)
    assert [result['problem'] for result in results] == ['private_address'] * 3
    assert results[1]['message'] == ('localhost: 127.0.0.1 is a loopback address, which DialogTech cannot deliver '
                                     'to; not contacted (allow_private_addresses is false)')
    assert results[1]['addresses'] == ['127.0.0.1']
    assert dict(listeners.http.counts) == before


def test_a_listener_that_answers_too_slowly_ends_at_the_timeout(listeners):
    """Every byte comes well within the timeout, only their sum does not: the probe
    ends on its deadline, not on a read's timeout."""
    result = probe_all([listeners.describe()['dripping_url']], timeout=1.5, allow_private_addresses=True)[0]
    assert result['problem'] == 'timeout'
    assert 'waiting for the status line and headers' in result['message']


def test_a_resolver_that_never_answers_ends_at_the_timeout(monkeypatch):
    released = threading.Event()

    def getaddrinfo(*args, **kwargs):
        released.wait(30)
        raise socket.gaierror('released')
    monkeypatch.setattr(_probe.socket, 'getaddrinfo', getaddrinfo)
    try:
        result = probe_all(['http://slow-dns.example/'], timeout=0.5)[0]
    finally:
        released.set()
    assert (result['problem'], result['message']) == (
        'timeout', 'no answer from the DNS resolver for slow-dns.example within 0.5 s')


def test_an_unreadable_ca_path_is_one_error():
    with pytest.raises(DialogTechError, match='^could not load the CA certificates of /nonexistent/ca.pem: '):
        probe_all(['https://listener.example/'], ca_path='/nonexistent/ca.pem')


def test_nothing_to_probe():
    assert probe_all([]) == []
