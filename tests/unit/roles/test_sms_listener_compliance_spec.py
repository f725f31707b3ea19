# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role's copies of the connection options held to the module's argument spec.

The role documents each connection option as sms_listener_compliance_<option> in its
argument_specs.yml and hands it on in tasks/main.yml; a new or retyped option must
change all of them, and this test says which one was forgotten.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.dialogtech.api.plugins.module_utils._options import CONNECTION_ARGUMENT_SPEC

ROLE = Path(__file__).resolve().parents[3] / 'roles' / 'sms_listener_compliance'
PREFIX = 'sms_listener_compliance_'


@pytest.fixture(scope='module')
def role_options():
    specs = yaml.safe_load((ROLE / 'meta' / 'argument_specs.yml').read_text(encoding='utf-8'))
    return specs['argument_specs']['main']['options']


@pytest.mark.parametrize('name', sorted(CONNECTION_ARGUMENT_SPEC))
def test_each_connection_option_is_a_role_variable_of_the_same_type(role_options, name):
    spec, role = CONNECTION_ARGUMENT_SPEC[name], role_options.get(PREFIX + name)
    assert role is not None, 'argument_specs.yml lacks %s%s' % (PREFIX, name)
    assert role['type'] == spec['type']
    assert role.get('no_log', False) == spec.get('no_log', False)
    # Unset role variables leave the option to the module's own default and fallbacks.
    assert 'default' not in role and not role.get('required', False)
    if 'choices' in spec:
        assert role.get('choices') == spec['choices']


@pytest.mark.parametrize('name', sorted(CONNECTION_ARGUMENT_SPEC))
def test_each_connection_option_reaches_the_module(name):
    tasks = '\n'.join(path.read_text(encoding='utf-8') for path in sorted(ROLE.glob('[tv]a[sr]*/*.yml')))
    assert PREFIX + name in tasks, 'no task or variable of the role passes %s%s on' % (PREFIX, name)
