"""Load and validate ``course.yml``.

The course file is the single source of truth an instructor edits: which assignments exist, their
tasks and the points of every check, per-call time budgets and the per-submission one, the limits on what a
submission may use and send (memory, output, module and reply sizes), the data profiles (``full`` with the real
data, ``smoke`` small enough for CI) and the thresholds together with the reference figures they were
calibrated from. Everything is validated on load with pydantic, and a bad file gets a
:class:`ConfigError` that names the offending key and the reason.

Beyond the shape of the file, loading checks what the file refers to: every data set a task needs
(``tasks.<t>.data``) is known to the data registry and set in every profile, every profile's data settings fit
the loader's signature, every package of ``requirements`` is pinned in ``constraints.txt`` and the ``bench`` call
names a module of the assignment. (The check parameters and thresholds are compared with what the checks
declare when the checks are loaded: :func:`autograder.grading.grader.load_grader`.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class ConfigError(ValueError):
    """``course.yml`` is missing, unreadable or invalid; the message names the key and the reason."""


class _Strict(BaseModel):
    """Base model: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


Visibility = Literal["visible", "hidden", "after_due_date", "after_published"]
"""Who sees a check's result, in Gradescope's words: ``visible`` (always), ``hidden`` (never: only its points count,
its details stay with the course staff), ``after_due_date``, ``after_published`` (Gradescope shows it then)."""


class CheckConfig(_Strict):
    """Points, the per-call time budget and the visibility of one hidden check."""

    points: float = Field(ge=0)
    timeout_s: float = Field(gt=0, description="budget of every worker call the check makes")
    visibility: Visibility = Field("visible", description="who sees the check's result (Gradescope's values)")
    file_mb: float | None = Field(default=None, gt=0, allow_inf_nan=False,
                                  description="cap on a file the check reads from the worker (its size, and what it "
                                              "unpacks to in the judge's memory), in MiB; default limits.file_mb")


class TaskConfig(_Strict):
    """One task: a student module, the checks that grade it, in order, and the data sets its checks read."""

    title: str
    module: str
    checks: dict[str, CheckConfig]
    data: list[str] = Field(default_factory=list,
                            description="data sets (names in the data registry) the task's checks read with ctx.data")

    @property
    def points(self) -> float:
        return sum(c.points for c in self.checks.values())


class Threshold(_Strict):
    """A pass mark with the figures it was calibrated from.

    Exactly one of ``max`` (the student's figure must be at most this) or ``min`` (at least this).
    ``reference`` holds the reference solution's measurements (one per seed) and ``wrong`` those of a
    typical wrong answer; ``measured_by`` names the script that produced them.
    """

    max: float | None = None
    min: float | None = None
    unit: str = ""
    reference: list[float] = Field(default_factory=list)
    wrong: dict[str, float] = Field(default_factory=dict)
    measured_by: str = ""

    @model_validator(mode="after")
    def _one_bound(self) -> Threshold:
        if (self.max is None) == (self.min is None):
            raise ValueError("give exactly one of 'max' or 'min'")
        return self

    @property
    def bound(self) -> float:
        return self.max if self.max is not None else self.min  # type: ignore[return-value]  # the validator sets one

    def passes(self, value: float) -> bool:
        return value <= self.max if self.max is not None else value >= self.min  # type: ignore[operator]  # validator: one is set

    def describe(self, value: float) -> str:
        op = "<=" if self.max is not None else ">="
        unit = f" {self.unit}" if self.unit else ""
        verdict = "ok" if self.passes(value) else f"missed by {abs(value - self.bound):.3g}{unit}"
        return f"{value:.4g}{unit} (required {op} {self.bound:g}{unit}: {verdict})"


