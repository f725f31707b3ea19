# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request to the API: the HTTP session, its retry and redirect policies, limits,
and error messages that never carry the URL (it holds the secret with GET)."""

from __future__ import annotations

import re
import time
import traceback
import warnings
from urllib.parse import urljoin, urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import InsecureRequestWarning, InvalidHeader, ProtocolError, ReadTimeoutError
    from urllib3.util.retry import Retry
except ImportError:
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    _SessionBase = _RetryBase = object
    # Catches nothing: without requests no request is made (adapters check
    # REQUESTS_IMPORT_ERROR first), so none of its exceptions can arise.
    RequestException = ()
else:
    REQUESTS_IMPORT_ERROR = None
    _SessionBase, _RetryBase = requests.Session, Retry
    RequestException = requests.RequestException

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError, UncertainOutcome
from ansible_collections.dialogtech.api.plugins.module_utils._redaction import (
    BODY_HEAD_BYTES,
    excerpt,
    redact_library_logs,
)

# The HTTP statuses a retry can cure: rate limiting and a gateway or backend that is
# briefly away.  Other 4xx mean the request itself is wrong; retrying cannot help.
RETRY_STATUSES = frozenset((429, 502, 503, 504))
# Of those, the ones that say the request was not acted on: only these are retried for
# a write.  A gateway's 502 or 504 may come after the backend changed the account.
WRITE_RETRY_STATUSES = frozenset((429, 503))
# A server asking for a longer pause than this is treated as down rather than waited on.
RETRY_AFTER_CAP = 30.0
BACKOFF_FACTOR = 0.5
CHUNK_BYTES = 64 * 1024
_DEFAULT_PORTS = {'http': 80, 'https': 443}


class GaveUp(DialogTechError):
    """Raised by the retry policy when waiting for another attempt would pass total_timeout."""


def send(options, parameters, parser, idempotent=True):
    """Send one API request and stream its body into ``parser``; return ``parser.close()``.

    ``idempotent=False`` (a write): nothing that may have reached the server is retried,
    and a failure after sending raises UncertainOutcome rather than DialogTechError.
    Exceptions of requests are left to ``describe_request_error``.
    """
    deadline = time.monotonic() + options.total_timeout
    with _session(options, deadline, idempotent) as session, warnings.catch_warnings():
        # validate_certs=false is the user's explicit choice; urllib3's warning on every
        # request would only repeat it.
        warnings.simplefilter('ignore', InsecureRequestWarning)
        response = session.request(
            options.http_method, options.api_url,
            params=parameters if options.http_method == 'GET' else None,
            data=parameters if options.http_method == 'POST' else None,
            timeout=options.timeout, verify=(options.ca_path or True) if options.validate_certs else False,
            stream=True)
        with response:
            _check_status(response, options, idempotent)
            return _read_body(response, options, deadline, parser)


def _check_status(response, options, idempotent):
    if response.status_code == 200:
        return
    body = excerpt(next(response.iter_content(BODY_HEAD_BYTES), b''), options.secret_access_key)
    retried = ''
    if response.status_code in (RETRY_STATUSES if idempotent else WRITE_RETRY_STATUSES):
        retried = ' (after %d retries)' % options.retries
    message = ('DialogTech API at %s answered HTTP %d %s%s; body starts: %s'
               % (origin(response.url), response.status_code, response.reason or '', retried, body))
    if not idempotent and response.status_code >= 500 and response.status_code not in WRITE_RETRY_STATUSES:
        raise UncertainOutcome(message)
    # A 4xx other than a request timeout or rate limit refuses the request itself.
    definite = 400 <= response.status_code < 500 and response.status_code not in (408, 429)
    raise DialogTechError(message, definite=definite)


def _read_body(response, options, deadline, parser):
    declared = response.headers.get('Content-Length', '')
    if declared.isdigit() and int(declared) > options.max_response_bytes:
        raise DialogTechError('DialogTech API response of %s bytes exceeds max_response_bytes=%d; not read'
                              % (declared, options.max_response_bytes))
    received = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        received += len(chunk)
        if received > options.max_response_bytes:
            raise DialogTechError('DialogTech API response exceeds max_response_bytes=%d; stopped reading it'
                                  % options.max_response_bytes)
        if time.monotonic() > deadline:
            raise DialogTechError('DialogTech API at %s: gave up reading the response after '
                                  'total_timeout=%g seconds' % (origin(options.api_url), options.total_timeout))
        parser.feed(chunk)
    return parser.close()


def describe_request_error(exc, options, idempotent=True):
    """A one-line, URL-free message for an exception of requests."""
    where = origin(options.api_url)
    if not idempotent and _is_closed_before_answer(exc):
        return ('DialogTech API at %s closed the connection before answering the write, which was sent once '
                'and not retried: %s' % (where, _reason(exc)))
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ('could not connect to DialogTech API at %s: timed out after %g seconds (timeout) on each of '
                '%d attempts' % (where, options.timeout, options.retries + 1))
    if isinstance(exc, requests.Timeout) or _is_read_timeout(exc):
        return ('DialogTech API at %s timed out: no data for %g seconds (timeout) while waiting for its answer'
                % (where, options.timeout))
    if isinstance(exc, requests.exceptions.SSLError):
        return ('TLS verification of %s failed; set ca_path to your CA bundle for a private CA: %s'
                % (where, _reason(exc)))
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return ('the connection to DialogTech API at %s broke while reading the response: %s'
                % (where, _reason(exc)))
    if isinstance(exc, requests.exceptions.ProxyError):
        return 'could not reach DialogTech API at %s through the proxy: %s' % (where, _reason(exc))
    if isinstance(exc, requests.ConnectionError):
        return ('could not connect to DialogTech API at %s (%d attempts): %s'
                % (where, options.retries + 1, _reason(exc)))
    return 'request to DialogTech API at %s failed: %s' % (where, _reason(exc))


def may_have_been_received(exc):
    """Whether the server may have got the request an exception of requests ended.

    Only a failure to connect (refused, unresolvable, connect timeout, TLS handshake,
    proxy) proves it was not sent.
    """
    if isinstance(exc, (requests.exceptions.ConnectTimeout, requests.exceptions.SSLError,
                        requests.exceptions.ProxyError)):
        return False
    if isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return _is_read_timeout(exc) or _is_closed_before_answer(exc)
    return True


def _is_closed_before_answer(exc):
    return isinstance(exc, requests.ConnectionError) and bool(exc.args) and isinstance(exc.args[0], ProtocolError)


def _is_read_timeout(exc):
    # requests reports a read timeout during a streamed body as a ConnectionError.
    return bool(exc.args) and isinstance(exc.args[0], ReadTimeoutError)


def _reason(exc):
    """The innermost useful description of a requests/urllib3 error, URL-free."""
    reason = exc.args[0] if exc.args else exc
    reason = getattr(reason, 'reason', reason)
    if isinstance(reason, Exception) and reason.args and isinstance(reason.args[0], str):
        reason = reason.args[0]  # urllib3's ProtocolError: (message, underlying exception)
    return re.sub(r"\s*\(Caused by .*", '', re.sub(r'https?://\S+', '<url>', str(reason)))


def origin(url):
    """scheme://host[:port] of a URL, without user info, path or query."""
    parts = urlsplit(url)
    return '%s://%s' % (parts.scheme, parts.netloc.rpartition('@')[2])


