#!/usr/bin/env bash
# `make test-matrix`: unit and integration tests on every ansible-core release and controller
# Python of the matrix file, one cell after the other (`make unit integration CORE=... CORE_PYTHON=...`,
# each in its own venv under .build/core-*), then a table of the results: printed, kept in
# .build/matrix/table.md, and written into README.md between the support-matrix markers.
# Each cell's verdict and date is kept in .build/matrix/*.result, so a run of some cells
# (MATRIX_ONLY) leaves the others' last results in the table; a cell never run says so.
# A Python the machine lacks is a cell of its own ("no Python X.Y here"), never left out.
# All cells run even when one fails; the exit status says whether any failed.
#
# Usage: hack/test-matrix.sh [MATRIX_FILE]   (default requirements/matrix.txt; lines: VERSION PYTHON...)
# Environment: MATRIX_ONLY="2.16.19/3.10 2.21.5/3.12" runs those cells only.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
matrix=${1:-requirements/matrix.txt}
out=.build/matrix
mkdir -p "$out"

dev_core=$(sed -n 's/^ansible-core==//p' requirements/dev.txt)
grep -q "^$dev_core " "$matrix" || { echo "test-matrix: $matrix lacks the pinned ansible-core $dev_core of requirements/dev.txt" >&2; exit 1; }

mapfile -t pythons < <(sed 's/#.*//' "$matrix" | awk '{for (i = 2; i <= NF; i++) print $i}' | sort -uV)
rows=() failed=()
while read -r core cell_pythons; do
    [ -n "$core" ] || continue
    row="| $core |"
    for py in "${pythons[@]}"; do
        case " $cell_pythons " in
            *" $py "*) ;;
            *) row+=" – |"; continue ;;
        esac
        result=$out/core-$core-py$py.result
        if [ -z "${MATRIX_ONLY:-}" ] || [[ " $MATRIX_ONLY " == *" $core/$py "* ]]; then
            if ! hack/find-pythons.sh --first "$py" >/dev/null 2>&1; then
                echo "no Python $py here" >"$result"
            else
                log=$out/core-$core-py$py.log
                echo "=== test-matrix: ansible-core $core on Python $py (log: $log)"
                start=$SECONDS
                if make --no-print-directory unit integration CORE="$core" CORE_PYTHON="$py" </dev/null >"$log" 2>&1; then
                    verdict=pass
                else
                    verdict=FAIL failed+=("$core/$py")
                fi
                # pytest's summary line and check-integration.sh's count say what passed.
                units=$(grep -oE '[0-9]+ passed' "$log" | tail -1 || true)
                targets=$(grep -oE 'all [0-9]+ target\(s\) ran' "$log" | grep -oE '[0-9]+' || true)
                echo "=== test-matrix: ansible-core $core on Python $py: $verdict ($((SECONDS - start)) s;" \
                    "unit: ${units:-none passed}; integration targets: ${targets:-not all ran})"
                echo "$verdict ($(date -u +%Y-%m-%d))" >"$result"
            fi
        fi
        row+=" $(cat "$result" 2>/dev/null || echo 'not run') |"
    done
    rows+=("$row")
done < <(sed 's/#.*//' "$matrix")

{
    echo "| ansible-core |$(printf ' Python %s |' "${pythons[@]}")"
    echo "| --- |$(printf ' --- |%.0s' "${pythons[@]}")"
    printf '%s\n' "${rows[@]}"
    echo
    echo "pass: the unit and integration tests passed (\`make test-matrix\`, on the date given; last run"
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'));"
    echo "–: that ansible-core does not run its controller on that Python."
} >"$out/table.md"
cat "$out/table.md"

python3 - "$out/table.md" README.md <<'PY'
import re, sys
table, readme = (open(path).read() for path in sys.argv[1:])
start, end = '<!-- support-matrix: written by make test-matrix -->\n', '<!-- end of support-matrix -->\n'
pattern = re.compile(re.escape(start) + '.*?' + re.escape(end), re.S)
if not pattern.search(readme):
    sys.exit('test-matrix: README.md has no support-matrix markers; the table is in .build/matrix/table.md')
open(sys.argv[2], 'w').write(pattern.sub(lambda _: start + table + end, readme))
PY
echo "test-matrix: README.md's support table updated"

if [ ${#failed[@]} -gt 0 ]; then
    echo "test-matrix: FAILED: ${failed[*]} (logs in $out/)" >&2
    exit 1
fi
