#!/usr/bin/env bash
# The sms_listener_compliance role through real ansible-playbook runs at -vvvv, against the
# emulator serving this target's accounts.json: a compliant and a broken account; and, for
# drift, a second emulator serving accounts-later.json, the compliant account changed.
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
# run NAME pass|fail ARGS...: a fresh emulator count and report directory, then the playbook;
# through the command $launcher names when it is set.
run() {
    local name=$1 expect=$2 status=0
    shift 2
    reset_emulator
    rm -rf "$REPORT_DIR" && mkdir "$REPORT_DIR"
    "${launcher:-command}" ansible-playbook -i inventory site.yml -vvvv "$@" >"$workdir/$name.out" 2>&1 || status=$?
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
    awk '/^TASK \[/ { task = $0 } /FAILED!|^failed: / { print task; exit }' "$workdir/$1.out"
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

# The same expectations from a CSV file instead of the list, in UTF-8 with a byte order mark
# and CRLF line ends as spreadsheets export it: the same reports, byte for byte.
csv=$workdir/broken.csv
printf '\xef\xbb\xbf' >"$csv" && sed 's/$/\r/' files/broken.csv >>"$csv"
DIALOGTECH_ACCESS_KEY=broken DIALOGTECH_SECRET_ACCESS_KEY=$BROKEN_SECRET run broken_csv fail -e scenario=broken \
    -e '{"sms_listener_compliance_expected_numbers": []}' -e "sms_listener_compliance_expected_numbers_file=$csv"
[[ "$(failed_task broken_csv)" == *'Assert SMS listener compliance'* ]] || fail "broken_csv: failed in $(failed_task broken_csv)"
"$python" check_reports.py "$workdir/broken_csv.reports" "$workdir/broken.reports"

# A bad row fails before any API call, naming the file and the line.
printf 'number,url\n5551000000,\n555-100-01,\n' >"$workdir/bad.csv"
run bad_csv fail -e scenario=compliant -e "sms_listener_compliance_expected_numbers_file=$workdir/bad.csv"
[[ "$(failed_task bad_csv)" == *'Validate sms_listener_compliance_expected_numbers'* ]] || fail "bad_csv: failed in $(failed_task bad_csv)"
expect_in bad_csv "$workdir/bad.csv line 3 .*'555-100-01' is not a 10-digit US phone number"
[ "$(api_requests)" = 0 ] || fail "bad_csv: the API was called $(api_requests) time(s)"

# Drift since a previous run's JSON report.  The first run has none yet (a warning); the
# second sees no change; against the changed account the third reports the changes and
# passes, the fourth fails with fail_on_drift.
later() { DIALOGTECH_EMULATOR_DATA=$PWD/accounts-later.json ../../../../hack/with-emulator.sh "$@"; }
drift_args=(-e scenario=compliant -e sms_listener_compliance_fail_on_unexpected=false
            -e "sms_listener_compliance_previous_report=$workdir/previous.json"
            -e "sms_listener_compliance_report_json=$REPORT_DIR/compliance.json"
            -e "sms_listener_compliance_report_junit=$REPORT_DIR/compliance.xml"
            -e "sms_listener_compliance_report_markdown=$REPORT_DIR/compliance.md")
run drift_first pass "${drift_args[@]}"
expect_in drift_first "previous report $workdir/previous.json does not exist"
cp "$workdir/drift_first.reports/compliance.json" "$workdir/previous.json"
run drift_none pass "${drift_args[@]}"
expect_in drift_none 'no change in the account since the previous report'
launcher=later run drift pass "${drift_args[@]}"
expect_in drift '2 change\(s\) in the account since the previous report'
"$python" check_reports.py --drift "$workdir/drift.reports"
launcher=later run drift_fail fail "${drift_args[@]}" -e sms_listener_compliance_fail_on_drift=true
[[ "$(failed_task drift_fail)" == *'Assert SMS listener compliance'* ]] || fail "drift_fail: failed in $(failed_task drift_fail)"
expect_in drift_fail 'Changes in the account since the previous report \(2\):'
expect_in drift_fail '^5551000009 +added +- +sms_enabled=true, url=https://sms.example.com/listener'
# A JSON file that is not such a report (here: as 0.1.0 wrote them) fails before any API call.
echo '{"passed": true, "violations": []}' >"$workdir/old.json"
run drift_foreign fail "${drift_args[@]}" -e "sms_listener_compliance_previous_report=$workdir/old.json"
[[ "$(failed_task drift_foreign)" == *'Validate sms_listener_compliance_expected_numbers'* ]] || fail "drift_foreign: failed in $(failed_task drift_foreign)"
expect_in drift_foreign "previous report $workdir/old.json is not a JSON report of dialogtech.api.sms_listener_compliance"
[ "$(api_requests)" = 0 ] || fail "drift_foreign: the API was called $(api_requests) time(s)"

# Remediation: in check mode the 4 fixable numbers are planned (shown with --diff) and
# nothing is written; for real they are written; a rerun writes nothing (remediate.yml
# asserts the facts, the JSON report and the emulator's write count of each step).
reset_emulator
for step in check real rerun; do
    flags=--diff
    [ "$step" != check ] || flags="--diff --check"
    rm -rf "$REPORT_DIR" && mkdir "$REPORT_DIR"
    # shellcheck disable=SC2086
    DIALOGTECH_ACCESS_KEY=broken DIALOGTECH_SECRET_ACCESS_KEY=$BROKEN_SECRET \
        ansible-playbook -i inventory remediate.yml -vvvv $flags -e step=$step >"$workdir/remediate_$step.out" 2>&1 \
        || { cat "$workdir/remediate_$step.out"; fail "remediate.yml ($step) failed"; }
done
expect_in remediate_check '^\+ +"url": "https://sms.example.com/listener"'
expect_in remediate_check 'SMS listener compliance failed: 3 violation\(s\) on 3 number\(s\)'

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
expect_in empty 'sms_listener_compliance_expected_numbers is an empty list and no sms_listener_compliance_expected_numbers_file is set: list the numbers to check'
[ "$(api_requests)" = 0 ] || fail "empty: the API was called $(api_requests) time(s)"

# A misspelt variable is warned about, once, naming the closest one the role knows; the
# run goes on with what the role knows.
run typo pass -e scenario=compliant -e sms_listener_compliance_require_http=false \
    -e sms_listener_compliance_expected_number=5551000000
for typo in require_http:require_https expected_number:expected_numbers; do
    warning="sms_listener_compliance_${typo%:*} is not a variable of the role, so it is ignored; did you mean sms_listener_compliance_${typo#*:}\\?"
    # ansible-core before 2.19 wraps a warning over lines.
    [ "$(tr -s '\n ' '  ' <"$workdir/typo.out" | grep -oE -- "$warning" | wc -l)" = 1 ] \
        || { cat "$workdir/typo.out"; fail "typo: not once: /$warning/"; }
done
tr -s '\n ' '  ' <"$workdir/compliant.out" | grep -q 'is not a variable of the role' \
    && fail "compliant: a warning about a known variable"
# A value of the wrong type fails first, in one line naming the variable, before any API
# call (ansible-core's own check would print its whole argument spec).
run wrong_type fail -e scenario=compliant -e sms_listener_compliance_timeout=ten -e sms_listener_compliance_report_only=sometimes
[[ "$(failed_task wrong_type)" == *"Check the role's variables"* ]] || fail "wrong_type: failed in $(failed_task wrong_type)"
expect_in wrong_type "\"msg\": \"sms_listener_compliance_timeout: 'ten' is not a number\""
expect_in wrong_type "\"msg\": \"sms_listener_compliance_report_only: 'sometimes' is not a boolean"
grep -q argument_spec_data "$workdir/wrong_type.out" && fail "wrong_type: ansible-core's argument spec dump"
[ "$(api_requests)" = 0 ] || fail "wrong_type: the API was called $(api_requests) time(s)"

# No secret anywhere: -vvvv output, the log, the reports.  Positive control: the output is
# at -vvvv, showing the module's execution (ansible-core 2.21 no longer shows the module's
# invocation, where older releases print the secret masked).
grep -q 'EXEC .*AnsiballZ_dialogtech_sms_numbers_info.py' "$workdir/compliant.out" || fail "compliant: no -vvvv module run in the output"
for secret in compliant-SECRET-7c1f-canary "$BROKEN_SECRET" "$WRONG"; do
    if grep -rlF -- "$secret" "$workdir"; then
        fail "a secret leaked into the files above"
    fi
done
echo "sms_listener_compliance: 18 runs and 3 remediation runs as expected; no secret in their -vvvv output, log or reports"
