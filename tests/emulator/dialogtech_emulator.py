"""A stdlib-only emulator of DialogTech's ``ibp_api.php`` for tests, demos and benchmarks.

    python tests/emulator/dialogtech_emulator.py --port 0 --data tests/emulator/accounts.json

prints the bound API URL (``http://127.0.0.1:PORT/ibp_api.php``) as its first line and
serves until SIGTERM/SIGINT; with ``--tls-cert`` (and ``--tls-key``) it serves HTTPS.  Accounts come from a JSON data file (see accounts.json);
each may name a ``fault`` to misbehave in a chosen way.  Besides the API it serves:

- ``GET /_emulator/stats``: requests counted per access key, per path, and in total;
  ``reads`` and ``writes`` (API requests by kind of action, so a test can assert that a
  run wrote nothing), ``by_action``; ``by_method`` (API requests by HTTP method) and
  ``keys_in_url`` (API requests with ``access_key`` or ``secret_access_key`` in their
  URL's query string, which ``http_method: POST`` must avoid); and ``dtd_fetches``: how often anything under
  ``/_emulator/dtd/`` was fetched (a client that resolves an external DTD shows up here);
- ``POST /_emulator/reset``: zero the counters, restore every account's numbers as the
  data file gives them, and reset the faults' per-account state;
- ``/_emulator/dtd/<name>``: a DTD, for documents that reference one externally.

Writes (``sms.register_number``, ``sms.unregister_number``) change the account's numbers
in memory, so the next read shows them.  They are refused, with the API's ``failed``
result, for an account marked ``"read_only": true`` (a key without write permission),
for a number the account does not have and for a ``url`` over 1024 characters.

Faults (``FAULTS`` below) are chosen per account; tests/emulator/faults.json has one
account per fault.  Transient faults ("the first N requests fail") count per account,
so ``POST /_emulator/reset`` makes a test repeatable.

Responses follow the vendor's documented example byte for byte where the example
covers the case (inline DTD, tab indentation); error responses use the shape public
clients of this API report: HTTP 200 with ``<result>failed</result>``.
"""

from __future__ import annotations

import argparse
import json
import signal
import ssl
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

API_PATH = '/ibp_api.php'
DTD_PATH = '/_emulator/dtd/'
# What a fetched external DTD would inject: an entity whose expansion would show up in
# the parsed result if a client ever resolved it.
EXTERNAL_DTD = b'<!ENTITY fetched "EXTERNAL-DTD-WAS-FETCHED">\n'
READ_ACTION = 'sms.get_numbers'
WRITE_ACTIONS = ('sms.register_number', 'sms.unregister_number')
# The vendor's limit on a listener URL.
MAX_URL_CHARS = 1024

VENDOR_PROLOG = '''<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE response [
<!ELEMENT response (result, result_description, data)>
<!ELEMENT result (#PCDATA)>
<!ELEMENT result_description (#PCDATA)>
<!ELEMENT data (number+)>
<!ELEMENT number (#PCDATA)>
<!ELEMENT url (#PCDATA)>
]>
'''


def xml_escape(text):
    return (str(text).replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
            .replace('"', '&quot;'))


def numbers_of(account):
    """The account's numbers: listed ones, then ``generate: {count, start, url}`` ones."""
    numbers = list(account.get('numbers', []))
    generate = account.get('generate')
    if generate:
        start = int(generate.get('start', 5550000000))
        url = generate.get('url', 'https://sms.example.com/listener/{number}')
        numbers.extend({'number': '%010d' % (start + i), 'sms_enabled': True, 'url': url.format(number=start + i)}
                       for i in range(int(generate['count'])))
    return numbers


def render_numbers(numbers, url_style='attribute'):
    """The success document, in the vendor's layout."""
    lines = []
    for entry in numbers:
        enabled = '1' if entry.get('sms_enabled', True) else '0'
        url = entry.get('url')
        if url is not None and url_style == 'attribute':
            lines.append('\t\t<number sms_enabled="%s" url="%s">%s</number>\n'
                         % (enabled, xml_escape(url), xml_escape(entry['number'])))
        elif url is not None:
            lines.append('\t\t<number sms_enabled="%s">%s<url>%s</url></number>\n'
                         % (enabled, xml_escape(entry['number']), xml_escape(url)))
        else:
            lines.append('\t\t<number sms_enabled="%s">%s</number>\n' % (enabled, xml_escape(entry['number'])))
    return (VENDOR_PROLOG + '<response>\n\t<result></result>\n'
            '\t<result_description>[%d] Number(s) Returned</result_description>\n'
            '\t<data>\n%s\t</data>\n</response>\n' % (len(numbers), ''.join(lines))).encode('utf-8')


