# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.dialogtech.api.plugins.filter.sms_listener import FilterModule
from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance import KINDS, normalise_expectations

# The filters as templates see them: what the role and playbooks call.
FILTERS = FilterModule().filters()
sms_listener_compliance = FILTERS['sms_listener_compliance']
sms_listener_junit = FILTERS['sms_listener_junit']
sms_listener_remediation = FILTERS['sms_listener_remediation']
sms_listener_table = FILTERS['sms_listener_table']

LISTENER = 'https://sms.example.com/listener'


def record(number, sms_enabled=True, url=LISTENER):
    return {'number': number, 'sms_enabled': sms_enabled, 'url': url}


def kinds(result):
    return [(violation['number'], violation['kind']) for violation in result['violations']]


def test_filters_are_registered():
    assert sorted(FilterModule().filters()) == ['sms_listener_compliance', 'sms_listener_json', 'sms_listener_junit',
                                                'sms_listener_markdown', 'sms_listener_remediation',
                                                'sms_listener_role_variables', 'sms_listener_table']


def test_compliant_account_passes():
    result = sms_listener_compliance([record('5559990000'), record('5559990001')], ['5559990000', '5559990001'])
    assert result['passed'] is True
    assert result['checked'] == 2
    assert result['violations'] == []
    assert result['failed_numbers'] == 0
    assert result['counts'] == dict.fromkeys(KINDS, 0)
    assert result['summary'] == 'SMS listener compliance passed: all 2 expected number(s) are compliant'


@pytest.mark.parametrize('account, expectation, kind, expected, found', [
    ([], '5559990000', 'missing_number', 'present in the account', None),
    ([record('5559990000', sms_enabled=False)], '5559990000', 'sms_disabled', 'sms_enabled=true', 'sms_enabled=false'),
    ([record('5559990000', url=None)], '5559990000', 'no_listener_url', 'a listener URL', None),
    ([record('5559990000', url='sms.example.com/listener')], '5559990000', 'invalid_url',
     'an absolute http:// or https:// URL', 'sms.example.com/listener'),
    ([record('5559990000', url='ftp://sms.example.com/')], '5559990000', 'invalid_url',
     'an absolute http:// or https:// URL', 'ftp://sms.example.com/'),
    ([record('5559990000', url='http://sms.example.com/listener')], '5559990000', 'insecure_url',
     'an https:// URL', 'http://sms.example.com/listener'),
    ([record('5559990000', url='https://old.example.com/')], {'number': '5559990000', 'url': LISTENER},
     'url_mismatch', LISTENER, 'https://old.example.com/'),
])
def test_each_violation_kind(account, expectation, kind, expected, found):
    result = sms_listener_compliance(account, [expectation])
    assert result['violations'] == [{'number': '5559990000', 'kind': kind, 'expected': expected, 'found': found}]
    assert result['passed'] is False
    assert result['counts'][kind] == 1
    assert sum(result['counts'].values()) == 1
    assert '1 %s' % kind in result['summary']


@pytest.mark.parametrize('url, kind', [
    ('HTTPS://sms.example.com/listener', None),
    ('https://user@sms.example.com:8443/listener?x=1#y', None),
    ('https://[2001:db8::1]/listener', None),
    ('https://sms.example.com', None),
    ('http://sms.example.com?to=listener', 'insecure_url'),
    ('https:///listener', 'invalid_url'),
    ('https://:443/listener', 'invalid_url'),
    ('https://sms.example.com:port/', 'invalid_url'),
    ('//sms.example.com/listener', 'invalid_url'),
    ('https:/sms.example.com/listener', 'invalid_url'),
])
def test_what_counts_as_an_absolute_web_url(url, kind):
    result = sms_listener_compliance([record('5559990000', url=url)], ['5559990000'])
    assert [violation['kind'] for violation in result['violations']] == ([kind] if kind else [])


def test_unexpected_number_only_with_fail_on_unexpected():
    account = [record('5559990000'), record('5559990009', url=None)]
    lenient = sms_listener_compliance(account, ['5559990000'])
    assert lenient['passed'] is True
    assert lenient['unexpected_numbers'] == ['5559990009']
    assert 'fail_on_unexpected is false' in lenient['summary']

    strict = sms_listener_compliance(account, ['5559990000'], fail_on_unexpected=True)
    assert strict['passed'] is False
    assert strict['violations'] == [{'number': '5559990009', 'kind': 'unexpected_number', 'expected': None,
                                     'found': 'sms_enabled=true, url=(none)'}]
    assert strict['policy'] == {'require_https': True, 'fail_on_unexpected': True, 'fail_on_drift': False,
                                'probe_listeners': False}


