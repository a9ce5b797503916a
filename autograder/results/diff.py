"""``autograder diff OLD NEW``: after a regrade, who changed, by how much, and which checks caused it.

Both folders are batch outputs (``autograder grade --out``). Each submission's ``<id>/grading.json`` is read
(the full record: every check's id, points and status). For every id present in either batch the diff gives the
old and new totals, the delta and, check by check, old → new points and status where they differ; submissions
only in NEW are ``new``, only in OLD ``missing``. With a record key (``--verify``), records whose MAC does not
verify are left out and listed as ``untrusted``.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .integrity import verify_record
from .records import SubmissionResult

__all__ = ["BatchDiff", "CheckChange", "SubmissionDiff", "diff_batches", "load_batch", "render_diff"]

RECORD = "grading.json"
EPSILON = 1e-9


@dataclass
class CheckChange:
    """One check whose points or status differ (``None``: the check is absent on that side)."""

    id: str
    old_score: float | None
    new_score: float | None
    old_status: str | None
    new_status: str | None


@dataclass
class SubmissionDiff:
    """One submission: ``state`` is ``changed``, ``unchanged``, ``new`` or ``missing``."""

    id: str
    state: str
    old_total: float | None
    new_total: float | None
    checks: list[CheckChange] = field(default_factory=list)

    @property
    def delta(self) -> float:
        return (self.new_total or 0.0) - (self.old_total or 0.0)


@dataclass
class BatchDiff:
    old: str
    new: str
    submissions: list[SubmissionDiff]
    untrusted: list[str] = field(default_factory=list)  # "<side>/<id>": records left out (failed verification)

    def by_state(self, state: str) -> list[SubmissionDiff]:
        return [s for s in self.submissions if s.state == state]

    @property
    def changed(self) -> list[SubmissionDiff]:
        return self.by_state("changed")

    @property
    def new_ids(self) -> list[str]:
        return [s.id for s in self.by_state("new")]

    @property
    def missing_ids(self) -> list[str]:
        return [s.id for s in self.by_state("missing")]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (``delta`` included in each submission)."""
        return {"old": self.old, "new": self.new, "untrusted": self.untrusted,
                "counts": {state: len(self.by_state(state)) for state in ("changed", "unchanged", "new", "missing")},
                "submissions": [{**asdict(s), "delta": round(s.delta, 6)} for s in self.submissions]}


def load_batch(folder: Path, key: bytes | None = None) -> tuple[dict[str, SubmissionResult], list[str]]:
    """The records of a batch folder by id, and the ids left out (unreadable, or failing verification with ``key``)."""
    records: dict[str, SubmissionResult] = {}
    bad: list[str] = []
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"batch folder {folder} does not exist")
    for path in sorted(folder.glob(f"*/{RECORD}")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if key is not None:
                data = verify_record(data, key)
                if data is None:
                    raise ValueError("MAC does not verify")
            data = {k: v for k, v in data.items() if k != "hmac_sha256"}
            record = SubmissionResult.from_dict(data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            bad.append(path.parent.name)
            continue
        records[record.submission_id] = record
    return records, bad


def _check_changes(old: SubmissionResult, new: SubmissionResult) -> list[CheckChange]:
    before = {c.id: c for c in old.checks}
    after = {c.id: c for c in new.checks}
    changes = []
    for check_id in [*before, *(i for i in after if i not in before)]:
        a, b = before.get(check_id), after.get(check_id)
        if a and b and abs(a.score - b.score) < EPSILON and a.status == b.status:
            continue
        changes.append(CheckChange(check_id, a.score if a else None, b.score if b else None,
                                   a.status if a else None, b.status if b else None))
    return changes


def diff_batches(old: Path, new: Path, key: bytes | None = None) -> BatchDiff:
    """Compare two batch folders submission by submission (see the module docstring)."""
    before, bad_old = load_batch(old, key)
    after, bad_new = load_batch(new, key)
    submissions = []
    for sid in sorted(set(before) | set(after)):
        a, b = before.get(sid), after.get(sid)
        if a is None:
            submissions.append(SubmissionDiff(sid, "new", None, b.score if b else None))
        elif b is None:
            submissions.append(SubmissionDiff(sid, "missing", a.score, None))
        else:
            changes = _check_changes(a, b)
            state = "changed" if changes or abs(a.score - b.score) > EPSILON or a.status != b.status else "unchanged"
            submissions.append(SubmissionDiff(sid, state, a.score, b.score, changes))
    return BatchDiff(str(old), str(new), submissions, [f"old/{i}" for i in bad_old] + [f"new/{i}" for i in bad_new])


def _points(score: float | None, status: str | None) -> str:
    return "–" if score is None else f"{score:g} ({status})"


def render_diff(diff: BatchDiff, console: Any) -> None:
    """Print ``diff`` to a :class:`rich.console.Console` as a table of the submissions that differ."""
    from rich.table import Table
    from rich.text import Text  # plain text: ids and folder names are never read as markup

    table = Table(title=Text(f"{diff.old} → {diff.new}"))
    for name, justify in (("submission", "left"), ("state", "left"), ("old", "right"), ("new", "right"),
                          ("delta", "right"), ("checks (old → new)", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for s in diff.submissions:
        if s.state == "unchanged":
            continue
        checks = "\n".join(f"{c.id}: {_points(c.old_score, c.old_status)} → {_points(c.new_score, c.new_status)}"
                           for c in s.checks)
        table.add_row(Text(s.id), s.state, "–" if s.old_total is None else f"{s.old_total:g}",
                      "–" if s.new_total is None else f"{s.new_total:g}", f"{s.delta:+g}", Text(checks),
                      style={"new": "green", "missing": "red"}.get(s.state))
    counts = {state: len(diff.by_state(state)) for state in ("changed", "unchanged", "new", "missing")}
    if any(counts[state] for state in ("changed", "new", "missing")):
        console.print(table)
    console.print(", ".join(f"{n} {state}" for state, n in counts.items()))
    for item in diff.untrusted:
        console.print(f"left out (unreadable or unverified record): {item}", markup=False)
