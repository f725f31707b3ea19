#!/usr/bin/env bash
# The ecosystem quality gates of the collection (`make lint`), all offline:
#   0. the tarball holds the collection only (no tests, emulator data, venvs, caches);
#   1. ansible-lint, production profile (.ansible-lint), over the whole repository;
#   2. antsibull-changelog lint of the fragments and of changelogs/changelog.yaml;
#   3. antsibull-docs lint-collection-docs --plugin-docs, validating collection references;
#   4. ansible-doc renders every module, lookup, filter, test and role page, and lists every
#      plugin file and role directory (a page that is missing or fails to load is an error);
#   5. galaxy-importer on the built tarball: any error or warning fails;
#   6. ansible-builder create of docs/execution-environment.yml and docs/decision-environment.yml,
#      and ansible-builder introspect of the installed collection finds its Python and system requirements.
# The tools come from requirements/lint.txt, in a venv of their own (hack/lint-venv.sh).
# All gates run even when one fails; the exit status says whether any failed.
#
# Usage: hack/lint.sh [TARBALL]   (default: build one from the checkout)
# Environment: LINT_VENV (default .build/lint-venv), PYTHON (see hack/lint-venv.sh).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$root/.build/lint
die() { echo "lint: $*" >&2; exit 1; }

venv=$(hack/lint-venv.sh)
export PATH=$venv/bin:$PATH
# Plain output for logs.
export NO_COLOR=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0

read -r namespace name version < <(sed -n -e 's/^namespace: *//p' -e 's/^name: *//p' -e 's/^version: *//p' galaxy.yml \
    | tr -d "\"'" | paste -sd ' ')
[ -n "${version:-}" ] || die "cannot read namespace/name/version from galaxy.yml"
fqcn=$namespace.$name

rm -rf "$work"
mkdir -p "$work/dist"
tarball=${1:-}
if [ -z "$tarball" ]; then
    ansible-galaxy collection build --force --output-path "$work/dist" . >/dev/null
    tarball=$work/dist/$namespace-$name-$version.tar.gz
fi
[ -f "$tarball" ] || die "no tarball at $tarball"
tarball=$(cd "$(dirname "$tarball")" && pwd)/$(basename "$tarball")

# The checkout, seen as a collection (for ansible-lint, which does not install it offline).
src=$work/src
mkdir -p "$src/ansible_collections/$namespace"
ln -s "$root" "$src/ansible_collections/$namespace/$name"
# What users get: the tarball, installed. Outside the checkout: antsibull-docs lists a
# collection's files with git when it is inside a repository, and .build/ is ignored there.
installed=$(mktemp -d "${TMPDIR:-/tmp}/dialogtech-lint.XXXXXX")
trap 'rm -rf "$installed"' EXIT
ANSIBLE_COLLECTIONS_PATH=$installed ansible-galaxy collection install --offline --force --collections-path "$installed" "$tarball" >/dev/null
tree=$installed/ansible_collections/$namespace/$name

failed=()
gate() {  # name command...: run one gate, remember a failure, go on
    local gate_name=$1 start=$SECONDS; shift
    echo "=== lint: $gate_name"
    if "$@"; then
        echo "=== lint: $gate_name: ok ($((SECONDS - start)) s)"
    else
        echo "=== lint: $gate_name: FAILED ($((SECONDS - start)) s)"; failed+=("$gate_name")
    fi
}

ansible_lint() {
    ANSIBLE_COLLECTIONS_PATH=$src ansible-lint --nocolor
}

changelog_lint() {
    antsibull-changelog lint && antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
}

docs_lint() {
    ANSIBLE_COLLECTIONS_PATH=$installed antsibull-docs lint-collection-docs --plugin-docs \
        --validate-collection-refs all --disallow-unknown-collection-refs "$tree"
}