def test_require_https_off_accepts_http():
    account = [record('5559990000', url='http://sms.example.com/listener')]
    result = sms_listener_compliance(account, ['5559990000'], require_https=False)
    assert result['passed'] is True
    assert result['policy']['require_https'] is False


def test_formatted_numbers_are_normalised():
    account = [record('5559990000'), record('5559990001'), record('5559990002'), record('0559990003')]
    expected = ['(555) 999-0000', '555.999.0001', '+1 555 999 0002', {'number': '1-055-999-0003'}]
    result = sms_listener_compliance(account, expected)
    assert result['passed'] is True
    assert result['expected_numbers'] == ['5559990000', '5559990001', '5559990002', '0559990003']


def test_exact_url_is_not_a_regex():
    # A '.' in an exact url is a literal dot, not "any character".
    account = [record('5559990000', url='https://smsXexample.com/listener')]
    result = sms_listener_compliance(account, [{'number': '5559990000', 'url': 'https://sms.example.com/listener'}])
    assert kinds(result) == [('5559990000', 'url_mismatch')]


def test_regex_must_match_the_whole_url():
    pattern = r'https://sms[0-9]\.example\.com/listener'
    account = [record('5559990000', url='https://sms1.example.com/listener'),
               record('5559990001', url='https://sms1.example.com/listener/extra'),
               record('5559990002', url='https://evil.test/?https://sms1.example.com/listener')]
    result = sms_listener_compliance(account, ['5559990000', '5559990001', '5559990002'], default_url_regex=pattern)
    assert kinds(result) == [('5559990001', 'url_mismatch'), ('5559990002', 'url_mismatch')]
    assert result['violations'][0]['expected'] == 'regex ' + pattern


def test_default_url_applies_unless_the_item_sets_its_own():
    account = [record('5559990000', url='https://a.example.com/'), record('5559990001', url='https://b.example.com/'),
               record('5559990002', url='https://c.example.com/x')]
    expected = ['5559990000', {'number': '5559990001', 'url': 'https://b.example.com/'},
                {'number': '5559990002', 'url_regex': 'https://c[.]example[.]com/.*'}]
    result = sms_listener_compliance(account, expected, default_url='https://b.example.com/')
    assert kinds(result) == [('5559990000', 'url_mismatch')]
    assert [(e['url'], e['url_regex']) for e in normalise_expectations(expected, default_url='https://b.example.com/')] == [
        ('https://b.example.com/', None), ('https://b.example.com/', None), (None, 'https://c[.]example[.]com/.*')]


def test_insecure_and_mismatching_url_reports_both():
    account = [record('5559990000', url='http://old.example.com/')]
    result = sms_listener_compliance(account, [{'number': '5559990000', 'url_regex': 'https://.*'}])
    assert kinds(result) == [('5559990000', 'insecure_url'), ('5559990000', 'url_mismatch')]


def test_precedence_missing_and_url_checks():
    # A missing number gets only missing_number; a number without a url gets
    # no_listener_url and not also url_mismatch; an invalid url is not compared.
    account = [record('5559990001', url=None), record('5559990002', url='not a url')]
    expected = [{'number': n, 'url': LISTENER} for n in ('5559990000', '5559990001', '5559990002')]
    result = sms_listener_compliance(account, expected)
    assert kinds(result) == [('5559990000', 'missing_number'), ('5559990001', 'no_listener_url'),
                             ('5559990002', 'invalid_url')]
    assert result['violations'][1]['expected'] == LISTENER


def test_disabled_number_without_url_reports_both():
    result = sms_listener_compliance([record('5559990000', sms_enabled=False, url=None)], ['5559990000'])
    assert kinds(result) == [('5559990000', 'sms_disabled'), ('5559990000', 'no_listener_url')]
    assert result['failed_numbers'] == 1


