"""Reference figures kept between runs: computed once per version of the course and its data, then reused.

A hidden check's reference figures (``ctx.reference(key, compute)``: JSON values the judge computes, never student
code) depend only on the assignment's settings, its checks, the data and the code that computes them. The Gradescope
bundle carries them in ``reference.json``; local runs (``grade``, ``validate``, a release) keep them here, one file per
version of all that::

    <cache>/references/<key>.json    <cache>: $AUTOGRADER_CACHE, else the per-user cache (~/.cache/autograder)

``key`` is the SHA-256 of what the figures depend on:

* the course: the assignment's block of ``course.yml`` with only the profile in use (its name too), and the bytes of
  every ``*.py`` of the checks folder and of the solution's modules;
* the data: the pinned checksums (SHA-256, or the MD5 its downloader checks) of every file the profile's data sets
  read, package files included; the loaders verify each file against them as they read it, so they stand for the
  bytes;
* the code: the engine's own sources, the Python version and the installed distributions (the ``*.dist-info``
  names on ``sys.path``, so an upgraded scikit-learn computes afresh).

:func:`open_reference_cache` is called by :func:`~autograder.grading.grader.load_grader` (unless a ``reference.json`` is
given, or ``grade --no-reference-cache``) and :meth:`~autograder.grading.grader.Grader.save_references` writes the
file back when the run computed new figures.

Who can read it: the folder is made 0700 and each file is written atomically, 0600, so a worker running as another
user (the ``user`` level) cannot read it, and ``bwrap`` does not mount it (a cache folder inside what the sandbox
mounts, the Python installation or the system folders, disables the cache with a warning). A file that cannot be
read, is not valid, is another user's or is writable by others is ignored with a warning and the figures are
computed again: the cache never stops a run.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import stat
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..config import Course
from ..results.atomic import write_atomic

__all__ = ["FOLDER", "ReferenceCache", "cache_folder", "code_fingerprint", "course_fingerprint", "data_fingerprint",
           "open_reference_cache"]

log = logging.getLogger(__name__)
FORMAT = 1
FOLDER = "references"
_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
"""System folders a sandbox may mount read-only (with the Python installation, see :func:`_exposed`)."""


def cache_folder() -> Path:
    """``<cache>/references``: ``$AUTOGRADER_CACHE`` or the per-user cache folder (that of the data downloads)."""
    from ..data.fetch import CACHE_ENV, cache_dir

    if os.environ.get(CACHE_ENV, "").strip():
        return cache_dir() / FOLDER
    from platformdirs import user_cache_dir  # what cache_dir's pooch.os_cache is, without importing pooch and requests

    return Path(user_cache_dir("autograder")) / FOLDER


def _digest_files(digest: Any, paths: Iterable[Path], root: Path) -> None:
    for path in paths:
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode() + data)


def course_fingerprint(course: Course, assignment: str, profile: str) -> str:
    """SHA-256 of the assignment's block (only ``profile`` of its profiles), its checks' and its solution's sources."""
    config = course.assignment(assignment)
    block = config.model_dump(mode="json")
    block["profiles"] = {profile: block["profiles"][profile]}
    digest = hashlib.sha256(json.dumps([assignment, profile, block], sort_keys=True).encode())
    checks = course.path(config.checks)
    _digest_files(digest, sorted(checks.rglob("*.py")), checks)
    solution = course.path(config.solution)
    _digest_files(digest, [path for m in sorted(config.modules) if (path := solution / f"{m}.py").is_file()], solution)
    return digest.hexdigest()


