# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files the SMS listener compliance check reads on the controller.

- A file of expected numbers: CSV, YAML or JSON, chosen by its extension.
- A JSON report of an earlier run, for the account's numbers as that run saw them.

They are read here, in Python, rather than loaded as Ansible variables: ansible-core
templates and deep-copies every item of a variable, which for 10,000 expected numbers
costs seconds; parsing the file costs milliseconds.  Errors are ValueError with a
one-line message naming the file and the line or item, for the filter to re-raise.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re

import yaml

REPORT_FORMAT = 'dialogtech.api.sms_listener_compliance'
REPORT_FORMAT_VERSION = 1
CSV_COLUMNS = ('number', 'url', 'url_regex', 'sms_enabled')
FILE_FORMATS = {'.csv': 'CSV', '.json': 'JSON', '.yaml': 'YAML', '.yml': 'YAML'}
_CSV_BOOLEANS = {'true': True, 'yes': True, '1': True, 'false': False, 'no': False, '0': False}
_TEN_DIGITS = re.compile(r'[0-9]{10}\Z')
# The C loader when PyYAML has it: the pure-Python one is about ten times slower.
_YAML_LOADER = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


def read_expectations(path):
    """The items of an expected-numbers file, unvalidated, and how to name them.

    Returns ``(place, items)``: ``items`` is a list of ``(index, item)``, each item a
    number or a dict as in the role's list; ``place % index`` names the item in an error
    (``FILE line N`` for CSV, ``FILE[N]`` for YAML and JSON).
    """
    kind = FILE_FORMATS.get(os.path.splitext(path)[1].lower())
    if kind is None:
        raise ValueError('expected numbers file %s: cannot tell its format from the extension; use .csv, .yml, '
                         '.yaml or .json' % path)
    text = _read_text(path, 'expected numbers file')
    escaped = path.replace('%', '%%')
    if kind == 'CSV':
        place, items = escaped + ' line %d', _csv_items(path, text)
    else:
        place, items = escaped + '[%d]', list(enumerate(_document(path, text, kind)))
    if not items:
        raise ValueError('expected numbers file %s holds no expected numbers; there is nothing to check' % path)
    return place, items


def _read_text(path, what, missing_ok=False):
    """The file's text, UTF-8 with or without a byte order mark; None when it does not
    exist and ``missing_ok``."""
    try:
        # ~ as the role's argument spec documents the option: type path.
        with open(os.path.expanduser(path), 'rb') as source:
            data = source.read()
    except FileNotFoundError:
        if missing_ok:
            return None
        raise ValueError('%s %s does not exist' % (what, path)) from None
    except OSError as exc:
        raise ValueError('cannot read %s %s: %s' % (what, path, exc.strerror or exc)) from None
    try:
        return data.decode('utf-8-sig')
    except UnicodeDecodeError as exc:
        raise ValueError('%s line %d: not UTF-8 text (byte 0x%02x); save it as UTF-8 (in a spreadsheet: '
                         '"CSV UTF-8")' % (path, data.count(b'\n', 0, exc.start) + 1, data[exc.start])) from None


def _document(path, text, kind):
    if kind == 'JSON':
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError('%s line %d: not valid JSON: %s' % (path, exc.lineno, exc.msg)) from None
    else:
        try:
            data = yaml.load(text, Loader=_YAML_LOADER)
        except yaml.YAMLError as exc:
            mark = getattr(exc, 'problem_mark', None)
            where = ' line %d' % (mark.line + 1) if mark is not None else ''
            raise ValueError('%s%s: not valid YAML: %s' % (path, where, getattr(exc, 'problem', None) or exc)) from None
        except ValueError as exc:  # a scalar PyYAML resolves but cannot build, such as a bad date
            raise ValueError('%s: not valid YAML: %s' % (path, exc)) from None
    if data is None:
        return []
    if not isinstance(data, list):
        raise ValueError('%s must hold a list of expected numbers, not a %s' % (path, type(data).__name__))
    return data


