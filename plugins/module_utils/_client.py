# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one private core of the collection: HTTP, XML parsing, errors and redaction.

Every plugin is a thin adapter over ``fetch_numbers``; nothing outside this file talks
to the API or parses its responses.  Private (leading underscore): no compatibility
promise to code outside the collection.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import warnings
from html import escape as html_escape
from collections import namedtuple
from urllib.parse import quote, quote_plus, urljoin, urlsplit
from xml.etree.ElementTree import ParseError, XMLParser

from ansible.module_utils.basic import env_fallback

try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import InsecureRequestWarning, InvalidHeader, ReadTimeoutError
    from urllib3.util.retry import Retry
except ImportError:
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    _SessionBase = _RetryBase = object
else:
    REQUESTS_IMPORT_ERROR = None
    _SessionBase, _RetryBase = requests.Session, Retry

try:
    from defusedxml import DefusedXmlException
    from defusedxml.expatreader import DefusedExpatParser
    from xml.sax import SAXException, SAXParseException
    from xml.sax.handler import ContentHandler
except ImportError:
    DEFUSEDXML_IMPORT_ERROR = traceback.format_exc()
    ContentHandler = object
else:
    DEFUSEDXML_IMPORT_ERROR = None

DEFAULT_API_URL = 'https://secure.dialogtech.com/ibp_api.php'
ACTION = 'sms.get_numbers'
REDACTED = '********'

# The HTTP statuses a retry can cure: rate limiting and a gateway or backend that is
# briefly away.  Other 4xx mean the request itself is wrong; retrying cannot help.
RETRY_STATUSES = frozenset((429, 502, 503, 504))
# A server asking for a longer pause than this is treated as down rather than waited on.
RETRY_AFTER_CAP = 30.0
BACKOFF_FACTOR = 0.5
BODY_EXCERPT_CHARS = 80
# The head of the body kept for error messages: more than the excerpt shows, so that a
# secret echoed back by a server is redacted whole before the excerpt is cut, never cut
# first and leaked in part.
BODY_HEAD_BYTES = 4096
CHUNK_BYTES = 64 * 1024
_DEFAULT_PORTS = {'http': 80, 'https': 443}

# The connection options, their types and defaults, in one place: the module's argument
# spec is this; the doc fragment documents the same (validate-modules checks the module,
# a unit test checks that the lookup's documented defaults agree).
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

# A compact record per number: the 100,000-number account must stay within a small
# multiple of its body size, which one dict per number would not.  Adapters turn the
# records into dicts (``as_dicts``) at the edge.
SmsNumber = namedtuple('SmsNumber', ['number', 'sms_enabled', 'url'])
NumbersResult = namedtuple('NumbersResult', ['numbers', 'result_description'])

_SMS_ENABLED_VALUES = {'1': True, 'true': True, 'yes': True, '0': False, 'false': False, 'no': False}
_SUCCESS_RESULTS = ('', 'success')
_SECRET_PARAMETER = re.compile(r'(secret_access_key=)[^&\s\'"]*')


class DialogTechError(Exception):
    """Every failure of the client, with a one-line message that is safe to show."""


def as_dicts(numbers):
    return [number._asdict() for number in numbers]


def redact(text, secret):
    """Remove the secret from text in every form a URL, form body, XML/HTML page or
    exception could carry it."""
    text = _SECRET_PARAMETER.sub(r'\1' + REDACTED, text)
    if secret:
        forms = {secret, quote_plus(secret), quote(secret, safe=''), quote(secret), html_escape(secret)}
        # Longest first, so a short form cannot break up a longer one before it is replaced.
        for form in sorted(forms, key=len, reverse=True):
            text = text.replace(form, REDACTED)
    return text


def missing_libraries():
    """(library, import traceback) pairs for the runtime dependencies that are absent."""
    return [(name, error) for name, error in (('requests', REQUESTS_IMPORT_ERROR),
                                              ('defusedxml', DEFUSEDXML_IMPORT_ERROR)) if error]


def fetch_numbers(options):
    """Fetch and parse the account's SMS numbers; raise DialogTechError on any failure.

    The error raised carries no chained exception: requests puts the full URL, query
    string and secret included, into its exception texts, and Ansible prints chained
    exceptions at high verbosity.
    """
    try:
        return _fetch_numbers(options)
    except _GaveUp as exc:
        message = 'DialogTech API at %s: %s' % (_origin(options.api_url), exc)
    except DialogTechError as exc:
        message = str(exc)
    except requests.RequestException as exc:
        message = _describe_request_error(exc, options)
    raise DialogTechError(redact(message, options.secret_access_key or ''))


