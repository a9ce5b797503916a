"""Authenticated ``grading.json``: a re-run only trusts records this grader wrote.

``grading.json`` is the cache a re-run trusts ("unchanged, kept") and the source of ``grades.csv`` rows of
submissions not graded in the run. Each record carries ``"hmac_sha256"``: HMAC-SHA256 (:mod:`hmac`) over a
canonical JSON of the rest of the record (sorted keys, no whitespace, ASCII), keyed with a secret that no worker
can reach:

- the file named by ``$AUTOGRADER_KEY_FILE``, else ``~/.config/autograder/record.key``;
- created on first use with 32 random bytes (:mod:`secrets`), mode 0600: written to a temporary file opened with
  ``O_EXCL`` and published with :func:`os.link`, which fails if the key exists, so two graders starting at once
  end up with the same, complete key;
- refused if anyone but its owner may read or write it.

A record without a MAC, with a wrong one, or edited in any way fails :func:`verify_record` and is never trusted.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import secrets
import stat
import tempfile
from pathlib import Path
from typing import Any

from ..config import ConfigError

__all__ = ["KEY_BYTES", "MAC_FIELD", "RecordKeyError", "default_key_path", "load_record_key", "sign_record",
           "verify_record"]

MAC_FIELD = "hmac_sha256"
KEY_BYTES = 32
_DOMAIN = b"autograder grading.json v1\n"  # a MAC made for anything else never verifies as a record


class RecordKeyError(ConfigError):
    """The record key cannot be read or created, or is unsafe (a setup problem: reported like a bad course.yml)."""


def default_key_path() -> Path:
    """``$AUTOGRADER_KEY_FILE`` if set, else ``~/.config/autograder/record.key``."""
    env = os.environ.get("AUTOGRADER_KEY_FILE")
    return Path(env) if env else Path.home() / ".config" / "autograder" / "record.key"


def load_record_key(path: Path | None = None) -> bytes:
    """The secret that signs records: read from ``path`` (default :func:`default_key_path`), created if missing."""
    path = Path(path) if path is not None else default_key_path()
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    try:
        _create_key(path)
    except FileExistsError:
        pass  # another grader created it first: use theirs
    except OSError as exc:
        raise RecordKeyError(f"cannot create the record key {path}: {exc.strerror or exc}") from None
    try:
        return _read_key(path)
    except FileNotFoundError:
        raise RecordKeyError(f"the record key {path} vanished while it was being created") from None


def _read_key(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno == errno.ENOENT:
            raise FileNotFoundError(path) from None
        if exc.errno == errno.ELOOP:
            raise RecordKeyError(f"the record key {path} is a symbolic link; "
                                 f"point AUTOGRADER_KEY_FILE at the file itself") from None
        raise RecordKeyError(f"cannot read the record key {path}: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise RecordKeyError(f"the record key {path} is not a regular file")
        if info.st_mode & 0o077:
            raise RecordKeyError(f"the record key {path} has mode {stat.S_IMODE(info.st_mode):04o}: others could read "
                                 f"or replace it; run chmod 600 {path}")
        key = handle.read(KEY_BYTES + 1)
    if len(key) != KEY_BYTES:
        raise RecordKeyError(f"the record key {path} holds {len(key)} bytes, expected {KEY_BYTES}; "
                             f"delete it to start afresh (every record is then regraded)")
    return key


def _create_key(path: Path) -> None:
    """Write a fresh key beside ``path`` and link it into place (``FileExistsError`` if one appeared meanwhile)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # O_EXCL, mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(KEY_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
        os.link(tmp, path)  # atomic and exclusive: a complete key or none
    finally:
        os.unlink(tmp)


def _canonical(record: dict[str, Any]) -> bytes:
    body = {k: v for k, v in record.items() if k != MAC_FIELD}
    return _DOMAIN + json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def sign_record(record: dict[str, Any], key: bytes) -> dict[str, Any]:
    """``record`` with its MAC added under ``"hmac_sha256"`` (any earlier MAC replaced)."""
    mac = hmac.new(key, _canonical(record), hashlib.sha256).hexdigest()
    return {**{k: v for k, v in record.items() if k != MAC_FIELD}, MAC_FIELD: mac}


def verify_record(record: Any, key: bytes) -> dict[str, Any] | None:
    """The record without its MAC if the MAC is present and right, else ``None``."""
    if not isinstance(record, dict) or not isinstance(record.get(MAC_FIELD), str):
        return None
    expected = hmac.new(key, _canonical(record), hashlib.sha256).hexdigest().encode("ascii")
    if not hmac.compare_digest(expected, record[MAC_FIELD].encode("utf-8", "surrogatepass")):
        return None
    return {k: v for k, v in record.items() if k != MAC_FIELD}