def _csv_items(path, text):
    """``(line, item)`` per data row: an item holds the row's non-empty cells, with
    ``sms_enabled`` as a boolean.  Blank rows, which spreadsheets export, are skipped."""
    reader = csv.reader(io.StringIO(text, newline=''), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise ValueError('%s is empty; it needs a header row with at least a number column' % path)
        columns = _csv_columns(path, header)
        items, line = [], reader.line_num
        for row in reader:
            # A quoted cell may span lines: a row is named by the line it starts on.
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns):
                raise ValueError('%s line %d: %d cells, but the header has %d columns'
                                 % (path, start, len(row), len(columns)))
            item = {}
            for column, cell in zip(columns, row):
                cell = cell.strip()
                if cell and column is None:
                    raise ValueError('%s line %d: a value, %r, in a column without a name' % (path, start, cell))
                if cell:
                    item[column] = cell
            if 'sms_enabled' in item:
                flag = _CSV_BOOLEANS.get(item['sms_enabled'].lower())
                if flag is None:
                    raise ValueError('%s line %d: sms_enabled must be true or false (or yes/no, 1/0), not %r'
                                     % (path, start, item['sms_enabled']))
                item['sms_enabled'] = flag
            items.append((start, item))
    except csv.Error as exc:
        raise ValueError('%s line %d: not valid CSV: %s' % (path, reader.line_num, exc)) from None
    return items


def _csv_columns(path, header):
    """The header's column names, None for an unnamed (empty) one."""
    columns = [cell.strip().lower() or None for cell in header]
    unknown = [column for column in columns if column is not None and column not in CSV_COLUMNS]
    if unknown:
        hint = ''
        if any(separator in column for column in unknown for separator in ';\t'):
            hint = ' (the separator must be a comma)'
        raise ValueError('%s line 1: unknown column(s) %s; allowed: %s%s'
                         % (path, ', '.join(repr(column) for column in unknown), ', '.join(CSV_COLUMNS), hint))
    named = [column for column in columns if column is not None]
    if len(set(named)) != len(named):
        raise ValueError('%s line 1: a column is named twice: %s' % (path, ', '.join(named)))
    if 'number' not in named:
        raise ValueError('%s line 1: no number column; the header row must name it (and may name %s)'
                         % (path, ', '.join(CSV_COLUMNS[1:])))
    return columns


def read_previous_report(path):
    """The account's numbers as an earlier JSON report recorded them, or None when the
    file does not exist (the first run)."""
    text = _read_text(path, 'previous report', missing_ok=True)
    if text is None:
        return None
    try:
        report = json.loads(text)
    except ValueError as exc:
        raise ValueError('previous report %s line %d: not valid JSON: %s' % (path, exc.lineno, exc.msg)) from None
    if not isinstance(report, dict) or report.get('report_format') != REPORT_FORMAT:
        raise ValueError('previous report %s is not a JSON report of %s (no report_format %r); give the JSON '
                         'report of an earlier run' % (path, REPORT_FORMAT, REPORT_FORMAT))
    if report.get('report_format_version') != REPORT_FORMAT_VERSION:
        raise ValueError('previous report %s has report_format_version %r; this version of the collection reads '
                         'version %d' % (path, report.get('report_format_version'), REPORT_FORMAT_VERSION))
    numbers = report.get('account_numbers')
    if not isinstance(numbers, list):
        raise ValueError('previous report %s has no account_numbers list' % path)
    for index, record in enumerate(numbers):
        if not (isinstance(record, dict) and isinstance(record.get('number'), str)
                and _TEN_DIGITS.match(record['number']) and isinstance(record.get('sms_enabled'), bool)
                and isinstance(record.get('url'), (str, type(None)))):
            raise ValueError('previous report %s: account_numbers[%d] is not {number (10 digits), sms_enabled '
                             '(true/false), url (string or null)}: %r' % (path, index, record))
    return numbers