def render_result(result, description):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<response>\n\t<result>%s</result>\n'
            '\t<result_description>%s</result_description>\n</response>\n'
            % (result, xml_escape(description))).encode('utf-8')


def render_failure(description):
    return render_result('failed', description)


class Emulator(object):
    """Accounts, counters and fault state, shared by the request handler threads."""

    def __init__(self, accounts):
        self.accounts = {account['access_key']: account for account in accounts}
        self.lock = threading.Lock()
        self.counts = Counter()
        self.fault_state = Counter()
        self.rendered = {}
        # Each account's numbers as the writes left them, by access key; made from the
        # data file on first use and dropped by reset.
        self.state = {}

    def count(self, key):
        with self.lock:
            self.counts[key] += 1
            return self.counts[key]

    def stats(self):
        with self.lock:
            by_key = {key[len('key:'):]: n for key, n in self.counts.items() if key.startswith('key:')}
            by_path = {key[len('path:'):]: n for key, n in self.counts.items() if key.startswith('path:')}
            by_action = {key[len('action:'):]: n for key, n in self.counts.items() if key.startswith('action:')}
            by_method = {key[len('method:'):]: n for key, n in self.counts.items() if key.startswith('method:')}
            return {'requests': self.counts['api'], 'by_access_key': by_key, 'by_path': by_path,
                    'by_action': by_action, 'by_method': by_method, 'keys_in_url': self.counts['keys_in_url'],
                    'reads': by_action.get(READ_ACTION, 0),
                    'writes': sum(by_action.get(action, 0) for action in WRITE_ACTIONS),
                    'dtd_fetches': self.counts['dtd']}

    def next_attempt(self, account):
        """1 for the account's first request since the last reset, then 2, 3, ..."""
        with self.lock:
            self.fault_state[account['access_key']] += 1
            return self.fault_state[account['access_key']]

    def reset(self):
        with self.lock:
            self.counts.clear()
            self.fault_state.clear()
            self.state.clear()
            self.rendered.clear()

    def numbers(self, account):
        """The account's numbers as they are now; callers hold the lock."""
        key = account['access_key']
        if key not in self.state:
            self.state[key] = [dict(entry) for entry in numbers_of(account)]
        return self.state[key]

    def body_for(self, account):
        # Large generated accounts are rendered once per state; benchmarks ask for them repeatedly.
        key = account['access_key']
        with self.lock:
            if key not in self.rendered:
                self.rendered[key] = render_numbers(self.numbers(account), account.get('url_style', 'attribute'))
            return self.rendered[key]

    def write(self, account, param):
        """Apply a write action; return the API's answer (result, description)."""
        action, number = param['action'], param.get('number', '')
        url = param.get('url', '')
        if action == 'sms.register_number' and not url:
            return 'failed', 'Missing required parameter: url'
        if len(url) > MAX_URL_CHARS:
            return 'failed', 'Invalid url: must be %d characters or fewer' % MAX_URL_CHARS
        with self.lock:
            entry = next((entry for entry in self.numbers(account) if entry['number'] == number), None)
            if entry is None:
                return 'failed', 'Invalid number: %s is not a number of this account' % number
            if action == 'sms.register_number':
                entry.update(sms_enabled=True, url=url)
            else:
                entry.update(sms_enabled=False, url=None)
            self.rendered.pop(account['access_key'], None)
        return 'success', 'Number %s %s' % (number, 'registered' if action == 'sms.register_number' else 'unregistered')


