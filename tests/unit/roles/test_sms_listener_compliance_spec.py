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


@pytest.fixture(scope='module')
def checked_types():
    """The types the role's first task checks its raw variables against."""
    return yaml.safe_load((ROLE / 'vars' / 'main.yml').read_text(encoding='utf-8'))[
        '__sms_listener_compliance_variable_types']


@pytest.mark.parametrize('name', sorted(CONNECTION_ARGUMENT_SPEC))
def test_each_connection_option_is_a_role_variable_of_the_same_type(role_options, checked_types, name):
    spec, role = CONNECTION_ARGUMENT_SPEC[name], role_options.get(PREFIX + name)
    assert role is not None, 'argument_specs.yml lacks %s%s' % (PREFIX, name)
    if role['type'] == 'raw':
        assert checked_types[PREFIX + name] == spec['type']
    else:
        assert role['type'] == spec['type']
        assert role.get('choices') == spec.get('choices')
    assert role.get('no_log', False) == spec.get('no_log', False)
    # Unset role variables leave the option to dialogtech_*, module_defaults and the environment.
    assert 'default' not in role and not role.get('required', False)


def test_the_raw_variables_are_exactly_those_the_first_task_checks(role_options, checked_types):
    assert sorted(name for name, option in role_options.items() if option['type'] == 'raw') == sorted(checked_types)


@pytest.mark.parametrize('name', sorted(CONNECTION_ARGUMENT_SPEC))
def test_each_connection_option_reaches_the_module(name):
    tasks = '\n'.join(path.read_text(encoding='utf-8') for path in sorted(ROLE.glob('[tv]a[sr]*/*.yml')))
    assert PREFIX + name in tasks, 'no task or variable of the role passes %s%s on' % (PREFIX, name)
