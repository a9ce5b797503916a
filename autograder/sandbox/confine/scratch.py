"""The scratch folder of one worker session: the only place student code may write.

Layout (everything below ``scratch``; existing folders of these names are replaced)::

    scratch/rw/         the worker's writable folders, on a tmpfs of ``disk_cap_bytes`` where the grader is root
                        (:mod:`.mounts`: the file system bounds the disk, unnamed files included):
    scratch/rw/work/        the worker's cwd and first sys.path entry: ONLY <module>.py for each listed module that
                            exists in the submission (regular files; symlinks are not copied). The judge reads the
                            files student code writes here through :meth:`WorkerSession.copy_out`.
    scratch/rw/exchange/    .npy files carrying arrays both ways (cleared whenever a worker stops)
    scratch/rw/home/, scratch/rw/tmp/   HOME and TMPDIR of the worker
    scratch/logs/       worker-<n>.log: stdout+stderr of the n-th worker process (grader-owned, handed over as fds)
    scratch/runtime/    copies of the RUNTIME_FILES: worker.py and the modules it imports (grader-owned, read-only)
    scratch/empty/      an empty grader-owned folder, mounted read-only over hidden folders under bubblewrap
    scratch/judge/      the judge's copies of files the worker wrote (:mod:`..copy_out`): out of every worker's reach

The four below ``rw`` are the worker's (:meth:`Layout.writable`); the rest the grader's.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from .limits import Limits
from .mounts import mount_tmpfs, unmount

__all__ = ["RUNTIME_FILES", "RUNTIME_SOURCE", "Layout", "check_reachable", "clear_folder"]

RUNTIME_FILES = ("worker.py", "codec.py", "wire.py", "exchange.py", "arrays.py", "output.py", "process_setup.py",
                 "seccomp.py")
"""The worker program and the modules it imports (standard library and NumPy only, relative imports only)."""
RUNTIME_SOURCE = Path(__file__).resolve().parent.parent / "runtime"
"""Where the :data:`RUNTIME_FILES` are in the grader's package (``sandbox/runtime/``)."""
_OWN_INODES = 100  # the writable folders themselves, on top of Limits.max_files


