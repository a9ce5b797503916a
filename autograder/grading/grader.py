"""Everything fixed for a grading run: the assignment, its profile, its checks and the judge's state.

The judge's data sets are loaded (and their files checksummed) here, once, before any worker starts.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..checks import CheckSpec, Judge, ReferenceStore, load_checks
from ..config import AssignmentConfig, ConfigError, Course, ProfileConfig
from ..data.registry import preload


@dataclass
class Grader:
    course: Course
    assignment: str
    profile_name: str
    checks: list[CheckSpec]
    judge: Judge = field(default_factory=Judge)
    seed: int | None = None  # overrides the profile's seed (calibration runs several)

    @property
    def config(self) -> AssignmentConfig:
        return self.course.assignment(self.assignment)

    @property
    def profile(self) -> ProfileConfig:
        profile = self.config.profile(self.profile_name)
        return profile if self.seed is None else profile.model_copy(update={"seed": self.seed})

    @property
    def tasks(self) -> list[str]:
        return list(self.config.tasks)

    def points(self, spec: CheckSpec) -> float:
        return self.config.tasks[spec.task].checks[spec.name].points

    def timeout(self, spec: CheckSpec) -> float:
        return self.config.timeout(spec.id, self.profile_name)

    def restrict(self, tasks: list[str]) -> None:
        """Grade only the checks of ``tasks`` (e.g. to regrade one task after fixing its checks)."""
        unknown = sorted(set(tasks) - set(self.config.tasks))
        if unknown:
            raise ConfigError(f"unknown task(s) {unknown}; {self.assignment} has {list(self.config.tasks)}")
        self.checks = [spec for spec in self.checks if spec.task in tasks]

    @property
    def version(self) -> str:
        """Package version plus a digest of the checks and the assignment's settings: if either
        changes, earlier grades are stale and a re-run grades again."""
        digest = hashlib.sha256(json.dumps(self.config.model_dump(mode="json"), sort_keys=True).encode())
        digest.update(f"{self.profile_name}/{self.seed}/{[spec.id for spec in self.checks]}".encode())
        folder = self.course.path(self.config.checks)
        for path in sorted(folder.glob("*.py")):
            digest.update(path.name.encode() + path.read_bytes())
        return f"{__version__}+{digest.hexdigest()[:12]}"


def load_grader(course: Course, assignment: str, profile: str | None = None,
                references: Path | None = None) -> Grader:
    """Load the hidden checks of ``assignment``, check they agree with ``course.yml``, and preload the data.

    Every data set of the profile's ``data:`` section is loaded through the data registry (package files checked
    against their pinned SHA-256, data files against theirs) into ``grader.judge.data``, before any worker starts;
    checks read it with ``ctx.data(name)``.

    Raises:
        ConfigError: unknown profile, checks and ``course.yml`` disagree, or a ``data:`` entry the registry does
            not know or whose settings its loader does not accept.
        DataError: a data file is missing or fails its checksum.
    """
    config = course.assignment(assignment)
    profile_name = profile or config.default_profile
    config.profile(profile_name)  # unknown profile: ConfigError
    checks = load_checks(course.path(config.checks), package=f"autograder_checks_{assignment}")
    declared = {f"{t}.{c}" for t, task in config.tasks.items() for c in task.checks}
    implemented = {spec.id for spec in checks}
    if declared != implemented:
        raise ConfigError(
            f"assignments.{assignment}.tasks and the checks in {config.checks} disagree: "
            f"in course.yml only {sorted(declared - implemented)}, in code only {sorted(implemented - declared)}"
        )
    order = {f"{t}.{c}": i for i, (t, c) in enumerate((t, c) for t, task in config.tasks.items() for c in task.checks)}
    checks.sort(key=lambda spec: order[spec.id])  # course.yml order: task by task
    try:
        data = preload(config.profile(profile_name).data)
    except ValueError as exc:
        raise ConfigError(f"course.yml: assignments.{assignment}.profiles.{profile_name}.data: {exc}") from None
    store = ReferenceStore.load(references) if references else ReferenceStore()
    judge = Judge(references=store, data=data)
    return Grader(course, assignment, profile_name, checks, judge)
