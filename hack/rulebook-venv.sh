#!/usr/bin/env bash
# A venv with ansible-rulebook (requirements/rulebook.txt) for the event source's
# integration test, and DIR/path/ holding only an `ansible-rulebook` link to it: the
# Makefile puts that folder on the PATH of `ansible-test integration` (which passes PATH and
# nothing else through), and the target puts the venv's bin first, because ansible-rulebook
# finds collections with the ansible-galaxy beside it.
#
# ansible-rulebook needs a Java 17+ runtime: installed from the OS packages when it is
# missing and we are root with apt-get, else the script stops with one line naming it.
#
# Usage: hack/rulebook-venv.sh DIR   (e.g. .build/rulebook; PYTHON picks the interpreter)
set -euo pipefail

dir=${1:?usage: $0 DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
requirements=$root/requirements/rulebook.txt
java_package=openjdk-17-jre-headless

java_major() {
    command -v java >/dev/null || return 1
    java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n1
}
major=$(java_major || true)
if [ "${major:-0}" -lt 17 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "rulebook-venv: installing $java_package for ansible-rulebook" >&2
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$java_package"; } >/dev/null
    else
        echo "rulebook-venv: ansible-rulebook needs Java 17 or later: install $java_package (or another JRE 17+) and put java on PATH" >&2
        exit 1
    fi
fi

python=${PYTHON:-python3}
venv=$dir/venv
# Reinstalled when the requirements change; pip only touches what differs.
if ! cmp -s "$requirements" "$venv/.requirements" 2>/dev/null; then
    [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/.requirements"
fi
mkdir -p "$dir/path"
ln -sfn "$(cd "$venv/bin" && pwd)/ansible-rulebook" "$dir/path/ansible-rulebook"
