"""Reference figures are computed once per version of the course and its data, and reused by later runs.

A tiny course whose one check asks the judge for a reference figure (and notes each computation in a file): a
second run of the same course and data computes nothing; a changed course block, check or data fingerprint is
another cache file; a corrupt or untrusted file is ignored with a warning; files are private and written atomically.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import stat
import sys
from pathlib import Path

import pytest

from autograder import cli
from autograder.config import Course, load_course
from autograder.data import registry
from autograder.grading import reference_cache
from autograder.grading.batch import BatchOptions, grade_batch
from autograder.grading.grader import Grader, load_grader
from autograder.grading.reference_cache import ReferenceCache, data_fingerprint, open_reference_cache
from autograder.grading.submissions import Submission, find_modules

ASSIGNMENT = "refcache"  # its own name: the checks module is imported once per process under this name
COURSE_YML = """course: {name: Reference cache tests}
assignments:
  refcache:
    title: Reference cache
    starter: a/starter
    solution: a/solution
    checks: a/checks
    modules: [calc]
    default_profile: smoke
    limits: {memory_mb: 1024, submission_s: 60}
    tasks:
      calc:
        title: Calculator
        module: calc
        checks:
          add: {points: 1, timeout_s: 20}
    profiles:
      smoke: {seed: 0, params: {scale: SCALE}}
      other: {seed: 1, params: {scale: 7}}
