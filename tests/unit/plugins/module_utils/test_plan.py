# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The listener URL check, and the plan and diff of what to write."""

from __future__ import annotations

import pytest

from ansible_collections.dialogtech.api.plugins.module_utils._plan import (
    MAX_URL_CHARS,
    Wanted,
    check_url,
    diff,
    merge,
    plan,
    predicted,
    unmet,
    wanted,
)

OLD, NEW = 'https://old.example.com/sms', 'https://new.example.com/sms'
RECORDS = [
    {'number': '5550001000', 'sms_enabled': True, 'url': OLD},
    {'number': '5550001001', 'sms_enabled': True, 'url': NEW},
    {'number': '5550001002', 'sms_enabled': False, 'url': None},
    {'number': '5550001003', 'sms_enabled': False, 'url': NEW},
]


@pytest.mark.parametrize('url', [
    'https://sms.example.com/listener', 'http://10.0.0.1:8080/sms?route=a&b=1', 'https://[::1]/sms',
    'HTTPS://sms.example.com', 'https://example.com/' + 'x' * (MAX_URL_CHARS - len('https://example.com/')),
])
def test_urls_the_api_takes(url):
    check_url(url)


@pytest.mark.parametrize('url, problem', [
    ('https://example.com/' + 'x' * (MAX_URL_CHARS + 1 - len('https://example.com/')),
     'url must be at most 1024 characters, not 1025'),
    ('ftp://files.example.com/sms', "url must be an absolute http:// or https:// URL without spaces, not "
                                    "'ftp://files.example.com/sms'"),
    ('/sms/listener', "not '/sms/listener'"),
    ('sms.example.com/listener', "not 'sms.example.com/listener'"),
    ('https://', "not 'https://'"),
    ('https://example.com:http/', "not 'https://example.com:http/'"),
    ('https://[::1/sms', "not 'https://[::1/sms'"),
    ('https://example.com/a b', "not 'https://example.com/a b'"),
    (' https://example.com/', "not ' https://example.com/'"),
    ('https://example.com/\n', "not 'https://example.com/\\n'"),
    ('', "not ''"),
])
def test_urls_refused_with_the_reason(url, problem):
    with pytest.raises(ValueError) as caught:
        check_url(url)
    assert problem in str(caught.value)


def test_wanted_normalises_the_number():
    assert wanted('+1 (555) 000-1000', NEW, 'present') == Wanted('5550001000', 'present', NEW)
    assert wanted('555.000.1001', None, 'absent') == Wanted('5550001001', 'absent', None)


@pytest.mark.parametrize('number, url, state, message', [
    ('5550001000', None, 'present', 'url is required for 5550001000 with state=present'),
    ('5550001000', NEW, 'absent', 'url is set for 5550001000 with state=absent, which turns SMS off and sets no URL'),
    ('555-CALL-NOW', NEW, 'present', "'555-CALL-NOW' is not a 10-digit US phone number"),
    # An unquoted 0551234567 reaches the module's str option as the digits of its octal value.
    (str(0o551234567), NEW, 'present', "'94714231' is not a 10-digit US phone number; if you wrote 0551234567 "
                                       "unquoted, YAML read it as an octal number: quote it, '0551234567'"),
    ('5550001000', NEW, 'gone', "state must be present or absent, not 'gone'"),
    ('5550001000', 'ftp://x', 'present', "not 'ftp://x'"),
])
def test_wanted_refuses_with_a_message(number, url, state, message):
    with pytest.raises(ValueError) as caught:
        wanted(number, url, state)
    assert message in str(caught.value)


def test_merge_keeps_the_first_order_and_drops_repeats():
    wants = [wanted('5550001001', NEW, 'present'), wanted('5550001000', None, 'absent'),
             wanted('(555) 000-1001', NEW, 'present')]
    assert merge(wants) == wants[:2]


def test_merge_refuses_a_number_wanted_two_ways():
    with pytest.raises(ValueError) as caught:
        merge([wanted('5550001000', NEW, 'present'), wanted('5550001000', OLD, 'present')])
    assert str(caught.value) == '5550001000 is listed twice with different url or state'


