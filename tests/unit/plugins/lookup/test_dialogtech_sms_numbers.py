# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the dialogtech_sms_numbers lookup, loaded through Ansible's plugin
loader so that its options come from its documentation as in a playbook run.  The API
is replaced by a fake fetch_numbers; the client has its own tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ansible import constants as C
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.dialogtech.api.plugins.module_utils import _client
from ansible_collections.dialogtech.api.tests.unit.plugins.lookup.conftest import COLLECTIONS_ROOT
from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._options import CONNECTION_DEFAULTS
from ansible_collections.dialogtech.api.plugins.module_utils._response import ApiResponse, SmsNumber, as_dicts

NAME = 'dialogtech.api.dialogtech_sms_numbers'
SECRET = 'lookup-SECRET-canary'
NUMBERS = [
    SmsNumber('5559990000', True, 'https://sms.example.com/listener'),
    SmsNumber('5559990001', True, 'https://sms.example.com/listener'),
    SmsNumber('5559990002', False, None),
    SmsNumber('0559990003', True, 'http://legacy.example.com/sms.php'),
]


@pytest.fixture
def loaded(lookup_plugin_loader):
    # As in a playbook run, the lookup gets a templar for the variables that set its options.
    return lookup_plugin_loader.get(NAME, loader=DataLoader(), templar=Templar(loader=DataLoader()))


class FakeApi(object):
    """Stands in for fetch_numbers: records the options of each call, answers NUMBERS or fails."""

    def __init__(self):
        self.calls = []
        self.error = None

    def fetch_numbers(self, options):
        self.calls.append(options)
        if self.error:
            raise DialogTechError(self.error)
        return ApiResponse(NUMBERS, '[4] Number(s) Returned')


@pytest.fixture
def api(monkeypatch):
    fake = FakeApi()
    monkeypatch.setattr(_client, 'fetch_numbers', fake.fetch_numbers)
    for name in os.environ:
        if name.startswith('DIALOGTECH_'):
            monkeypatch.delenv(name)
    return fake


@pytest.fixture
def lookup(loaded, api, tmp_path):
    cache_dir = str(tmp_path / 'cache')

    def run(*terms, **kwargs):
        kwargs.setdefault('run_cache_dir', cache_dir)
        variables = kwargs.pop('variables', {'dialogtech_access_key': 'vars-access',
                                             'dialogtech_secret_access_key': SECRET})
        return loaded.run(list(terms), variables=variables, **kwargs)

    run.cache_dir = cache_dir
    return run


def test_no_terms_return_what_the_module_returns(lookup):
    assert lookup() == as_dicts(NUMBERS)


def test_terms_are_normalised_and_kept_in_the_order_asked(lookup):
    found = lookup('(055) 999-0003', '+1 555 999 0000', 5559990002, ['555.999.0001', '5559990000'])
    assert [entry['number'] for entry in found] == ['0559990003', '5559990000', '5559990002', '5559990001',
                                                    '5559990000']
    assert found[2] == {'number': '5559990002', 'sms_enabled': False, 'url': None}


@pytest.mark.parametrize('term', ['555-999-000', 'five', '+44 20 7946 0000'])
def test_a_bad_term_is_an_error_naming_it(lookup, api, term):
    with pytest.raises(AnsibleError, match=re.escape('invalid term: %r is not a 10-digit US phone number' % term)):
        lookup('5559990000', term)
    assert api.calls == []  # refused before asking the API


def test_an_unquoted_octal_term_names_what_was_written(lookup, api):
    with pytest.raises(AnsibleError, match=re.escape("invalid term: '94714231' is not a 10-digit US phone number; "
                                                     "if you wrote 0551234567 unquoted, YAML read it as an octal "
                                                     "number: quote it, '0551234567'")):
        lookup(0o551234567)
    assert api.calls == []


def test_an_unknown_keyword_is_an_error_naming_it(lookup, api):
    with pytest.raises(AnsibleError, match=r'^unknown keyword\(s\) acess_key; the lookup takes: access_key, api_url, '):
        lookup('5559990000', acess_key='vendor-example')
    assert api.calls == []


def test_on_missing_error_is_the_default(lookup):
    with pytest.raises(AnsibleError, match='the account has no SMS number 5550000009$'):
        lookup('5559990000', '5550000009')


