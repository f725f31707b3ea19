# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Does anything answer at a listener URL?  One read-only request per distinct URL.

Standard library only: probing URLs needs neither requests nor defusedxml, and requests
cannot connect to an address that was checked while sending the URL's host name for SNI
and certificate checking.  The steps of a probe, each ending it with one ``problem``:
the URL (``invalid_url``), one DNS lookup (``unresolvable``), every address it gave
(``private_address``: never contacted), the connection to a checked address
(``unreachable``, ``timeout``), the certificate (``tls_invalid``), the status line
(``not_found``, ``http_error``) and, for a listener that answers, the certificate's
expiry (``certificate_expiring``).
"""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import os
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from ansible_collections.dialogtech.api.plugins.module_utils._errors import DialogTechError

# Held equal to galaxy.yml's version by a unit test: a module cannot read galaxy.yml.
COLLECTION_VERSION = '0.2.0'
USER_AGENT = 'dialogtech.api/%s (SMS listener probe; +https://github.com/dialogtech-api/dialogtech.api)' % (
    COLLECTION_VERSION)
METHODS = ('HEAD', 'GET')
PROBLEMS = ('invalid_url', 'unresolvable', 'private_address', 'unreachable', 'timeout', 'tls_invalid',
            'http_error', 'not_found', 'certificate_expiring')
# Statuses that show a listener is there: 401/403 guard it, 405 says it takes only POST,
# which is how DialogTech delivers.
_ALIVE_STATUSES = frozenset((401, 403, 405))
_NOT_FOUND_STATUSES = frozenset((404, 410))
_DEFAULT_PORTS = {'http': 80, 'https': 443}


class _ProbeEnded(Exception):
    """A step found the listener's problem; no later step runs."""

    def __init__(self, message, problem):
        super(_ProbeEnded, self).__init__(message)
        self.problem = problem


def probe_all(urls, timeout=10, workers=16, method='HEAD', validate_certs=True, ca_path=None,
              certificate_min_days=14, allow_private_addresses=False):
    """One result dict per distinct URL of ``urls``, in the order of first appearance.

    ``workers`` probes run at once, so a listener that never answers costs its slot one
    ``timeout`` while the others go on.
    """
    distinct = list(dict.fromkeys(urls))
    if not distinct:
        return []
    # Loading a CA bundle takes a good part of a task that probes only http:// URLs.
    tls_context = None
    if any(isinstance(url, str) and url[:6].lower() == 'https:' for url in distinct):
        tls_context = tls_contexts(validate_certs, ca_path)

    def one(url):
        return probe(url, timeout, method, tls_context, certificate_min_days, allow_private_addresses)

    with ThreadPoolExecutor(max_workers=min(workers, len(distinct))) as pool:
        return list(pool.map(one, distinct))


def tls_contexts(validate_certs, ca_path=None):
    """``(checking, reading)`` SSL contexts: the one that verifies (None when
    ``validate_certs`` is false) and the one that only reads the certificate.

    The CAs are those the API connection trusts (requests' fallbacks, the same option's
    documentation): ``ca_path`` (a file, or a directory made with ``openssl rehash``), else
    $REQUESTS_CA_BUNDLE or $CURL_CA_BUNDLE, else certifi's bundle when installed, else
    the system's.
    """
    reading = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    reading.check_hostname = False
    reading.verify_mode = ssl.CERT_NONE
    if not validate_certs:
        return None, reading
    bundle = ca_path or os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or _certifi_bundle()
    try:
        if bundle and os.path.isdir(bundle):
            return ssl.create_default_context(capath=bundle), reading
        return ssl.create_default_context(cafile=bundle), reading
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        raise DialogTechError('could not load the CA certificates of %s: %s; give a PEM bundle file or a '
                              'directory of CA certificates' % (bundle, _reason(exc)))


def _certifi_bundle():
    try:
        import certifi
    except ImportError:
        return None
    return certifi.where()


