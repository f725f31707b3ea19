# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redaction of the secret from every text."""

from __future__ import annotations

from ansible_collections.dialogtech.api.plugins.module_utils._redaction import redact
from ansible_collections.dialogtech.api.tests.unit.helpers import (
    SECRET, SECRET_FORMS,
)


def test_redact_every_form():
    text = 'a %s b %s c %s d' % SECRET_FORMS
    assert redact(text, SECRET) == 'a ******** b ******** c ******** d'


def test_redact_query_parameter_whatever_its_value():
    url = 'https://h/ibp_api.php?access_key=k&secret_access_key=other%2Bvalue&x=1'
    assert redact(url, SECRET) == 'https://h/ibp_api.php?access_key=k&secret_access_key=********&x=1'
    assert redact("{'secret_access_key': 'zzz'}", '') == "{'secret_access_key': 'zzz'}"
    assert redact('secret_access_key=zzz', None) == 'secret_access_key=********'


def test_redact_html_escaped_secret():
    secret = 'a&b<c>"d'
    assert redact('<p>a&amp;b&lt;c&gt;&quot;d</p> and a&b<c>"d', secret) == '<p>********</p> and ********'


def test_redact_without_secret_leaves_text():
    assert redact('nothing to hide', '') == 'nothing to hide'
