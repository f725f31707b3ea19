#!/usr/bin/env bash
# One rule for DIALOGTECH_* in every plugin (docs/credentials.md): each setting through the
# info module, the write module, the lookup and the role in real ansible-playbook runs
# (plugins.yml), the emulator counting each plugin's requests, their HTTP method and
# whether the keys were in the URL; invalid values fail every plugin naming the variable.
set -eu
cd "$(dirname "$0")"
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    DIALOGTECH_EMULATOR_DATA=$(cd ../../../../tests/emulator && pwd)/faults.json \
        exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
fail() { echo "environment: $*" >&2; exit 1; }

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false \
    DIALOGTECH_RUN_CACHE_DIR=$workdir/run_cache
reset_command="$python $(cd ../../../../tests/emulator && pwd)/client.py reset"
secret=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["accounts"][0]["secret_access_key"])' \
    ../../../../tests/emulator/faults.json)
export DIALOGTECH_SECRET_ACCESS_KEY=$secret

runs=0
# check DESCRIPTION EXPECT [VAR=VALUE | -e EXTRA]...: plugins.yml with the access key of
# fault-none unless a VAR=VALUE names another; DIALOGTECH_* ones go to the environment.
check() {
    local description=$1 expect=$2 variables=() arguments=()
    shift 2
    for argument in "$@"; do
        case $argument in DIALOGTECH_*=*) variables+=("$argument") ;; *) arguments+=("$argument") ;; esac
    done
    runs=$((runs + 1))
    env DIALOGTECH_ACCESS_KEY=fault-none ${variables[@]+"${variables[@]}"} ansible-playbook plugins.yml \
        -e "{\"expect\": $expect, \"reset_command\": \"$reset_command\"}" ${arguments[@]+"${arguments[@]}"} \
        >"$workdir/run.out" 2>&1 || { cat "$workdir/run.out"; fail "$description: failed"; }
    echo "environment: $description: as expected"
}

# The keys out of URLs: POST for every plugin; GET, the default, with an empty variable too.
writes='{"module": 1, "write": 3, "lookup": 1, "role": 1}'
check "DIALOGTECH_HTTP_METHOD=POST" "{\"method\": \"POST\", \"requests\": $writes}" DIALOGTECH_HTTP_METHOD=POST
check "DIALOGTECH_HTTP_METHOD empty" "{\"method\": \"GET\", \"requests\": $writes}" DIALOGTECH_HTTP_METHOD=
# Each higher source beats the environment where the plugin reads it.
check "module_defaults over DIALOGTECH_HTTP_METHOD" \
    "{\"method\": {\"module\": \"GET\", \"write\": \"GET\", \"lookup\": \"POST\", \"role\": \"GET\"}, \"requests\": $writes}" \
    DIALOGTECH_HTTP_METHOD=POST -e variant=module_defaults
check "dialogtech_http_method over DIALOGTECH_HTTP_METHOD" \
    "{\"method\": {\"module\": \"POST\", \"write\": \"POST\", \"lookup\": \"GET\", \"role\": \"GET\"}, \"requests\": $writes}" \
    DIALOGTECH_HTTP_METHOD=POST -e dialogtech_http_method=GET
check "sms_listener_compliance_http_method over dialogtech_http_method" \
    "{\"method\": {\"module\": \"GET\", \"write\": \"GET\", \"lookup\": \"GET\", \"role\": \"POST\"}, \"requests\": $writes}" \
    -e dialogtech_http_method=GET -e sms_listener_compliance_http_method=POST

# Retries and the limits, against faults: an HTTP 503 answer every time, a server that
# sends nothing for 3 seconds, the answer of fault-none (over 300 bytes).
check "DIALOGTECH_RETRIES=0" "{\"method\": \"GET\", \"requests\": 1, \"error\": \"answered HTTP 503 Service Unavailable\"}" \
    DIALOGTECH_ACCESS_KEY=fault-503-always DIALOGTECH_RETRIES=0
check "DIALOGTECH_RETRIES=2" "{\"method\": \"GET\", \"requests\": 3, \"error\": \"(after 2 retries)\"}" \
    DIALOGTECH_ACCESS_KEY=fault-503-always DIALOGTECH_RETRIES=2
check "DIALOGTECH_TOTAL_TIMEOUT=1" "{\"method\": \"POST\", \"requests\": 2, \"error\": \"would pass total_timeout=1\"}" \
    DIALOGTECH_ACCESS_KEY=fault-503-always DIALOGTECH_TOTAL_TIMEOUT=1 DIALOGTECH_HTTP_METHOD=POST
check "DIALOGTECH_TIMEOUT=1" "{\"method\": \"GET\", \"requests\": 1, \"error\": \"no data for 1 seconds (timeout)\"}" \
    DIALOGTECH_ACCESS_KEY=fault-slow-headers DIALOGTECH_TIMEOUT=1
check "DIALOGTECH_MAX_RESPONSE_BYTES=100" "{\"method\": \"GET\", \"requests\": 1, \"error\": \"exceeds max_response_bytes=100\"}" \
    DIALOGTECH_MAX_RESPONSE_BYTES=100

# An invalid value fails every plugin before any request, naming the variable, whether
# its type or its range or choices refuse it (the unit tests of _options.from_environment
# try every option); an empty one is unset (the empty DIALOGTECH_HTTP_METHOD above).
check "DIALOGTECH_TIMEOUT=ten" "{\"method\": \"GET\", \"requests\": 0, \"error\": \"DIALOGTECH_TIMEOUT: 'ten' is not a number\"}" \
    DIALOGTECH_TIMEOUT=ten
check "DIALOGTECH_HTTP_METHOD=PUT" "{\"method\": \"GET\", \"requests\": 0, \"error\": \"DIALOGTECH_HTTP_METHOD: 'PUT' must be GET or POST\"}" \
    DIALOGTECH_HTTP_METHOD=PUT
# A missing credential names every route of each plugin.
check "DIALOGTECH_ACCESS_KEY empty" '{"method": "GET", "requests": 0, "error": {
    "module": "access_key is required: set the option access_key, module_defaults or the DIALOGTECH_ACCESS_KEY environment variable",
    "write": "access_key is required: set the option access_key, module_defaults or the DIALOGTECH_ACCESS_KEY environment variable",
    "lookup": "access_key is required: set the keyword access_key=, the variable dialogtech_access_key, the DIALOGTECH_ACCESS_KEY environment variable or access_key in the [dialogtech] section of ansible.cfg",
    "role": "access_key is required: set sms_listener_compliance_access_key, dialogtech_access_key, module_defaults of group/dialogtech.api.dialogtech or the DIALOGTECH_ACCESS_KEY environment variable"}}' \
    DIALOGTECH_ACCESS_KEY=
echo "environment: $runs settings x (info module, write module, lookup, role) as expected"
