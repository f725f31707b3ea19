# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SMS listener compliance: the pure evaluation behind the sms_listener_compliance role.

No I/O and no API calls: the role fetches once and hands the numbers here, so a check of
10,000 expected numbers is one filter call, and the same rules can be used on their own
(``dialogtech.api.sms_listener_compliance``) or unit-tested without Ansible running.
Documentation of each filter is in the ``<filter name>.yml`` file next to this one.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

from ansible.errors import AnsibleFilterError

from ansible_collections.dialogtech.api.plugins.module_utils._numbers import normalize_number

KINDS = ('missing_number', 'sms_disabled', 'no_listener_url', 'invalid_url', 'insecure_url',
         'url_mismatch', 'unexpected_number')
EXPECTATION_KEYS = frozenset(('number', 'url', 'url_regex', 'sms_enabled'))
JUNIT_SUITE = 'dialogtech.api.sms_listener_compliance'
UNEXPECTED_TESTCASE = 'unexpected numbers'
TABLE_COLUMNS = ('number', 'kind', 'expected', 'found')

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


def normalise_expectations(expected, default_url=None, default_url_regex=None, require_https=True):
    """Validate and normalise expected numbers; raise AnsibleFilterError naming the item.

    Returns one dict per distinct number, in the given order:
    ``{number, url, url_regex, sms_enabled}`` with the defaults applied.  Idempotent, so
    the evaluation can take either raw or already normalised expectations.
    """
    if not isinstance(expected, (list, tuple)):
        raise AnsibleFilterError('expected numbers must be a list, not %s' % type(expected).__name__)
    if default_url is not None and default_url_regex is not None:
        raise AnsibleFilterError('set a default url or a default url_regex, not both')
    default = _match_spec('default_url/default_url_regex', default_url, default_url_regex, require_https)

    by_number = {}
    for index, item in enumerate(expected):
        label = _ItemLabel(index, item)
        expectation = _expectation(label, item, default, require_https)
        first = by_number.setdefault(expectation['number'], (index, expectation))
        if first[1] != expectation:
            raise AnsibleFilterError('%s: number %s is already expected by expected_numbers[%d] with a '
                                     'different url, url_regex or sms_enabled' % (label, expectation['number'], first[0]))
    # Dicts keep insertion order: the first mention of each number decides its place.
    return [expectation for _index, expectation in by_number.values()]


class _ItemLabel(object):
    """Names an item in error messages, formatted only when an error is raised.

    Formatting every item eagerly re-templated each of Ansible's lazy dicts and took
    nearly half of the filter's time on 10,000 expected numbers.
    """

    __slots__ = ('index', 'item')

    def __init__(self, index, item):
        self.index, self.item = index, item

    def __str__(self):
        return 'expected_numbers[%d] (%r)' % (self.index, self.item)


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
        raise AnsibleFilterError('%s: an expected number must be a string or a dict, not %s'
                                 % (label, type(item).__name__))
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
                            require_https=True, fail_on_unexpected=False):
    """Compare the account's numbers with the expectations; return the compliance result.

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
    expectations = normalise_expectations(expected, default_url, default_url_regex, require_https)
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
    return {
        'passed': not violations,
        'checked': len(expectations),
        'failed_numbers': failed_numbers,
        'violations': violations,
        'counts': counts,
        'unexpected_numbers': [record['number'] for record in unexpected],
        # The numbers only: the whole expectations would cost Ansible ~0.3 ms per number
        # to template into a fact, and the violations already say what was expected.
        'expected_numbers': [expectation['number'] for expectation in expectations],
        'policy': {'require_https': bool(require_https), 'fail_on_unexpected': bool(fail_on_unexpected)},
        'summary': _summary(len(expectations), failed_numbers, counts, len(unexpected), fail_on_unexpected),
    }


def sms_listener_remediation(compliance, expected, default_url=None, default_url_regex=None, require_https=True):
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


def _summary(checked, failed_numbers, counts, unexpected, fail_on_unexpected):
    if not any(counts.values()):
        text = 'SMS listener compliance passed: all %d expected number(s) are compliant' % checked
    else:
        kinds = ', '.join('%d %s' % (count, kind) for kind, count in counts.items() if count)
        text = ('SMS listener compliance failed: %d violation(s) on %d number(s), %d number(s) expected (%s)'
                % (sum(counts.values()), failed_numbers, checked, kinds))
    if unexpected and not fail_on_unexpected:
        text += '; %d unexpected number(s) in the account not checked (fail_on_unexpected is false)' % unexpected
    return text


def sms_listener_table(violations):
    """A fixed-width text table of violations, one per line, for a failure message."""
    rows = [tuple(column.upper() for column in TABLE_COLUMNS)]
    rows.extend(tuple('-' if violation[column] is None else str(violation[column]) for column in TABLE_COLUMNS)
                for violation in violations)
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS) - 1)]
    return '\n'.join('  '.join([cell.ljust(width) for cell, width in zip(row, widths)] + [row[-1]]).rstrip()
                     for row in rows)


def sms_listener_junit(compliance, name=JUNIT_SUITE):
    """JUnit XML text for a compliance result: a test case per expected number plus one
    for the numbers nobody expected (skipped when fail_on_unexpected is off)."""
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

    counts = {'tests': str(len(compliance['expected_numbers']) + 1), 'failures': str(failures), 'errors': '0',
              'skipped': str(skipped)}
    suite.attrib.update(counts)
    suites = ElementTree.Element('testsuites', dict(counts, name=_xml_text(name)))
    suites.append(suite)
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding='unicode') + '\n'


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
            'sms_listener_remediation': sms_listener_remediation,
        }
