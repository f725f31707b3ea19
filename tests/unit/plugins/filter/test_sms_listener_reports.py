# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The compliance filter with expected numbers from a file, drift since a previous report,
and the Markdown, JSON and text reports (test_sms_listener.py has the evaluation itself)."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.dialogtech.api.plugins.filter import sms_listener as module
from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance import account_drift

# The filters as templates see them: what the role and playbooks call.
FILTERS = module.FilterModule().filters()
sms_listener_compliance = FILTERS['sms_listener_compliance']
sms_listener_json = FILTERS['sms_listener_json']
sms_listener_junit = FILTERS['sms_listener_junit']
sms_listener_markdown = FILTERS['sms_listener_markdown']
sms_listener_table = FILTERS['sms_listener_table']
from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance_files import read_previous_report

LISTENER = 'https://sms.example.com/listener'
ACCOUNT = [
    {'number': '5559990000', 'sms_enabled': True, 'url': LISTENER},
    {'number': '5559990001', 'sms_enabled': True, 'url': 'https://sms2.example.com/inbound/42'},
    {'number': '5559990002', 'sms_enabled': False, 'url': None},
    {'number': '5559990003', 'sms_enabled': True, 'url': 'http://legacy.example.com/sms.php'},
]
# The same mixed expectations three ways: a list, a CSV file, a YAML file.
AS_LIST = ['(555) 999-0000', {'number': '555-999-0001', 'url_regex': 'https://sms[0-9]*[.]example[.]com/inbound/[0-9]+'},
           {'number': '5559990002', 'sms_enabled': False}, {'number': '5559990003', 'url': LISTENER}]
AS_CSV = ('number,url,url_regex,sms_enabled\n(555) 999-0000,,,\n555-999-0001,,https://sms[0-9]*[.]example[.]com/inbound/[0-9]+,\n'
          '5559990002,,,false\n5559990003,%s,,\n' % LISTENER)
AS_YAML = ('- (555) 999-0000\n- {number: 555-999-0001, url_regex: "https://sms[0-9]*[.]example[.]com/inbound/[0-9]+"}\n'
           '- {number: "5559990002", sms_enabled: false}\n- {number: "5559990003", url: "%s"}\n' % LISTENER)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding='utf-8')
    return str(path)


@pytest.mark.parametrize('name, text', [('numbers.csv', AS_CSV), ('numbers.yml', AS_YAML),
                                        ('numbers.json', json.dumps(AS_LIST))])
def test_a_file_evaluates_like_the_equivalent_list(tmp_path, name, text):
    from_list = sms_listener_compliance(ACCOUNT, AS_LIST, default_url=LISTENER)
    from_file = sms_listener_compliance(ACCOUNT, [], default_url=LISTENER, expected_file=write(tmp_path, name, text))
    assert from_file == from_list
    assert [(v['number'], v['kind']) for v in from_file['violations']] == [
        ('5559990003', 'insecure_url'), ('5559990003', 'url_mismatch')]


def test_list_and_file_are_merged_list_first(tmp_path):
    path = write(tmp_path, 'numbers.csv', 'number\n5559990003\n5559990000\n')
    result = sms_listener_compliance(ACCOUNT, ['5559990001', '555-999-0000'], expected_file=path)
    assert result['expected_numbers'] == ['5559990001', '5559990000', '5559990003']
    assert result['checked'] == 3


def test_a_number_in_both_with_different_expectations_names_both_places(tmp_path):
    path = write(tmp_path, 'numbers.csv', 'number,sms_enabled\n5559990002,true\n5559990000,false\n')
    with pytest.raises(AnsibleFilterError, match=r"^%s line 3 \(\{'number': '5559990000', 'sms_enabled': False\}\): number "
                                                 r"5559990000 is already expected by expected_numbers\[1\] with a different"
                                                 % re.escape(path)):
        sms_listener_compliance(ACCOUNT, ['5559990002', '5559990000'], expected_file=path)


