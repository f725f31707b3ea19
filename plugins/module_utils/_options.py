# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options: their spec, where unset ones come from, and the checks made
before any request.

The module's argument spec is CONNECTION_ARGUMENT_SPEC; the doc fragment
(plugins/doc_fragments/connection.py) and the role's argument_specs.yml document the
same options, and unit tests hold all three to this spec.

Every plugin takes an option it is not given from the environment, by one rule
(from_environment): DIALOGTECH_<NAME>, an empty variable counting as unset, a value
that is not valid for the option an error naming the variable; then the default of
CONNECTION_DEFAULTS.  The spec itself has neither defaults nor env_fallback: with them
the module could not tell a value it was given (task, module_defaults) from one it made
up, and ansible-core's own conversion errors name the option, not the variable.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections import namedtuple
from urllib.parse import urlsplit

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError

DEFAULT_API_URL = 'https://secure.dialogtech.com/ibp_api.php'
HTTP_METHODS = ('GET', 'POST')
CREDENTIALS = ('access_key', 'secret_access_key')

CONNECTION_ARGUMENT_SPEC = {
    # An identifier, not a secret (validate-modules would guess otherwise from the name).
    'access_key': {'type': 'str', 'no_log': False},
    'secret_access_key': {'type': 'str', 'no_log': True},
    'api_url': {'type': 'str'},
    'http_method': {'type': 'str', 'choices': list(HTTP_METHODS)},
    'timeout': {'type': 'float'},
    'total_timeout': {'type': 'float'},
    'retries': {'type': 'int'},
    'validate_certs': {'type': 'bool'},
    'ca_path': {'type': 'path'},
    'max_response_bytes': {'type': 'int'},
}
# What an option is when neither its plugin nor the environment sets it.
CONNECTION_DEFAULTS = {
    'access_key': None,
    'secret_access_key': None,
    'api_url': DEFAULT_API_URL,
    'http_method': 'GET',
    'timeout': 30.0,
    'total_timeout': 120.0,
    'retries': 3,
    'validate_certs': True,
    'ca_path': None,
    'max_response_bytes': 64 * 1024 * 1024,
}
ConnectionOptions = namedtuple('ConnectionOptions', list(CONNECTION_ARGUMENT_SPEC))


def environment_variable(name):
    """The environment variable of connection option ``name``: DIALOGTECH_<NAME>."""
    return 'DIALOGTECH_' + name.upper()


def _to_int(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, (bool, float)):
        raise TypeError(value)
    return int(value)


def _to_float(value):
    if isinstance(value, bool):
        raise TypeError(value)
    return float(value)


def _to_text(value):
    if not isinstance(value, str):
        raise TypeError(value)
    return value


_CONVERTERS = {
    'bool': lambda value: boolean(value, strict=True),
    'int': _to_int,
    'float': _to_float,
    'path': lambda value: os.path.expanduser(os.path.expandvars(_to_text(value))),
    'str': _to_text,
}
_NOT_A = {'bool': 'is not a boolean (true/false, yes/no, on/off, 1/0)', 'int': 'is not a whole number',
          'float': 'is not a number', 'path': 'is not a path', 'str': 'is not a string'}


def convert_type(kind, value):
    """(value converted to ``kind`` (bool, int, float, path, str), None), or (None, why not)."""
    try:
        return _CONVERTERS[kind](value), None
    except (TypeError, ValueError):
        return None, _NOT_A[kind]


def convert(name, value):
    """(value, None) with ``value`` of connection option ``name`` converted to its type and
    checked as validate() would, or (None, why not: "is not a number", "must be 0 or more",
    ...).  For the text of an environment variable and for a role variable, which
    ansible-core has not converted."""
    value, problem = convert_type(CONNECTION_ARGUMENT_SPEC[name]['type'], value)
    if problem:
        return None, problem
    test, wording = _CONSTRAINTS.get(name, (None, None))
    if test is not None and not test(value):
        return None, wording
    return value, None


