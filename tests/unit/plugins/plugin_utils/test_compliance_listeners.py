# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The listener rules of the compliance evaluation, called directly: which numbers'
listeners count, how a probe's problem becomes a violation, and that the remediation
never claims to fix one."""

from __future__ import annotations

import pytest

from ansible_collections.dialogtech.api.plugins.plugin_utils import _reports
from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance import (
    KINDS, LISTENER_KINDS, evaluate, listener_violation, remediation_plan,
)

OK_URL = 'https://sms.example.com/listener'


def record(number, url=OK_URL, sms_enabled=True):
    return {'number': number, 'sms_enabled': sms_enabled, 'url': url}


def probed(url, problem=None, message='HTTP 405 Method Not Allowed'):
    return {'url': url, 'problem': problem, 'message': message, 'status': None, 'addresses': [], 'tls': None,
            'elapsed_ms': 3}


@pytest.mark.parametrize('problem, kind', [
    ('unresolvable', 'listener_unreachable'), ('unreachable', 'listener_unreachable'),
    ('timeout', 'listener_unreachable'), ('tls_invalid', 'listener_tls_invalid'),
    ('certificate_expiring', 'listener_certificate_expiring'), ('http_error', 'listener_http_error'),
    ('not_found', 'listener_http_error'), ('private_address', 'listener_private_address'),
    ('invalid_url', None), (None, None),
])
def test_each_probe_problem_maps_to_its_kind(problem, kind):
    violation = listener_violation('5550000001', probed(OK_URL, problem, 'the message'))
    if kind is None:
        assert violation is None
    else:
        assert violation['kind'] == kind and violation['found'] == 'the message'
        assert kind in KINDS
    assert listener_violation('5550000001', None) is None


def test_every_problem_of_the_probe_is_mapped_or_left_to_the_url_rules():
    from ansible_collections.dialogtech.api.plugins.module_utils._probe import PROBLEMS
    assert set(LISTENER_KINDS) == set(PROBLEMS) - {'invalid_url'}


def test_which_listeners_are_checked_and_how_they_count():
    dead, expiring, fine = 'https://dead.example.com/', 'https://soon.example.com/', OK_URL
    account = [record('5550000001', dead), record('5550000002', dead), record('5550000003', expiring),
               record('5550000004', fine), record('5550000005', dead, sms_enabled=False),
               record('5550000006', url=None), record('5550000009', dead)]
    expected = [{'number': number, 'url_regex': 'https://.*'} for number in
                ('5550000001', '5550000002', '5550000003', '5550000004', '5550000006')]
    expected.append({'number': '5550000005', 'sms_enabled': False})
    listeners = [probed(dead, 'timeout', 'no answer'), probed(expiring, 'certificate_expiring', 'expires soon'),
                 probed(fine), probed('https://other.example.com/', 'timeout')]

    without = evaluate(account, expected)
    # Unexpected numbers, disabled SMS and missing URLs are not probed.
    assert without['listener_urls'] == [dead, expiring, fine]
    assert without['listeners'] == [] and without['policy']['probe_listeners'] is False
    assert [violation['kind'] for violation in without['violations']] == ['no_listener_url']

    result = evaluate(account, expected, listeners=listeners)
    assert [(violation['number'], violation['kind'], violation['found']) for violation in result['violations']] == [
        ('5550000001', 'listener_unreachable', 'no answer'),
        ('5550000002', 'listener_unreachable', 'no answer'),
        ('5550000003', 'listener_certificate_expiring', 'expires soon'),
        ('5550000006', 'no_listener_url', None),
    ]
    assert result['counts']['listener_unreachable'] == 2 and result['counts']['listener_certificate_expiring'] == 1
    assert result['failed_numbers'] == 4 and not result['passed']
    assert result['listeners'] == listeners[:3]  # those of the checked numbers, in their order
    assert result['policy']['probe_listeners'] is True
    assert '2 listener_unreachable, 1 listener_certificate_expiring' in result['summary']


def test_a_later_probe_of_a_url_wins():
    """The role appends the probes made after a remediation."""
    account, expected = [record('5550000001')], ['5550000001']
    before = evaluate(account, expected, default_url=OK_URL, listeners=[probed(OK_URL, 'http_error', 'HTTP 502')])
    after = evaluate(account, expected, default_url=OK_URL,
                     listeners=[probed(OK_URL, 'http_error', 'HTTP 502'), probed(OK_URL)])
    assert [violation['kind'] for violation in before['violations']] == ['listener_http_error']
    assert after['passed'] and after['violations'] == []


def test_listener_violations_are_never_fixed_by_a_url_write():
    broken, old = 'https://sms.example.com/broken', 'https://old.example.com/'
    account = [record('5550000001', broken), record('5550000002', old), record('5550000003', broken)]
    expected = ['5550000001', '5550000002', {'number': '5550000003', 'url': broken}]
    listeners = [probed(broken, 'tls_invalid', 'bad certificate'), probed(old, 'unresolvable', 'gone')]
    compliance = evaluate(account, expected, default_url_regex='https://sms[.]example[.]com/.*', listeners=listeners)
    plan = remediation_plan(compliance, expected, default_url_regex='https://sms[.]example[.]com/.*')
    # 5550000002's URL is wrong too, but only a regex is expected: nothing to write either.
    assert plan['fixes'] == []
    assert [(item['number'], item['kinds']) for item in plan['not_fixable']] == [
        ('5550000001', ['listener_tls_invalid']),
        ('5550000002', ['url_mismatch', 'listener_unreachable']),
        ('5550000003', ['listener_tls_invalid'])]
    assert plan['not_fixable'][0]['why'].startswith('the listener at its URL has a problem (listener_tls_invalid); '
                                                    'a listener URL write cannot make it answer')
    assert plan['not_fixable'][1]['why'].startswith('no exact url is expected')

    # With an exact URL expected, the write moves the number off its broken listener.
    compliance = evaluate(account, expected, default_url=OK_URL, listeners=listeners)
    plan = remediation_plan(compliance, expected, default_url=OK_URL)
    assert plan['fixes'] == [{'number': '5550000001', 'url': OK_URL}, {'number': '5550000002', 'url': OK_URL}]
    assert [item['number'] for item in plan['not_fixable']] == ['5550000003']


def test_the_reports_show_the_listener_violations():
    account = [record('5550000001', 'https://internal.example.com/')]
    compliance = evaluate(account, ['5550000001'], listeners=[probed(
        'https://internal.example.com/', 'private_address', 'internal.example.com: 10.0.0.5 is a private address')])
    compliance['not_fixable'] = remediation_plan(compliance, ['5550000001'])['not_fixable']
    table = _reports.table(compliance)
    assert 'listener_private_address' in table and '10.0.0.5 is a private address' in table
    assert 'Not fixable by the remediation (1)' in table
    markdown = _reports.markdown(compliance)
    assert '| 5550000001 | listener\\_private\\_address | an address DialogTech can reach from the internet |' in markdown
    assert 'listener\\_private\\_address' in markdown.split('Not fixable')[1]
    assert '"kind": "listener_private_address"' in _reports.json_report(compliance, account)
    assert 'type="listener_private_address"' in _reports.junit(compliance)
