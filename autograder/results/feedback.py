"""``feedback.md``: the student's report, task by task."""

from __future__ import annotations

from pathlib import Path

from .atomic import write_atomic
from .gradescope import check_output
from .records import SubmissionResult


def render_feedback(result: SubmissionResult) -> str:
    """The report as Markdown: total, flags for a person to look at, points per task, then every check."""
    lines = [f"# {result.assignment}: {result.score:g} / {result.max_score:g} points", ""]
    if result.message:
        lines += [result.message, ""]
    if result.flags:
        lines += ["Flagged for a person to look at (still graded):", "", *(f"- {flag}" for flag in result.flags), ""]
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
    isolation = f", isolation `{result.isolation}`" if result.isolation else ""
    lines += ["", f"Graded on the `{result.profile}` profile ({result.device or 'cpu'}{isolation})"
                  f" in {result.seconds:.0f} s."]
    return "\n".join(lines) + "\n"


def write_feedback(result: SubmissionResult, path: Path) -> None:
    """Write :func:`render_feedback` of ``result`` to ``path`` atomically."""
    write_atomic(path, render_feedback(result))