def _same_origin(url, other):
    """Whether two URLs share scheme, host and port (explicit default ports included)."""
    try:
        origins = [(parts.scheme.lower(), parts.hostname or '', parts.port or _DEFAULT_PORTS.get(parts.scheme.lower()))
                   for parts in (urlsplit(url), urlsplit(other))]
    except ValueError:  # an invalid port, in a Location header the server chose
        return False
    return origins[0] == origins[1]


class _BoundedRetry(_RetryBase):
    """urllib3 Retry that never sleeps past the caller's deadline or a capped Retry-After.

    Changes to urllib3's policy, each on purpose:

    - the backoff starts with the first retry (urllib3 retries the first failure at
      once): BACKOFF_FACTOR, then twice that, and so on;
    - Retry-After is honoured only on 429 and 503 (urllib3 also honours it on 413, a
      client error a retry cannot cure), capped at RETRY_AFTER_CAP, and an unparsable
      value counts as absent rather than failing the call;
    - a read timeout is never retried: the server is hung, and waiting ``timeout``
      again per retry is what total_timeout exists to prevent.  A connection closed
      before an answer (a read error too, for urllib3) is retried like a refused one,
      except for a write (``idempotent`` false), which the server may have acted on.
    """

    RETRY_AFTER_STATUS_CODES = frozenset((429, 503))
    deadline = None
    total_timeout = None
    idempotent = True

    def new(self, **kw):
        retry = super(_BoundedRetry, self).new(**kw)
        retry.deadline, retry.total_timeout, retry.idempotent = self.deadline, self.total_timeout, self.idempotent
        return retry

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, ReadTimeoutError) or not self.idempotent and isinstance(error, ProtocolError):
            raise error
        return super(_BoundedRetry, self).increment(method, url, response, error, _pool, _stacktrace)

    def get_backoff_time(self):
        failures = sum(1 for attempt in self.history if attempt.redirect_location is None)
        return self.backoff_factor * 2 ** (failures - 1) if failures else 0.0

    def parse_retry_after(self, retry_after):
        try:
            seconds = super(_BoundedRetry, self).parse_retry_after(retry_after)
        except InvalidHeader:
            return 0.0
        return min(seconds, RETRY_AFTER_CAP)

    def sleep(self, response=None):
        remaining = self.deadline - time.monotonic()
        wanted = self.get_backoff_time()
        if response is not None and self.respect_retry_after_header:
            wanted = max(wanted, self.get_retry_after(response) or 0)
        if wanted >= remaining:
            last = 'answered HTTP %d' % response.status if response is not None else 'got no answer'
            raise GaveUp('gave up after %d attempt(s) (the last %s): waiting %g seconds for another '
                         'would pass total_timeout=%g' % (len(self.history), last, wanted, self.total_timeout))
        time.sleep(wanted)


