#!/usr/bin/env bash
# Release the changelog for the version in galaxy.yml (`make changelog`): check the
# fragments, then let antsibull-changelog move them into changelogs/changelog.yaml, add the
# modules, plugins and roles whose version_added is that version, and regenerate
# CHANGELOG.md. Run again for a released version, it updates that release (new fragments,
# newly added plugins) instead of failing.
#
# Usage: hack/changelog.sh [antsibull-changelog release options...]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=$(hack/lint-venv.sh)
export PATH=$venv/bin:$PATH

read -r namespace name < <(sed -n -e 's/^namespace: *//p' -e 's/^name: *//p' galaxy.yml | tr -d "\"'" | paste -sd ' ')
# antsibull-changelog asks ansible-doc for the plugins, which finds the checkout only under
# an ansible_collections/NAMESPACE/NAME path.
collections=$(mktemp -d)
trap 'rm -rf "$collections"' EXIT
mkdir -p "$collections/ansible_collections/$namespace"
ln -s "$root" "$collections/ansible_collections/$namespace/$name"

antsibull-changelog lint
ANSIBLE_COLLECTIONS_PATH=$collections antsibull-changelog release --reload-plugins --update-existing "$@"
antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
