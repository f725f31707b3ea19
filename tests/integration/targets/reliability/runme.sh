#!/usr/bin/env bash
# Reliability and security through real ansible-playbook runs: every emulator fault of
# tests/emulator/faults.json through the module and the lookup (faults.yml, cases.yml),
# then a search of all output and every file the run wrote for the secret.
set -eu
cd "$(dirname "$0")"
# An absolute path: the emulator puts the data file's directory into the XXE document.
faults=$(cd ../../../../tests/emulator && pwd)/faults.json
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    DIALOGTECH_EMULATOR_DATA=$faults exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
fail() { echo "reliability: $*" >&2; exit 1; }

# Everything the runs write goes under workdir: output, log, run cache, Ansible's temp
# files, so the leak search below covers it all.
workdir=$(mktemp -d)
trap '[ -n "${KEEP_WORKDIR:-}" ] || rm -rf "$workdir"' EXIT  # KEEP_WORKDIR=1: keep it to look into
mkdir "$workdir/home" "$workdir/tmp"
export ANSIBLE_LOG_PATH=$workdir/ansible.log ANSIBLE_HOME=$workdir/home ANSIBLE_LOCAL_TEMP=$workdir/tmp \
    ANSIBLE_REMOTE_TEMP=$workdir/tmp DIALOGTECH_RUN_CACHE_DIR=$workdir/run_cache TMPDIR=$workdir/tmp
# The fault accounts' shared secret, from the environment as users are told to pass it
# (ansible-playbook echoes `-e` values at -vvvv).  Distinctive, and with characters that
# URL encoding changes, so its encoded forms are searched for too.
secret=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["accounts"][0]["secret_access_key"])' \
    "$faults")
export DIALOGTECH_SECRET_ACCESS_KEY=$secret
secret_forms=$("$python" -c 'import sys; from urllib.parse import quote, quote_plus; s = sys.argv[1]
print("\n".join(sorted({s, quote_plus(s), quote(s, safe=""), quote(s)})))' "$secret")
# A port nothing listens on, for the connection-refused case.
CLOSED_PORT=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export CLOSED_PORT

start=$(date +%s)
status=0
ansible-playbook faults.yml -vvvv "$@" >"$workdir/faults.out" 2>&1 || status=$?
elapsed=$(( $(date +%s) - start ))
[ "$status" -eq 0 ] || { cat "$workdir/faults.out"; fail "faults.yml failed (exit $status)"; }
cases=$(grep -c '^  - key: ' cases.yml)
asserted=$(grep -c 'All assertions passed' "$workdir/faults.out" || true)
[ "$asserted" -eq $((cases * 2)) ] || fail "expected $((cases * 2)) passed assertions (module and lookup per case), saw $asserted"

# Positive controls for the search: the run was at -vvvv (the module's invocation is
# shown, the secret masked), the log was written, the run cache was used, and the search
# finds the secret where it is on purpose.
# ansible-core 2.21 shows no module invocation (before, with the secret masked as
# VALUE_SPECIFIED_IN_NO_LOG_PARAMETER): the module's execution, shown from -vvv on, is the
# control on every release.
grep -q 'EXEC .*AnsiballZ_dialogtech_sms_numbers_info.py' "$workdir/faults.out" || fail "no -vvvv module run in the output"
grep -q 'fault-billion-laughs' "$ANSIBLE_LOG_PATH" || fail "the log file lacks the run"
echo "$secret" >"$workdir/control"
while IFS= read -r form; do
    printf 'x%sx\n' "$form" >>"$workdir/control"
done <<<"$secret_forms"
[ "$(grep -rlF -f <(printf '%s\n' "$secret_forms") "$workdir")" = "$workdir/control" ] \
    || { grep -rlF -f <(printf '%s\n' "$secret_forms") "$workdir" || true; fail "the secret is in the files above (or the search missed the control)"; }
rm "$workdir/control"
leaks=$(grep -rlF -f <(printf '%s\n' "$secret_forms") "$workdir" || true)
[ -z "$leaks" ] || fail "the secret leaked into: $leaks"
echo "reliability: $cases cases x (module, lookup) as expected in ${elapsed}s; no secret in the -vvvv output, log, run cache or temp files ($(find "$workdir" -type f | wc -l) files searched)"
