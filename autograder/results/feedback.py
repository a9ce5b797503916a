"""``feedback.md``: the student's report, task by task."""

from __future__ import annotations

from pathlib import Path

from .atomic import write_atomic
from .gradescope import check_output
from .records import SubmissionResult


def render_feedback(result: SubmissionResult) -> str:
    lines = [f"# {result.assignment}: {result.score:g} / {result.max_score:g} points", ""]
    if result.message:
        lines += [result.message, ""]
    lines += ["| task | points |", "| --- | --- |"]
    maxima: dict[str, float] = {}
    for c in result.checks:
        maxima[c.task] = maxima.get(c.task, 0.0) + c.max_score
    for task, score in result.task_scores().items():
        lines.append(f"| {task} | {score:g} / {maxima[task]:g} |")
    for c in result.checks:
        mark = "PASS" if c.passed else "FAIL"
        lines += ["", f"## {mark} `{c.id}`: {c.title} ({c.score:g} / {c.max_score:g})", "", "```text",
                  check_output(c).replace("```", "'''"), "```"]
    lines += ["", f"Graded on the `{result.profile}` profile ({result.device or 'cpu'}) in {result.seconds:.0f} s."]
    return "\n".join(lines) + "\n"


def write_feedback(result: SubmissionResult, path: Path) -> None:
    write_atomic(path, render_feedback(result))