def from_environment(values, environ=None, defaults=None):
    """Every connection option: its value in ``values``, else its environment variable.

    For each option whose value in ``values`` is None or absent: the variable
    DIALOGTECH_<NAME> of ``environ`` (default os.environ) if it is set and not empty,
    converted to the option's type (bool as Ansible's boolean words, int, float, path with
    ~ and $VARS expanded) and checked as validate() would; else ``defaults[name]`` if that
    is not None (the lookup's ansible.cfg values, below the environment as Ansible ranks
    them); else CONNECTION_DEFAULTS.  A variable that is consulted and invalid raises
    DialogTechError naming it, e.g. "DIALOGTECH_TIMEOUT: 'ten' is not a number"; one that
    a value in ``values`` overrides is not read.  Returns a new dict; ``values`` may hold
    other keys, which are left out.
    """
    environ = os.environ if environ is None else environ
    defaults = defaults or {}
    resolved = {}
    for name in CONNECTION_ARGUMENT_SPEC:
        value = values.get(name)
        if value is None:
            variable = environment_variable(name)
            text = environ.get(variable)
            if text:
                value, problem = convert(name, text)
                if problem:
                    raise DialogTechError('%s: %r %s' % (variable, text, problem))
            elif defaults.get(name) is not None:
                value = defaults[name]
            else:
                value = CONNECTION_DEFAULTS[name]
        resolved[name] = value
    return resolved


def require_credentials(options, routes):
    """Raise DialogTechError for the first credential ``options`` lacks, naming the
    ``routes`` that would have supplied it: a str.format text of {name} (the option) and
    {variable} (its environment variable), as the calling plugin offers them."""
    for name in CREDENTIALS:
        if not getattr(options, name):
            raise DialogTechError('%s is required: set %s'
                                  % (name, routes.format(name=name, variable=environment_variable(name))))


# Where a module can be given an option: str.format text for require_credentials.
MODULE_ROUTES = 'the option {name}, module_defaults or the {variable} environment variable'


def module_connection(module, defaults=None, credentials=True, **failed):
    """A module's ConnectionOptions: its parameters (task options, then module_defaults),
    else the environment of the host it runs on, else ``defaults`` (a module's own, as
    from_environment takes them); fails the module, with ``failed`` in its result, naming
    the variable or, unless ``credentials`` is false, the missing credential."""
    try:
        options = connection_options(from_environment(module.params, defaults=defaults))
        if credentials:
            require_credentials(options, MODULE_ROUTES)
    except DialogTechError as exc:
        module.fail_json(msg=str(exc), **failed)
    # A secret from the environment is no parameter, so AnsibleModule would not mask it.
    if options.secret_access_key:
        module.no_log_values.add(options.secret_access_key)
    return options


def connection_options(values):
    """The ConnectionOptions among a plugin's option values (which may hold others too)."""
    return ConnectionOptions(**{name: values[name] for name in ConnectionOptions._fields})


# A DNS label as urllib3 takes it (underscores too, which some internal names have).
_HOST_LABEL = re.compile(r'[A-Za-z0-9_-]{1,63}\Z')


def is_http_url(url):
    """Whether ``url`` is an absolute http:// or https:// URL with a valid host (and port)."""
    try:
        parts = urlsplit(url)
        return parts.scheme in ('http', 'https') and _is_host(parts.hostname) and (parts.port or 0) >= 0
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
        return False


def _is_host(host):
    """Whether ``host`` is an IP address or a DNS name whose labels, IDNA-encoded, are 1 to 63
    letters, digits, hyphens or underscores: what the HTTP library can connect to, checked
    here so that nothing else fails with the library's own words (a 64-character label)."""
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        name = host[:-1] if host.endswith('.') else host  # a fully qualified name's final dot
        return all(_HOST_LABEL.match(label) for label in name.encode('idna').decode('ascii').split('.'))
    except UnicodeError:  # a label too long or empty, or a character IDNA has no form for
        return False


def _positive(value):
    return value > 0


# What a value must be beyond its type, in the order validate checks: (test, wording).
_CONSTRAINTS = {
    'api_url': (is_http_url, 'must be an absolute http:// or https:// URL'),
    'http_method': (lambda value: value in HTTP_METHODS, 'must be GET or POST'),
    'timeout': (_positive, 'must be greater than 0'),
    'total_timeout': (_positive, 'must be greater than 0'),
    'max_response_bytes': (_positive, 'must be greater than 0'),
    'retries': (lambda value: value >= 0, 'must be 0 or more'),
}


def validate(options):
    """Raise DialogTechError for options no request could succeed with.

    The module's argument spec checks types and choices already; the lookup's option
    system and direct callers do not check ranges or URLs, so everything is checked here.
    """
    require_credentials(options, 'it as an option or in the {variable} environment variable')
    for name, (test, wording) in _CONSTRAINTS.items():
        value = getattr(options, name)
        if not test(value):
            raise DialogTechError('%s %s, not %r' % (name, wording, value))
    # requests checks this only when it sends, with an OSError that never names the option.
    if options.validate_certs and options.ca_path and not os.access(options.ca_path, os.R_OK):
        raise DialogTechError('ca_path %s does not exist or is not readable: give a CA bundle file or a '
                              'directory of CA certificates' % options.ca_path)
