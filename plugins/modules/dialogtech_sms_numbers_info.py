#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: dialogtech_sms_numbers_info
short_description: List the SMS numbers of a DialogTech account and their listener URLs
version_added: 0.1.0
description:
  - Calls the DialogTech API action C(sms.get_numbers) and returns every SMS number of
    the account with whether SMS is enabled and the listener URL inbound messages are
    forwarded to.
  - Reads only; never changes anything. It does not set facts; C(register) the result,
    or use the P(dialogtech.api.sms_listener_compliance#role) role, which sets facts.
  - The module talks to the API, not to the target host, so run it with
    C(delegate_to=localhost) and C(run_once=true).
author:
  - dialogtech.api contributors (@dialogtech-api)
options:
  numbers:
    description:
      - Return only these numbers, each once, in the order asked.
      - Formatted input such as V((555\) 999-0000) or V(+1 555 999 0000) is normalised to
        the 10 digits the API uses; anything that is not a 10-digit US number is an error.
      - Requested numbers the account does not have are left out and listed in
        RV(missing_numbers); compare RV(count) with how many numbers you asked for, or use
        the compliance role to catch them.
    type: list
    elements: str
  sms_enabled:
    description:
      - Return only numbers whose SMS is enabled (V(true)) or disabled (V(false)).
        By default both.
    type: bool
extends_documentation_fragment:
  - dialogtech.api.connection
attributes:
  check_mode:
    support: full
    description: Reads only, so check mode runs it normally.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  action_group:
    support: full
    membership:
      - dialogtech.api.dialogtech
      - dialogtech.api.sms_listener_compliance
    description:
      - Set the connection options once with C(module_defaults) for C(group/dialogtech.api.dialogtech).
      - The role P(dialogtech.api.sms_listener_compliance#role) hands its connection variables to
        the module as C(module_defaults) for C(group/dialogtech.api.sms_listener_compliance). That
        group is the role's own, and its task replaces whatever a play sets for it.
seealso:
  - plugin: dialogtech.api.dialogtech_sms_numbers
    plugin_type: lookup
'''

EXAMPLES = r'''
- name: Fetch the account's SMS numbers once, from the controller
  dialogtech.api.dialogtech_sms_numbers_info:
    access_key: "{{ vault_dialogtech_access_key }}"
    secret_access_key: "{{ vault_dialogtech_secret_access_key }}"
  delegate_to: localhost
  run_once: true
  register: sms

- name: Show each number and where its messages go
  ansible.builtin.debug:
    msg: "{{ item.number }} -> {{ item.url | default('no listener', true) }}"
  loop: "{{ sms.numbers }}"
  run_once: true

- name: Credentials from DIALOGTECH_ACCESS_KEY / DIALOGTECH_SECRET_ACCESS_KEY; only two numbers
  dialogtech.api.dialogtech_sms_numbers_info:
    numbers:
      - (555) 999-0000
      - +1 555 999 0001
  delegate_to: localhost
  run_once: true
  register: sms

- name: Set the credentials once for every DialogTech task of a play
  hosts: all
  module_defaults:
    group/dialogtech.api.dialogtech:
      access_key: "{{ vault_dialogtech_access_key }}"
      secret_access_key: "{{ vault_dialogtech_secret_access_key }}"
      http_method: POST
  tasks:
    - name: Numbers whose SMS is disabled
      dialogtech.api.dialogtech_sms_numbers_info:
        sms_enabled: false
      delegate_to: localhost
      run_once: true
      register: disabled

    - name: Fail when any is disabled
      ansible.builtin.assert:
        that: disabled.count == 0
        fail_msg: "SMS disabled on {{ disabled.numbers | map(attribute='number') | join(', ') }}"
      run_once: true
'''

RETURN = r'''
numbers:
  description:
    - The account's SMS numbers after the O(numbers) and O(sms_enabled) filters, in the
      order the API returned them, or with O(numbers) in the order asked.
  returned: success
  type: list
  elements: dict
  contains:
    number:
      description: The number as the API gives it, a string (leading zeros kept).
      type: str
      sample: '5559990000'
    sms_enabled:
      description: Whether SMS is enabled on the number.
      type: bool
      sample: true
    url:
      description: The listener URL inbound SMS is forwarded to; V(null) when none is set.
      type: str
      sample: http://example.net/sms_listener.php
  sample:
    - number: '5559990000'
      sms_enabled: true
      url: http://example.net/sms_listener.php
missing_numbers:
  description: The numbers asked for in O(numbers) that the account does not have.
  returned: success
  type: list
  elements: str
  sample: ['5559990001']
  version_added: 0.2.0
count:
  description: How many numbers RV(numbers) holds.
  returned: success
  type: int
  sample: 1
result_description:
  description: The API's own summary of the call.
  returned: success
  type: str
  sample: '[1] Number(s) Returned'
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dialogtech.api.plugins.module_utils._client import fetch_numbers, missing_libraries
from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._numbers import requested_numbers, select
from ansible_collections.dialogtech.api.plugins.module_utils._options import (
    CONNECTION_ARGUMENT_SPEC,
    module_connection,
)
from ansible_collections.dialogtech.api.plugins.module_utils._response import as_dicts


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CONNECTION_ARGUMENT_SPEC,
            numbers=dict(type='list', elements='str'),
            sms_enabled=dict(type='bool'),
        ),
        supports_check_mode=True,
    )
    for library, import_error in missing_libraries():
        module.fail_json(msg=missing_required_lib(library), exception=import_error)

    wanted = None
    if module.params['numbers'] is not None:
        try:
            wanted = requested_numbers(module.params['numbers'])
        except ValueError as exc:
            module.fail_json(msg='numbers: %s' % exc)

    options = module_connection(module)
    try:
        result = fetch_numbers(options)
    except DialogTechError as exc:
        module.fail_json(msg=str(exc))

    numbers, missing = as_dicts(result.numbers), []
    if wanted is not None:
        numbers, missing = select(numbers, wanted)
    sms_enabled = module.params['sms_enabled']
    if sms_enabled is not None:
        numbers = [number for number in numbers if number['sms_enabled'] == sms_enabled]
    module.exit_json(changed=False, numbers=numbers, count=len(numbers), missing_numbers=missing,
                     result_description=result.result_description)


if __name__ == '__main__':
    main()
