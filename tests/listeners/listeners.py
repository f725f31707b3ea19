# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SMS listeners for the probe tests, on 127.0.0.1: every way a listener can be broken.

Used in-process by the unit tests (``Listeners``) and, for integration targets and
benchmarks, as ``python listeners.py run [--directory DIR] -- COMMAND...``: the listeners
serve while COMMAND runs, which finds their URLs in DIR/listeners.json, named by the
environment variable SMS_LISTENERS_FILE.  Certificates are made here, with ``cryptography`` (a test-only
dependency): a test CA (DIR/ca.pem) and server certificates that are valid, expired, for
another host name, or expiring in 5 days.

Each HTTP listener counts the requests it gets by method and path (``HEAD /ok``);
``GET /_requests`` (not counted) answers the counts as JSON, so a test can prove a URL
was never contacted.
"""

from __future__ import annotations

import argparse
import datetime
import http.server
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

EXPIRING_DAYS = 5
# Server certificates by name: (host names and addresses, days valid from now, days until
# notBefore from now).  Negative days put the date in the past.
CERTIFICATES = {
    'valid': (['localhost', '127.0.0.1'], 365, -1),
    'expired': (['localhost', '127.0.0.1'], -1, -30),
    'other_host': (['listener.example.org'], 365, -1),
    'expiring': (['localhost', '127.0.0.1'], EXPIRING_DAYS, -1),
}
# The paths of the HTTP listeners and the status each answers with.
STATUS_PATHS = {'/ok': 200, '/moved': 301, '/missing': 404, '/gone': 410, '/post-only': 405, '/protected': 401,
                '/broken': 500}
MOVED_TO = 'https://listener.example.org/new'


def _name(text):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _write_key_and_cert(directory, stem, key, cert):
    with open(os.path.join(directory, stem + '.key'), 'wb') as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    with open(os.path.join(directory, stem + '.pem'), 'wb') as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))


def make_certificates(directory):
    """Write ca.pem and NAME.pem/NAME.key for each of CERTIFICATES; return the paths of
    the server certificates' pairs by name, and their notAfter times."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name('dialogtech.api test CA')).issuer_name(_name('dialogtech.api test CA'))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=60)).not_valid_after(now + datetime.timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    _write_key_and_cert(directory, 'ca', ca_key, ca)
    pairs, not_after = {}, {}
    for name, (hosts, valid_days, start_days) in CERTIFICATES.items():
        key = ec.generate_private_key(ec.SECP256R1())
        alternative_names = []
        for host in hosts:
            try:
                alternative_names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                alternative_names.append(x509.DNSName(host))
        end = now + datetime.timedelta(days=valid_days, hours=1)
        cert = (x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now + datetime.timedelta(days=start_days)).not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
                .sign(ca_key, hashes.SHA256()))
        _write_key_and_cert(directory, name, key, cert)
        pairs[name] = (os.path.join(directory, name + '.pem'), os.path.join(directory, name + '.key'))
        not_after[name] = end.replace(microsecond=0)
    return pairs, not_after


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        if self.path == '/_requests':
            return self._answer(200, json.dumps(self.server.counts).encode(), 'application/json')
        self.server.counts['%s %s' % (self.command, self.path)] += 1
        self.server.last_headers[self.path] = dict(self.headers.items())
        status = STATUS_PATHS.get(self.path.split('?', 1)[0], 404)
        self._answer(status, b'a body the probe never reads\n' * 100, 'text/plain')

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        self.do_GET()

    def _answer(self, status, body, content_type):
        self.send_response(status)
        if status == 301:
            self.send_header('Location', MOVED_TO)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops the connections of 16 probes at once, which
    # then wait a second for the retransmitted SYN: a limit of the test listener, not of
    # the probe.
    request_queue_size = 128

    def __init__(self, tls_pair=None):
        super(_Server, self).__init__(('127.0.0.1', 0), _Handler)
        self.counts = Counter()
        self.last_headers = {}
        self.server_names = []
        if tls_pair:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*tls_pair)
            context.sni_callback = lambda sock, name, context: self.server_names.append(name)
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self.port = self.server_address[1]

    def handle_error(self, request, client_address):
        pass  # a probe closes the connection before the body it never reads: no traceback for that


