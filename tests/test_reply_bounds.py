"""Bounded replies: a cap on what the grader decodes from one reply, and declared return values.

The codec tests need no worker; the session tests start one worker (~2 s) with small caps and check the grader's own
memory while a worker answers with far more than the cap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psutil
import pytest
import torch

from autograder.checks import CheckFailed, CheckSpec, Context
from autograder.checks.context import Judge
from autograder.config import ProfileConfig
from autograder.sandbox import Handle, Limits, ProtocolError, WorkerSession
from autograder.sandbox.confine.scratch import Layout
from autograder.sandbox.expect import Array, DictOf, ListOf, ReplyMismatch, Returns, mismatch_in
from autograder.sandbox.runtime.codec import ArrayHeader, CodecError, Decoder, Encoder, Exchange

MIB = 1024 * 1024

STUDENT_MODULE = '''
import numpy as np
import torch


def many(count, size):
    return [np.full(size, float(i)) for i in range(count)]


def tiny(count):
    return [np.zeros(1) for _ in range(count)]


def column(n):
    return np.zeros((n, 1), dtype=np.int64)


def labels(n):
    return np.arange(n, dtype=np.int64)


def pair(n):
    return torch.zeros(n, 10), np.ones(n, dtype=bool)


def echo(*args, **kwargs):
    return list(args), kwargs
'''


# -- the decoder on its own ---------------------------------------------------------------------------------------


class LoadCounter:
    """Counts ``np.load`` calls: what was actually materialised."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls = 0
        real = np.load

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(np, "load", counting)


def encode(folder: Path, value: object) -> Any:
    """The wire form of ``value`` as a worker would send it (objects that are not plain data become handles)."""
    return Encoder(Exchange(folder, "w"), keep=lambda obj: Handle(7, "pkg.Model", "Model()")).encode(value)


def decoder(folder: Path, declaration: Any = None, **caps: Any) -> Decoder:
    expect = None if declaration is None else Returns(declaration)
    return Decoder(Exchange(folder, "g"), on_handle=lambda handle: handle, expect=expect, **caps)


