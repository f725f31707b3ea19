# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SMS listener compliance: the evaluation behind the sms_listener_compliance role.

No API calls: the role fetches once and hands the numbers here, so a check of 10,000
expected numbers is one filter call, and the same rules can be used on their own
(``dialogtech.api.sms_listener_compliance``) or unit-tested without Ansible running.
The only I/O is reading, on the controller, the files the caller names: expected numbers
and a previous report (plugin_utils/_compliance_files.py).  The other filters render a
result as reports.  Documentation of each filter is in the ``<filter name>.yml`` file
next to this one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from xml.etree import ElementTree

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.dialogtech.api.plugins.module_utils._numbers import normalize_number
from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance_files import (
    REPORT_FORMAT,
    REPORT_FORMAT_VERSION,
    read_expectations,
    read_previous_report,
)

display = Display()

KINDS = ('missing_number', 'sms_disabled', 'no_listener_url', 'invalid_url', 'insecure_url',
         'url_mismatch', 'unexpected_number')
EXPECTATION_KEYS = frozenset(('number', 'url', 'url_regex', 'sms_enabled'))
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


# An absolute http(s) URL with a host.  A regular expression rather than urlsplit, which
# took most of the time of an evaluation of 10,000 numbers.
_WEB_URL = re.compile(r'(https?)://(?:[^/?#@]*@)?(?:\[[^\]/?#]+\]|[^/?#@:\[\]]+)(?::[0-9]*)?(?:[/?#]|$)', re.IGNORECASE)


def _web_scheme(url):
    """'http' or 'https' for an absolute web URL with a host, else None."""
    match = _WEB_URL.match(url)
    return match.group(1).lower() if match else None


def _describe(expectation):
    if expectation['url'] is not None:
        return expectation['url']
    if expectation['url_regex'] is not None:
        return 'regex %s' % expectation['url_regex']
    return None


def normalise_expectations(expected, default_url=None, default_url_regex=None, require_https=True,
                           expected_file=None):
    """Validate and normalise expected numbers; raise AnsibleFilterError naming the item.

    ``expected_file`` (a path) adds the expectations of a CSV, YAML or JSON file after
    those of the list.  Returns one dict per distinct number, in the given order:
    ``{number, url, url_regex, sms_enabled}`` with the defaults applied.  Idempotent, so
    the evaluation can take either raw or already normalised expectations.
    """
    if not isinstance(expected, (list, tuple)):
        raise AnsibleFilterError("expected numbers must be a list, not %s (%s); in YAML, put each number on a "
                                 "line of its own starting with '- '" % (_kind(expected), _shown(expected)))
    if default_url is not None and default_url_regex is not None:
        raise AnsibleFilterError('set a default url or a default url_regex, not both')
    default = _match_spec('default_url/default_url_regex', default_url, default_url_regex, require_https)

    sources = [('expected_numbers[%d]', enumerate(expected))]
    if expected_file:
        try:
            sources.append(read_expectations(expected_file))
        except ValueError as exc:
            raise AnsibleFilterError(str(exc)) from None
    by_number = {}
    for place, items in sources:
        for index, item in items:
            label = _ItemLabel(place, index, item)
            expectation = _expectation(label, item, default, require_https)
            first = by_number.setdefault(expectation['number'], (label, expectation))
            if first[1] != expectation:
                raise AnsibleFilterError('%s: number %s is already expected by %s with a different url, url_regex '
                                         'or sms_enabled' % (label, expectation['number'], first[0].place()))
    # Dicts keep insertion order: the first mention of each number decides its place.
    return [expectation for _label, expectation in by_number.values()]


class _ItemLabel(object):
    """Names an item in error messages, formatted only when an error is raised.

    Formatting every item eagerly re-templated each of Ansible's lazy dicts and took
    nearly half of the filter's time on 10,000 expected numbers.
    """

    __slots__ = ('place_format', 'index', 'item')

    def __init__(self, place_format, index, item):
        self.place_format, self.index, self.item = place_format, index, item

    def place(self):
        """Where the item is: ``expected_numbers[3]``, ``numbers.csv line 4``, ``numbers.yml[3]``."""
        return self.place_format % self.index

    def __str__(self):
        return '%s (%s)' % (self.place(), _shown(self.item))