@pytest.mark.parametrize('mode, warned', [('warn', True), ('skip', False)])
def test_on_missing_warn_and_skip_leave_the_number_out(loaded, lookup, mocker, mode, warned):
    # The plugin's own module object: on Python 3.10 mock resolves a dotted name through
    # package attributes, which the conftest's re-import through the loader leaves unset.
    warning = mocker.patch.object(sys.modules[type(loaded).__module__].display, 'warning')
    found = lookup('5550000009', '5559990001', on_missing=mode)
    assert [entry['number'] for entry in found] == ['5559990001']
    assert warning.call_count == int(warned)
    if warned:
        assert '5550000009' in warning.call_args[0][0]


def test_on_missing_rejects_other_values(lookup):
    with pytest.raises(AnsibleError, match='on_missing'):
        lookup('5559990000', on_missing='ignore')


def test_client_errors_become_ansible_errors_with_the_same_message(lookup, api):
    api.error = 'DialogTech API reported \'failed\': Invalid Access Key or Secret Access Key'
    with pytest.raises(AnsibleError) as raised:
        lookup()
    assert raised.value.message == api.error


def test_options_reach_the_client(lookup, api):
    lookup(api_url='http://127.0.0.1:1/x.php', http_method='POST', timeout=2.5, retries=0, validate_certs=False)
    options = api.calls[0]
    assert (options.access_key, options.secret_access_key) == ('vars-access', SECRET)
    assert (options.api_url, options.http_method, options.timeout, options.retries, options.validate_certs) == (
        'http://127.0.0.1:1/x.php', 'POST', 2.5, 0, False)


def test_unset_options_get_the_clients_defaults(lookup, api):
    lookup()
    assert api.calls[0]._replace(access_key=None, secret_access_key=None)._asdict() == CONNECTION_DEFAULTS


@pytest.mark.parametrize('keywords, variables, message', [
    ({}, {}, 'access_key is required: set the keyword access_key=, the variable dialogtech_access_key, the '
             'DIALOGTECH_ACCESS_KEY environment variable or access_key in the [dialogtech] section of ansible.cfg'),
    ({'access_key': 'k'}, {}, 'secret_access_key is required: set the keyword secret_access_key=, the variable '
                              'dialogtech_secret_access_key, the DIALOGTECH_SECRET_ACCESS_KEY environment variable '
                              'or secret_access_key in the [dialogtech] section of ansible.cfg'),
])
def test_a_missing_credential_names_every_route_of_the_lookup(lookup, api, keywords, variables, message):
    with pytest.raises(AnsibleError) as raised:
        lookup(variables=variables, **keywords)
    assert raised.value.message == message
    assert api.calls == []


@pytest.mark.parametrize('variable, text, message', [
    ('DIALOGTECH_TIMEOUT', 'ten', "DIALOGTECH_TIMEOUT: 'ten' is not a number"),
    ('DIALOGTECH_HTTP_METHOD', 'put', "DIALOGTECH_HTTP_METHOD: 'put' must be GET or POST"),
    ('DIALOGTECH_RETRIES', '-1', "DIALOGTECH_RETRIES: '-1' must be 0 or more"),
])
def test_an_invalid_environment_variable_is_named(lookup, api, monkeypatch, variable, text, message):
    monkeypatch.setenv(variable, text)
    with pytest.raises(AnsibleError) as raised:
        lookup()
    assert raised.value.message == message
    assert api.calls == []


def test_the_variables_the_lookup_templates_are_exactly_the_documented_ones(loaded):
    definitions = C.config.get_configuration_definitions('lookup', loaded._load_name)
    documented = {variable['name'] for definition in definitions.values() for variable in definition.get('vars', [])}
    assert documented == set(sys.modules[type(loaded).__module__].OPTION_VARIABLES)


def test_one_fetch_per_account_and_url(lookup, api):
    lookup()
    lookup('5559990000')
    assert len(api.calls) == 1
    lookup(variables={'dialogtech_access_key': 'other-access', 'dialogtech_secret_access_key': SECRET})
    lookup(secret_access_key=SECRET + '2')
    lookup(api_url='http://127.0.0.1:1/ibp_api.php')
    assert len(api.calls) == 4
    cached = [name for name in os.listdir(lookup.cache_dir) if name.endswith('.json')]
    assert len(cached) == 4
    for name in os.listdir(lookup.cache_dir):
        content = Path(lookup.cache_dir, name).read_bytes()
        assert SECRET.encode() not in content and b'access' not in content and SECRET not in name


