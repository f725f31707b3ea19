# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options: their spec, and the checks made before any request.

The module's argument spec is CONNECTION_ARGUMENT_SPEC; the doc fragment
(plugins/doc_fragments/connection.py) and the role's argument_specs.yml document the
same options, and unit tests hold all three to this spec.
"""

from __future__ import annotations

import os
from collections import namedtuple
from urllib.parse import urlsplit

from ansible.module_utils.basic import env_fallback
from ansible.module_utils.common.validation import (
    check_type_bool,
    check_type_float,
    check_type_int,
    check_type_path,
    check_type_str,
)

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError

DEFAULT_API_URL = 'https://secure.dialogtech.com/ibp_api.php'

CONNECTION_ARGUMENT_SPEC = {
    # An identifier, not a secret (validate-modules would guess otherwise from the name).
    'access_key': {'type': 'str', 'no_log': False, 'fallback': (env_fallback, ['DIALOGTECH_ACCESS_KEY'])},
    'secret_access_key': {'type': 'str', 'no_log': True,
                          'fallback': (env_fallback, ['DIALOGTECH_SECRET_ACCESS_KEY'])},
    'api_url': {'type': 'str', 'default': DEFAULT_API_URL, 'fallback': (env_fallback, ['DIALOGTECH_API_URL'])},
    'http_method': {'type': 'str', 'default': 'GET', 'choices': ['GET', 'POST']},
    'timeout': {'type': 'float', 'default': 30},
    'total_timeout': {'type': 'float', 'default': 120},
    'retries': {'type': 'int', 'default': 3},
    'validate_certs': {'type': 'bool', 'default': True},
    'ca_path': {'type': 'path'},
    'max_response_bytes': {'type': 'int', 'default': 64 * 1024 * 1024},
}
ConnectionOptions = namedtuple('ConnectionOptions', list(CONNECTION_ARGUMENT_SPEC))


_CONVERTERS = {'str': check_type_str, 'float': check_type_float, 'int': check_type_int, 'bool': check_type_bool,
               'path': check_type_path}


def environment_variable(name):
    """The variable a connection option falls back to: DIALOGTECH_<NAME>."""
    return 'DIALOGTECH_%s' % name.upper()


def convert_option(name, value):
    """``value`` (a text from the environment or a rulebook) as connection option ``name``'s
    type; raise ValueError saying what it is not."""
    spec = CONNECTION_ARGUMENT_SPEC[name]
    try:
        value = _CONVERTERS[spec['type']](value)
    except (TypeError, ValueError):
        # Only str options can hold the secret, and a str never fails to convert.
        raise ValueError('%r is not a valid %s for %s' % (value, spec['type'], name)) from None
    if 'choices' in spec and value not in spec['choices']:
        raise ValueError('%r is not one of %s for %s' % (value, ', '.join(spec['choices']), name))
    return value


def from_environment(values, environ=None):
    """Every connection option, for callers without Ansible's option system (an
    ansible-rulebook event source): the value in ``values`` when it is not None, else the
    DIALOGTECH_<NAME> variable of ``environ`` (default os.environ) when set and not empty,
    converted to the option's type, else the spec's default.

    Raise DialogTechError naming the variable whose value is not of the option's type.
    """
    environ = os.environ if environ is None else environ
    options = {}
    for name, spec in CONNECTION_ARGUMENT_SPEC.items():
        value = values.get(name)
        if value is None:
            variable = environment_variable(name)
            value = spec.get('default')
            if environ.get(variable):
                try:
                    value = convert_option(name, environ[variable])
                except ValueError as exc:
                    raise DialogTechError('%s=%s' % (variable, exc)) from None
        options[name] = value
    return options


def connection_options(values):
    """The ConnectionOptions among a plugin's option values (which may hold others too)."""
    return ConnectionOptions(**{name: values[name] for name in ConnectionOptions._fields})


def is_http_url(url):
    """Whether ``url`` is an absolute http:// or https:// URL with a host (and a valid port)."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ('http', 'https') and bool(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
        return False


def validate(options):
    """Raise DialogTechError for options no request could succeed with.

    The module's argument spec checks types and choices already; the lookup's option
    system and direct callers do not check ranges or URLs, so everything is checked here.
    """
    for name in ('access_key', 'secret_access_key'):
        if not getattr(options, name):
            raise DialogTechError('%s is required: set it as an option or in the %s environment variable'
                                  % (name, CONNECTION_ARGUMENT_SPEC[name]['fallback'][1][0]))
    if not is_http_url(options.api_url):
        raise DialogTechError('api_url must be an absolute http:// or https:// URL, not %r' % options.api_url)
    if options.http_method not in ('GET', 'POST'):
        raise DialogTechError('http_method must be GET or POST, not %r' % options.http_method)
    for name in ('timeout', 'total_timeout', 'max_response_bytes'):
        if not getattr(options, name) > 0:
            raise DialogTechError('%s must be greater than 0' % name)
    if options.retries < 0:
        raise DialogTechError('retries must be 0 or more')
    # requests checks this only when it sends, with an OSError that never names the option.
    if options.validate_certs and options.ca_path and not os.access(options.ca_path, os.R_OK):
        raise DialogTechError('ca_path %s does not exist or is not readable: give a CA bundle file or a '
                              'directory of CA certificates' % options.ca_path)
