#!/usr/bin/env bash
# Put python3.X links for each requested version into DIR, for ansible-test to find on PATH.
#
# ansible-test looks for `pythonX.Y` on PATH and only warns when one is missing, so a
# machine without some version would quietly test less. Here a missing version is an error.
# Each version is taken from PATH if it runs there, else from pyenv's install directory
# (pyenv's shims refuse versions that are not selected, and selecting several would change
# which `python3` everything else gets).
#
# Usage: hack/find-pythons.sh DIR 3.8 3.9 ...
set -euo pipefail

dir=${1:?usage: $0 DIR VERSION...}; shift
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
rm -rf "$dir"
mkdir -p "$dir"
missing=()
for v in "$@"; do
    found=
    for candidate in "$(command -v "python$v" || true)" "$pyenv_root"/versions/"$v".*/bin/"python$v"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] \
           && [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$v" ]; then
            found=$candidate
            break
        fi
    done
    if [ -z "$found" ]; then missing+=("$v"); continue; fi
    ln -s "$found" "$dir/python$v"
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "find-pythons: no working interpreter for Python ${missing[*]} (looked on PATH and in $pyenv_root/versions)" >&2
    exit 1
fi