def test_byte_cap_refuses_before_loading_past_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wire = encode(tmp_path, [np.zeros(MIB // 8) for _ in range(5)])  # five arrays of 1 MiB
    loads = LoadCounter(monkeypatch)
    refusing = decoder(tmp_path, max_bytes=int(2.5 * MIB))
    with pytest.raises(CodecError, match=rf"reply holds more than {int(2.5 * MIB)} bytes"):
        refusing.decode(wire)
    assert loads.calls == 2 and len(refusing.files) == 2  # the third array was refused from its header
    accepting = decoder(tmp_path, max_bytes=6 * MIB)
    assert len(accepting.decode(wire)) == 5 and 5 * MIB < accepting.used < 6 * MIB


def test_byte_cap_counts_json_text_bytes_and_string_copies(tmp_path: Path) -> None:
    with pytest.raises(CodecError, match="JSON text"):
        decoder(tmp_path, max_bytes=10_000).decode(["x" * 20_000])
    with pytest.raises(CodecError, match="decoded bytes"):
        decoder(tmp_path, max_bytes=30_000).decode(encode(tmp_path, b"\0" * 20_000))
    # 1,000 one-letter strings: a 4 kB .npy file, but ~80 kB of Python strings once decoded.
    frame = encode(tmp_path, pd.DataFrame({"name": ["x"] * 1000}))
    with pytest.raises(CodecError, match="Python strings"):
        decoder(tmp_path, max_bytes=40_000).decode(frame)
    assert decoder(tmp_path, max_bytes=200_000).decode(frame).shape == (1000, 1)


def test_file_count_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wire = encode(tmp_path, [np.zeros(1) for _ in range(50)])
    loads = LoadCounter(monkeypatch)
    with pytest.raises(CodecError, match="more than 10 arrays"):
        decoder(tmp_path, max_files=10).decode(wire)
    assert loads.calls == 10
    assert len(decoder(tmp_path, max_files=50).decode(wire)) == 50


def test_declared_shape_and_kind_are_checked_from_the_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loads = LoadCounter(monkeypatch)
    wire = encode(tmp_path, np.zeros((200, 1), dtype=np.int64))
    with pytest.raises(ReplyMismatch) as caught:
        decoder(tmp_path, Array((200,), kinds="iu")).decode(wire)
    assert str(caught.value) == ("the value returned should be a NumPy array or a tensor of shape (200,) with dtype "
                                 "kind 'i' or 'u', got one of shape (200, 1)")
    with pytest.raises(ReplyMismatch, match=r"got one of dtype float32 \(kind 'f'\)"):
        decoder(tmp_path, Array((None, 10), kinds="iu")).decode(encode(tmp_path, torch.zeros(3, 10)))
    assert loads.calls == 0
    logits = Array((None, 10), kinds="f", forms=("tensor",))
    value = decoder(tmp_path, logits).decode(encode(tmp_path, torch.ones(3, 10)))
    assert isinstance(value, torch.Tensor) and value.shape == (3, 10)


def test_declared_structure_is_checked_before_any_array_is_loaded(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    loads = LoadCounter(monkeypatch)
    cases = [
        (3.5, Array((4,)), "the value returned should be a NumPy array or a tensor of shape (4,), got a float (3.5)"),
        (np.zeros(4), float, "the value returned should be a number, got a NumPy array"),
        ([np.zeros(2), np.zeros(2)], (Array(), Array()), "should be a tuple of 2 items, got a list of 2 items"),
        ((np.zeros(2),), (Array(), Array()), "should be a tuple of 2 items, got a tuple of 1 item"),
        ((np.zeros(2), 3), (Array(), Array()), "item [1] of the value returned should be a NumPy array or a tensor, "
                                               "got an int (3)"),
        (np.zeros(4), Array((4,), forms=("tensor",)), "should be a tensor of shape (4,), got a NumPy array"),
        ({"loss": [1.0]}, {"loss": ListOf(float), "error": ListOf(float)},
         "should be a dict with keys 'loss', 'error', got a dict without 'error' (its keys: 'loss')"),
        ({"loss": [1.0, "x"]}, {"loss": ListOf(float)}, "item ['loss'][1] of the value returned should be a number, "
                                                         "got a str ('x')"),
        ({"loss": [1.0]}, {"loss": ListOf(float, 3)}, "should be a list of 3 items, got a list of 1 item"),
        (True, int, "should be an int, got a bool (True)"),
        (object(), Array(), "got an object kept in the worker (pkg.Model)"),
        (np.zeros(3), Handle, "should be an object kept in the worker"),
        (pd.DataFrame({"a": [1]}), Array(forms=("ndarray", "series")), "got a pandas DataFrame"),
        (pd.Series(["a"]), Array(forms=("series",)), "got a pandas Series of strings"),
    ]
    for value, declaration, message in cases:
        with pytest.raises(ReplyMismatch) as caught:
            decoder(tmp_path, declaration).decode(encode(tmp_path, value))
        assert message in str(caught.value), (value, declaration)
    assert loads.calls == 0


def test_matching_replies_decode_as_usual(tmp_path: Path) -> None:
    accepted = [
        ((np.zeros(3), np.ones(3, dtype=bool)), (Array((3,)), Array((3,), kinds="b"))),
        ({"loss": [1.0, 2], "extra": "kept"}, {"loss": ListOf(float, 2)}),
        ({"w": torch.zeros(2, 3), "b": torch.zeros(2)}, DictOf(Array(kinds="f", forms=("tensor",)))),
        (pd.Series([True, False]), Array((2,), kinds="b", forms=("ndarray", "series"))),
        ([1, "a", None], [int, str, None]),
        ({1: np.zeros(2)}, dict),
        (object(), Handle),
        (2, complex),
    ]
    decoded = [decoder(tmp_path, declaration).decode(encode(tmp_path, value)) for value, declaration in accepted]
    assert decoded[0][1].dtype == np.bool_ and decoded[1] == {"loss": [1.0, 2], "extra": "kept"}
    assert set(decoded[2]) == {"w", "b"} and decoded[3].tolist() == [True, False]
    assert decoded[4] == [1, "a", None] and isinstance(decoded[6], Handle) and decoded[7] == 2


def test_declarations_are_validated() -> None:
    for bad in (Array, set, object(), {1: Array()}, [Array(), "x"], ListOf(int, -1)):
        with pytest.raises(TypeError):
            Returns(bad)
    with pytest.raises(ValueError):
        Array(kinds="z")
    with pytest.raises(ValueError):
        Array(forms=("list",))
    for shape in ((3.0,), (-1,), "ab", (True,)):
        with pytest.raises(TypeError):
            Array(shape=shape)
    assert Array(shape=[np.int64(3), None]).shape == (3, None)


def test_array_admit_reads_the_header_only() -> None:
    header = ArrayHeader("w-0.npy", (5, 2), np.dtype(np.float32), 128)
    Array((5, None), kinds="f").admit(header, "")
    with pytest.raises(ReplyMismatch, match=r"item \[0\] .* got one of shape \(5, 2\) and dtype float32"):
        Array((5,), kinds="i").admit(header, "[0]")


# -- through a worker ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scratch")


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory, scratch: Path) -> Iterator[WorkerSession]:
    folder = tmp_path_factory.mktemp("submission")
    (folder / "replies.py").write_text(STUDENT_MODULE)
    limits = Limits(reply_bytes=16 * MIB, reply_files=100)
    with WorkerSession(folder, ["replies"], scratch=scratch, limits=limits) as worker:
        worker.call("replies.labels", 1, timeout=120)  # started
        yield worker


class PeakRss:
    """Samples this process's RSS every millisecond while in use; ``growth`` is the peak over the start."""

    def __init__(self) -> None:
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.001)

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth(self) -> int:
        return self.peak - self.start


def test_grader_memory_stays_bounded_by_the_reply_cap(session: WorkerSession, scratch: Path) -> None:
    total = 40 * 8 * MIB  # 40 arrays of 8 MiB: 320 MiB against a 16 MiB cap
    with PeakRss() as rss, pytest.raises(ProtocolError, match=rf"more than {16 * MIB} bytes"):
        session.call("replies.many", 40, MIB, timeout=120)
    assert rss.growth < 48 * MIB, f"grader grew by {rss.growth / MIB:.0f} MiB for a refused {total / MIB:.0f} MiB reply"
    assert not any(Layout(scratch).exchange.iterdir())  # the refused reply's files are gone
    assert len(session.call("replies.many", 3, 1000, timeout=120).value) == 3  # a fresh worker answers


def test_many_tiny_arrays_are_refused(session: WorkerSession) -> None:
    with pytest.raises(ProtocolError, match="more than 100 arrays"):
        session.call("replies.tiny", 1000, timeout=120)
    assert len(session.call("replies.tiny", 100, timeout=120).value) == 100


def test_session_expect(session: WorkerSession) -> None:
    with pytest.raises(ProtocolError) as caught:
        session.call("replies.column", 5, timeout=60, expect=Returns(Array((5,), kinds="iu")))
    mismatch = mismatch_in(caught.value)
    assert mismatch is not None and mismatch.got == "one of shape (5, 1)"
    declared = Returns((Array((4, 10), kinds="f", forms=("tensor",)), Array((4,), kinds="b")))
    logits, flags = session.call("replies.pair", 4, timeout=60, expect=declared).value
    assert logits.shape == (4, 10) and flags.dtype == np.bool_
    assert mismatch_in(ProtocolError("unrelated")) is None


def make_context(session: WorkerSession) -> Context:
    spec = CheckSpec("replies", "declared", "a check with declared returns", fn=lambda ctx: None)
    return Context(spec=spec, worker=session, profile=ProfileConfig(), profile_name="test", timeout=60, judge=Judge())


def test_context_returns_fails_the_check_with_a_clear_message(session: WorkerSession) -> None:
    ctx = make_context(session)
    np.testing.assert_array_equal(ctx.call("replies.labels", 3, returns=Array((3,), kinds="iu")), [0, 1, 2])
    with pytest.raises(CheckFailed) as caught:
        ctx.call("replies.column", 3, returns=Array((3,), kinds="iu"))
    assert str(caught.value) == ("replies.column(...): the value returned should be a NumPy array or a tensor of "
                                 "shape (3,) with dtype kind 'i' or 'u', got one of shape (3, 1)")
    with pytest.raises(CheckFailed, match=r"replies\.pair\(\.\.\.\): item \[0\] .* got one of shape \(2, 10\)"):
        ctx.call("replies.pair", 2, returns=(Array((2, 3)), Array((2,))))
    # ``returns`` is the judge's: it never reaches the student's function.
    assert ctx.call("replies.echo", 1, returns=None, other=2) == ([1], {"other": 2})
    assert ctx.call("replies.echo", 1, returns=(list, dict)) == ([1], {})
