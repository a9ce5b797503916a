"""Grading policy without a worker: the submission time budget and the inspection of modules before they run."""

from __future__ import annotations

import ast
import math
import threading
import time
from pathlib import Path

import pytest

from autograder.checks import CheckSpec, Context
from autograder.checks.context import Judge
from autograder.config import ProfileConfig
from autograder.grading.budget import BudgetExhausted, SubmissionBudget
from autograder.grading.inspection import Inspection, find_large_literals, format_size, inspect_modules
from autograder.sandbox import Reply, WorkerTimeout

# --- the submission time budget ------------------------------------------------------------------------------


def _sleeper(seconds: float):
    """A stand-in for a worker call: sleeps for its timeout, then times out like the sandbox does."""
    given: list[float] = []

    def call(timeout: float) -> str:
        given.append(timeout)
        time.sleep(min(timeout, seconds))
        if seconds > timeout:
            raise WorkerTimeout(timeout, output="partial output")
        return "done"

    return call, given


def test_call_timeout_is_clipped_to_what_is_left() -> None:
    budget = SubmissionBudget(10.0, used=9.8)
    call, given = _sleeper(0.0)
    assert budget.run(5.0, call) == "done"
    assert given[0] == pytest.approx(0.2, abs=0.01)


def test_clipped_call_that_runs_out_reports_the_budget() -> None:
    budget = SubmissionBudget(0.3)
    call, given = _sleeper(60.0)
    start = time.monotonic()
    with pytest.raises(BudgetExhausted) as info:
        budget.run(5.0, call)
    assert time.monotonic() - start < 2.0, "the call must stop when the budget does, not at its own 5 s"
    assert given == [pytest.approx(0.3, abs=0.01)]
    assert str(info.value).startswith("submission time budget exhausted (0.3 s): this call was stopped after 0.3 s")
    assert info.value.output == "partial output"
    assert budget.exhausted


def test_unclipped_timeout_stays_a_timeout() -> None:
    budget = SubmissionBudget(100.0)
    call, _ = _sleeper(60.0)
    with pytest.raises(WorkerTimeout) as info:
        budget.run(0.1, call)
    assert not isinstance(info.value, BudgetExhausted)
    assert budget.used == pytest.approx(0.1, abs=0.05) and not budget.exhausted


def test_spent_budget_makes_no_call() -> None:
    budget = SubmissionBudget(1.0, used=1.0)
    call, given = _sleeper(0.0)
    with pytest.raises(BudgetExhausted, match=r"^submission time budget exhausted \(1 s\)$"):
        budget.run(5.0, call)
    assert given == []


def test_no_budget_never_clips() -> None:
    budget = SubmissionBudget(None)
    call, given = _sleeper(0.0)
    budget.run(7.0, call)
    assert given == [7.0] and budget.remaining == math.inf


@pytest.mark.parametrize("bad", [0.0, -1.0, math.inf, math.nan])
def test_budget_must_be_positive(bad: float) -> None:
    with pytest.raises(ValueError, match="positive number of seconds"):
        SubmissionBudget(bad)


class _FakeSession:
    def __init__(self) -> None:
        self.timeouts: list[float] = []

    def call(self, target, /, *args, timeout, seed=0, expect=None, kwargs=None):
        self.timeouts.append(timeout)
        return Reply(("call", target, tuple(args), dict(kwargs or {}), seed, expect), "", 0.0)

    def get(self, target, *, timeout, expect=None):
        self.timeouts.append(timeout)
        return Reply(("get", target), "", 0.0)


def test_every_call_of_a_check_is_clipped_by_its_meter_and_passes_the_rest_through() -> None:
    session = _FakeSession()
    ctx = Context(CheckSpec("calc", "add", "add", lambda ctx: None), session, ProfileConfig(seed=3), "smoke",  # type: ignore[arg-type]
                  5.0, Judge(), meter=SubmissionBudget(10.0, used=8.0).run)
    assert ctx.call("calc.add", 1, 2, b=4) == ("call", "calc.add", (1, 2), {"b": 4}, 3, None)
    assert ctx.call("calc.add", 1, returns=int)[-1] is not None
    ctx.timeout = 1.0
    assert ctx.get("calc.X") == ("get", "calc.X")
    assert session.timeouts[0] == pytest.approx(2.0, abs=0.05) and session.timeouts[2] == 1.0


# --- inspection: module size and embedded data ---------------------------------------------------------------


def test_format_size() -> None:
    assert format_size(900) == "900 B"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(310 * 1024) == "310 KiB"
    assert format_size(int(3.2 * 1024 * 1024)) == "3.2 MiB"


