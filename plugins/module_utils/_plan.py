# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What to write to make an account's numbers as wanted: the listener URL check, the
plan (which numbers differ, and how) and its diff.  Pure functions over the records
``as_dicts`` gives, so the module only reads, writes and reports."""

from __future__ import annotations

from collections import namedtuple

from ansible_collections.dialogtech.api.plugins.module_utils._numbers import by_number, normalize_option_number
from ansible_collections.dialogtech.api.plugins.module_utils._options import is_http_url

# The vendor's limit on the url parameter of sms.register_number.
MAX_URL_CHARS = 1024
PRESENT, ABSENT = 'present', 'absent'
REGISTER, UNREGISTER = 'register', 'unregister'

# ``url`` is None for ABSENT.
Wanted = namedtuple('Wanted', ['number', 'state', 'url'])


def check_url(url):
    """Raise ValueError unless ``url`` is an absolute http(s) URL the API accepts."""
    if len(url) > MAX_URL_CHARS:
        raise ValueError('url must be at most %d characters, not %d' % (MAX_URL_CHARS, len(url)))
    if not is_http_url(url) or any(character.isspace() for character in url):
        raise ValueError('url must be an absolute http:// or https:// URL without spaces, not %r' % url)


def wanted(number, url, state):
    """The Wanted of one ``{number, url, state}`` of the module's options; ValueError
    names what is wrong."""
    if state not in (PRESENT, ABSENT):
        raise ValueError('state must be %s or %s, not %r' % (PRESENT, ABSENT, state))
    number = normalize_option_number(number)
    if state == ABSENT:
        if url is not None:
            raise ValueError('url is set for %s with state=absent, which turns SMS off and sets no URL' % number)
        return Wanted(number, state, None)
    if url is None:
        raise ValueError('url is required for %s with state=present' % number)
    check_url(url)
    return Wanted(number, state, url)


def merge(wants):
    """The Wanted in the order given, each number once; a number wanted two different
    ways is a ValueError (which one should win is anyone's guess)."""
    merged = {}
    for want in wants:
        if merged.setdefault(want.number, want) != want:
            raise ValueError('%s is listed twice with different url or state' % want.number)
    return list(merged.values())


def state_of(record):
    """What the plan compares and the diff shows of a number."""
    return {'sms_enabled': record['sms_enabled'], 'url': record['url']}


def state_wanted(want):
    # Unregistering clears the listener URL (as sms.get_numbers shows disabled numbers).
    return {'sms_enabled': want.state == PRESENT, 'url': want.url}


def is_met(record, want):
    if want.state == ABSENT:
        return not record['sms_enabled']
    return record['sms_enabled'] and record['url'] == want.url


def plan(records, wants):
    """``(changes, missing)``: a ``{number, action, before, after}`` per wanted number the
    account shows otherwise, and the wanted numbers the account does not have."""
    index = by_number(records)
    changes, missing = [], []
    for want in wants:
        record = index.get(want.number)
        if record is None:
            missing.append(want.number)
        elif not is_met(record, want):
            changes.append({'number': want.number, 'action': REGISTER if want.state == PRESENT else UNREGISTER,
                            'before': state_of(record), 'after': state_wanted(want)})
    return changes, missing


def unmet(records, wants):
    """The wanted numbers the account does not show as wanted (absent ones included)."""
    index = by_number(records)
    return [want.number for want in wants if want.number not in index or not is_met(index[want.number], want)]


def diff(changes):
    """Ansible's diff of the changes: before and after of each changed number."""
    return {'before': {change['number']: change['before'] for change in changes},
            'after': {change['number']: change['after'] for change in changes},
            'before_header': 'SMS numbers before', 'after_header': 'SMS numbers after'}


def predicted(records, wants, changes):
    """The wanted numbers' records as they will be once ``changes`` are written."""
    index = by_number(records)
    after = {change['number']: change['after'] for change in changes}
    return [dict(index[want.number], **after.get(want.number, {})) for want in wants if want.number in index]
