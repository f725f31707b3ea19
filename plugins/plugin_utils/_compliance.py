# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SMS listener compliance rules: expectations, evaluation, drift, remediation plan.

Pure and controller-side: no API calls, no rendering (``_reports.py``) and no Ansible
import, so the role's filters (plugins/filter/sms_listener.py), an ansible-rulebook event
source and the unit tests all use the same rules.  The only I/O is reading the files a
caller names (``_compliance_files.py``).  Errors are ComplianceError with a one-line
message naming the item, the file or the line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.dialogtech.api.plugins.module_utils._numbers import normalize_number
from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance_files import (
    read_expectations,
    read_previous_report,
)

# The violation of a number whose listener probe (module_utils/_probe.py) found a problem.
# The probe's invalid_url is left out: the URL rules above report that URL already.
LISTENER_KINDS = {
    'unresolvable': 'listener_unreachable',
    'unreachable': 'listener_unreachable',
    'timeout': 'listener_unreachable',
    'tls_invalid': 'listener_tls_invalid',
    'certificate_expiring': 'listener_certificate_expiring',
    'http_error': 'listener_http_error',
    'not_found': 'listener_http_error',
    'private_address': 'listener_private_address',
}
KINDS = ('missing_number', 'sms_disabled', 'no_listener_url', 'invalid_url', 'insecure_url',
         'url_mismatch', 'unexpected_number') + tuple(dict.fromkeys(LISTENER_KINDS.values()))
# The violations a listener URL write can change: the URL rules' (sms_disabled included,
# as the write enables SMS).
_URL_KINDS = frozenset(('sms_disabled', 'no_listener_url', 'invalid_url', 'insecure_url', 'url_mismatch'))
_LISTENER_EXPECTED = {
    'listener_unreachable': 'a listener that answers',
    'listener_tls_invalid': 'a valid TLS certificate',
    'listener_certificate_expiring': 'a certificate valid for longer',
    'listener_http_error': 'an HTTP answer that shows the listener is there',
    'listener_private_address': 'an address DialogTech can reach from the internet',
}
EXPECTATION_KEYS = frozenset(('number', 'url', 'url_regex', 'sms_enabled'))

# An absolute http(s) URL with a host.  A regular expression rather than urlsplit, which
# took most of the time of an evaluation of 10,000 numbers.
_WEB_URL = re.compile(r'(https?)://(?:[^/?#@]*@)?(?:\[[^\]/?#]+\]|[^/?#@:\[\]]+)(?::[0-9]*)?(?:[/?#]|$)', re.IGNORECASE)


class ComplianceError(ValueError):
    """Input no compliance result can be made from; the message names the item or file."""


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
    """Validate and normalise expected numbers; raise ComplianceError naming the item.

    ``expected_file`` (a path) adds the expectations of a CSV, YAML or JSON file after
    those of the list.  Returns one dict per distinct number, in the given order:
    ``{number, url, url_regex, sms_enabled}`` with the defaults applied.  Idempotent, so
    the evaluation can take either raw or already normalised expectations.
    """
    if not isinstance(expected, (list, tuple)):
        raise ComplianceError("expected numbers must be a list, not %s (%s); in YAML, put each number on a "
                              "line of its own starting with '- '" % (_kind(expected), _shown(expected)))
    if default_url is not None and default_url_regex is not None:
        raise ComplianceError('set a default url or a default url_regex, not both')
    default = _match_spec('default_url/default_url_regex', default_url, default_url_regex, require_https)

    sources = [('expected_numbers[%d]', enumerate(expected))]
    if expected_file:
        try:
            sources.append(read_expectations(expected_file))
        except ValueError as exc:
            raise ComplianceError(str(exc)) from None
    by_number = {}
    for place, items in sources:
        for index, item in items:
            label = _ItemLabel(place, index, item)
            expectation = _expectation(label, item, default, require_https)
            first = by_number.setdefault(expectation['number'], (label, expectation))
            if first[1] != expectation:
                raise ComplianceError('%s: number %s is already expected by %s with a different url, url_regex '
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
            raise ComplianceError('%s: unknown key(s) %s; allowed: %s'
                                  % (label, ', '.join(unknown), ', '.join(sorted(EXPECTATION_KEYS))))
        if item.get('number') is None:
            raise ComplianceError('%s: number is required' % label)
        number, url, url_regex = item['number'], item.get('url'), item.get('url_regex')
        sms_enabled = item.get('sms_enabled', True)
        if not isinstance(sms_enabled, bool):
            raise ComplianceError('%s: sms_enabled must be true or false, not %r' % (label, sms_enabled))
        if url is not None and url_regex is not None:
            raise ComplianceError('%s: set url or url_regex, not both' % label)
    elif isinstance(item, (str, int)) and not isinstance(item, bool):
        number, url, url_regex, sms_enabled = item, None, None, True
    else:
        raise ComplianceError('%s: an expected number must be a string or a dictionary, not %s'
                              % (label, _kind(item)))
    try:
        number = normalize_number(number)
    except ValueError as exc:
        raise ComplianceError('%s: %s' % (label, exc)) from None
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
            raise ComplianceError('%s: url %r is not an absolute http:// or https:// URL' % (label, url))
        if require_https and scheme != 'https':
            raise ComplianceError('%s: url %r is not https:// but require_https is true; no number '
                                  'could pass' % (label, url))
    if url_regex is not None:
        url_regex = str(url_regex)
        try:
            re.compile(url_regex)
        except re.error as exc:
            raise ComplianceError('%s: url_regex %r is not a valid regular expression: %s'
                                  % (label, url_regex, exc)) from None
    return url, url_regex


def evaluate(numbers, expected, default_url=None, default_url_regex=None, require_https=True,
             fail_on_unexpected=False, expected_file=None, previous_report=None, fail_on_drift=False, warn=None,
             drift_numbers=None, listeners=None):
    """Compare the account's numbers with the expectations; return the compliance result.

    ``expected_file`` adds the expectations of a file to those of ``expected``.  With
    ``previous_report`` (the JSON report of an earlier run) the result's ``drift`` lists
    what changed in the account since; a report that does not exist yet is a warning.
    ``drift_numbers`` are compared with the previous report instead of ``numbers``: after
    a remediation, the account as fetched, so that the remediation's own writes do not
    count as changes others made since.

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

    ``listener_urls`` lists the distinct URLs of the expected numbers that have SMS on
    and a URL: those to probe.  With ``listeners`` (the dialogtech_sms_listener_info
    module's results; a later result for the same URL wins), each such number whose
    listener has a problem gets a violation of the kind ``LISTENER_KINDS`` maps it to,
    with the probe's message as ``found``.
    """
    expectations = normalise_expectations(expected, default_url, default_url_regex, require_https, expected_file)
    previous = None
    if previous_report:
        try:
            previous = read_previous_report(previous_report)
        except ValueError as exc:
            raise ComplianceError(str(exc)) from None
        if previous is None:
            if warn is not None:
                warn('previous report %s does not exist (the first run?); drift since it is not checked'
                     % previous_report)
    drift = account_drift(previous, numbers if drift_numbers is None else drift_numbers) if previous is not None else []
    found = {}
    for record in numbers:
        found.setdefault(record['number'], record)

    patterns = {}
    violations = []
    probed = {} if listeners is None else {listener['url']: listener for listener in listeners}
    listener_urls = {}
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
        if record['sms_enabled'] and record.get('url'):
            listener_urls[record['url']] = None
            violation = listener_violation(number, probed.get(record['url']))
            if violation:
                violations.append(violation)

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
        'listener_urls': list(listener_urls),
        'listeners': [probed[url] for url in listener_urls if url in probed],
        'policy': {'require_https': bool(require_https), 'fail_on_unexpected': bool(fail_on_unexpected),
                   'fail_on_drift': bool(fail_on_drift), 'probe_listeners': listeners is not None},
        'summary': _summary(len(expectations), failed_numbers, counts, len(unexpected), fail_on_unexpected,
                            len(drift) if compared else None, fail_on_drift),
    }