def _fetch_numbers(options):
    _validate(options)
    deadline = time.monotonic() + options.total_timeout
    parameters = {'action': ACTION, 'access_key': options.access_key,
                  'secret_access_key': options.secret_access_key}
    with _session(options, deadline) as session, warnings.catch_warnings():
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
            return _read_response(response, options, deadline)


def _validate(options):
    for name in ('access_key', 'secret_access_key'):
        if not getattr(options, name):
            raise DialogTechError('%s is required: set it as an option or in the %s environment variable'
                                  % (name, CONNECTION_ARGUMENT_SPEC[name]['fallback'][1][0]))
    try:
        parts = urlsplit(options.api_url)
        valid = parts.scheme in ('http', 'https') and parts.hostname and (parts.port or True)
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number
        valid = False
    if not valid:
        raise DialogTechError('api_url must be an absolute http:// or https:// URL, not %r' % options.api_url)
    if options.http_method not in ('GET', 'POST'):
        raise DialogTechError('http_method must be GET or POST, not %r' % options.http_method)
    for name in ('timeout', 'total_timeout', 'max_response_bytes'):
        if not getattr(options, name) > 0:
            raise DialogTechError('%s must be greater than 0' % name)
    if options.retries < 0:
        raise DialogTechError('retries must be 0 or more')


def _read_response(response, options, deadline):
    if response.status_code != 200:
        excerpt = _excerpt(next(response.iter_content(BODY_HEAD_BYTES), b''), options.secret_access_key)
        retried = ' (after %d retries)' % options.retries if response.status_code in RETRY_STATUSES else ''
        raise DialogTechError('DialogTech API at %s answered HTTP %d %s%s; body starts: %s'
                              % (_origin(response.url), response.status_code, response.reason or '',
                                 retried, excerpt))
    declared = response.headers.get('Content-Length', '')
    if declared.isdigit() and int(declared) > options.max_response_bytes:
        raise DialogTechError('DialogTech API response of %s bytes exceeds max_response_bytes=%d; not read'
                              % (declared, options.max_response_bytes))
    parser = ResponseParser(options.secret_access_key)
    received = 0
    for chunk in response.iter_content(CHUNK_BYTES):
        received += len(chunk)
        if received > options.max_response_bytes:
            raise DialogTechError('DialogTech API response exceeds max_response_bytes=%d; stopped reading it'
                                  % options.max_response_bytes)
        if time.monotonic() > deadline:
            raise DialogTechError('DialogTech API at %s: gave up reading the response after '
                                  'total_timeout=%g seconds' % (_origin(options.api_url), options.total_timeout))
        parser.feed(chunk)
    return parser.close()


def _describe_request_error(exc, options):
    origin = _origin(options.api_url)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return ('could not connect to DialogTech API at %s: timed out after %g seconds (timeout) on each of '
                '%d attempts' % (origin, options.timeout, options.retries + 1))
    if isinstance(exc, requests.Timeout) or _is_read_timeout(exc):
        return ('DialogTech API at %s timed out: no data for %g seconds (timeout) while waiting for its answer'
                % (origin, options.timeout))
    if isinstance(exc, requests.exceptions.SSLError):
        return ('TLS verification of %s failed; set ca_path to your CA bundle for a private CA: %s'
                % (origin, _reason(exc)))
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return ('the connection to DialogTech API at %s broke while reading the response: %s'
                % (origin, _reason(exc)))
    if isinstance(exc, requests.exceptions.ProxyError):
        return 'could not reach DialogTech API at %s through the proxy: %s' % (origin, _reason(exc))
    if isinstance(exc, requests.ConnectionError):
        return ('could not connect to DialogTech API at %s (%d attempts): %s'
                % (origin, options.retries + 1, _reason(exc)))
    return 'request to DialogTech API at %s failed: %s' % (origin, _reason(exc))


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


def _origin(url):
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


def _excerpt(body, secret):
    """The first characters of a body for an error message, secret-free, on one line."""
    text = ' '.join(redact(body[:BODY_HEAD_BYTES].decode('utf-8', 'replace'), secret or '').split())
    if not text:
        return '(empty)'
    return repr(text[:BODY_EXCERPT_CHARS] + ('...' if len(text) > BODY_EXCERPT_CHARS else ''))


