# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fork while another thread runs fails the test that forked.

The child of ``os.fork()`` gets only the forking thread: a lock another thread held at
that moment stays locked in the child for good.  Python 3.12+ warns about it, but the
warning cannot fail a test: with ``-W error`` Python drops it instead of raising.  So
the threads alive at each fork are recorded here, and the test is failed after it ran.
"""

from __future__ import annotations

import os
import threading

import pytest

_FORKED_WITH = []


def _record_other_threads():
    _FORKED_WITH.extend(thread.name for thread in threading.enumerate() if thread is not threading.main_thread())


os.register_at_fork(before=_record_other_threads)


@pytest.fixture(autouse=True)
def no_fork_beside_a_thread():
    del _FORKED_WITH[:]
    yield
    assert not _FORKED_WITH, 'forked while these threads ran: %s' % ', '.join(sorted(set(_FORKED_WITH)))
