# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reports of a compliance result (``_compliance.evaluate``): a text table for
failure messages, Markdown for CI job pages, the JSON report a later run reads for drift,
and JUnit XML.  Rendering only: every decision is the rules' (``_compliance.py``).
"""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance_files import (
    REPORT_FORMAT,
    REPORT_FORMAT_VERSION,
)

JUNIT_SUITE = 'dialogtech.api.sms_listener_compliance'
UNEXPECTED_TESTCASE = 'unexpected numbers'
# A report of a check-mode run describes the account as fetched: nothing was written.
CHECK_MODE_NOTE = 'Check mode: the account as fetched; nothing was written.'
DRIFT_TESTCASE = 'changes since the previous report'
PLANNED_TESTCASE = 'planned remediation'
TABLE_COLUMNS = ('number', 'kind', 'expected', 'found')
DRIFT_COLUMNS = ('number', 'change', 'before', 'after')
CHANGE_COLUMNS = ('number', 'before', 'after')
# The lists of a result that the text and Markdown reports show as tables, in this order:
# (key, title, columns).  A further list in the result is a further entry here.
SECTIONS = (
    ('violations', 'Violations', TABLE_COLUMNS),
    ('drift', 'Changes in the account since the previous report', DRIFT_COLUMNS),
    ('planned', 'Planned by the remediation, not written (check mode)', CHANGE_COLUMNS),
    ('remediated', 'Fixed by the remediation', CHANGE_COLUMNS),
    ('not_fixable', 'Not fixable by the remediation', ('number', 'kinds', 'why')),
)
# Markdown that a cell's text could otherwise start (emphasis, links, HTML, code, math,
# strike-through, entities) or end (the cell itself); each is backslash-escaped.
_MARKDOWN_SPECIAL = re.compile(r'([\\`*_\[\]<>|~&$])')

# XML 1.0 cannot carry these characters even escaped; a regex or URL containing one
# would otherwise make the whole JUnit report unreadable for the CI system.
_XML_INVALID = re.compile('[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]')


def table(result):
    """A fixed-width text table, one row per line, for a failure message: of a list of
    violations; or, of a whole compliance result, one titled table per non-empty list
    of ``SECTIONS``."""
    if not isinstance(result, dict):
        return _text_table(result, TABLE_COLUMNS)
    return '\n\n'.join('%s (%d):\n%s' % (title, len(result[key]), _text_table(result[key], columns))
                       for key, title, columns in SECTIONS if result.get(key))


def _text_table(rows, columns):
    lines = [tuple(column.upper() for column in columns)]
    lines.extend(tuple(_cell(row[column]) for column in columns) for row in rows)
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns) - 1)]
    return '\n'.join('  '.join([cell.ljust(width) for cell, width in zip(line, widths)] + [line[-1]]).rstrip()
                     for line in lines)


def _cell(value):
    """A table cell's text: '-' for nothing, true/false, and key=value pairs for a dict."""
    if value is None:
        return '-'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return ', '.join('%s=%s' % (key, _cell(item)) for key, item in value.items())
    return str(value)


def markdown(compliance, title='SMS listener compliance'):
    """Markdown for a CI job page: a heading, the summary line, and a table per non-empty
    list of ``SECTIONS``, every cell escaped."""
    lines = ['### %s' % _markdown(title), '', _markdown(compliance['summary'])]
    if compliance.get('check_mode'):
        lines += ['', CHECK_MODE_NOTE]
    for key, heading, columns in SECTIONS:
        rows = compliance.get(key)
        if not rows:
            continue
        lines += ['', '#### %s (%d)' % (_markdown(heading), len(rows)), '',
                  '| %s |' % ' | '.join(column.capitalize() for column in columns),
                  '|' + ' --- |' * len(columns)]
        lines.extend('| %s |' % ' | '.join(_markdown(_cell(row[column])) for column in columns) for row in rows)
    return '\n'.join(lines) + '\n'


def _markdown(text):
    """Text as the literal content of a Markdown table cell or paragraph: specials escaped,
    on one line."""
    return _MARKDOWN_SPECIAL.sub(r'\\\1', ' '.join(str(text).splitlines()))


