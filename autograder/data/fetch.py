"""Find a course data file: in a local folder, or downloaded once and cached.

There are two ways the project gets its data, and every loader goes through :func:`fetch` so both behave
the same:

* **Offline folder.** When the environment variable ``AUTOGRADER_DATA`` is set, it names a folder laid out
  like the download (``MNIST/raw/...``, ``temperature/OHCLEVEL.txt``, ...). Files are read from there and
  nothing is downloaded. Each file's SHA-256 is checked against the value embedded in the code, so a
  truncated or edited file is refused loudly instead of silently producing different numbers.
* **Download.** Otherwise the file is downloaded with `pooch <https://www.fatiando.org/pooch/>`_ into a cache
  folder (``$AUTOGRADER_CACHE`` if set, else the per-user cache ``pooch.os_cache("autograder")``). Pooch
  checks the same SHA-256 after downloading and re-uses the cached copy next time.

Why checksums? A grader compares a student's numbers with reference numbers; both must come from exactly the
same bytes. A hash is a cheap, exact way to know that.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import DataError

__all__ = ["DATA_ENV", "CACHE_ENV", "DataFile", "data_dir", "cache_dir", "fetch", "name_forms", "sha256_of"]

#: Compressed forms a data file may also be found (or leak) under.
COMPRESSED_SUFFIXES: tuple[str, ...] = (".gz",)

#: Environment variable naming an offline data folder (read-only use; nothing is written there).
DATA_ENV = "AUTOGRADER_DATA"
#: Environment variable naming the download cache folder.
CACHE_ENV = "AUTOGRADER_CACHE"


def data_dir() -> Path | None:
    """Return the offline data folder named by ``$AUTOGRADER_DATA``, or ``None`` when it is not set.

    A relative value is taken relative to the current working directory (CI runs from the repository root with
    ``AUTOGRADER_DATA=../shared/data``). An empty value counts as "not set".

    Raises:
        DataError: the variable is set but does not name an existing directory.
    """
    value = os.environ.get(DATA_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser().resolve()
    if not path.is_dir():
        raise DataError(
            f"{DATA_ENV} is set to {value!r} ({path}), which is not a directory. "
            f"Point it at the offline data folder, or unset it to download the data instead."
        )
    return path


def cache_dir() -> Path:
    """Return the download cache folder: ``$AUTOGRADER_CACHE`` if set, else ``pooch.os_cache("autograder")``.

    The folder is not created here; pooch (or torchvision) creates it when it first writes a file.
    """
    value = os.environ.get(CACHE_ENV, "").strip()
    if value:
        return Path(value).expanduser().resolve()
    import pooch

    return Path(pooch.os_cache("autograder"))


def sha256_of(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file's bytes as 64 lowercase hex digits (what ``sha256sum`` prints)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_relpath(relpath: str) -> PurePosixPath:
    rel = PurePosixPath(relpath)
    if not relpath or rel.is_absolute() or ".." in rel.parts:
        raise ValueError(f"relpath must be a relative path inside the data folder, got {relpath!r}")
    return rel


def fetch(relpath: str, *, sha256: str, url: str | None) -> Path:
    """Return a local path to the verified data file ``relpath`` (for example ``"temperature/OHCLEVEL.txt"``).

    Args:
        relpath: where the file lives inside the data folder, with ``/`` separators.
        sha256: the expected SHA-256 of the file (64 hex digits).
        url: where to download it from when no offline folder is configured; ``None`` if there is no public
            download for this file.

    Returns:
        ``$AUTOGRADER_DATA/relpath`` when the offline folder is set (after checking the hash), otherwise the
        cached download ``<cache>/relpath``.

    Raises:
        DataError: the file is missing from the offline folder, its hash does not match, there is no URL to
            download it from, or the download failed (including a hash mismatch detected by pooch).
    """
    rel = _check_relpath(relpath)
    expected = sha256.strip().lower()
    local_root = data_dir()

    if local_root is not None:
        path = local_root.joinpath(*rel.parts)
        if not path.is_file():
            how = (
                f"unset {DATA_ENV} so the file is downloaded from {url} (checksum verified), or copy it there"
                if url is not None
                else "copy the file there (it has no public download address)"
            )
            raise DataError(
                f"Data file {relpath!r} not found: looked for {path} because {DATA_ENV}={local_root}. To fix: {how}."
            )
        actual = sha256_of(path)
        if actual != expected:
            raise DataError(
                f"Checksum mismatch for data file {relpath!r} at {path}: expected sha256 {expected}, "
                f"got {actual}. The file is corrupted or a different version; replace it with the original "
                f"(or unset {DATA_ENV} to download a verified copy)."
            )
        return path

    if url is None:
        raise DataError(
            f"Data file {relpath!r} has no download address and {DATA_ENV} is not set. Set {DATA_ENV} to a "
            f"folder that contains {relpath}."
        )

    import pooch

    target = cache_dir().joinpath(*rel.parts[:-1])
    try:
        downloaded = pooch.retrieve(
            url,
            known_hash=f"sha256:{expected}",
            fname=rel.name,
            path=target,
            progressbar=False,
        )
    except (OSError, ValueError) as exc:  # network errors are OSErrors; pooch reports a hash mismatch as ValueError
        raise DataError(
            f"Could not download data file {relpath!r} from {url} into {target}: {exc}. Check the internet "
            f"connection, or set {DATA_ENV} to an offline data folder that contains {relpath}."
        ) from exc
    return Path(downloaded)


def name_forms(name: str) -> frozenset[str]:
    """The lower-case base name of ``name`` and its compressed or uncompressed forms (``x.gz`` <-> ``x``)."""
    base = PurePosixPath(name).name.lower()
    forms = {base}
    for suffix in COMPRESSED_SUFFIXES:
        forms.add(base[: -len(suffix)] if base.endswith(suffix) else base + suffix)
    return frozenset(forms)


@dataclass(frozen=True)
class DataFile:
    """One file a data set reads from ``$AUTOGRADER_DATA`` or downloads into the cache: the one table of its facts.

    Each loader module keeps a tuple of these (``FILES``) and reads its files through :meth:`fetch`; the data
    registry (:mod:`autograder.data.registry`) points its entry at the same tuple, so the path, checksum and address
    of a file are written down once.

    Attributes:
        relpath: where the file lies inside the data folder (and the cache), ``/`` separators.
        sha256: its pinned SHA-256; ``None`` for a file that another tool downloads and verifies (then ``md5``).
        url: its public download address; ``None`` when there is none.
        held_out: it holds held-out answers (test labels, test-period values): it must never reach a student zip
            or a worker.
        md5: the MD5 that a third-party downloader checks (torchvision's MNIST files), when there is no SHA-256.
    """

    relpath: str
    sha256: str | None
    url: str | None
    held_out: bool = False
    md5: str | None = None

    def __post_init__(self) -> None:
        _check_relpath(self.relpath)
        if self.sha256 is None and self.md5 is None:
            raise ValueError(f"{self.relpath}: give a sha256 (or the md5 its downloader checks)")

    @property
    def name(self) -> str:
        """The file's base name (``"OHCLEVEL.txt"``)."""
        return PurePosixPath(self.relpath).name

    def names(self) -> frozenset[str]:
        """Lower-case base names this file may appear under: as is, and compressed or uncompressed."""
        return name_forms(self.name)

    def fetch(self) -> Path:
        """The verified local copy (:func:`fetch`); only for files with a pinned SHA-256."""
        if self.sha256 is None:
            raise DataError(f"data file {self.relpath!r} has no pinned sha256; it is fetched by its own downloader")
        return fetch(self.relpath, sha256=self.sha256, url=self.url)
