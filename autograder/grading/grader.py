"""Everything fixed for a grading run: the assignment, its profile, its checks and the judge's state.

The judge's data sets are loaded (and their files checksummed) here, once, before any worker starts: only those
the selected tasks declare (``tasks.<t>.data`` in ``course.yml``), so grading or calibrating some tasks needs only
their data. The checks' declared parameters and thresholds are compared with every profile of ``course.yml`` here
too, so a misspelt key is an error naming it before anything is graded.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .. import __version__
from ..checks import CheckSpec, load_checks
from ..checks.context import Judge, ReferenceStore
from ..config import AssignmentConfig, ConfigError, Course, ProfileConfig
from ..data.registry import preload
from ..requirements import import_names
from .reference_cache import ReferenceCache, open_reference_cache


@dataclass
class Grader:
    course: Course
    assignment: str
    profile_name: str
    checks: list[CheckSpec]
    judge: Judge = field(default_factory=Judge)
    seed: int | None = None  # overrides the profile's seed (calibration runs several)
    reference_cache: ReferenceCache | None = None  # where this run's reference figures are kept for later runs
    _saved_references: int = field(default=0, init=False, repr=False)  # judge.references.computed when saved

    @property
    def config(self) -> AssignmentConfig:
        return self.course.assignment(self.assignment)

    @property
    def profile(self) -> ProfileConfig:
        profile = self.config.profile(self.profile_name)
        return profile if self.seed is None else profile.model_copy(update={"seed": self.seed})

    @cached_property
    def libraries(self) -> frozenset[str]:
        """Top-level modules of the assignment's ``requirements`` installed here: the libraries a worker may import
        ahead of the student's first call (trusted code the course chose, not the student)."""
        return import_names(self.config.requirements)

    @property
    def tasks(self) -> list[str]:
        return list(self.config.tasks)

    def points(self, spec: CheckSpec) -> float:
        return self.config.tasks[spec.task].checks[spec.name].points

    def visibility(self, spec: CheckSpec) -> str:
        """Who sees the check's result (``tasks.<t>.checks.<c>.visibility``, Gradescope's values)."""
        return self.config.tasks[spec.task].checks[spec.name].visibility

    def timeout(self, spec: CheckSpec) -> float:
        return self.config.timeout(spec.id, self.profile_name)

    def file_bytes(self, spec: CheckSpec) -> int:
        return self.config.file_bytes(spec.id)

    def restrict(self, tasks: Sequence[str]) -> None:
        """Grade only the checks of ``tasks`` (e.g. to regrade one task after fixing its checks).

        The data already loaded stays; to load only these tasks' data, give ``tasks`` to :func:`load_grader`.
        """
        unknown = sorted(set(tasks) - set(self.config.tasks))
        if unknown:
            raise ConfigError(f"unknown task(s) {unknown}; {self.assignment} has {list(self.config.tasks)}")
        self.checks = [spec for spec in self.checks if spec.task in tasks]

    @property
    def selected_tasks(self) -> list[str]:
        """The tasks whose checks this grader runs, in course.yml order."""
        chosen = {spec.task for spec in self.checks}
        return [task for task in self.config.tasks if task in chosen]

    def save_references(self) -> None:
        """Keep the reference figures computed so far for later runs of this course and data (its
        :attr:`reference_cache`); nothing to do without one or when nothing new was computed since the last save."""
        computed = self.judge.references.computed
        if self.reference_cache is not None and computed > self._saved_references:
            if self.reference_cache.save(self.judge.references.as_dict()):
                self._saved_references = computed

    @cached_property
    def version(self) -> str:
        """Package version plus a digest of the checks and the assignment's settings: if either
        changes, earlier grades are stale and a re-run grades again. Computed once (the grader's checks and
        settings are loaded once too): a batch reads it for every submission."""
        digest = hashlib.sha256(json.dumps(self.config.model_dump(mode="json"), sort_keys=True).encode())
        digest.update(f"{self.profile_name}/{self.seed}/{[spec.id for spec in self.checks]}".encode())
        folder = self.course.path(self.config.checks)
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode() + path.read_bytes())
        return f"{__version__}+{digest.hexdigest()[:12]}"


