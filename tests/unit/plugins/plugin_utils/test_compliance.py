# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules module stands on its own: an ansible-rulebook event source has no filter
loader and no templating, only the collection's folder on sys.path."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.dialogtech.api.plugins.plugin_utils import _compliance

# .../ansible_collections/dialogtech/api/plugins/plugin_utils/_compliance.py -> the folder
# holding ansible_collections, which is all an event source puts on sys.path.
COLLECTIONS_ROOT = os.path.abspath(os.path.join(os.path.dirname(_compliance.__file__), *(['..'] * 5)))

IMPORT_AS_AN_EVENT_SOURCE = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance import account_drift
drift = account_drift([{'number': '5559990000', 'sms_enabled': True, 'url': 'https://a.example.com/'}],
                      [{'number': '5559990000', 'sms_enabled': True, 'url': 'https://b.example.com/'}])
print(json.dumps({'drift': drift, 'loaded': sorted(name for name in sys.modules
                                                    if name.startswith(('ansible.plugins', 'ansible.template',
                                                                        'ansible.utils.display')))}))
'''


def test_drift_imports_without_ansible_plugin_machinery():
    # -I: no user site, no PYTHONPATH, no current folder: only what the script adds.
    result = subprocess.run([sys.executable, '-I', '-c', IMPORT_AS_AN_EVENT_SOURCE, COLLECTIONS_ROOT],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer['drift'] == [{'number': '5559990000', 'change': 'url_changed',
                                'before': 'https://a.example.com/', 'after': 'https://b.example.com/'}]
    assert answer['loaded'] == []


def test_rules_raise_their_own_error_type():
    with pytest.raises(_compliance.ComplianceError, match=r'expected_numbers\[0\].*not a valid'):
        _compliance.normalise_expectations([{'number': '5559990000', 'url_regex': '('}])
    assert issubclass(_compliance.ComplianceError, ValueError)


def test_a_missing_previous_report_is_handed_to_the_warning_callback(tmp_path):
    warnings = []
    result = _compliance.evaluate([], ['5559990000'], previous_report=str(tmp_path / 'none.json'),
                                  warn=warnings.append)
    assert result['drift'] == [] and result['previous_report'] is None
    assert warnings == ['previous report %s does not exist (the first run?); drift since it is not checked'
                        % (tmp_path / 'none.json')]


BROKEN_ACCOUNT = [
    {'number': '5552000001', 'sms_enabled': False, 'url': 'https://sms.example.com/listener'},
    {'number': '5552000004', 'sms_enabled': True, 'url': 'http://sms.example.com/listener'},
    {'number': '5552000005', 'sms_enabled': True, 'url': 'https://old.example.com/listener'},
]
BROKEN_CSV = ('number,url_regex\n5552000001,\n5552000004,https?://sms[.]example[.]com/listener\n'
              '5552000005,\n5552000006,\n')


@pytest.mark.parametrize('listed', [[], ['5552000001'], ['5552000001', '5552000005']],
                         ids=['file', 'both', 'both-overlapping'])
def test_remediation_plan_knows_the_numbers_of_the_expected_file(tmp_path, listed):
    # A number known only from the file had no expectation: 'NoneType' object is not subscriptable.
    path = tmp_path / 'expected.csv'
    path.write_text(BROKEN_CSV)
    settings = dict(default_url='https://sms.example.com/listener', expected_file=str(path))
    compliance = _compliance.evaluate(BROKEN_ACCOUNT, listed, **settings)
    assert _compliance.remediation_plan(compliance, listed, **settings) == {
        'fixes': [{'number': '5552000001', 'url': 'https://sms.example.com/listener'},
                  {'number': '5552000005', 'url': 'https://sms.example.com/listener'}],
        'not_fixable': [
            {'number': '5552000004', 'kinds': ['insecure_url'],
             'why': 'no exact url is expected (only a url_regex, or none), so there is no URL to set'},
            {'number': '5552000006', 'kinds': ['missing_number'],
             'why': 'the account does not have the number; numbers are bought in the DialogTech web UI'}]}


def test_number_changes_give_every_kind_and_full_states_and_agree_with_the_drift():
    before = [{'number': '5550000001', 'sms_enabled': True, 'url': 'https://a.example.com/'},
              {'number': '5550000002', 'sms_enabled': True, 'url': 'https://a.example.com/'},
              {'number': '5550000003', 'sms_enabled': False, 'url': ''},
              {'number': '5550000004', 'sms_enabled': 1, 'url': None},
              {'number': '5550000005', 'sms_enabled': True, 'url': 'https://same.example.com/'}]
    after = [{'number': '5550000006', 'sms_enabled': True, 'url': 'https://new.example.com/'},
             {'number': '5550000005', 'sms_enabled': True, 'url': 'https://same.example.com/'},
             {'number': '5550000004', 'sms_enabled': True, 'url': ''},
             {'number': '5550000003', 'sms_enabled': True, 'url': 'https://b.example.com/'},
             {'number': '5550000002', 'sms_enabled': True, 'url': 'https://b.example.com/'}]
    changes = _compliance.number_changes(before, after)
    assert changes == [
        {'number': '5550000001', 'change': 'removed', 'changes': ['removed'],
         'before': {'sms_enabled': True, 'url': 'https://a.example.com/'}, 'after': None},
        {'number': '5550000002', 'change': 'url_changed', 'changes': ['url_changed'],
         'before': {'sms_enabled': True, 'url': 'https://a.example.com/'},
         'after': {'sms_enabled': True, 'url': 'https://b.example.com/'}},
        {'number': '5550000003', 'change': 'sms_enabled_changed', 'changes': ['sms_enabled_changed', 'url_changed'],
         'before': {'sms_enabled': False, 'url': None}, 'after': {'sms_enabled': True, 'url': 'https://b.example.com/'}},
        {'number': '5550000006', 'change': 'added', 'changes': ['added'],
         'before': None, 'after': {'sms_enabled': True, 'url': 'https://new.example.com/'}},
    ]
    # The role's drift is the same detection, one entry per kind with the changed value.
    assert [(entry['number'], entry['change']) for entry in _compliance.account_drift(before, after)] == [
        ('5550000001', 'removed'), ('5550000002', 'url_changed'), ('5550000003', 'sms_enabled_changed'),
        ('5550000003', 'url_changed'), ('5550000006', 'added')]
    assert _compliance.account_drift(before, after)[2:4] == [
        {'number': '5550000003', 'change': 'sms_enabled_changed', 'before': False, 'after': True},
        {'number': '5550000003', 'change': 'url_changed', 'before': None, 'after': 'https://b.example.com/'}]
    assert _compliance.number_changes(after, after) == []
