# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options: spec and the checks made before any request."""

from __future__ import annotations


import pytest

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError
from ansible_collections.dialogtech.api.plugins.module_utils._options import CONNECTION_ARGUMENT_SPEC, validate
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
    # Host names urllib3 cannot parse, which reached it and failed in its own words.
    ({'api_url': 'https://%s.example.com/ibp_api.php' % ('a' * 64)},
     "api_url must be an absolute http:// or https:// URL, not 'https://%s.example.com/ibp_api.php'" % ('a' * 64)),
    ({'api_url': 'https://secure..dialogtech.com/'}, "api_url must be an absolute http:// or https:// URL, not "
                                                     "'https://secure..dialogtech.com/'"),
    ({'api_url': 'https://secure dialogtech.com/'}, "api_url must be an absolute http:// or https:// URL, not "
                                                    "'https://secure dialogtech.com/'"),
    ({'api_url': 'https://\u2024/'}, "api_url must be an absolute http:// or https:// URL, not 'https://\u2024/'"),
    ({'http_method': 'PUT'}, "http_method must be GET or POST, not 'PUT'"),
    ({'timeout': 0}, 'timeout must be greater than 0'),
    ({'total_timeout': -1}, 'total_timeout must be greater than 0'),
    ({'max_response_bytes': 0}, 'max_response_bytes must be greater than 0'),
    ({'retries': -1}, 'retries must be 0 or more'),
])
def test_invalid_options(overrides, message):
    assert fetch_error(options('http://127.0.0.1:9/ibp_api.php', **overrides)) == message


@pytest.mark.parametrize('url', ['https://%s.example.com/ibp_api.php' % ('a' * 63), 'https://secure.dialogtech.com./',
                                 'http://127.0.0.1:8080/', 'http://[::1]:8080/', 'https://\u4f8b\u3048.jp/',
                                 'http://api_internal.corp/'])
def test_valid_hosts(url):
    validate(options(url))


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