def declaration_problems(config: AssignmentConfig, checks: Sequence[CheckSpec], assignment: str,
                         complete: bool = True) -> list[str]:
    """Where ``course.yml``'s params and thresholds and what the checks declare disagree, one ``key: why`` each.

    Every key under ``profiles.<p>.params`` must be read by some check (``@check(params=...)`` or ``defaults``),
    every key under ``profiles.<p>.thresholds`` judged by one (``@check(thresholds=...)``); every needed parameter
    and every threshold of a check must be set in every profile. ``complete=False``: ``checks`` are only some of
    the assignment's, so a key none of them reads is not a problem.
    """
    params = {name: spec.id for spec in checks for name in (*spec.params, *spec.defaults)}
    thresholds = {name: spec.id for spec in checks for name in spec.thresholds}
    problems: list[str] = []
    for pname, profile in config.profiles.items():
        where = f"assignments.{assignment}.profiles.{pname}"
        problems += [f"{where}.params.{key}: no check reads this parameter (declared: {sorted(params)})"
                     for key in profile.params if complete and key not in params]
        problems += [f"{where}.thresholds.{key}: no check judges against this threshold (declared: "
                     f"{sorted(thresholds)})" for key in profile.thresholds if complete and key not in thresholds]
        problems += [f"{where}.params: check {spec.id} needs params.{key}, which is not set"
                     for spec in checks for key in spec.params if key not in profile.params]
        problems += [f"{where}.thresholds: check {spec.id} judges against thresholds.{key}, which is not set"
                     for spec in checks for key in spec.thresholds if key not in profile.thresholds]
    return problems


def load_grader(course: Course, assignment: str, profile: str | None = None,
                references: Path | None = None, tasks: Sequence[str] | None = None, *,
                reference_cache: bool = True) -> Grader:
    """Load the hidden checks of ``assignment``, check they agree with ``course.yml``, and preload the data.

    The data sets the selected ``tasks`` (default: all) declare under ``tasks.<t>.data`` are loaded through the data
    registry with the profile's ``data:`` settings (package files checked against their pinned SHA-256, data files
    against theirs) into ``grader.judge.data``, before any worker starts; checks read them with ``ctx.data(name)``.

    Reference figures come from ``references`` (a ``reference.json``) if given; else from the reference cache of this
    version of the course and its data (:mod:`.reference_cache`; ``reference_cache=False``: none), and what the run
    computes besides is kept there by :meth:`Grader.save_references`.

    Raises:
        ConfigError: unknown profile or task, checks and ``course.yml`` disagree (check names, params, thresholds),
            or a ``data:`` entry the registry does not know or whose settings its loader does not accept.
        DataError: a data file is missing or fails its checksum.
    """
    config = course.assignment(assignment)
    profile_name = profile or config.default_profile
    config.profile(profile_name)  # unknown profile: ConfigError
    # A check module named after a task holds that task's checks: with a task selection, the modules of the other
    # tasks are not imported at all (nor what they import: torch, for the penguins task alone). An unknown task name
    # is refused by Grader.restrict below, before any data is loaded.
    folder = course.path(config.checks)
    skipped = {t for t in config.tasks if tasks and t not in tasks and (folder / f"{t}.py").is_file()}
    checks = load_checks(folder, package=f"autograder_checks_{assignment}", skip=skipped)
    declared = {f"{t}.{c}" for t, task in config.tasks.items() if t not in skipped for c in task.checks}
    implemented = {spec.id for spec in checks}
    if declared != implemented:
        raise ConfigError(
            f"assignments.{assignment}.tasks and the checks in {config.checks} disagree: "
            f"in course.yml only {sorted(declared - implemented)}, in code only {sorted(implemented - declared)}"
        )
    problems = declaration_problems(config, checks, assignment, complete=not skipped)
    if problems:
        raise ConfigError(f"course.yml and the checks in {config.checks} disagree:\n"
                          + "\n".join(f"  - {p}" for p in problems))
    order = {f"{t}.{c}": i for i, (t, c) in enumerate((t, c) for t, task in config.tasks.items() for c in task.checks)}
    checks.sort(key=lambda spec: order[spec.id])  # course.yml order: task by task
    grader = Grader(course, assignment, profile_name, checks)
    if tasks:
        grader.restrict(tasks)
    try:
        data = preload(config.profile(profile_name).data, names=config.data_of(grader.selected_tasks))
    except ValueError as exc:
        raise ConfigError(f"course.yml: assignments.{assignment}.profiles.{profile_name}.data: {exc}") from None
    if references:
        store = ReferenceStore.load(references)
    elif reference_cache:
        grader.reference_cache = open_reference_cache(course, assignment, profile_name,
                                                      config.profile(profile_name).data)
        store = ReferenceStore(grader.reference_cache.load() if grader.reference_cache else None)
    else:
        store = ReferenceStore()
    grader.judge = Judge(references=store, data=data,
                         needs={name: frozenset(task.data) for name, task in config.tasks.items()})
    return grader
