"""``feedback.html``: the student's report as one self-contained page, with the figures the checks drew.

The header gives the total, then a table with every task and its checks (points and verdict, linking to the check's
section). Each check's section says in plain words what was checked (its title), what happened with the student's
own code (the judge's message: a wrong answer and by how much, a threshold missed, a traceback trimmed to their
frames, a timeout), the notes, the figures (:meth:`~autograder.checks.context.Context.figure`, embedded as PNG data
URIs) and what their code printed. Course-hidden checks are left out (:mod:`.student_view`). No JavaScript, no
network, no external file; every string is escaped.
"""

from __future__ import annotations

from pathlib import Path

from .atomic import write_atomic
from .html import escape, page, table
from .records import CheckResult, RenderedFigure, SubmissionResult
from .student_view import hidden_line, shown_checks, task_maxima, verdict, when_shown

__all__ = ["FEEDBACK_HTML", "check_details", "figure_html", "render_feedback_html", "write_feedback_html"]

FEEDBACK_HTML = "feedback.html"
_STYLE = """.pass{color:#176b2c}.fail{color:#a00}section.check{border-top:1px solid #ddd;margin-top:1.5em}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.9em;color:#555}
.when{font-size:.85em;color:#555}td.task{font-weight:bold;background:#fafafa}"""


def figure_html(plot: RenderedFigure) -> str:
    """One drawn figure as an ``<figure>`` with its title as alt text and its caption."""
    caption = f"<figcaption>{escape(plot.caption)}</figcaption>" if plot.caption else ""
    return f'<figure><img alt="{escape(plot.title)}" src="{plot.data_uri}">{caption}</figure>'


def _verdict(check: CheckResult) -> str:
    css = "pass" if check.passed else "fail"
    return f'<span class="{css}">{escape(verdict(check))}</span>'


def _anchor(check: CheckResult) -> str:
    return "check-" + "".join(ch if ch.isalnum() else "-" for ch in check.id)


def _overview(result: SubmissionResult) -> str:
    """Tasks with their points, each followed by its shown checks."""
    maxima, scores = task_maxima(result), result.task_scores()
    shown = shown_checks(result)
    rows: list[list[str]] = []
    for task, score in scores.items():
        rows.append([f"{escape(task)}", f"{score:g} / {maxima[task]:g}", ""])
        rows += [[f'&nbsp;&nbsp;<a href="#{_anchor(c)}">{escape(c.id)}</a>', f"{c.score:g} / {c.max_score:g}",
                  _verdict(c)] for c in shown if c.task == task]
    return table(["task / check", "points", "result"], rows, numeric={1})


def check_details(check: CheckResult, figures: list[str] | None = None) -> list[str]:
    """What happened in a check, as HTML fragments: the judge's message, the notes, the figures (``figures``: other
    fragments in their place, e.g. a line saying they were left out) and what the student's code printed. Shared by
    ``feedback.html`` and Gradescope's HTML output."""
    parts = [f"<pre>{escape(check.message)}</pre>"] if check.message else []
    if check.notes:
        parts.append("<ul>" + "".join(f"<li>{escape(note)}</li>" for note in check.notes) + "</ul>")
    parts += [figure_html(plot) for plot in check.plots] if figures is None else figures
    if check.output.strip():
        parts.append(f"<details><summary>Output of your code</summary><pre>{escape(check.output.rstrip())}</pre>"
                     "</details>")
    return parts


def _check_section(check: CheckResult) -> str:
    when = f' <span class="when">({escape(when_shown(check))})</span>' if when_shown(check) else ""
    parts = [f'<section class="check" id="{_anchor(check)}">',
             f"<h2>{escape(check.id)}: {check.score:g} / {check.max_score:g}{when}</h2>",
             f"<p><strong>What was checked:</strong> {escape(check.title)}</p>",
             f"<p><strong>What happened:</strong> {_verdict(check)} ({check.seconds:.1f} s)</p>",
             *check_details(check), "</section>"]
    return "\n".join(parts)


def render_feedback_html(result: SubmissionResult) -> str:
    """The whole page (UTF-8 HTML5) for one submission."""
    title = f"{result.assignment}: {result.score:g} / {result.max_score:g} points"
    body = [f"<h1>{escape(title)}</h1>", f"<p>Submission <code>{escape(result.submission_id)}</code>.</p>"]
    if result.message:
        body.append(f'<p class="fail">{escape(result.message)}</p>')
    if result.flags:
        body.append("<p>Flagged for a person to look at (still graded):</p><ul>"
                    + "".join(f"<li>{escape(flag)}</li>" for flag in result.flags) + "</ul>")
    body.append(_overview(result))
    hidden = hidden_line(result)
    if hidden:
        body.append(f"<p>{escape(hidden)}</p>")
    body += [_check_section(c) for c in shown_checks(result)]
    isolation = f", isolation {result.isolation}" if result.isolation else ""
    body.append(f"<p><small>Graded on the {escape(result.profile)} profile ({escape(result.device or 'cpu')}"
                f"{escape(isolation)}) in {result.seconds:.0f} s.</small></p>")
    return page(title, body, _STYLE)


def write_feedback_html(result: SubmissionResult, path: Path) -> None:
    """Write :func:`render_feedback_html` of ``result`` to ``path`` atomically."""
    write_atomic(path, render_feedback_html(result))