def test_oversized_module_is_refused_and_flagged(tmp_path: Path) -> None:
    big, small = tmp_path / "trees.py", tmp_path / "penguins.py"
    big.write_text("# padding\n" * 340_000)  # 3.2 MiB of comments
    small.write_text("def f():\n    return 1\n")
    found = inspect_modules({"trees": big, "penguins": small}, module_kb=1024, literal_kb=64)
    assert found.accepted == {"penguins": small}
    assert found.refused == {"trees": "trees.py is 3.2 MiB, over the 1024 KiB limit for a module"}
    assert found.flags == ["trees.py is 3.2 MiB, over the 1024 KiB limit for a module: not graded"]


def test_large_literals_are_flagged_with_line_and_size() -> None:
    source = "\n".join([
        "import numpy as np",
        "ANSWERS = " + repr("Adelie," * 45_000),                          # line 2: a 308 KiB string
        "BLOB = " + repr(bytes(70_000)),                                   # line 3: bytes
        "TABLE = np.array([" + ",".join(f"-{i}.25" for i in range(20_000)) + "])",  # line 4: a list of numbers
        "KEYS = {" + ",".join(f"{i}: 'Gentoo'" for i in range(9_000)) + "}",       # line 5: a dict
        "MIXED = (x, " + ",".join(["'abcdefgh'"] * 10_000) + ")",         # line 6: one name does not hide it
        "SMALL = [1, 2, 3]",
        "REPEATED = 'a' * 1_000_000",                                      # computed, not embedded
        "def f():",
        "    return ANSWERS",
    ]).encode()
    flags = find_large_literals(source, "penguins.py", 64 * 1024)
    assert flags[0] == "penguins.py line 2: a 308 KiB string literal (embedded data? a person should look)"
    assert [f.split(":")[0] for f in flags] == [f"penguins.py line {n}" for n in (2, 3, 4, 5, 6)]
    assert "bytes literal" in flags[1] and "list display" in flags[2] and "dict display" in flags[3]
    assert "tuple display" in flags[4]


def test_nested_literal_is_reported_once_and_small_ones_not_at_all() -> None:
    nested = "DATA = [[" + ",".join(["1.5"] * 15_000) + "], [" + ",".join(["2.5"] * 15_000) + "]]\n"
    assert len(find_large_literals(nested.encode(), "m.py", 64 * 1024)) == 1
    assert find_large_literals(nested.encode(), "m.py", 1024 * 1024) == []
    assert find_large_literals(b"def f(:\n", "m.py", 10) == []  # a syntax error is the worker's to report


def test_inspection_never_runs_the_module(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    module = tmp_path / "calc.py"
    module.write_text(f"open({str(marker)!r}, 'w').write('x')\nKEY = {'z' * 100_000!r}\n")
    found = inspect_modules({"calc": module}, module_kb=1024, literal_kb=64)
    assert len(found.flags) == 1 and "calc.py line 2" in found.flags[0]
    assert not marker.exists()


def test_concurrent_inspections_parse_one_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's jobs inspect submissions at once; CPython 3.11's ``ast.parse`` is not safe across threads."""
    module = tmp_path / "calc.py"
    module.write_text("import numpy as np\n")
    real_parse, lock = ast.parse, threading.Lock()
    inside, most = [0], [0]

    def slow_parse(*args: object, **kwargs: object) -> ast.AST:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.02)  # long enough for the other threads to come in if nothing stops them
        with lock:
            inside[0] -= 1
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ast, "parse", slow_parse)
    found: list[Inspection] = []
    threads = [threading.Thread(target=lambda: found.append(inspect_modules({"calc": module}, module_kb=1024,
                                                                            literal_kb=64))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    assert [f.imports for f in found] == [{"calc": frozenset({"numpy"})}] * 4


def test_spurious_ast_system_error_is_retried(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """python/cpython#106905: a race with another thread's parse raises SystemError; the parse is simply redone."""
    module = tmp_path / "calc.py"
    module.write_text("import torch\n")
    real_parse, calls = ast.parse, [0]

    def flaky_parse(*args: object, **kwargs: object) -> ast.AST:
        calls[0] += 1
        if calls[0] == 1:
            raise SystemError("AST constructor recursion depth mismatch (before=27, after=19)")
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ast, "parse", flaky_parse)
    found = inspect_modules({"calc": module}, module_kb=1024, literal_kb=64)
    assert found.imports == {"calc": frozenset({"torch"})} and found.accepted == {"calc": module}
    assert calls[0] == 2
