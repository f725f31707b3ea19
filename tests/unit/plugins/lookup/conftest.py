# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ansible.plugins.loader import init_plugin_loader, lookup_loader
from ansible.utils.collection_loader import AnsibleCollectionConfig

from ansible_collections.dialogtech.api.plugins.module_utils import _client

# The directory holding ansible_collections/dialogtech/api, as the tests import it.
COLLECTIONS_ROOT = str(Path(_client.__file__).parents[5])


@pytest.fixture(scope='session')
def lookup_plugin_loader():
    """Ansible's plugin loader over this collection, as in a playbook run.

    ansible-test installs Ansible's collection loader before any test imports; plain
    pytest imports ``ansible_collections`` from PYTHONPATH as ordinary namespace packages,
    without the collection metadata the plugin loader asks them for.  So the three
    package levels are dropped and re-imported through the collection loader; the
    modules below them stay as imported, so tests patch the very modules plugins use.
    """
    if AnsibleCollectionConfig.collection_finder is None:
        for name in ('ansible_collections.dialogtech.api', 'ansible_collections.dialogtech', 'ansible_collections'):
            sys.modules.pop(name, None)
        init_plugin_loader([COLLECTIONS_ROOT])
    return lookup_loader
