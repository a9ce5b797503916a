"""A process of the judge's own that draws a whole batch's figures, so that matplotlib does not hold the judge's GIL.

Drawing is most of the judge's own CPU per submission (0.33 of 0.54 s for hw2's penguins task on a 2-core
machine). Jobs graded side by side are threads of one judge process, so whatever they run in Python takes turns
on one core: with many jobs on a large machine, the figures alone would cap the class at a few submissions a
second. In a process of their own they cost the judge only the pickling of the plot.

The process is ``python -m autograder.results.figure_process``, started by a batch before its first worker
(:meth:`FigureProcess.start`, which draws one figure of each kind to load all it needs), or on the first figure
otherwise, and again after it died or was killed for being too slow: a fresh interpreter
that imports only the drawing code (not ``multiprocessing``, whose ``spawn`` would run the caller's main script
again in the child). It reads ``(id, plot)`` pickles on stdin and answers ``(id, figure or error message)``
pickles on stdout, one figure at a time. In the judge, :meth:`FigureProcess.submit` only pickles the plot and
queues it (a check never waits for the process), a writer thread sends the queue, and a reader thread resolves
each figure's future as its answer comes. Both ends are the judge's own code: the plots hold plain data the
checks made from student answers, already decoded. If the
process dies (a figure too large for its memory), the figures it had fail like any figure that cannot be drawn,
and the next figure starts a new process.
"""

from __future__ import annotations

import logging
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import IO, Any

from ..plots import Confusion, Curve, Images, Lines, Plot, Surface
from .drawing import draw
from .records import RenderedFigure

__all__ = ["FigureProcess"]

log = logging.getLogger(__name__)

_HEADER = struct.Struct("!QQ")  # a message: the figure's id and the length of the pickle that follows
WARM_UP_S = 120.0


def warm_up_plots() -> list[Plot]:
    """One small figure of each kind: drawing them loads everything drawing needs."""
    curve = Curve("warm-up", [0.0, 1.0], [1.0, 0.0])
    grid = [[0.0, 1.0], [1.0, 0.0]]
    return [Lines("warm-up", [curve], log_y=True), Images("warm-up", [grid]), Confusion("warm-up", ["a", "b"], grid),
            Surface("warm-up", [0.0, 1.0], [0.0, 1.0], grid, paths=[curve])]


@dataclass(eq=False)
class _Drawer:
    """One drawing process, the queue of requests its writer thread sends, and the thread that reads its answers."""

    process: subprocess.Popen[bytes]
    requests: queue.SimpleQueue[tuple[int, bytes] | None]  # (id, pickled plot); None: no more
    reader: threading.Thread


