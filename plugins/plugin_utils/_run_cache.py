# -*- coding: utf-8 -*-
# Copyright: dialogtech.api contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Share one answer between all the processes of one Ansible run, through files.

Ansible forks a fresh worker process for every host and task, so an in-memory cache
lives for one host only.  The workers of a run are children of one controller process
(``ansible-playbook``, ``ansible``, ``ansible-console``); that process's PID together
with its start time names the run without confusion from PID reuse.  The answer is kept
in a file named by the run and a keyed hash of what it depends on, in a private per-user
directory.  The first process to ask fetches while the others wait on a lock file, so a
run makes one fetch per key however many forks ask at once.

Nothing here starts a thread: the workers are forked, and a fork copies only the thread
that forks, with any lock another thread held locked for good.

Stdlib only, and nothing heavy: this runs in every worker, where a cache hit must cost
less than importing the HTTP client would (benchmarks/RESULTS.md, benchmark 3).
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import multiprocessing
import os
import re
import stat
import tempfile
import time

# Part of every keyed hash: a change of the file format makes new names, never misreads.
FORMAT = 'dialogtech.api run cache 1'
KEY_FILE = 'key'
KEY_BYTES = 32
# Every file of a run (answer, lock, temporary) starts with the run id: PID-STARTTIME-.
_RUN_FILE = re.compile(r'(\d+)-(\d+)-')
# An answer of get_or_fetch: PID-STARTTIME-DIGEST.json (a temporary one has a suffix).
_ANSWER_FILE = re.compile(r'\d+-\d+-[0-9a-f]{64}\.json$')
# The run's current epoch, PID-STARTTIME-epoch: a random token that invalidate() replaces.
_EPOCH_FILE = '%s-epoch'
EPOCH_BYTES = 16
# Pauses between tries of a lock another process holds: short at first, as a fetch from
# a nearby API takes a fraction of a second, then at most LOCK_POLL_MAX, which is what a
# waiting worker may add to the fetch it waits for (a try costs a system call).
LOCK_POLL_FIRST = 0.002
LOCK_POLL_MAX = 0.025


class RunCacheError(Exception):
    """The cache cannot be used (a directory that is not private, a file system error, a
    lock held too long); the caller can still fetch without it."""


