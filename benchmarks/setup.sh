#!/usr/bin/env bash
# Make the benchmark environment in DIR (default .build/bench), apart from .venv:
#   DIR/venv         ansible-core and libraries from requirements/dev.txt, plus
#                    requirements/bench.txt (xmltodict for the baseline, matplotlib for the plot)
#   DIR/collections  ansible.utils, which benchmark 2's baseline uses (ansible.utils.from_xml)
#
# ansible-galaxy needs Galaxy, which is not always reachable; the `ansible` community
# package on PyPI bundles ansible.utils, so it is taken from that wheel instead: the
# release built for the ansible-core that requirements/dev.txt pins (2.21.5), so the
# baseline is what a user of that ansible-core gets. Only the wheel is downloaded; its
# ansible-core is not installed.
# Idempotent: a stamp per step records what it was made from.
#
# Usage: benchmarks/setup.sh [DIR]
set -euo pipefail

ANSIBLE_PACKAGE=ansible==14.5.0   # requires ansible-core~=2.21.5; ships ansible.utils 6.1.1
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/.build/bench}
python=${PYTHON:-$("$root/hack/find-pythons.sh" --first 3.13 3.12)}
mkdir -p "$dir"

stamp=$dir/venv/.installed
if [ ! -f "$stamp" ] || [ "$root/requirements/bench.txt" -nt "$stamp" ] || [ "$root/requirements/dev.txt" -nt "$stamp" ]; then
    test -x "$dir/venv/bin/python" || "$python" -m venv "$dir/venv"
    "$dir/venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements/bench.txt"
    touch "$stamp"
fi

utils=$dir/collections/ansible_collections/ansible/utils
if [ "$(cat "$utils/.from" 2>/dev/null)" != "$ANSIBLE_PACKAGE" ]; then
    download=$(mktemp -d)
    trap 'rm -rf "$download"' EXIT
    "$dir/venv/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps \
        --dest "$download" "$ANSIBLE_PACKAGE"
    rm -rf "$utils"
    "$dir/venv/bin/python" - "$download"/ansible-*.whl "$dir/collections" <<'PY'
import sys
import zipfile

wheel, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as archive:
    members = [name for name in archive.namelist() if name.startswith('ansible_collections/ansible/utils/')]
    if not members:
        sys.exit('%s has no ansible_collections/ansible/utils' % wheel)
    archive.extractall(dest, members)
PY
    echo "$ANSIBLE_PACKAGE" > "$utils/.from"
fi
echo "$dir"