class _Silent(object):
    """Accepts connections and never answers: the listener that hangs."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(('127.0.0.1', 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.held = []
        self._stopped = False
        # Joined at shutdown, as are the drip threads: a test that forks later (the run
        # cache's) must find no thread of a listener still running.
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def _accept(self):
        while not self._stopped:
            try:
                self.held.append(self.socket.accept()[0])
            except OSError:
                return

    def shutdown(self):
        self._stopped = True
        try:
            # close() alone does not wake a thread blocked in accept() on Linux.
            self.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.socket.close()
        for connection in self.held:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            connection.close()
        for thread in self.threads:
            thread.join(10)


class _Dripping(_Silent):
    """Answers 200, one byte of the status line and headers every ``interval`` seconds:
    each read is quick, only their sum is slow."""

    interval = 0.25
    answer = b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nX-Padding: ' + b'x' * 40 + b'\r\n\r\n'

    def _accept(self):
        while not self._stopped:
            try:
                connection = self.socket.accept()[0]
            except OSError:
                return
            self.held.append(connection)
            thread = threading.Thread(target=self._drip, args=(connection,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _drip(self, connection):
        try:
            connection.recv(65536)
            for byte in self.answer:
                time.sleep(self.interval)
                connection.sendall(bytes([byte]))
        except OSError:
            pass


def free_port():
    """A port nothing listens on (closed right after the system picked it)."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


class Listeners(object):
    """Every test listener, serving in threads of this process."""

    def __init__(self, directory, silent_count=1):
        self.ca_path = os.path.join(directory, 'ca.pem')
        pairs, self.not_after = make_certificates(directory)
        self.http = _Server()
        self.https = {name: _Server(pair) for name, pair in pairs.items()}
        self.silent = [_Silent() for _index in range(silent_count)]
        self.dripping = _Dripping()
        self.refusing_port = free_port()
        self._servers = [self.http] + list(self.https.values())
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def url(self, path='/ok', name=None, host='127.0.0.1'):
        """The URL of ``path`` on the HTTP listener, or on the HTTPS one of certificate ``name``."""
        if name is None:
            return 'http://%s:%d%s' % (host, self.http.port, path)
        return 'https://%s:%d%s' % (host, self.https[name].port, path)

    def describe(self):
        """What a test outside this process needs: URLs, ports, the CA."""
        return {
            'ca_path': self.ca_path,
            'http_port': self.http.port,
            'https_ports': {name: server.port for name, server in self.https.items()},
            'not_after': {name: time.strftime('%Y-%m-%dT%H:%M:%SZ', end.timetuple())
                          for name, end in self.not_after.items()},
            'silent_urls': ['http://127.0.0.1:%d/' % silent.port for silent in self.silent],
            'dripping_url': 'http://127.0.0.1:%d/' % self.dripping.port,
            'refusing_url': 'http://127.0.0.1:%d/' % self.refusing_port,
            'moved_to': MOVED_TO,
            'expiring_days': EXPIRING_DAYS,
        }

    def stop(self):
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for silent in self.silent + [self.dripping]:
            silent.shutdown()


def run(directory, command, silent_count):
    if directory is None:
        with tempfile.TemporaryDirectory(prefix='sms-listeners-') as temporary:
            return run(temporary, command, silent_count)
    listeners = Listeners(directory, silent_count)
    state = os.path.join(directory, 'listeners.json')
    with open(state, 'w') as handle:
        json.dump(listeners.describe(), handle, indent=2)
    child = subprocess.Popen(command, env=dict(os.environ, SMS_LISTENERS_FILE=state))

    def forward(signum, frame):
        child.send_signal(signum)
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        return child.wait()
    finally:
        listeners.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    commands = parser.add_subparsers(dest='action', required=True)
    runner = commands.add_parser('run', help='serve the listeners while COMMAND runs')
    runner.add_argument('--directory', help='where the certificates and listeners.json go (default: a temporary '
                        'directory, removed at the end)')
    runner.add_argument('--silent', type=int, default=1, help='how many listeners that never answer')
    runner.add_argument('command', nargs='+')
    arguments = parser.parse_args(argv)
    return run(arguments.directory, arguments.command, arguments.silent)


if __name__ == '__main__':
    sys.exit(main())
