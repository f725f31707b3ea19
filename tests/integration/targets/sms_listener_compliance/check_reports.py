"""Check the role's reports.

    python check_reports.py DIR [SAME_AS_DIR]   reports of the broken account; with SAME_AS_DIR,
                                                also identical to the reports there
    python check_reports.py --drift DIR         reports of the compliant account after
                                                accounts-later.json changed it
"""

import json
import re
import sys
from pathlib import Path
from xml.etree import ElementTree

# The broken account (accounts.json): the one violation each expected number has.
EXPECTED_KINDS = {
    '5552000000': None,
    '5552000001': 'sms_disabled',
    '5552000002': 'no_listener_url',
    '5552000003': 'invalid_url',
    '5552000004': 'insecure_url',
    '5552000005': 'url_mismatch',
    '5552000006': 'missing_number',
    'unexpected numbers': 'unexpected_number',
}
REPORTS = ('compliance.json', 'compliance.xml', 'compliance.md')


def markdown_rows(text):
    """A Markdown table's rows, split at unescaped pipes as GitHub splits them."""
    return [[cell.strip() for cell in re.split(r'(?<!\\)\|', line)[1:-1]]
            for line in text.splitlines() if line.startswith('|')]


def check_broken(directory):
    report = json.loads((directory / 'compliance.json').read_text())
    assert report['report_format'] == 'dialogtech.api.sms_listener_compliance', report['report_format']
    assert report['report_format_version'] == 1, report['report_format_version']
    assert len(report['account_numbers']) == 7 and report['account_numbers'][0] == {
        'number': '5552000000', 'sms_enabled': True, 'url': 'https://sms.example.com/listener'}, report['account_numbers']
    assert report['passed'] is False, report['passed']
    assert report['checked'] == 7, report['checked']
    # Listeners are not probed here (tests/integration/targets/sms_listener_compliance_probes).
    assert report['counts'] == dict(dict.fromkeys(
        ['missing_number', 'sms_disabled', 'no_listener_url', 'invalid_url', 'insecure_url', 'url_mismatch',
         'unexpected_number'], 1), **dict.fromkeys(
        ['listener_unreachable', 'listener_tls_invalid', 'listener_certificate_expiring', 'listener_http_error',
         'listener_private_address'], 0)), report['counts']
    found = {(v['number'], v['kind']) for v in report['violations']}
    wanted = {(number, kind) for number, kind in EXPECTED_KINDS.items() if kind and number[0].isdigit()}
    assert found == wanted | {('5552000009', 'unexpected_number')}, found
    assert all(set(v) == {'number', 'kind', 'expected', 'found'} for v in report['violations'])
    assert report['unexpected_numbers'] == ['5552000009'], report['unexpected_numbers']
    assert report['drift'] == [] and report['previous_report'] is None, report['drift']

    root = ElementTree.parse(directory / 'compliance.xml').getroot()
    suite = root.find('testsuite')
    counts = {name: suite.get(name) for name in ('tests', 'failures', 'errors', 'skipped')}
    assert counts == {'tests': '8', 'failures': '7', 'errors': '0', 'skipped': '0'}, counts
    cases = {case.get('name'): case.find('failure') for case in suite.iter('testcase')}
    assert set(cases) == set(EXPECTED_KINDS), sorted(cases)
    for name, kind in EXPECTED_KINDS.items():
        failure = cases[name]
        assert (failure.get('type') if failure is not None else None) == kind, (name, kind)
    # The found URL with XML special characters came through the escaping intact.
    assert 'https://old.example.com/listener?a=1&b=<2>|c' in cases['5552000005'].text

    markdown = (directory / 'compliance.md').read_text()
    assert markdown.startswith('### SMS listener compliance\n\nSMS listener compliance failed: 7 violation(s)'), markdown
    assert '\n#### Violations (7)\n' in markdown, markdown
    rows = markdown_rows(markdown)
    # Header, delimiter, a row per violation; every row 4 cells, though a URL holds a '|'.
    assert len(rows) == 9 and all(len(row) == 4 for row in rows), rows
    assert rows[0] == ['Number', 'Kind', 'Expected', 'Found'], rows[0]
    assert ['5552000005', 'url\\_mismatch', 'https://sms.example.com/listener',
            'https://old.example.com/listener?a=1\\&b=\\<2\\>\\|c'] in rows, rows
    print('reports in %s: JSON, JUnit (8 tests, 7 failures) and Markdown (7 rows) as expected' % directory)


def check_same(directory, other):
    for name in REPORTS:
        assert (directory / name).read_text() == (other / name).read_text(), '%s differs from %s' % (
            directory / name, other / name)
    print('reports in %s: the same as in %s' % (directory, other))


def check_drift(directory):
    """accounts-later.json: 0551000002 got a URL, 5551000009 is new."""
    report = json.loads((directory / 'compliance.json').read_text())
    assert report['passed'] is True, report['summary']
    assert report['drift'] == [
        {'number': '0551000002', 'change': 'url_changed', 'before': None, 'after': 'https://elsewhere.example.com/sms'},
        {'number': '5551000009', 'change': 'added', 'before': None,
         'after': {'sms_enabled': True, 'url': 'https://sms.example.com/listener'}}], report['drift']
    assert report['summary'].endswith('; 2 change(s) in the account since the previous report (fail_on_drift is false)')

    suite = ElementTree.parse(directory / 'compliance.xml').getroot().find('testsuite')
    case = [case for case in suite.iter('testcase') if case.get('name') == 'changes since the previous report'][0]
    assert case.find('skipped').get('message').startswith('2 change(s) since '), ElementTree.tostring(case)
    assert '5551000009  added' in case.find('system-out').text, case.find('system-out').text

    markdown = (directory / 'compliance.md').read_text()
    assert '\n#### Changes in the account since the previous report (2)\n' in markdown, markdown
    rows = markdown_rows(markdown)
    assert rows[0] == ['Number', 'Change', 'Before', 'After'], rows
    assert rows[2:] == [['0551000002', 'url\\_changed', '-', 'https://elsewhere.example.com/sms'],
                        ['5551000009', 'added', '-', 'sms\\_enabled=true, url=https://sms.example.com/listener']], rows
    print('reports in %s: drift (2 changes) in JSON, JUnit and Markdown as expected' % directory)


if __name__ == '__main__':
    if sys.argv[1] == '--drift':
        check_drift(Path(sys.argv[2]))
    else:
        check_broken(Path(sys.argv[1]))
        if len(sys.argv) > 2:
            check_same(Path(sys.argv[1]), Path(sys.argv[2]))
