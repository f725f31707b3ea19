# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A role's variables checked before it does anything: values of the wrong type, and
names the role does not know.

ansible-core's own argument spec check prints the whole spec with a wrong type (8 KB on
one line), so the role declares such variables ``raw`` and checks them here, one line
each; and it ignores a misspelt variable silently, so the role warns, naming the closest
name it knows.  Pure: no Ansible import (the filter plugins/filter/sms_listener.py is
the adapter).
"""

from __future__ import annotations

import difflib

from ansible_collections.dialogtech.api.plugins.module_utils._options import (
    CONNECTION_ARGUMENT_SPEC,
    convert,
    convert_type,
)


def wrong_values(values, types, prefix):
    """One line for each variable of ``values`` (name: value, None for unset) that its type
    in ``types`` (bool, int, float, path, str) refuses, in the order of ``values``.

    A variable named ``prefix`` + a connection option is checked as that option (range,
    choices), and its value is not shown when the option is no_log.
    """
    lines = []
    for name, value in values.items():
        if value is None:
            continue
        option = name[len(prefix):] if name.startswith(prefix) else None
        if option in CONNECTION_ARGUMENT_SPEC:
            problem = convert(option, value)[1]
            shown = '' if CONNECTION_ARGUMENT_SPEC[option].get('no_log') else ' %r' % (value,)
        else:
            problem = convert_type(types[name], value)[1]
            shown = ' %r' % (value,)
        if problem:
            lines.append('%s:%s %s' % (name, shown, problem))
    return lines


def unknown_names(names, known, prefix):
    """(name, the closest name of ``known`` or None) for each name of ``names`` that
    ``known`` lacks, sorted, each once.  Names are compared without the ``prefix`` they
    all share, which would make any two of them look alike."""
    suffixes = {name[len(prefix):]: name for name in known if name.startswith(prefix)}
    unknown = []
    for name in sorted(set(names) - set(known)):
        closest = difflib.get_close_matches(name[len(prefix):], list(suffixes), n=1)
        unknown.append((name, suffixes[closest[0]] if closest else None))
    return unknown
