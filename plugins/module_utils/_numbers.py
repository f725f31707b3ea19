# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Phone number handling, free of third-party imports.

Kept apart from ``_client`` so that a lookup answered from the run cache never pays
for importing requests and defusedxml in every forked worker.
"""

from __future__ import annotations

import re

_NUMBER_SEPARATORS = re.compile(r'[\s().\-]+')
# [0-9], not \d or str.isdigit(): those take any script's digits (full-width, Arabic-Indic)
# and superscripts too, which the API does not and int() does not all read.
_DIGITS = re.compile(r'[0-9]+\Z')


def normalize_number(value):
    """Return a user-given number as the 10 digits the API uses, or raise ValueError.

    Accepts the ways people write US numbers: ``(555) 999-0000``, ``555.999.0000``,
    ``+1 555 999 0000``.  Anything else (letters, too few digits) is refused rather
    than guessed at.
    """
    text = str(value).strip()
    compact = _NUMBER_SEPARATORS.sub('', text)
    if compact.startswith('+1'):
        compact = compact[2:]
    elif len(compact) == 11 and compact.startswith('1'):
        compact = compact[1:]
    if len(compact) != 10 or not _DIGITS.match(compact):
        raise ValueError('%r is not a 10-digit US phone number%s'
                         % (text, octal_hint(value) if isinstance(value, int) and not isinstance(value, bool) else ''))
    return compact


def normalize_option_number(value):
    """normalize_number for a module's str option, to which an unquoted 0551234567 arrives
    as the decimal digits of the octal number YAML read: the error names what the user
    probably wrote, as it does for the lookup's and the role's numbers."""
    try:
        return normalize_number(value)
    except ValueError as exc:
        raise ValueError('%s%s' % (exc, octal_hint(value))) from None


def requested_numbers(values):
    """The numbers a module's ``numbers`` option (a list of str) asks for, normalised, each
    once, in the order asked (a dict used as an ordered set); ValueError for the first
    that is not a number, with the octal hint of normalize_option_number."""
    return dict.fromkeys(normalize_option_number(number) for number in values)


def by_number(records):
    """The account's records (dicts) keyed by number; should the API list a number twice,
    its first record counts, wherever numbers are picked."""
    index = {}
    for record in records:
        index.setdefault(record['number'], record)
    return index


def select(records, wanted):
    """``(found, missing)``: the records of the ``wanted`` numbers in the order asked, one
    per item asked (repeats included), and the wanted numbers the account lacks."""
    index = by_number(records)
    found, missing = [], []
    for number in wanted:
        if number in index:
            found.append(index[number])
        else:
            missing.append(number)
    return found, missing


def octal_hint(number):
    """YAML 1.1 reads an unquoted 0551234567 as the octal number 94714231, so the number an
    error shows is not the one the user wrote: name the one they probably did.

    ``number`` is the int YAML made, or its digits when a module's str option converted it;
    anything else gets no hint.
    """
    if not _DIGITS.match(str(number)):
        return ''
    written = '0%o' % int(number)
    if len(written) != 10:
        return ''
    return "; if you wrote %s unquoted, YAML read it as an octal number: quote it, '%s'" % (written, written)