class Handler(BaseHTTPRequestHandler):
    server_version = 'DialogTechEmulator/1.0'
    protocol_version = 'HTTP/1.1'

    @property
    def emulator(self):
        return self.server.emulator

    def log_message(self, format, *args):
        # Request lines carry the secret in the query string; the emulator logs nothing.
        pass

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == '/_emulator/stats':
            return self.send_body(json.dumps(self.emulator.stats()).encode(), content_type='application/json')
        if parts.path.startswith(DTD_PATH):
            self.emulator.count('dtd')
            return self.send_body(EXTERNAL_DTD, content_type='application/xml-dtd')
        self.api(parts.path, parse_qs(parts.query), parts.query)

    def do_POST(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get('Content-Length') or 0)
        form = self.rfile.read(length).decode('utf-8', 'replace') if length else ''
        if parts.path == '/_emulator/reset':
            self.emulator.reset()
            return self.send_body(b'{}', content_type='application/json')
        query = parse_qs(parts.query)
        query.update(parse_qs(form))
        self.api(parts.path, query, parts.query)

    def api(self, path, query, url_query):
        self.emulator.count('path:' + path)
        if path != API_PATH:
            return self.send_body(b'<html><body>404 Not Found</body></html>', status=404, content_type='text/html')
        self.emulator.count('api')
        self.emulator.count('method:' + self.command)
        if {'access_key', 'secret_access_key'} & set(parse_qs(url_query)):
            self.emulator.count('keys_in_url')
        param = last_values(query)
        account = self.emulator.accounts.get(param.get('access_key'))
        if account is not None:
            self.emulator.count('key:' + account['access_key'])
        if account is None or param.get('secret_access_key') != account['secret_access_key']:
            return self.send_body(render_failure('Invalid Access Key or Secret Access Key'))
        action = param.get('action')
        if action != READ_ACTION and action not in WRITE_ACTIONS:
            return self.send_body(render_failure('Invalid action: %s' % param.get('action', '')))
        self.emulator.count('action:' + action)
        if action in WRITE_ACTIONS and account.get('read_only'):
            return self.send_body(render_failure('Access denied: this API key is not permitted to use %s' % action))
        fault = account.get('fault')
        if fault:
            return FAULTS[fault['kind']](self, account, fault, query)
        self.send_success(account, param)

    def send_success(self, account, param=None):
        """The answer to a request that succeeds: the read's numbers, or the write applied."""
        if param is not None and param['action'] in WRITE_ACTIONS:
            return self.send_body(render_result(*self.emulator.write(account, param)))
        self.send_body(self.emulator.body_for(account))

    def base_url(self):
        host, port = self.server.server_address[:2]
        return '%s://%s:%d' % (self.server.scheme, host, port)

    def send_body(self, body, status=200, content_type='text/xml; charset=UTF-8', headers=()):
        self.send_head([('Content-Length', str(len(body)))] + list(headers), status, content_type)
        self.wfile.write(body)

    def send_head(self, headers, status=200, content_type='text/xml; charset=UTF-8'):
        """Status line and headers only, for faults that then write the body their own way."""
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()


def fault_http_status(handler, account, fault, query):
    """``{"kind": "http_status", "status": 500, "retry_after": "1"}``: always that status."""
    headers = [('Retry-After', str(fault['retry_after']))] if 'retry_after' in fault else []
    handler.send_body(b'<html><body>Error %d</body></html>' % int(fault['status']), status=int(fault['status']),
                      content_type='text/html', headers=headers)


def fault_transient(handler, account, fault, query):
    """``{"kind": "transient", "status": 503, "times": 2, "retry_after": "1"}``: the first
    ``times`` requests get ``status`` (or, with ``"status": "drop"``, a connection closed
    without an answer), later ones succeed."""
    if handler.emulator.next_attempt(account) > int(fault['times']):
        return handler.send_success(account, last_values(query))
    if fault['status'] == 'drop':
        handler.close_connection = True
        return
    fault_http_status(handler, account, fault, query)


def fault_failed(handler, account, fault, query):
    """``{"kind": "failed", "description": "..."}``: the API's own error result."""
    handler.send_body(render_failure(fault.get('description', 'Request failed')))


def fault_raw(handler, account, fault, query):
    """``{"kind": "raw", "body_file": "x.xml"}`` (relative to the data file) or ``"body": "..."``
    (sent in ``"encoding"``, UTF-8 by default: a body that is not UTF-8 cannot be a file
    of the repo, whose sanity tests read every file as UTF-8).

    ``{base_url}`` in the body becomes the emulator's ``http://host:port`` and
    ``{data_dir}`` the data file's directory, for documents that point back at the
    emulator (external DTD) or at a local file (XXE).
    """
    body = fault['body'].encode(fault.get('encoding', 'utf-8')) if 'body' in fault else (handler.server.data_dir / fault['body_file']).read_bytes()
    body = (body.replace(b'{base_url}', handler.base_url().encode())
            .replace(b'{data_dir}', str(handler.server.data_dir).encode()))
    handler.send_body(body, status=int(fault.get('status', 200)),
                      content_type=fault.get('content_type', 'text/xml; charset=UTF-8'))


