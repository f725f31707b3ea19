#!/usr/bin/env bash
# Create or update the venv of the pinned lint and release tools (requirements/lint.txt)
# and print its path. A venv of its own, so that these tools can never change the
# ansible-core that .venv pins for the tests; reinstalled only when the pins change.
#
# Usage: hack/lint-venv.sh   Environment: LINT_VENV (default .build/lint-venv), PYTHON (default:
# python3.13 or python3.12, as `make` picks it)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=${LINT_VENV:-$root/.build/lint-venv}
if ! cmp -s "$root/requirements/lint.txt" "$venv/.requirements" 2>/dev/null; then
    python=${PYTHON:-$("$root/hack/find-pythons.sh" --first 3.13 3.12)}
    test -x "$venv/bin/python" || "$python" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet -r "$root/requirements/lint.txt" >&2
    cp "$root/requirements/lint.txt" "$venv/.requirements"
fi
echo "$venv"
