#!/usr/bin/env bash
# Run an `ansible-test integration` command in a collection tree and fail unless every
# integration target ran.
#
# ansible-test leaves out targets whose aliases say disabled, unsupported, unstable,
# destructive, needs/..., skip/..., cloud/... (depending on the host), and exits 0 with a
# mere warning even when that leaves nothing to run. This script refuses aliases that would
# keep a target out of CI before running, then checks ansible-test's output that each target
# directory (other than setup_*/prepare_* helpers, which ansible-test runs as dependencies)
# actually ran.
#
# Usage: hack/check-integration.sh TREE COMMAND [ARG...]   (COMMAND runs in TREE)
set -euo pipefail

tree=${1:?usage: $0 TREE COMMAND [ARG...]}; shift
targets_dir=$tree/tests/integration/targets
die() { echo "check-integration: $*" >&2; exit 1; }

expected=()
bad=()
if [ -d "$targets_dir" ]; then
    for dir in "$targets_dir"/*/; do
        [ -d "$dir" ] || continue
        target=$(basename "$dir")
        case "$target" in setup_*|prepare_*) continue ;; esac
        expected+=("$target")
        # First word of each line: aliases files allow trailing comments.
        while read -r alias _; do
            case "$alias" in
                disabled|unsupported|unstable|hidden|destructive|skip/*|needs/root|cloud/*|windows|network)
                    bad+=("$target: '$alias'") ;;
            esac
        done < <(sed 's/#.*//' "$dir/aliases" 2>/dev/null || true)
    done
fi
[ ${#expected[@]} -gt 0 ] || die "no integration targets under $targets_dir"
if [ ${#bad[@]} -gt 0 ]; then
    printf 'check-integration: alias keeps a target from running in CI: %s\n' "${bad[@]}" >&2
    exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
(cd "$tree" && "$@") 2>&1 | tee "$log" || status=$?
[ "$status" -eq 0 ] || die "ansible-test integration failed (exit $status)"

missing=()
for target in "${expected[@]}"; do
    grep -qE "^Running $target integration test (script|role)\$" "$log" || missing+=("$target")
done
if [ ${#missing[@]} -gt 0 ]; then
    die "these targets did not run: ${missing[*]}"
fi
echo "check-integration: all ${#expected[@]} target(s) ran: ${expected[*]}"
