# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/troubleshooting.md promises every message the collection can fail or warn with.

The messages are collected from the source, not listed here, so a new one (in a new
module, a new file of module_utils, a new task of the role) fails this test until the
guide has it.  A message's fixed wording is what is left between its placeholders
(``%s``, ``{}``, Jinja's ``{{ }}``); each of those pieces must appear in the guide.

Where a message comes from, in plugins/**/*.py and extensions/**/*.py (the event source):

- the first argument of an exception class's call (a name ending in Error, or a class
  of the collection derived from one), of ``raise``, of ``display.warning``, and the
  ``msg`` of ``fail_json``;
- followed through names assigned in the same function and through the return values
  and arguments of the collection's own functions, so that a message built by a helper
  (``_describe_request_error``, ``self._error``) counts as raised where it is used.

And in roles/*/tasks/*.yml, the ``msg`` of ``ansible.builtin.fail`` and the ``fail_msg``
of ``ansible.builtin.assert``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / 'docs' / 'troubleshooting.md'
# printf-style conversions, str.format fields and Jinja expressions: the parts that vary.
_PLACEHOLDER = re.compile(r'%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa%]|\{[^{}]*\}|\{\{.*?\}\}|\{%.*?%\}')
# A piece counts when it has a word in it; "; " or ": " between placeholders says nothing.
_WORD = re.compile(r'[A-Za-z]{2}')


class _Sources(object):
    """The collection's Python files, parsed, with an index of its functions by name."""

    def __init__(self, paths):
        self.trees = {path: ast.parse(path.read_text(), str(path)) for path in paths}
        self.functions = {}
        self.exception_classes = set()
        for tree in self.trees.values():
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions.setdefault(node.name, []).append(node)
        # Classes derived, at any depth, from an exception of any name ending in Error.
        classes = [node for tree in self.trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
        changed = True
        while changed:
            changed = False
            for node in classes:
                if node.name not in self.exception_classes and any(
                        _name(base).endswith(('Error', 'Exception')) or _name(base) in self.exception_classes
                        for base in node.bases):
                    self.exception_classes.add(node.name)
                    changed = True

    def is_exception(self, call):
        name = _name(call.func)
        return name.endswith('Error') or name in self.exception_classes

    def messages(self):
        """(file, line, format string) of every message found."""
        found = {}
        for path, tree in self.trees.items():
            for function, node in _nodes_with_function(tree):
                for expression in self._sites(node):
                    for text in self._texts(expression, function, set()):
                        # A raise of an exception's call is one message, not two.
                        found.setdefault((path, text), node.lineno)
        return [(path.relative_to(ROOT) if ROOT in path.parents else path, line, text)
                for (path, text), line in found.items()]

    def _sites(self, node):
        if isinstance(node, ast.Raise) and node.exc is not None:
            yield node.exc
        elif isinstance(node, ast.Call):
            name = _name(node.func)
            if (self.is_exception(node) or name in ('warning', 'warn')) and node.args:
                yield node.args[0]
            if name == 'fail_json':
                for keyword in node.keywords:
                    if keyword.arg == 'msg':
                        yield keyword.value

    def _texts(self, node, function, seen):
        """The format strings an expression can evaluate to."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.JoinedStr):
            return [''.join(part.value if isinstance(part, ast.Constant) else '{}' for part in node.values)]
        if isinstance(node, ast.BinOp):
            texts = self._texts(node.left, function, seen)
            if isinstance(node.op, ast.Mod):
                arguments = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
                for argument in arguments:
                    texts += self._texts(argument, function, seen)
            else:
                texts += self._texts(node.right, function, seen)
            return texts
        if isinstance(node, ast.IfExp):
            return self._texts(node.body, function, seen) + self._texts(node.orelse, function, seen)
        if isinstance(node, ast.BoolOp):
            return [text for value in node.values for text in self._texts(value, function, seen)]
        if isinstance(node, ast.Name) and function is not None:
            key = (id(function), node.id)
            if key in seen:
                return []
            seen.add(key)
            return [text for value in _assigned(function, node.id) for text in self._texts(value, function, seen)]
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == 'format':
                return self._texts(node.func.value, function, seen)
            if self.is_exception(node):
                return self._texts(node.args[0], function, seen) if node.args else []
            texts = []
            for helper in self.functions.get(_name(node.func), []):
                if ('def', id(helper)) in seen:
                    continue
                seen.add(('def', id(helper)))
                texts += [text for child in ast.walk(helper) if isinstance(child, ast.Return) and child.value is not None
                          for text in self._texts(child.value, helper, seen)]
                texts += [text for argument in node.args for text in self._texts(argument, function, seen)]
            return texts
        return []


def _name(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ''


def _nodes_with_function(tree):
    """Every node with the innermost function around it (None at module level)."""
    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            inner = child if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            yield inner, child
            yield from visit(child, inner)
    return visit(tree, None)


def _assigned(function, name):
    for node in ast.walk(function):
        if isinstance(node, ast.Assign) and any(isinstance(target, ast.Name) and target.id == name
                                                for target in node.targets):
            yield node.value


def role_messages(roles):
    found = []
    for path in sorted(roles.glob('*/tasks/*.yml')):
        for task in yaml.safe_load(path.read_text()) or []:
            for action in ('ansible.builtin.fail', 'ansible.builtin.assert', 'fail', 'assert'):
                arguments = task.get(action)
                if isinstance(arguments, dict):
                    for key in ('msg', 'fail_msg'):
                        if isinstance(arguments.get(key), str):
                            found.append((path.relative_to(ROOT), task.get('name'), arguments[key]))
    return found


def pieces(text):
    """The fixed wording of a message: its parts between placeholders that have words."""
    return [piece.strip() for piece in _PLACEHOLDER.split(text) if _WORD.search(piece)]


def undocumented(messages, guide_text):
    guide = ' '.join(guide_text.split())
    return ['%s:%s: %r' % (where, line, piece)
            for where, line, text in messages for piece in pieces(text)
            if ' '.join(piece.split()) not in guide]


def collect():
    sources = _Sources(sorted((ROOT / 'plugins').rglob('*.py')) + sorted((ROOT / 'extensions').rglob('*.py')))
    return sources.messages() + role_messages(ROOT / 'roles')


def test_every_message_of_the_code_is_in_the_troubleshooting_guide():
    missing = undocumented(collect(), GUIDE.read_text())
    assert not missing, 'docs/troubleshooting.md lacks the wording of:\n' + '\n'.join(missing)


@pytest.mark.parametrize('where, wording', [
    ('plugins/module_utils', 'is required: set'),      # raised directly
    ('plugins/module_utils', 'could not connect to DialogTech API at'),          # returned by a helper
    ('plugins/module_utils', 'ends before the XML document is complete'),        # through a local name
    ('plugins/module_utils', 'is not a 10-digit US phone number'),               # a ValueError
    ('plugins/modules', 'numbers:'),                                             # fail_json(msg=...)
    ('plugins/lookup', 'the account has no SMS number'),                         # AnsibleError and a warning
    ('plugins/plugin_utils', 'expected numbers must be a list, not'),            # ComplianceError
    ('extensions/eda', 'poll %d in a row of %s failed'),                          # logger.warning
    ('extensions/eda', 'is not a state file of dialogtech.api.sms_numbers'),     # DialogTechError
    ('roles', 'is set: list the numbers to check'),  # a fail task's msg
])
def test_the_collector_finds_each_kind_of_message(where, wording):
    assert any(str(path).startswith(where) and wording in text for path, _line, text in collect()), wording


def test_a_message_missing_from_the_guide_is_reported(tmp_path):
    source = tmp_path / 'plugin.py'
    source.write_text('def _describe(x):\n'
                      '    return "the frobnicator %s is jammed" % x\n\n\n'
                      'def run(x):\n'
                      '    raise DialogTechError(_describe(x))\n')
    messages = _Sources([source]).messages()
    assert [text for _path, _line, text in messages] == ['the frobnicator %s is jammed']
    assert undocumented(messages, 'Table: `the frobnicator <name> is\n jammed`') == []
    assert [entry.split(': ', 1)[1] for entry in undocumented(messages, 'the frobnicator X is stuck')] == ["'is jammed'"]
