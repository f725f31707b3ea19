# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runs the dialogtech_sms_number module, then, on the controller, drops the answers the
dialogtech_sms_numbers lookup cached for this playbook run, so that a lookup after a
write reads the account afresh.

The module itself cannot: it may run on another host, and even on the controller it is
not a worker process of the run, which is what names the cache's files.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.plugins.loader import lookup_loader
from ansible.utils.display import Display

from ansible_collections.dialogtech.api.plugins.plugin_utils import _compat, _run_cache

display = Display()

LOOKUP = 'dialogtech.api.dialogtech_sms_numbers'


class ActionModule(ActionBase):

    _supports_check_mode = True
    # An async task's outcome is unknown when this plugin returns, so it could not tell
    # whether the cache must go.
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp  # tmp no longer has any effect
        result.update(self._execute_module(task_vars=task_vars))
        self._remove_tmp_path(self._connection._shell.tmpdir)
        # A failed task may have written some numbers before it failed.
        if not self._task.check_mode and (result.get('changed') or result.get('failed')):
            # Whatever goes wrong here, the module's result must reach the user: it tells
            # what was written.
            try:
                directory = self._lookup_cache_directory(task_vars or {})
                removed = _run_cache.invalidate(directory)
            except Exception as exc:
                # get_option turns the option's own error into a bare KeyError.
                result.setdefault('warnings', []).append(
                    'dialogtech_sms_number: could not drop the lookup answers cached for this run (%s); a later '
                    'dialogtech_sms_numbers lookup in this run may return the account as it was before this task'
                    % (exc.__cause__ or exc))
            else:
                display.vvv('dialogtech_sms_number: dropped %d lookup answer(s) cached for this run in %s'
                            % (removed, directory or _run_cache.default_directory()))
        return result

    def _lookup_cache_directory(self, task_vars):
        """The lookup's run_cache_dir as a lookup in this task's context would resolve it
        (variable, environment, ansible.cfg), by the lookup's own option definitions.

        That option alone: resolving them all would fail this task for a bad value of
        another one (DIALOGTECH_RETRIES=three), which only a lookup uses.
        """
        lookup = lookup_loader.get(LOOKUP, loader=self._loader, templar=self._templar)
        return lookup.get_option('run_cache_dir', hostvars=_compat.templated_variables(
            lookup, task_vars, ('dialogtech_run_cache_dir',)))
