# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the README and the guides say about the collection, held against the collection.

The content table of the README lists every plugin and role the collection has (found from
the files, so a new plugin fails here until it has a row), the compliance guide every
filter; the release notes have a release for galaxy.yml's version; the version ranges the
guides give include it, and no command names a collection version written by hand; the
example execution environment installs an ansible-core the collection supports on a
Python the newest supported release runs on; what following the guides creates in a clone
never goes into the tarball.
"""

from __future__ import annotations

import fnmatch
import importlib
import re
from pathlib import Path

import yaml

from ansible.galaxy.dependency_resolution.versioning import meets_requirements
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / 'README.md'
GALAXY = yaml.safe_load((ROOT / 'galaxy.yml').read_text())
FQCN = '%s.%s' % (GALAXY['namespace'], GALAXY['name'])
VERSION = GALAXY['version']
# Plugin directories that hold no plugins of their own: shared code, documentation
# fragments, and action plugins, which are documented (and listed) as their module.
NOT_PLUGINS = {'module_utils', 'plugin_utils', 'doc_fragments', 'action'}
# Files that hold several plugins, and how to ask them for their names.
MULTI_PLUGIN = {'filter': ('FilterModule', 'filters'), 'test': ('TestModule', 'tests')}
GUIDES = sorted((ROOT / 'docs').glob('*.md')) + [README]
DOCS_FILES = GUIDES + sorted((ROOT / 'docs').rglob('*.yml'))


def _kind(plugin_type):
    """The README's word for a plugin type: `event_source` -> `event source`, `modules` -> `module`."""
    return plugin_type.replace('_', ' ').lower().rstrip('s')


def _plugins_in(plugin_dir, import_prefix):
    names = set()
    for path in sorted(plugin_dir.glob('*.py')):
        if path.name == '__init__.py':
            continue
        if plugin_dir.name in MULTI_PLUGIN:
            class_name, method = MULTI_PLUGIN[plugin_dir.name]
            module = importlib.import_module('%s.%s.%s' % (import_prefix, plugin_dir.name, path.stem))
            names.update(getattr(getattr(module, class_name)(), method)())
        else:
            names.add(path.stem)
    return names


def collection_content():
    """{kind: {name}} of every plugin and role, from the files."""
    content = {}
    prefix = 'ansible_collections.%s.%s' % (GALAXY['namespace'], GALAXY['name'])
    plugin_dirs = [(path, prefix + '.plugins') for path in (ROOT / 'plugins').iterdir()]
    # Plugins of other tools, e.g. extensions/eda/plugins/event_source/.
    plugin_dirs += [(path, '%s.%s' % (prefix, '.'.join(path.parent.relative_to(ROOT).parts)))
                    for path in (ROOT / 'extensions').glob('*/plugins/*')]
    for path, import_prefix in plugin_dirs:
        if path.is_dir() and path.name not in NOT_PLUGINS and not path.name.startswith(('_', '.')):
            names = _plugins_in(path, import_prefix)
            if names:
                content.setdefault(_kind(path.name), set()).update(names)
    content['role'] = {path.name for path in (ROOT / 'roles').iterdir() if path.is_dir()}
    return content


def readme_content_table():
    """{kind: {name}} of the README's table of content (the one headed `| Content | Name |`)."""
    text = README.read_text()
    table = re.search(r'^\| Content \| Name \|.*\n\|[- |]+\n((?:\|.*\n)+)', text, re.M)
    assert table, 'README.md has no "| Content | Name | ..." table'
    listed = {}
    for row in table.group(1).splitlines():
        kind, names = [cell.strip() for cell in row.strip('|').split('|')][:2]
        for name in re.findall(r'`([^`]+)`', names):
            listed.setdefault(_kind(kind), set()).add(name[len(FQCN) + 1:] if name.startswith(FQCN + '.') else name)
    return listed


def test_the_readme_lists_every_plugin_and_role():
    content, listed = collection_content(), readme_content_table()
    assert {'module', 'lookup', 'filter', 'role'} <= set(content), content
    problems = []
    for kind in sorted(set(content) | set(listed)):
        missing = sorted(content.get(kind, set()) - listed.get(kind, set()))
        stale = sorted(listed.get(kind, set()) - content.get(kind, set()))
        if missing:
            problems.append('the README\'s content table lacks %s(s) %s' % (kind, ', '.join(missing)))
        if stale:
            problems.append('the README\'s content table lists %s(s) %s, which the collection does not have'
                            % (kind, ', '.join(stale)))
    assert not problems, '\n'.join(problems)