class _SameOriginSession(_SessionBase):
    """A session that follows redirects only within the API's own origin.

    A redirect elsewhere, or from https to http, would hand the credentials (in the
    query string or a re-sent form body) to a party the user never configured.
    """

    def get_redirect_target(self, resp):
        target = super(_SameOriginSession, self).get_redirect_target(resp)
        if target and not _same_origin(urljoin(resp.url, target), resp.url):
            raise DialogTechError('DialogTech API at %s redirected to %s (HTTP %d); refusing to follow a '
                                  'redirect to another origin with credentials: check api_url'
                                  % (origin(resp.url), origin(urljoin(resp.url, target)), resp.status_code))
        return target


def _session(options, deadline, idempotent):
    redact_library_logs()
    retry = _BoundedRetry(
        total=options.retries, connect=options.retries, read=options.retries, status=options.retries,
        other=0,  # TLS and protocol failures: a retry gets the same answer
        status_forcelist=RETRY_STATUSES if idempotent else WRITE_RETRY_STATUSES,
        # The API takes both verbs; whether a retry is safe is the idempotent flag's business.
        allowed_methods=frozenset(('GET', 'POST')),
        backoff_factor=BACKOFF_FACTOR, respect_retry_after_header=True, raise_on_status=False)
    retry.deadline, retry.total_timeout, retry.idempotent = deadline, options.total_timeout, idempotent
    session = _SameOriginSession()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    return session