def test_a_failed_fetch_is_shared_as_the_error_not_as_numbers(lookup, api):
    api.error = 'DialogTech API reported \'failed\': Account suspended'
    for dummy in range(2):
        with pytest.raises(AnsibleError, match='Account suspended'):
            lookup()
    assert len(api.calls) == 1
    cached = [name for name in os.listdir(lookup.cache_dir) if name.endswith('.json')]
    assert json.loads(Path(lookup.cache_dir, cached[0]).read_text()) == {'error': api.error}


def test_run_cache_false_asks_every_time_and_writes_nothing(lookup, api):
    lookup(run_cache=False)
    lookup(run_cache=False)
    assert len(api.calls) == 2
    assert not os.path.exists(lookup.cache_dir)


def test_an_unsafe_cache_directory_is_an_error(lookup, tmp_path):
    shared = tmp_path / 'shared'
    shared.mkdir()
    shared.chmod(0o755)
    with pytest.raises(AnsibleError, match='refusing the run cache directory .*shared'):
        lookup(run_cache_dir=str(shared))


# Runs in a fresh interpreter with ANSIBLE_CONFIG set: ini values are read when Ansible
# starts.  The environment grows case by case, so each case adds one higher source.
PRECEDENCE_SCRIPT = textwrap.dedent('''
    import json, os, sys
    from ansible.plugins.loader import init_plugin_loader, lookup_loader
    init_plugin_loader([sys.argv[1]])
    lookup = lookup_loader.get(sys.argv[2])
    seen = []
    for environment, variables, keywords in json.loads(sys.argv[3]):
        os.environ.update(environment)
        lookup.set_options(var_options=variables, direct=keywords)
        try:
            connection = lookup._connection(keywords, variables)
        except Exception as exc:
            seen.append('%s: %s' % (type(exc).__name__, exc))
        else:
            seen.append([connection['api_url'], connection['timeout'], connection['retries'],
                         lookup.get_option('run_cache')])
    print(json.dumps(seen))
''')


