#!/usr/bin/env bash
# The sms_listener_compliance role through real ansible-playbook runs at -vvvv, against the
# emulator serving this target's accounts.json: a compliant and a broken account.
set -eu
cd "$(dirname "$0")"
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    DIALOGTECH_EMULATOR_DATA=$PWD/accounts.json exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
# The role is given its API URL explicitly (compliant, invalid) or through this fallback (broken).
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source-path=SCRIPTDIR
. ../../../../hack/emulator-client.sh  # api_requests, reset_emulator

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
export REPORT_DIR=$workdir/reports ANSIBLE_LOG_PATH=$workdir/ansible.log
BROKEN_SECRET=broken-SECRET-93ab-canary
WRONG=wrong-$RANDOM-$RANDOM-canary

fail() { echo "sms_listener_compliance: $*" >&2; exit 1; }
# run NAME pass|fail ARGS...: a fresh emulator count and report directory, then the playbook.
run() {
    local name=$1 expect=$2 status=0
    shift 2
    reset_emulator
    rm -rf "$REPORT_DIR" && mkdir "$REPORT_DIR"
    ansible-playbook -i inventory site.yml -vvvv "$@" >"$workdir/$name.out" 2>&1 || status=$?
    case "$expect:$status" in
        pass:0) ;;
        fail:0) cat "$workdir/$name.out"; fail "$name: expected the run to fail" ;;
        pass:*) cat "$workdir/$name.out"; fail "$name: expected the run to pass" ;;
    esac
    cp -r "$REPORT_DIR" "$workdir/$name.reports"  # searched for secrets at the end
}
expect_in() {  # NAME PATTERN (extended regex)
    # ansible-core before 2.19 prints a failure's msg as JSON, its line breaks as \n: the
    # output is searched as printed and with those turned into lines.
    sed 's/\\n/\n/g' "$workdir/$1.out" | grep -E -- "$2" >/dev/null \
        || { cat "$workdir/$1.out"; fail "$1: no /$2/ in the output above"; }
}
failed_task() {  # NAME: the last task started before the first failure
    awk '/^TASK \[/ { task = $0 } /FAILED!/ { print task; exit }' "$workdir/$1.out"
}

# A compliant account passes; post_tasks in site.yml check the facts on both hosts and
# that the API was asked once.
run compliant pass -e scenario=compliant
expect_in compliant 'SMS listener compliance passed: all 3 expected number\(s\) are compliant'

# The broken account fails on the assertion with every violation kind in its table.
DIALOGTECH_ACCESS_KEY=broken DIALOGTECH_SECRET_ACCESS_KEY=$BROKEN_SECRET run broken fail -e scenario=broken
[[ "$(failed_task broken)" == *'Assert SMS listener compliance'* ]] || fail "broken: failed in $(failed_task broken)"
expect_in broken 'SMS listener compliance failed: 7 violation\(s\) on 7 number\(s\), 7 number\(s\) expected'
expect_in broken '^NUMBER +KIND +EXPECTED +FOUND'
for row in '5552000001 +sms_disabled' '5552000002 +no_listener_url' '5552000003 +invalid_url +an absolute' \
           '5552000004 +insecure_url +an https:// URL +http://sms' '5552000005 +url_mismatch +https://sms.example.com/listener +https://old' \
           '5552000006 +missing_number' '5552000009 +unexpected_number'; do
    expect_in broken "^$row"
done
# Reports are written before the assertion, so a failing CI job still has them.
"$python" check_reports.py "$workdir/broken.reports"

# Report-only: the same account passes, shows the table and writes both reports; the
# post_tasks check the (failing) compliance fact on both hosts.
DIALOGTECH_ACCESS_KEY=broken DIALOGTECH_SECRET_ACCESS_KEY=$BROKEN_SECRET \
    run report_only pass -e scenario=broken -e sms_listener_compliance_report_only=true
expect_in report_only 'Show SMS listener compliance \(report only\)'
expect_in report_only '"5552000006  missing_number'
"$python" check_reports.py "$workdir/report_only.reports"

# Fails closed, with the client's error, whether the wrong secret comes from the
# environment or a role variable; and writes no report.
DIALOGTECH_ACCESS_KEY=broken DIALOGTECH_SECRET_ACCESS_KEY=$WRONG run wrong_env_secret fail -e scenario=broken
WRONG_SECRET=$WRONG run wrong_role_secret fail -e scenario=compliant
for name in wrong_env_secret wrong_role_secret; do
    [[ "$(failed_task $name)" == *"Fetch the account's SMS numbers"* ]] || fail "$name: failed in $(failed_task $name)"
    expect_in $name 'Invalid Access Key or Secret Access Key'
    [ -z "$(ls -A "$workdir/$name.reports")" ] || fail "$name: reports written although nothing was checked"
done

# Invalid expectations fail before any API call, naming the item.
run invalid fail -e scenario=invalid
[[ "$(failed_task invalid)" == *'Validate sms_listener_compliance_expected_numbers'* ]] || fail "invalid: failed in $(failed_task invalid)"
expect_in invalid "expected_numbers\[1\] .*is not a 10-digit US phone number"
[ "$(api_requests)" = 0 ] || fail "invalid: the API was called $(api_requests) time(s)"
# An empty list too: a templating slip must not pass as "all 0 numbers compliant".
run empty fail -e scenario=invalid -e '{"sms_listener_compliance_expected_numbers": []}'
[[ "$(failed_task empty)" == *'Validate sms_listener_compliance_expected_numbers'* ]] || fail "empty: failed in $(failed_task empty)"
expect_in empty 'sms_listener_compliance_expected_numbers is empty; there is nothing to check'
[ "$(api_requests)" = 0 ] || fail "empty: the API was called $(api_requests) time(s)"

# No secret anywhere: -vvvv output, the log, the reports.  Positive control: the output is
# at -vvvv, showing the module's execution (ansible-core 2.21 no longer shows the module's
# invocation, where older releases print the secret masked).
grep -q 'EXEC .*AnsiballZ_dialogtech_sms_numbers_info.py' "$workdir/compliant.out" || fail "compliant: no -vvvv module run in the output"
for secret in compliant-SECRET-7c1f-canary "$BROKEN_SECRET" "$WRONG"; do
    if grep -rlF -- "$secret" "$workdir"; then
        fail "a secret leaked into the files above"
    fi
done
echo "sms_listener_compliance: 8 runs as expected; no secret in their -vvvv output, log or reports"
