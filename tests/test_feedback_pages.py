"""What a student is shown: feedback.html with the figures checks draw, and per-check visibility.

One end-to-end ``autograder grade`` of a tiny course (``tests/feedback_course``) whose checks draw a figure, hide
one check (its inputs are distinctive numbers), delay one until the due date and draw one figure that cannot be
drawn. The pages and ``results.json`` must show the figures, honour the visibility, and never hold the hidden
check's inputs, title, notes or the student's output during it; the staff's record keeps them.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from autograder.config import ConfigError, Threshold, parse_course
from autograder.plots import Curve, Images, Lines
from autograder.results import CheckResult, SubmissionResult
from autograder.results.drawing import draw
from autograder.results.feedback_html import render_feedback_html
from autograder.results.gradescope import to_gradescope

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "tests" / "feedback_course" / "course.yml"
SECRETS = ("7919", "104729", "104730", "a hidden check")  # the hidden check's inputs, its answer and its title
RIGHT = "def add(a, b):\n    print('add got', a, b)\n    return a + b\n"


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources.append(dict(attrs).get("src") or "")


def _images(page: str) -> list[bytes]:
    parser = _Images()
    parser.feed(page)
    prefix = "data:image/png;base64,"
    assert all(src.startswith(prefix) for src in parser.sources), "images must be embedded, never fetched"
    return [base64.b64decode(src[len(prefix):]) for src in parser.sources]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("feedback")
    for name, source in {"right": RIGHT, "wrong": RIGHT.replace("a + b", "a - b")}.items():
        (root / "class" / name).mkdir(parents=True)
        (root / "class" / name / "calc.py").write_text(source)
    out = root / "out"
    env = {"AUTOGRADER_KEY_FILE": str(root / "record.key"), "AUTOGRADER_CACHE": str(root / "cache"),
           "PATH": "/usr/bin:/bin", "MPLCONFIGDIR": str(root / "mpl")}
    proc = subprocess.run([sys.executable, "-m", "autograder.cli", "--course", str(COURSE), "grade",
                           str(root / "class"), "--assignment", "fb", "--out", str(out), "--isolation", "auto",
                           "--quiet"], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.mark.parametrize("student", ["right", "wrong"])
def test_pages_never_show_a_hidden_check(graded: Path, student: str) -> None:
    for name in ("feedback.html", "feedback.md", "results.json"):
        text = (graded / student / name).read_text(encoding="utf-8")
        leaked = [s for s in SECRETS if s in text]
        assert not leaked, f"{name} of {student} shows the hidden check's {leaked}"
    record = (graded / student / "grading.json").read_text(encoding="utf-8")
    assert "7919" in record  # the staff's record keeps the hidden check's details


def test_feedback_html_has_scores_sections_and_drawn_figures(graded: Path) -> None:
    page = (graded / "wrong" / "feedback.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "fb: 1 / 7 points" in page  # the total counts the hidden check (add(0, 0) is right)
    assert "1 hidden check worth 3 points is not shown" in page
    assert 'id="check-calc-add"' in page and 'href="#check-calc-add"' in page
    assert "add(x, x) gave [0, 0, 0, 0, 0, 0]" in page  # what happened with the student's own code
    assert "shown on Gradescope after the due date" in page
    assert "add got 0 0" in page  # the student's output during a visible check
    pngs = _images(page)
    assert len(pngs) == 1 and all(png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000 for png in pngs)
    right = (graded / "right" / "feedback.html").read_text(encoding="utf-8")
    assert "fb: 7 / 7 points" in right


def test_results_json_visibility_and_html_output(graded: Path) -> None:
    results = json.loads((graded / "right" / "results.json").read_text(encoding="utf-8"))
    tests = results["tests"]
    assert [t["visibility"] for t in tests] == ["visible", "hidden", "after_due_date", "visible"]
    assert results["score"] == 7
    add, hidden, later, broken = tests
    assert add["output_format"] == "html" and "data:image/png;base64," in add["output"]
    assert hidden["output"] == "Passed" and hidden["output_format"] == "text" and hidden["max_score"] == 3
    assert later["output_format"] == "text" and later["status"] == "passed"
    assert broken["status"] == "passed" and broken["output_format"] == "text"  # the failed drawing changed nothing
    assert "add got" not in hidden["output"]


def test_feedback_md_is_the_plain_text_twin(graded: Path) -> None:
    text = (graded / "wrong" / "feedback.md").read_text(encoding="utf-8")
    assert "1 hidden check worth 3 points is not shown" in text
    assert "*Figure: add(x, x) against x* (in feedback.html)" in text
    assert "(shown on Gradescope after the due date)" in text


def _figure_heavy(checks: int, figures: int) -> SubmissionResult:
    rng = __import__("numpy").random.default_rng(0)
    plots = [draw(Images(f"noise {i}", [rng.random((64, 64, 3))])) for i in range(figures)]
    return SubmissionResult("s", "hw", "smoke", [
        CheckResult(f"t.c{i}", "t", f"check {i}", 1.0, 0.0, "failed", "wrong", plots=list(plots))
        for i in range(checks)])


def test_results_json_stays_within_its_size_budget() -> None:
    result = _figure_heavy(checks=8, figures=3)
    full = json.dumps(to_gradescope(result, max_bytes=10**9), indent=2)
    budget = len(full) // 2
    small = to_gradescope(result, max_bytes=budget)
    assert len(json.dumps(small, indent=2)) <= budget < len(full)
    outputs = [t["output"] for t in small["tests"]]
    assert any("A figure was left out" in o for o in outputs) and any("data:image/png" in o for o in outputs)
    assert all("wrong" in o for o in outputs)  # the text always stays


def test_feedback_html_escapes_student_text() -> None:
    hostile = "<script>alert(1)</script>"
    plot = draw(Lines("curve", [Curve("yours", [0, 1], [1, 0])]))
    result = SubmissionResult(hostile, "hw", "smoke", [
        CheckResult("t.c", "t", "title", 1.0, 0.0, "error", hostile, output=hostile, notes=[hostile], plots=[plot])])
    page = render_feedback_html(result)
    assert "<script" not in page and "&lt;script&gt;" in page
    assert len(_images(page)) == 1


def test_visibility_is_validated() -> None:
    text = COURSE.read_text(encoding="utf-8").replace("visibility: hidden", "visibility: secret")
    with pytest.raises(ConfigError, match="visibility"):
        parse_course(yaml.safe_load(text), COURSE.parent)


def test_a_missed_threshold_says_by_how_much() -> None:
    threshold = Threshold(max=0.075, unit="error rate", reference=[0.05])
    assert threshold.describe(0.09).endswith("(required <= 0.075 error rate: missed by 0.015 error rate)")
    assert threshold.describe(0.06).endswith(": ok)")
