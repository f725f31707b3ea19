# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import re

import pytest

from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance_files import (
    REPORT_FORMAT,
    read_expectations,
    read_previous_report,
)


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode('utf-8')
    path.write_bytes(content)
    return str(path)


def items_of(path):
    place, items = read_expectations(path)
    return [(place % index, item) for index, item in items]


def test_csv_rows_become_items_named_by_line(tmp_path):
    path = write(tmp_path, 'numbers.csv', 'number,url,url_regex,sms_enabled\n'
                                          '(555) 999-0000,,,\n'
                                          '5559990001,https://sms.example.com/a,,TRUE\n'
                                          '\n'
                                          ',,,\n'
                                          '5559990002,,https://sms[.]example[.]com/.*,no\n'
                                          '"5559990003","https://sms.example.com/?a=1,b=2",, 0 \n')
    assert items_of(path) == [
        (path + ' line 2', {'number': '(555) 999-0000'}),
        (path + ' line 3', {'number': '5559990001', 'url': 'https://sms.example.com/a', 'sms_enabled': True}),
        (path + ' line 6', {'number': '5559990002', 'url_regex': 'https://sms[.]example[.]com/.*', 'sms_enabled': False}),
        (path + ' line 7', {'number': '5559990003', 'url': 'https://sms.example.com/?a=1,b=2', 'sms_enabled': False}),
    ]


def test_csv_header_is_case_and_order_free_and_short_rows_are_padded(tmp_path):
    path = write(tmp_path, 'numbers.CSV', ' URL , Number\r\nhttps://sms.example.com/a,5559990000\r\n,5559990001\r\n')
    assert [item for _place, item in items_of(path)] == [
        {'url': 'https://sms.example.com/a', 'number': '5559990000'}, {'number': '5559990001'}]


def test_csv_row_spanning_lines_is_named_by_its_first_line(tmp_path):
    path = write(tmp_path, 'numbers.csv', 'number,url\n"5559990000","https://a\nb"\n5559990001,\n')
    assert [place for place, _item in items_of(path)] == [path + ' line 2', path + ' line 4']


@pytest.mark.parametrize('name', ['numbers.csv', 'numbers.yml', 'numbers.json'])
def test_utf8_with_a_byte_order_mark_as_spreadsheets_write_it(tmp_path, name):
    text = {'numbers.csv': 'number,url\n5559990000,https://sms.example.com/é\n',
            'numbers.yml': '- number: "5559990000"\n  url: https://sms.example.com/é\n',
            'numbers.json': '[{"number": "5559990000", "url": "https://sms.example.com/é"}]'}[name]
    for data in (text.encode('utf-8'), b'\xef\xbb\xbf' + text.encode('utf-8')):
        path = write(tmp_path, name, data)
        assert [item for _place, item in items_of(path)] == [{'number': '5559990000', 'url': 'https://sms.example.com/é'}]


def test_yaml_and_json_items_are_named_by_index(tmp_path):
    yml = write(tmp_path, 'numbers.yaml', '- "5559990000"\n- number: 555-999-0001\n  sms_enabled: false\n')
    assert items_of(yml) == [(yml + '[0]', '5559990000'), (yml + '[1]', {'number': '555-999-0001', 'sms_enabled': False})]
    jsn = write(tmp_path, 'numbers.json', '["5559990000", {"number": "5559990001", "url": null}]')
    assert items_of(jsn) == [(jsn + '[0]', '5559990000'), (jsn + '[1]', {'number': '5559990001', 'url': None})]


def test_percent_in_a_file_name_is_not_a_format(tmp_path):
    path = write(tmp_path, '100%s.csv', 'number\n5559990000\n')
    assert items_of(path)[0][0] == path + ' line 2'