def test_option_precedence_keyword_variable_environment_ini(tmp_path):
    config = tmp_path / 'ansible.cfg'
    config.write_text('[dialogtech]\napi_url = http://ini.example/api\ntimeout = 1\nrun_cache = false\n')
    environment = {name: value for name, value in os.environ.items() if not name.startswith('DIALOGTECH_')}
    environment.update(ANSIBLE_CONFIG=str(config), PYTHONPATH=os.pathsep.join(sys.path),
                       DIALOGTECH_ACCESS_KEY='a', DIALOGTECH_SECRET_ACCESS_KEY='s')
    variables = {'dialogtech_api_url': 'http://vars.example/api', 'dialogtech_timeout': 3, 'dialogtech_run_cache': False}
    cases = [
        [{}, {}, {}],
        # Empty counts as unset: ansible.cfg, then the default, as if the variables were not there.
        [{'DIALOGTECH_API_URL': '', 'DIALOGTECH_TIMEOUT': '', 'DIALOGTECH_RETRIES': ''}, {}, {}],
        [{'DIALOGTECH_API_URL': 'http://env.example/api', 'DIALOGTECH_TIMEOUT': '2', 'DIALOGTECH_RETRIES': '0',
          'DIALOGTECH_RUN_CACHE': 'true'}, {}, {}],
        [{}, variables, {}],
        [{}, variables, {'api_url': 'http://keyword.example/api', 'timeout': 4, 'run_cache': True}],
        # An invalid variable is an error only where it is consulted.
        [{'DIALOGTECH_TIMEOUT': 'ten'}, variables, {}],
        [{}, {}, {}],
    ]
    result = subprocess.run([sys.executable, '-c', PRECEDENCE_SCRIPT, COLLECTIONS_ROOT, NAME, json.dumps(cases)],
                            env=environment, capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [
        ['http://ini.example/api', 1.0, 3, False],
        ['http://ini.example/api', 1.0, 3, False],
        ['http://env.example/api', 2.0, 0, True],
        ['http://vars.example/api', 3.0, 0, False],
        ['http://keyword.example/api', 4.0, 0, True],
        ['http://vars.example/api', 3.0, 0, False],
        "AnsibleError: DIALOGTECH_TIMEOUT: 'ten' is not a number",
    ]


HIT_SCRIPT = textwrap.dedent('''
    import multiprocessing, sys
    from ansible.plugins.loader import init_plugin_loader, lookup_loader
    init_plugin_loader([sys.argv[1]])
    lookup = lookup_loader.get(sys.argv[2])
    module = sys.modules[type(lookup).__module__]
    client = 'ansible_collections.dialogtech.api.plugins.module_utils._client'
    options = {'access_key': 'a', 'secret_access_key': 's', 'run_cache_dir': sys.argv[3],
               'api_url': 'http://127.0.0.1:1/ibp_api.php', 'retries': 0}

    answer = {'numbers': [{'number': '5559990000', 'sms_enabled': True, 'url': None}]}
    real_fetch, module._fetch = module._fetch, lambda connection: answer
    lookup.run([], {}, **options)  # the controller fills the cache without the client
    module._fetch = real_fetch

    def worker(queue, **changes):
        try:
            answer = lookup.run([], {}, **dict(options, **changes))
        except Exception as exc:
            answer = type(exc).__name__
        queue.put((answer, client in sys.modules, 'requests' in sys.modules))

    queue = multiprocessing.get_context('fork').Queue()
    for changes in ({}, {'access_key': 'b'}):  # a hit, then a miss as the control
        process = multiprocessing.get_context('fork').Process(target=worker, args=(queue,), kwargs=changes)
        process.start()
        print(repr(queue.get(timeout=60)))
        process.join()
    print(repr((client in sys.modules, 'requests' in sys.modules)))
''')


def test_a_cache_hit_does_not_import_the_http_client(tmp_path):
    """The point of the cache for speed: a worker answered from it never imports requests."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith('DIALOGTECH_')}
    environment.update(PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, '-c', HIT_SCRIPT, COLLECTIONS_ROOT, NAME, str(tmp_path / 'cache')],
                            env=environment, capture_output=True, text=True, check=True)
    hit, miss, controller = result.stdout.splitlines()
    assert hit == repr(([{'number': '5559990000', 'sms_enabled': True, 'url': None}], False, False))
    # The control: a miss in a worker does import the client (and fails on the closed port).
    assert miss == repr(('AnsibleError', True, True))
    assert controller == repr((False, False))


DEFINITIONS_SCRIPT = textwrap.dedent('''
    import multiprocessing, sys
    import ansible.plugins.loader
    from ansible.parsing.dataloader import DataLoader
    from ansible.plugins.loader import init_plugin_loader, lookup_loader
    from ansible.template import Templar
    init_plugin_loader([sys.argv[1]])
    parsed = []
    real_add_fragments = ansible.plugins.loader.add_fragments

    def add_fragments(*args, **kwargs):
        parsed.append(True)
        return real_add_fragments(*args, **kwargs)

    ansible.plugins.loader.add_fragments = add_fragments

    def worker(queue):
        lookup = lookup_loader.get(sys.argv[2], loader=DataLoader(), templar=Templar(loader=DataLoader()))
        module = sys.modules[type(lookup).__module__]
        module._fetch = lambda connection: {'numbers': [{'number': '5559990000', 'sms_enabled': True, 'url': None}]}
        seen = [bool(parsed), lookup.run(['(555) 999-0000'], {'dialogtech_access_key': 'a',
                                                          'dialogtech_secret_access_key': 's'})]
        lookup.set_options(var_options={}, direct={})
        seen.append([lookup.get_option(name) for name in ('api_url', 'on_missing', 'timeout', 'run_cache')])
        try:
            lookup.run(['5559990001'], {}, on_missing='bogus')
        except Exception as exc:
            seen.append(type(exc).__name__)
        queue.put(repr(seen))

    queue = multiprocessing.get_context('fork').Queue()
    for dummy in range(2):  # two workers of one run, one after the other
        process = multiprocessing.get_context('fork').Process(target=worker, args=(queue,))
        process.start()
        print(queue.get(timeout=60))
        process.join()
''')


def test_workers_after_the_first_skip_parsing_the_documentation(tmp_path):
    """The first worker parses the docs and shares the definitions; the next registers them."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith('DIALOGTECH_')}
    environment.update(PYTHONPATH=os.pathsep.join(sys.path), XDG_RUNTIME_DIR=str(tmp_path),
                       DIALOGTECH_RUN_CACHE_DIR=str(tmp_path / 'cache'))
    result = subprocess.run([sys.executable, '-c', DEFINITIONS_SCRIPT, COLLECTIONS_ROOT, NAME],
                            env=environment, capture_output=True, text=True, check=True)
    first, second = result.stdout.splitlines()
    behaviour = [[{'number': '5559990000', 'sms_enabled': True, 'url': None}],
                 [None, 'error', None, True], 'AnsibleOptionsError']
    assert first == repr([True] + behaviour)
    assert second == repr([False] + behaviour)
    shared = [name for name in os.listdir(tmp_path / 'dialogtech.api') if '-options-' in name]
    assert len(shared) == 1