def test_sms_enabled_false_checks_url_only_when_sms_is_on():
    account = [record('5559990000', sms_enabled=False, url=None),
               record('5559990001', sms_enabled=True, url='http://old.example.com/')]
    expected = [{'number': '5559990000', 'sms_enabled': False}, {'number': '5559990001', 'sms_enabled': False}]
    result = sms_listener_compliance(account, expected)
    assert kinds(result) == [('5559990001', 'insecure_url')]


def test_repeated_number_counts_once():
    result = sms_listener_compliance([], ['5559990000', '(555) 999-0000'])
    assert result['checked'] == 1
    assert kinds(result) == [('5559990000', 'missing_number')]


def test_normalised_expectations_evaluate_the_same():
    account = [record('5559990000', url='https://b.example.com/')]
    first = normalise_expectations(['(555) 999-0000'], default_url=LISTENER)
    assert normalise_expectations(first) == first
    assert kinds(sms_listener_compliance(account, first)) == [('5559990000', 'url_mismatch')]


@pytest.mark.parametrize('expected, kwargs, message', [
    (['5559990000', '555-12'], {}, r"expected_numbers\[1\] \('555-12'\): '555-12' is not a 10-digit US phone number"),
    (['555-999-00OO'], {}, r"expected_numbers\[0\] .*not a 10-digit"),
    ([{'number': '5559990000', 'url_regex': 'https://(unclosed'}], {},
     r"expected_numbers\[0\] .*url_regex 'https://\(unclosed' is not a valid regular expression"),
    ([{'number': '5559990000', 'url': LISTENER, 'url_regex': '.*'}], {}, r"expected_numbers\[0\] .*set url or url_regex, not both"),
    ([{'number': '5559990000', 'uri': LISTENER}], {}, r"expected_numbers\[0\] .*unknown key\(s\) uri"),
    ([{'url': LISTENER}], {}, r"expected_numbers\[0\] .*number is required"),
    ([{'number': '5559990000', 'sms_enabled': 'yes'}], {}, r"expected_numbers\[0\] .*sms_enabled must be true or false"),
    ([['5559990000']], {}, r"expected_numbers\[0\] .*must be a string or a dictionary, not a list$"),
    ([True], {}, r"expected_numbers\[0\] \(True\): an expected number must be a string or a dictionary, not true/false$"),
    ([None], {}, r"expected_numbers\[0\] \(None\): .* not null$"),
    ([0o551234567], {}, r"expected_numbers\[0\] \(94714231\): '94714231' is not a 10-digit US phone number; "
                        r"if you wrote 0551234567 unquoted, YAML read it as an octal number: quote it, '0551234567'$"),
    ([555999000], {}, r"expected_numbers\[0\] \(555999000\): '555999000' is not a 10-digit US phone number$"),
    ([{'number': '555-12', 'url': 'https://sms.example.com/' + 'x' * 100}], {},
     r"^expected_numbers\[0\] \(\{'number': '555-12', 'url': 'https://sms\.example\.com/x{4}\.\.\.\): '555-12' is not"),
    ([{'number': '5559990000', 'url': 'sms.example.com'}], {}, r"expected_numbers\[0\] .*not an absolute http"),
    ([{'number': '5559990000', 'url': 'http://sms.example.com/'}], {}, r"expected_numbers\[0\] .*require_https is true"),
    (['5559990000', {'number': '555-999-0000', 'sms_enabled': False}], {},
     r"expected_numbers\[1\] .*5559990000 is already expected by expected_numbers\[0\]"),
    (['5559990000'], {'default_url': LISTENER, 'default_url_regex': '.*'}, 'not both'),
    (['5559990000'], {'default_url_regex': '('}, 'default_url/default_url_regex: url_regex .* is not a valid'),
    ('5559990000', {}, r"^expected numbers must be a list, not a string \('5559990000'\); in YAML, put each "
                       r"number on a line of its own starting with '- '$"),
    ({'number': '5559990000'}, {}, r"^expected numbers must be a list, not a dictionary \("),
    (None, {}, r"^expected numbers must be a list, not null \(None\)"),
])
def test_invalid_expectations_name_the_item(expected, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message):
        sms_listener_compliance([record('5559990000')], expected, **kwargs)


def test_http_url_is_accepted_when_https_is_not_required():
    result = sms_listener_compliance([record('5559990000', url='http://sms.example.com/')],
                                     [{'number': '5559990000', 'url': 'http://sms.example.com/'}], require_https=False)
    assert result['passed'] is True


