"""Check the role's reports.

    python check_reports.py MODE DIR [SAME_AS_DIR]  reports of the broken account in a mode of the
                                                  matrix (report_only, assert, remediate,
                                                  check_remediate, check), compared with the
                                                  baseline report of the same account; with
                                                  SAME_AS_DIR, also identical to the reports there
    python check_reports.py --drift DIR           reports of the compliant account after
                                                  accounts-later.json changed it
"""

import json
import re
import sys
from pathlib import Path
from xml.etree import ElementTree

HERE = Path(__file__).resolve().parent
LISTENER = 'https://sms.example.com/listener'
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
# What a listener URL write fixes, and what it cannot.
FIXABLE = ['5552000001', '5552000002', '5552000003', '5552000005']
NOT_FIXABLE = ['5552000004', '5552000006', '5552000009']
MODES = ('report_only', 'assert', 'remediate', 'check_remediate', 'check')
REPORTS = ('compliance.json', 'compliance.xml', 'compliance.md')


def markdown_rows(text):
    """A Markdown table's rows, split at unescaped pipes as GitHub splits them."""
    return [[cell.strip() for cell in re.split(r'(?<!\\)\|', line)[1:-1]]
            for line in text.splitlines() if line.startswith('|')]


def broken_account():
    accounts = json.loads((HERE / 'accounts.json').read_text())['accounts']
    return [account['numbers'] for account in accounts if account['access_key'] == 'broken'][0]


def check_cell(directory, mode):
    """A run of the matrix: remediate wrote the fixable numbers, the other modes describe the
    account as fetched; every mode compared with the baseline report of that account."""
    written = mode == 'remediate'
    check_mode = mode.startswith('check')
    kinds = {number: (None if written and number in FIXABLE else kind) for number, kind in EXPECTED_KINDS.items()}

    report = json.loads((directory / 'compliance.json').read_text())
    assert report['report_format'] == 'dialogtech.api.sms_listener_compliance', report['report_format']
    assert report['report_format_version'] == 1, report['report_format_version']
    assert report['check_mode'] is check_mode, report['check_mode']
    account = broken_account()
    if written:
        account = [dict(record, sms_enabled=True, url=LISTENER) if record['number'] in FIXABLE else record
                   for record in account]
    # The drift baseline: the account as fetched, or as the remediation left it; never as it would be.
    assert report['account_numbers'] == account, report['account_numbers']
    assert report['passed'] is False, report['passed']
    assert report['checked'] == 7, report['checked']
    # Listeners are not probed here (tests/integration/targets/sms_listener_compliance_probes).
    assert all(report['counts'][kind] == 0 for kind in (
        'listener_unreachable', 'listener_tls_invalid', 'listener_certificate_expiring', 'listener_http_error',
        'listener_private_address')), report['counts']
    found = {(v['number'], v['kind']) for v in report['violations']}
    wanted = {(number, kind) for number, kind in kinds.items() if kind and number[0].isdigit()}
    assert found == wanted | {('5552000009', 'unexpected_number')}, found
    assert all(set(v) == {'number', 'kind', 'expected', 'found'} for v in report['violations'])
    assert report['unexpected_numbers'] == ['5552000009'], report['unexpected_numbers']
    # The remediation's own writes are no change since the previous report (fail_on_drift is on).
    assert report['drift'] == [] and report['previous_report'].endswith('/baseline.json'), report['drift']
    if mode in ('remediate', 'check_remediate'):
        assert [item['number'] for item in report['not_fixable']] == NOT_FIXABLE, report['not_fixable']
        changes = report['remediated' if written else 'planned']
        assert [change['number'] for change in changes] == FIXABLE, changes
        assert all(change['after'] == {'sms_enabled': True, 'url': LISTENER} for change in changes), changes
        assert changes[0]['before'] == {'sms_enabled': False, 'url': LISTENER}, changes[0]
        assert ('planned' in report) is check_mode and report['remediated'] == (changes if written else []), report
    else:
        assert not {'remediated', 'not_fixable', 'planned'} & set(report), sorted(report)

    root = ElementTree.parse(directory / 'compliance.xml').getroot()
    suite = root.find('testsuite')
    counts = {name: suite.get(name) for name in ('tests', 'failures', 'errors', 'skipped')}
    planned_case = mode == 'check_remediate'
    assert counts == {'tests': str(9 + planned_case), 'failures': '3' if written else '7', 'errors': '0',
                      'skipped': str(int(planned_case))}, counts
    properties = [(item.get('name'), item.get('value')) for item in suite.findall('properties/property')]
    assert properties == ([('check_mode', 'true')] if check_mode else []), properties
    cases = {case.get('name'): case for case in suite.iter('testcase')}
    assert set(cases) == set(EXPECTED_KINDS) | {'changes since the previous report'} | (
        {'planned remediation'} if planned_case else set()), sorted(cases)
    for name, kind in kinds.items():
        failure = cases[name].find('failure')
        assert (failure.get('type') if failure is not None else None) == kind, (name, kind)
    if planned_case:
        assert cases['planned remediation'].find('skipped').get('message').startswith('4 number(s) would be set')
    if not written:
        # The found URL with XML special characters came through the escaping intact.
        assert 'https://old.example.com/listener?a=1&b=<2>|c' in cases['5552000005'].find('failure').text

    markdown = (directory / 'compliance.md').read_text()
    violations = 3 if written else 7
    assert markdown.startswith('### SMS listener compliance\n\nSMS listener compliance failed: %d violation(s)'
                               % violations), markdown
    assert ('\nCheck mode: the account as fetched; nothing was written.\n' in markdown) is check_mode, markdown
    sections = re.findall(r'^#### (.*)$', markdown, re.M)
    assert sections == ['Violations (%d)' % violations] + {
        'remediate': ['Fixed by the remediation (4)', 'Not fixable by the remediation (3)'],
        'check_remediate': ['Planned by the remediation, not written (check mode) (4)',
                            'Not fixable by the remediation (3)']}.get(mode, []), sections
    rows = markdown_rows(markdown)
    assert rows[0] == ['Number', 'Kind', 'Expected', 'Found'], rows[0]
    # Every row of the violations 4 cells, though a URL holds a '|'.
    assert all(len(row) == 4 for row in rows[:violations + 2]), rows
    if not written:
        assert ['5552000005', 'url\\_mismatch', LISTENER,
                'https://old.example.com/listener?a=1\\&b=\\<2\\>\\|c'] in rows, rows
    print('reports in %s (%s): JSON, JUnit and Markdown as expected' % (directory, mode))


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
        assert sys.argv[1] in MODES, sys.argv[1]
        check_cell(Path(sys.argv[2]), sys.argv[1])
        if len(sys.argv) > 3:
            check_same(Path(sys.argv[2]), Path(sys.argv[3]))
