#!/usr/bin/env bash
# The sms_listener_compliance role with sms_listener_compliance_probe_listeners, through
# real ansible-playbook runs: the listeners of tests/listeners/listeners.py on 127.0.0.1,
# and the emulator serving an account whose numbers forward to them (make_account.py).
set -eu
cd "$(dirname "$0")"
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
if [ -z "${SMS_LISTENERS_FILE:-}" ]; then
    exec "$python" ../../../listeners/listeners.py run -- "./$(basename "$0")" "$@"
fi
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    accounts=$(dirname "$SMS_LISTENERS_FILE")/accounts.json
    "$python" make_account.py "$SMS_LISTENERS_FILE" "$accounts"
    DIALOGTECH_EMULATOR_DATA=$accounts exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL DIALOGTECH_ACCESS_KEY=probe-account
export DIALOGTECH_SECRET_ACCESS_KEY=probe-account-secret
REPORT_DIR=$(dirname "$SMS_LISTENERS_FILE")/reports
export REPORT_DIR

for scenario in off on private remediate; do
    rm -rf "$REPORT_DIR"
    ansible-playbook site.yml -e "scenario=$scenario" "$@"
done
