# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The API actions the collection uses, each one call: what every plugin imports.

The rest of the core answers one question a file: _options (which options, checked how),
_transport (one HTTP request and its retries), _response (the XML answer), _redaction
(keeping the secret out of every text), _errors (the exception types).  Private (leading
underscore): no compatibility promise to code outside the collection.
"""

from __future__ import annotations

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError, UncertainOutcome
from ansible_collections.dialogtech.api.plugins.module_utils._options import validate
from ansible_collections.dialogtech.api.plugins.module_utils._redaction import redact
from ansible_collections.dialogtech.api.plugins.module_utils._response import (
    DEFUSEDXML_IMPORT_ERROR,
    ResponseParser,
)
from ansible_collections.dialogtech.api.plugins.module_utils._transport import (
    REQUESTS_IMPORT_ERROR,
    GaveUp,
    RequestException,
    describe_request_error,
    may_have_been_received,
    origin,
    send,
)


def missing_libraries():
    """(library, import traceback) pairs for the runtime dependencies that are absent."""
    return [(name, error) for name, error in (('requests', REQUESTS_IMPORT_ERROR),
                                              ('defusedxml', DEFUSEDXML_IMPORT_ERROR)) if error]


def fetch_numbers(options):
    """``sms.get_numbers``: an ApiResponse with every SMS number of the account."""
    return _call(options, {'action': 'sms.get_numbers'})


def register_number(options, number, url):
    """``sms.register_number``: enable SMS on a number of the account, forwarding to ``url``."""
    return _call(options, {'action': 'sms.register_number', 'number': number, 'url': url}, idempotent=False)


def unregister_number(options, number):
    """``sms.unregister_number``: turn SMS off for a number of the account."""
    return _call(options, {'action': 'sms.unregister_number', 'number': number}, idempotent=False)


def _call(options, parameters, idempotent=True):
    """Make one API call; raise DialogTechError (UncertainOutcome for a write that may
    have taken effect) on any failure.

    The error raised carries no chained exception: requests puts the full URL, query
    string and secret included, into its exception texts, and Ansible prints chained
    exceptions at high verbosity.
    """
    uncertain = definite = False
    try:
        validate(options)
        credentials = {'access_key': options.access_key, 'secret_access_key': options.secret_access_key}
        return send(options, dict(parameters, **credentials), ResponseParser(options.secret_access_key), idempotent)
    except GaveUp as exc:
        message = 'DialogTech API at %s: %s' % (origin(options.api_url), exc)
    except UncertainOutcome as exc:
        message, uncertain = str(exc), True
    except DialogTechError as exc:
        message, definite = str(exc), exc.definite
    except RequestException as exc:
        message = describe_request_error(exc, options, idempotent)
        uncertain = not idempotent and may_have_been_received(exc)
    except OSError as exc:
        # Local trouble before anything was sent: a CA bundle that cannot be read, no
        # file descriptors left.  requests raises it bare, without naming the option.
        message = 'could not send the request to DialogTech API at %s: %s' % (
            origin(options.api_url), exc.strerror or exc)
    message = redact(message, options.secret_access_key or '')
    if uncertain:
        raise UncertainOutcome(message)
    raise DialogTechError(message, definite=definite)