class ProfileConfig(_Strict):
    """A data profile: how much data, which seeds, which thresholds, how much time."""

    description: str = ""
    seed: int = 0
    calibration_seeds: list[int] = Field(default_factory=lambda: [0, 1, 2])
    data: dict[str, dict[str, Any]] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict,
                                   description="check parameters (steps, subset sizes, tolerances)")
    thresholds: dict[str, Threshold] = Field(default_factory=dict)
    timeouts: dict[str, float] = Field(default_factory=dict, description="per-check overrides: 'task.check' -> seconds")
    submission_s: float | None = Field(default=None, gt=0, allow_inf_nan=False,
                                       description="overrides limits.submission_s for this profile (seconds)")

    @field_validator("timeouts")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        for key, seconds in value.items():
            if seconds <= 0:
                raise ValueError(f"timeout for {key!r} must be positive")
        return value


class LimitsConfig(_Strict):
    """Resource limits of an assignment's workers and the sizes the grader accepts from a submission."""

    memory_mb: int = Field(default=6144, gt=0)
    output_kb: int = Field(default=64, gt=0)
    submission_s: float | None = Field(
        default=None, gt=0, allow_inf_nan=False,
        description="seconds the student's code may take in all, over every check of one submission (None: no cap)")
    module_kb: int = Field(default=1024, gt=0, description="largest student module accepted, in KiB")
    reply_mb: int = Field(default=256, gt=0, description="cap on the bytes decoded from one worker reply, in MiB")
    literal_kb: int = Field(default=64, gt=0,
                            description="a literal or constant display larger than this (KiB) flags the submission")
    file_mb: float = Field(default=64, gt=0, allow_inf_nan=False,
                           description="cap on a file a check reads from the worker (model files: its size and what "
                                       "it unpacks to in the judge's memory), in MiB; a check may set its own")
    judge_s: float = Field(default=120, gt=0, allow_inf_nan=False,
                           description="seconds the judge's own code may take per check, beyond the check's worker "
                                       "calls; past it the check ends as a timeout")


_TARGET = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"


class BenchEpochConfig(_Strict):
    """One epoch of the reference's training function, timed by ``autograder bench`` against the bound from its
    FLOPs: ``model = build(**{k: config[k] for k in build_keys})``, then ``train(model, X, y, X_val, y_val,
    **{other keys of config}, epochs=1)`` on ``rows`` random rows of ``inputs`` columns."""

    build: str = Field(pattern=_TARGET, description="module.function that builds the model (a module or parameters)")
    train: str = Field(pattern=_TARGET, description="module.function(model, X, y, X_val, y_val, **settings)")
    config: str = Field(pattern=_TARGET, description="module.NAME of the settings dict (e.g. BEST_CONFIG)")
    build_keys: list[str] = Field(min_length=1, description="keys of the config passed to build; the rest to train")
    rows: int = Field(default=50_000, ge=1)
    inputs: int = Field(default=784, ge=1)
    classes: int = Field(default=10, ge=2)
    val_rows: int = Field(default=1000, ge=1)
    library: Literal["torch", "numpy"] = Field("torch", description="what the matmul rate is measured with")
    dtype: Literal["float32", "float64"] = Field("float32", description="the dtype the training computes in")

    @property
    def modules(self) -> set[str]:
        return {target.split(".", 1)[0] for target in (self.build, self.train, self.config)}


class BenchConfig(_Strict):
    """What ``autograder bench`` measures beyond the generic figures: a function of the assignment's modules that
    takes ``arrays`` array arguments, to time a call and an array transfer and to compare one trivial check with
    otter-grader; the CPU-light task selection whose throughput is measured; one epoch of training."""

    call: str = Field(pattern=_TARGET, description="module.function, e.g. a cheap function of the solution")
    arrays: int = Field(default=1, ge=1, le=8)
    light_tasks: list[str] = Field(default_factory=list,
                                   description="the CPU-light selection for the throughput figures (default: all)")
    epoch: BenchEpochConfig | None = Field(default=None, description="one epoch of training, against its FLOP bound")

    @property
    def module(self) -> str:
        return self.call.split(".", 1)[0]


