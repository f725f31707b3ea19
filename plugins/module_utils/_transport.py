# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One request to the API: the HTTP session, its retry and redirect policies, limits,
and error messages that never carry the URL (it holds the secret with GET)."""

from __future__ import annotations

import re
import socket
import threading
import time
import traceback
import warnings
import zlib
from urllib.parse import urljoin, urlsplit

try:
    import requests
    from requests.adapters import HTTPAdapter
    from requests.utils import requote_uri
    from urllib3 import poolmanager
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    from urllib3.exceptions import (
        ConnectTimeoutError,
        InsecureRequestWarning,
        InvalidHeader,
        LocationValueError,
        ProtocolError,
        ReadTimeoutError,
        SSLError,
    )
    from urllib3.util.retry import Retry
except ImportError:
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    _SessionBase = _RetryBase = _AdapterBase = object
    HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object
    # Catches nothing: without requests no request is made (adapters check
    # REQUESTS_IMPORT_ERROR first), so none of its exceptions can arise.
    RequestException = ()
else:
    REQUESTS_IMPORT_ERROR = None
    _SessionBase, _RetryBase, _AdapterBase = requests.Session, Retry, HTTPAdapter
    RequestException = requests.RequestException

from ansible_collections.dialogtech.api.plugins.module_utils._errors import ApiRefusal, DialogTechError, UncertainOutcome
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
# requests' default: a server that sends a client round in circles is broken, not slow.
MAX_REDIRECTS = 30
# Asked for, and the only coding taken as is.  A server or proxy may compress anyway: gzip
# and deflate are inflated here, a chunk at a time up to max_response_bytes, never by
# urllib3 (whose releases before 2.6 inflate a whole read at once: a gzip bomb).
_IDENTITY = 'identity'
_INFLATED_CODINGS = frozenset(('gzip', 'x-gzip', 'deflate'))
# zlib's window size plus 32: either header, gzip or zlib, is recognised.
_GZIP_OR_ZLIB = zlib.MAX_WBITS | 32
_DEFAULT_PORTS = {'http': 80, 'https': 443}
# A header is Latin-1 text: str.isdigit() would take '²', which int() refuses.
_DIGITS = re.compile(r'[0-9]+\Z')


class GaveUp(DialogTechError):
    """Raised by the retry policy when waiting for another attempt would pass total_timeout."""


def send(options, parameters, parser, idempotent=True):
    """Send one API request and stream its body into ``parser``; return ``parser.close()``.

    ``idempotent=False`` (a write): nothing that may have reached the server is retried,
    and a failure after sending raises UncertainOutcome rather than DialogTechError.
    Exceptions of requests are left to ``describe_request_error``.
    """
    deadline = time.monotonic() + options.total_timeout
    with _Watchdog(deadline) as watchdog, _session(options, deadline, idempotent) as session, \
            warnings.catch_warnings():
        # validate_certs=false is the user's explicit choice; urllib3's warning on every
        # request would only repeat it.
        warnings.simplefilter('ignore', InsecureRequestWarning)
        try:
            return _exchange(session, options, parameters, parser, idempotent)
        except LocationValueError as exc:
            # urllib3's, for a proxy URL it cannot parse (a 64-character DNS label), which
            # requests lets through: before anything was sent.
            raise requests.exceptions.InvalidURL(exc)
        except (RequestException, DialogTechError) as exc:
            if not watchdog.expired:
                raise
            # Whatever broke, it broke because the watchdog cut the connection.
            sent = not isinstance(exc, (GaveUp, requests.exceptions.ConnectTimeout))
    message = ('DialogTech API at %s: no complete answer within total_timeout=%g seconds; gave up'
               % (origin(options.api_url), options.total_timeout))
    if sent and not idempotent:
        raise UncertainOutcome(message)
    raise DialogTechError(message)


def _exchange(session, options, parameters, parser, idempotent):
    response = _request(session, options, parameters)
    with response:
        _check_status(response, options, idempotent)
        try:
            return _read_body(response, options, parser)
        except ApiRefusal:
            raise
        except DialogTechError as exc:
            if idempotent:
                raise
            # A 200 proves the write arrived; an answer that cannot be read says nothing
            # about whether it took effect.
            message = str(exc)
        except RequestException as exc:
            if idempotent:
                raise
            message = describe_request_error(exc, options, idempotent)
    raise UncertainOutcome(message)


def _request(session, options, parameters):
    """The response to the request, redirects within the origin followed.

    Followed here, not by requests, which reads and decodes the body of every redirect
    it follows: a redirect's body is never read at all.
    """
    method, url = options.http_method, options.api_url
    params, data = (parameters, None) if method == 'GET' else (None, parameters)
    for _redirect in range(MAX_REDIRECTS + 1):
        response = session.request(
            method, url, params=params, data=data, headers={'Accept-Encoding': _IDENTITY},
            timeout=options.timeout, verify=(options.ca_path or True) if options.validate_certs else False,
            stream=True, allow_redirects=False)
        target = session.get_redirect_target(response)
        if not target:
            return response
        response.close()
        # The target carries the query the server chose; as browsers (and requests) do,
        # a POST answered 301, 302 or 303 is repeated as a GET, its form dropped.
        url, params = requote_uri(urljoin(response.url, target)), None
        if response.status_code in (301, 302, 303) and method == 'POST':
            method, data = 'GET', None
    raise requests.TooManyRedirects('Exceeded %d redirects.' % MAX_REDIRECTS)


def _check_status(response, options, idempotent):
    if response.status_code == 200:
        return
    try:
        head = next(_body_chunks(response, BODY_HEAD_BYTES, BODY_HEAD_BYTES), b'')
    except DialogTechError:  # in a content coding not decoded, or corrupt: the status says enough
        head = b''
    body = excerpt(head, options.secret_access_key)
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


def _read_body(response, options, parser):
    declared = response.headers.get('Content-Length', '')
    if _DIGITS.match(declared) and int(declared) > options.max_response_bytes:
        raise DialogTechError('DialogTech API response of %s bytes exceeds max_response_bytes=%d; not read'
                              % (declared, options.max_response_bytes))
    for chunk in _body_chunks(response, options.max_response_bytes, CHUNK_BYTES):
        parser.feed(chunk)
    return parser.close()


def _body_chunks(response, limit, chunk_bytes):
    """The body, decoded, in chunks of at most ``chunk_bytes``; DialogTechError once more
    than ``limit`` bytes arrive or would be inflated.

    urllib3 is asked for the bytes as sent (decode_content=False); its exceptions become
    the ones requests raises when it reads a body, for ``describe_request_error``.
    """
    coding = response.headers.get('Content-Encoding', _IDENTITY).strip().lower() or _IDENTITY
    if coding != _IDENTITY and coding not in _INFLATED_CODINGS:
        raise DialogTechError('DialogTech API response is in Content-Encoding %r, which the collection does '
                              'not decode (it asks for identity); not read' % coding)
    inflater = zlib.decompressobj(_GZIP_OR_ZLIB) if coding in _INFLATED_CODINGS else None
    received = decoded = 0
    try:
        for raw in response.raw.stream(chunk_bytes, decode_content=False):
            received += len(raw)
            for chunk in _inflated(inflater, raw, chunk_bytes) if inflater else (raw,):
                decoded += len(chunk)
                if max(received, decoded) > limit:
                    raise DialogTechError('DialogTech API response exceeds max_response_bytes=%d; stopped '
                                          'reading it' % limit)
                yield chunk
    except zlib.error as exc:
        raise DialogTechError('DialogTech API response in Content-Encoding %r could not be decompressed: %s'
                              % (coding, exc))
    except ProtocolError as exc:
        raise requests.exceptions.ChunkedEncodingError(exc)
    except ReadTimeoutError as exc:
        raise requests.ConnectionError(exc)
    except SSLError as exc:
        raise requests.exceptions.SSLError(exc)


def _inflated(inflater, data, chunk_bytes):
    """What ``data`` inflates to, at most ``chunk_bytes`` at a time however much that is.

    Bytes after the end of the compressed stream are left unread: should they be the
    rest of the document, the parser finds it cut short.
    """
    while not inflater.eof:
        chunk = inflater.decompress(data, chunk_bytes)
        data = inflater.unconsumed_tail
        if chunk:
            yield chunk
        # A full chunk may leave output pending in zlib with no input left to give it.
        if not data and len(chunk) < chunk_bytes:
            return


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

    Only a URL that cannot be used (api_url's or a proxy's) or a failure to connect
    (refused, unresolvable, connect timeout, TLS handshake, proxy) proves it was not sent.
    """
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema,
                        requests.exceptions.MissingSchema, requests.exceptions.ConnectTimeout,
                        requests.exceptions.SSLError, requests.exceptions.ProxyError)):
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
    """A session that follows redirects only within the API's own origin (``_request``
    follows them, with this session's ``get_redirect_target``).

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

    def resolve_redirects(self, *args, **kwargs):
        """Nothing: ``_request`` follows redirects.  requests would read and decode each
        redirect's body here, even with allow_redirects=False (to offer Response.next)."""
        return iter(())


