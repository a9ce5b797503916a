"""The course staff's outputs of a batch: summary.json, report.html, canvas.csv, ``autograder diff``.

Batches are planted on disk with the batch's own writer (:func:`autograder.grading.batch.save_result`, signed
records), so no grading runs except one end-to-end ``autograder grade --canvas --json`` on the tiny engine course.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder.grading.batch import save_result
from autograder.results import Cause, CheckResult, Status, SubmissionResult, SubmissionStatus, load_record_key
from autograder.results.canvas import COLUMNS, render_canvas, write_canvas
from autograder.results.diff import diff_batches
from autograder.results.report import render_report
from autograder.results.summary import build_summary, write_summary

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "tests" / "engine_course" / "course.yml"
HOSTILE = "<script>alert(1)</script>"
ON_DISK = "[red]<img src=x onerror=alert(1)>"  # a hostile id that can be a folder name (no "/")
CHECKS = (("t1.a", "t1", 2.0), ("t1.b", "t1", 1.0), ("t2.c", "t2", 1.0))


@pytest.fixture(autouse=True)
def record_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[bytes]:
    """Records here are signed with a throw-away key, never the user's."""
    monkeypatch.setenv("AUTOGRADER_KEY_FILE", str(tmp_path / "key" / "record.key"))
    yield load_record_key()


def submission(sid: str, statuses: tuple[str, str, str], seconds: float = 1.0,
               status: SubmissionStatus = SubmissionStatus.GRADED, cause: Cause | None = None,
               message: str = "", flags: list[str] | None = None) -> SubmissionResult:
    """A record; a check's status alone gives its cause, but ``"missing"`` (an error whose cause is a missing
    module) and the checks of a submission not graded, which take the submission's cause."""
    checks = []
    for (cid, task, points), st in zip(CHECKS, statuses, strict=True):
        check_message = {"error": "ValueError: nope", "grader_error": "KeyError in the check"}.get(st, "")
        check_cause = cause
        if st == "missing":
            st, check_cause, check_message = Status.ERROR, Cause.MISSING_MODULE, "a message in any words"
        checks.append(CheckResult(cid, task, cid, points, points if st == "passed" else 0.0, Status(st),
                                  check_message, seconds=seconds / 3, cause=check_cause))
    return SubmissionResult(sid, "hw", "smoke", checks, seconds=seconds, status=status, message=message,
                            isolation="bwrap", flags=flags or [], cause=cause)


def planted(hostile: str = HOSTILE) -> list[SubmissionResult]:
    """Totals 4, 4, 3, 0, 2, 0, 0; one grader error, one invalid, one that the grader itself failed."""
    return [
        submission("alice", ("passed", "passed", "passed"), seconds=2.0),
        submission("bob", ("passed", "passed", "passed"), seconds=9.0),
        submission("carol", ("passed", "failed", "passed"), seconds=3.0),
        submission(hostile, ("timeout", "crashed", "error"), seconds=30.0, flags=["big literal <b>"]),
        submission("dave", ("passed", "grader_error", "missing"), seconds=1.0),
        submission("empty", ("error", "error", "error"), seconds=0.0, status=SubmissionStatus.INVALID,
                   cause=Cause.MISSING_MODULE, message="nothing to grade here, in any words"),
        submission("oops", ("grader_error",) * 3, seconds=0.0, status=SubmissionStatus.GRADER_ERROR,
                   cause=Cause.GRADER_FAILED, message="the grader fell over, in any words"),
    ]


def write_batch(out: Path, results: list[SubmissionResult], key: bytes) -> Path:
    for result in results:
        save_result(result, out, key)
    return out


def test_summary_figures(tmp_path: Path) -> None:
    s = build_summary(planted(), isolation="bwrap", bins=4)
    assert (s["assignment"], s["profile"], s["isolation"], s["submissions"], s["graded"]) == ("hw", "smoke",
                                                                                            "bwrap", 7, 5)
    assert s["max_score"] == 4.0
    scores = s["scores"]
    assert scores["mean"] == pytest.approx(13 / 7) and scores["median"] == 2.0
    assert (scores["min"], scores["max"]) == (0.0, 4.0)
    assert scores["histogram"] == {"edges": [0.0, 1.0, 2.0, 3.0, 4.0], "counts": [3, 0, 1, 3]}
    assert s["checks"]["t1.a"]["passed"] == 4 and s["checks"]["t1.a"]["pass_rate"] == pytest.approx(4 / 7)
    assert s["checks"]["t1.b"]["statuses"] == {"passed": 2, "failed": 1, "crashed": 1, "grader_error": 2,
                                               "error": 1}
    assert s["tasks"]["t1"]["pass_rate"] == pytest.approx(2 / 7) and s["tasks"]["t1"]["max_score"] == 3.0
    assert s["tasks"]["t2"]["mean"] == pytest.approx(3 / 7)
    assert s["check_seconds"]["max"] == pytest.approx(10.0)  # invalid submissions' checks did not run
    assert [x["id"] for x in s["slowest"]][:2] == [HOSTILE, "bob"]
    f = {cause: (counts["checks"], counts["submissions"]) for cause, counts in s["failures"].items()}
    assert f == {"wrong_answer": (1, 1), "timeout": (1, 1), "crash": (1, 1), "student_error": (1, 1),
                 "missing_module": (4, 2),  # dave's t2.c, and every check of "empty"
                 "check_bug": (1, 1), "grader_failed": (3, 1), "refused_module": (0, 0), "bad_submission": (0, 0),
                 "limit": (0, 0), "budget": (0, 0)}
    assert {(g["id"], g["check"]) for g in s["grader_errors"]} == {("dave", "t1.b"), ("oops", "")}
    assert [x["id"] for x in s["invalid"]] == ["empty", "oops"]
    assert s["flagged"] == [{"id": HOSTILE, "flags": ["big literal <b>"]}]
    path = write_summary(tmp_path, s)
    assert json.loads(path.read_text(encoding="utf-8")) == s


