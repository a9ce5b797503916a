"""``autograder release ASSIGNMENT [--out dist/] [--profiles smoke]``: build the student zip and the Gradescope bundle.

Order matters: the files of both archives are gathered and every leak check runs *before* the reference
solution is graded (minutes), so a leak or an API mismatch fails in seconds; the archives are written only when
everything passed, deterministically (same inputs, same bytes). See :mod:`.student`, :mod:`.bundle`,
:mod:`.leaks`, :mod:`.references` and :mod:`.deterministic_zip` for each job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Course
from .bundle import bundle_entries, bundle_zip_name
from .deterministic_zip import write_zip
from .errors import ReleaseError
from .leaks import check_bundle, check_leaks, figure_leaks
from .references import compute_references, resolve_profiles
from .student import student_entries, student_zip_name

__all__ = ["Release", "ReleaseError", "build_release"]

Echo = Callable[[str], None]


@dataclass
class Release:
    """What a build produced."""

    student_zip: Path
    bundle_zip: Path
    sizes: dict[str, int]
    entries: dict[str, int]
    profiles: list[str]
    references: dict[str, Any]
    verdicts: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build_release(course: Course, assignment: str, out: Path, *, profiles: str | list[str] | None = None,
                  references: Mapping[str, Any] | None = None, echo: Echo = print) -> Release:
    """Build both archives of ``assignment`` into ``out``; raise :class:`ReleaseError` if anything would leak.

    ``profiles``: the profiles whose reference figures go in ``reference.json`` (comma-separated or a list;
    empty means all). ``references``: figures computed before (the same build twice, tests); when given, the
    solution is not graded again and only the figures of ``profiles`` are kept.
    """
    start = time.monotonic()
    course.assignment(assignment)
    names = resolve_profiles(course, assignment, profiles)
    student = student_entries(course, assignment)
    verdicts = check_leaks(course, assignment, student)
    for line in verdicts:
        echo(f"leak check ok: {line}")
    bundle_name = bundle_zip_name(assignment)
    # The bundle's files apart from reference.json are known now: check them before grading anything.
    check_bundle(course, assignment, {k: v for k, v in bundle_entries(course, assignment, {}).items()
                                      if k != "reference.json"}, bundle_name)

    if references is None:
        figures = compute_references(course, assignment, names, echo=echo)
    else:
        figures = {k: v for k, v in sorted(references.items()) if k.split("/", 1)[0] in names}
        echo(f"using {len(figures)} precomputed reference figure(s) for {', '.join(names)}")
    lacking = [p for p in names if not any(k.startswith(f"{p}/") for k in figures)]
    if lacking and references is not None:
        raise ReleaseError(f"the precomputed reference figures have none for profile(s) {lacking}")

    student_name = student_zip_name(assignment)
    problems = figure_leaks(student, figures, student_name)
    if problems:
        raise ReleaseError(f"the leak checks of {student_name} failed:\n" + "\n".join(f"  - {p}" for p in problems))
    verdicts.append(f"no reference figure written out in {student_name} ({len(figures)} figures searched for)")
    echo(f"leak check ok: {verdicts[-1]}")
    bundle = bundle_entries(course, assignment, figures)
    bundle_verdicts = check_bundle(course, assignment, bundle, bundle_name)
    for line in bundle_verdicts:
        echo(f"leak check ok: {line}")
    verdicts += bundle_verdicts

    out = Path(out)
    student_zip, bundle_zip = out / student_name, out / bundle_name
    sizes = {student_name: write_zip(student_zip, student), bundle_name: write_zip(bundle_zip, bundle)}
    return Release(student_zip, bundle_zip, sizes, {student_name: len(student), bundle_name: len(bundle)},
                   names, figures, verdicts, round(time.monotonic() - start, 1))
