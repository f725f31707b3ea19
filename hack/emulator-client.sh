# shellcheck shell=bash
# Calls to the control endpoints of the DialogTech API emulator (tests/emulator/
# dialogtech_emulator.py), for integration targets' runme.sh scripts, which source this file
# once hack/with-emulator.sh has started the emulator.
#
# Why a sourced file: several targets count the API requests a run made and reset the
# emulator between runs; one copy keeps them asking the same endpoints the same way. The
# targets list it as needs/file/hack/emulator-client.sh in their aliases, so ansible-test
# copies it into their temporary work dir, and source it as ../../../../hack/emulator-client.sh.
# Python's urllib, not curl: the test host is only sure to have the Python ansible-test runs.
#
# Uses, at call time (the caller's variables, as the scripts set them):
#   emulator  base URL of the control endpoints (default: DIALOGTECH_EMULATOR_URL, which
#             with-emulator.sh exports, without /ibp_api.php, plus /_emulator)
#   python    interpreter (default: ANSIBLE_TEST_PYTHON_INTERPRETER, else python3)

# The emulator's control base URL.
emulator_base() {
    if [ -n "${emulator:-}" ]; then
        echo "$emulator"
    else
        local url=${DIALOGTECH_EMULATOR_URL:?no emulator: run under hack/with-emulator.sh}
        echo "${url%/ibp_api.php}/_emulator"
    fi
}

# Print one figure of the emulator's /_emulator/stats (requests, reads, writes, ...), counted
# since it started or was reset.
emulator_stat() {
    local base
    base=$(emulator_base) || return
    "${python:-${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}}" \
        -c 'import json, sys, urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))[sys.argv[2]])' \
        "$base/stats" "$1"
}

# How many API requests the emulator has answered.
api_requests() { emulator_stat requests; }

# How many of them were writes (sms.register_number, sms.unregister_number).
api_writes() { emulator_stat writes; }

# Zero the emulator's counters, restore its accounts' numbers and the faults' per-account state.
reset_emulator() {
    local base
    base=$(emulator_base) || return
    "${python:-${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}}" \
        -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], data=b"")' \
        "$base/reset"
}
