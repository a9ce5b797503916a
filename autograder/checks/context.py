"""What a check sees: the student's worker, the profile's settings, and ways to judge answers.

A :class:`Context` is made fresh for every check of every submission. Student code runs only in the
worker behind :meth:`Context.call`; everything else here (data with held-out labels, reference
figures, thresholds) stays in the trusted grader process.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..config import ProfileConfig, Threshold
from ..plots import Plot
from ..sandbox import Handle, ProtocolError, Reply, WorkerSession
from ..sandbox.expect import Returns, mismatch_in
from .spec import CheckSpec

log = logging.getLogger(__name__)
T = TypeVar("T")
MAX_FIGURES = 4
"""Figures one check may show; more are left out (and logged: it is the check's mistake)."""
Meter = Callable[[float, Callable[[float], Reply]], Reply]
"""Runs a worker call given its time budget: ``meter(timeout, call)`` calls ``call(t)`` with the timeout it grants
(the grading engine's submission budget clips it and charges the time)."""


class CheckFailed(AssertionError):
    """The student's answer is wrong; the message is shown to the student."""


class CheckAbandoned(RuntimeError):
    """The judge stopped waiting for this check (its own code ran past ``limits.judge_s``): it may not call the
    worker any more."""


class ReferenceStore:
    """Reference figures the checks compare against (JSON values), keyed by profile and name.

    At release time every reference is computed once and written to ``reference.json`` so that the
    grading bundle needs no solution code; when grading without such a file, references are computed
    on demand by the judge (never by student code) and kept for the rest of the run, and for later runs of the
    same course and data (:mod:`autograder.grading.reference_cache`).
    """

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        self._values: dict[str, Any] = dict(values or {})
        self._lock = threading.Lock()
        self.compute_s = 0.0  # seconds spent computing references so far (read by autograder bench)
        self.computed = 0  # values computed here so far, not given (the reference cache saves when it grows)

    @classmethod
    def load(cls, path: Path) -> ReferenceStore:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")))

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key not in self._values:
                start = time.perf_counter()
                try:
                    value = compute()
                finally:
                    self.compute_s += time.perf_counter() - start  # autograder bench's reference_s
                json.dumps(value)  # references must be plain JSON data
                self._values[key] = value
                self.computed += 1
            return self._values[key]

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return dict(sorted(self._values.items()))


class Memo:
    """Judge-side cache shared by all submissions of a run (values derived from the data, reference splits)."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: str, compute: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._values:
                self._values[key] = compute()
            return self._values[key]


@dataclass
class Judge:
    """State the trusted side keeps across submissions: the preloaded data sets, caches and reference figures.

    ``data`` holds the data sets of the profile, loaded and checksummed by
    :func:`~autograder.data.registry.preload` before the first worker starts (read-only arrays); checks read them
    with :meth:`Context.data` and never load a data file themselves.
    """

    references: ReferenceStore = field(default_factory=ReferenceStore)
    memo: Memo = field(default_factory=Memo)
    data: dict[str, Any] = field(default_factory=dict)
    needs: dict[str, frozenset[str]] | None = None  # task -> the data sets it declares (None: not enforced)


class NotDeclared(KeyError):
    """A check read a setting or data set it does not declare (a mistake in the check, not the student's)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class DataNotDeclared(NotDeclared):
    """A check asked for a data set that the judge has not loaded (its task or the profile does not declare it)."""


@dataclass
class Context:
    """The interface between one hidden check and one submission."""

    spec: CheckSpec
    worker: WorkerSession
    profile: ProfileConfig
    profile_name: str
    timeout: float
    judge: Judge
    shared: dict[str, Any] = field(default_factory=dict)  # per submission, shared between its checks
    outputs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)  # measured values judged against thresholds
    file_bytes: int = 64 * 2**20  # the most a check reads of a file the worker wrote (course.yml's file_mb)
    meter: Meter | None = None  # every worker call goes through it (None: the call gets the check's timeout)
    show: Callable[[Plot], None] | None = None  # takes the figures ctx.figure declares (None: they are left out)
    call_seconds: float = 0.0  # time spent in calls into the worker so far (the rest of the check's is the judge's)
    _call_started: float | None = None  # when the call in progress began
    _abandoned: bool = False  # the judge stopped waiting for this check
    _declared: int = 0  # figures declared so far

    # --- randomness -----------------------------------------------------------------------------
    @property
    def seed(self) -> int:
        """The profile's seed; the worker is re-seeded with it before every call."""
        return self.profile.seed

    @property
    def rng(self) -> np.random.Generator:
        """A generator for choosing inputs, stable per check and independent of other checks."""
        return np.random.default_rng([self.profile.seed, zlib.crc32(self.spec.id.encode())])

    # --- talking to the worker ------------------------------------------------------------------
    @property
    def device(self) -> str:
        return self.worker.device

    def call(self, target: str, /, *args: Any, returns: Any = None, **kwargs: Any) -> Any:
        """Call ``module.function(*args, **kwargs)`` in the student's worker and return its (plain-data) result.

        Every other keyword goes to the student's function (``seed=...`` included); the call's time budget is the
        check's, and the worker is seeded with :attr:`seed` first.

        ``returns`` is reserved, never passed to the student: it declares what the call must return, e.g.
        ``returns=Array((len(X),), kinds="iu")`` or a tuple/list/dict of declarations (see
        :mod:`autograder.sandbox.expect`). The reply is checked against it before any array is loaded; one that
        differs fails the check (:class:`CheckFailed`, naming what was expected and what came) and the worker is
        restarted. ``None``: anything (bounded, like every reply, by ``Limits.reply_bytes``).
        """
        return self._ask(f"{target}(...)", returns, lambda expect, timeout: self.worker.call(
            target, *args, kwargs=kwargs, timeout=timeout, seed=self.seed, expect=expect))

    def call_method(self, handle: Handle, method: str, /, *args: Any, returns: Any = None, **kwargs: Any) -> Any:
        """Call a method of an object that lives in the worker (a model, an estimator); ``returns`` as in
        :meth:`call` (reserved, never passed to the method)."""
        name = handle.type.rsplit(".", 1)[-1] if isinstance(handle, Handle) else "object"
        what = f"{name}(...)" if method == "__call__" else f"{name}.{method}(...)"
        return self._ask(what, returns, lambda expect, timeout: self.worker.call_method(
            handle, method, *args, kwargs=kwargs, timeout=timeout, seed=self.seed, expect=expect))

    def get(self, target: str, *, returns: Any = None) -> Any:
        """Read a module-level value such as ``mnist_mlp.BEST_CONFIG``; ``returns`` as in :meth:`call`."""
        return self._ask(target, returns,
                         lambda expect, timeout: self.worker.get(target, timeout=timeout, expect=expect))

    def _ask(self, what: str, returns: Any, send: Callable[[Returns | None, float], Reply]) -> Any:
        """Send a request expecting ``returns`` (through :attr:`meter`); a reply refused for not matching it fails
        the check."""
        expect = None if returns is None else Returns(returns)
        self._check_not_abandoned()
        self._call_started = time.monotonic()
        try:
            if self.meter is None:
                reply = send(expect, self.timeout)
            else:
                reply = self.meter(self.timeout, lambda timeout: send(expect, timeout))
        except ProtocolError as exc:
            mismatch = mismatch_in(exc)
            if mismatch is None:
                raise
            self._record(exc.output)
            raise CheckFailed(f"{what}: {mismatch}") from None
        finally:
            self.call_seconds += time.monotonic() - self._call_started
            self._call_started = None
        self._record(reply.output)
        return reply.value

    def judge_seconds(self, started: float) -> float:
        """Of the time since ``started`` (``time.monotonic``), what was not spent in calls into the worker."""
        in_call = self._call_started
        return time.monotonic() - started - self.call_seconds - (time.monotonic() - in_call if in_call else 0.0)

    def abandon(self) -> None:
        """The judge stopped waiting for this check: every later call into the worker raises :class:`CheckAbandoned`."""
        self._abandoned = True

    def _check_not_abandoned(self) -> None:
        if self._abandoned:
            raise CheckAbandoned(f"check {self.spec.id} was abandoned by the judge")

    def restart_worker(self) -> None:
        """Continue in a fresh worker process (files in its working folder are kept)."""
        self._check_not_abandoned()
        self.worker.restart()

    def submitted_source(self, module: str) -> bytes:
        """The student's ``<module>.py`` as submitted, read from the grader's copy (the worker's own copy may have
        been rewritten by student code that already ran). Raises ``OSError`` if the file is not there."""
        if not module.isidentifier():
            raise ValueError(f"not a module name: {module!r}")
        return (self.worker.submission / f"{module}.py").read_bytes()

    def worker_file(self, relative: str) -> Path:
        """The judge's own copy of a file the student's code wrote in its working folder (the worker may still change
        the original): at most :attr:`file_bytes` (``course.yml``'s ``file_mb``), never through a symlink.

        Raises ``FileNotFoundError`` if the file is not there, ``ValueError`` (a message for the student) if it is not
        a regular file, too large, or locked. Read model files from the copy with :func:`.files.read_npz` and
        :func:`.files.read_checkpoint`, which bound what they unpack by the same cap.
        """
        self._check_not_abandoned()
        return self.worker.copy_out(relative, max_bytes=self.file_bytes)

    def _record(self, output: str) -> None:
        if output:
            self.outputs.append(output)

    # --- settings from course.yml ---------------------------------------------------------------
    def param(self, name: str) -> Any:
        """A check parameter of the profile (``profiles.<p>.params.<name>``), else its declared default
        (``@check(defaults=...)``, the one place a default is given).

        Raises:
            NotDeclared: the check does not declare ``name`` in ``@check(params=..., defaults=...)``.
            KeyError: the profile does not set it and the check declares no default.
        """
        if not self.spec.reads_param(name):
            raise NotDeclared(f"check {self.spec.id} reads params.{name} without declaring it in "
                              f"@check(params=...) or @check(defaults=...)")
        if name in self.profile.params:
            return self.profile.params[name]
        if name in self.spec.defaults:
            return self.spec.defaults[name]
        raise KeyError(f"course.yml: profile {self.profile_name!r} has no params.{name}")

    def data_settings(self, name: str) -> dict[str, Any]:
        """Keyword arguments for a data loader (``profiles.<p>.data.<name>``)."""
        return dict(self.profile.data.get(name, {}))

    def threshold(self, name: str) -> Threshold:
        """The profile's ``thresholds.<name>``, which the check declares in ``@check(thresholds=...)``."""
        if name not in self.spec.thresholds:
            raise NotDeclared(f"check {self.spec.id} judges against thresholds.{name} without declaring it in "
                              f"@check(thresholds=...)")
        try:
            return self.profile.thresholds[name]
        except KeyError:
            raise KeyError(f"course.yml: profile {self.profile_name!r} has no thresholds.{name}") from None

    # --- judge-side state -----------------------------------------------------------------------
    def data(self, name: str) -> Any:
        """The data set ``name`` of the profile (``profiles.<p>.data.<name>``), as the judge preloaded it.

        Raises:
            DataNotDeclared: the check's task (``tasks.<t>.data``) or the profile does not declare it, or the judge
                was made without preloading it.
        """
        needs = self.judge.needs
        if needs is not None and name not in needs.get(self.spec.task, frozenset()):
            raise DataNotDeclared(f"data set {name!r} is not declared under course.yml's tasks.{self.spec.task}.data "
                                  f"(it declares {sorted(needs.get(self.spec.task, ()))})")
        if name in self.judge.data:
            return self.judge.data[name]
        if name in self.profile.data:
            why = "is declared but was not preloaded (make the grader with load_grader)"
        else:
            why = f"is not declared under course.yml's profiles.{self.profile_name}.data"
        raise DataNotDeclared(f"data set {name!r} {why}; loaded: {sorted(self.judge.data)}") from None

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """Compute a value derived from the data once per grading run, keyed by profile."""
        return self.judge.memo.get(f"{self.profile_name}/{key}", compute)

    def reference(self, key: str, compute: Callable[[], Any]) -> Any:
        """A reference figure (JSON data) computed by the judge, or read from ``reference.json``."""
        return self.judge.references.get(f"{self.profile_name}/seed{self.seed}/{key}", compute)

    # --- judging ----------------------------------------------------------------------------------
    def note(self, message: str) -> None:
        """A line of feedback shown with the check's result."""
        self.notes.append(message)

    def figure(self, plot: Plot) -> None:
        """Show ``plot`` with the check's result (``feedback.html``, Gradescope's ``results.json``).

        Drawn by the judge (the runner's ``show``, often in the background), from arrays the check already holds;
        declare it before judging, so a failed check shows the figure that explains the failure. A figure that
        cannot be drawn is left out and logged (a bug of the check, never the student's loss); so is any figure past
        :data:`MAX_FIGURES`.
        """
        if self._declared >= MAX_FIGURES:
            log.warning("check %s: figure %r left out (at most %d per check)", self.spec.id, plot.title, MAX_FIGURES)
            return
        self._declared += 1
        if self.show is None:
            log.debug("check %s: figure %r left out (nothing shows figures here)", self.spec.id, plot.title)
            return
        try:
            self.show(plot)
        except Exception:  # drawing is the judge's own work: it must not change the check's outcome
            log.exception("check %s: figure %r could not be drawn", self.spec.id, getattr(plot, "title", plot))

    def fail(self, message: str) -> None:
        raise CheckFailed(message)

    def expect(self, condition: bool, message: str) -> None:
        if not condition:
            raise CheckFailed(message)

    def expect_type(self, value: Any, types: type | tuple[type, ...], what: str) -> None:
        if not isinstance(value, types):
            names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
            raise CheckFailed(f"{what} should be {names}, got {type(value).__name__}")

    def expect_close(self, actual: Any, expected: Any, *, what: str, rtol: float = 1e-6, atol: float = 1e-8) -> None:
        """``actual`` equals ``expected`` elementwise within tolerance (shapes must match)."""
        try:
            got = np.asarray(actual, dtype=float)
        except (TypeError, ValueError):
            raise CheckFailed(f"{what} should be numeric, got {type(actual).__name__}") from None
        want = np.asarray(expected, dtype=float)
        if got.shape != want.shape:
            raise CheckFailed(f"{what} has shape {got.shape}, expected {want.shape}")
        if not np.all(np.isfinite(got)):
            raise CheckFailed(f"{what} contains NaN or infinite values")
        if not np.allclose(got, want, rtol=rtol, atol=atol):
            worst = np.unravel_index(np.argmax(np.abs(got - want)), got.shape) if got.ndim else ()
            raise CheckFailed(
                f"{what} is off: got {_short(got[worst] if got.ndim else got)}, "
                f"expected {_short(want[worst] if want.ndim else want)}"
                + (f" at index {tuple(int(i) for i in worst)}" if got.ndim else "")
                + f" (tolerance rtol={rtol:g}, atol={atol:g})"
            )

    def expect_threshold(self, name: str, value: float, what: str) -> None:
        """Judge a figure against ``thresholds.<name>``; the figure is reported either way."""
        threshold = self.threshold(name)
        if not isinstance(value, (int, float)) or math.isnan(value):
            raise CheckFailed(f"{what} could not be computed (got {value!r})")
        self.figures[name] = float(value)
        message = f"{what}: {threshold.describe(float(value))}"
        self.note(message)
        if not threshold.passes(float(value)):
            raise CheckFailed(message)


def _short(value: Any) -> str:
    return f"{float(value):.6g}"