def test_plan_writes_only_what_differs():
    wants = [
        wanted('5550001000', NEW, 'present'),   # other URL: register
        wanted('5550001001', NEW, 'present'),   # as wanted
        wanted('5550001002', NEW, 'present'),   # SMS off: register
        wanted('5550001003', NEW, 'present'),   # right URL, but SMS off: register
        wanted('5550001001', None, 'absent'),   # repeated number, other want: planned as given
    ]
    changes, missing = plan(RECORDS, wants)
    assert missing == []
    assert changes == [
        {'number': '5550001000', 'action': 'register', 'before': {'sms_enabled': True, 'url': OLD},
         'after': {'sms_enabled': True, 'url': NEW}},
        {'number': '5550001002', 'action': 'register', 'before': {'sms_enabled': False, 'url': None},
         'after': {'sms_enabled': True, 'url': NEW}},
        {'number': '5550001003', 'action': 'register', 'before': {'sms_enabled': False, 'url': NEW},
         'after': {'sms_enabled': True, 'url': NEW}},
        {'number': '5550001001', 'action': 'unregister', 'before': {'sms_enabled': True, 'url': NEW},
         'after': {'sms_enabled': False, 'url': None}},
    ]


def test_absent_compares_only_whether_sms_is_on():
    changes, missing = plan(RECORDS, [wanted('5550001002', None, 'absent'), wanted('5550001003', None, 'absent')])
    assert changes == [] and missing == []


def test_plan_lists_numbers_the_account_lacks():
    changes, missing = plan(RECORDS, [wanted('5559999999', NEW, 'present'), wanted('5550001000', NEW, 'present'),
                                      wanted('5559999998', None, 'absent')])
    assert missing == ['5559999999', '5559999998']
    assert [change['number'] for change in changes] == ['5550001000']


def test_plan_uses_the_first_record_of_a_number_listed_twice():
    records = RECORDS + [{'number': '5550001000', 'sms_enabled': True, 'url': NEW}]
    assert [change['number'] for change in plan(records, [wanted('5550001000', NEW, 'present')])[0]] == ['5550001000']


def test_url_comparison_is_exact():
    changes, dummy = plan(RECORDS, [wanted('5550001001', NEW + '/', 'present')])
    assert [change['after']['url'] for change in changes] == [NEW + '/']


def test_unmet_after_writing():
    wants = [wanted('5550001000', OLD, 'present'), wanted('5550001001', OLD, 'present'),
             wanted('5550001002', None, 'absent'), wanted('5550001003', None, 'absent'),
             wanted('5559999999', None, 'absent')]
    assert unmet(RECORDS, wants) == ['5550001001', '5559999999']


def test_diff_shows_each_changed_number_before_and_after():
    changes, dummy = plan(RECORDS, [wanted('5550001000', NEW, 'present'), wanted('5550001001', NEW, 'present'),
                                    wanted('5550001001', None, 'absent')])
    assert diff(changes) == {
        'before': {'5550001000': {'sms_enabled': True, 'url': OLD}, '5550001001': {'sms_enabled': True, 'url': NEW}},
        'after': {'5550001000': {'sms_enabled': True, 'url': NEW}, '5550001001': {'sms_enabled': False, 'url': None}},
        'before_header': 'SMS numbers before', 'after_header': 'SMS numbers after'}
    assert diff([])['before'] == diff([])['after'] == {}


def test_predicted_is_the_wanted_numbers_after_the_changes():
    wants = [wanted('5550001002', NEW, 'present'), wanted('5550001001', NEW, 'present'),
             wanted('5559999999', NEW, 'present')]
    changes, dummy = plan(RECORDS, wants)
    assert predicted(RECORDS, wants, changes) == [
        {'number': '5550001002', 'sms_enabled': True, 'url': NEW},
        {'number': '5550001001', 'sms_enabled': True, 'url': NEW},
    ]
    assert RECORDS[2] == {'number': '5550001002', 'sms_enabled': False, 'url': None}