def get_or_fetch(material, fetch, directory=None, wait=60.0):
    """Return ``(fetch(material), note)``, fetched once per run for equal ``material``.

    ``material`` is a JSON-serialisable dict of everything the answer depends on
    (secrets included: only its keyed hash is stored).  ``fetch`` returns a
    JSON-serialisable answer; an exception from it propagates and is not stored, so the
    next process to ask calls ``fetch`` itself.  ``note`` says for -vvv output where the
    answer came from; it names a file, never the material.

    While another process of the run fetches the same answer, this one waits for it, at
    most ``wait`` seconds.  Raises RunCacheError, without having called ``fetch``, when
    the cache cannot be used: a directory that is not private to this user, a file
    system error, or a wait that passed ``wait``.

    When the run cannot be identified (no Linux /proc, or a worker whose controller has
    gone), nothing is shared: sharing under a wrong run id would hand one run another's
    answer.
    """
    run = run_id()
    if run is None:
        return fetch(material), 'not shared: cannot identify the Ansible run'
    # Normalised: with a final slash, even lstat() follows a symlink.
    directory = os.path.abspath(directory or default_directory())
    try:
        private_directory(directory)
        # Under the epoch the answer gets a name of its own: one that a fetch which began
        # before the last invalidate() stores is never read.
        path = os.path.join(directory, '%s-%s.json' % (run, _digest(directory, [material, _epoch(directory, run)])))
        answer = _read(path)
        if answer is not None:
            return answer, 'shared answer read from %s' % path
        lock = os.open(path[:-len('.json')] + '.lock', os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except (OSError, ValueError) as exc:
        raise RunCacheError('cannot use the run cache directory %s: %s' % (directory, _reason(exc)))
    try:
        try:
            _lock(lock, wait)
            answer = _read(path)
            if answer is None:
                remove_stale(directory)
        except (OSError, ValueError) as exc:
            raise RunCacheError('cannot use the run cache directory %s: %s' % (directory, _reason(exc)))
        if answer is not None:
            return answer, 'shared answer read from %s after waiting' % path
        answer = fetch(material)
        try:
            _write(path, answer)
        except OSError as exc:
            return answer, 'fetched, but could not share it in %s: %s' % (path, _reason(exc))
        return answer, 'fetched and shared in %s' % path
    finally:
        os.close(lock)


def _lock(handle, wait):
    """Take the lock, or raise RunCacheError once ``wait`` seconds have passed.

    Tried again and again rather than waited on: a blocking flock has no time limit, and
    an alarm signal to break it would clash with Ansible's own, which ends tasks that
    pass their ``timeout``.
    """
    deadline = time.monotonic() + wait
    pause = LOCK_POLL_FIRST
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RunCacheError('waited %g seconds for another worker of the run to fetch the same answer'
                                % wait)
        time.sleep(min(pause, remaining))
        pause = min(pause * 2, LOCK_POLL_MAX)


def invalidate(directory=None):
    """Make this run's stored answers in ``directory`` stale; return how many were deleted.

    For a plugin that has just changed an account: the next ``get_or_fetch`` of the run
    fetches afresh.  A new epoch comes first, so that a fetch still in progress, which
    may have read the account before the change, stores its answer under a name no
    later ``get_or_fetch`` reads.  Then every answer of the run goes, not only the
    changed account's: a file is named by a keyed hash of all the material, and the
    same account reached with other material (another timeout or HTTP method) would
    otherwise keep its stale answer.  Values stored with ``write_shared`` stay.

    A directory that does not exist or is not private holds nothing ``get_or_fetch``
    would read, and is left alone.  Raises RunCacheError when the epoch cannot be
    replaced, as the answers stored may then still be read.
    """
    run = run_id()
    if run is None:
        return 0
    directory = os.path.abspath(directory or default_directory())
    try:
        _check_private(directory)
    except (OSError, RunCacheError):
        return 0
    try:
        _write(os.path.join(directory, _EPOCH_FILE % run), os.urandom(EPOCH_BYTES).hex())
        entries = list(os.scandir(directory))
    except OSError as exc:
        raise RunCacheError('cannot invalidate the run cache in %s: %s' % (directory, _reason(exc)))
    removed = 0
    for entry in entries:
        if _ANSWER_FILE.match(entry.name) and entry.name.startswith(run + '-'):
            try:
                os.unlink(entry.path)
                removed += 1
            except OSError:
                pass  # deleted by another worker first, or stale under the new epoch anyway
    return removed


def _epoch(directory, run):
    return _read(os.path.join(directory, _EPOCH_FILE % run))


def run_id():
    """``PID-STARTTIME`` of the controller process of this run, or None if unknown.

    In a worker that is the parent, which forked it through multiprocessing; anywhere
    else (the controller itself templating, for example) this very process.
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        pid = os.getpid()
    elif parent.pid == os.getppid():
        pid = parent.pid
    else:
        # The controller has exited and the worker was re-parented: the PID may already
        # belong to another process.
        return None
    start = start_time(pid)
    return None if start is None else '%d-%s' % (pid, start)


def start_time(pid):
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22)."""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as stat_file:
            fields = stat_file.read()
    except OSError:
        return None
    # Field 2, the command name, is in parentheses and may itself hold spaces and ')'.
    after_name = fields[fields.rfind(b')') + 2:].split()
    return after_name[19].decode('ascii') if len(after_name) > 19 else None


def default_directory():
    runtime = os.environ.get('XDG_RUNTIME_DIR')
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, 'dialogtech.api')
    return os.path.join(tempfile.gettempdir(), 'dialogtech.api-%d' % os.geteuid())