class FigureProcess:
    """Draws figures in a separate process (see the module docstring); thread-safe; use as a context manager."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the drawer, the next id and the figures in flight
        self._drawer: _Drawer | None = None
        self._pending: dict[int, tuple[subprocess.Popen[bytes], Future[RenderedFigure]]] = {}  # id: (process, ...)
        self._next_id = 0
        self._closed = False

    def __enter__(self) -> FigureProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, timeout: float = WARM_UP_S) -> bool:
        """Start the drawing process now and have it draw one figure of each kind, so that everything it imports
        (matplotlib, its fonts) is loaded before the first worker starts: no worker can then stand in the way of those
        files being opened. Whether the warm-up figures came back within ``timeout`` (if not, the process is killed
        and the next figure starts another)."""
        futures = [self.submit(plot) for plot in warm_up_plots()]
        try:
            for future in futures:
                future.result(timeout=timeout)
        except (FutureTimeout, RuntimeError) as exc:
            log.warning("the figure drawing process did not warm up within %g s (%s)", timeout, exc or "timed out")
            self.kill()
            return False
        return True

    def kill(self) -> None:
        """Kill the drawing process (hung, or too slow): the figures it had fail, the next figure starts another."""
        with self._lock:
            drawer, self._drawer = self._drawer, None  # the next figure starts another at once
        if drawer is not None and drawer.process.poll() is None:
            drawer.process.kill()

    def submit(self, plot: Plot) -> Future[RenderedFigure]:
        """Draw ``plot`` in the drawing process (started, or started again after it died, as needed). The plot is
        pickled at once (it may change afterwards); the caller never waits for the process."""
        future: Future[RenderedFigure] = Future()
        pickled = pickle.dumps(plot, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            if self._closed:
                raise RuntimeError("the figure process is closed")
            drawer = self._drawer
            if drawer is None or drawer.process.poll() is not None:
                drawer = self._drawer = self._start()
            self._next_id += 1
            self._pending[self._next_id] = (drawer.process, future)
            drawer.requests.put((self._next_id, pickled))
        return future

    def close(self) -> None:
        """Wait for the figures asked for, then let the process end (idempotent)."""
        with self._lock:
            self._closed = True
            drawer = self._drawer
        if drawer is not None:
            drawer.requests.put(None)  # after the last figure: stdin is closed, the process draws it and exits
            drawer.reader.join()

    def _start(self) -> _Drawer:
        """Start a drawing process and its two threads (called with ``_lock`` held)."""
        process = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        requests: queue.SimpleQueue[tuple[int, bytes] | None] = queue.SimpleQueue()
        writer = threading.Thread(target=_write, args=(process, requests), name="figure-writer", daemon=True)
        reader = threading.Thread(target=self._read, args=(process, requests), name="figure-reader", daemon=True)
        writer.start()
        reader.start()
        return _Drawer(process, requests, reader)

    def _read(self, process: subprocess.Popen[bytes], requests: queue.SimpleQueue[tuple[int, bytes] | None]) -> None:
        """Resolve each figure's future as its answer comes; when the process ends, fail whatever it still had."""
        stdout = process.stdout
        assert stdout is not None
        while (answer := _receive(stdout)) is not None:
            figure_id, value = answer
            with self._lock:
                _, future = self._pending.pop(figure_id, (None, None))
            if future is None:
                continue
            if isinstance(value, RenderedFigure):
                future.set_result(value)
            else:
                future.set_exception(RuntimeError(str(value)))
        code = process.wait()
        with self._lock:  # from now on submit() starts a new process (poll() is not None), so none is added here
            lost = [future for owner, future in self._pending.values() if owner is process]
            self._pending = {key: item for key, item in self._pending.items() if item[0] is not process}
        if lost:
            log.warning("the figure drawing process ended (code %s) with %d figure(s) undrawn", code, len(lost))
        for future in lost:
            future.set_exception(RuntimeError(f"the figure drawing process ended with code {code}"))
        requests.put(None)  # the writer stops too


def _write(process: subprocess.Popen[bytes], requests: queue.SimpleQueue[tuple[int, bytes] | None]) -> None:
    """Send the requests in order; once the process cannot take them, the reader fails what is in flight."""
    stdin = process.stdin
    assert stdin is not None
    broken = False
    while (request := requests.get()) is not None:
        if broken:
            continue
        try:
            _send(stdin, *request)
        except OSError:  # it died; its figures are failed by the reader (the ones below too, see _read)
            broken = True
    try:
        stdin.close()
    except OSError:
        pass


def _send(stream: IO[bytes], figure_id: int, pickled: bytes) -> None:
    stream.write(_HEADER.pack(figure_id, len(pickled)))
    stream.write(pickled)
    stream.flush()


def _receive(stream: IO[bytes]) -> tuple[int, Any] | None:
    """The next ``(id, object)`` on ``stream``, or ``None`` at its end (or where it was cut off)."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    figure_id, length = _HEADER.unpack(header)
    body = stream.read(length)
    if len(body) < length:
        return None
    return figure_id, pickle.loads(body)  # noqa: S301 - written by the judge's own code at the other end


def main() -> None:
    """The drawing process: draw each plot read on stdin and answer on stdout, until stdin ends."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the judge, which then closes our stdin
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print (a library's warning) must not corrupt the answers
    while (request := _receive(requests)) is not None:
        figure_id, plot = request
        try:
            value: Any = draw(plot)
        except Exception as exc:  # reported to the judge, which logs it and leaves the figure out
            value = f"{type(exc).__name__}: {exc}"
        _send(answers, figure_id, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))


if __name__ == "__main__":
    main()