class _GaveUp(DialogTechError):
    """Raised by the retry policy when waiting for another attempt would pass total_timeout."""


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
      before an answer (a read error too, for urllib3) is retried like a refused one.
    """

    RETRY_AFTER_STATUS_CODES = frozenset((429, 503))
    deadline = None
    total_timeout = None

    def new(self, **kw):
        retry = super(_BoundedRetry, self).new(**kw)
        retry.deadline, retry.total_timeout = self.deadline, self.total_timeout
        return retry

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if isinstance(error, ReadTimeoutError):
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
            raise _GaveUp('gave up after %d attempt(s) (the last %s): waiting %g seconds for another '
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
                                  % (_origin(resp.url), _origin(urljoin(resp.url, target)), resp.status_code))
        return target


class _RedactingFilter(logging.Filter):
    """Takes the secret out of urllib3's log records, which carry the request URL.

    urllib3 logs every retry at WARNING and every request at DEBUG with the URL, and
    with GET the URL holds the secret; in a lookup those records reach ANSIBLE_LOG_PATH.
    """

    def filter(self, record):
        message = record.getMessage()
        if 'secret_access_key=' in message:
            record.msg, record.args = _SECRET_PARAMETER.sub(r'\1' + REDACTED, message), None
        return True


_URLLIB3_LOGGERS = ('urllib3.connection', 'urllib3.connectionpool', 'urllib3.poolmanager', 'urllib3.response',
                    'urllib3.util.retry')


def _redact_library_logs():
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(existing, _RedactingFilter) for existing in logger.filters):
            logger.addFilter(_RedactingFilter())


def _session(options, deadline):
    _redact_library_logs()
    retry = _BoundedRetry(
        total=options.retries, connect=options.retries, read=options.retries, status=options.retries,
        other=0,  # TLS and protocol failures: a retry gets the same answer
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset(('GET', 'POST')),  # sms.get_numbers only reads
        backoff_factor=BACKOFF_FACTOR, respect_retry_after_header=True, raise_on_status=False)
    retry.deadline, retry.total_timeout = deadline, options.total_timeout
    session = _SameOriginSession()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    return session


class _RootReached(Exception):
    """Raised by the prolog guard once the document's root element starts."""


class _StopAtRoot(ContentHandler):
    def startElement(self, name, attrs):
        raise _RootReached()


class ResponseParser(object):
    """Incremental parser of a ``sms.get_numbers`` response.

    Safety and speed are split on purpose.  Entities and external references can only
    be declared in the prolog (the DOCTYPE), so defusedxml's expat reader reads the
    prolog, allowing the vendor's inline DTD but refusing entity declarations and
    external references, and stops at the root element.  The body, which for a large
    account is nearly all of the bytes, then goes through the C XMLParser into
    ``_NumbersTarget``, which keeps only the records: no element tree is built, so time
    and memory stay close to a bare ElementTree parse.
    """

    def __init__(self, secret=None):
        self._guard = DefusedExpatParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
        self._guard.setContentHandler(_StopAtRoot())
        self._prolog = []
        self._target = _NumbersTarget()
        self._parser = None
        self._head = b''
        self._fed = 0
        self._secret = secret

    def feed(self, chunk):
        if len(self._head) < BODY_HEAD_BYTES:
            self._head += chunk[:BODY_HEAD_BYTES - len(self._head)]
        offset, self._fed = self._fed, self._fed + len(chunk)
        try:
            if self._parser is None:
                self._guard_prolog(chunk)
            else:
                self._parser.feed(chunk)
        except (ParseError, SAXException) as exc:
            raise self._malformed(self._not_utf8(chunk, offset)
                                  or 'is not well-formed XML (%s)' % _parse_error_text(exc))
        except _ShapeError as exc:
            raise self._malformed(str(exc))

    def close(self):
        if not self._head.strip():
            raise self._error('is empty')
        # Everything fed so far was well-formed, so any complaint now is that the
        # document stops part-way.
        incomplete = 'ends before the XML document is complete, as if truncated (%s)'
        if self._parser is None:
            raise self._malformed(incomplete % 'its root element never starts')
        try:
            return self._parser.close()
        except ParseError as exc:
            raise self._malformed(incomplete % exc)
        except _ShapeError as exc:
            raise self._malformed(str(exc))

    def _guard_prolog(self, chunk):
        self._prolog.append(chunk)
        try:
            self._guard.feed(chunk)
        except _RootReached:
            self._parser = XMLParser(target=self._target)
            for part in self._prolog:
                self._parser.feed(part)
            self._prolog = None
        except DefusedXmlException as exc:
            raise self._error('was refused: %s' % _describe_refusal(exc))

    def _not_utf8(self, chunk, offset):
        """Describe the chunk as not UTF-8 if that is why it failed to parse, else None.

        Only when the document declares no other encoding (the vendor's declare UTF-8);
        a multi-byte character split at the chunk's end is not an error.
        """
        declared = _DECLARED_ENCODING.match(self._head)
        if declared and declared.group(1).lower().replace(b'_', b'-') not in (b'utf-8', b'utf8'):
            return None
        try:
            chunk.decode('utf-8')
        except UnicodeDecodeError as exc:
            if exc.end < len(chunk) or exc.reason != 'unexpected end of data':
                return 'is not valid UTF-8 (byte 0x%02x at offset %d)' % (chunk[exc.start], offset + exc.start)
        return None

    def _malformed(self, problem):
        # An HTML page (a login form, a proxy's or load balancer's error page) is the
        # usual malformed answer; the XML parser's complaint about it would only confuse.
        if _HTML_START.match(self._head):
            problem = "is an HTML page, not the API's XML (a login, maintenance or proxy page?)"
        return self._error(problem)

    def _error(self, problem):
        return DialogTechError('DialogTech API response %s; body starts: %s'
                               % (problem, _excerpt(self._head, self._secret)))