def probe(url, timeout, method, tls_context, certificate_min_days, allow_private_addresses):
    """The result dict of one URL: ``{url, problem, message, status, addresses, tls, elapsed_ms}``."""
    started = time.monotonic()
    result = {'url': url, 'problem': None, 'message': None, 'status': None, 'addresses': [], 'tls': None}
    watchdog = _Watchdog(timeout)
    try:
        scheme, host, port, target = split_url(url)
        targets = resolve(host, port, watchdog)
        result['addresses'] = [sockaddr[0] for _family, sockaddr in targets]
        if not allow_private_addresses:
            refuse_private(host, result['addresses'])
        if scheme == 'https':
            result['tls'] = {'verified': False, 'error': None, 'not_after': None, 'days_left': None}
        status, reason, location = _request(result, targets, host, port, target, watchdog, method, tls_context)
        result['status'] = status
        result['problem'], result['message'] = classify(status, reason, location)
        if result['problem'] is None and result['tls'] and result['tls']['days_left'] is not None:
            result['problem'], result['message'] = expiry_problem(result['tls'], certificate_min_days,
                                                                  result['message'])
    except _ProbeEnded as ended:
        result['problem'], result['message'] = ended.problem, str(ended)
    finally:
        watchdog.cancel()
    result['elapsed_ms'] = int((time.monotonic() - started) * 1000)
    return result


def split_url(url):
    """``(scheme, host, port, request target)`` of an absolute http(s) URL, or _ProbeEnded."""
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        port = parts.port if parts else None
    except ValueError:  # an unclosed IPv6 bracket, a port that is not a number or out of range
        parts = None
    if parts is None or parts.scheme not in _DEFAULT_PORTS or not parts.hostname or any(
            character.isspace() or ord(character) < 32 for character in url):
        raise _ProbeEnded('not an absolute http:// or https:// URL with a host name: %r' % (url,), 'invalid_url')
    target = (parts.path or '/') + ('?' + parts.query if parts.query else '')
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme], target


def resolve(host, port, watchdog):
    """``(family, socket address)`` of each distinct address ``host`` resolves to, in the
    resolver's order: the only lookup a probe makes, so the address checked is the
    address contacted.

    getaddrinfo has no timeout of its own, so it runs in a thread of its own that the
    probe stops waiting for at its deadline (a daemon thread: a resolver that never
    answers does not keep the module from exiting).
    """
    answer = {}

    def lookup():
        try:
            answer['answers'] = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
            answer['error'] = exc
    resolver = threading.Thread(target=lookup, name='resolve %s' % host)
    resolver.daemon = True
    resolver.start()
    resolver.join(watchdog.remaining())
    if resolver.is_alive():
        raise _ProbeEnded('no answer from the DNS resolver for %s within %g s' % (host, watchdog.timeout), 'timeout')
    if 'error' in answer:
        raise _ProbeEnded('host name %s does not resolve: %s' % (host, _reason(answer['error'])), 'unresolvable')
    answers = answer['answers']
    targets = {}
    for family, _type, _protocol, _name, sockaddr in answers:
        targets.setdefault(sockaddr[0], (family, sockaddr))
    return list(targets.values())


def unreachable_kind(address):
    """Why DialogTech, on the internet, could never deliver to ``address`` (a kind of
    address, e.g. ``'loopback'``), or None for a global unicast address.

    An IPv6 address that embeds an IPv4 one (IPv4-mapped ``::ffff:0:0/96``, 6to4
    ``2002::/16``) is judged by the IPv4 address, which is where it leads.
    """
    ip = ipaddress.ip_address(address.split('%', 1)[0])  # a scope id (fe80::1%eth0) is no part of it
    if ip.version == 6:
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            ip = embedded
    for kind in ('loopback', 'link_local', 'multicast', 'unspecified', 'reserved', 'private'):
        if getattr(ip, 'is_' + kind):
            return kind.replace('_', '-')
    if not ip.is_global:  # shared (100.64.0.0/10), documentation and other special ranges
        return 'non-global'
    return None


def refuse_private(host, addresses):
    for address in addresses:
        kind = unreachable_kind(address)
        if kind:
            raise _ProbeEnded('%s: %s is a %s address, which DialogTech cannot deliver to; not contacted '
                              '(allow_private_addresses is false)' % (host, address, kind), 'private_address')


