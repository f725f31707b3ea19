#!/usr/bin/env python3
"""A stdlib-only emulator of DialogTech's ``ibp_api.php`` for tests, demos and benchmarks.

    python tests/emulator/dialogtech_emulator.py --port 0 --data tests/emulator/accounts.json

prints the bound API URL (``http://127.0.0.1:PORT/ibp_api.php``) as its first line and
serves until SIGTERM/SIGINT.  Accounts come from a JSON data file (see accounts.json);
each may name a ``fault`` to misbehave in a chosen way.  Besides the API it serves:

- ``GET /_emulator/stats``: requests counted per access key, per path, and in total;
- ``POST /_emulator/reset``: zero the counters (and the faults' per-account state).

Responses follow the vendor's documented example byte for byte where the example
covers the case (inline DTD, tab indentation); error responses use the shape public
clients of this API report: HTTP 200 with ``<result>failed</result>``.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

API_PATH = '/ibp_api.php'
ACTION = 'sms.get_numbers'

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


def render_failure(description):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<response>\n\t<result>failed</result>\n'
            '\t<result_description>%s</result_description>\n</response>\n' % xml_escape(description)).encode('utf-8')


class Emulator(object):
    """Accounts, counters and fault state, shared by the request handler threads."""

    def __init__(self, accounts):
        self.accounts = {account['access_key']: account for account in accounts}
        self.lock = threading.Lock()
        self.counts = Counter()
        self.fault_state = Counter()
        self.rendered = {}

    def count(self, key):
        with self.lock:
            self.counts[key] += 1
            return self.counts[key]

    def stats(self):
        with self.lock:
            by_key = {key[len('key:'):]: n for key, n in self.counts.items() if key.startswith('key:')}
            by_path = {key[len('path:'):]: n for key, n in self.counts.items() if key.startswith('path:')}
            return {'requests': self.counts['api'], 'by_access_key': by_key, 'by_path': by_path}

    def reset(self):
        with self.lock:
            self.counts.clear()
            self.fault_state.clear()

    def body_for(self, account):
        # Large generated accounts are rendered once; benchmarks ask for them repeatedly.
        key = account['access_key']
        if key not in self.rendered:
            self.rendered[key] = render_numbers(numbers_of(account), account.get('url_style', 'attribute'))
        return self.rendered[key]


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
        self.api(parts.path, parse_qs(parts.query))

    def do_POST(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get('Content-Length') or 0)
        form = self.rfile.read(length).decode('utf-8', 'replace') if length else ''
        if parts.path == '/_emulator/reset':
            self.emulator.reset()
            return self.send_body(b'{}', content_type='application/json')
        query = parse_qs(parts.query)
        query.update(parse_qs(form))
        self.api(parts.path, query)

    def api(self, path, query):
        self.emulator.count('path:' + path)
        if path != API_PATH:
            return self.send_body(b'<html><body>404 Not Found</body></html>', status=404, content_type='text/html')
        self.emulator.count('api')
        param = {name: values[-1] for name, values in query.items()}
        account = self.emulator.accounts.get(param.get('access_key'))
        if account is not None:
            self.emulator.count('key:' + account['access_key'])
        if account is None or param.get('secret_access_key') != account['secret_access_key']:
            return self.send_body(render_failure('Invalid Access Key or Secret Access Key'))
        if param.get('action') != ACTION:
            return self.send_body(render_failure('Invalid action: %s' % param.get('action', '')))
        fault = account.get('fault')
        if fault:
            return FAULTS[fault['kind']](self, account, fault)
        self.send_body(self.emulator.body_for(account))

    def send_body(self, body, status=200, content_type='text/xml; charset=UTF-8', headers=()):
        self.send_response(status)
        self.send_header('Content-Type', content_type)
        self.send_header('Content-Length', str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def fault_http_status(handler, account, fault):
    """``{"kind": "http_status", "status": 500}``: always that status."""
    handler.send_body(b'<html><body>Internal Server Error</body></html>', status=int(fault['status']),
                      content_type='text/html')


def fault_failed(handler, account, fault):
    """``{"kind": "failed", "description": "..."}``: the API's own error result."""
    handler.send_body(render_failure(fault.get('description', 'Request failed')))


def fault_raw(handler, account, fault):
    """``{"kind": "raw", "body_file": "x.xml"}`` (relative to the data file) or ``"body": "..."``."""
    body = fault['body'].encode('utf-8') if 'body' in fault else (handler.server.data_dir / fault['body_file']).read_bytes()
    handler.send_body(body, status=int(fault.get('status', 200)),
                      content_type=fault.get('content_type', 'text/xml; charset=UTF-8'))


# Fault kinds by name; each takes (handler, account, fault settings) and answers the request.
FAULTS = {
    'http_status': fault_http_status,
    'failed': fault_failed,
    'raw': fault_raw,
}


def load_accounts(path):
    with open(path, encoding='utf-8') as data:
        return json.load(data)['accounts']


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0, help='0 picks a free port')
    parser.add_argument('--data', type=Path, default=Path(__file__).with_name('accounts.json'),
                        help='JSON file of accounts')
    args = parser.parse_args(argv)

    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    server.emulator = Emulator(load_accounts(args.data))
    server.data_dir = args.data.resolve().parent
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print('http://%s:%d%s' % (args.host, server.server_address[1], API_PATH), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
