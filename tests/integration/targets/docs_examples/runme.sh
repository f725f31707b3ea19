#!/usr/bin/env bash
# The playbooks of docs/examples, run as the guides tell users to run them, against the
# emulator's demo account; and the AWX credential type's injectors, rendered as AWX does.
# What the guides say each run shows is asserted here, so the docs cannot drift.
set -eu
cd "$(dirname "$0")"
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
docs=$(cd ../../../../docs && pwd)
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
# shellcheck source-path=SCRIPTDIR
. ../../../../hack/emulator-client.sh  # api_requests, api_writes, reset_emulator
SECRET=demo-secret-key

# The guides quote the example files they link to; a quote must still match its file.
# A ```yaml block right after a paragraph that links a .yml file must be a run of that
# file's lines (comments, blank lines and the document marker aside).
# docs/ here is ansible-test's copy of the files the aliases list, so every docs/ file a
# guide links to must be there: a guide or example added without its alias fails here.
"$python" - "$docs" <<'PY'
import glob, os, re, sys
docs = sys.argv[1]
def lines(text):
    return [line.rstrip() for line in text.splitlines()
            if line.strip() and line.strip() != '---' and not line.lstrip().startswith('#')]
checked, bad = 0, []
for guide in sorted(glob.glob(os.path.join(docs, '*.md'))):
    text = open(guide).read()
    for link in re.findall(r'\]\(([^)#:]+)(?:#[^)]*)?\)', text):
        path = os.path.normpath(os.path.join(docs, link))
        if path.startswith(docs + os.sep) and not link.endswith('/') and not os.path.isfile(path):
            bad.append('%s links %s, which is not in the aliases (needs/file/docs/%s)'
                       % (os.path.basename(guide), link, os.path.relpath(path, docs)))
    for match in re.finditer(r'((?:^[^\n`][^\n]*\n)+)\n```yaml\n([\s\S]*?)^```', text, re.M):
        link = re.search(r'\]\(([^)#]+\.yml)\)', match.group(1))
        if not link:
            continue
        target = os.path.normpath(os.path.join(docs, link.group(1)))
        if not os.path.isfile(target):
            continue  # reported above
        quoted, whole = lines(match.group(2)), lines(open(target).read())
        checked += 1
        if not any(whole[i:i + len(quoted)] == quoted for i in range(len(whole) - len(quoted) + 1)):
            bad.append('%s quotes %s, but the file no longer has those lines' % (os.path.basename(guide), link.group(1)))
print('docs_examples: %d quoted example(s) checked against their files' % checked)
if bad:
    sys.exit('\n'.join(bad))
