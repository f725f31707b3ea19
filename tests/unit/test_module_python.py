# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Python the modules declare (tests/config.yml) is the one the README states, the one
`make sanity-oldest` compiles and imports them on, and one whose grammar they keep to.

ansible-test's compile and import tests on that Python are the proof that the code runs
there; this keeps the declaration, the docs and the Makefile from drifting apart.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MODULE_SIDE = sorted((ROOT / 'plugins' / 'modules').glob('*.py')) + sorted((ROOT / 'plugins' / 'module_utils').glob('*.py'))


def declared_floor():
    requires = yaml.safe_load((ROOT / 'tests' / 'config.yml').read_text())['modules']['python_requires']
    match = re.fullmatch(r'>=(\d+)\.(\d+)', requires)
    assert match, 'python_requires %r is not of the form >=X.Y' % requires
    return int(match.group(1)), int(match.group(2))


def test_the_floor_is_stated_in_the_readme():
    assert 'Python %d.%d or later where the modules run' % declared_floor() in (ROOT / 'README.md').read_text()


def test_sanity_oldest_starts_at_the_floor():
    makefile = (ROOT / 'Makefile').read_text()
    pythons = re.search(r'^SANITY_OLDEST_PYTHONS \?= (.+)$', makefile, re.MULTILINE).group(1).split()
    assert pythons[0] == '%d.%d' % declared_floor()


@pytest.mark.parametrize('path', MODULE_SIDE, ids=lambda path: path.name)
def test_module_side_code_keeps_to_the_floor_grammar(path):
    # ast's feature_version refuses most newer syntax (the walrus operator, positional-only
    # parameters...); the future import that sets the floor at 3.7 it does not check.
    source = path.read_text()
    ast.parse(source, str(path), feature_version=declared_floor())
    assert 'from __future__ import annotations' in source
