#!/usr/bin/env bash
# Recreate the tree ansible-test runs from, .../ansible_collections/<namespace>/<name>.
#
# ansible-test only accepts a collection checked out under ansible_collections/NS/NAME, and
# it lists the collection's files with git when it finds a .git above the collection. This
# repository's .git would answer with nothing (the tree is in an ignored directory), so the
# copy gets its own empty repository: git then lists exactly the copied files minus what the
# copied .gitignore ignores (tests/output, __pycache__), as it does in a real checkout.
#
# The copy holds the files git sees in this checkout: tracked and untracked-not-ignored,
# without deleted ones. It is rebuilt from scratch each time so deleted files disappear.
#
# Usage: hack/sync-test-tree.sh TREE   (e.g. .build/ansible_collections/dialogtech/api)
set -euo pipefail

tree=$(realpath -m "${1:?usage: $0 TREE}")
case "$tree" in
    */ansible_collections/*/*) ;;
    *) echo "sync-test-tree: $tree is not .../ansible_collections/NAMESPACE/NAME" >&2; exit 1 ;;
esac
cd "$(dirname "$0")/.."

rm -rf "$tree"
mkdir -p "$tree"
# -c lists files deleted from the work tree too; keep only what exists.
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do
          if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
      done \
    | xargs -0 -r cp -P --parents -t "$tree"
git -C "$tree" init -q
