# shellcheck shell=bash
# The emulator's counters for integration targets' runme.sh scripts, which source this file
# once hack/with-emulator.sh has started the emulator: shell functions over
# tests/emulator/client.py, the one emulator client of the tests and benchmarks.
#
# The targets list this file and tests/emulator/client.py as needs/file/... in their aliases,
# so ansible-test copies both into their temporary work dir, and source it as
# ../../../../hack/emulator-client.sh.
#
# Uses, at call time: DIALOGTECH_EMULATOR_URL (with-emulator.sh exports it) and `python`
# (the caller's variable; default ANSIBLE_TEST_PYTHON_INTERPRETER, else python3).

emulator_client=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/emulator/client.py

# Print how many API requests the emulator has answered since it started or was reset.
api_requests() {
    "${python:-${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}}" "$emulator_client" requests
}

# Zero the emulator's counters and the faults' per-account state.
reset_emulator() {
    "${python:-${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}}" "$emulator_client" reset
}