def listener_violation(number, listener):
    """The violation of ``number`` for its listener's probe result, or None: when it was
    not probed, answers, or has an invalid URL (which the URL rules report)."""
    kind = LISTENER_KINDS.get((listener or {}).get('problem'))
    if kind is None:
        return None
    return _violation(number, kind, _LISTENER_EXPECTED[kind], listener['message'])


def account_drift(before, after):
    """What changed from one view of the account's numbers to another, by number: a
    ``{number, change, before, after}`` per change (added, removed, sms_enabled_changed,
    url_changed).  ``before`` and ``after`` are ``{sms_enabled, url}`` for an added or
    removed number, else the changed value."""
    drift = []
    for entry in number_changes(before, after):
        for change in entry['changes']:
            field = _CHANGED_FIELD.get(change)
            if field is None:
                drift.append(_change(entry['number'], change, entry['before'], entry['after']))
            else:
                drift.append(_change(entry['number'], change, entry['before'][field], entry['after'][field]))
    return drift


_CHANGED_FIELD = {'sms_enabled_changed': 'sms_enabled', 'url_changed': 'url'}


def number_changes(before, after):
    """Each number whose state differs between two views of the account, in number order:
    ``{number, change, changes, before, after}``.  ``changes`` lists every kind that
    applies (added, removed, sms_enabled_changed, url_changed, in that order), ``change``
    is the first; ``before`` and ``after`` are the number's full ``{sms_enabled, url}``,
    None where the number is absent."""
    old, new = {}, {}
    for view, records in ((old, before), (new, after)):
        for record in records:
            view.setdefault(record['number'], record)
    result = []
    for number in sorted(set(old) | set(new)):
        was, now = old.get(number), new.get(number)
        if was == now:  # the common case, decided without building states
            continue
        was, now = _state(was), _state(now)
        if was is None:
            changes = ['added']
        elif now is None:
            changes = ['removed']
        else:
            changes = [change for change, field in _CHANGED_FIELD.items() if was[field] != now[field]]
            if not changes:
                continue
        result.append({'number': number, 'change': changes[0], 'changes': changes, 'before': was, 'after': now})
    return result


def _state(record):
    """A number's state as changes show it; None for an absent number."""
    if record is None:
        return None
    return {'sms_enabled': bool(record['sms_enabled']), 'url': record.get('url') or None}


def _change(number, change, before, after):
    return {'number': number, 'change': change, 'before': before, 'after': after}


def remediation_plan(compliance, expected, default_url=None, default_url_regex=None, require_https=True,
                     expected_file=None):
    """Split a compliance result's failing numbers into those a listener URL write fixes
    and those it cannot, each with why.

    ``expected`` and the defaults must be those the compliance was evaluated with.
    Returns ``{fixes: [{number, url}], not_fixable: [{number, kinds, why}]}``, both in the
    order of the violations.
    """
    expectations = {expectation['number']: expectation
                    for expectation in normalise_expectations(expected, default_url, default_url_regex, require_https,
                                                              expected_file)}
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
    if _URL_KINDS.isdisjoint(kinds) and any(kind.startswith('listener_') for kind in kinds):
        return ('the listener at its URL has a problem (%s); a listener URL write cannot make it answer: '
                'fix the listener, its certificate or DNS, or expect another url'
                % ', '.join(kind for kind in kinds if kind.startswith('listener_')))
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