def _kind(value):
    """What a value is, in the words of a YAML file.

    Ansible hands filters its own subclasses (AnsibleUnicode, _AnsibleTaggedStr, ...),
    whose names mean nothing to the user who wrote the value.
    """
    if value is None:
        return 'null'
    for types, words in ((bool, 'true/false'), ((int, float), 'a number'), (str, 'a string'),
                         (Mapping, 'a dictionary'), ((list, tuple), 'a list')):
        if isinstance(value, types):
            return words
    return type(value).__name__


def _shown(value, limit=60):
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _expectation(label, item, default, require_https):
    if isinstance(item, dict):
        unknown = sorted(str(key) for key in set(item) - EXPECTATION_KEYS)
        if unknown:
            raise AnsibleFilterError('%s: unknown key(s) %s; allowed: %s'
                                     % (label, ', '.join(unknown), ', '.join(sorted(EXPECTATION_KEYS))))
        if item.get('number') is None:
            raise AnsibleFilterError('%s: number is required' % label)
        number, url, url_regex = item['number'], item.get('url'), item.get('url_regex')
        sms_enabled = item.get('sms_enabled', True)
        if not isinstance(sms_enabled, bool):
            raise AnsibleFilterError('%s: sms_enabled must be true or false, not %r' % (label, sms_enabled))
        if url is not None and url_regex is not None:
            raise AnsibleFilterError('%s: set url or url_regex, not both' % label)
    elif isinstance(item, (str, int)) and not isinstance(item, bool):
        number, url, url_regex, sms_enabled = item, None, None, True
    else:
        raise AnsibleFilterError('%s: an expected number must be a string or a dictionary, not %s'
                                 % (label, _kind(item)))
    try:
        number = normalize_number(number)
    except ValueError as exc:
        raise AnsibleFilterError('%s: %s' % (label, exc)) from None
    if url is None and url_regex is None:
        url, url_regex = default
    else:
        url, url_regex = _match_spec(label, url, url_regex, require_https)
    return {'number': number, 'url': url, 'url_regex': url_regex, 'sms_enabled': sms_enabled}


def _match_spec(label, url, url_regex, require_https):
    if url is not None:
        url = str(url)
        scheme = _web_scheme(url)
        if scheme is None:
            raise AnsibleFilterError('%s: url %r is not an absolute http:// or https:// URL' % (label, url))
        if require_https and scheme != 'https':
            raise AnsibleFilterError('%s: url %r is not https:// but require_https is true; no number '
                                     'could pass' % (label, url))
    if url_regex is not None:
        url_regex = str(url_regex)
        try:
            re.compile(url_regex)
        except re.error as exc:
            raise AnsibleFilterError('%s: url_regex %r is not a valid regular expression: %s'
                                     % (label, url_regex, exc)) from None
    return url, url_regex


