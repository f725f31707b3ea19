"""Write the emulator's accounts file for this target: one account whose numbers forward
to the test listeners (tests/listeners/listeners.py, whose state file is argv[1]), each
listener kind on a number of its own.  argv[2] is the file to write."""

import json
import sys

with open(sys.argv[1]) as handle:
    served = json.load(handle)
https = 'https://localhost:%d/ok'
http = 'http://127.0.0.1:%d' % served['http_port']
numbers = {
    '5550000001': https % served['https_ports']['valid'],
    '5550000002': 'https://sms-gone.invalid/in',
    '5550000003': https % served['https_ports']['expired'],
    '5550000004': https % served['https_ports']['expiring'],
    '5550000005': http + '/broken',
    '5550000006': served['silent_urls'][0],
    '5550000007': http + '/missing',
    '5550000008': http + '/ok',  # SMS off: not probed
}
account = {
    'access_key': 'probe-account',
    'secret_access_key': 'probe-account-secret',
    'numbers': [{'number': number, 'sms_enabled': number != '5550000008', 'url': url} for number, url in numbers.items()],
}
with open(sys.argv[2], 'w') as handle:
    json.dump({'accounts': [account]}, handle, indent=2)
