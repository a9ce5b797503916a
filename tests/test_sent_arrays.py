"""Large read-only arguments cross to a worker once (``sandbox/sent.py``), mapped copy-on-write on its side.

The judge's preloaded data sets are read-only; the grader keeps their exchange file for the worker's lifetime and
sends the name again. A student function that changes its input in place must never change what the next call
receives, writable arrays are never kept, and a restarted worker starts from an empty exchange folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from autograder.sandbox import WorkerSession
from autograder.sandbox.confine.scratch import Layout
from autograder.sandbox.runtime.exchange import MAP_BYTES, Exchange
from autograder.sandbox.sent import SentArrays

STUDENT = '''
def total_then_bump(x):
    total = float(x.sum())
    x += 1  # changes the argument in place: must stay private to this call
    return total


def first_row(x):
    return x[0].copy()
'''


def frozen(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[WorkerSession, Path]]:
    root = tmp_path_factory.mktemp("sent")
    (root / "sub").mkdir()
    (root / "sub" / "m.py").write_text(STUDENT)
    with WorkerSession(root / "sub", ["m"], scratch=root / "scratch") as worker:
        yield worker, Layout(root / "scratch").exchange


def grader_files(exchange: Path) -> list[str]:
    return sorted(p.name for p in exchange.iterdir() if p.name.startswith("g-"))


def test_a_read_only_array_is_sent_once_and_never_changed_by_a_call(session: tuple[WorkerSession, Path]) -> None:
    worker, exchange = session
    worker.restart()
    X = frozen(np.ones((600, 784), dtype=np.float32))  # 1.9 MB: over the threshold
    totals = [worker.call("m.total_then_bump", X, timeout=60).value for _ in range(3)]
    assert totals == [float(X.size)] * 3  # every call sees the judge's array, not the previous call's changes
    assert len(grader_files(exchange)) == 1
    view = X[:400]  # a view of a read-only array (a new object per call, the same memory): its own file, kept too
    assert worker.call("m.total_then_bump", view, timeout=60).value == float(view.size)
    assert worker.call("m.total_then_bump", X[:400], timeout=60).value == float(view.size)
    assert len(grader_files(exchange)) == 2


def test_writable_and_small_arrays_are_written_for_each_call(session: tuple[WorkerSession, Path]) -> None:
    worker, exchange = session
    worker.restart()
    writable = np.ones((600, 784), dtype=np.float32)
    assert worker.call("m.total_then_bump", writable, timeout=60).value == float(writable.size)
    writable[0, 0] = 5.0  # the next call must see the change: nothing cached
    assert worker.call("m.first_row", writable, timeout=60).value[0] == 5.0
    read_only_view_of_writable = frozen(writable[:500])
    worker.call("m.total_then_bump", read_only_view_of_writable, timeout=60)
    worker.call("m.total_then_bump", frozen(np.ones(10)), timeout=60)
    assert grader_files(exchange) == []


def test_a_restarted_worker_gets_the_array_again(session: tuple[WorkerSession, Path]) -> None:
    worker, exchange = session
    worker.restart()
    X = frozen(np.arange(600 * 784, dtype=np.float32).reshape(600, 784).copy())
    worker.call("m.total_then_bump", X, timeout=60)
    assert len(grader_files(exchange)) == 1
    worker.restart()
    assert grader_files(exchange) == []
    assert worker.call("m.first_row", X, timeout=60).value.tolist() == X[0].tolist()


@pytest.mark.parametrize("order", ["C", "F"])
def test_mapped_load_is_private_and_keeps_layout(tmp_path: Path, order: str) -> None:
    array = np.asarray(np.random.default_rng(0).random((700, 400)), order=order)
    assert array.nbytes >= MAP_BYTES
    name = Exchange(tmp_path, "g").save(array)
    loaded = Exchange(tmp_path, "w", map_copy=True).load(name)
    assert np.array_equal(loaded, array) and loaded.flags.writeable
    loaded[:] = 0.0
    assert np.array_equal(Exchange(tmp_path, "g").load(name), array)  # the file is untouched


def test_sent_table_keys_on_memory_shape_and_dtype() -> None:
    sent = SentArrays(min_bytes=0)
    X = frozen(np.zeros((4, 4)))
    assert sent.keep(X, "g-a.npy") and sent.name_of(X) == "g-a.npy"
    assert sent.name_of(X[:2]) is None and sent.name_of(X.T) is None
    assert not sent.keep(np.zeros(3), "g-b.npy")
    sent.clear()
    assert sent.name_of(X) is None and len(sent) == 0
