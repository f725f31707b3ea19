#!/usr/bin/env bash
# Let `ansible-test ... --venv` work on hosts that reach the package index but not the web.
#
# Every venv ansible-test creates is bootstrapped by running get-pip-<ver>.py, which
# ansible-test downloads from ci-files.testing.ansible.com into its cache unless a copy is
# already there. This script puts an equivalent there instead: the pip wheel (fetched with
# the ordinary `pip download`, i.e. from the package index) plus a small get_pip_<ver>.py
# that installs that wheel with --no-index. Versions and the cache path are read from the
# installed ansible_test package, so it follows ansible-core upgrades. Idempotent.
#
# Usage: hack/ansible-test-offline-setup.sh [PYTHON]
#   PYTHON: an interpreter that has ansible-core installed (default: .venv/bin/python).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
py=${1:-$root/.venv/bin/python}
die() { echo "ansible-test-offline-setup: $*" >&2; exit 1; }
[ -x "$py" ] || command -v "$py" >/dev/null || die "interpreter not found: $py"

# Prints: <cache file of the bootstrap script> <pip version> <name==version ...>
read -r script pip_version packages < <("$py" - <<'PY'
import os, re, sys, types
import ansible_test
from ansible_test._internal.python_requirements import get_venv_packages

# The bootstrap packages (today only pip) are the same for every Python version ansible-test
# supports; ask for the running one.
python = types.SimpleNamespace(version='%d.%d' % sys.version_info[:2])
packages = get_venv_packages(python)

setup = os.path.join(os.path.dirname(ansible_test.__file__), '_util', 'target', 'setup', 'requirements.py')
with open(setup) as f:
    match = re.search(r"cache_path = os\.path\.expanduser\('([^']+)'", f.read())
if not match:
    sys.exit('cannot find the get-pip cache path in %s; has ansible-test changed?' % setup)
pip = packages['pip']
print(os.path.expanduser(match.group(1) % pip.replace('.', '_')), pip,
      ' '.join('%s==%s' % kv for kv in sorted(packages.items())))
PY
) || die "cannot read the bootstrap settings from ansible_test with $py"
[ -n "${packages:-}" ] || die "cannot read the bootstrap settings from ansible_test with $py"

cache=$(dirname "$script")
mkdir -p "$cache"
for package in $packages; do
    name=${package%%==*} version=${package#*==}
    if compgen -G "$cache/$name-$version-*.whl" >/dev/null; then
        continue
    fi
    echo "ansible-test-offline-setup: fetching $package from the package index into $cache"
    "$py" -m pip download --quiet --no-deps --only-binary=:all: --dest "$cache" "$package" \
        || die "pip download $package failed"
done

# ansible-test runs this as `python get_pip.py [pip options] pip==<ver> [--no-setuptools] [--no-wheel]`
# inside the new venv. Like the real get-pip.py, it runs pip from the wheel itself.
tmp=$(mktemp "$script.XXXXXX")
cat >"$tmp" <<PY
# Written by dialogtech.api's hack/ansible-test-offline-setup.sh in place of the get-pip.py
# that ansible-test downloads; installs $packages from the wheels beside this file.
import glob, os, sys
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, glob.glob(os.path.join(here, 'pip-$pip_version-*.whl'))[0])
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
from pip._internal.cli.main import main
sys.exit(main(['install', '--no-index', '--find-links', here, '--upgrade', '--force-reinstall'] + args))
PY
mv "$tmp" "$script"
echo "ansible-test-offline-setup: $script installs $packages offline"
