# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The check of the role's variables: wrong values in one line each, unknown names with
the closest known one."""

from __future__ import annotations

from pathlib import Path

import yaml

from ansible_collections.dialogtech.api.plugins.plugin_utils._role_variables import unknown_names, wrong_values

ROLE = Path(__file__).resolve().parents[4] / 'roles' / 'sms_listener_compliance'
PREFIX = 'sms_listener_compliance_'
KNOWN = list(yaml.safe_load((ROLE / 'meta' / 'argument_specs.yml').read_text(encoding='utf-8'))
             ['argument_specs']['main']['options'])
TYPES = yaml.safe_load((ROLE / 'vars' / 'main.yml').read_text(encoding='utf-8'))['__sms_listener_compliance_variable_types']


def test_right_values_of_any_accepted_form_give_no_line():
    values = {PREFIX + 'timeout': 10, PREFIX + 'total_timeout': '2.5', PREFIX + 'retries': '0',
              PREFIX + 'validate_certs': 'no', PREFIX + 'max_response_bytes': 1024.0, PREFIX + 'http_method': 'POST',
              PREFIX + 'require_https': 'false', PREFIX + 'remediate': True, PREFIX + 'report_only': None}
    assert wrong_values(values, TYPES, PREFIX) == []


def test_each_wrong_value_is_one_line_naming_the_variable_in_order():
    values = {PREFIX + 'timeout': 'ten', PREFIX + 'retries': -1, PREFIX + 'max_response_bytes': 2.5,
              PREFIX + 'validate_certs': 'maybe', PREFIX + 'http_method': 'put', PREFIX + 'report_only': 'sometimes',
              PREFIX + 'total_timeout': True}
    assert wrong_values(values, TYPES, PREFIX) == [
        "sms_listener_compliance_timeout: 'ten' is not a number",
        'sms_listener_compliance_retries: -1 must be 0 or more',
        'sms_listener_compliance_max_response_bytes: 2.5 is not a whole number',
        "sms_listener_compliance_validate_certs: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)",
        "sms_listener_compliance_http_method: 'put' must be GET or POST",
        "sms_listener_compliance_report_only: 'sometimes' is not a boolean (true/false, yes/no, on/off, 1/0)",
        'sms_listener_compliance_total_timeout: True is not a number',
    ]


def test_the_secret_is_never_shown():
    assert wrong_values({PREFIX + 'secret_access_key': 12345678}, {}, PREFIX) == [
        'sms_listener_compliance_secret_access_key: is not a string']


def test_unknown_names_get_the_closest_known_one_once_each():
    names = KNOWN + [PREFIX + 'expected_number', PREFIX + 'require_http', PREFIX + 'require_http',
                     PREFIX + 'zzz', PREFIX + 'acess_key']
    assert unknown_names(names, KNOWN, PREFIX) == [
        (PREFIX + 'acess_key', PREFIX + 'access_key'),
        (PREFIX + 'expected_number', PREFIX + 'expected_numbers'),
        (PREFIX + 'require_http', PREFIX + 'require_https'),
        (PREFIX + 'zzz', None),
    ]
    assert unknown_names(KNOWN, KNOWN, PREFIX) == []