class AssignmentConfig(_Strict):
    """One assignment: where its files are, its modules, tasks, limits, profiles and the students' packages."""

    title: str
    starter: str
    solution: str
    checks: str = Field(description="folder of hidden check modules, one per task")
    wrong_answers: str | None = Field(default=None, description="module of typical wrong answers (calibration, tests)")
    modules: list[str]
    requirements: list[str] = Field(
        default_factory=list, description="packages of the student's requirements.txt (pinned in constraints.txt)")
    bench: BenchConfig | None = Field(default=None, description="the call autograder bench times")
    limits: LimitsConfig = LimitsConfig()
    tasks: dict[str, TaskConfig]
    profiles: dict[str, ProfileConfig]
    default_profile: str = "full"

    @model_validator(mode="after")
    def _consistent(self) -> AssignmentConfig:
        for name, task in self.tasks.items():
            if task.module not in self.modules:
                raise ValueError(f"tasks.{name}.module: {task.module!r} is not one of modules {self.modules}")
        if self.default_profile not in self.profiles:
            raise ValueError(f"default_profile: {self.default_profile!r} is not a profile ({sorted(self.profiles)})")
        check_ids = {f"{t}.{c}" for t, task in self.tasks.items() for c in task.checks}
        for pname, profile in self.profiles.items():
            unknown = sorted(set(profile.timeouts) - check_ids)
            if unknown:
                raise ValueError(f"profiles.{pname}.timeouts: unknown check(s) {unknown}")
        if self.bench is not None and self.bench.module not in self.modules:
            raise ValueError(f"bench.call: {self.bench.call!r} is not in one of modules {self.modules}")
        if self.bench is not None:
            unknown = sorted(set(self.bench.light_tasks) - set(self.tasks))
            if unknown:
                raise ValueError(f"bench.light_tasks: unknown task(s) {unknown} (tasks: {sorted(self.tasks)})")
            if self.bench.epoch is not None and not self.bench.epoch.modules <= set(self.modules):
                raise ValueError(f"bench.epoch: {sorted(self.bench.epoch.modules)} are not all in modules "
                                 f"{self.modules}")
        return self

    def data_of(self, tasks: list[str] | None = None) -> list[str]:
        """The data sets the checks of ``tasks`` (default: every task) read, in order, each once."""
        names = [name for t in (self.tasks if tasks is None else tasks) for name in self.tasks[t].data]
        return list(dict.fromkeys(names))

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tasks.values())

    def tasks_of(self, module: str) -> set[str]:
        """The tasks graded on ``module``."""
        return {name for name, task in self.tasks.items() if task.module == module}

    def profile(self, name: str | None) -> ProfileConfig:
        name = name or self.default_profile
        try:
            return self.profiles[name]
        except KeyError:
            raise ConfigError(f"unknown profile {name!r}; course.yml defines {sorted(self.profiles)}") from None

    def submission_budget(self, profile: str | None) -> float | None:
        """Seconds the student's code may take over all checks of one submission on ``profile`` (``None``: no cap).

        The profile's ``submission_s`` if it sets one, else ``limits.submission_s``.
        """
        override = self.profile(profile).submission_s
        return override if override is not None else self.limits.submission_s

    def timeout(self, check_id: str, profile: str | None) -> float:
        task, check = check_id.split(".", 1)
        return self.profile(profile).timeouts.get(check_id, self.tasks[task].checks[check].timeout_s)

    def file_bytes(self, check_id: str) -> int:
        """The most bytes the check ``task.check`` reads from a file of the worker (``file_mb``)."""
        task, check = check_id.split(".", 1)
        megabytes = self.tasks[task].checks[check].file_mb or self.limits.file_mb
        return int(megabytes * 2**20)


class CourseInfo(_Strict):
    name: str
    term: str = ""


class CourseConfig(_Strict):
    course: CourseInfo
    assignments: dict[str, AssignmentConfig] = Field(min_length=1)


