#!/usr/bin/env bash
# The listener probe module through real ansible-playbook runs, against listeners that
# tests/listeners/listeners.py serves on 127.0.0.1 (broken in every way a listener can be,
# with certificates of a test CA it makes) and, for the numbers mode, the emulator.
set -eu
cd "$(dirname "$0")"
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
if [ -z "${SMS_LISTENERS_FILE:-}" ]; then
    exec "$python" ../../../listeners/listeners.py run -- ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL

ansible-playbook probe.yml "$@"

# docs/examples/listener_move.yml as the guide runs it, moving the demo account's numbers
# to a test listener (trusted through REQUESTS_CA_BUNDLE, a fallback of ca_path): passes
# for one that answers; fails, before any write, for one that does not.
served() { "$python" -c 'import json, os, sys; print(eval(sys.argv[1], {}, json.load(open(os.environ["SMS_LISTENERS_FILE"]))))' "$1"; }
good="https://localhost:$(served 'https_ports["valid"]')/ok"
broken="http://127.0.0.1:$(served 'http_port')/broken"
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
examples=../../../../docs/examples
export DIALOGTECH_ACCESS_KEY=demo-access-key DIALOGTECH_SECRET_ACCESS_KEY=demo-secret-key
export REQUESTS_CA_BUNDLE
REQUESTS_CA_BUNDLE=$(served ca_path)
ansible-playbook -i $examples/inventory.yml $examples/listener_move.yml \
    -e "sms_listener_url=$good" -e sms_listener_is_private=true >"$workdir/good.out" 2>&1 \
    || { cat "$workdir/good.out"; echo "listener_move.yml failed for a listener that answers"; exit 1; }
grep -qF "2 number(s) forward to $good, which answers" "$workdir/good.out" \
    || { cat "$workdir/good.out"; echo "listener_move.yml did not verify the move"; exit 1; }
status=0
ansible-playbook -i $examples/inventory.yml $examples/listener_move.yml \
    -e "sms_listener_url=$broken" -e sms_listener_is_private=true >"$workdir/broken.out" 2>&1 || status=$?
[ "$status" -ne 0 ] || { cat "$workdir/broken.out"; echo "listener_move.yml passed for a broken listener"; exit 1; }
grep -qF "$broken: HTTP 500 Internal Server Error" "$workdir/broken.out" \
    || { cat "$workdir/broken.out"; echo "listener_move.yml did not say why"; exit 1; }
! grep -q "Forward every gateway" "$workdir/broken.out" \
    || { cat "$workdir/broken.out"; echo "listener_move.yml wrote before the listener answered"; exit 1; }
echo "docs/examples/listener_move.yml moves to a listener that answers and stops before a broken one"

# A wrong secret at -vvvv, with GET (the secret in the query string): the failure names
# the cause, and neither the output nor the log shows the secret.
canary="canary-$RANDOM-$RANDOM-secret"
status=0
DIALOGTECH_SECRET_ACCESS_KEY=$canary ANSIBLE_LOG_PATH="$workdir/ansible.log" \
    ansible-playbook failing.yml -vvvv >"$workdir/failing.out" 2>&1 || status=$?
[ "$status" -ne 0 ] || { cat "$workdir/failing.out"; echo "expected the wrong secret to fail"; exit 1; }
grep -qF 'Invalid Access Key or Secret Access Key' "$workdir/failing.out" \
    || { cat "$workdir/failing.out"; echo "no API error in the failing run"; exit 1; }
grep -q 'EXEC .*AnsiballZ_dialogtech_sms_listener_info.py' "$workdir/failing.out" \
    || { echo "the failing run's output lacks the -vvvv module run"; exit 1; }
if grep -rlF "$canary" "$workdir"; then
    echo "the secret leaked into the files above"
    exit 1
fi
echo "no secret in the -vvvv output and log of a failing numbers-mode probe"