def test_a_number_twice_in_one_file_names_both_lines(tmp_path):
    path = write(tmp_path, 'numbers.csv', 'number,url\n5559990000,\n5559990001,\n555.999.0000,%s\n' % LISTENER)
    with pytest.raises(AnsibleFilterError, match=r'%s line 4 .*already expected by %s line 2 ' % (re.escape(path), re.escape(path))):
        sms_listener_compliance(ACCOUNT, [], expected_file=path)


@pytest.mark.parametrize('name, text, message', [
    ('n.csv', 'number\n5559990000\n555-12\n', r"n\.csv line 3 \(\{'number': '555-12'\}\): '555-12' is not a 10-digit"),
    ('n.csv', 'number,url_regex\n5559990000,https://(unclosed\n', r'n\.csv line 2 .*is not a valid regular expression'),
    ('n.csv', 'number,url,url_regex\n5559990000,%s,.*\n' % LISTENER, r'n\.csv line 2 .*set url or url_regex, not both'),
    ('n.csv', 'number,url\n5559990000,http://sms.example.com/\n', r'n\.csv line 2 .*require_https is true'),
    ('n.csv', 'number,url\n,%s\n' % LISTENER, r'n\.csv line 2 .*number is required'),
    ('n.yml', '- "5559990000"\n- {number: "5559990001", uri: x}\n', r'n\.yml\[1\] .*unknown key\(s\) uri'),
    ('n.json', '["5559990000", {"number": "5559990001", "sms_enabled": "yes"}]',
     r'n\.json\[1\] .*sms_enabled must be true or false'),
    ('n.csv', 'number,uri\n', r"n\.csv line 1: unknown column\(s\) 'uri'"),
])
def test_bad_file_content_fails_naming_file_and_line_or_index(tmp_path, name, text, message):
    with pytest.raises(AnsibleFilterError, match=message):
        sms_listener_compliance([], [], expected_file=write(tmp_path, name, text))


def test_missing_expected_file_is_an_error(tmp_path):
    with pytest.raises(AnsibleFilterError, match='expected numbers file .*missing.csv does not exist'):
        sms_listener_compliance([], ['5559990000'], expected_file=str(tmp_path / 'missing.csv'))


def test_no_file_and_empty_list_checks_nothing():
    # The role refuses this (checked == 0) before any API call.
    assert sms_listener_compliance([], [], expected_file=None)['checked'] == 0
    assert sms_listener_compliance([], [], expected_file='')['checked'] == 0


def test_drift_lists_every_kind_of_change_by_number():
    before = [{'number': '5559990003', 'sms_enabled': True, 'url': 'https://a/'},
              {'number': '5559990001', 'sms_enabled': True, 'url': 'https://a/'},
              {'number': '5559990002', 'sms_enabled': True, 'url': 'https://a/'},
              {'number': '5559990004', 'sms_enabled': False, 'url': None}]
    after = [{'number': '5559990000', 'sms_enabled': True, 'url': 'https://new/'},
             {'number': '5559990001', 'sms_enabled': False, 'url': 'https://b/'},
             {'number': '5559990002', 'sms_enabled': True, 'url': 'https://a/'},
             {'number': '5559990004', 'sms_enabled': False, 'url': ''}]
    assert account_drift(before, after) == [
        {'number': '5559990000', 'change': 'added', 'before': None, 'after': {'sms_enabled': True, 'url': 'https://new/'}},
        {'number': '5559990001', 'change': 'sms_enabled_changed', 'before': True, 'after': False},
        {'number': '5559990001', 'change': 'url_changed', 'before': 'https://a/', 'after': 'https://b/'},
        {'number': '5559990003', 'change': 'removed', 'before': {'sms_enabled': True, 'url': 'https://a/'}, 'after': None},
    ]
    assert {entry['change'] for entry in account_drift(before, after)} == {'added', 'removed', 'sms_enabled_changed', 'url_changed'}
    assert account_drift(after, after) == []


def previous_report_of(tmp_path, account, name='previous.json'):
    """A JSON report as the role writes it, of a run that saw ``account``."""
    return write(tmp_path, name, sms_listener_json(sms_listener_compliance(account, ['5559990000']), account))