def classify(status, reason, location=None):
    """``(problem, message)`` of an HTTP answer; problem None means a listener is there."""
    line = 'HTTP %d %s' % (status, reason) if reason else 'HTTP %d' % status
    if 300 <= status < 400:
        return None, '%s, redirects to %s (not followed)' % (line, location or 'no Location given')
    if 200 <= status < 300 or status in _ALIVE_STATUSES:
        return None, line
    if status in _NOT_FOUND_STATUSES:
        return 'not_found', '%s: nothing at this path' % line
    return 'http_error', '%s: the listener answers with an error' % line


def expiry_problem(tls, certificate_min_days, message):
    """``(problem, message)`` of a listener that answered, from its certificate's expiry."""
    if tls['days_left'] < certificate_min_days:
        return 'certificate_expiring', 'TLS certificate expires %s, in %d days (certificate_min_days is %d)' % (
            tls['not_after'], tls['days_left'], certificate_min_days)
    return None, message


class _Watchdog(object):
    """A probe's deadline, ``timeout`` after it starts: ends the probe's socket when its
    time is up.

    Socket timeouts bound each read, not their sum: a server sending one header byte a
    second would never trip them.  Shutting the socket down from a timer makes the
    pending read return, and ``expired`` tells that apart from a server that closed.
    """

    def __init__(self, timeout):
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.expired = False
        self._socket = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(timeout, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def remaining(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.expired = True
        return max(left, 0.001)

    def guard(self, sock):
        with self._lock:
            self._socket = sock
            if self.expired:
                sock.shutdown(socket.SHUT_RDWR)
        sock.settimeout(self.remaining())
        return sock

    def _expire(self):
        with self._lock:
            self.expired = True
            if self._socket is not None:
                try:
                    self._socket.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cancel(self):
        self._timer.cancel()


def _request(result, targets, host, port, target, watchdog, method, tls_context):
    """Send the request to the first of ``targets`` that accepts; return
    ``(status, reason, location)``, fill ``result['tls']``, or raise _ProbeEnded."""
    sock, address, stage = None, None, 'connecting'
    connection = None
    try:
        sock, address = _connect(targets, watchdog)
        if result['tls'] is not None:
            stage = 'in the TLS handshake'
            sock = _handshake(sock, host, targets, address, result['tls'], watchdog, tls_context)
        stage = 'waiting for the status line and headers'
        connection = http.client.HTTPConnection(host, port)
        connection.sock = sock  # connected to the checked address already: no second lookup
        connection.putrequest(method, target, skip_accept_encoding=True)
        connection.putheader('User-Agent', USER_AGENT)
        connection.putheader('Accept', '*/*')
        connection.putheader('Connection', 'close')
        connection.endheaders()
        response = connection.getresponse()  # the status line and headers; the body is never read
        response.close()
        return response.status, response.reason.strip(), response.getheader('Location')
    except (OSError, http.client.HTTPException) as exc:
        where = '%s port %d' % (address or ', '.join(result['addresses']), port)
        if watchdog.expired or isinstance(exc, socket.timeout):
            raise _ProbeEnded('no answer from %s within %g s (%s)' % (where, watchdog.timeout, stage), 'timeout')
        if isinstance(exc, ConnectionRefusedError):
            raise _ProbeEnded('connection refused by %s' % where, 'unreachable')
        if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, http.client.RemoteDisconnected)):
            raise _ProbeEnded('connection reset or closed by %s (%s)' % (where, stage), 'unreachable')
        if isinstance(exc, http.client.HTTPException):
            raise _ProbeEnded('not an HTTP answer from %s: %s' % (where, _reason(exc)), 'http_error')
        raise _ProbeEnded('could not connect to %s: %s' % (where, _reason(exc)), 'unreachable')
    finally:
        if connection is not None:
            connection.close()
        elif sock is not None:
            sock.close()


def _connect(targets, watchdog, only=None):
    """``(socket, address)`` of the first of ``targets`` (or the one at address ``only``)
    that accepts; the last error otherwise.  Connects to the socket address resolved,
    never to a name, so nothing is looked up again."""
    error = None
    for family, sockaddr in targets:
        if only is not None and sockaddr[0] != only:
            continue
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            watchdog.guard(sock).connect(sockaddr)
            return sock, sockaddr[0]
        except OSError as exc:
            sock.close()
            if watchdog.expired or isinstance(exc, socket.timeout):
                raise
            error = exc
    raise error


