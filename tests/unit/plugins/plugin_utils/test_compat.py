# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Both paths of every compatibility function, on the ansible-core the tests run with:
the internal API as this ansible-core has it, and the public fallback as if it were gone."""

from __future__ import annotations

import uuid

import pytest

from ansible import constants as C
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.dialogtech.api.plugins.plugin_utils import _compat

try:
    from ansible.template import trust_as_template
except ImportError:  # before ansible-core 2.19 every string was a template
    def trust_as_template(text):
        return text

# As a playbook's variables arrive: templates marked trusted (ansible-core 2.19+).
VARIABLES = {'vault_key': 'AK-from-vault', 'dialogtech_access_key': trust_as_template('{{ vault_key }}'),
             'dialogtech_timeout': 7, 'unrelated': '{{ undefined_variable }}'}
NAMES = ('dialogtech_access_key', 'dialogtech_timeout', 'dialogtech_retries')
# ansible-core keeps definitions for the life of the process: a name no other test uses.
PLUGIN = 'ansible_collections.dialogtech.api.plugins.lookup.compat_test_%s' % uuid.uuid4().hex


class Lookup(object):
    """A lookup as ansible-core hands it over: with its run's templar, or without one."""

    def __init__(self, templar=None):
        if templar is not None:
            self._templar = templar


@pytest.mark.parametrize('path', ['internal templar', 'public fallback'])
def test_templated_variables_both_paths(path):
    lookup = Lookup(Templar(loader=DataLoader(), variables=VARIABLES) if path == 'internal templar' else None)
    assert _compat.templated_variables(lookup, VARIABLES, NAMES) == {
        'dialogtech_access_key': 'AK-from-vault', 'dialogtech_timeout': 7}


def test_templated_variables_without_any_of_the_names():
    assert _compat.templated_variables(Lookup(), {'other': '{{ x }}'}, NAMES) == {}


def test_definitions_internal_path_round_trip():
    definitions = {'on_missing': {'default': 'error', 'type': 'str'}}
    assert _compat.registered_definitions('lookup', PLUGIN) is None
    assert _compat.register_definitions('lookup', PLUGIN, definitions) is True
    assert _compat.registered_definitions('lookup', PLUGIN) == definitions


def test_definitions_public_fallback_when_the_internal_api_is_gone(monkeypatch):
    monkeypatch.setattr(C, 'config', object())
    assert _compat.registered_definitions('lookup', PLUGIN) is None
    assert _compat.register_definitions('lookup', PLUGIN, {'x': {}}) is False