def changed_account():
    account = [dict(record) for record in ACCOUNT[:3]]
    account[0]['url'] = 'https://moved.example.com/'
    return account + [{'number': '5559990009', 'sms_enabled': True, 'url': LISTENER}]


def test_drift_since_a_previous_report_reports_but_does_not_fail(tmp_path):
    previous = previous_report_of(tmp_path, ACCOUNT)
    result = sms_listener_compliance(changed_account(), ['5559990001'], previous_report=previous)
    assert result['passed'] is True
    assert result['previous_report'] == previous
    assert [(entry['number'], entry['change']) for entry in result['drift']] == [
        ('5559990000', 'url_changed'), ('5559990003', 'removed'), ('5559990009', 'added')]
    assert result['summary'].endswith('; 3 change(s) in the account since the previous report (fail_on_drift is false)')
    assert result['policy']['fail_on_drift'] is False


def test_fail_on_drift_fails_the_result(tmp_path):
    previous = previous_report_of(tmp_path, ACCOUNT)
    result = sms_listener_compliance(changed_account(), ['5559990001'], previous_report=previous, fail_on_drift=True)
    assert result['passed'] is False
    assert result['violations'] == []
    assert result['summary'].startswith('SMS listener compliance failed: all 1 expected number(s) are compliant, but '
                                        'the account changed')
    unchanged = sms_listener_compliance(ACCOUNT, ['5559990001'], previous_report=previous, fail_on_drift=True)
    assert unchanged['passed'] is True
    assert unchanged['drift'] == []
    assert unchanged['summary'].endswith('; no change in the account since the previous report')


def test_a_missing_previous_report_is_a_warning(tmp_path, mocker):
    warning = mocker.patch.object(module.display, 'warning')
    missing = str(tmp_path / 'yesterday.json')
    result = sms_listener_compliance(ACCOUNT, ['5559990000'], previous_report=missing, fail_on_drift=True)
    assert result['passed'] is True
    assert result['drift'] == [] and result['previous_report'] is None
    assert 'previous report' not in result['summary']
    warning.assert_called_once_with('previous report %s does not exist (the first run?); drift since it is not '
                                    'checked' % missing)


def test_a_foreign_previous_report_is_an_error_naming_it(tmp_path):
    other = write(tmp_path, 'other.json', json.dumps({'passed': True}))
    with pytest.raises(AnsibleFilterError, match='previous report %s is not a JSON report of' % re.escape(other)):
        sms_listener_compliance(ACCOUNT, ['5559990000'], previous_report=other)


def test_json_report_has_its_format_and_the_account_as_seen(tmp_path):
    result = sms_listener_compliance(ACCOUNT, ['5559990000'])
    report = json.loads(sms_listener_json(result, ACCOUNT))
    assert list(report)[:2] == ['report_format', 'report_format_version']
    assert report['report_format'] == 'dialogtech.api.sms_listener_compliance'
    assert report['report_format_version'] == 1
    assert report['account_numbers'] == ACCOUNT
    assert {key: report[key] for key in result} == result
    assert read_previous_report(write(tmp_path, 'r.json', sms_listener_json(result, ACCOUNT))) == ACCOUNT


def markdown_rows(text):
    """The table rows of a Markdown text, split at unescaped pipes as GitHub does."""
    return [re.split(r'(?<!\\)\|', line)[1:-1] for line in text.splitlines() if line.startswith('|')]


def test_markdown_summary_escapes_cells(tmp_path):
    account = [{'number': '5559990000', 'sms_enabled': True, 'url': 'https://x.example.com/a|b_*c*<b>&amp;\\|`$x$`'}]
    result = sms_listener_compliance(account, [{'number': '5559990000', 'url_regex': 'https://(a|b)[.]example[.]com/.*'}])
    text = sms_listener_markdown(result)
    lines = text.splitlines()
    assert lines[:3] == ['### SMS listener compliance', '', result['summary'].replace('_', '\\_')]
    assert lines[4] == '#### Violations (1)'
    rows = markdown_rows(text)
    assert [len(row) for row in rows] == [4, 4, 4]
    assert [cell.strip() for cell in rows[0]] == ['Number', 'Kind', 'Expected', 'Found']
    assert [cell.strip() for cell in rows[2]] == [
        '5559990000', 'url\\_mismatch', 'regex https://(a\\|b)[.]example[.]com/.\\*'.replace('[', '\\[').replace(']', '\\]'),
        'https://x.example.com/a\\|b\\_\\*c\\*\\<b\\>\\&amp;\\\\\\|\\`\\$x\\$\\`']
    assert text.endswith('\n')