# ansible-doc exits 0 with a warning for a plugin whose documentation cannot be loaded, and
# leaves undocumented plugins out of its lists: so every page is rendered with stderr
# watched, and every plugin file and role directory must show up in a list.
doc_render() {
    local status=0 type dir names name out err file rendered
    out=$(mktemp) err=$(mktemp)
    for dir in plugins/*/; do
        dir=$(basename "$dir")
        case "$dir" in
            # An action plugin is documented by the module of its name, rendered with the modules.
            module_utils|doc_fragments|plugin_utils|action) continue ;;
            modules) type=module ;;
            *) type=$dir ;;
        esac
        names=$(ANSIBLE_COLLECTIONS_PATH=$installed ansible-doc -t "$type" --list --json "$fqcn" 2>"$err" \
            | python3 -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin))))') || {
            echo "ansible-doc -t $type --list failed:"; cat "$err"; status=1; continue; }
        if [ -s "$err" ]; then echo "ansible-doc -t $type --list warned:"; cat "$err"; status=1; fi
        # A module or lookup file is one plugin of its name; a filter or test file holds
        # several, documented in YAML files beside it, each of which must be listed.
        for file in "plugins/$dir"/*.py "plugins/$dir"/*.yml "plugins/$dir"/*.yaml; do
            [ -f "$file" ] || continue
            case "$type:$file" in
                filter:*.py|test:*.py) continue ;;
                */__init__.py) continue ;;
            esac
            name=$(basename "$file"); name=$fqcn.${name%.*}
            grep -qxF "$name" <<<"$names" || { echo "$file: ansible-doc -t $type does not list $name"; status=1; }
        done
        for name in $names; do
            if ! ANSIBLE_COLLECTIONS_PATH=$installed ansible-doc -t "$type" "$name" >"$out" 2>"$err" \
                    || [ -s "$err" ] || ! grep -q . "$out"; then
                echo "ansible-doc -t $type $name does not render cleanly:"; cat "$err"; status=1
            else
                echo "rendered: $type $name ($(wc -l <"$out") lines)"
            fi
        done
    done
    names=$(ANSIBLE_COLLECTIONS_PATH=$installed ansible-doc -t role --list --json "$fqcn" 2>"$err" \
        | python3 -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin))))') || {
        echo "ansible-doc -t role --list failed:"; cat "$err"; status=1; }
    for dir in roles/*/; do
        [ -d "$dir" ] || continue
        name=$fqcn.$(basename "$dir")
        grep -qxF "$name" <<<"$names" || { echo "$dir: ansible-doc -t role does not list $name (meta/argument_specs.yml?)"; status=1; }
    done
    for name in $names; do
        # ansible-doc 2.21 warns about its own internal collection on every role page;
        # that one warning says nothing about ours.
        rendered=0
        ANSIBLE_COLLECTIONS_PATH=$installed ansible-doc -t role "$name" >"$out" 2>"$err.all" || rendered=$?
        grep -v "ansible_collections/ansible/_protomatter' does not have a MANIFEST.json" "$err.all" >"$err" || true
        if [ "$rendered" -ne 0 ] || [ -s "$err" ] || ! grep -q . "$out"; then
            echo "ansible-doc -t role $name does not render cleanly:"; cat "$err"; status=1
        else
            echo "rendered: role $name ($(wc -l <"$out") lines)"
        fi
    done
    rm -f "$out" "$err" "$err.all"
    return "$status"
}

# galaxy-importer logs problems at WARNING or ERROR level and still exits 0 for most of
# them, so its log is read. hack/galaxy-importer.cfg says what it may run.
galaxy_import() {
    local log=$work/galaxy-importer.log
    (cd "$work" && GALAXY_IMPORTER_CONFIG=$root/hack/galaxy-importer.cfg \
        python -m galaxy_importer.main "$tarball") >"$log" 2>&1 || { cat "$log"; return 1; }
    cat "$log"
    if grep -E '^(WARNING|ERROR)|(WARNING|ERROR):' "$log"; then
        echo "galaxy-importer reported the warnings/errors above"
        return 1
    fi
    grep -q 'Importer processing completed successfully' "$log" || { echo "galaxy-importer did not finish"; return 1; }
}

# `create` writes the build context without a container engine; introspect reads the
# collection's meta/execution-environment.yml as a build would.
execution_environment() {
    local deps=$work/ee-deps.txt
    ansible-builder create --file docs/execution-environment.yml --context "$work/ee-context" \
        --output-filename Containerfile || return 1
    [ -s "$work/ee-context/Containerfile" ] || { echo "no Containerfile written"; return 1; }
    ansible-builder create --file docs/decision-environment.yml --context "$work/de-context" \
        --output-filename Containerfile || return 1
    [ -s "$work/de-context/Containerfile" ] || { echo "no decision environment Containerfile written"; return 1; }
    ansible-builder introspect --sanitize "$installed" >"$deps" || return 1
    cat "$deps"
    local want
    for want in requests defusedxml; do
        grep -q "$want" "$deps" || { echo "introspect did not find $want: meta/execution-environment.yml?"; return 1; }
    done
}

# The tarball is what users install: the collection and its metadata, nothing of the
# development tree (tests, emulator data, venvs, build output, scripts, caches).
tarball_contents() {
    local unexpected
    unexpected=$(tar -tzf "$tarball" | grep -vE '^(MANIFEST\.json|FILES\.json|README\.md|CHANGELOG\.(md|rst)|LICENSE|COPYING|bindep\.txt|requirements\.txt|(changelogs|docs|extensions|meta|plugins|roles)(/.*)?)$' \
        ; tar -tzf "$tarball" | grep -E '(^|/)(__pycache__|\.[^/]*cache[^/]*)(/|$)|\.pyc$|^changelogs/\.plugin-cache\.yaml$') || true
    if [ -n "$unexpected" ]; then
        echo "$tarball ships files that are not part of the collection (galaxy.yml build_ignore?):"
        echo "$unexpected"
        return 1
    fi
    echo "$(tar -tzf "$tarball" | grep -vc '/$') files, all part of the collection"
}

gate tarball tarball_contents
gate ansible-lint ansible_lint
gate antsibull-changelog changelog_lint
gate antsibull-docs docs_lint
gate ansible-doc doc_render
gate galaxy-importer galaxy_import
gate ansible-builder execution_environment

if [ ${#failed[@]} -gt 0 ]; then
    echo "lint: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "lint: all gates passed"
