#!/usr/bin/env bash
# Run a command while the DialogTech API emulator serves on a free local port.
#
# The command sees the emulator's API URL as DIALOGTECH_API_URL and DIALOGTECH_EMULATOR_URL;
# the emulator is stopped when the command ends, fails or is interrupted. Exit status is the
# command's. The work is done by tests/emulator/client.py, the emulator client the unit
# tests and benchmarks use too; this script picks its interpreter.
#
# Usage: hack/with-emulator.sh COMMAND [ARG...]
# Environment (all optional):
#   DIALOGTECH_EMULATOR_PYTHON  interpreter for the emulator (default: ansible-test's python
#                               inside an integration target, else the checkout's
#                               .venv/bin/python, else python3)
#   DIALOGTECH_EMULATOR_DATA    accounts file (default: tests/emulator/accounts.json)
#   DIALOGTECH_EMULATOR_START_TIMEOUT  seconds to wait for the emulator to start (default:
#                               120); only a guard against a hung emulator, not a speed check
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
python=${DIALOGTECH_EMULATOR_PYTHON:-${ANSIBLE_TEST_PYTHON_INTERPRETER:-}}
if [ -z "$python" ]; then
    if [ -x "$root/.venv/bin/python" ]; then python=$root/.venv/bin/python; else python=python3; fi
fi
data=${DIALOGTECH_EMULATOR_DATA:-$root/tests/emulator/accounts.json}
[ -f "$data" ] || { echo "with-emulator: no emulator data at $data" >&2; exit 1; }
exec "$python" "$root/tests/emulator/client.py" run --data "$data" \
    --timeout "${DIALOGTECH_EMULATOR_START_TIMEOUT:-120}" -- "$@"