def test_markdown_cells_stay_on_one_line():
    violation = {'number': '5559990000', 'kind': 'url_mismatch', 'expected': 'a\nb', 'found': 'c\r\nd'}
    result = dict(sms_listener_compliance([], []), violations=[violation], summary='two\nlines')
    rows = markdown_rows(sms_listener_markdown(result))
    assert [cell.strip() for cell in rows[2]] == ['5559990000', 'url\\_mismatch', 'a b', 'c d']
    assert '\ntwo lines\n' in sms_listener_markdown(result)


def test_markdown_of_a_pass_is_the_summary_only():
    result = sms_listener_compliance(ACCOUNT[:1], ['5559990000'])
    assert sms_listener_markdown(result, title='Production') == '### Production\n\n%s\n' % result['summary']


def test_markdown_and_text_show_drift(tmp_path):
    previous = previous_report_of(tmp_path, ACCOUNT)
    result = sms_listener_compliance(changed_account(), ['5559990000'], previous_report=previous, default_url=LISTENER)
    text = sms_listener_markdown(result)
    assert '#### Violations (1)' in text
    assert '#### Changes in the account since the previous report (3)' in text
    rows = [[cell.strip() for cell in row] for row in markdown_rows(text)]
    assert ['Number', 'Change', 'Before', 'After'] in rows
    assert ['5559990003', 'removed', 'sms\\_enabled=true, url=http://legacy.example.com/sms.php', '-'] in rows
    assert ['5559990009', 'added', '-', 'sms\\_enabled=true, url=%s' % LISTENER] in rows

    table = sms_listener_table(result).splitlines()
    assert table[0] == 'Violations (1):'
    assert table[1].split() == ['NUMBER', 'KIND', 'EXPECTED', 'FOUND']
    assert table[4] == 'Changes in the account since the previous report (3):'
    assert table[5].split() == ['NUMBER', 'CHANGE', 'BEFORE', 'AFTER']
    assert table[6].split() == ['5559990000', 'url_changed', LISTENER, 'https://moved.example.com/']


def junit_drift_case(result):
    suite = ElementTree.fromstring(sms_listener_junit(result).encode('utf-8')).find('testsuite')
    cases = {case.get('name'): case for case in suite.findall('testcase')}
    counts = tuple(suite.get(name) for name in ('tests', 'failures', 'skipped'))
    return cases.get('changes since the previous report'), counts


def test_junit_drift_case(tmp_path):
    previous = previous_report_of(tmp_path, ACCOUNT)
    case, counts = junit_drift_case(sms_listener_compliance(ACCOUNT, ['5559990000']))
    assert case is None and counts == ('2', '0', '1')

    case, counts = junit_drift_case(sms_listener_compliance(ACCOUNT, ['5559990000'], previous_report=previous))
    assert list(case) == [] and counts == ('3', '0', '1')

    case, counts = junit_drift_case(sms_listener_compliance(changed_account(), ['5559990000'], previous_report=previous))
    assert counts == ('3', '0', '2')
    assert case.find('skipped').get('message') == '3 change(s) since %s; fail_on_drift is false' % previous
    assert '5559990009  added' in case.find('system-out').text

    case, counts = junit_drift_case(sms_listener_compliance(changed_account(), ['5559990000'], previous_report=previous,
                                                            fail_on_drift=True))
    assert counts == ('3', '1', '1')
    assert case.find('failure').get('type') == 'drift'
    assert '5559990003  removed' in case.find('failure').text


