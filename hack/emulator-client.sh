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

# Print one figure of the emulator's /_emulator/stats (requests, reads, writes, ...), counted
# since it started or was reset.
emulator_stat() {
    "${python:-${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}}" "$emulator_client" stat "$1"
}

# How many API requests the emulator has answered.
api_requests() { emulator_stat requests; }

# How many of them were writes (sms.register_number, sms.unregister_number).
api_writes() { emulator_stat writes; }

# Zero the emulator's counters, restore its accounts' numbers and the faults' per-account state.
reset_emulator() {
    "${python:-${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}}" "$emulator_client" reset
}
