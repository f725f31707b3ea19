#!/usr/bin/env bash
# The module against the bundled emulator, through real ansible-playbook runs.
set -eu
cd "$(dirname "$0")"
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL

ansible-playbook module.yml "$@"

# Failing runs at -vvvv must not show the secret anywhere, nor write it to the log.
# Secrets come from the environment, as users are told to do: `-e secret=...` would be
# echoed by ansible-playbook itself at -vvvv.
workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
leak_case() {  # access key, secret, part of the expected failure message
    local out="$workdir/$1.out" status=0
    DIALOGTECH_ACCESS_KEY=$1 DIALOGTECH_SECRET_ACCESS_KEY=$2 ANSIBLE_LOG_PATH="$workdir/ansible.log" \
        ansible-playbook failing.yml -vvvv >"$out" 2>&1 || status=$?
    # Positive controls: the run failed with the expected message, at full verbosity.
    [ "$status" -ne 0 ] || { echo "expected the $1 run to fail"; exit 1; }
    grep -qF "$3" "$out" || { echo "no '$3' in the $1 output:"; cat "$out"; exit 1; }
    # ansible-core 2.21 no longer shows a failed module's invocation (before, it showed the
    # secret masked as VALUE_SPECIFIED_IN_NO_LOG_PARAMETER): the module's execution, shown
    # from -vvv on, is the control on every release.
    grep -q 'EXEC .*AnsiballZ_dialogtech_sms_numbers_info.py' "$out" || { echo "$1 output lacks the -vvvv module run"; exit 1; }
    if grep -rlF "$2" "$workdir"; then
        echo "the secret of $1 leaked into the files above"
        exit 1
    fi
}
leak_case demo-access-key "canary-$RANDOM-$RANDOM-secret" 'Invalid Access Key or Secret Access Key'
leak_case not-xml not-xml-secret 'response is not well-formed XML'
leak_case server-error server-error-secret 'answered HTTP 500'
echo "no secret in the -vvvv output and log of 3 failing runs"
