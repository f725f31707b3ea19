#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
module: dialogtech_sms_listener_info
short_description: Check that something answers at SMS listener URLs
version_added: 0.2.0
description:
  - Sends one read-only C(HEAD) (or C(GET)) request to each distinct listener URL and
    reports whether a listener answers there, and if not, why.
  - The URLs are given in O(urls), or read from the account in one API call
    (C(sms.get_numbers)) for the numbers in O(numbers).
  - A probe sends no DialogTech credentials, no cookies and no body, follows no
    redirect (it reports the target), reads the status line and headers only, and sends
    a C(User-Agent) naming the collection and its version.
  - A URL whose host resolves to an address DialogTech could never deliver to
    (loopback, private, link-local, multicast, unspecified or another non-global address,
    also inside an IPv4-mapped IPv6 address) is reported as V(private_address) and not
    contacted, unless O(allow_private_addresses) is set. The request then goes to the very
    address that was checked, with the URL's host name for SNI, the certificate check and
    the C(Host) header; there is no second DNS lookup.
  - The probe sees the listener from the controller, not from DialogTech's network; a
    firewall that lets only DialogTech in, or one that keeps it out, is not seen.
  - Reads only; never changes anything.
author:
  - dialogtech.api contributors (@dialogtech-api)
options:
  urls:
    description:
      - The listener URLs to probe. Each distinct URL is probed once; RV(listeners) has one
        item per distinct URL, in the order of first appearance.
      - Mutually exclusive with O(numbers). With neither, the URLs of every SMS-enabled
        number of the account are probed.
    type: list
    elements: str
  numbers:
    description:
      - Read the account once and probe the listener URLs of these numbers (those with SMS
        enabled and a URL). Formatted input such as V((555\) 999-0000) is normalised to the
        10 digits the API uses; anything else is an error.
      - When neither O(numbers) nor O(urls) is given, every SMS-enabled number of the
        account is checked.
      - Needs the connection options (O(access_key), O(secret_access_key), ...), as
        M(dialogtech.api.dialogtech_sms_numbers_info) does.
    type: list
    elements: str
  timeout:
    description:
      - Seconds one probe may take, from the DNS lookup to the end of the response
        headers, the connection and the TLS handshake included; a listener that accepts and
        never answers ends its probe after this long with V(timeout).
      - In O(numbers) mode also the API call's timeout for the connection and each read,
        as for the other modules; their default of 30 seconds is 10 here, which the API
        needs far less than.
      - If not set, the E(DIALOGTECH_TIMEOUT) environment variable is used, else V(10).
    type: float
  workers:
    description:
      - How many probes run at once. A listener that never answers holds one worker for
        O(timeout) while the others go on.
    type: int
    default: 16
  method:
    description:
      - The request method. V(HEAD) asks for no body; some servers answer V(HEAD) wrongly,
        and V(GET) is then closer to what DialogTech sends. The body of a C(GET) answer is
        never read.
    type: str
    default: HEAD
    choices: [HEAD, GET]
  certificate_min_days:
    description:
      - An HTTPS listener that answers but whose certificate expires in fewer days than
        this is reported as V(certificate_expiring).
    type: int
    default: 14
  allow_private_addresses:
    description:
      - Probe URLs that resolve to loopback, private, link-local and other non-global
        addresses too.
      - For labs and tests only. Off, nobody holding the account's keys can make the
        controller send requests into internal networks (cloud metadata services live
        on 169.254.169.254), and such a URL is a problem anyway since DialogTech, on the
        internet, cannot deliver to it.
    type: bool
    default: false
extends_documentation_fragment:
  - dialogtech.api.connection
