"""``report.html``: one self-contained static page for the course staff, rendered from ``summary.json``.

No JavaScript, no network, no external file: the score histogram is drawn with matplotlib (its Agg canvas on a
:class:`matplotlib.figure.Figure`, so pyplot's global state is never touched) and embedded as a base64 PNG data
URI; the rest is tables. Every string that may come from a student (ids, messages, flags) and every other string
is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

from .atomic import write_atomic
from .html import escape, page, table
from .outcome import CAUSE_LABEL, Cause, SubmissionStatus

__all__ = ["REPORT", "histogram_png", "render_report", "write_report"]

REPORT = "report.html"


def histogram_png(summary: dict[str, Any]) -> bytes:
    """The histogram of total scores as PNG bytes (matplotlib's Agg backend, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    histogram = summary["scores"]["histogram"]
    edges, counts = histogram["edges"], histogram["counts"]
    figure = Figure(figsize=(6, 3), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    widths = [b - a for a, b in zip(edges[:-1], edges[1:], strict=True)]
    axes.bar(edges[:-1], counts, width=widths, align="edge", color="#4c72b0", edgecolor="white")
    axes.set_xlabel(f"total score (out of {summary.get('max_score', 0):g})")
    axes.set_ylabel("submissions")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(f"{summary.get('assignment', '')}: {summary.get('submissions', 0)} submissions")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _num(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:g}"
    return escape(value)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _cause_label(cause: str | None) -> str:
    """The label of a summary's cause (a value this version does not know is shown as it is)."""
    return CAUSE_LABEL[Cause(cause)] if cause in set(Cause) else (cause or "")


def render_report(summary: dict[str, Any]) -> str:
    """The whole page as a string (UTF-8 HTML5), from a :func:`~autograder.results.summary.build_summary` dict."""
    s = summary
    scores = s["scores"]
    png = base64.b64encode(histogram_png(s)).decode("ascii")
    title = f"{s.get('assignment', '')} ({s.get('profile', '')} profile): batch report"
    isolation = s.get("isolation", "")
    strong = '<strong class="warn">' if isolation == "none" else "<strong>"
    parts = [
        f"<h1>{escape(title)}</h1>",
        f"<p>{s.get('submissions', 0)} submissions, {s.get('graded', 0)} graded, {len(s.get('invalid', []))} "
        f"could not be graded. Isolation level: {strong}{escape(isolation)}</strong> "
        f"({escape(', '.join(f'{k}: {v}' for k, v in s.get('isolation_levels', {}).items()))}).</p>",
        "<h2>Scores</h2>",
        table(["mean", "median", "min", "max", "out of"],
               [[_num(scores["mean"]), _num(scores["median"]), _num(scores["min"]), _num(scores["max"]),
                 _num(s.get("max_score"))]], numeric={0, 1, 2, 3, 4}),
        f'<p><img alt="histogram of total scores" src="data:image/png;base64,{png}"></p>',
        "<h2>Tasks</h2>",
        table(["task", "mean points", "out of", "passed every check"],
               [[escape(name), _num(t["mean"]), _num(t["max_score"]), _pct(t["pass_rate"])]
                for name, t in s.get("tasks", {}).items()], numeric={1, 2, 3}),
        "<h2>Checks</h2>",
        table(["check", "title", "points", "pass rate", "statuses", "mean s", "max s"],
               [[escape(cid), escape(c["title"]), _num(c["max_score"]), _pct(c["pass_rate"]),
                 escape(", ".join(f"{k} {v}" for k, v in sorted(c["statuses"].items()))), _num(c["seconds_mean"]),
                 _num(c["seconds_max"])] for cid, c in s.get("checks", {}).items()], numeric={2, 3, 5, 6}),
        "<h2>Failures by kind</h2>",
        table(["cause", "checks", "submissions"],
               [[escape(f.get("label", kind.replace("_", " "))), str(f["checks"]), str(f["submissions"])]
                for kind, f in s.get("failures", {}).items()], numeric={1, 2}),
        "<h2>Grader errors</h2>",
        "<p>Bugs on the grader's side, not the students' fault.</p>" if s.get("grader_errors") else "",
        table(["submission", "check", "message"],
               [[escape(g["id"]), escape(g["check"] or "(whole submission)"), f"<pre>{escape(g['message'])}</pre>"]
                for g in s.get("grader_errors", [])]),
        "<h2>Slowest submissions</h2>",
        table(["submission", "seconds", "score"],
               [[escape(x["id"]), _num(x["seconds"], 1), _num(x["score"])] for x in s.get("slowest", [])],
               numeric={1, 2}),
        "<h2>Submissions that could not be graded</h2>",
        table(["submission", "status", "cause", "why"],
              [[escape(x["id"]), escape(x.get("status", SubmissionStatus.INVALID)),
                escape(_cause_label(x.get("cause"))), escape(x["message"])] for x in s.get("invalid", [])]),
        "<h2>Flagged for a person to look at</h2>",
        table(["submission", "flags"],
              [[escape(x["id"]), escape("; ".join(x["flags"]))] for x in s.get("flagged", [])]),
    ]
    return page(title, parts)


def write_report(out: Path, summary: dict[str, Any]) -> Path:
    """Write :func:`render_report` of ``summary`` to ``out/report.html`` atomically; returns the path."""
    path = Path(out) / REPORT
    write_atomic(path, render_report(summary))
    return path