assert checked >= 7, 'expected the guides to quote at least 7 example files'
PY

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
# Users run the examples from a copy of the folder (the vault file and reports go there).
cp "$docs"/examples/*.yml "$docs"/examples/*.csv "$workdir/"
cd "$workdir"
export ANSIBLE_LOG_PATH=$workdir/ansible.log ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL

fail() { echo "docs_examples: $*" >&2; exit 1; }
# run NAME pass|fail COMMAND...: output to NAME.out; the exit status must be as expected.
run() {
    local name=$1 expect=$2 status=0
    shift 2
    "$@" >"$name.out" 2>&1 || status=$?
    case "$expect:$status" in
        pass:0) ;;
        fail:0) cat "$name.out"; fail "$name: expected the run to fail" ;;
        pass:*) cat "$name.out"; fail "$name: expected the run to pass (exit $status)" ;;
        fail:*) ;;
    esac
}
expect_in() {  # NAME TEXT
    grep -qF -- "$2" "$1.out" || { cat "$1.out"; fail "$1: no '$2' in the output above"; }
}
# A warning: ansible-core before 2.19 wraps them at 80 columns, so whitespace counts as one space.
expect_warning() {  # NAME TEXT
    tr -s '\n ' '  ' <"$1.out" | grep -qF -- "$2" || { cat "$1.out"; fail "$1: no warning '$2' in the output above"; }
}

with_env_credentials() { DIALOGTECH_ACCESS_KEY=demo-access-key DIALOGTECH_SECRET_ACCESS_KEY=$SECRET "$@"; }

# README quickstart / getting-started.md. The callback prints the table as lines, as `make demo` shows it.
run demo pass with_env_credentials env ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ansible-playbook demo.yml
expect_in demo 'NUMBER        SMS       LISTENER URL'
expect_in demo '0559990003    enabled   http://legacy.example.com/sms.php'
expect_in demo '4 number(s); the API says: [4] Number(s) Returned'

# module.md
run module pass with_env_credentials ansible-playbook -i inventory.yml module.yml
expect_in module '5559990000, 5559990001: present, SMS enabled'
expect_in module 'SMS is disabled on 1 number(s): 5559990002'

# lookup.md: per-host lookups on 2 hosts and 2 more lookups, one API request in the run.
reset_emulator
run lookup pass with_env_credentials ansible-playbook -i inventory.yml -f 10 lookup.yml
expect_in lookup 'gateway-a: 5559990000 -> https://sms.example.com/listener'
expect_in lookup 'gateway-b: 5559990001 -> https://sms.example.com/listener'
expect_in lookup '0559990003: http://legacy.example.com/sms.php'
expect_in lookup '5550000000'   # the on_missing=warn warning
requests=$(api_requests)
[ "$requests" -eq 1 ] || { cat lookup.out; fail "lookup.yml made $requests API requests, the guide says 1"; }

# credentials.md: Ansible Vault + module_defaults + the lookup's variables; no keys in the environment.
printf 'vault-password-%s\n' "$RANDOM$RANDOM" >vault-password
printf 'dialogtech_access_key: demo-access-key\ndialogtech_secret_access_key: %s\n' "$SECRET" \
    | ansible-vault encrypt --vault-password-file vault-password --output dialogtech-credentials.vault.yml - >/dev/null
grep -q '^.ANSIBLE_VAULT;' dialogtech-credentials.vault.yml || fail "ansible-vault did not encrypt the credentials file"
run credentials pass env -u DIALOGTECH_ACCESS_KEY -u DIALOGTECH_SECRET_ACCESS_KEY \
    ansible-playbook credentials.yml --vault-password-file vault-password
expect_in credentials '4 number(s), the same from the module and the lookup'

# credentials.md, AWX: the credential type's injectors rendered with sample inputs as AWX
# does (Jinja2 over the inputs), then the quickstart playbook with only that environment.
"$python" - "$docs/awx-credential-type.yml" "$DIALOGTECH_EMULATOR_URL" "$SECRET" >awx.env <<'PY'
import shlex, sys
import jinja2, yaml
with open(sys.argv[1]) as f:
    credential_type = yaml.safe_load(f)
fields = {field['id']: field for field in credential_type['inputs']['fields']}
assert fields['secret_access_key'].get('secret') is True, 'the secret input must be secret: true'
assert set(credential_type['inputs']['required']) == {'access_key', 'secret_access_key'}
env = credential_type['injectors']['env']
assert set(env) == {'DIALOGTECH_ACCESS_KEY', 'DIALOGTECH_SECRET_ACCESS_KEY', 'DIALOGTECH_API_URL'}, env
render = lambda inputs: {name: jinja2.Template(value).render(**inputs) for name, value in env.items()}
blank = render(dict(access_key='k', secret_access_key='s', api_url=''))
assert blank['DIALOGTECH_API_URL'] == fields['api_url']['default'] == 'https://secure.dialogtech.com/ibp_api.php', blank
for name, value in render(dict(access_key='demo-access-key', secret_access_key=sys.argv[3], api_url=sys.argv[2])).items():
    print('%s=%s' % (name, shlex.quote(value)))
PY
run awx pass env -u DIALOGTECH_ACCESS_KEY -u DIALOGTECH_SECRET_ACCESS_KEY -u DIALOGTECH_API_URL \
    sh -c 'set -a && . ./awx.env && exec ansible-playbook demo.yml'
expect_in awx 'Number(s) Returned'
rm awx.env

# compliance-role.md: the deployment passes (both gateways' numbers forward to the listener).
run compliance_deploy pass with_env_credentials ansible-playbook -i inventory.yml compliance_deploy.yml
expect_in compliance_deploy 'SMS listener compliance passed'
expect_in compliance_deploy 'the account has 4 number(s)'

# compliance-role.md, CI: 0559990003 forwards over plain http, so the job fails and the
# reports say why; in report-only mode it passes with the same reports. With the previous
# run's reports in place (as the scheduled job restores them), the JUnit report has one
# more test case, for drift, and nothing changed.
check_reports() {  # NAME [TEST CASES]
    "$python" - "reports/sms-compliance.xml" "reports/sms-compliance.json" "reports/sms-compliance.md" "${2:-5}" <<'PY' || { cat "$1.out"; fail "$1: reports differ from the guide"; }
import json, sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suite = root if root.tag == 'testsuite' else root.find('testsuite')
cases = suite.findall('testcase')
failed = [case for case in cases if case.find('failure') is not None]
tests = int(sys.argv[4])
assert len(cases) == tests and int(suite.get('tests')) == tests, ET.tostring(root)
assert len(failed) == 1 and int(suite.get('failures')) == 1, ET.tostring(root)
assert '0559990003' in failed[0].get('name'), failed[0].get('name')
assert 'insecure_url' in ET.tostring(failed[0], encoding='unicode')
report = json.load(open(sys.argv[2]))
assert report['passed'] is False and report['checked'] == 4, report
assert sorted(v['kind'] for v in report['violations']) == ['insecure_url', 'url_mismatch'], report['violations']
assert report['drift'] == [], report['drift']
markdown = open(sys.argv[3]).read()
assert '| Number | Kind | Expected | Found |' in markdown, markdown
assert '| 0559990003 | insecure\\_url | an https:// URL | http://legacy.example.com/sms.php |' in markdown, markdown
PY
}
run compliance_ci fail with_env_credentials ansible-playbook compliance_ci.yml
expect_in compliance_ci 'Assert SMS listener compliance'
expect_in compliance_ci 'insecure_url'
check_reports compliance_ci
rm -rf reports
run compliance_ci_report_only pass with_env_credentials \
    ansible-playbook compliance_ci.yml -e sms_listener_compliance_report_only=true
expect_warning compliance_ci_report_only 'does not exist (the first run?)'
check_reports compliance_ci_report_only
run compliance_ci_again pass with_env_credentials \
    ansible-playbook compliance_ci.yml -e sms_listener_compliance_report_only=true
expect_in compliance_ci_again 'no change in the account since the previous report'
check_reports compliance_ci_again 6

# remediation.md: the plan writes nothing; the run writes the two gateways' numbers and
# verifies them through the lookup; a rerun writes nothing. The emulator's reset then
# restores the demo account.
reset_emulator
run remediation_check pass with_env_credentials ansible-playbook -i inventory.yml remediation.yml --check --diff
expect_in remediation_check '2 number(s) changed: 5559990000, 5559990001'
expect_in remediation_check '+        "url": "https://sms-v2.example.com/listener"'
[ "$(api_writes)" -eq 0 ] || fail "remediation.yml --check wrote $(api_writes) time(s)"
run remediation pass with_env_credentials ansible-playbook -i inventory.yml remediation.yml
expect_in remediation '2 number(s) changed: 5559990000, 5559990001'
expect_in remediation '5559990000 -> https://sms-v2.example.com/listener'
expect_in remediation '5559990001 -> https://sms-v2.example.com/listener'
[ "$(api_writes)" -eq 2 ] || fail "remediation.yml made $(api_writes) writes, the guide says 2"
run remediation_again pass with_env_credentials ansible-playbook -i inventory.yml remediation.yml
expect_in remediation_again '0 number(s) changed'
[ "$(api_writes)" -eq 2 ] || fail "the rerun of remediation.yml wrote"
reset_emulator

# No run may show or write the secret: outputs, the log, the reports.
if grep -rlF "$SECRET" .; then
    fail "the secret leaked into the files above"
fi
echo "docs_examples: all example playbooks ran as the guides say"