notes:
  - O(validate_certs) and O(ca_path) apply to the probes and to the API call alike. Without
    O(ca_path), the probes trust the same CAs as the API call (E(REQUESTS_CA_BUNDLE),
    E(CURL_CA_BUNDLE), the C(certifi) bundle) and else the system's.
  - When a certificate fails verification, a second handshake with the same address, this
    time without verification, reads its expiry for RV(listeners[].tls.not_after); no
    request is sent over it.
  - Probes do not use the proxy environment variables; they go straight to the listener.
  - Messages and what to do about them are described in C(docs/troubleshooting.md).
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
seealso:
  - module: dialogtech.api.dialogtech_sms_numbers_info
  - module: dialogtech.api.dialogtech_sms_number
'''

EXAMPLES = r'''
- name: Probe two listeners
  dialogtech.api.dialogtech_sms_listener_info:
    urls:
      - https://sms.example.com/inbound
      - https://sms-backup.example.com/inbound
  delegate_to: localhost
  run_once: true
  register: probe

- name: Fail unless every listener answers
  ansible.builtin.assert:
    that: probe.listeners | selectattr('problem') | list | length == 0
    fail_msg: "{{ probe.listeners | selectattr('problem') | map(attribute='message') | join('; ') }}"
  run_once: true

- name: Probe the listeners of every SMS-enabled number of the account
  dialogtech.api.dialogtech_sms_listener_info:
    access_key: "{{ vault_dialogtech_access_key }}"
    secret_access_key: "{{ vault_dialogtech_secret_access_key }}"
    certificate_min_days: 30
  delegate_to: localhost
  run_once: true
  register: probe

- name: Numbers whose listener has a problem
  ansible.builtin.debug:
    msg: "{{ probe.numbers | selectattr('problem') | map(attribute='number') | list }}"
  run_once: true
