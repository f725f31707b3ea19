#!/usr/bin/env bash
# The sms_listener_compliance role through real ansible-playbook runs at -vvvv, against the
# emulator serving this target's accounts.json: a compliant and a broken account; and, for
# drift, a second emulator serving accounts-later.json, the compliant account changed.
set -eu
cd "$(dirname "$0")"
here=$PWD
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    DIALOGTECH_EMULATOR_DATA=$PWD/accounts.json exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
# The role is given its API URL explicitly (compliant, invalid) or through this fallback (broken).
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source-path=SCRIPTDIR
. ../../../../hack/emulator-client.sh  # api_requests, reset_emulator

workdir=$(mktemp -d)
trap 'rm -rf "$workdir" "$here/relative-reports"' EXIT
export REPORT_DIR=$workdir/reports ANSIBLE_LOG_PATH=$workdir/ansible.log
BROKEN_SECRET=broken-SECRET-93ab-canary
WRONG=wrong-$RANDOM-$RANDOM-canary

fail() { echo "sms_listener_compliance: $*" >&2; exit 1; }
# run NAME pass|fail ARGS...: a fresh emulator count and report directory, then the playbook;
# through the command $launcher names when it is set, from the folder $from names when set.
run() {
    local name=$1 expect=$2 status=0
    shift 2
    reset_emulator
    rm -rf "$REPORT_DIR" && mkdir "$REPORT_DIR"
    (cd "${from:-$here}" && "${launcher:-command}" ansible-playbook -i "$here/inventory" "$here/site.yml" -vvvv "$@") \
        >"$workdir/$name.out" 2>&1 || status=$?
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

# Every input of the expected numbers (list, file, both) with every mode (report only, the
# assertion, remediation, remediation in check mode, check mode) against the broken account,
# each compared with a baseline report of it with fail_on_drift: the remediation's own writes
# are no drift.  The file is UTF-8 with a byte order mark and CRLF line ends, as spreadsheets
# export it; in "both", part of the list is repeated in a file named relative to the
# playbook while ansible-playbook runs from another folder.  Each input gives the same
# reports, byte for byte, in each mode; check_reports.py knows what each mode's are.
broken() { DIALOGTECH_ACCESS_KEY=broken DIALOGTECH_SECRET_ACCESS_KEY=$BROKEN_SECRET "$@"; }
broken run baseline pass -e scenario=broken -e sms_listener_compliance_report_only=true
cp "$workdir/baseline.reports/compliance.json" "$workdir/baseline.json"
csv=$workdir/broken.csv
printf '\xef\xbb\xbf' >"$csv" && sed 's/$/\r/' files/broken.csv >>"$csv"
for input in list file both; do
    case $input in
        list) input_args=() ;;
        file) input_args=(-e '{"sms_listener_compliance_expected_numbers": []}'
                          -e "sms_listener_compliance_expected_numbers_file=$csv") ;;
        both) input_args=(-e '{"sms_listener_compliance_expected_numbers": ["5552000000", "5552000001", "5552000002"]}'
                          -e sms_listener_compliance_expected_numbers_file=files/broken.csv) ;;
    esac
    for mode in report_only assert remediate check_remediate check; do
        case $mode in
            report_only) mode_args=(-e sms_listener_compliance_report_only=true) ;;
            assert) mode_args=() ;;
            remediate) mode_args=(-e sms_listener_compliance_remediate=true) ;;
            check_remediate) mode_args=(--check -e sms_listener_compliance_remediate=true) ;;
            check) mode_args=(--check) ;;
        esac
        name=${input}_$mode expect=fail remaining=7 writes=0
        [ "$mode" != report_only ] || expect=pass
        [ "$mode" != remediate ] || writes=4
        # Outside check mode the remediation fixes 4 of the 7; in check mode the run fails for
        # the 3 it would not fix, while the reports describe the account as fetched.
        [[ "$mode" != *remediate ]] || remaining=3
        from=$workdir broken run "$name" "$expect" -e scenario=broken "${input_args[@]}" "${mode_args[@]}" \
            -e "sms_listener_compliance_previous_report=$workdir/baseline.json" -e sms_listener_compliance_fail_on_drift=true
        if [ "$expect" = fail ]; then
            [[ "$(failed_task "$name")" == *'Assert SMS listener compliance'* ]] || fail "$name: failed in $(failed_task "$name")"
            expect_in "$name" "SMS listener compliance failed: $remaining violation\(s\) on $remaining number\(s\), 7 number\(s\) expected"
            expect_in "$name" '^NUMBER +KIND +EXPECTED +FOUND'
            expect_in "$name" '^5552000004 +insecure_url +an https:// URL +http://sms'
        else
            expect_in "$name" 'Show SMS listener compliance \(report only\)'
            expect_in "$name" '"5552000006  missing_number'
        fi
        [ "$(api_writes)" = "$writes" ] || fail "$name: $(api_writes) write(s), expected $writes"
        same=()
        [ "$input" = list ] || same=("$workdir/list_$mode.reports")
        "$python" check_reports.py "$mode" "$workdir/$name.reports" "${same[@]}"
    done
