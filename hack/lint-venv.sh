#!/usr/bin/env bash
# Create or update the venv of the pinned lint and release tools (requirements/lint.txt)
# and print its path. A venv of its own, so that these tools can never change the
# ansible-core that .venv pins for the tests; reinstalled only when the pins change.
#
# Usage: hack/lint-venv.sh   Environment: LINT_VENV (default .build/lint-venv), PYTHON (python3.11)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${LINT_VENV:-$root/.build/lint-venv}
if ! cmp -s "$root/requirements/lint.txt" "$venv/.requirements" 2>/dev/null; then
    test -x "$venv/bin/python" || "${PYTHON:-python3.11}" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet -r "$root/requirements/lint.txt" >&2
    cp "$root/requirements/lint.txt" "$venv/.requirements"
fi
echo "$venv"
