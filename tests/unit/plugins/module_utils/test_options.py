# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options: spec and the checks made before any request."""

from __future__ import annotations


import ast
from pathlib import Path

import pytest
import yaml

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._options import (
    CONNECTION_ARGUMENT_SPEC,
    CONNECTION_DEFAULTS,
    ConnectionOptions,
    environment_variable,
    from_environment,
    module_connection,
    require_credentials,
    validate,
)
from ansible_collections.dialogtech.api.tests.unit.helpers import (
    fetch_error, options,
)

ROOT = Path(__file__).resolve().parents[4]


@pytest.mark.parametrize('overrides, message', [
    ({'access_key': None}, 'access_key is required: set it as an option or in the DIALOGTECH_ACCESS_KEY '
                           'environment variable'),
    ({'secret_access_key': ''}, 'secret_access_key is required: set it as an option or in the '
                                'DIALOGTECH_SECRET_ACCESS_KEY environment variable'),
    ({'api_url': 'ftp://x/ibp_api.php'}, "api_url must be an absolute http:// or https:// URL, not 'ftp://x/ibp_api.php'"),
    ({'api_url': 'secure.dialogtech.com'}, "api_url must be an absolute http:// or https:// URL, not "
                                           "'secure.dialogtech.com'"),
    ({'api_url': 'http://[::1/ibp_api.php'}, "api_url must be an absolute http:// or https:// URL, not "
                                             "'http://[::1/ibp_api.php'"),
    ({'api_url': 'https://h:port/ibp_api.php'}, "api_url must be an absolute http:// or https:// URL, not "
                                                "'https://h:port/ibp_api.php'"),
    ({'http_method': 'PUT'}, "http_method must be GET or POST, not 'PUT'"),
    ({'timeout': 0}, 'timeout must be greater than 0, not 0'),
    ({'total_timeout': -1.5}, 'total_timeout must be greater than 0, not -1.5'),
    ({'max_response_bytes': 0}, 'max_response_bytes must be greater than 0, not 0'),
    ({'retries': -1}, 'retries must be 0 or more, not -1'),
])
def test_invalid_options(overrides, message):
    assert fetch_error(options('http://127.0.0.1:9/ibp_api.php', **overrides)) == message


def test_the_spec_leaves_unset_options_to_from_environment():
    # A default or an env_fallback in the spec would make a module's unset option look set.
    assert all('default' not in spec and 'fallback' not in spec for spec in CONNECTION_ARGUMENT_SPEC.values())
    assert CONNECTION_DEFAULTS == {
        'access_key': None, 'secret_access_key': None, 'api_url': 'https://secure.dialogtech.com/ibp_api.php',
        'http_method': 'GET', 'timeout': 30, 'total_timeout': 120, 'retries': 3, 'validate_certs': True,
        'ca_path': None, 'max_response_bytes': 64 * 1024 * 1024,
    }
    assert CONNECTION_ARGUMENT_SPEC['secret_access_key']['no_log'] is True


ENVIRONMENT = {
    'DIALOGTECH_ACCESS_KEY': 'env-access', 'DIALOGTECH_SECRET_ACCESS_KEY': 'env-secret',
    'DIALOGTECH_API_URL': 'http://127.0.0.1:9/ibp_api.php', 'DIALOGTECH_HTTP_METHOD': 'POST',
    'DIALOGTECH_TIMEOUT': '2.5', 'DIALOGTECH_TOTAL_TIMEOUT': '7', 'DIALOGTECH_RETRIES': '0',
    'DIALOGTECH_VALIDATE_CERTS': 'no', 'DIALOGTECH_CA_PATH': '~/ca.pem', 'DIALOGTECH_MAX_RESPONSE_BYTES': '1024',
}


def test_from_environment_reads_every_option_converted_to_its_type(monkeypatch):
    monkeypatch.setenv('HOME', '/home/tester')
    assert from_environment({}, ENVIRONMENT) == {
        'access_key': 'env-access', 'secret_access_key': 'env-secret', 'api_url': 'http://127.0.0.1:9/ibp_api.php',
        'http_method': 'POST', 'timeout': 2.5, 'total_timeout': 7.0, 'retries': 0, 'validate_certs': False,
        'ca_path': '/home/tester/ca.pem', 'max_response_bytes': 1024,
    }
    assert [environment_variable(name) for name in CONNECTION_ARGUMENT_SPEC] == list(ENVIRONMENT)


def test_from_environment_given_values_win_and_the_rest_falls_to_defaults():
    given = {'timeout': 5.0, 'validate_certs': False, 'retries': None, 'not_an_option': 1}
    assert from_environment(given, {'DIALOGTECH_TIMEOUT': 'ten', 'DIALOGTECH_RETRIES': '1'}) == dict(
        CONNECTION_DEFAULTS, timeout=5.0, validate_certs=False, retries=1)
    # An empty variable is unset: the caller's fallback (the lookup's ansible.cfg), then the default.
    empty = dict.fromkeys(ENVIRONMENT, '')
    assert from_environment({}, empty, defaults={'retries': 1, 'timeout': None}) == dict(CONNECTION_DEFAULTS, retries=1)
    assert from_environment({}, {'DIALOGTECH_RETRIES': '2'}, defaults={'retries': 1})['retries'] == 2


def test_from_environment_reads_os_environ_by_default(monkeypatch):
    monkeypatch.setenv('DIALOGTECH_RETRIES', '7')
    monkeypatch.setenv('DIALOGTECH_TIMEOUT', '')
    resolved = from_environment({})
    assert (resolved['retries'], resolved['timeout']) == (7, 30.0)


