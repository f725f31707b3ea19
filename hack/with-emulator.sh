#!/usr/bin/env bash
# Run a command while the DialogTech API emulator serves on a free local port.
#
# The emulator prints its base API URL as its first line of output and serves until it gets
# SIGTERM. The command sees that URL as DIALOGTECH_API_URL and DIALOGTECH_EMULATOR_URL; the
# emulator is stopped when the command ends, fails or is interrupted. Exit status is the
# command's.
#
# Usage: hack/with-emulator.sh COMMAND [ARG...]
# Environment (all optional):
#   DIALOGTECH_EMULATOR_PYTHON  interpreter for the emulator (default: ansible-test's python
#                               inside an integration target, else the checkout's
#                               .venv/bin/python, else python3)
#   DIALOGTECH_EMULATOR         emulator script (default: tests/emulator/dialogtech_emulator.py)
#   DIALOGTECH_EMULATOR_DATA    accounts file (default: tests/emulator/accounts.json)
#   DIALOGTECH_EMULATOR_START_TIMEOUT  seconds to wait for the URL line (default: 120);
#                               only a guard against a hung emulator, not a speed check
set -euo pipefail

[ $# -gt 0 ] || { echo "usage: $0 COMMAND [ARG...]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
python=${DIALOGTECH_EMULATOR_PYTHON:-${ANSIBLE_TEST_PYTHON_INTERPRETER:-}}
if [ -z "$python" ]; then
    if [ -x "$root/.venv/bin/python" ]; then python=$root/.venv/bin/python; else python=python3; fi
fi
emulator=${DIALOGTECH_EMULATOR:-$root/tests/emulator/dialogtech_emulator.py}
data=${DIALOGTECH_EMULATOR_DATA:-$root/tests/emulator/accounts.json}
die() { echo "with-emulator: $*" >&2; exit 1; }
[ -f "$emulator" ] || die "no emulator at $emulator"
[ -f "$data" ] || die "no emulator data at $data"

pid=    # the emulator
cmd=    # the command
# Stop the command (if a signal cut it short), then the emulator.
trap 'kill -TERM $cmd $pid 2>/dev/null || true; wait $cmd $pid 2>/dev/null || true' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Read the first line through a pipe rather than polling a file; unbuffered so that line is
# not held back in the emulator's stdout buffer.
exec 3< <(PYTHONUNBUFFERED=1 exec "$python" "$emulator" --port 0 --data "$data")
pid=$!
url=
IFS= read -r -t "${DIALOGTECH_EMULATOR_START_TIMEOUT:-120}" url <&3 || true
case "$url" in
    http://*|https://*) ;;
    *) die "emulator ($python $emulator) did not print its URL first; got: '${url}'" ;;
esac
# Keep draining the rest of its stdout so a chatty emulator never blocks on a full pipe.
cat <&3 >&2 &
exec 3<&-

echo "with-emulator: emulator (pid $pid) at $url" >&2
export DIALOGTECH_API_URL=$url DIALOGTECH_EMULATOR_URL=$url
# In the background so that a signal to this script is handled at once (bash defers traps
# until a foreground child ends); stdin is passed on explicitly, as `&` would drop it.
"$@" <&0 &
cmd=$!
status=0
wait "$cmd" || status=$?
cmd=
exit "$status"