def sms_listener_compliance(numbers, expected, default_url=None, default_url_regex=None,
                            require_https=True, fail_on_unexpected=False, expected_file=None,
                            previous_report=None, fail_on_drift=False):
    """Compare the account's numbers with the expectations; return the compliance result.

    ``expected_file`` adds the expectations of a file to those of ``expected``.  With
    ``previous_report`` (the JSON report of an earlier run) the result's ``drift`` lists
    what changed in the account since; a report that does not exist yet is a warning.

    Per expected number, in this order:

    - ``missing_number`` when the account lacks it; nothing else is checked for it.
    - ``sms_disabled`` when SMS is off but the expectation requires it (the default).
    - The listener URL is checked when SMS is required or is on; of these the first
      that applies is reported, as each later check is meaningless without the earlier:
      ``no_listener_url``, ``invalid_url`` (not absolute http/https).  When the URL is
      valid, ``insecure_url`` (http while HTTPS is required) and ``url_mismatch``
      (exact ``url`` or full-match ``url_regex``) are independent and both reported.

    Then ``unexpected_number`` for each account number nobody expected, only when
    ``fail_on_unexpected``; they are listed in ``unexpected_numbers`` either way.
    """
    expectations = normalise_expectations(expected, default_url, default_url_regex, require_https, expected_file)
    previous = None
    if previous_report:
        try:
            previous = read_previous_report(previous_report)
        except ValueError as exc:
            raise AnsibleFilterError(str(exc)) from None
        if previous is None:
            display.warning('previous report %s does not exist (the first run?); drift since it is not checked'
                            % previous_report)
    drift = account_drift(previous, numbers) if previous is not None else []
    found = {}
    for record in numbers:
        found.setdefault(record['number'], record)

    patterns = {}
    violations = []
    for expectation in expectations:
        number = expectation['number']
        record = found.get(number)
        if record is None:
            violations.append(_violation(number, 'missing_number', 'present in the account', None))
            continue
        if expectation['sms_enabled'] and not record['sms_enabled']:
            violations.append(_violation(number, 'sms_disabled', 'sms_enabled=true', 'sms_enabled=false'))
        if expectation['sms_enabled'] or record['sms_enabled']:
            violations.extend(_url_violations(expectation, record.get('url'), require_https, patterns))

    wanted = set(expectation['number'] for expectation in expectations)
    unexpected = [record for number, record in found.items() if number not in wanted]
    if fail_on_unexpected:
        violations.extend(_violation(record['number'], 'unexpected_number', None,
                                     'sms_enabled=%s, url=%s' % (str(record['sms_enabled']).lower(),
                                                                 record.get('url') or '(none)'))
                          for record in unexpected)

    counts = dict.fromkeys(KINDS, 0)
    for violation in violations:
        counts[violation['kind']] += 1
    failed_numbers = len(set(violation['number'] for violation in violations))
    compared = previous_report if previous is not None else None
    return {
        'passed': not violations and not (fail_on_drift and drift),
        'checked': len(expectations),
        'failed_numbers': failed_numbers,
        'violations': violations,
        'counts': counts,
        'unexpected_numbers': [record['number'] for record in unexpected],
        # The numbers only: Ansible templates every item of a fact, and the violations
        # already say what was expected (benchmarks/RESULTS.md, benchmark 4).
        'expected_numbers': [expectation['number'] for expectation in expectations],
        'drift': drift,
        'previous_report': compared,
        'policy': {'require_https': bool(require_https), 'fail_on_unexpected': bool(fail_on_unexpected),
                   'fail_on_drift': bool(fail_on_drift)},
        'summary': _summary(len(expectations), failed_numbers, counts, len(unexpected), fail_on_unexpected,
                            len(drift) if compared else None, fail_on_drift),
    }


def account_drift(before, after):
    """What changed from one view of the account's numbers to another, by number: a
    ``{number, change, before, after}`` per change (added, removed, sms_enabled_changed,
    url_changed).  ``before`` and ``after`` are ``{sms_enabled, url}`` for an added or
    removed number, else the changed value."""
    old, new = {}, {}
    for view, records in ((old, before), (new, after)):
        for record in records:
            view.setdefault(record['number'], record)
    drift = []
    for number in sorted(set(old) | set(new)):
        was, now = old.get(number), new.get(number)
        if was is None:
            drift.append(_change(number, 'added', None, _state(now)))
        elif now is None:
            drift.append(_change(number, 'removed', _state(was), None))
        else:
            if bool(was['sms_enabled']) != bool(now['sms_enabled']):
                drift.append(_change(number, 'sms_enabled_changed', bool(was['sms_enabled']), bool(now['sms_enabled'])))
            if (was.get('url') or None) != (now.get('url') or None):
                drift.append(_change(number, 'url_changed', was.get('url') or None, now.get('url') or None))
    return drift


def _state(record):
    return {'sms_enabled': bool(record['sms_enabled']), 'url': record.get('url') or None}


def _change(number, change, before, after):
    return {'number': number, 'change': change, 'before': before, 'after': after}


def sms_listener_remediation(compliance, expected, default_url=None, default_url_regex=None, require_https=True,
                             expected_file=None):
    """Split a compliance result's failing numbers into those a listener URL write fixes
    and those it cannot, each with why.

    ``expected`` and the defaults must be those the compliance was evaluated with.
    Returns ``{fixes: [{number, url}], not_fixable: [{number, kinds, why}]}``, both in the
    order of the violations.
    """
    expectations = {expectation['number']: expectation
                    for expectation in normalise_expectations(expected, default_url, default_url_regex, require_https)}
    kinds = {}
    for violation in compliance['violations']:
        kinds.setdefault(violation['number'], []).append(violation['kind'])
    fixes, not_fixable = [], []
    for number, found in kinds.items():
        why = _not_fixable(found, expectations.get(number))
        if why:
            not_fixable.append({'number': number, 'kinds': found, 'why': why})
        else:
            fixes.append({'number': number, 'url': expectations[number]['url']})
    return {'fixes': fixes, 'not_fixable': not_fixable}