_HTML_START = re.compile(br'\s*(<!--.*?-->\s*)*<(!doctype\s+html|html)[\s>]', re.IGNORECASE | re.DOTALL)
_DECLARED_ENCODING = re.compile(br'^\s*<\?xml[^>]*encoding\s*=\s*["\']([A-Za-z0-9._-]+)')


def _parse_error_text(exc):
    """expat's complaint and where, worded alike for the guard (SAX) and the C parser."""
    if isinstance(exc, SAXParseException):
        return '%s: line %s, column %s' % (exc.getMessage(), exc.getLineNumber(), exc.getColumnNumber())
    return exc.getMessage() if isinstance(exc, SAXException) else str(exc)


def _describe_refusal(exc):
    kind = type(exc).__name__
    if kind == 'EntitiesForbidden':
        return 'it declares the XML entity %r (entities are never expanded)' % exc.name
    if kind == 'ExternalReferenceForbidden':
        return 'it references the external resource %r (never fetched)' % (exc.sysid or exc.pubid)
    return 'it contains %s' % kind


class _ShapeError(DialogTechError):
    """The document is XML but not a sms.get_numbers response."""


class _NumbersTarget(object):
    """XMLParser target that turns ``<response>`` into a NumbersResult as it streams.

    Depth 1 is ``<response>``, 2 its fields, 3 a ``<number>`` in ``<data>``, 4 an
    optional ``<url>`` child of a number (the vendor's DTD declares one).
    """

    def __init__(self):
        self.depth = 0
        self.fields = {}
        self.numbers = []
        self.text = []
        self.attributes = None
        self.in_data = False
        self.url_element = None

    def start(self, tag, attributes):
        self.depth += 1
        depth = self.depth
        if depth == 3 and self.in_data:
            if tag != 'number':
                raise _ShapeError('has an unexpected <%s> element in <data>' % tag)
            self.attributes = attributes
            self.url_element = None
            self.text = []
        elif depth == 2:
            self.in_data = tag == 'data'
            self.text = []
        elif depth == 1 and tag != 'response':
            raise _ShapeError('has root element <%s>, expected <response>' % tag)
        elif depth == 4 and self.in_data:
            if tag != 'url':
                raise _ShapeError('has an unexpected <%s> element in <number>' % tag)
            self.url_element = []

    def data(self, text):
        depth = self.depth
        if depth == 2 or depth == 3:
            self.text.append(text)
        elif depth == 4 and self.url_element is not None:
            self.url_element.append(text)

    def end(self, tag):
        depth = self.depth
        self.depth -= 1
        if depth == 3 and self.in_data:
            self.numbers.append(self._number())
        elif depth == 2 and not self.in_data:
            self.fields[tag] = ''.join(self.text).strip()

    def _number(self):
        number = ''.join(self.text).strip()
        if not number:
            raise _ShapeError('has a <number> element without a number')
        enabled = self.attributes.get('sms_enabled', '0').strip().lower()
        if enabled not in _SMS_ENABLED_VALUES:
            raise _ShapeError('gives number %s sms_enabled=%r, expected 0 or 1' % (number, enabled))
        url = self.attributes.get('url')
        if url is None and self.url_element is not None:
            url = ''.join(self.url_element)
        return SmsNumber(number, _SMS_ENABLED_VALUES[enabled], (url or '').strip() or None)

    def close(self):
        if 'result' not in self.fields:
            raise _ShapeError('has no <result> element')
        result, description = self.fields['result'], self.fields.get('result_description', '')
        if result.lower() not in _SUCCESS_RESULTS:
            raise DialogTechError('DialogTech API reported %r: %s' % (result, description or '(no description)'))
        return NumbersResult(self.numbers, description)
