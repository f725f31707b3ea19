# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
name: dialogtech_sms_numbers
short_description: The SMS numbers of a DialogTech account and their listener URLs
version_added: 0.1.0
description:
  - Calls the DialogTech API action C(sms.get_numbers) and returns the account's SMS
    numbers, each with whether SMS is enabled and the listener URL inbound messages are
    forwarded to; the same entries as the
    M(dialogtech.api.dialogtech_sms_numbers_info) module returns in RV(ignore:numbers).
  - Without terms, all numbers of the account; with terms, the entries of those numbers
    in the order asked.
  - Makes one API request per account per C(ansible-playbook) run, however many hosts and
    forks ask; see O(run_cache).
author:
  - dialogtech.api contributors (@dialogtech-api)
options:
  _terms:
    description:
      - Numbers to return. Formatted input such as V((555\) 999-0000) or
        V(+1 555 999 0000) is normalised to the 10 digits the API uses; anything that is
        not a 10-digit US number is an error.
      - Leave out for all the account's numbers.
    type: list
    elements: str
    required: false
  on_missing:
    description:
      - What to do with a requested number the account does not have.
      - V(error) fails the lookup, V(warn) warns and leaves it out of the result,
        V(skip) leaves it out silently.
    type: str
    default: error
    choices: [error, warn, skip]
  run_cache:
    description:
      - Share the API's answer between all the forked workers of one playbook run, so
        that a play over many hosts makes one request per account rather than one per
        host, which is slow and runs into the vendor's rate limit.
      - Every worker is a fresh process, so the answer is kept in files in O(run_cache_dir),
        one per run and account, named by a keyed hash (HMAC-SHA256 with a random
        per-user key) of the connection options. The files reveal neither the access key
        nor the secret; they hold only the numbers, or the message of a failed request so
        that the other workers fail the same way without asking again.
      - The first worker to ask fetches while the others wait on a lock. A later run
        fetches fresh data; files of runs that have ended are deleted.
      - The lookup's option definitions, which Ansible would otherwise build from this
        documentation anew in every worker, are shared the same way, always in the
        default directory of O(run_cache_dir).
      - A run is one process of C(ansible-playbook), C(ansible) or C(ansible-console) with
        its workers; an C(ansible-console) session or a program that embeds Ansible keeps
        its answers for its lifetime, so turn the cache off there if the account changes
        meanwhile.
      - Needs Linux C(/proc) to tell runs apart; elsewhere every lookup makes its own
        request.
    type: bool
    default: true
    env:
      - name: DIALOGTECH_RUN_CACHE
    ini:
      - section: dialogtech
        key: run_cache
    vars:
      - name: dialogtech_run_cache
  run_cache_dir:
    description:
      - Private directory for O(run_cache), created with mode C(0700); the lookup refuses
        to use one that another user owns or can read.
      - By default C(dialogtech.api) in E(XDG_RUNTIME_DIR) when that is set (a per-user
        tmpfs, emptied at logout), else C(dialogtech.api-<uid>) in the system temporary
        directory. Keep it on a local file system.
    type: path
    env:
      - name: DIALOGTECH_RUN_CACHE_DIR
    ini:
      - section: dialogtech
        key: run_cache_dir
    vars:
      - name: dialogtech_run_cache_dir
extends_documentation_fragment:
  - dialogtech.api.connection
  - dialogtech.api.connection.plugins
notes:
  - Options can be set as keywords, as variables, in environment variables and in the
    C([dialogtech]) section of C(ansible.cfg), in that order of precedence.
  - C(lookup) with one result returns the entry itself rather than a
    list; use C(query) (or C(wantlist=true)) to always get a list.
  - The lookup runs on the controller.
seealso:
  - module: dialogtech.api.dialogtech_sms_numbers_info
'''

EXAMPLES = r'''
- name: Every number of the account, credentials from DIALOGTECH_ACCESS_KEY / DIALOGTECH_SECRET_ACCESS_KEY
  ansible.builtin.debug:
    msg: "{{ item.number }} -> {{ item.url | default('no listener', true) }}"
  loop: "{{ query('dialogtech.api.dialogtech_sms_numbers') }}"

- name: Fail a host whose number forwards nowhere (one API request for all hosts)
  ansible.builtin.assert:
    that: sms.sms_enabled and sms.url
    fail_msg: "{{ sms_number }} has no SMS listener"
  vars:
    sms: "{{ lookup('dialogtech.api.dialogtech_sms_numbers', sms_number) }}"

- name: Credentials from variables (for example a vaulted group_vars file)
  ansible.builtin.set_fact:
    sms_numbers: "{{ query('dialogtech.api.dialogtech_sms_numbers') }}"
  vars:
    dialogtech_access_key: "{{ vault_dialogtech_access_key }}"
    dialogtech_secret_access_key: "{{ vault_dialogtech_secret_access_key }}"

- name: Listener URLs of two numbers, leaving out those the account lacks, with a warning
  ansible.builtin.debug:
    msg: "{{ query('dialogtech.api.dialogtech_sms_numbers', '(555) 999-0000', '+1 555 999 0001',
             on_missing='warn', http_method='POST') | map(attribute='url') }}"