def test_the_compliance_guide_describes_every_filter():
    text = (ROOT / 'docs' / 'compliance-role.md').read_text()
    section = re.search(r'^## The filters on their own\n([\s\S]*?)(?=^## |\Z)', text, re.M)
    assert section, 'docs/compliance-role.md has no section "The filters on their own"'
    described = set(re.findall(r'^- `%s\.(\w+)' % re.escape(FQCN), section.group(1), re.M))
    assert described == collection_content()['filter']


def test_the_release_notes_have_a_release_of_the_galaxy_version():
    releases = yaml.safe_load((ROOT / 'changelogs' / 'changelog.yaml').read_text())['releases']
    assert VERSION in releases, ('changelogs/changelog.yaml has no release %s (galaxy.yml\'s version): '
                                 'run `make changelog`' % VERSION)
    assert '<a id="v%s"></a>' % VERSION.replace('.', '-') in (ROOT / 'CHANGELOG.md').read_text(), (
        'CHANGELOG.md has no section for %s: run `make changelog`' % VERSION)


def test_the_version_ranges_the_guides_give_include_the_galaxy_version():
    ranges = [(path.relative_to(ROOT), match.group(1))
              for path in DOCS_FILES
              for match in re.finditer(r'name: %s\n\s*version: *["\']?([^"\'\n]+)' % re.escape(FQCN), path.read_text())]
    assert len(ranges) >= 2, 'expected the README and the execution environment to give a version range'
    assert [(path, spec) for path, spec in ranges if not meets_requirements(VERSION, spec)] == []


def test_no_collection_version_is_written_by_hand():
    # A tarball name or an image tag with a version: it goes stale with the next release.
    by_hand = re.compile(r'%s-%s-\d+\.\d+\.\d+|dialogtech[-\w]*:\d+\.\d+\.\d+' % (GALAXY['namespace'], GALAXY['name']))
    found = ['%s: %s' % (path.relative_to(ROOT), match.group(0))
             for path in DOCS_FILES for match in by_hand.finditer(path.read_text())]
    assert found == []


def _matrix():
    """[(ansible-core release, [Python])] of requirements/matrix.txt, oldest first."""
    lines = [line.split('#')[0].split() for line in (ROOT / 'requirements' / 'matrix.txt').read_text().splitlines()]
    return [(words[0], words[1:]) for words in lines if words]


def test_the_example_execution_environment_installs_a_supported_ansible_core():
    definition = yaml.safe_load((ROOT / 'docs' / 'execution-environment.yml').read_text())['dependencies']
    requirement = definition['ansible_core']['package_pip']
    assert requirement.startswith('ansible-core'), requirement
    spec = SpecifierSet(requirement[len('ansible-core'):])
    major, minor = re.match(r">=(\d+)\.(\d+)", yaml.safe_load((ROOT / 'meta' / 'runtime.yml').read_text())['requires_ansible']).groups()
    matrix = _matrix()
    # From the oldest release meta/runtime.yml claims to the newest that is tested.
    assert [release for release, _pythons in matrix if Version(release) not in spec] == [], requirement
    assert Version('%s.%d.99' % (major, int(minor) - 1)) not in spec, requirement
    python = definition['python_interpreter']['package_system']
    newest_release, newest_pythons = matrix[-1]
    assert python.replace('python', '') in newest_pythons, (
        '%s in the image: pip would install an ansible-core older than %s' % (python, newest_release))


def _ignored_by(pattern_list, path):
    return any(path == entry.strip('/') or path.startswith(entry.rstrip('/') + '/') or fnmatch.fnmatch(path, entry)
               for entry in pattern_list)


def test_what_the_guides_create_in_a_clone_stays_out_of_the_tarball():
    gitignore = (ROOT / '.gitignore').read_text()
    block = re.search(r'^# What following the guides creates.*\n((?:/.*\n)+)', gitignore, re.M)
    assert block, '.gitignore has no block "# What following the guides creates ..."'
    created = [line.strip('/') for line in block.group(1).splitlines()]
    assert 'docs/examples/dialogtech-credentials.vault.yml' in created
    assert [path for path in created if not _ignored_by(GALAXY['build_ignore'], path)] == []
