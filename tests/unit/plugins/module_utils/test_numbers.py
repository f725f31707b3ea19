# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Phone number normalisation and picking numbers from the account."""

from __future__ import annotations


import pytest

from ansible_collections.dialogtech.api.plugins.module_utils._numbers import (
    by_number, normalize_number, octal_hint, select,
)


@pytest.mark.parametrize('value, expected', [
    ('5559990000', '5559990000'), ('(555) 999-0000', '5559990000'), ('555.999.0000', '5559990000'),
    ('+1 555 999 0000', '5559990000'), ('15559990000', '5559990000'), (' 555-999-0000 ', '5559990000'),
    (5559990000, '5559990000'), ('0559990000', '0559990000'),
])
def test_normalize_number_accepts(value, expected):
    assert normalize_number(value) == expected


# Digits are [0-9]: full-width, Arabic-Indic and superscript digits pass str.isdigit().
@pytest.mark.parametrize('value', ['555-999-000', 'abc', '+44 20 7946 0958', '', '1-800-FLOWERS',
                                   '555999000011', '25559990000', '555 999 0000 x12', '555²',
                                   '\uff15\uff15\uff15\uff19\uff19\uff19\uff10\uff10\uff10\uff10',
                                   '(５５５) ９９９-００００', '555999000\u0660', '555999000\u00b2'])
def test_normalize_number_refuses(value):
    with pytest.raises(ValueError, match='is not a 10-digit US phone number'):
        normalize_number(value)


@pytest.mark.parametrize('number, hint', [
    (94714231, "; if you wrote 0551234567 unquoted, YAML read it as an octal number: quote it, '0551234567'"),
    ('94714231', "; if you wrote 0551234567 unquoted, YAML read it as an octal number: quote it, '0551234567'"),
    (5559990000, ''), ('555²', ''), ('\uff19\uff14\uff17\uff11\uff14\uff12\uff13\uff11', ''), ('', ''),
])
def test_octal_hint_only_for_ascii_digits(number, hint):
    assert octal_hint(number) == hint


ACCOUNT = [{'number': '5559990000', 'url': 'a'}, {'number': '0559990002', 'url': 'b'},
           {'number': '5559990000', 'url': 'listed twice'}]


def test_by_number_keeps_the_first_record_of_a_number():
    assert by_number(ACCOUNT) == {'5559990000': ACCOUNT[0], '0559990002': ACCOUNT[1]}


def test_select_in_the_order_asked_with_the_missing_apart():
    found, missing = select(ACCOUNT, ['0559990002', '5559990009', '5559990000', '0559990002'])
    assert found == [ACCOUNT[1], ACCOUNT[0], ACCOUNT[1]]
    assert missing == ['5559990009']


def test_select_nothing_asked():
    assert select(ACCOUNT, []) == ([], [])
