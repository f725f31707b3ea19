#!/usr/bin/env bash
# Find Python interpreters by version, on PATH or in pyenv's install directory.
#
# ansible-test looks for `pythonX.Y` on PATH and only warns when one is missing, so a
# machine without some version would quietly test less. Here a missing version is an error.
# Each version is taken from PATH if it runs there, else from pyenv's install directory
# (pyenv's shims refuse versions that are not selected, and selecting several would change
# which `python3` everything else gets).
#
# Usage: hack/find-pythons.sh DIR 3.8 3.9 ...   put a pythonX.Y link for each version into DIR
#        hack/find-pythons.sh --first 3.13 3.12 print the path of the first version found
set -euo pipefail

pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}

# find_python X.Y: print a working interpreter of that version, or fail.
find_python() {
    local candidate
    for candidate in "$(command -v "python$1" || true)" "$pyenv_root"/versions/"$1".*/bin/"python$1"; do
        if [ -n "$candidate" ] && [ -x "$candidate" ] \
           && [ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" = "$1" ]; then
            echo "$candidate"
            return
        fi
    done
    return 1
}

if [ "${1:-}" = --first ]; then
    shift
    for v in "$@"; do
        find_python "$v" && exit 0
    done
    echo "find-pythons: none of Python $* found (looked on PATH and in $pyenv_root/versions)" >&2
    exit 1
fi

dir=${1:?usage: $0 DIR VERSION... | --first VERSION...}; shift
rm -rf "$dir"
mkdir -p "$dir"
missing=()
for v in "$@"; do
    if found=$(find_python "$v"); then
        ln -s "$found" "$dir/python$v"
    else
        missing+=("$v")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "find-pythons: no working interpreter for Python ${missing[*]} (looked on PATH and in $pyenv_root/versions)" >&2
    exit 1
fi
