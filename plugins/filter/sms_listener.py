# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sms_listener_* filters: the compliance rules (plugin_utils/_compliance.py) and
report renderers (plugin_utils/_reports.py) as Jinja filters, for the
sms_listener_compliance role and for playbooks that use them on their own; and the
check of the role's own variables (plugin_utils/_role_variables.py).

An adapter only, like a module's ``main``: it turns the rules' ComplianceError into
AnsibleFilterError and their warnings into Ansible's.  Documentation of each filter is in
the ``<filter name>.yml`` file next to this one.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display

from ansible_collections.dialogtech.api.plugins.plugin_utils import _reports, _role_variables
from ansible_collections.dialogtech.api.plugins.plugin_utils._compliance import (
    ComplianceError,
    evaluate,
    remediation_plan,
)

display = Display()


def _filter_call(rule, *args, **kwargs):
    try:
        return rule(*args, **kwargs)
    except ComplianceError as exc:
        raise AnsibleFilterError(str(exc)) from None


def sms_listener_compliance(numbers, expected, *args, **kwargs):
    return _filter_call(evaluate, numbers, expected, *args, warn=display.warning, **kwargs)


def sms_listener_remediation(compliance, expected, *args, **kwargs):
    return _filter_call(remediation_plan, compliance, expected, *args, **kwargs)


def sms_listener_role_variables(values, types, prefix, names, known):
    for name, closest in _role_variables.unknown_names(names, known, prefix):
        display.warning('%s is not a variable of the role, so it is ignored%s'
                        % (name, '; did you mean %s?' % closest if closest else ''))
    return _role_variables.wrong_values(values, types, prefix)


class FilterModule(object):
    def filters(self):
        return {
            'sms_listener_compliance': sms_listener_compliance,
            'sms_listener_table': _reports.table,
            'sms_listener_junit': _reports.junit,
            'sms_listener_markdown': _reports.markdown,
            'sms_listener_json': _reports.json_report,
            'sms_listener_remediation': sms_listener_remediation,
            'sms_listener_role_variables': sms_listener_role_variables,
        }
