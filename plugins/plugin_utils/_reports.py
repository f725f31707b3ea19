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
DRIFT_TESTCASE = 'changes since the previous report'
TABLE_COLUMNS = ('number', 'kind', 'expected', 'found')
DRIFT_COLUMNS = ('number', 'change', 'before', 'after')
# The lists of a result that the text and Markdown reports show as tables, in this order:
# (key, title, columns).  A further list in the result is a further entry here.
SECTIONS = (
    ('violations', 'Violations', TABLE_COLUMNS),
    ('drift', 'Changes in the account since the previous report', DRIFT_COLUMNS),
    ('remediated', 'Fixed by the remediation', ('number', 'before', 'after')),
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
    the numbers nobody expected (skipped when fail_on_unexpected is off) and, when a
    previous report was compared, one for the changes since (skipped, listing them, when
    fail_on_drift is off)."""
    by_number = {}
    for violation in compliance['violations']:
        by_number.setdefault(violation['number'], []).append(violation)

    suite = ElementTree.Element('testsuite', name=_xml_text(name))
    failures = skipped = 0
    for number in compliance['expected_numbers']:
        case = ElementTree.SubElement(suite, 'testcase', classname=_xml_text(name), name=number)
        failures += _add_failure(case, by_number.get(number, []))

    case = ElementTree.SubElement(suite, 'testcase', classname=_xml_text(name), name=UNEXPECTED_TESTCASE)
    unexpected = [violation for violation in compliance['violations'] if violation['kind'] == 'unexpected_number']
    if compliance['policy']['fail_on_unexpected']:
        failures += _add_failure(case, unexpected)
    else:
        skipped = 1
        ElementTree.SubElement(case, 'skipped', message='fail_on_unexpected is false; %d number(s) in the '
                               'account were not expected' % len(compliance['unexpected_numbers']))

    tests = len(compliance['expected_numbers']) + 1
    # .get: a result made before drift existed has neither key.
    if compliance.get('previous_report'):
        tests += 1
        failures, skipped = _add_drift_case(suite, name, compliance, failures, skipped)

    counts = {'tests': str(tests), 'failures': str(failures), 'errors': '0', 'skipped': str(skipped)}
    suite.attrib.update(counts)
    suites = ElementTree.Element('testsuites', dict(counts, name=_xml_text(name)))
    suites.append(suite)
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding='unicode') + '\n'


def _add_drift_case(suite, name, compliance, failures, skipped):
    case = ElementTree.SubElement(suite, 'testcase', classname=_xml_text(name), name=DRIFT_TESTCASE)
    drift = compliance['drift']
    if not drift:
        return failures, skipped
    message = _xml_text('%d change(s) since %s' % (len(drift), compliance['previous_report']))
    table = _xml_text(_text_table(drift, DRIFT_COLUMNS))
    if compliance['policy'].get('fail_on_drift'):
        ElementTree.SubElement(case, 'failure', type='drift', message=message).text = table
        return failures + 1, skipped
    ElementTree.SubElement(case, 'skipped', message=message + '; fail_on_drift is false')
    ElementTree.SubElement(case, 'system-out').text = table
    return failures, skipped + 1


def _add_failure(case, violations):
    if not violations:
        return 0
    failure = ElementTree.SubElement(case, 'failure', type=violations[0]['kind'],
                                     message=_xml_text(', '.join(violation['kind'] for violation in violations)))
    failure.text = _xml_text(table(violations))
    return 1


def _xml_text(text):
    return _XML_INVALID.sub('\ufffd', str(text))