def private_directory(path):
    """Create ``path`` (absolute, normalised) with mode 0700 if needed; refuse it unless only
    this user can use it.

    A directory in a shared /tmp could have been created by someone else beforehand to
    read the answers or plant false ones, or be a symlink to one of theirs.  The checks
    are those ssh makes of its files: the directory itself is not followed if it is a
    symlink, and every folder above it must be owned by root or this user and writable
    by nobody else, unless sticky (as /tmp is), so that no one can swap it afterwards.
    """
    try:
        os.makedirs(os.path.dirname(path), 0o700, exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass  # checked below, whoever made it
    except OSError as exc:
        raise RunCacheError('cannot create the run cache directory %s: %s' % (path, _reason(exc)))
    _check_private(path)
    return path


def _check_private(path):
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise RunCacheError('refusing the run cache directory %s: it must be a directory (not a symlink) owned by '
                            'uid %d with mode 0700, not owner %d mode %04o; fix it, choose another run_cache_dir '
                            'or set run_cache=false' % (path, os.geteuid(), info.st_uid, stat.S_IMODE(info.st_mode)))
    above = os.path.dirname(path)
    while True:
        info = os.stat(above)
        if (info.st_uid not in (0, os.geteuid())
                or info.st_mode & 0o022 and not info.st_mode & stat.S_ISVTX):
            raise RunCacheError('refusing the run cache directory %s: %s above it is owned by uid %d with mode '
                                '%04o, so another user could replace it; choose another run_cache_dir or set '
                                'run_cache=false' % (path, above, info.st_uid, stat.S_IMODE(info.st_mode)))
        if above == os.path.dirname(above):
            return
        above = os.path.dirname(above)


def read_shared(label):
    """What this run stored under ``label`` with write_shared, or None.

    Never creates anything, so plugins can call it when imported (ansible-doc and the
    sanity tests import them too).  Reads only from the default directory, and only once
    it is private: whoever could write there could change what the reader trusts.
    """
    path = _shared_path(label)
    if path is None:
        return None
    try:
        _check_private(os.path.dirname(path))
        return _read(path)
    except (OSError, RunCacheError):
        return None


def write_shared(label, value):
    """Store a JSON-serialisable value for the rest of the run; a failure only loses speed."""
    path = _shared_path(label)
    if path is None:
        return
    try:
        private_directory(os.path.dirname(path))
        remove_stale(os.path.dirname(path))
        _write(path, value)
    except (OSError, RunCacheError):
        pass


def _shared_path(label):
    run = run_id()
    return None if run is None else os.path.join(default_directory(), '%s-%s.json' % (run, label))


def remove_stale(directory):
    """Delete the files of runs whose controller process is gone."""
    alive = {}
    for entry in os.scandir(directory):
        match = _RUN_FILE.match(entry.name)
        if not match:
            continue
        pid, start = match.groups()
        if pid not in alive:
            alive[pid] = start_time(int(pid))
        if alive[pid] != start:
            try:
                os.unlink(entry.path)
            except FileNotFoundError:
                pass  # another process of a later run cleaned it first


def _digest(directory, material):
    """HMAC-SHA256 of the material under this user's random key.

    A plain hash of the material would let anyone who can read the file names try
    likely secrets offline; without the key, the name tells nothing.  The boot id and
    PID namespace keep runs apart whose PID and start time happen to coincide: those of
    an earlier boot, or of another container sharing the directory.
    """
    scope = [FORMAT, _read_text('/proc/sys/kernel/random/boot_id'), _namespace()]
    message = json.dumps([scope, material], sort_keys=True).encode('utf-8')
    return hmac.new(_key(directory), message, hashlib.sha256).hexdigest()


def _key(directory):
    path = os.path.join(directory, KEY_FILE)
    try:
        with open(path, 'rb', opener=_no_follow) as key_file:
            return key_file.read()
    except FileNotFoundError:
        pass
    # Written in full under a temporary name, then linked into place: a process that
    # loses the race reads the winner's complete key, never a half-written one.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix='key.', suffix='.tmp')
    try:
        with os.fdopen(handle, 'wb') as key_file:
            key_file.write(os.urandom(KEY_BYTES))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
    return _key(directory)


def _read(path):
    try:
        with open(path, encoding='utf-8', opener=_no_follow) as answer_file:
            return json.load(answer_file)
    except FileNotFoundError:
        return None


def _write(path, answer):
    # mkstemp makes the file 0600; os.replace makes it appear complete or not at all.
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=os.path.basename(path) + '.', suffix='.tmp')
    try:
        with os.fdopen(handle, 'w', encoding='utf-8') as answer_file:
            json.dump(answer, answer_file)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _read_text(path):
    try:
        with open(path) as text_file:
            return text_file.read().strip()
    except OSError:
        return ''


def _namespace():
    try:
        return os.stat('/proc/self/ns/pid').st_ino
    except OSError:
        return 0


def _no_follow(path, flags):
    return os.open(path, flags | os.O_NOFOLLOW)


def _reason(exc):
    """An OSError's reason without the path, which the messages name themselves."""
    return getattr(exc, 'strerror', None) or str(exc)
