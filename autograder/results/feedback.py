"""``feedback.md``: the student's report, task by task, as plain text (the twin of ``feedback.html``)."""

from __future__ import annotations

from pathlib import Path

from .atomic import write_atomic
from .records import SubmissionResult
from .student_view import check_output, hidden_line, shown_checks, task_maxima, when_shown


def render_feedback(result: SubmissionResult) -> str:
    """The report as Markdown: total, flags for a person to look at, points per task, then every shown check."""
    lines = [f"# {result.assignment}: {result.score:g} / {result.max_score:g} points", ""]
    if result.message:
        lines += [result.message, ""]
    if result.flags:
        lines += ["Flagged for a person to look at (still graded):", "", *(f"- {flag}" for flag in result.flags), ""]
    lines += ["| task | points |", "| --- | --- |"]
    maxima = task_maxima(result)
    for task, score in result.task_scores().items():
        lines.append(f"| {task} | {score:g} / {maxima[task]:g} |")
    hidden = hidden_line(result)
    if hidden:
        lines += ["", hidden]
    for c in shown_checks(result):
        mark = "PASS" if c.passed else "FAIL"
        when = f" ({when_shown(c)})" if when_shown(c) else ""
        lines += ["", f"## {mark} `{c.id}`: {c.title} ({c.score:g} / {c.max_score:g}){when}", "", "```text",
                  check_output(c).replace("```", "'''"), "```"]
        lines += [f"*Figure: {p.title}* (in feedback.html)" for p in c.plots]
    isolation = f", isolation `{result.isolation}`" if result.isolation else ""
    lines += ["", f"Graded on the `{result.profile}` profile ({result.device or 'cpu'}{isolation})"
                  f" in {result.seconds:.0f} s."]
    return "\n".join(lines) + "\n"


def write_feedback(result: SubmissionResult, path: Path) -> None:
    """Write :func:`render_feedback` of ``result`` to ``path`` atomically."""
    write_atomic(path, render_feedback(result))
