#!/usr/bin/env bash
# The dialogtech.api.sms_numbers event source in a real ansible-rulebook, with the rulebooks
# of docs/examples polling the emulator every 10 s (the minimum interval):
#   1. the remediation and the notify rulebooks start; a number is re-pointed through the
#      dialogtech_sms_number module; the remediation's playbook puts back exactly that
#      number, once, and the notify rulebook reports the change;
#   2. the remediation rulebook is stopped, another number re-pointed, and the rulebook
#      started again with the same state_file: that change fires once.
# No secret in any log. ansible-rulebook comes from hack/rulebook-venv.sh (make integration).
set -eu
cd "$(dirname "$0")"
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    DIALOGTECH_EMULATOR_DATA=$PWD/accounts.json exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
# shellcheck source-path=SCRIPTDIR
. ../../../../hack/emulator-client.sh  # api_writes, emulator_stat
fail() { echo "sms_numbers_event_source: $*" >&2; exit 1; }

rulebook=$(command -v ansible-rulebook) \
    || fail "ansible-rulebook is not on PATH: run this target with make integration (hack/rulebook-venv.sh)"
# ansible-rulebook finds the collection with the ansible-galaxy beside it, and its
# run_playbook runs the ansible-playbook found first on PATH: those of its own venv, as in
# a decision environment. ANSIBLE_COLLECTIONS_PATH (set by ansible-test) points at this tree.
rulebook_path=$(dirname "$(readlink -f "$rulebook")"):$PATH
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL DIALOGTECH_ACCESS_KEY=eda-watcher
export DIALOGTECH_SECRET_ACCESS_KEY=eda-SECRET-7f3e-canary ANSIBLE_LOCALHOST_WARNING=false
export ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0

examples=$(cd ../../../../docs/examples && pwd)
here=$PWD
workdir=$(mktemp -d)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$workdir"
}
trap cleanup EXIT
# Users run the rulebooks from a copy of docs/examples, with their own variables.
cp -r "$examples/rulebooks" "$examples/restore_listener.yml" "$workdir/"
cd "$workdir"
cat >vars.yml <<VARS
dialogtech_poll_interval: 10
dialogtech_state_file: $workdir/state.json
sms_listener_url: https://sms.example.com/listener
VARS

start() {  # NAME RULEBOOK: start it in the background, output in NAME.log
    PATH=$rulebook_path ansible-rulebook -r "$2" -i rulebooks/inventory.yml --vars vars.yml -v >"$1.log" 2>&1 &
    pids+=($!)
    eval "${1}_pid=\$!"
}
stop() {  # NAME: stop it as a service manager does (the JVM exits at SIGTERM at once)
    local pid_var="${1}_pid"
    kill -TERM "${!pid_var}"
    wait "${!pid_var}" 2>/dev/null || true
}
# Wait for a condition; the limit only guards against a hang.
wait_for() {  # DESCRIPTION COMMAND...
    local what=$1 deadline=$((SECONDS + 180)); shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || { tail -n 40 ./*.log; fail "gave up waiting: $what"; }
        sleep 1
    done
}
# Conditions for wait_for: functions, so that each try reads afresh.
state_has() { grep -qF "$1" state.json 2>/dev/null; }
reads_at_least() { [ "$(emulator_stat reads)" -ge "$1" ]; }
played() { [ "$(plays "$1")" -ge 1 ]; }
plays() { grep -c 'PLAY \[Put back the SMS listener URL of the number that changed\]' "$1.log" || true; }
url_of() {  # NUMBER: its listener URL, read through the info module
    ansible-playbook "$here/urls.yml" | sed -n "s/.*\"msg\": \"URL $1 \(.*\)\"/\1/p"
}
change() { ansible-playbook "$here/change.yml" -e "number=$1" >/dev/null || fail "could not change $1"; }

start remediate rulebooks/sms_numbers_remediate.yml
start notify rulebooks/sms_numbers_notify.yml
# Both rulebooks have taken their baseline: one read each, and the state file is written.
wait_for "the first polls" reads_at_least 2
wait_for "the state file" state_has '"number":"5550002001"'
writes=$(api_writes)
change 5550002001
# The state file shows each poll's account: first the change, then, a poll after the
# remediation, the expected URL again; that second change must not fire.
wait_for "the poll that sees the change" state_has '"number":"5550002001","sms_enabled":true,"url":"https://rogue.example.com/sms"'
wait_for "the remediation's play" played remediate
wait_for "a poll after the fix" state_has '"number":"5550002001","sms_enabled":true,"url":"https://sms.example.com/listener"'
wait_for "the notification" grep -q 'SMS number 5550002001 url_changed: .*rogue.example.com' notify.log
[ "$(api_writes)" -eq $((writes + 2)) ] || fail "expected the change and one fix to write, saw $(( $(api_writes) - writes )) writes"
[ "$(url_of 5550002001)" = https://sms.example.com/listener ] || fail "5550002001 was not put back"
[ "$(url_of 5550002002)" = https://sms.example.com/listener ] || fail "5550002002 changed"
stop remediate
stop notify
[ "$(plays remediate)" -eq 1 ] || { cat remediate.log; fail "the remediation ran $(plays remediate) times, not once"; }
if [ "$(grep -c 'TASK \[Set the expected listener URL on ' remediate.log)" -ne 1 ] \
        || ! grep -qF 'TASK [Set the expected listener URL on 5550002001]' remediate.log; then
    cat remediate.log; fail "the remediation did not run for 5550002001 alone"
fi

# While the rulebook is stopped, another number is re-pointed; the restart's baseline is
# the state file, so that change fires once.
change 5550002003
grep -qF '"number":"5550002003","sms_enabled":true,"url":"https://sms.example.com/listener"' state.json \
    || fail "the state file lost 5550002003's last seen URL"
start restarted rulebooks/sms_numbers_remediate.yml
wait_for "the restart's first poll" state_has '"number":"5550002003","sms_enabled":true,"url":"https://rogue.example.com/sms"'
wait_for "a poll after the fix" state_has '"number":"5550002003","sms_enabled":true,"url":"https://sms.example.com/listener"'
[ "$(url_of 5550002003)" = https://sms.example.com/listener ] || fail "5550002003 was not put back after the restart"
sleep 3  # a rule that fired wrongly at that poll would have started its playbook by now
stop restarted
[ "$(plays restarted)" -eq 1 ] || { cat restarted.log; fail "after the restart the remediation ran $(plays restarted) times, not once"; }
grep -qF 'TASK [Set the expected listener URL on 5550002003]' restarted.log \
    || { cat restarted.log; fail "after the restart the remediation did not run for 5550002003"; }
[ "$(url_of 5550002001)" = https://sms.example.com/listener ] || fail "5550002001 changed again"

for log in ./*.log state.json; do
    if grep -qF "$DIALOGTECH_SECRET_ACCESS_KEY" "$log"; then fail "the secret is in $log"; fi
done
echo "sms_numbers_event_source: remediation fired once per change, across a restart; no secret in any log"
