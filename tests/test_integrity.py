"""Authenticated grading records: the key, signing and verification, and what the batch trusts."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from autograder.grading.batch import UntrustedRecord, load_record, save_result
from autograder.results import (
    Cause,
    CheckResult,
    RecordKeyError,
    Status,
    SubmissionResult,
    load_record_key,
    sign_record,
    verify_record,
)
from autograder.results.integrity import MAC_FIELD, default_key_path


def _result(sid: str = "alice", score: float = 1.0) -> SubmissionResult:
    check = CheckResult("calc.add", "calc", "add adds", 2.0, score, Status.PASSED if score else Status.FAILED,
                        "msg")
    return SubmissionResult(sid, "demo", "smoke", [check], seconds=1.5, fingerprint="f" * 64, grader_version="1+abc",
                            isolation="bwrap", flags=["calc.py line 3: a 70 KiB string literal"])


def test_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "config" / "autograder" / "record.key"
    key = load_record_key(path)
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_record_key(path) == key
    assert not list(path.parent.glob("*.tmp")), "no temporary key left behind"


def test_key_path_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADER_KEY_FILE", str(tmp_path / "k"))
    assert default_key_path() == tmp_path / "k"
    monkeypatch.delenv("AUTOGRADER_KEY_FILE")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_key_path() == tmp_path / ".config" / "autograder" / "record.key"


def _load(path: str) -> bytes:
    return load_record_key(Path(path))


def test_graders_starting_together_share_one_key(tmp_path: Path) -> None:
    path = tmp_path / "record.key"
    with multiprocessing.get_context("spawn").Pool(6) as pool:
        keys = pool.map(_load, [str(path)] * 24)
    assert len(set(keys)) == 1 and keys[0] == path.read_bytes()


def test_unsafe_or_damaged_keys_are_refused(tmp_path: Path) -> None:
    loose = tmp_path / "loose.key"
    loose.write_bytes(os.urandom(32))
    loose.chmod(0o644)
    with pytest.raises(RecordKeyError, match=r"mode 0644.*chmod 600"):
        load_record_key(loose)
    short = tmp_path / "short.key"
    short.write_bytes(b"abc")
    short.chmod(0o600)
    with pytest.raises(RecordKeyError, match="holds 3 bytes, expected 32"):
        load_record_key(short)
    link = tmp_path / "link.key"
    link.symlink_to(short)
    with pytest.raises(RecordKeyError, match="symbolic link"):
        load_record_key(link)


def test_sign_and_verify() -> None:
    key, other = os.urandom(32), os.urandom(32)
    record = _result().to_dict()
    signed = sign_record(record, key)
    assert verify_record(json.loads(json.dumps(signed)), key) == record  # survives a round trip through JSON
    assert verify_record(signed, other) is None, "a MAC made with another key does not verify"
    assert verify_record(record, key) is None, "no MAC: not trusted"
    edited = json.loads(json.dumps(signed))
    edited["checks"][0]["score"] = 2.0
    assert verify_record(edited, key) is None
    assert verify_record({**signed, MAC_FIELD: "é" * 64}, key) is None
    assert verify_record(["not", "a", "record"], key) is None


def test_load_record_trusts_only_verified_records_in_their_own_folder(tmp_path: Path) -> None:
    key = os.urandom(32)
    save_result(_result("alice"), tmp_path, key)
    loaded = load_record(tmp_path / "alice", key)
    assert loaded == _result("alice")
    assert load_record(tmp_path / "nobody", key) is None
    with pytest.raises(UntrustedRecord, match="MAC"):
        load_record(tmp_path / "alice", os.urandom(32))
    (tmp_path / "mallory").mkdir()
    (tmp_path / "mallory" / "grading.json").write_text((tmp_path / "alice" / "grading.json").read_text())
    with pytest.raises(UntrustedRecord, match="record of 'alice'"):
        load_record(tmp_path / "mallory", key)
    (tmp_path / "alice" / "grading.json").write_text("{not json")
    with pytest.raises(UntrustedRecord, match="JSON"):
        load_record(tmp_path / "alice", key)


def test_a_signed_record_with_a_status_this_version_does_not_know_is_untrusted_not_a_crash(tmp_path: Path) -> None:
    """A record written by a later version (a new status or cause) is regraded, never a grader crash."""
    key = os.urandom(32)
    record = _result("alice").to_dict()
    record["checks"][0]["status"] = "a_status_from_the_future"
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "grading.json").write_text(json.dumps(sign_record(record, key)))
    with pytest.raises(UntrustedRecord, match="malformed"):
        load_record(tmp_path / "alice", key)


def test_a_record_signed_before_causes_existed_still_verifies_and_loads_with_default_causes(tmp_path: Path) -> None:
    """The MAC covers the record as written: an old one (no ``cause`` anywhere) verifies as it is, and loads with
    each status's default cause (:data:`autograder.results.outcome.DEFAULT_CAUSE`)."""
    key = os.urandom(32)
    record = _result("alice", score=0.0).to_dict()
    del record["cause"]
    for check in record["checks"]:
        del check["cause"]
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "grading.json").write_text(json.dumps(sign_record(record, key)))
    loaded = load_record(tmp_path / "alice", key)
    assert loaded is not None and loaded.cause is None
    assert [(c.status, c.cause) for c in loaded.checks] == [(Status.FAILED, Cause.WRONG_ANSWER)]
    save_result(loaded, tmp_path, key)  # signed again, now with its causes
    assert json.loads((tmp_path / "alice" / "grading.json").read_text())["checks"][0]["cause"] == "wrong_answer"
    assert load_record(tmp_path / "alice", key) == loaded
