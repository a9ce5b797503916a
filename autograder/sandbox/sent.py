"""Arrays sent once per worker: the judge's read-only data crosses the exchange folder a single time.

The same held-out set goes to many calls of a submission (and the same training set to every fit). Writing it to
the exchange folder for every call copies it each time; instead, the grader keeps the ``.npy`` file of a large
array whose memory cannot change (it and its base are read-only: the judge's preloaded data sets,
:func:`~autograder.data.registry.preload`) and sends its name again. The worker maps the file copy-on-write
(:class:`~.exchange.Exchange` with ``map_copy``), so a student's function that changes its input in place changes
only its own private copy, and the next call sees the judge's array again.

Per worker process: the exchange folder is cleared whenever a worker stops, and so is this table
(:meth:`SentArrays.clear`). Grader-side only; never loaded in the worker.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MIN_BYTES", "SentArrays"]

MIN_BYTES = 1 << 20
"""Smaller arrays are written for each call (cheap, and not worth a file kept in the worker's folder)."""

_Key = tuple[int, tuple[int, ...], tuple[int, ...], str]


def _frozen(array: np.ndarray) -> bool:
    """Whether nothing can write ``array``'s memory through NumPy: it and every array it views are read-only."""
    node: object = array
    while isinstance(node, np.ndarray):
        if node.flags.writeable:
            return False
        node = node.base
    return True


class SentArrays:
    """Exchange files kept for read-only arrays already sent to the current worker, by memory, shape and dtype."""

    def __init__(self, min_bytes: int = MIN_BYTES) -> None:
        self.min_bytes = min_bytes
        self._files: dict[_Key, tuple[np.ndarray, str]] = {}  # the array is kept so its address is not reused

    def _key(self, array: np.ndarray) -> _Key | None:
        if type(array) is not np.ndarray or array.nbytes < self.min_bytes or not _frozen(array):
            return None
        return (array.__array_interface__["data"][0], array.shape, array.strides, array.dtype.str)

    def name_of(self, array: np.ndarray) -> str | None:
        """The exchange file already holding ``array``, if it was sent to this worker before."""
        key = self._key(array)
        entry = self._files.get(key) if key is not None else None
        return entry[1] if entry is not None else None

    def keep(self, array: np.ndarray, name: str) -> bool:
        """Remember that ``name`` holds ``array``; ``False`` if the array may change (the file is not kept)."""
        key = self._key(array)
        if key is None:
            return False
        self._files[key] = (array, name)
        return True

    def clear(self) -> None:
        """Forget every file (the worker stopped and its exchange folder was cleared)."""
        self._files.clear()

    def __len__(self) -> int:
        return len(self._files)
