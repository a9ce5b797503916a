"""One declarative way to write a hidden check.

A check is a plain function that receives a :class:`~autograder.checks.context.Context`, asks the
student's worker to compute things through it, and judges the answers in the grader process::

    @check("trees", "rmse", "rmse agrees with NumPy on random vectors")
    def rmse_matches_numpy(ctx: Context) -> None:
        y, p = ctx.rng.normal(size=(2, 50))
        ctx.expect_close(ctx.call("trees.rmse", y, p), np.sqrt(np.mean((y - p) ** 2)), what="rmse")

The decorator only attaches a :class:`CheckSpec` to the function; there is no global registry.
Points and time budgets are not declared here but in ``course.yml`` under ``tasks.<task>.checks.<name>``,
so an instructor can re-weight checks without touching code. What a check reads from its profile is declared
here: ``params`` (names it needs under ``profiles.<p>.params``), ``defaults`` (parameters it may read, with the
value used when the profile does not set them) and ``thresholds`` (names under ``profiles.<p>.thresholds``).
The grader compares these with ``course.yml`` when it loads the checks, so a misspelt key is an error naming it
before anything is graded, and :class:`~autograder.checks.context.Context` refuses an undeclared read.
:func:`load_checks` collects the checks of an assignment's check folder in the order they are defined.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Context

CheckFunction = Callable[["Context"], None]
_ATTRIBUTE = "__autograder_check__"


@dataclass(frozen=True)
class CheckSpec:
    """What a check is: its task, its name within the task, a title for students, the function, and the profile
    settings it reads.

    Attributes:
        params: parameters it needs (``profiles.<p>.params.<name>`` must be set in every profile).
        defaults: parameters it may read, with the value used when a profile does not set them.
        thresholds: thresholds it judges against (``profiles.<p>.thresholds.<name>``, in every profile).
    """

    task: str
    name: str
    title: str
    fn: CheckFunction
    order: int = 0
    params: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False, compare=False)
    thresholds: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.task}.{self.name}"

    def reads_param(self, name: str) -> bool:
        """Whether the check declares the parameter ``name`` (needed or with a default)."""
        return name in self.params or name in self.defaults


def check(task: str, name: str, title: str, *, params: Iterable[str] = (), defaults: Mapping[str, Any] | None = None,
          thresholds: Iterable[str] = ()) -> Callable[[CheckFunction], CheckFunction]:
    """Declare ``fn`` as the hidden check ``task.name``; ``title`` is what students see.

    ``params``, ``defaults`` and ``thresholds`` declare what the check reads from its profile (see the module's
    docstring); reading anything else is refused.
    """
    needed, optional, judged = tuple(params), dict(defaults or {}), tuple(thresholds)
    both = sorted(set(needed) & set(optional))
    if both:
        raise ValueError(f"check {task}.{name}: {both} declared both as needed params and with defaults")

    def mark(fn: CheckFunction) -> CheckFunction:
        setattr(fn, _ATTRIBUTE, CheckSpec(task, name, title, fn, order=fn.__code__.co_firstlineno, params=needed,
                                          defaults=MappingProxyType(optional), thresholds=judged))
        return fn

    return mark


def checks_in(module: ModuleType) -> list[CheckSpec]:
    """The checks a module declares, in source order."""
    specs = [getattr(obj, _ATTRIBUTE) for obj in vars(module).values() if hasattr(obj, _ATTRIBUTE)]
    return sorted(specs, key=lambda spec: spec.order)


def load_checks(folder: Path, package: str, skip: Collection[str] = ()) -> list[CheckSpec]:
    """Import every ``*.py`` check module in ``folder`` (files starting with ``_`` are helpers) and
    return their checks, module by module in file-name order.

    The modules are imported as ``<package>.<stem>`` so that they can import their helpers with
    relative imports (``from ._data import ...``). Check folders live outside the installed package
    on purpose: they are instructor content, shipped in the grading bundle only.

    ``skip``: module stems not to import (the grader skips the modules named after tasks it does not grade, so
    that their imports, torch for instance, are not paid for).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"check folder {folder} does not exist")
    _import_package(package, folder)
    specs: list[CheckSpec] = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_") or path.stem in skip:
            continue
        specs.extend(checks_in(_import_file(f"{package}.{path.stem}", path)))
    return specs


def _import_package(name: str, folder: Path) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    init = folder / "__init__.py"
    if init.exists():
        module = _import_file(name, init, search=[str(folder)])
    else:  # a plain folder of check modules
        module = ModuleType(name)
        module.__path__ = [str(folder)]
        sys.modules[name] = module
    return module


def _import_file(name: str, path: Path, search: list[str] | None = None) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path, submodule_search_locations=search)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import check module {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