'''

RETURN = r'''
_raw:
  description:
    - The requested numbers in the order asked, or without terms every number in the
      order the API returned them.
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
'''

import hashlib
import json
import os

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase
from ansible.release import __version__ as ansible_version
from ansible.utils.display import Display

from ansible_collections.dialogtech.api.plugins.module_utils._numbers import normalize_number, select
from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._options import (
    CONNECTION_ARGUMENT_SPEC,
    connection_options,
    from_environment,
    require_credentials,
)
from ansible_collections.dialogtech.api.plugins.plugin_utils import _compat, _run_cache

display = Display()

# Where the lookup can be given a connection option: str.format text for require_credentials.
ROUTES = ('the keyword {name}=, the variable dialogtech_{name}, the {variable} environment variable '
          'or {name} in the [dialogtech] section of ansible.cfg')
# The variables that set options: dialogtech_<option>, as documented (a unit test holds
# the documentation to this rule).
OPTION_VARIABLES = tuple('dialogtech_' + name for name in list(CONNECTION_ARGUMENT_SPEC) + ['run_cache', 'run_cache_dir'])


def _definitions_label():
    """Names this plugin's option definitions as built from these very files by this Ansible."""
    sources = (__file__, os.path.join(os.path.dirname(__file__), '..', 'doc_fragments', 'connection.py'))
    stamp = [ansible_version, __name__] + [[os.stat(source).st_mtime_ns, os.stat(source).st_size] for source in sources]
    return 'options-' + hashlib.sha256(json.dumps(stamp).encode('utf-8')).hexdigest()[:32]


# Before it runs the lookup, Ansible's plugin loader builds its option definitions from
# the documentation (this file's and both doc fragments' YAML) in every forked worker,
# which is most of what the lookup costs per host (benchmarks/RESULTS.md, benchmark 3).
# The first worker of a run shares the definitions through the run cache; the others
# register them here, on import, and the loader then finds them and skips the parsing.
_DEFINITIONS_LABEL = _definitions_label()
_definitions_shared = _compat.registered_definitions('lookup', __name__) is not None
if not _definitions_shared:
    _shared = _run_cache.read_shared(_DEFINITIONS_LABEL)
    if _shared is not None:
        _definitions_shared = _compat.register_definitions('lookup', __name__, _shared)


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        options = _compat.templated_variables(self, variables, OPTION_VARIABLES) if variables else variables
        self.set_options(var_options=options, direct=kwargs)
        # Ansible drops keywords it has no option for, so a typo (acess_key=) would
        # silently fall back to another source.
        unknown = sorted(set(kwargs) - set(self.get_options()))
        if unknown:
            raise AnsibleError('unknown keyword(s) %s; the lookup takes: %s'
                               % (', '.join(unknown), ', '.join(sorted(set(self.get_options()) - {'_terms'}))))
        wanted = []
        for term in _flatten(terms):
            try:
                wanted.append(normalize_number(term))
            except ValueError as exc:
                raise AnsibleError('invalid term: %s' % exc)

        connection = self._connection(kwargs, options or {})
        if self.get_option('run_cache'):
            _share_definitions()
            try:
                answer, note = _run_cache.get_or_fetch(connection, _fetch, self.get_option('run_cache_dir'))
            except _run_cache.RunCacheError as exc:
                raise AnsibleError(str(exc))
            display.vvv('dialogtech_sms_numbers: %s' % note)
        else:
            answer = _fetch(connection)
        if 'error' in answer:
            raise AnsibleError(answer['error'])

        if not wanted:
            return answer['numbers']
        found, missing = select(answer['numbers'], wanted)
        on_missing = self.get_option('on_missing')
        if missing and on_missing == 'error':
            raise AnsibleError('the account has no SMS number %s' % missing[0])
        if missing and on_missing == 'warn':
            for number in missing:
                display.warning('dialogtech_sms_numbers: the account has no SMS number %s; left out' % number)
        return found

    def _connection(self, keywords, variables):
        """The connection options by the collection's one rule: keyword, variable, then the
        environment (from_environment), then ansible.cfg, then the default.

        Ansible's own environment handling would take an empty variable as a value and
        word an invalid one its own way, so the option definitions have no env entries;
        what a keyword or a variable set is told apart from ansible.cfg by where it came
        from, as get_option_and_origin does not say so on every supported ansible-core.
        """
        given, configured = {}, {}
        for name in CONNECTION_ARGUMENT_SPEC:
            if keywords.get(name) is not None or variables.get('dialogtech_' + name) is not None:
                given[name] = self.get_option(name)
            else:
                configured[name] = self.get_option(name)
        try:
            connection = from_environment(given, defaults=configured)
            require_credentials(connection_options(connection), ROUTES)
        except DialogTechError as exc:
            raise AnsibleError(str(exc))
        return connection


def _flatten(terms):
    """The terms with lists in them opened: query('...', ['a', 'b'], 'c') asks for three."""
    flat = []
    for term in terms:
        if isinstance(term, (list, tuple)):
            flat.extend(_flatten(term))
        else:
            flat.append(term)
    return flat


def _share_definitions():
    global _definitions_shared
    if not _definitions_shared:
        definitions = _compat.registered_definitions('lookup', __name__)
        if definitions is not None:
            _run_cache.write_shared(_DEFINITIONS_LABEL, definitions)
        _definitions_shared = True


def _fetch(connection):
    """The API's answer as a JSON-ready dict: the numbers as the module returns them, or
    the error message.

    A DialogTechError is an answer too (its message is safe to store and show): cached
    for the run, the other workers fail with it instead of each asking the API again.

    The client (requests, defusedxml) is imported here rather than at the top: a lookup
    answered from the run cache then never pays for those imports in each of the
    hundreds of workers a big play forks.
    """
    from ansible_collections.dialogtech.api.plugins.module_utils._client import fetch_numbers, missing_libraries
    from ansible_collections.dialogtech.api.plugins.module_utils._response import as_dicts

    missing = missing_libraries()
    if missing:
        raise AnsibleError('dialogtech_sms_numbers needs the Python libraries %s on the controller'
                           % ', '.join(library for library, dummy in missing))
    try:
        result = fetch_numbers(connection_options(connection))
    except DialogTechError as exc:
        return {'error': str(exc)}
    return {'numbers': as_dicts(result.numbers)}