def test_integer_numbers_are_accepted():
    assert sms_listener_compliance([record('5559990000')], [5559990000])['passed'] is True


def test_ten_thousand_numbers_in_one_call():
    account = [record('%010d' % (5550000000 + i)) for i in range(10000)]
    expected = ['%010d' % (5550000000 + i) for i in range(10001)]
    result = sms_listener_compliance(account, expected)
    assert result['checked'] == 10001
    assert kinds(result) == [('5550010000', 'missing_number')]


def test_table_is_fixed_width():
    violations = [
        {'number': '5559990000', 'kind': 'missing_number', 'expected': 'present in the account', 'found': None},
        {'number': '5559990001', 'kind': 'url_mismatch', 'expected': LISTENER, 'found': 'https://old.example.com/'},
    ]
    lines = sms_listener_table(violations).splitlines()
    assert lines == [
        'NUMBER      KIND            EXPECTED                          FOUND',
        '5559990000  missing_number  present in the account            -',
        '5559990001  url_mismatch    %s  https://old.example.com/' % LISTENER,
    ]
    assert sms_listener_table([]) == 'NUMBER  KIND  EXPECTED  FOUND'


# A listener probe result (dialogtech_sms_listener_info) per listener kind: URL -> (problem, message).
BROKEN_LISTENERS = {
    'https://gone.example.com/sms': ('unresolvable', 'host name gone.example.com does not resolve'),
    'https://badcert.example.com/sms': ('tls_invalid', 'TLS certificate of badcert.example.com not valid: <expired>'),
    'https://soon.example.com/sms': ('certificate_expiring', 'TLS certificate expires 2027-01-01T00:00:00Z, in 3 days'),
    'https://broken.example.com/sms': ('http_error', 'HTTP 500 Internal Server Error: the listener answers with an error'),
    'https://internal.example.com/sms': ('private_address', 'internal.example.com: 10.0.0.5 is a private address'),
}


def probe_results(problems):
    return [{'url': url, 'problem': problem, 'message': message, 'status': None, 'addresses': [], 'tls': None,
             'elapsed_ms': 1} for url, (problem, message) in problems.items()]


def _every_kind():
    account = [record('5559990001', sms_enabled=False), record('5559990002', url=None),
               record('5559990003', url='mailto:x@example.com'), record('5559990004', url='http://sms.example.com/listener'),
               record('5559990005', url='https://evil.example.com/<script>&"'), record('5559990006'),
               record('5559990009')]
    account += [record('555999001%d' % index, url=url) for index, url in enumerate(BROKEN_LISTENERS)]
    expected = ['5559990000', '5559990001', '5559990002', '5559990003', '5559990004',
                {'number': '5559990005', 'url': LISTENER}, '5559990006']
    expected += [{'number': '555999001%d' % index, 'url_regex': 'https://.*'} for index in range(len(BROKEN_LISTENERS))]
    return sms_listener_compliance(account, expected, fail_on_unexpected=True,
                                   listeners=probe_results(BROKEN_LISTENERS) + probe_results({LISTENER: (None, 'HTTP 200 OK')}))


def test_every_kind_together():
    result = _every_kind()
    assert sorted(kind for _number, kind in kinds(result)) == sorted(KINDS)
    assert result['counts'] == dict.fromkeys(KINDS, 1)
    assert result['failed_numbers'] == 12
    assert result['checked'] == 12


def test_junit_counts_and_escaping():
    result = _every_kind()
    text = sms_listener_junit(result)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ElementTree.fromstring(text.encode('utf-8'))
    suite = root.find('testsuite')
    for element in (root, suite):
        assert element.get('tests') == '13'
        assert element.get('failures') == '12'
        assert element.get('skipped') == '0'
        assert element.get('errors') == '0'
    cases = suite.findall('testcase')
    assert [case.get('name') for case in cases] == [
        '5559990000', '5559990001', '5559990002', '5559990003', '5559990004', '5559990005', '5559990006',
        '5559990010', '5559990011', '5559990012', '5559990013', '5559990014', 'unexpected numbers']
    failures = {case.get('name'): case.find('failure') for case in cases}
    assert failures['5559990006'] is None
    assert failures['5559990000'].get('type') == 'missing_number'
    assert failures['unexpected numbers'].get('message') == 'unexpected_number'
    assert 'https://evil.example.com/<script>&"' in failures['5559990005'].text
    assert '<script>' not in text
    assert [failures['555999001%d' % index].get('type') for index in range(5)] == [
        'listener_unreachable', 'listener_tls_invalid', 'listener_certificate_expiring', 'listener_http_error',
        'listener_private_address']
    assert 'TLS certificate of badcert.example.com not valid: <expired>' in failures['5559990011'].text


