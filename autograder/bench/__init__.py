"""``autograder bench``: where grading time goes, measured on the reference solution.

Speed goals live here, not in unit tests. One module per seam: :mod:`.worker` (start-up, call overhead, transfers),
:mod:`.grading` (one submission's time split, peak memory), :mod:`.throughput` (``-j 1`` against ``-j 2`` through
the batch path), :mod:`.epoch` (one training epoch against its FLOP bound), :mod:`.otter` (one check against
``otter run``), :mod:`.command` (the table and the JSON). :mod:`.probe` is the module the bench puts into the worker.
"""

from .command import bench, render

__all__ = ["bench", "render"]
