#!/usr/bin/env bash
# The listener probe module through real ansible-playbook runs, against listeners that
# tests/listeners/listeners.py serves on 127.0.0.1 (broken in every way a listener can be,
# with certificates of a test CA it makes) and, for the numbers mode, the emulator.
set -eu
cd "$(dirname "$0")"
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
if [ -z "${SMS_LISTENERS_FILE:-}" ]; then
    workdir=$(mktemp -d)
    trap 'rm -rf "$workdir"' EXIT
    status=0
    "$python" ../../../listeners/listeners.py run "$workdir" -- \
        ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@" || status=$?
    exit "$status"
fi
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL

ansible-playbook probe.yml "$@"