def test_drift_after_a_remediation_is_of_the_account_as_fetched(tmp_path):
    # The role evaluates the account as its remediation left it, but the changes since the
    # previous report are those others made: the remediation's own writes are not drift.
    broken = [dict(record) for record in ACCOUNT]
    broken[3]['url'] = 'https://old.example.com/'
    previous = previous_report_of(tmp_path, broken)
    remediated = [dict(record) for record in broken]
    remediated[3]['url'] = LISTENER
    settings = dict(default_url=LISTENER, previous_report=previous, fail_on_drift=True)
    result = sms_listener_compliance(remediated, ['5559990003'], drift_numbers=broken, **settings)
    assert result['passed'] is True and result['drift'] == []
    assert result['summary'].endswith('; no change in the account since the previous report')
    # Without it the remediation's own write counts as a change and fails the run.
    assert sms_listener_compliance(remediated, ['5559990003'], **settings)['drift'] == [
        {'number': '5559990003', 'change': 'url_changed', 'before': 'https://old.example.com/', 'after': LISTENER}]


def check_mode_result():
    """A result as the role makes it in check mode with remediation: the account as fetched,
    marked, with the fixes it would write."""
    result = sms_listener_compliance(ACCOUNT, ['5559990003'], default_url=LISTENER, require_https=False)
    result.update(check_mode=True, remediated=[], not_fixable=[], planned=[
        {'number': '5559990003', 'before': {'sms_enabled': True, 'url': 'http://legacy.example.com/sms.php'},
         'after': {'sms_enabled': True, 'url': LISTENER}}])
    return result


def test_check_mode_reports_list_the_planned_fixes_on_their_own():
    result = check_mode_result()
    text = sms_listener_markdown(result)
    assert text.startswith('### SMS listener compliance\n\nSMS listener compliance failed: 1 violation(s)')
    assert '\n\nCheck mode: the account as fetched; nothing was written.\n' in text
    assert '#### Violations (1)' in text and '#### Fixed by the remediation' not in text
    assert '#### Planned by the remediation, not written (check mode) (1)' in text
    assert ['5559990003', 'sms\\_enabled=true, url=http://legacy.example.com/sms.php',
            'sms\\_enabled=true, url=%s' % LISTENER] in [[cell.strip() for cell in row] for row in markdown_rows(text)]

    table = sms_listener_table(result).splitlines()
    assert table[4] == 'Planned by the remediation, not written (check mode) (1):'
    assert table[6].split()[0] == '5559990003'

    suite = ElementTree.fromstring(sms_listener_junit(result).encode('utf-8')).find('testsuite')
    assert [(item.get('name'), item.get('value')) for item in suite.find('properties')] == [('check_mode', 'true')]
    assert (suite.get('tests'), suite.get('failures'), suite.get('skipped')) == ('3', '1', '2')
    planned = [case for case in suite.findall('testcase') if case.get('name') == 'planned remediation'][0]
    assert planned.find('skipped').get('message') == '1 number(s) would be set; check mode, nothing was written'
    assert '5559990003  sms_enabled=true, url=http://legacy' in planned.find('system-out').text

    report = json.loads(sms_listener_json(result, ACCOUNT))
    assert report['check_mode'] is True and report['passed'] is False and report['planned'] == result['planned']
    assert report['account_numbers'] == ACCOUNT


def test_check_mode_with_nothing_to_fix_has_a_passing_planned_case():
    result = dict(check_mode_result(), planned=[])
    suite = ElementTree.fromstring(sms_listener_junit(result).encode('utf-8')).find('testsuite')
    planned = [case for case in suite.findall('testcase') if case.get('name') == 'planned remediation'][0]
    assert list(planned) == [] and (suite.get('tests'), suite.get('skipped')) == ('3', '1')
    assert 'Planned by the remediation' not in sms_listener_markdown(result)


def test_reports_of_a_run_outside_check_mode_are_unmarked():
    result = dict(check_mode_result(), check_mode=False)
    del result['planned']
    assert 'Check mode' not in sms_listener_markdown(result)
    assert '<properties' not in sms_listener_junit(result) and 'planned remediation' not in sms_listener_junit(result)