_WATCHDOG = threading.local()


class _Watchdog(object):
    """Ends the request at its deadline, whatever the server sends and however slowly.

    A per-read timeout is restarted by every byte, so a server dripping its headers or
    body could hold the request for ever.  At the deadline this shuts down every socket
    the request opened, which ends a read blocked anywhere (TLS handshake, headers,
    body) at once; a connection attempted after it is refused as a connect timeout,
    since nothing was sent on it.  The sockets are watched through duplicates of their
    descriptors, which TLS wrapping leaves open.
    """

    def __init__(self, deadline):
        self.expired = False
        self._lock = threading.Lock()
        self._sockets = []
        self._timer = threading.Timer(max(deadline - time.monotonic(), 0), self._expire)
        self._timer.daemon = True

    def __enter__(self):
        _WATCHDOG.current = self
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()
        _WATCHDOG.current = None
        with self._lock:
            for sock in self._sockets:
                sock.close()
            del self._sockets[:]

    def watch(self, sock):
        with self._lock:
            if self.expired:
                sock.close()
                # Never shown: send() sees the watchdog expired and says so itself.
                raise ConnectTimeoutError()
            self._sockets.append(sock.dup())
        return sock

    def _expire(self):
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:  # already closed by the other end
                    pass


class _WatchedConnection(object):
    """Mixed into urllib3's connection classes: each new socket goes to the watchdog of the
    request in progress on this thread (requests makes it in the caller's thread)."""

    def _new_conn(self):
        sock = super(_WatchedConnection, self)._new_conn()
        watchdog = getattr(_WATCHDOG, 'current', None)
        return watchdog.watch(sock) if watchdog else sock


def _watched(connection_class):
    # Under urllib3's own name, which its error texts show ("HTTPConnection(host=...)").
    return type(connection_class.__name__, (_WatchedConnection, connection_class), {})


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _watched(HTTPConnection)


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _watched(HTTPSConnection)


class _WatchedAdapter(_AdapterBase):
    """HTTPAdapter whose connections the watchdog sees, directly or through an HTTP(S) proxy
    (a SOCKS proxy's connections are its own classes, left as they are)."""

    _POOLS = {'http': _WatchedHTTPConnectionPool, 'https': _WatchedHTTPSConnectionPool}

    def init_poolmanager(self, *args, **kwargs):
        super(_WatchedAdapter, self).init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._POOLS

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super(_WatchedAdapter, self).proxy_manager_for(proxy, **proxy_kwargs)
        if manager.pool_classes_by_scheme is poolmanager.pool_classes_by_scheme:
            manager.pool_classes_by_scheme = self._POOLS
        return manager


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
    adapter = _WatchedAdapter(max_retries=retry)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    return session
