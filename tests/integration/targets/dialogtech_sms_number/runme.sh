#!/usr/bin/env bash
# The module against the emulator serving this target's accounts.json, through real
# ansible-playbook runs: its behaviours and request counts (module.yml), the diff text,
# and a refused write at -vvvv that must not show the secret.
set -eu
cd "$(dirname "$0")"
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    DIALOGTECH_EMULATOR_DATA=$PWD/accounts.json exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL
# shellcheck source-path=SCRIPTDIR
. ../../../../hack/emulator-client.sh  # api_requests, api_writes, reset_emulator
fail() { echo "dialogtech_sms_number: $*" >&2; exit 1; }

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
export DIALOGTECH_RUN_CACHE_DIR=$workdir/run_cache ANSIBLE_LOG_PATH=$workdir/ansible.log
# Credentials from the environment, as users are told to pass secrets (-e is echoed at -vvvv).
export DIALOGTECH_ACCESS_KEY=writer DIALOGTECH_SECRET_ACCESS_KEY=writer-SECRET-5c1a-canary
SECRETS="writer-SECRET-5c1a-canary read-only-SECRET-93de-canary lost-applied-SECRET-canary lost-not-applied-SECRET-canary
    html-applied-SECRET-canary html-not-applied-SECRET-canary"

reset_emulator
ansible-playbook module.yml "$@"

# An invalid value in the environment of an option the task sets, which the action plugin
# must not resolve after the write, neither fails the write's task nor keeps the lookup's
# answer from before the write.
reset_emulator
DIALOGTECH_RETRIES=three ansible-playbook lookup_env.yml "$@" >"$workdir/lookup_env.out" 2>&1 \
    || { cat "$workdir/lookup_env.out"; fail "lookup_env.yml failed"; }

# The diff shows each changed number's before and after, in check mode and for real; the
# check run writes nothing.
reset_emulator
for mode in check real; do
    flags=--diff
    [ "$mode" = real ] || flags="--diff --check"
    # shellcheck disable=SC2086
    ansible-playbook diff.yml $flags "$@" >"$workdir/diff-$mode.out" 2>&1 \
        || { cat "$workdir/diff-$mode.out"; fail "diff.yml ($mode) failed"; }
    for line in '--- before: SMS numbers before' '+++ after: SMS numbers after' \
        '-        "url": "https://old.example.com/sms"' '+        "url": "https://new.example.com/sms"' \
        '-        "url": "http://legacy.example.com/sms.php"' '+        "sms_enabled": false,' '+        "url": null'; do
        grep -qxF -- "$line" "$workdir/diff-$mode.out" || { cat "$workdir/diff-$mode.out"; fail "no '$line' in the $mode diff"; }
    done
    grep -q '5550001002' "$workdir/diff-$mode.out" && fail "the $mode diff shows a number that does not change"
    [ "$mode" = real ] || [ "$(api_writes)" -eq 0 ] || fail "the check run wrote $(api_writes) time(s)"
done
[ "$(api_writes)" -eq 2 ] || fail "the real diff run made $(api_writes) writes, expected 2"

# A refused write at -vvvv shows the API's refusal and no secret, in the output or the log.
status=0
DIALOGTECH_ACCESS_KEY=read-only DIALOGTECH_SECRET_ACCESS_KEY=read-only-SECRET-93de-canary \
    ansible-playbook failing.yml -vvvv >"$workdir/failing.out" 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "the read-only key's write did not fail"
grep -qF 'Access denied: this API key is not permitted to use sms.register_number' "$workdir/failing.out" \
    || { cat "$workdir/failing.out"; fail "no refusal message in the -vvvv output"; }
grep -q 'EXEC .*AnsiballZ_dialogtech_sms_number.py' "$workdir/failing.out" || fail "the output lacks the -vvvv module run"
for secret in $SECRETS; do
    if grep -rlF -- "$secret" "$workdir"; then
        fail "a secret leaked into the files above"
    fi
done

ansible-doc dialogtech.api.dialogtech_sms_number >"$workdir/doc.out"
for section in EXAMPLES 'RETURN VALUES' changes numbers diff_mode; do
    grep -q "$section" "$workdir/doc.out" || fail "ansible-doc shows no $section"
done
echo "dialogtech_sms_number: all checks passed; no secret in any output or log"