class _Collector(HTMLParser):
    """Checks nesting of the elements that need closing; collects image sources and text."""

    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.images: list[str] = []
        self.tags: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"] or "")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_report_is_self_contained_well_formed_and_escaped(tmp_path: Path) -> None:
    from matplotlib.image import imread

    page = render_report(build_summary(planted(), isolation="bwrap"))
    parser = _Collector()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    assert "script" not in parser.tags and HOSTILE not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert HOSTILE in "".join(parser.text)  # shown to the reader, as text
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", page)  # no network
    [src] = parser.images
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    png = base64.b64decode(src[len(prefix):], validate=True)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    pixels = imread(io.BytesIO(png), format="png")
    assert pixels.ndim == 3 and pixels.var() > 0
    for heading in ("Failures by kind", "Grader errors", "Slowest submissions", "Checks", "Tasks"):
        assert f"<h2>{heading}</h2>" in page
    assert "bwrap" in page


def test_canvas_layout(tmp_path: Path) -> None:
    path = write_canvas(tmp_path, planted(), "Homework 2")
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Homework 2 (4 pts)"]
    assert tuple(rows[0][:5]) == COLUMNS
    assert rows[1] == ["    Points Possible", "", "", "", "", "4"]
    body = {r[3]: r for r in rows[2:]}
    assert len(rows) == 2 + 7 and all(len(r) == 6 for r in rows)
    assert body["alice"] == ["", "", "", "alice", "", "4"]
    assert body["carol"][5] == "3" and body[HOSTILE][5] == "0"
    assert render_canvas([], "Empty", points=10).splitlines()[1].endswith(",10")


def test_diff_finds_exactly_the_planted_changes(tmp_path: Path, record_key: bytes) -> None:
    old = planted(ON_DISK)
    new = [r for r in planted(ON_DISK) if r.submission_id != "alice"]  # alice missing
    carol = next(r for r in new if r.submission_id == "carol")
    carol.checks[1] = CheckResult("t1.b", "t1", "t1.b", 1.0, 1.0, "passed")  # regraded: failed -> passed
    new.append(submission("zoe", ("passed", "failed", "failed")))  # new
    diff = diff_batches(write_batch(tmp_path / "old", old, record_key), write_batch(tmp_path / "new", new, record_key),
                        key=record_key)
    assert [s.id for s in diff.changed] == ["carol"]
    [change] = diff.changed[0].checks
    assert (change.id, change.old_score, change.new_score, change.old_status, change.new_status) == (
        "t1.b", 0.0, 1.0, "failed", "passed")
    assert diff.changed[0].delta == 1.0
    assert diff.new_ids == ["zoe"] and diff.missing_ids == ["alice"]
    assert len(diff.by_state("unchanged")) == 5 and diff.untrusted == []
    data = diff.to_dict()
    assert data["counts"] == {"changed": 1, "unchanged": 5, "new": 1, "missing": 1}
    # an edited record is left out when verifying
    record = tmp_path / "new" / "bob" / "grading.json"
    record.write_text(record.read_text().replace('"seconds": 9.0', '"seconds": 1.0'))
    assert diff_batches(tmp_path / "old", tmp_path / "new", key=record_key).untrusted == ["new/bob"]


def test_diff_cli_json_and_table(tmp_path: Path, record_key: bytes) -> None:
    old = write_batch(tmp_path / "old", planted(ON_DISK), record_key)
    new = write_batch(tmp_path / "new", [submission("alice", ("passed", "failed", "passed"))], record_key)
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "diff", str(old), str(new), "--json"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["counts"] == {"changed": 1, "unchanged": 0, "new": 0, "missing": 6}
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "diff", str(old), str(new)],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env={"COLUMNS": "200", "PATH": ""})
    assert proc.returncode == 0, proc.stderr
    assert "alice" in proc.stdout and "t1.b: 1 (passed) → 0 (failed)" in proc.stdout
    assert ON_DISK in proc.stdout  # printed as plain text, not swallowed as markup


def test_grade_end_to_end_canvas_json(tmp_path: Path) -> None:
    subs = tmp_path / "class"
    good = "def add(a, b):\n    return a + b\n\n\ndef slow():\n    return 'done'\n"
    for name, source in {"good": good, "wrong": good.replace("a + b", "a - b")}.items():
        (subs / name).mkdir(parents=True)
        (subs / name / "calc.py").write_text(source)
    (subs / "empty").mkdir()
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "--course", str(COURSE), "grade", str(subs),
                           "--assignment", "demo", "--out", str(out), "--isolation", "auto", "--canvas", "--json",
                           "--quiet"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary == json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["submissions"] == 3 and summary["isolation"] in ("bwrap", "user", "none")
    assert summary["scores"]["max"] == 4.0 and summary["scores"]["min"] == 0.0
    assert summary["failures"]["wrong_answer"]["checks"] == 2
    assert summary["failures"]["missing_module"]["submissions"] == 1
    assert "grading" not in proc.stderr  # --quiet: no progress
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    rows = list(csv.reader((out / "canvas.csv").open(encoding="utf-8")))
    assert rows[0] == [*COLUMNS, "Demo (4 pts)"]
    assert {r[3]: r[5] for r in rows[2:]} == {"empty": "0", "good": "4", "wrong": "1"}