@pytest.mark.parametrize('name, content, message', [
    ('n.csv', b'number,url\n5559990000,https://x\xe9\n', r'n\.csv line 2: not UTF-8 text \(byte 0xe9\)'),
    ('n.yml', b'- "5559990000"\n- "\xff"\n', r'n\.yml line 2: not UTF-8 text'),
    ('n.csv', 'url,sms_enabled\nhttps://x,true\n', r'n\.csv line 1: no number column'),
    ('n.csv', 'number,uri\n5559990000,x\n', r"n\.csv line 1: unknown column\(s\) 'uri'; allowed: number, url, url_regex, sms_enabled$"),
    ('n.csv', 'number;url\n5559990000;x\n', r"unknown column\(s\) 'number;url'.*\(the separator must be a comma\)"),
    ('n.csv', 'number,url,URL\n', r'n\.csv line 1: a column is named twice'),
    ('n.csv', 'number,url\n5559990000,https://x,extra\n', r'n\.csv line 2: 3 cells, but the header has 2 columns'),
    ('n.csv', 'number,,url\n5559990000,oops,\n', r"n\.csv line 2: a value, 'oops', in a column without a name"),
    ('n.csv', 'number,sms_enabled\n5559990000,true\n5559990001,maybe\n',
     r"n\.csv line 3: sms_enabled must be true or false \(or yes/no, 1/0\), not 'maybe'"),
    ('n.csv', 'number,url\n"5559990000,x\n', r'n\.csv line \d+: not valid CSV'),
    ('n.csv', '', r'n\.csv is empty; it needs a header row'),
    ('n.csv', 'number,url\n\n,\n', r'n\.csv holds no expected numbers'),
    ('n.yml', '', r'n\.yml holds no expected numbers'),
    ('n.json', '[]', r'n\.json holds no expected numbers'),
    ('n.yml', '- a\n- [b\n', r'n\.yml line 3: not valid YAML'),
    # A missing comma: json places it on the same line in every Python version.
    ('n.json', '[\n"5559990000"\n"5559990001"\n]', r"n\.json line 3: not valid JSON: Expecting ',' delimiter$"),
    ('n.yml', 'sms_listener_compliance_expected_numbers: []\n', r'n\.yml must hold a list of expected numbers, not a dict'),
    ('n.txt', '5559990000\n', r'n\.txt: cannot tell its format from the extension; use \.csv, \.yml, \.yaml or \.json'),
])
def test_file_errors_name_the_file_and_line(tmp_path, name, content, message):
    with pytest.raises(ValueError, match=message):
        read_expectations(write(tmp_path, name, content))


def test_json_errors_give_the_line_and_words_of_pythons_json(tmp_path):
    # A trailing comma, as people leave them: Python 3.13 reports it on the comma's line
    # ('Illegal trailing comma before end of array'), earlier versions on the bracket's
    # ('Expecting value'), so the expectation is json's own error on this Python.
    content = '[\n"5559990000",\n]'
    with pytest.raises(ValueError) as expected:
        json.loads(content)
    with pytest.raises(ValueError, match='^%s$' % re.escape('%s line %d: not valid JSON: %s' % (
            tmp_path / 'n.json', expected.value.lineno, expected.value.msg))):
        read_expectations(write(tmp_path, 'n.json', content))


def test_missing_and_unreadable_files(tmp_path):
    missing = str(tmp_path / 'missing.csv')
    with pytest.raises(ValueError, match='^expected numbers file %s does not exist$' % re.escape(missing)):
        read_expectations(missing)
    directory = tmp_path / 'dir.csv'
    directory.mkdir()
    with pytest.raises(ValueError, match='^cannot read expected numbers file %s: Is a directory$' % re.escape(str(directory))):
        read_expectations(str(directory))


def report(**fields):
    data = {'report_format': REPORT_FORMAT, 'report_format_version': 1,
            'account_numbers': [{'number': '5559990000', 'sms_enabled': True, 'url': 'https://x'},
                                {'number': '5559990001', 'sms_enabled': False, 'url': None}]}
    data.update(fields)
    return json.dumps(data)


def test_previous_report_gives_the_account_numbers(tmp_path):
    path = write(tmp_path, 'previous.json', report())
    assert read_previous_report(path) == json.loads(report())['account_numbers']


def test_missing_previous_report_is_none(tmp_path):
    assert read_previous_report(str(tmp_path / 'first-run.json')) is None


@pytest.mark.parametrize('content, message', [
    ('{"passed": true', r'previous report .*p\.json line 1: not valid JSON'),
    ('{"passed": true, "violations": []}', r'previous report .*p\.json is not a JSON report of '
                                           r'dialogtech\.api\.sms_listener_compliance'),
    ('[1, 2]', r'is not a JSON report of'),
    (report(report_format_version=2), r'has report_format_version 2; this version of the collection reads version 1'),
    (report(account_numbers=None), r'has no account_numbers list'),
    (report(account_numbers=[{'number': '555', 'sms_enabled': True, 'url': None}]), r'account_numbers\[0\] is not'),
    (report(account_numbers=[{'number': '5559990000', 'sms_enabled': 'yes', 'url': None}]), r'account_numbers\[0\]'),
    (report(account_numbers=[{'number': '5559990000', 'sms_enabled': True}, 'x']), r'account_numbers\[1\]'),
    (b'\xff\xfe{}', r'p\.json line 1: not UTF-8 text'),
])
def test_foreign_or_broken_previous_report_is_an_error_naming_it(tmp_path, content, message):
    with pytest.raises(ValueError, match=message):
        read_previous_report(write(tmp_path, 'p.json', content))


def test_unreadable_previous_report_is_an_error(tmp_path):
    (tmp_path / 'p.json').mkdir()
    with pytest.raises(ValueError, match='^cannot read previous report .*p.json: Is a directory$'):
        read_previous_report(str(tmp_path / 'p.json'))


def test_home_directory_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv('HOME', str(tmp_path))
    write(tmp_path, 'numbers.csv', 'number\n5559990000\n')
    assert items_of('~/numbers.csv') == [('~/numbers.csv line 2', {'number': '5559990000'})]
    write(tmp_path, 'previous.json', report())
    assert len(read_previous_report('~/previous.json')) == 2