def fault_slow(handler, account, fault, query):
    """``{"kind": "slow", "delay": 5, "where": "headers"}``: wait ``delay`` seconds before
    answering; with ``"where": "body"`` send the headers and half the body first."""
    body = handler.emulator.body_for(account)
    if fault.get('where', 'headers') == 'headers':
        time.sleep(float(fault['delay']))
        return handler.send_body(body)
    handler.send_head([('Content-Length', str(len(body)))])
    handler.wfile.write(body[:len(body) // 2])
    handler.wfile.flush()
    time.sleep(float(fault['delay']))
    handler.wfile.write(body[len(body) // 2:])


def fault_truncated(handler, account, fault, query):
    """``{"kind": "truncated", "bytes": 300, "connection": "complete"}``: only the first
    ``bytes`` of the success body.  ``complete``: the HTTP message is whole (Content-Length
    says ``bytes``), as when the server-side script dies mid-output; ``broken``: the
    Content-Length promises the whole body and the connection closes early."""
    body = handler.emulator.body_for(account)
    cut = body[:int(fault['bytes'])]
    if fault.get('connection', 'complete') == 'complete':
        return handler.send_body(cut)
    handler.send_head([('Content-Length', str(len(body)))])
    handler.wfile.write(cut)
    handler.close_connection = True


def fault_chunked(handler, account, fault, query):
    """``{"kind": "chunked"}``: the success body in chunked transfer encoding, so the
    client learns its size only while reading it (no Content-Length)."""
    body = handler.emulator.body_for(account)
    handler.send_head([('Transfer-Encoding', 'chunked')])
    size = int(fault.get('chunk_bytes', 4096))
    for offset in range(0, len(body), size):
        piece = body[offset:offset + size]
        handler.wfile.write(b'%x\r\n%s\r\n' % (len(piece), piece))
    handler.wfile.write(b'0\r\n\r\n')


def fault_redirect(handler, account, fault, query):
    """``{"kind": "redirect", "to": "localhost", "status": 302}``: redirect the API call,
    query string included, to ``<scheme>://localhost:<same port>`` (another origin than
    127.0.0.1), to ``"http"`` (``http://`` on the same host and port: a downgrade when
    serving HTTPS), to ``"same"`` (this origin; the redirected request is answered
    normally) or to any absolute URL given."""
    if query.get('redirected'):
        return handler.send_success(account, last_values(query))
    host, port = handler.server.server_address[:2]
    target = {'localhost': '%s://localhost:%d' % (handler.server.scheme, port),
              'http': 'http://%s:%d' % (host, port), 'same': ''}.get(fault['to'], fault['to'])
    location = target + API_PATH + '?' + urlencode([(name, value) for name, values in query.items()
                                                    for value in values] + [('redirected', '1')])
    handler.send_body(b'', status=int(fault.get('status', 302)), content_type='text/html',
                      headers=[('Location', location)])


def fault_lost_answer(handler, account, fault, query):
    """``{"kind": "lost_answer", "status": 502, "applied": true}``: reads are answered; a
    write is applied (or, with ``"applied": false``, not) and then answered with HTTP
    ``status`` (or, with ``"status": "drop"``, a connection closed without an answer): a
    gateway that lost the backend's answer, so the client cannot know what happened."""
    param = last_values(query)
    if param['action'] not in WRITE_ACTIONS:
        return handler.send_success(account, param)
    if fault.get('applied', True):
        handler.emulator.write(account, param)
    if fault['status'] == 'drop':
        handler.close_connection = True
        return
    fault_http_status(handler, account, fault, query)


def last_values(query):
    """The request's parameters, the last value of each (as PHP reads a query string)."""
    return {name: values[-1] for name, values in query.items()}


# Fault kinds by name; each takes (handler, account, fault settings, request parameters)
# and answers the request.
FAULTS = {
    'http_status': fault_http_status,
    'transient': fault_transient,
    'failed': fault_failed,
    'raw': fault_raw,
    'slow': fault_slow,
    'truncated': fault_truncated,
    'redirect': fault_redirect,
    'chunked': fault_chunked,
    'lost_answer': fault_lost_answer,
}


def load_accounts(path):
    with open(path, encoding='utf-8') as data:
        return json.load(data)['accounts']


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that hang up early are what the slow, truncated and size-cap faults
        # are for; only other errors deserve a traceback.
        if not isinstance(sys.exc_info()[1], (ConnectionError, ssl.SSLError)):
            super().handle_error(request, client_address)


def make_server(host, port, data, tls_cert=None, tls_key=None):
    """A server for the accounts in the data file; tests run it in a thread.  With a
    certificate (PEM, key in the same file unless ``tls_key``) it serves HTTPS."""
    server = Server((host, port), Handler)
    server.emulator = Emulator(load_accounts(data))
    server.data_dir = Path(data).resolve().parent
    server.scheme = 'http'
    if tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tls_cert, tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.scheme = 'https'
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0, help='0 picks a free port')
    parser.add_argument('--data', type=Path, default=Path(__file__).with_name('accounts.json'),
                        help='JSON file of accounts')
    parser.add_argument('--tls-cert', help='serve HTTPS with this PEM certificate (and key, unless --tls-key)')
    parser.add_argument('--tls-key', help='PEM private key for --tls-cert')
    args = parser.parse_args(argv)

    server = make_server(args.host, args.port, args.data, args.tls_cert, args.tls_key)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print('%s://%s:%d%s' % (server.scheme, args.host, server.server_address[1], API_PATH), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