@pytest.mark.parametrize('variable, text, message', [
    ('DIALOGTECH_TIMEOUT', 'ten', "DIALOGTECH_TIMEOUT: 'ten' is not a number"),
    ('DIALOGTECH_TOTAL_TIMEOUT', '0', "DIALOGTECH_TOTAL_TIMEOUT: '0' must be greater than 0"),
    ('DIALOGTECH_RETRIES', '2.5', "DIALOGTECH_RETRIES: '2.5' is not a whole number"),
    ('DIALOGTECH_RETRIES', '-1', "DIALOGTECH_RETRIES: '-1' must be 0 or more"),
    ('DIALOGTECH_MAX_RESPONSE_BYTES', '64M', "DIALOGTECH_MAX_RESPONSE_BYTES: '64M' is not a whole number"),
    ('DIALOGTECH_VALIDATE_CERTS', 'maybe',
     "DIALOGTECH_VALIDATE_CERTS: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)"),
    ('DIALOGTECH_HTTP_METHOD', 'post', "DIALOGTECH_HTTP_METHOD: 'post' must be GET or POST"),
    ('DIALOGTECH_API_URL', 'secure.dialogtech.com',
     "DIALOGTECH_API_URL: 'secure.dialogtech.com' must be an absolute http:// or https:// URL"),
])
def test_from_environment_names_an_invalid_variable(variable, text, message):
    with pytest.raises(DialogTechError) as raised:
        from_environment({}, {variable: text})
    assert str(raised.value) == message
    assert raised.value.__context__ is None


def test_require_credentials_names_the_callers_routes():
    with pytest.raises(DialogTechError, match=r'^secret_access_key is required: set secret_access_key or '
                                              r'DIALOGTECH_SECRET_ACCESS_KEY$'):
        require_credentials(options('http://127.0.0.1:9/', secret_access_key=None), '{name} or {variable}')


def test_ca_path_is_checked_only_when_certificates_are(tmp_path):
    base = options('https://127.0.0.1:9/ibp_api.php')
    with pytest.raises(DialogTechError, match='^ca_path /nonexistent/ca.pem does not exist or is not readable'):
        validate(base._replace(ca_path='/nonexistent/ca.pem'))
    validate(base._replace(ca_path='/nonexistent/ca.pem', validate_certs=False))
    bundle = tmp_path / 'ca.pem'
    bundle.write_text('')
    validate(base._replace(ca_path=str(bundle)))
    validate(base._replace(ca_path=str(tmp_path)))


def test_the_doc_fragment_documents_each_options_variable_and_default():
    # The fragment cannot have default: or env: entries (from_environment resolves both in
    # code), so each option's description must say them.  Read as text: importing the
    # fragment here would hide it from ansible-core 2.16's plugin loader in later tests.
    fragment = ast.parse((ROOT / 'plugins' / 'doc_fragments' / 'connection.py').read_text(encoding='utf-8'))
    texts = {node.targets[0].id: yaml.safe_load(node.value.value)['options'] for node in ast.walk(fragment)
             if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)}
    documented, plugins = texts['DOCUMENTATION'], texts['PLUGINS']
    assert list(documented) == list(plugins) == list(CONNECTION_ARGUMENT_SPEC)
    for name, option in documented.items():
        text = ' '.join(option['description'])
        assert 'default' not in option and 'env' not in plugins[name], name
        assert 'E(%s)' % environment_variable(name) in text, name
        if CONNECTION_DEFAULTS[name] is not None:
            assert 'v(%s)' % str(CONNECTION_DEFAULTS[name]).lower().replace('.0', '') in text.lower(), name


class FakeModule(object):
    """The part of AnsibleModule module_connection uses."""

    def __init__(self, **params):
        self.params = dict(dict.fromkeys(CONNECTION_ARGUMENT_SPEC), number='5559990000', **params)
        self.no_log_values = set()
        self.failed = None

    def fail_json(self, **result):
        self.failed = result
        raise SystemExit(1)


def test_module_connection_takes_every_unset_option_from_the_environment(monkeypatch):
    for variable, text in ENVIRONMENT.items():
        monkeypatch.setenv(variable, text)
    monkeypatch.setenv('HOME', '/home/tester')
    module = FakeModule(timeout=9.0, validate_certs=True)  # as task options or module_defaults give them
    options = module_connection(module)
    assert options == ConnectionOptions('env-access', 'env-secret', 'http://127.0.0.1:9/ibp_api.php', 'POST', 9.0, 7.0,
                                        0, True, '/home/tester/ca.pem', 1024)
    # The secret came from the environment, not a parameter: AnsibleModule masks it only so.
    assert module.no_log_values == {'env-secret'}


@pytest.mark.parametrize('environment, message', [
    ({'DIALOGTECH_ACCESS_KEY': 'k', 'DIALOGTECH_SECRET_ACCESS_KEY': 's', 'DIALOGTECH_TIMEOUT': 'ten'},
     "DIALOGTECH_TIMEOUT: 'ten' is not a number"),
    ({'DIALOGTECH_ACCESS_KEY': 'k', 'DIALOGTECH_SECRET_ACCESS_KEY': ''},
     'secret_access_key is required: set the option secret_access_key, module_defaults or the '
     'DIALOGTECH_SECRET_ACCESS_KEY environment variable'),
])
def test_module_connection_fails_the_module_naming_the_variable(monkeypatch, environment, message):
    for variable in ENVIRONMENT:
        monkeypatch.delenv(variable, raising=False)
    for variable, text in environment.items():
        monkeypatch.setenv(variable, text)
    module = FakeModule()
    with pytest.raises(SystemExit):
        module_connection(module, changes=[])
    assert module.failed == {'msg': message, 'changes': []}