'''

RETURN = r'''
listeners:
  description: One item per distinct URL probed, in the order of first appearance.
  returned: success
  type: list
  elements: dict
  contains:
    url:
      description: The URL as given.
      type: str
      sample: https://sms.example.com/inbound
    problem:
      description:
        - V(null) when a listener answers (2xx, 3xx, 401, 403 or 405), else one of
          V(invalid_url), V(unresolvable), V(private_address), V(unreachable) (refused or
          reset), V(timeout), V(tls_invalid), V(not_found) (404 or 410), V(http_error)
          (5xx and any other status) or V(certificate_expiring) (answers, but the
          certificate expires within O(certificate_min_days)).
      type: str
      sample: null
    message:
      description: One line saying what the probe found, for people.
      type: str
      sample: HTTP 405 Method Not Allowed
    status:
      description: The HTTP status of the answer, or V(null) when there was none.
      type: int
      sample: 405
    addresses:
      description: The IP addresses the URL's host name resolved to; empty when it did not.
      type: list
      elements: str
      sample: ['203.0.113.10']
    tls:
      description: V(null) for V(http://) URLs, else what the TLS handshake showed.
      type: dict
      contains:
        verified:
          description: Whether the certificate was verified (V(false) with O(validate_certs=false)).
          type: bool
        error:
          description: Why verification or the handshake failed, else V(null).
          type: str
        not_after:
          description: When the certificate expires (UTC, ISO 8601), V(null) when unknown.
          type: str
          sample: '2027-03-01T12:00:00Z'
        days_left:
          description: Whole days until then; negative once expired. V(null) when unknown.
          type: int
          sample: 84
    elapsed_ms:
      description: How long the probe took, in milliseconds.
      type: int
      sample: 38
  sample:
    - url: https://sms.example.com/inbound
      problem: null
      message: HTTP 405 Method Not Allowed
      status: 405
      addresses: ['203.0.113.10']
      tls: {verified: true, error: null, not_after: '2027-03-01T12:00:00Z', days_left: 84}
      elapsed_ms: 38
numbers:
  description:
    - Without O(urls), the numbers checked (those asked in O(numbers), else every
      SMS-enabled number of the account) with the problem of their listener.
  returned: when O(urls) is not given
  type: list
  elements: dict
  contains:
    number:
      description: The number, 10 digits.
      type: str
    sms_enabled:
      description: Whether SMS is enabled on the number.
      type: bool
    url:
      description: The number's listener URL, V(null) when none is set.
      type: str
    problem:
      description:
        - The RV(listeners[].problem) of its URL; V(null) when the listener answers and
          for a number that was not probed (SMS disabled or no URL).
      type: str
  sample:
    - number: '5559990000'
      sms_enabled: true
      url: https://sms.example.com/inbound
      problem: null
missing_numbers:
  description: The numbers asked for in O(numbers) that the account does not have.
  returned: when O(urls) is not given
  type: list
  elements: str
  sample: ['5559990001']
'''

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._numbers import requested_numbers, select
from ansible_collections.dialogtech.api.plugins.module_utils._options import (
    CONNECTION_ARGUMENT_SPEC,
    module_connection,
)
from ansible_collections.dialogtech.api.plugins.module_utils._probe import METHODS, probe_all
from ansible_collections.dialogtech.api.plugins.module_utils._response import as_dicts


# The probes' default; the API call's is 30 s in the other modules, far more than it needs.
PROBE_TIMEOUT = 10


def main():
    module = AnsibleModule(
        argument_spec=dict(
            CONNECTION_ARGUMENT_SPEC,
            urls=dict(type='list', elements='str'),
            numbers=dict(type='list', elements='str'),
            workers=dict(type='int', default=16),
            method=dict(type='str', default='HEAD', choices=list(METHODS)),
            certificate_min_days=dict(type='int', default=14),
            allow_private_addresses=dict(type='bool', default=False),
        ),
        mutually_exclusive=[('urls', 'numbers')],
        supports_check_mode=True,
    )
    params = module.params
    wanted = None
    if params['numbers'] is not None:
        try:
            wanted = requested_numbers(params['numbers'])
        except ValueError as exc:
            module.fail_json(msg='numbers: %s' % exc)
    # Probing urls needs no credentials; in numbers mode the API call does.
    options = module_connection(module, defaults={'timeout': PROBE_TIMEOUT}, credentials=params['urls'] is None)
    for name, value in (('timeout', options.timeout), ('workers', params['workers'])):
        if not value > 0:
            module.fail_json(msg='%s must be greater than 0' % name)

    numbers = missing = None
    if params['urls'] is not None:
        urls = params['urls']
    else:
        numbers, missing = _account_numbers(module, options, wanted)
        urls = [number['url'] for number in numbers if number['sms_enabled'] and number['url']]

    try:
        listeners = probe_all(urls, timeout=options.timeout, workers=params['workers'], method=params['method'],
                              validate_certs=options.validate_certs, ca_path=options.ca_path,
                              certificate_min_days=params['certificate_min_days'],
                              allow_private_addresses=params['allow_private_addresses'])
    except DialogTechError as exc:
        module.fail_json(msg=str(exc))

    if numbers is None:
        module.exit_json(changed=False, listeners=listeners)
    problems = {listener['url']: listener['problem'] for listener in listeners}
    for number in numbers:
        number['problem'] = problems.get(number['url']) if number['sms_enabled'] else None
    module.exit_json(changed=False, listeners=listeners, numbers=numbers, missing_numbers=missing)


def _account_numbers(module, options, wanted):
    """``(numbers, missing)``: the account's records of the numbers asked (else of every
    SMS-enabled number), read in one API call, and the numbers asked that it lacks."""
    # Imported here: probing urls needs neither requests nor defusedxml, nor their import time.
    from ansible_collections.dialogtech.api.plugins.module_utils._client import fetch_numbers, missing_libraries
    for library, import_error in missing_libraries():
        module.fail_json(msg=missing_required_lib(library), exception=import_error)
    try:
        records = as_dicts(fetch_numbers(options).numbers)
    except DialogTechError as exc:
        module.fail_json(msg=str(exc))
    if wanted is None:
        return [record for record in records if record['sms_enabled']], []
    return select(records, wanted)


if __name__ == '__main__':
    main()
