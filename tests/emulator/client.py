"""The one client of the bundled emulator (dialogtech_emulator.py): start it on a free port
of 127.0.0.1, reset it, read its stats, stop it.  Benchmarks and unit tests import it;
shell scripts run it:

    python tests/emulator/client.py run [--data FILE] [--timeout S] -- COMMAND [ARG...]
    python tests/emulator/client.py stat NAME|stats|reset [API_URL]

``run`` is hack/with-emulator.sh: COMMAND runs with DIALOGTECH_API_URL and
DIALOGTECH_EMULATOR_URL set to the emulator's API URL, which is stopped when COMMAND ends;
the exit status is COMMAND's.  ``requests`` prints how many API requests the emulator
answered since it started or was reset, ``stats`` all its counters as JSON, ``reset``
zeroes them (hack/emulator-client.sh wraps these for runme.sh scripts); API_URL defaults
to DIALOGTECH_EMULATOR_URL.  Standard library only: it runs on whatever Python
ansible-test runs a target with, the emulator on the same one.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
EMULATOR = HERE / 'dialogtech_emulator.py'


def control_url(api_url, endpoint):
    """The emulator's control endpoint beside its API URL (``.../ibp_api.php``)."""
    return '%s/_emulator/%s' % (api_url.rsplit('/', 1)[0], endpoint)


def stats(api_url):
    with urllib.request.urlopen(control_url(api_url, 'stats'), timeout=30) as answer:
        return json.loads(answer.read().decode())


def reset(api_url):
    """Zero the counters and the faults' per-account state."""
    urllib.request.urlopen(urllib.request.Request(control_url(api_url, 'reset'), data=b'', method='POST'),
                           timeout=30).close()


class Emulator(object):
    """The emulator in a process of its own, serving the accounts of ``data``."""

    def __init__(self, data=HERE / 'accounts.json', python=sys.executable, start_timeout=120):
        # Unbuffered, so the URL line is not held back in the emulator's stdout buffer.
        self.process = subprocess.Popen([python, '-u', str(EMULATOR), '--port', '0', '--data', str(data)],
                                        stdout=subprocess.PIPE, universal_newlines=True)
        # The timeout only guards against a hung emulator; it is no speed check.
        ready = select.select([self.process.stdout], [], [], start_timeout)[0]
        self.url = self.process.stdout.readline().strip() if ready else ''
        if not self.url.startswith(('http://', 'https://')):
            self.stop()
            raise RuntimeError('the emulator (%s %s) did not print its URL first; got %r' % (python, EMULATOR, self.url))

    def stats(self):
        return stats(self.url)

    def reset(self):
        reset(self.url)

    def stop(self):
        self.process.terminate()
        self.process.wait()
        self.process.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()


def run(command, data, start_timeout):
    child = None

    def stop(signum, frame):
        # An interrupted or cancelled run stops the command first, then (on the way out)
        # the emulator; before the command starts, only the emulator.
        if child is None:
            raise SystemExit(128 + signum)
        child.send_signal(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    with Emulator(data, start_timeout=start_timeout) as emulator:
        print('with-emulator: emulator (pid %d) at %s' % (emulator.process.pid, emulator.url), file=sys.stderr)
        env = dict(os.environ, DIALOGTECH_API_URL=emulator.url, DIALOGTECH_EMULATOR_URL=emulator.url)
        try:
            child = subprocess.Popen(command, env=env)
        except OSError as exc:
            print('with-emulator: cannot run %s: %s' % (command[0], exc.strerror), file=sys.stderr)
            return 127
        status = child.wait()
    return 128 - status if status < 0 else status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    commands = parser.add_subparsers(dest='action', required=True)
    runner = commands.add_parser('run', help='run a command while the emulator serves')
    runner.add_argument('--data', default=HERE / 'accounts.json', help='JSON file of accounts')
    runner.add_argument('--timeout', type=float, default=120, help='seconds to wait for the emulator to start')
    runner.add_argument('command', nargs='+')
    counter = commands.add_parser('stat', help='print one counter of /_emulator/stats (requests, reads, writes, ...)')
    counter.add_argument('name')
    for action in (counter, commands.add_parser('stats'), commands.add_parser('reset')):
        action.add_argument('api_url', nargs='?', default=os.environ.get('DIALOGTECH_EMULATOR_URL'))
    args = parser.parse_args(argv)

    if args.action == 'run':
        return run(args.command, args.data, args.timeout)
    if not args.api_url:
        parser.error('no emulator: give its API URL or run under hack/with-emulator.sh')
    if args.action == 'reset':
        reset(args.api_url)
    else:
        counters = stats(args.api_url)
        print(counters[args.name] if args.action == 'stat' else json.dumps(counters, indent=2, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
