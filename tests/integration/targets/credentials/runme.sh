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