"""
CHECKS = '''import os

from autograder.checks import Context, check


@check("calc", "add", "add adds", params=("scale",))
def add(ctx: Context) -> None:
    def compute() -> dict:
        with open(os.environ["REFERENCE_COMPUTES"], "a") as log:
            log.write(ctx.spec.id + "\\n")
        return {"sum": 5, "scale": ctx.param("scale")}

    want = ctx.reference("calc/add", compute)
    ctx.expect(ctx.call("calc.add", 2, 3) == want["sum"], "add(2, 3) should be 5")
'''
SOLUTION = "def add(a, b):\n    return a + b\n"


def make_course(root: Path, scale: int = 1, checks: str = CHECKS) -> Course:
    for folder in ("starter", "solution", "checks"):
        (root / "a" / folder).mkdir(parents=True, exist_ok=True)
    (root / "a" / "starter" / "calc.py").write_text("def add(a, b):\n    raise NotImplementedError\n")
    (root / "a" / "solution" / "calc.py").write_text(SOLUTION)
    (root / "a" / "checks" / "calc.py").write_text(checks)
    (root / "course.yml").write_text(COURSE_YML.replace("SCALE", str(scale)))
    return load_course(root / "course.yml")


@pytest.fixture(autouse=True)
def private_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache, the record key and the computation log of each test in its own temporary folder."""
    monkeypatch.setenv("AUTOGRADER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("AUTOGRADER_KEY_FILE", str(tmp_path / "record.key"))
    monkeypatch.setenv("REFERENCE_COMPUTES", str(tmp_path / "computes.txt"))
    return tmp_path / "computes.txt"


def computations(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def grade_solution(grader: Grader, course: Course, out: Path) -> None:
    folder = course.path(grader.config.solution)
    submission = Submission("solution", folder, find_modules(folder, grader.config.modules))
    [result] = grade_batch(grader, [submission], BatchOptions(out=out, report=False))
    assert result.score == result.max_score, [(c.id, c.status, c.message) for c in result.checks]


def test_a_second_run_of_the_same_course_and_data_reuses_the_reference_figures(tmp_path: Path,
                                                                               private_places: Path) -> None:
    course = make_course(tmp_path / "course")
    first = load_grader(course, ASSIGNMENT)
    assert first.reference_cache is not None
    assert first.reference_cache.path.parent == tmp_path / "cache" / "references"
    assert not first.reference_cache.path.exists()
    grade_solution(first, course, tmp_path / "out1")
    assert computations(private_places) == 1
    saved = json.loads(first.reference_cache.path.read_text())
    assert saved["references"] == {"smoke/seed0/calc/add": {"sum": 5, "scale": 1}}
    assert saved["key"] == first.reference_cache.key and saved["assignment"] == ASSIGNMENT

    second = load_grader(course, ASSIGNMENT)
    assert second.reference_cache == first.reference_cache
    assert second.judge.references.as_dict() == saved["references"]
    grade_solution(second, course, tmp_path / "out2")
    assert computations(private_places) == 1, "the second run computed the reference figure again"

    bypass = load_grader(course, ASSIGNMENT, reference_cache=False)  # grade --no-reference-cache
    assert bypass.reference_cache is None and not bypass.judge.references.as_dict()
    before = first.reference_cache.path.stat().st_mtime_ns
    grade_solution(bypass, course, tmp_path / "out3")
    assert computations(private_places) == 2
    assert first.reference_cache.path.stat().st_mtime_ns == before, "--no-reference-cache wrote the cache"


def test_a_reference_json_takes_the_place_of_the_cache(tmp_path: Path) -> None:
    course = make_course(tmp_path / "course")
    given = tmp_path / "reference.json"
    given.write_text(json.dumps({"smoke/seed0/calc/add": {"sum": 5, "scale": 1}}))
    grader = load_grader(course, ASSIGNMENT, references=given)
    assert grader.reference_cache is None
    assert grader.judge.references.as_dict() == {"smoke/seed0/calc/add": {"sum": 5, "scale": 1}}


def test_the_key_changes_with_the_course_block_the_checks_and_the_data(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def key(course: Course, profile: str = "smoke", data: dict | None = None) -> str:
        cache = open_reference_cache(course, ASSIGNMENT, profile, data or {})
        assert cache is not None
        return cache.key

    base = key(make_course(tmp_path / "base"))
    assert key(make_course(tmp_path / "same")) == base, "the same course elsewhere is the same version"
    assert key(make_course(tmp_path / "scaled", scale=2)) != base, "a changed parameter of the profile"
    assert key(make_course(tmp_path / "base"), profile="other") != base, "another profile"
    changed_check = CHECKS.replace("add(2, 3) should be 5", "add(2, 3) must be 5")
    assert key(make_course(tmp_path / "check", checks=changed_check)) != base, "a changed check"
    make_course(tmp_path / "other")
    (tmp_path / "other" / "course.yml").write_text(COURSE_YML.replace("SCALE", "1").replace("scale: 7", "scale: 8"))
    assert key(load_course(tmp_path / "other" / "course.yml")) == base, "only the profile in use counts"

    penguins = {"penguins": {"test_fraction": 0.3, "seed": 0}}
    course = make_course(tmp_path / "base")
    with_data = key(course, data=penguins)
    assert with_data != base
    assert key(course, data={"penguins": {"test_fraction": 0.25, "seed": 0}}) != with_data, "other data settings"
    fingerprint = data_fingerprint(penguins)
    entries = tuple(dataclasses.replace(e, package_files=tuple(dataclasses.replace(p, sha256="0" * 64)
                                                               if p.is_read else p for p in e.package_files))
                    if e.name == "penguins" else e for e in registry.DATASETS)
    monkeypatch.setattr(registry, "DATASETS", entries)
    assert data_fingerprint(penguins) != fingerprint, "other data files"
    assert key(course, data=penguins) != with_data


def test_a_corrupt_cache_file_is_ignored_with_a_warning_and_computed_again(tmp_path: Path, private_places: Path,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    course = make_course(tmp_path / "course")
    cache = load_grader(course, ASSIGNMENT).reference_cache
    assert cache is not None
    cache.folder.mkdir(mode=0o700, parents=True)
    for text in ("{not json", json.dumps({"format": 1, "key": "another", "references": {}}), "[]", "\xff"):
        cache.path.write_bytes(text.encode("latin-1") if text == "\xff" else text.encode())
        cache.path.chmod(0o600)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger=reference_cache.__name__):
            grader = load_grader(course, ASSIGNMENT)
        assert "ignored" in caplog.text and str(cache.path) in caplog.text
        assert grader.judge.references.as_dict() == {}
    grade_solution(grader, course, tmp_path / "out")
    assert computations(private_places) == 1
    assert json.loads(cache.path.read_text())["references"] == {"smoke/seed0/calc/add": {"sum": 5, "scale": 1}}


def test_files_are_private_and_written_atomically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "cache" / "references"
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    cache = ReferenceCache(folder, "k" * 64, {"assignment": ASSIGNMENT})
    assert cache.save({"smoke/seed0/x": [1, 2]})
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700, "the folder is tightened to 0700"
    assert stat.S_IMODE(cache.path.stat().st_mode) == 0o600
    assert cache.load() == {"smoke/seed0/x": [1, 2]}
    assert cache.save({"smoke/seed0/y": 3}), "a second save adds to the first"
    assert cache.load() == {"smoke/seed0/x": [1, 2], "smoke/seed0/y": 3}

    before = cache.path.read_bytes()

    def no_rename(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("autograder.results.atomic.os.replace", no_rename)
    with caplog.at_level(logging.WARNING, logger=reference_cache.__name__):
        assert not cache.save({"smoke/seed0/z": 4}), "a failed write is a warning, never a crash"
    assert "not saved" in caplog.text
    assert cache.path.read_bytes() == before, "the old file stays whole"
    assert sorted(p.name for p in folder.iterdir()) == [cache.path.name], "no temporary file left behind"


def test_a_file_others_may_write_is_not_trusted(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = ReferenceCache(tmp_path / "references", "k" * 64)
    assert cache.save({"smoke/seed0/x": 1})
    cache.path.chmod(0o666)
    with caplog.at_level(logging.WARNING, logger=reference_cache.__name__):
        assert cache.load() == {}
    assert "others may write it" in caplog.text


def test_no_cache_inside_what_the_sandbox_mounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    course = make_course(tmp_path / "course")
    monkeypatch.setenv("AUTOGRADER_CACHE", str(Path(sys.prefix) / "autograder-cache"))
    with caplog.at_level(logging.WARNING, logger=reference_cache.__name__):
        grader = load_grader(course, ASSIGNMENT)
    assert grader.reference_cache is None
    assert "sandbox shows to student code" in caplog.text
    assert not (Path(sys.prefix) / "autograder-cache").exists()


def test_grade_has_a_no_reference_cache_flag() -> None:
    parser = cli.build_parser()
    assert parser.parse_args(["grade", "subs", "--no-reference-cache"]).no_reference_cache is True
    assert parser.parse_args(["grade", "subs"]).no_reference_cache is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG cache folder is Linux's")
def test_the_default_folder_is_the_per_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AUTOGRADER_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert reference_cache.cache_folder() == tmp_path / "xdg" / "autograder" / "references"
