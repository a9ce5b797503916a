"""A size-capped file system for a worker's writable folders, where the grader is root: disk bounded where it lives.

A walk of the worker's folders (the watchdog's) sees only named files, and counts them after they were written.
Mounted on a tmpfs a little over ``Limits.disk_mb`` (and ``max_files`` inodes; ``scratch.disk_cap_bytes``), the
folders cannot hold more, named or not
(``O_TMPFILE``, files written and deleted but kept open): the writes fail with ``ENOSPC``. The mount is the
grader's, made once per worker session (it outlives the session's workers, which keep their files across a
restart) and removed when the session closes.

So that a grader that dies unannounced leaves no mount behind, the ``autograder`` command makes its own mount
namespace, private to it and its children, before anything else (:func:`private_mount_namespace`): its mounts then
vanish with it. Without root (or where the kernel refuses), nothing is mounted and the watchdog's count is the
bound.
"""

from __future__ import annotations

import ctypes
import logging
import os
from pathlib import Path

__all__ = ["mount_tmpfs", "private_mount_namespace", "unmount"]

log = logging.getLogger(__name__)

_CLONE_NEWNS = 0x00020000
_MS_NOSUID, _MS_NODEV, _MS_REC, _MS_PRIVATE = 0x2, 0x4, 0x4000, 0x40000
_MNT_DETACH = 0x2


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def private_mount_namespace() -> bool:
    """Move this process into a mount namespace of its own whose mounts do not propagate to the machine's (root
    only; call it before any thread starts: the namespace is the calling thread's, and threads started later
    inherit it). Whether it did."""
    if os.geteuid() != 0 or len(os.listdir("/proc/self/task")) != 1:  # threads would stay in the machine's
        return False
    libc = _libc()
    if libc.unshare(_CLONE_NEWNS) != 0:
        log.info("no private mount namespace: %s", os.strerror(ctypes.get_errno()))
        return False
    if libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        log.info("the private mount namespace could not be made private: %s", os.strerror(ctypes.get_errno()))
    return True


def mount_tmpfs(path: Path, size_bytes: int, inodes: int, owner: tuple[int, int]) -> bool:
    """Mount a tmpfs of ``size_bytes`` and ``inodes`` on the folder ``path`` (mode 0700, owned by ``owner``); whether
    it could (only root can)."""
    if os.geteuid() != 0:
        return False
    uid, gid = owner
    options = f"size={size_bytes},nr_inodes={inodes},mode=0700,uid={uid},gid={gid}".encode()
    if _libc().mount(b"autograder-scratch", os.fsencode(path), b"tmpfs", _MS_NOSUID | _MS_NODEV, options) != 0:
        log.info("could not mount a tmpfs on %s (%s): the watchdog's count bounds the worker's disk",
                    path, os.strerror(ctypes.get_errno()))
        return False
    return True


def unmount(path: Path) -> None:
    """Unmount what :func:`mount_tmpfs` mounted on ``path`` (lazily: a process still inside it keeps it alive)."""
    if _libc().umount2(os.fsencode(path), _MNT_DETACH) != 0:
        log.warning("could not unmount %s: %s", path, os.strerror(ctypes.get_errno()))