@dataclass(frozen=True)
class Layout:
    """The folders of one session below ``root``."""

    root: Path

    @property
    def writable_root(self) -> Path:
        """The folder holding the worker's writable folders (a size-capped tmpfs where the grader is root)."""
        return self.root / "rw"

    @property
    def work(self) -> Path:
        return self.writable_root / "work"

    @property
    def exchange(self) -> Path:
        return self.writable_root / "exchange"

    @property
    def home(self) -> Path:
        return self.writable_root / "home"

    @property
    def tmp(self) -> Path:
        return self.writable_root / "tmp"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def runtime(self) -> Path:
        return self.root / "runtime"

    @property
    def empty(self) -> Path:
        return self.root / "empty"

    @property
    def judge(self) -> Path:
        return self.root / "judge"

    def writable(self) -> tuple[Path, ...]:
        """Folders the worker may write to."""
        return (self.work, self.exchange, self.home, self.tmp)

    def environment(self, gpu: str | None, extra: Mapping[str, str] | None) -> dict[str, str]:
        """The worker's complete environment (nothing is inherited unless listed here)."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "HOME": str(self.home),
            "TMPDIR": str(self.tmp),
            "MPLBACKEND": "Agg",
            "USER": "student",  # getpass.getuser() (torch's caches) must not need a passwd entry in the sandbox
            "LOGNAME": "student",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
        }
        if "OMP_NUM_THREADS" in os.environ:
            env["OMP_NUM_THREADS"] = os.environ["OMP_NUM_THREADS"]
        devices = gpu if gpu is not None else os.environ.get("CUDA_VISIBLE_DEVICES")
        if devices is not None:
            env["CUDA_VISIBLE_DEVICES"] = devices
        for key, value in (extra or {}).items():
            if not isinstance(key, str) or not isinstance(value, str) or not key or "=" in key:
                raise ValueError(f"bad environment entry {key!r}={value!r}")
            env[key] = value
        return env

    def prepare(self, submission: Path, modules: Sequence[str], owner: tuple[int, int] | None, *,
                reach: bool = True, disk: Limits | None = None) -> bool:
        """Create the folders afresh, copy the listed modules and the worker runtime in; whether the writable folders
        are on a tmpfs of their own (then :func:`.mounts.unmount` ``writable_root`` when the session is over).

        ``owner``: ``(uid, gid)`` that gets the writable folders (the worker runs as another user), else ``None``.
        ``reach``: the worker reaches them by their paths on the machine, so ``owner`` must be able to pass through
        every folder above (``False`` under a sandbox that makes those folders for it). ``disk``: with an ``owner``,
        put the writable folders on a tmpfs of ``disk.disk_mb`` and ``disk.max_files`` inodes (root only).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        for folder in (self.writable_root, self.logs, self.runtime, self.empty, self.judge):
            if folder.is_symlink() or folder.is_file():
                folder.unlink()
            elif folder.exists():
                shutil.rmtree(folder)
            folder.mkdir(mode=0o700)
        mounted = owner is not None and disk is not None and mount_tmpfs(
            self.writable_root, disk_cap_bytes(disk), disk.max_files + _OWN_INODES, owner)
        try:
            self._fill(submission, modules, owner, reach=reach, mounted=mounted)
        except BaseException:
            if mounted:
                unmount(self.writable_root)
            raise
        return mounted

    def _fill(self, submission: Path, modules: Sequence[str], owner: tuple[int, int] | None, *, reach: bool,
              mounted: bool) -> None:
        if not mounted:
            self.writable_root.chmod(0o711)  # the worker's user passes through to its folders, and lists nothing else
        for folder in self.writable():
            folder.mkdir(mode=0o700)
        for name in RUNTIME_FILES:
            shutil.copyfile(RUNTIME_SOURCE / name, self.runtime / name)
            (self.runtime / name).chmod(0o644)
        self.runtime.chmod(0o755)
        self.empty.chmod(0o555)
        if owner is not None:
            self.root.chmod(0o711)  # the worker's user passes through to its folders, and lists nothing else
            if reach:
                check_reachable(self.root, *owner)
        self.reset(submission, modules, owner)

    def reset(self, submission: Path, modules: Sequence[str], owner: tuple[int, int] | None) -> None:
        """Empty the writable folders and put the submission's modules back (after a worker filled the disk)."""
        for folder in self.writable():
            clear_folder(folder)
        for name in modules:
            source = submission / f"{name}.py"
            try:
                info = os.lstat(source)
            except FileNotFoundError:
                continue
            if stat.S_ISREG(info.st_mode):  # a symlink could point at solutions or hidden checks: not copied
                shutil.copyfile(source, self.work / source.name)
        if owner is not None:
            for folder in self.writable():
                _chown_tree(folder, *owner)


def disk_cap_bytes(limits: Limits) -> int:
    """The size of the writable folders' tmpfs: ``disk_mb`` and an eighth more (at least 64 MiB), so that the
    watchdog, which stops the worker past ``disk_mb``, says why; the file system refuses anything beyond."""
    megabytes = limits.disk_mb + max(64, limits.disk_mb // 8)
    return megabytes * 2**20


def clear_folder(folder: Path) -> None:
    """Delete everything inside ``folder`` (not following symlinks)."""
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
        except FileNotFoundError:
            pass


def _chown_tree(folder: Path, uid: int, gid: int) -> None:
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), uid, gid, follow_symlinks=False)
    os.chown(folder, uid, gid)


def check_reachable(folder: Path, uid: int, gid: int) -> None:
    """Raise ``PermissionError`` if ``uid`` cannot traverse every ancestor of ``folder`` (a 0700 parent)."""
    for ancestor in [*reversed(folder.parents), folder]:
        info = ancestor.stat()
        mode = info.st_mode
        if info.st_uid == uid:
            ok = bool(mode & stat.S_IXUSR)
        elif info.st_gid == gid:
            ok = bool(mode & stat.S_IXGRP)
        else:
            ok = bool(mode & stat.S_IXOTH)
        if not ok:
            raise PermissionError(f"the worker's user (uid {uid}) cannot reach the scratch folder: {ancestor} is "
                                  f"mode {stat.filemode(mode)}")
