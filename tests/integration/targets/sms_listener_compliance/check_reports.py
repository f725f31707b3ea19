"""Check the role's JSON and JUnit reports of the broken account: python check_reports.py DIR."""

import json
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


def main(directory):
    report = json.loads((directory / 'compliance.json').read_text())
    assert report['passed'] is False, report['passed']
    assert report['checked'] == 7, report['checked']
    assert report['counts'] == dict.fromkeys(
        ['missing_number', 'sms_disabled', 'no_listener_url', 'invalid_url', 'insecure_url', 'url_mismatch',
         'unexpected_number'], 1), report['counts']
    found = {(v['number'], v['kind']) for v in report['violations']}
    wanted = {(number, kind) for number, kind in EXPECTED_KINDS.items() if kind and number[0].isdigit()}
    assert found == wanted | {('5552000009', 'unexpected_number')}, found
    assert all(set(v) == {'number', 'kind', 'expected', 'found'} for v in report['violations'])
    assert report['unexpected_numbers'] == ['5552000009'], report['unexpected_numbers']

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
    assert 'https://old.example.com/listener?a=1&b=<2>' in cases['5552000005'].text
    print('reports in %s: JSON and JUnit (8 tests, 7 failures) as expected' % directory)


if __name__ == '__main__':
    main(Path(sys.argv[1]))
