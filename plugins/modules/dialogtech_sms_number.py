#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: dialogtech_sms_number
short_description: Set where the inbound SMS of DialogTech numbers are forwarded, or turn SMS off
version_added: 0.2.0
description:
  - Makes SMS numbers of a DialogTech account forward their inbound messages to a listener
    URL (O(state=present)), or turns their SMS off (O(state=absent)).
  - Reads the account once with the API action C(sms.get_numbers), writes only the
    numbers that differ (C(sms.register_number), C(sms.unregister_number)), then reads the
    account once more and fails unless it shows every number as wanted.
  - For many numbers use O(numbers) in one task, not a loop. Each task reads the whole
    account, so a loop over 500 numbers reads it 500 times.
  - A number the account does not have fails the task before anything is written;
    numbers are bought in the DialogTech web UI, not through this API.
  - The module talks to the API, not to the target host, so run it with
    C(delegate_to=localhost) and C(run_once=true).
  - After a write, answers of the P(dialogtech.api.dialogtech_sms_numbers#lookup) lookup
    cached for the playbook run are dropped (by the module's action plugin, on the
    controller), so a later lookup in the same run sees the change.
author:
  - dialogtech.api contributors (@dialogtech-api)
options:
  number:
    description:
      - The number to manage. Formatted input such as V((555\) 999-0000) or
        V(+1 555 999 0000) is normalised to the 10 digits the API uses.
      - Exactly one of O(number) and O(numbers) is required.
    type: str
  url:
    description:
      - Where the inbound SMS of O(number) are posted. Required with O(state=present),
        not allowed with O(state=absent).
      - An absolute V(http://) or V(https://) URL of at most 1024 characters; checked
        before any API call.
    type: str
  state:
    description:
      - V(present) enables SMS on O(number) and forwards it to O(url); V(absent) turns
        SMS off.
    type: str
    default: present
    choices: [present, absent]
  numbers:
    description:
      - Many numbers in one task, each with its own O(numbers[].url) and
        O(numbers[].state). One read covers them all, and only those that differ are
        written.
      - A number listed twice must be wanted the same way both times.
    type: list
    elements: dict
    suboptions:
      number:
        description: The number, as for O(number).
        type: str
        required: true
      url:
        description: The listener URL, as for O(url).
        type: str
      state:
        description: As O(state).
        type: str
        default: present
        choices: [present, absent]
extends_documentation_fragment:
  - dialogtech.api.connection
attributes:
  check_mode:
    support: full
    description: Reads the account and reports what it would write, in RV(changes); writes nothing.
  diff_mode:
    support: full
    description: Shows the SMS state (C(sms_enabled), C(url)) of each changed number before and after.
  action_group:
    support: full
    membership:
      - dialogtech.api.dialogtech
      - dialogtech.api.sms_listener_compliance
    description: Set the connection options once with C(module_defaults) for C(group/dialogtech.api.dialogtech).
notes:
  - A write is never retried once the API may have received it (a timeout while waiting
    for the answer, a connection closed after sending, an HTTP 5xx other than 503);
    writing twice is not safe to assume harmless. The module reads the account instead,
    succeeds with a warning if it shows the wanted state, and fails otherwise.
  - If a write fails, the task fails at once, listing in RV(changes) the writes made
    before it; rerun it once the cause is fixed.
  - The lookup's cached answers are dropped from the default run cache directory, or
    from the C(dialogtech_run_cache_dir) variable's, E(DIALOGTECH_RUN_CACHE_DIR)'s or
    C(ansible.cfg)'s; a lookup given another O(dialogtech.api.dialogtech_sms_numbers#lookup:run_cache_dir)
    as a keyword keeps its answer for the run.
seealso:
  - module: dialogtech.api.dialogtech_sms_numbers_info
  - plugin: dialogtech.api.dialogtech_sms_numbers
    plugin_type: lookup
'''

EXAMPLES = r'''
- name: Forward a number's inbound SMS to the new listener
  dialogtech.api.dialogtech_sms_number:
    number: (555) 999-0000
    url: https://sms.example.com/listener
  delegate_to: localhost
  run_once: true

- name: Turn SMS off for a retired number
  dialogtech.api.dialogtech_sms_number:
    number: '5559990002'
    state: absent
  delegate_to: localhost
  run_once: true

- name: Point every gateway's number at its own listener in one task (one read, not one per number)
  dialogtech.api.dialogtech_sms_number:
    numbers: "{{ groups['sms_gateways'] | map('extract', hostvars) | map(attribute='sms_route') | list }}"
  delegate_to: localhost
  run_once: true
  # Each gateway's host_vars hold its sms_route, for example
  # {number: '5559990000', url: 'https://gateway-a.example.com/sms'}

- name: A list written out, credentials once for the play's DialogTech tasks
  module_defaults:
    group/dialogtech.api.dialogtech:
      access_key: "{{ vault_dialogtech_access_key }}"
      secret_access_key: "{{ vault_dialogtech_secret_access_key }}"
      http_method: POST
  dialogtech.api.dialogtech_sms_number:
    numbers:
      - number: '5559990000'
        url: https://sms.example.com/listener
      - number: '5559990001'
        url: https://sms.example.com/listener
      - number: '5559990002'
        state: absent
  delegate_to: localhost
  run_once: true
  register: sms

- name: Show what was written
  ansible.builtin.debug:
    msg: "{{ item.number }}: {{ item.action }} ({{ item.before.url }} -> {{ item.after.url }})"
  loop: "{{ sms.changes }}"
  run_once: true
'''

RETURN = r'''
numbers:
  description:
    - The managed numbers, each once in the order given, as the account shows them after
      the task; in check mode, as they would be after the changes.
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
      sample: https://sms.example.com/listener
changes:
  description:
    - One entry per number written or, in check mode, to be written; empty when every
      number was already as wanted. When a write fails, the writes made before it.
  returned: always
  type: list
  elements: dict
  contains:
    number:
      description: The number.
      type: str
      sample: '5559990000'
    action:
      description: V(register) (C(sms.register_number)) or V(unregister) (C(sms.unregister_number)).
      type: str
      sample: register
    before:
      description: C(sms_enabled) and C(url) of the number before.
      type: dict
      sample: {sms_enabled: true, url: http://old.example.com/sms.php}
    after:
      description: C(sms_enabled) and C(url) wanted; C(url) is V(null) once SMS is off.
      type: dict
      sample: {sms_enabled: true, url: https://sms.example.com/listener}
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dialogtech.api.plugins.module_utils._client import (
    fetch_numbers,
    missing_libraries,
    register_number,
    unregister_number,
)
from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError, UncertainOutcome
from ansible_collections.dialogtech.api.plugins.module_utils._numbers import select
from ansible_collections.dialogtech.api.plugins.module_utils._options import (
    CONNECTION_ARGUMENT_SPEC,
    module_connection,
)
from ansible_collections.dialogtech.api.plugins.module_utils._plan import (
    REGISTER,
    diff,
    merge,
    plan,
    predicted,
    unmet,
    wanted,
)
from ansible_collections.dialogtech.api.plugins.module_utils._response import as_dicts

_STATES = ['present', 'absent']


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CONNECTION_ARGUMENT_SPEC,
            number=dict(type='str'),
            url=dict(type='str'),
            state=dict(type='str', default='present', choices=_STATES),
            numbers=dict(type='list', elements='dict', options=dict(
                number=dict(type='str', required=True),
                url=dict(type='str'),
                state=dict(type='str', default='present', choices=_STATES),
            )),
        ),
        mutually_exclusive=[('number', 'numbers'), ('url', 'numbers'), ('state', 'numbers')],
        required_one_of=[('number', 'numbers')],
        supports_check_mode=True,
    )
    for library, import_error in missing_libraries():
        module.fail_json(msg=missing_required_lib(library), exception=import_error)
    wants = wanted_numbers(module)
    options = module_connection(module, changes=[])

    try:
        records = as_dicts(fetch_numbers(options).numbers)
    except DialogTechError as exc:
        module.fail_json(msg=str(exc), changes=[])
    changes, missing = plan(records, wants)
    if missing:
        module.fail_json(msg='the account has no SMS number %s: numbers are bought in the DialogTech web UI, '
                             'not through the API; nothing was written' % ', '.join(missing), changes=[])
    result = dict(changed=bool(changes), changes=changes)
    if module._diff:
        result['diff'] = diff(changes)
    if module.check_mode or not changes:
        module.exit_json(numbers=predicted(records, wants, changes), **result)

    uncertain = write(module, options, changes)
    try:
        records = as_dicts(fetch_numbers(options).numbers)
    except DialogTechError as exc:
        module.fail_json(msg='wrote %d change(s) but could not read the account back to confirm them: %s'
                             % (len(changes), exc), **result)
    for number in unmet(records, wants):
        module.fail_json(msg=uncertain.get(number, 'wrote %s, but the account does not show it as wanted '
                                                   'afterwards' % number), **result)
    for number, message in uncertain.items():
        module.warn('the answer to the write of %s was lost (%s); the account now shows it as wanted'
                    % (number, message))
    module.exit_json(numbers=select(records, [want.number for want in wants])[0], **result)


def wanted_numbers(module):
    """The Wanted of the task's number or numbers; fails the task on bad input."""
    params = module.params
    try:
        if params['numbers'] is None:
            return [wanted(params['number'], params['url'], params['state'])]
    except ValueError as exc:
        module.fail_json(msg=str(exc), changes=[])
    wants = []
    for position, item in enumerate(params['numbers']):
        try:
            wants.append(wanted(item['number'], item['url'], item['state']))
        except ValueError as exc:
            module.fail_json(msg='numbers[%d]: %s' % (position, exc), changes=[])
    try:
        return merge(wants)
    except ValueError as exc:
        module.fail_json(msg='numbers: %s' % exc, changes=[])


def write(module, options, changes):
    """Write the changes in order; return {number: message} for those whose outcome is
    unknown.  A write that fails outright fails the task, listing the writes before it."""
    uncertain = {}
    for done, change in enumerate(changes):
        number = change['number']
        try:
            if change['action'] == REGISTER:
                register_number(options, number, change['after']['url'])
            else:
                unregister_number(options, number)
        except UncertainOutcome as exc:
            uncertain[number] = '%s %s, outcome unknown: %s' % (change['action'], number, exc)
        except DialogTechError as exc:
            module.fail_json(msg='%s %s: %s; %d earlier change(s) written, none after it'
                                 % (change['action'], number, exc, done),
                             changed=bool(done), changes=changes[:done])
    return uncertain


if __name__ == '__main__':
    main()
