#!/usr/bin/env bash
# The lookup through real ansible-playbook runs against the emulator serving this target's
# accounts.json: one API request per run for 60 hosts and 12 forks, its behaviours, a
# wrong secret at -vvvv, and the run cache directory checked for secrets and permissions.
set -eu
cd "$(dirname "$0")"
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    DIALOGTECH_EMULATOR_DATA=$PWD/accounts.json exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL
# shellcheck source-path=SCRIPTDIR
. ../../../../hack/emulator-client.sh  # api_requests, reset_emulator
fail() { echo "dialogtech_sms_numbers: $*" >&2; exit 1; }

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
cache=$workdir/run_cache
# The answers go to run_cache_dir; the option definitions the lookup shares between its
# workers always go to the default directory, which XDG_RUNTIME_DIR moves here too.
definitions=$workdir/runtime/dialogtech.api
export DIALOGTECH_RUN_CACHE_DIR=$cache XDG_RUNTIME_DIR=$workdir/runtime ANSIBLE_LOG_PATH=$workdir/ansible.log
# Credentials from the environment, as users are told to pass secrets (-e is echoed at -vvvv).
export DIALOGTECH_ACCESS_KEY=fleet DIALOGTECH_SECRET_ACCESS_KEY=fleet-SECRET-4d2e-canary
WRONG=wrong-$RANDOM-$RANDOM-canary
SECRETS="fleet-SECRET-4d2e-canary demo-SECRET-b81f-canary vendor-SECRET-07aa-canary flaky-SECRET-3e9c-canary $WRONG"

reset_emulator

# 60 local hosts, each with one number of the fleet account (a string, as users write it).
inventory=$workdir/inventory.yml
{
    echo 'fleet:'
    echo '  vars: {ansible_connection: local}'
    echo '  hosts:'
    for i in $(seq 0 59); do printf "    h%02d: {sms_number: '%010d'}\n" "$i" $((5550000000 + i)); done
} >"$inventory"

# Two runs over the fleet at 12 forks: one request each, and the second run's answer is
# fresh, not the first run's file.
for run in 1 2; do
    ansible-playbook -i "$inventory" -f 12 fleet.yml -vvv "$@" >"$workdir/fleet$run.out" 2>&1 \
        || { cat "$workdir/fleet$run.out"; fail "fleet run $run failed"; }
    [ "$(grep -cE '^h[0-9]+ +: ok=[34] +changed=0 +unreachable=0 +failed=0 ' "$workdir/fleet$run.out")" -eq 60 ] \
        || fail "fleet run $run: not all 60 hosts ran their tasks"
    grep -qE '^h00 +: ok=4 ' "$workdir/fleet$run.out" || fail "fleet run $run: the second play did not run on h00"
    [ "$(api_requests)" = "$run" ] || fail "after fleet run $run the API was asked $(api_requests) time(s), expected $run"
    # -vvv shows where each lookup got the answer: one fetched it, all others read it.
    [ "$(grep -c 'dialogtech_sms_numbers: fetched and shared in' "$workdir/fleet$run.out")" -eq 1 ] \
        || fail "fleet run $run: expected exactly one lookup to fetch"
    # Files of the first run are gone once the second run has fetched.
    [ "$(find "$cache" -name '*.json' | wc -l)" -eq 1 ] || { ls -l "$cache"; fail "fleet run $run: stale cache files"; }
    [ "$(find "$definitions" -name '*-options-*.json' | wc -l)" -eq 1 ] \
        || { ls -l "$definitions"; fail "fleet run $run: expected one file of shared option definitions"; }
done
echo "dialogtech_sms_numbers: 2 runs over 60 hosts at 12 forks made $(api_requests) API requests"

ansible-playbook lookup.yml "$@" >"$workdir/lookup.out" 2>&1 || { cat "$workdir/lookup.out"; fail "lookup.yml failed"; }
# ansible-core before 2.19 wraps warnings at 80 columns: whitespace is compared as one space.
tr -s '\n ' '  ' <"$workdir/lookup.out" | grep -q 'the account has no SMS number 5550004321; left out' \
    || { cat "$workdir/lookup.out"; fail "no on_missing=warn warning"; }
grep -q '5550001234' "$workdir/lookup.out" && fail "on_missing=skip warned"

# A cache directory someone else could read or write (here: mode 0755) is not used, and
# the lookups still answer, each asking the API itself, with a warning.
mkdir -m 0755 "$workdir/unsafe"
reset_emulator  # the flaky account answers HTTP 503 once again
DIALOGTECH_RUN_CACHE_DIR=$workdir/unsafe ansible-playbook lookup.yml "$@" >"$workdir/unsafe.out" 2>&1 \
    || { cat "$workdir/unsafe.out"; fail "lookup.yml with an unsafe run_cache_dir failed"; }
tr -s '\n ' '  ' <"$workdir/unsafe.out" | grep -q "the run cache is not used (refusing the run cache directory $workdir/unsafe" \
    || { cat "$workdir/unsafe.out"; fail "no warning about the unsafe run_cache_dir"; }
[ -z "$(ls -A "$workdir/unsafe")" ] || { ls -l "$workdir/unsafe"; fail "files written to the unsafe run_cache_dir"; }

# A wrong secret fails every host with the API's message after a single request, and
# shows no secret even at -vvvv.
before=$(api_requests)
status=0
DIALOGTECH_SECRET_ACCESS_KEY=$WRONG ansible-playbook -i "$inventory" -f 12 failing.yml -vvvv >"$workdir/failing.out" 2>&1 \
    || status=$?
[ "$status" -ne 0 ] || fail "the wrong secret did not fail the run"
[ "$(grep -c "Invalid Access Key or Secret Access Key" "$workdir/failing.out")" -ge 60 ] \
    || { cat "$workdir/failing.out"; fail "not every host failed with the API's message"; }
[ "$(grep -c 'failed=1 ' "$workdir/failing.out")" -eq 60 ] || fail "not every host failed"
[ "$(api_requests)" = $((before + 1)) ] || fail "the wrong secret made $(( $(api_requests) - before )) requests, expected 1"

# The cache directory and its files are private; no file there, and no output or log,
# holds a secret; the file names do not give the access keys away.
for dir in "$cache" "$definitions"; do
    [ "$(stat -c %a "$dir")" = 700 ] || fail "cache directory $dir has mode $(stat -c %a "$dir")"
    [ -z "$(find "$dir" -type f ! -perm 600)" ] || { ls -l "$dir"; fail "cache files not 0600"; }
done
[ -n "$(find "$cache" -name '*.json')" ] || fail "no cache file to check"
for secret in $SECRETS; do
    if grep -rlF -- "$secret" "$workdir"; then
        fail "a secret leaked into the files above"
    fi
done
if find "$cache" | grep -E 'fleet|demo|vendor'; then
    fail "cache file names show access keys"
fi

ansible-doc -t lookup dialogtech.api.dialogtech_sms_numbers >"$workdir/doc.out"
for section in EXAMPLES 'RETURN VALUES' _raw on_missing run_cache; do
    grep -q "$section" "$workdir/doc.out" || fail "ansible-doc shows no $section"
done
echo "dialogtech_sms_numbers: all checks passed; no secret in any output, log or cache file"