def test_junit_skips_unexpected_case_when_not_failing_on_it():
    result = sms_listener_compliance([record('5559990000'), record('5559990009')], ['5559990000'])
    root = ElementTree.fromstring(sms_listener_junit(result, 'prod sms').encode('utf-8'))
    suite = root.find('testsuite')
    assert (suite.get('name'), suite.get('tests'), suite.get('failures'), suite.get('skipped')) == ('prod sms', '2', '0', '1')
    skipped = suite.findall('testcase')[1].find('skipped')
    assert '1 number(s) in the account were not expected' in skipped.get('message')


def test_junit_survives_characters_xml_cannot_carry():
    result = sms_listener_compliance([record('5559990000', url='https://x.example.com/')],
                                     [{'number': '5559990000', 'url_regex': 'https://\x01.*'}])
    root = ElementTree.fromstring(sms_listener_junit(result).encode('utf-8'))
    assert '\ufffd' in root.find('testsuite/testcase/failure').text


def test_result_is_json_serialisable_with_the_documented_fields():
    result = json.loads(json.dumps(_every_kind()))
    assert set(result) == {'passed', 'checked', 'failed_numbers', 'violations', 'counts', 'unexpected_numbers',
                           'expected_numbers', 'drift', 'previous_report', 'listener_urls', 'listeners', 'policy',
                           'summary'}
    assert all(set(violation) == {'number', 'kind', 'expected', 'found'} for violation in result['violations'])
    assert re.match(r'SMS listener compliance failed: 12 violation\(s\) on 12 number\(s\), 12 number\(s\) expected',
                    result['summary'])
    assert '1 listener_unreachable, 1 listener_tls_invalid, 1 listener_certificate_expiring, 1 listener_http_error, ' \
        '1 listener_private_address)' in result['summary']


def test_remediation_fixes_what_a_url_write_can_and_says_why_not_for_the_rest():
    account = [record('5550000001', sms_enabled=False), record('5550000002', url=None),
               record('5550000003', url='sms.example.com'), record('5550000004', url='http://sms.example.com/listener'),
               record('5550000005', url='https://old.example.com/'), record('5550000007', url='http://x.example.com/'),
               record('5550000008', url='https://x.example.com/'), record('5550000009')]
    expected = ['5550000001', '5550000002', '5550000003', '5550000004',
                {'number': '5550000005', 'url': 'https://own.example.com/'}, '5550000006',
                {'number': '5550000007', 'url_regex': 'https?://x[.]example[.]com/'},
                {'number': '5550000008', 'sms_enabled': False, 'url_regex': 'https://y.example.com/'}]
    compliance = sms_listener_compliance(account, expected, default_url=LISTENER, fail_on_unexpected=True)
    plan = sms_listener_remediation(compliance, expected, default_url=LISTENER)
    assert plan['fixes'] == [
        {'number': '5550000001', 'url': LISTENER}, {'number': '5550000002', 'url': LISTENER},
        {'number': '5550000003', 'url': LISTENER}, {'number': '5550000004', 'url': LISTENER},
        {'number': '5550000005', 'url': 'https://own.example.com/'}]
    assert [(item['number'], item['kinds']) for item in plan['not_fixable']] == [
        ('5550000006', ['missing_number']), ('5550000007', ['insecure_url']), ('5550000008', ['url_mismatch']),
        ('5550000009', ['unexpected_number'])]
    assert [item['why'].split(';')[0].split(' (')[0] for item in plan['not_fixable']] == [
        'the account does not have the number', 'no exact url is expected', 'SMS is expected off',
        'the number is not expected']


def test_remediation_of_a_compliant_account_is_empty():
    compliance = sms_listener_compliance([record('5550000001')], ['5550000001'], default_url=LISTENER)
    assert sms_listener_remediation(compliance, ['5550000001'], default_url=LISTENER) == {'fixes': [], 'not_fixable': []}