def _handshake(sock, host, targets, address, tls, watchdog, tls_context):
    """The TLS socket over ``sock``; records what the certificate says in ``tls``.

    An invalid certificate ends the probe (``tls_invalid``), but its expiry is still worth
    knowing: a second handshake with the same address, this time without verification,
    reads it.
    """
    checking, reading = tls_context
    try:
        tls_sock = watchdog.guard((checking or reading).wrap_socket(sock, server_hostname=host))
    except ssl.SSLCertVerificationError as exc:
        tls['error'] = _reason(exc.verify_message or exc)
        try:
            plain = _connect(targets, watchdog, only=address)[0]
            with watchdog.guard(reading.wrap_socket(plain, server_hostname=host)) as again:
                _read_expiry(again, tls)
        except (OSError, ValueError):
            pass  # the expiry stays unknown; the verification error is the problem
        raise _ProbeEnded('TLS certificate of %s not valid: %s%s' % (
            host, tls['error'], '; it expires %s' % tls['not_after'] if tls['not_after'] else ''), 'tls_invalid')
    except ssl.SSLError as exc:
        if watchdog.expired:
            raise
        tls['error'] = _reason(exc)
        raise _ProbeEnded('TLS handshake with %s failed: %s' % (host, tls['error']), 'tls_invalid')
    tls['verified'] = checking is not None
    try:
        _read_expiry(tls_sock, tls)
    except ValueError:
        pass  # a certificate this cannot parse: its expiry is unknown, which is no failure
    return tls_sock


def _read_expiry(tls_sock, tls):
    der = tls_sock.getpeercert(binary_form=True)
    if der:
        not_after = certificate_not_after(der)
        tls['not_after'] = not_after.strftime('%Y-%m-%dT%H:%M:%SZ')
        tls['days_left'] = (not_after - datetime.datetime.now(datetime.timezone.utc)).days


def certificate_not_after(der):
    """The notAfter time (aware, UTC) of a DER X.509 certificate.

    The standard library parses a certificate only when it was verified
    (``getpeercert()``); an unverified one comes as DER alone.  Its validity is at a fixed
    place (RFC 5280 4.1): Certificate, tbsCertificate, [0] version (optional),
    serialNumber, signature, issuer, validity = (notBefore, notAfter).  Raises ValueError
    for anything else.
    """
    certificate = _der_children(der)
    tbs = _der_children(certificate[0][1]) if certificate else []
    fields = _der_children(tbs[0][1]) if tbs else []
    if fields and fields[0][0] == 0xa0:  # the explicit version tag
        fields = fields[1:]
    if len(fields) < 4 or fields[3][0] != 0x30:
        raise _not_a_certificate()
    times = _der_children(fields[3][1])
    if len(times) != 2:
        raise _not_a_certificate()
    tag, value = times[1]
    text = value.decode('ascii', 'replace')
    if tag == 0x17:  # UTCTime YYMMDDHHMMSSZ; RFC 5280: YY >= 50 is 19YY
        year = int(text[:2])
        text = ('19' if year >= 50 else '20') + text
    elif tag != 0x18:  # GeneralizedTime YYYYMMDDHHMMSSZ
        raise _not_a_certificate()
    return datetime.datetime.strptime(text, '%Y%m%d%H%M%SZ').replace(tzinfo=datetime.timezone.utc)


def _not_a_certificate():
    return ValueError('not a DER X.509 certificate with a notAfter time')


def _der_children(data):
    """The ``(tag, contents)`` elements of a DER SEQUENCE's contents (or of a whole
    document, read as a sequence of elements)."""
    data = bytes(data)
    children, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise _not_a_certificate()
        tag, length = data[offset], data[offset + 1]
        offset += 2
        if length & 0x80:
            size = length & 0x7f
            if not 0 < size <= 4 or offset + size > len(data):
                raise _not_a_certificate()
            length = int.from_bytes(data[offset:offset + size], 'big')
            offset += size
        if offset + length > len(data):
            raise _not_a_certificate()
        children.append((tag, data[offset:offset + length]))
        offset += length
    return children


def _reason(exc):
    """An exception's text on one line, without the errno prefix."""
    text = getattr(exc, 'strerror', None) or getattr(exc, 'reason', None) or str(exc) or type(exc).__name__
    return ' '.join(str(text).split())
