# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests of the dialogtech_sms_number action plugin: after a write it drops the
lookup's cached answers, and nothing on that path can lose the module's result."""

from __future__ import annotations

import os

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.plugins.action import ActionBase
from ansible.template import Templar

from ansible_collections.dialogtech.api.plugins.action.dialogtech_sms_number import ActionModule
from ansible_collections.dialogtech.api.plugins.plugin_utils import _run_cache

CHANGES = [{'number': '5550001000', 'action': 'register', 'before': {'sms_enabled': True, 'url': 'https://old.example'},
            'after': {'sms_enabled': True, 'url': 'https://new.example'}}]
WRITTEN = {'changed': True, 'changes': CHANGES, 'numbers': []}


@pytest.fixture
def action(lookup_plugin_loader, mocker, monkeypatch):
    for name in list(os.environ):
        if name.startswith('DIALOGTECH_'):
            monkeypatch.delenv(name)
    # What ActionBase does before and after the module (tmp dirs, async checks) needs a
    # connection; the module's run is the write the test stands for.
    mocker.patch.object(ActionBase, 'run', return_value={})
    plugin = ActionModule(mocker.MagicMock(check_mode=False), mocker.MagicMock(), None, DataLoader(),
                          Templar(loader=DataLoader()), None)
    mocker.patch.object(plugin, '_execute_module', return_value=dict(WRITTEN))
    mocker.patch.object(plugin, '_remove_tmp_path')
    return plugin


def _cache(directory):
    """A lookup answer of this run in ``directory``, as a lookup before the write left it."""
    _run_cache.get_or_fetch({'access_key': 'a'}, lambda material: {'numbers': []}, directory)
    return directory


def _answers(directory):
    return [name for name in os.listdir(directory) if name.endswith('.json')]


@pytest.mark.parametrize('source', ['environment', 'variable'])
def test_an_invalid_value_of_another_lookup_option_does_not_lose_the_write(action, tmp_path, monkeypatch, source):
    """DIALOGTECH_RETRIES=three concerns lookups only: the write's task must not fail on it."""
    directory = _cache(str(tmp_path / 'cache'))
    monkeypatch.setenv('DIALOGTECH_RETRIES', 'three')
    monkeypatch.setenv('DIALOGTECH_TIMEOUT', 'soon')
    task_vars = {'dialogtech_total_timeout': 'later'}
    if source == 'environment':
        monkeypatch.setenv('DIALOGTECH_RUN_CACHE_DIR', directory)
    else:
        task_vars['dialogtech_run_cache_dir'] = directory
    assert action.run(task_vars=task_vars) == WRITTEN
    assert _answers(directory) == []


def test_a_cache_that_cannot_be_invalidated_is_a_warning_beside_the_result(action, tmp_path, monkeypatch):
    directory = _cache(str(tmp_path / 'cache'))
    monkeypatch.setenv('DIALOGTECH_RUN_CACHE_DIR', directory)

    def unwritable(*args, **kwargs):
        raise PermissionError(13, 'Permission denied')
    monkeypatch.setattr(_run_cache.tempfile, 'mkstemp', unwritable)
    result = action.run(task_vars={})
    assert result == dict(WRITTEN, warnings=[
        'dialogtech_sms_number: could not drop the lookup answers cached for this run (cannot invalidate the run '
        'cache in %s: Permission denied); a later dialogtech_sms_numbers lookup in this run may return the account '
        'as it was before this task' % directory])


def test_an_option_that_cannot_be_resolved_is_a_warning_beside_the_result(action, mocker):
    mocker.patch.object(ActionModule, '_lookup_cache_directory', side_effect=KeyError('run_cache_dir'))
    result = action.run(task_vars={})
    assert result['changes'] == CHANGES
    assert result['warnings'][0].startswith("dialogtech_sms_number: could not drop the lookup answers cached for "
                                            "this run ('run_cache_dir')")


@pytest.mark.parametrize('outcome, check_mode, dropped', [
    ({'changed': True}, False, True),
    ({'changed': False, 'failed': True}, False, True),  # it may have written before it failed
    ({'changed': False}, False, False),
    ({'changed': True}, True, False),
])
def test_the_cache_goes_only_when_the_task_may_have_written(action, tmp_path, monkeypatch, outcome, check_mode,
                                                            dropped):
    directory = _cache(str(tmp_path / 'cache'))
    monkeypatch.setenv('DIALOGTECH_RUN_CACHE_DIR', directory)
    action._task.check_mode = check_mode
    action._execute_module.return_value = dict(outcome)
    assert action.run(task_vars={}) == outcome
    assert (_answers(directory) == []) is dropped
