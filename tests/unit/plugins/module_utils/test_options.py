# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options: spec and the checks made before any request."""

from __future__ import annotations

import os

import pytest

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._options import (
    CONNECTION_ARGUMENT_SPEC,
    from_environment,
    validate,
)
from ansible_collections.dialogtech.api.tests.unit.helpers import (
    fetch_error, options,
)


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
    ({'timeout': 0}, 'timeout must be greater than 0'),
    ({'total_timeout': -1}, 'total_timeout must be greater than 0'),
    ({'max_response_bytes': 0}, 'max_response_bytes must be greater than 0'),
    ({'retries': -1}, 'retries must be 0 or more'),
])
def test_invalid_options(overrides, message):
    assert fetch_error(options('http://127.0.0.1:9/ibp_api.php', **overrides)) == message


def test_argument_spec_defaults():
    defaults = {name: spec.get('default') for name, spec in CONNECTION_ARGUMENT_SPEC.items()}
    assert defaults == {
        'access_key': None, 'secret_access_key': None, 'api_url': 'https://secure.dialogtech.com/ibp_api.php',
        'http_method': 'GET', 'timeout': 30, 'total_timeout': 120, 'retries': 3, 'validate_certs': True,
        'ca_path': None, 'max_response_bytes': 64 * 1024 * 1024,
    }
    assert CONNECTION_ARGUMENT_SPEC['secret_access_key']['no_log'] is True


def test_ca_path_is_checked_only_when_certificates_are(tmp_path):
    base = options('https://127.0.0.1:9/ibp_api.php')
    with pytest.raises(DialogTechError, match='^ca_path /nonexistent/ca.pem does not exist or is not readable'):
        validate(base._replace(ca_path='/nonexistent/ca.pem'))
    validate(base._replace(ca_path='/nonexistent/ca.pem', validate_certs=False))
    bundle = tmp_path / 'ca.pem'
    bundle.write_text('')
    validate(base._replace(ca_path=str(bundle)))
    validate(base._replace(ca_path=str(tmp_path)))


def test_from_environment_takes_unset_options_from_dialogtech_variables():
    environ = {'DIALOGTECH_ACCESS_KEY': 'from-env', 'DIALOGTECH_SECRET_ACCESS_KEY': 'env-secret',
               'DIALOGTECH_TIMEOUT': '2.5', 'DIALOGTECH_RETRIES': '0', 'DIALOGTECH_VALIDATE_CERTS': 'no',
               'DIALOGTECH_HTTP_METHOD': 'POST', 'DIALOGTECH_API_URL': '', 'DIALOGTECH_CA_PATH': '~/ca.pem'}
    values = from_environment({'access_key': 'given', 'retries': None, 'unrelated': 1}, environ)
    defaults = {name: spec.get('default') for name, spec in CONNECTION_ARGUMENT_SPEC.items()}
    assert values == dict(defaults, access_key='given', secret_access_key='env-secret', timeout=2.5, retries=0,
                          validate_certs=False, http_method='POST', ca_path=os.path.expanduser('~/ca.pem'))
    assert from_environment({}, {}) == defaults


@pytest.mark.parametrize('variable, text, message', [
    ('DIALOGTECH_TIMEOUT', 'soon', "DIALOGTECH_TIMEOUT='soon' is not a valid float for timeout"),
    ('DIALOGTECH_RETRIES', '1.5', "DIALOGTECH_RETRIES='1.5' is not a valid int for retries"),
    ('DIALOGTECH_VALIDATE_CERTS', 'maybe', "DIALOGTECH_VALIDATE_CERTS='maybe' is not a valid bool for validate_certs"),
    ('DIALOGTECH_HTTP_METHOD', 'PUT', "DIALOGTECH_HTTP_METHOD='PUT' is not one of GET, POST for http_method"),
])
def test_from_environment_names_the_variable_of_an_invalid_value(variable, text, message):
    with pytest.raises(DialogTechError) as caught:
        from_environment({}, {variable: text})
    assert str(caught.value) == message