done
# The assertion's table has a row per violation, of every kind.
for row in '5552000001 +sms_disabled' '5552000002 +no_listener_url' '5552000003 +invalid_url +an absolute' \
           '5552000005 +url_mismatch +https://sms.example.com/listener +https://old' \
           '5552000006 +missing_number' '5552000009 +unexpected_number'; do
    expect_in list_assert "^$row"
done
# In check mode it lists the fixes the remediation would make.
expect_in list_check_remediate '^Planned by the remediation, not written \(check mode\) \(4\):'

# A bad row fails before any API call, naming the file and the line.
printf 'number,url\n5551000000,\n555-100-01,\n' >"$workdir/bad.csv"
run bad_csv fail -e scenario=compliant -e "sms_listener_compliance_expected_numbers_file=$workdir/bad.csv"
[[ "$(failed_task bad_csv)" == *'Validate sms_listener_compliance_expected_numbers'* ]] || fail "bad_csv: failed in $(failed_task bad_csv)"
expect_in bad_csv "$workdir/bad.csv line 3 .*'555-100-01' is not a 10-digit US phone number"
[ "$(api_requests)" = 0 ] || fail "bad_csv: the API was called $(api_requests) time(s)"

# Drift since a previous run's JSON report.  The first run has none yet (a warning); the
# second sees no change; against the changed account the third reports the changes and
# passes, the fourth fails with fail_on_drift.
later() { DIALOGTECH_EMULATOR_DATA=$here/accounts-later.json "$here/../../../../hack/with-emulator.sh" "$@"; }
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

# Relative paths are taken from the playbook's folder, whatever folder ansible-playbook runs
# in: the JSON report of one run is the previous report of the next, which finds the drift.
relative_args=(-e scenario=compliant -e sms_listener_compliance_fail_on_unexpected=false
               -e sms_listener_compliance_previous_report=relative-reports/compliance.json
               -e sms_listener_compliance_report_json=relative-reports/compliance.json)
from=$workdir run relative_first pass "${relative_args[@]}"
[ -f "$here/relative-reports/compliance.json" ] || fail "relative_first: no report in the playbook's folder"
from=$workdir launcher=later run relative_drift pass "${relative_args[@]}"
expect_in relative_drift '2 change\(s\) in the account since the previous report'
[ ! -e "$workdir/relative-reports" ] || fail "relative paths were taken from the current folder"

# Reports are private by default: 0600, in the folders the role makes (nested too) 0700; a
# folder that exists keeps its mode (it was once set to 0755, /tmp's too).  The report mode
# widens both for CI artifacts; it must be a quoted octal mode.
mkdir -m 0751 "$workdir/existing"
mode_args=(-e scenario=compliant -e "sms_listener_compliance_report_json=$workdir/existing/compliance.json"
           -e "sms_listener_compliance_report_junit=$workdir/made/nested/compliance.xml"
           -e "sms_listener_compliance_report_markdown=$workdir/made/compliance.md")
modes() {  # NAME EXPECTED: the modes of the three reports, the two folders made and the one that existed
    local found
    found=$(cd "$workdir" && stat -c %a existing/compliance.json made/nested/compliance.xml made/compliance.md \
            made made/nested existing | tr '\n' ' ')
    [ "$found" = "$2 " ] || fail "$1: modes $found, expected $2"
}
run modes_private pass "${mode_args[@]}"
modes modes_private '600 600 600 700 700 751'
rm -r "$workdir/made"
run modes_shared pass "${mode_args[@]}" -e sms_listener_compliance_report_mode=0644
modes modes_shared '644 644 644 755 755 751'
run modes_number fail "${mode_args[@]}" -e '{"sms_listener_compliance_report_mode": 420}'
[[ "$(failed_task modes_number)" == *'Validate sms_listener_compliance_report_mode'* ]] || fail "modes_number: failed in $(failed_task modes_number)"
expect_in modes_number "sms_listener_compliance_report_mode must be a quoted octal mode such as '0600' or '0644', not 420"
[ "$(api_requests)" = 0 ] || fail "modes_number: the API was called $(api_requests) time(s)"

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
# --diff shows the plan, not the reports: they are no change to the account, and hold all of it.
! grep -q '"account_numbers"' "$workdir/remediate_check.out" || fail "remediate_check: --diff showed a report's content"
# In check mode the fact and the reports describe the account as fetched, with the planned fixes.
expect_in remediate_check 'SMS listener compliance failed: 7 violation\(s\) on 7 number\(s\)'
expect_in remediate_check '"Planned by the remediation, not written \(check mode\) \(4\):"'
expect_in remediate_real 'SMS listener compliance failed: 3 violation\(s\) on 3 number\(s\)'

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
echo "sms_listener_compliance: 15 runs of the input x mode matrix, 20 other runs and 3 remediation runs as expected; no secret in their -vvvv output, log or reports"