def data_fingerprint(profile_data: Mapping[str, Mapping[str, Any]]) -> str:
    """SHA-256 of the pinned checksums of every file the data sets of ``profile_data`` read (and their settings)."""
    from ..data.registry import dataset

    table = []
    for name in sorted(profile_data):
        entry = dataset(name)
        table.append({"name": name, "settings": dict(profile_data[name]),
                      "files": [[f.relpath, f.sha256, f.md5] for f in entry.files],
                      "package_files": [[p.package, p.path, p.sha256] for p in entry.package_files if p.is_read]})
    return hashlib.sha256(json.dumps(table, sort_keys=True, default=str).encode()).hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """SHA-256 of the engine's sources, the Python version and the installed distributions (once per process)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(f"{__version__}\0{sys.version}\0".encode())
    _digest_files(digest, sorted(package.rglob("*.py")), package)
    distributions: set[str] = set()
    for entry in sys.path:
        try:
            with os.scandir(entry or ".") as found:
                distributions.update(e.name for e in found if e.name.endswith((".dist-info", ".egg-info")))
        except OSError:  # not a folder (a zip), or gone
            continue
    digest.update("\n".join(sorted(distributions)).encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class ReferenceCache:
    """One version's file of reference figures: ``folder/<key>.json``."""

    folder: Path
    key: str
    about: dict[str, str] = field(default_factory=dict)  # assignment, profile and the fingerprints in the key

    @property
    def path(self) -> Path:
        return self.folder / f"{self.key}.json"

    def load(self) -> dict[str, Any]:
        """The figures saved for this version; ``{}`` when there are none or the file may not be used (warned)."""
        values, problem = self._read()
        if problem:
            log.warning("reference cache %s ignored (%s): the reference figures are computed again", self.path,
                        problem)
        return values

    def save(self, references: Mapping[str, Any]) -> bool:
        """Add ``references`` to the file (atomically, 0600, in a 0700 folder); whether it was written (else warned)."""
        try:
            _private_folder(self.folder)
            values, _ = self._read()  # another run may have added figures meanwhile; a bad file is replaced
            values.update(references)
            text = json.dumps({"format": FORMAT, "key": self.key, **self.about, "references": values},
                              indent=1, sort_keys=True, ensure_ascii=False, allow_nan=False)
            write_atomic(self.path, text + "\n")  # mkstemp's file: 0600
        except (OSError, TypeError, ValueError) as exc:
            log.warning("reference figures not saved to %s: %s", self.path, exc)
            return False
        return True

    def _read(self) -> tuple[dict[str, Any], str | None]:
        try:
            info = self.path.lstat()
        except FileNotFoundError:
            return {}, None
        except OSError as exc:
            return {}, f"cannot read it: {exc}"
        if not stat.S_ISREG(info.st_mode):
            return {}, "not a regular file"
        if info.st_uid != os.getuid():
            return {}, "it belongs to another user"
        if stat.S_IMODE(info.st_mode) & 0o022:
            return {}, "others may write it"
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            return {}, f"not readable JSON: {exc}"
        if (not isinstance(data, dict) or data.get("format") != FORMAT or data.get("key") != self.key
                or not isinstance(data.get("references"), dict)):
            return {}, "not a reference cache of this version"
        return dict(data["references"]), None


def _private_folder(folder: Path) -> None:
    """Make ``folder`` (0700) or check an existing one is ours, tightening its mode to 0700."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid():
        raise OSError(f"{folder} belongs to another user")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)


def _exposed(folder: Path) -> Path | None:
    """The folder a sandbox mounts (the Python installation, a system folder) that holds ``folder``, if any."""
    from ..sandbox.confine.bwrap import python_paths

    where = folder.resolve()
    for root in (*python_paths(), *(Path(p) for p in _SYSTEM)):
        if where == root or root in where.parents:
            return root
    return None


def open_reference_cache(course: Course, assignment: str, profile: str,
                         profile_data: Mapping[str, Mapping[str, Any]]) -> ReferenceCache | None:
    """The cache file of this version of ``assignment`` on ``profile`` (whose data sets are ``profile_data``), or
    ``None`` (with a warning) when the cache folder would be visible to student code or cannot be located."""
    try:
        folder = cache_folder()
    except (OSError, ImportError) as exc:
        log.warning("no reference cache: the cache folder cannot be located (%s)", exc)
        return None
    mounted = _exposed(folder)
    if mounted is not None:
        log.warning("no reference cache: %s is inside %s, which the sandbox shows to student code; set "
                    "AUTOGRADER_CACHE to a folder outside it", folder, mounted)
        return None
    about = {"assignment": assignment, "profile": profile, "course": course_fingerprint(course, assignment, profile),
             "data": data_fingerprint(profile_data), "code": code_fingerprint()}
    key = hashlib.sha256(json.dumps(about, sort_keys=True).encode()).hexdigest()
    return ReferenceCache(folder, key, about)
