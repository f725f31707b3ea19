# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every use of an ansible-core API that is not a documented plugin interface, each with
its fallback to the public path.

What changes between ansible-core releases is in this file only; the unit tests of this
file run both paths of each function on every ansible-core of the support matrix.
"""

from __future__ import annotations

from ansible import constants as C


def templated_variables(lookup, variables, names):
    """The ``variables`` among ``names``, templated, for a lookup's ``set_options``.

    ansible-core hands lookups the play's variables untemplated (still on 2.21), so an
    option set as ``dialogtech_access_key: "{{ vault_key }}"`` would reach the API as
    that text.  LookupBase keeps the run's templar, with its loader and variables, in
    ``_templar``; without it a templar over the same variables does the same, minus
    lookups in the values that search the playbook's directories for files.
    """
    wanted = {name: variables[name] for name in names if name in variables}
    if not wanted:
        return wanted
    templar = getattr(lookup, '_templar', None)
    if templar is None:
        from ansible.template import Templar
        templar = Templar(loader=None, variables=variables)
    return {name: templar.template(value) for name, value in wanted.items()}


def registered_definitions(plugin_type, name):
    """The option definitions ansible-core holds for a plugin, or None.

    ``C.config`` is ansible-core's internal configuration manager.
    """
    config = getattr(C, 'config', None)
    try:
        if config.has_configuration_definition(plugin_type, name):
            return config.get_configuration_definitions(plugin_type, name)
    except AttributeError:
        pass
    return None


def register_definitions(plugin_type, name, definitions):
    """Hand ansible-core a plugin's option definitions before its loader builds them from
    the documentation; return whether it took them.

    Without the internal API, ansible-core parses the documentation as usual: only the
    time this saves each forked worker is lost.
    """
    config = getattr(C, 'config', None)
    try:
        if not config.has_configuration_definition(plugin_type, name):
            config.initialize_plugin_configuration_definitions(plugin_type, name, definitions)
        return True
    except AttributeError:
        return False