@dataclass(frozen=True)
class Course:
    """A validated course file together with the folder its relative paths are resolved against."""

    config: CourseConfig
    root: Path

    @property
    def name(self) -> str:
        return self.config.course.name

    @property
    def assignments(self) -> list[str]:
        """The assignments' names, in course.yml order."""
        return list(self.config.assignments)

    def assignment(self, name: str) -> AssignmentConfig:
        try:
            return self.config.assignments[name]
        except KeyError:
            known = ", ".join(sorted(self.config.assignments)) or "none"
            raise ConfigError(f"unknown assignment {name!r}; course.yml defines: {known}") from None

    def assignment_name(self, name: str | None) -> str:
        """``name`` if given (checked to exist), else the course's only assignment.

        Raises:
            ConfigError: an unknown name, or none given while the course has several assignments.
        """
        if name is not None:
            self.assignment(name)
            return name
        if len(self.config.assignments) == 1:
            return next(iter(self.config.assignments))
        raise ConfigError(f"name the assignment: course.yml defines several ({', '.join(self.assignments)})")

    def path(self, relative: str) -> Path:
        return (self.root / relative).resolve()


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def parse_course(data: Any, root: Path, source: str = "course.yml") -> Course:
    """Validate already-parsed YAML; raise :class:`ConfigError` naming each bad key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        config = CourseConfig.model_validate(data)
    except ValidationError as exc:
        lines = [f"{source} is invalid:"]
        for err in exc.errors():
            lines.append(f"  - {_location(err['loc'])}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None
    problems = _reference_problems(config, root)
    if problems:
        raise ConfigError("\n".join([f"{source} is invalid:", *(f"  - {p}" for p in problems)]))
    return Course(config=config, root=root)


def _reference_problems(config: CourseConfig, root: Path) -> list[str]:
    """What the file refers to that does not exist: data sets, loader settings, unpinned packages (``key: why``)."""
    from .data.registry import dataset

    problems: list[str] = []
    for name, assignment in config.assignments.items():
        where = f"assignments.{name}"
        for pname, profile in assignment.profiles.items():
            for data_name, settings in profile.data.items():
                try:
                    dataset(data_name).check_settings(settings)
                except ValueError as exc:
                    message = str(exc)
                    if message.startswith("data."):  # "data.<name>.<key>: why" -> the full key path
                        problems.append(f"{where}.profiles.{pname}.{message}")
                    else:
                        problems.append(f"{where}.profiles.{pname}.data.{data_name}: {message}")
        for tname, task in assignment.tasks.items():
            for i, data_name in enumerate(task.data):
                try:
                    dataset(data_name)
                except ValueError as exc:
                    problems.append(f"{where}.tasks.{tname}.data.{i}: {exc}")
                    continue
                lacking = [p for p, profile in assignment.profiles.items() if data_name not in profile.data]
                if lacking:
                    problems.append(f"{where}.tasks.{tname}.data.{i}: data set {data_name!r} is not set under "
                                    f"profiles.<p>.data of profile(s) {lacking}")
        problems += _requirement_problems(where, assignment.requirements, root)
    return problems


def _requirement_problems(where: str, requirements: list[str], root: Path) -> list[str]:
    """Each requirement must be pinned (``name==version``) in the ``constraints.txt`` next to the course file (or
    next to the autograder package)."""
    if not requirements:
        return []
    from .requirements import canonical, read_constraints

    candidates = [root / "constraints.txt", Path(__file__).resolve().parent.parent / "constraints.txt"]
    constraints = next((path for path in candidates if path.is_file()), None)
    if constraints is None:
        return [f"{where}.requirements: no constraints.txt next to the course file or the autograder package to "
                f"pin them ({', '.join(str(p) for p in candidates)})"]
    pins = read_constraints(constraints)
    return [f"{where}.requirements.{i}: {name!r} is not pinned (name==version) in {constraints}"
            for i, name in enumerate(requirements) if canonical(name) not in pins]


def load_course(path: Path | str = "course.yml") -> Course:
    """Read and validate a course file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    return parse_course(data, path.resolve().parent, source=str(path))


def find_course(start: Path | None = None) -> Path:
    """Locate ``course.yml``: ``$AUTOGRADER_COURSE`` if set, else the nearest one upwards from ``start``."""
    env = os.environ.get("AUTOGRADER_COURSE")
    if env:
        return Path(env)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "course.yml"
        if candidate.is_file():
            return candidate
    raise ConfigError(f"no course.yml found in {here} or its parents (set AUTOGRADER_COURSE or use --course)")