def json_report(compliance, numbers):
    """The JSON report: the compliance result, what it was made from (the account's
    numbers as fetched, which a later run compares with for drift) and its format."""
    report = {'report_format': REPORT_FORMAT, 'report_format_version': REPORT_FORMAT_VERSION}
    report.update(compliance)
    report['account_numbers'] = [{'number': record['number'], 'sms_enabled': bool(record['sms_enabled']),
                                  'url': record.get('url')} for record in numbers]
    return json.dumps(report, indent=4, sort_keys=False, ensure_ascii=False) + '\n'


def junit(compliance, name=JUNIT_SUITE):
    """JUnit XML text for a compliance result: a test case per expected number, one for
    the numbers nobody expected (skipped when fail_on_unexpected is off), when a previous
    report was compared one for the changes since (skipped, listing them, when
    fail_on_drift is off) and, in check mode with remediation, one listing the planned
    fixes (skipped)."""
    by_number = {}
    for violation in compliance['violations']:
        by_number.setdefault(violation['number'], []).append(violation)

    suite = ElementTree.Element('testsuite', name=_xml_text(name))
    # .get: only the role marks its results; properties come first in a test suite.
    if compliance.get('check_mode'):
        properties = ElementTree.SubElement(suite, 'properties')
        ElementTree.SubElement(properties, 'property', name='check_mode', value='true')
    for number in compliance['expected_numbers']:
        _add_failure(_testcase(suite, name, number), by_number.get(number, []))

    case = _testcase(suite, name, UNEXPECTED_TESTCASE)
    unexpected = [violation for violation in compliance['violations'] if violation['kind'] == 'unexpected_number']
    if compliance['policy']['fail_on_unexpected']:
        _add_failure(case, unexpected)
    else:
        ElementTree.SubElement(case, 'skipped', message='fail_on_unexpected is false; %d number(s) in the '
                               'account were not expected' % len(compliance['unexpected_numbers']))

    # .get: a result made before drift existed has neither key.
    if compliance.get('previous_report'):
        drift = compliance['drift']
        _add_listing(_testcase(suite, name, DRIFT_TESTCASE), drift, DRIFT_COLUMNS,
                     '%d change(s) since %s' % (len(drift), compliance['previous_report']),
                     'drift' if compliance['policy'].get('fail_on_drift') else None, 'fail_on_drift is false')
    # Only the role's check-mode runs with remediation have planned fixes.
    if compliance.get('planned') is not None:
        planned = compliance['planned']
        _add_listing(_testcase(suite, name, PLANNED_TESTCASE), planned, CHANGE_COLUMNS,
                     '%d number(s) would be set' % len(planned), None, 'check mode, nothing was written')

    counts = {'tests': str(len(suite.findall('testcase'))), 'failures': str(len(suite.findall('testcase/failure'))),
              'errors': '0', 'skipped': str(len(suite.findall('testcase/skipped')))}
    suite.attrib.update(counts)
    suites = ElementTree.Element('testsuites', dict(counts, name=_xml_text(name)))
    suites.append(suite)
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding='unicode') + '\n'


def _testcase(suite, name, case_name):
    return ElementTree.SubElement(suite, 'testcase', classname=_xml_text(name), name=_xml_text(case_name))


def _add_listing(case, rows, columns, message, failure_type, skip_reason):
    """Rows (drift, planned fixes) in a test case: none, it passes; else it fails with
    them when ``failure_type`` is set, or is skipped with them as its output."""
    if not rows:
        return
    message = _xml_text(message)
    text = _xml_text(_text_table(rows, columns))
    if failure_type:
        ElementTree.SubElement(case, 'failure', type=failure_type, message=message).text = text
        return
    ElementTree.SubElement(case, 'skipped', message='%s; %s' % (message, skip_reason))
    ElementTree.SubElement(case, 'system-out').text = text


def _add_failure(case, violations):
    if violations:
        failure = ElementTree.SubElement(case, 'failure', type=violations[0]['kind'],
                                         message=_xml_text(', '.join(violation['kind'] for violation in violations)))
        failure.text = _xml_text(table(violations))


def _xml_text(text):
    return _XML_INVALID.sub('\ufffd', str(text))