def _not_fixable(kinds, expectation):
    if 'missing_number' in kinds:
        return 'the account does not have the number; numbers are bought in the DialogTech web UI'
    if 'unexpected_number' in kinds:
        return 'the number is not expected; the role does not turn SMS off'
    if not expectation['sms_enabled']:
        return 'SMS is expected off; the role only sets listener URLs'
    if expectation['url'] is None:
        return 'no exact url is expected (only a url_regex, or none), so there is no URL to set'
    return None


def _violation(number, kind, expected, found):
    return {'number': number, 'kind': kind, 'expected': expected, 'found': found}


def _url_violations(expectation, url, require_https, patterns):
    number, wanted = expectation['number'], _describe(expectation)
    if not url:
        return [_violation(number, 'no_listener_url', wanted or 'a listener URL', None)]
    scheme = _web_scheme(url)
    if scheme is None:
        return [_violation(number, 'invalid_url', 'an absolute http:// or https:// URL', url)]
    violations = []
    if require_https and scheme != 'https':
        violations.append(_violation(number, 'insecure_url', 'an https:// URL', url))
    if expectation['url'] is not None:
        matches = url == expectation['url']
    elif expectation['url_regex'] is not None:
        pattern = patterns.get(expectation['url_regex'])
        if pattern is None:
            pattern = patterns[expectation['url_regex']] = re.compile(expectation['url_regex'])
        matches = pattern.fullmatch(url) is not None
    else:
        matches = True
    if not matches:
        violations.append(_violation(number, 'url_mismatch', wanted, url))
    return violations


def _summary(checked, failed_numbers, counts, unexpected, fail_on_unexpected, changes, fail_on_drift):
    """One line; ``changes`` is the number of drift entries, None when nothing was compared."""
    if any(counts.values()):
        kinds = ', '.join('%d %s' % (count, kind) for kind, count in counts.items() if count)
        text = ('SMS listener compliance failed: %d violation(s) on %d number(s), %d number(s) expected (%s)'
                % (sum(counts.values()), failed_numbers, checked, kinds))
    elif changes and fail_on_drift:
        text = 'SMS listener compliance failed: all %d expected number(s) are compliant, but the account changed' % checked
    else:
        text = 'SMS listener compliance passed: all %d expected number(s) are compliant' % checked
    if unexpected and not fail_on_unexpected:
        text += '; %d unexpected number(s) in the account not checked (fail_on_unexpected is false)' % unexpected
    if changes:
        text += '; %d change(s) in the account since the previous report (fail_on_drift is %s)' % (
            changes, str(bool(fail_on_drift)).lower())
    elif changes is not None:
        text += '; no change in the account since the previous report'
    return text


def sms_listener_table(result):
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


def sms_listener_markdown(compliance, title='SMS listener compliance'):
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


def sms_listener_json(compliance, numbers):
    """The JSON report: the compliance result, what it was made from (the account's
    numbers as fetched, which a later run compares with for drift) and its format."""
    report = {'report_format': REPORT_FORMAT, 'report_format_version': REPORT_FORMAT_VERSION}
    report.update(compliance)
    report['account_numbers'] = [{'number': record['number'], 'sms_enabled': bool(record['sms_enabled']),
                                  'url': record.get('url')} for record in numbers]
    return json.dumps(report, indent=4, sort_keys=False, ensure_ascii=False) + '\n'


def sms_listener_junit(compliance, name=JUNIT_SUITE):
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
    failure.text = _xml_text(sms_listener_table(violations))
    return 1


def _xml_text(text):
    return _XML_INVALID.sub('\ufffd', str(text))


class FilterModule(object):
    def filters(self):
        return {
            'sms_listener_compliance': sms_listener_compliance,
            'sms_listener_table': sms_listener_table,
            'sms_listener_junit': sms_listener_junit,
            'sms_listener_markdown': sms_listener_markdown,
            'sms_listener_json': sms_listener_json,
            'sms_listener_remediation': sms_listener_remediation,
        }
