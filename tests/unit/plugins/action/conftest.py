# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

# The action plugin resolves the lookup's options through the same loader.
from ansible_collections.dialogtech.api.tests.unit.plugins.lookup.conftest import (  # noqa: F401, pylint: disable=unused-import
    lookup_plugin_loader,
)
