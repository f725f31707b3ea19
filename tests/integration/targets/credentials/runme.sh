#!/usr/bin/env bash
# Every credential route of docs/credentials.md, for the module, the lookup and the role,
# through real ansible-playbook runs at -vvvv against the emulator: routes.yml checks
# which source won; here the ansible.cfg route of the lookup and that no secret was shown.
set -eu
cd "$(dirname "$0")"
if [ -z "${DIALOGTECH_EMULATOR_URL:-}" ]; then
    exec ../../../../hack/with-emulator.sh "./$(basename "$0")" "$@"
fi
fail() { echo "credentials: $*" >&2; exit 1; }
python=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT
export ANSIBLE_LOG_PATH=$workdir/ansible.log ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
export DIALOGTECH_RUN_CACHE_DIR=$workdir/run_cache
SECRETS="demo-secret-key vendor-example-secret url-element-secret wrong-secret-for-url-element"

# The lowest route of each plugin, the environment, names the demo account.
export DIALOGTECH_API_URL=$DIALOGTECH_EMULATOR_URL
export DIALOGTECH_ACCESS_KEY=demo-access-key DIALOGTECH_SECRET_ACCESS_KEY=demo-secret-key

printf 'vault-password-%s\n' "$RANDOM$RANDOM" >"$workdir/vault-password"
printf 'dialogtech_access_key: vendor-example\ndialogtech_secret_access_key: vendor-example-secret\n' \
    | ansible-vault encrypt --vault-password-file "$workdir/vault-password" --output "$workdir/credentials.vault.yml" - >/dev/null

ansible-playbook routes.yml -vvvv -e @keys.yml -e vault_file="$workdir/credentials.vault.yml" \
    --vault-password-file "$workdir/vault-password" "$@" >"$workdir/routes.out" 2>&1 \
    || { cat "$workdir/routes.out"; fail "routes.yml failed"; }
grep -qE '^localhost +: ok=[0-9]+ +changed=0 +unreachable=0 +failed=0 +skipped=[0-9]+ +rescued=2 ' "$workdir/routes.out" \
    || { cat "$workdir/routes.out"; fail "routes.yml: expected exactly the 2 failures it rescues"; }

# docs/credentials.md's inventory layout and nothing else: group_vars/all/dialogtech.yml
# with the secret vaulted by encrypt_string, no DIALOGTECH_* in the environment.  The
# emulator counts 3 requests (module, role, lookup), all POST as the inventory says.
emulator() { "$python" ../../../../tests/emulator/client.py "$@"; }
mkdir -p "$workdir/inventory/group_vars/all"
printf 'all:\n  hosts:\n    localhost:\n      ansible_connection: local\n      ansible_python_interpreter: "{{ ansible_playbook_python }}"\n' \
    >"$workdir/inventory/hosts.yml"
{
    printf 'dialogtech_api_url: %s\ndialogtech_http_method: POST\ndialogtech_access_key: vendor-example\n' \
        "$DIALOGTECH_EMULATOR_URL"
    printf '%s' vendor-example-secret | ansible-vault encrypt_string --vault-password-file "$workdir/vault-password" \
        --stdin-name dialogtech_secret_access_key 2>/dev/null
} >"$workdir/inventory/group_vars/all/dialogtech.yml"
grep -q 'dialogtech_secret_access_key: !vault' "$workdir/inventory/group_vars/all/dialogtech.yml" \
    || fail "encrypt_string wrote no vaulted variable"
emulator reset
env -u DIALOGTECH_ACCESS_KEY -u DIALOGTECH_SECRET_ACCESS_KEY -u DIALOGTECH_API_URL \
    ansible-playbook -i "$workdir/inventory" inventory.yml -vvvv --vault-password-file "$workdir/vault-password" "$@" \
    >"$workdir/inventory.out" 2>&1 || { cat "$workdir/inventory.out"; fail "inventory.yml failed"; }
[ "$(emulator stats | "$python" -c 'import json, sys; s = json.load(sys.stdin)
print(s["by_method"], s["keys_in_url"], s["by_access_key"])')" = "{'POST': 3} 0 {'vendor-example': 3}" ] \
    || { emulator stats; fail "inventory.yml: expected 3 POST requests with vendor-example's keys, none in the URL"; }

# The lookup's ansible.cfg section, below the environment.
cat >"$workdir/ansible.cfg" <<CFG
[dialogtech]
api_url = $DIALOGTECH_EMULATOR_URL
access_key = url-element
secret_access_key = url-element-secret
CFG
count() {  # the number of numbers the lookup returns, with ansible.cfg and the given environment
    env "$@" ANSIBLE_CONFIG="$workdir/ansible.cfg" ansible localhost -vvvv -m ansible.builtin.debug \
        -a "msg=COUNT={{ query('dialogtech.api.dialogtech_sms_numbers') | length }}" >>"$workdir/cfg.out" 2>&1 \
        || { cat "$workdir/cfg.out" >&2; fail "the lookup failed with ansible.cfg"; }
    sed -n 's/.*"msg": "COUNT=\([0-9]*\)".*/\1/p' "$workdir/cfg.out" | tail -n 1
}
[ "$(count -u DIALOGTECH_ACCESS_KEY -u DIALOGTECH_SECRET_ACCESS_KEY -u DIALOGTECH_API_URL)" = 2 ] \
    || fail "the lookup did not read ansible.cfg"
[ "$(count)" = 4 ] || fail "the environment did not beat ansible.cfg"

for secret in $SECRETS; do
    if grep -rlF -- "$secret" "$workdir"/*.out "$workdir/ansible.log" "$workdir/run_cache"; then
        fail "a secret leaked into the files above"
    fi
done
echo "credentials: every route of docs/credentials.md reached the module, the lookup and the role; no secret shown"
