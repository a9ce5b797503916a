"""Hidden checks: how they are declared (:mod:`.spec`), what they can do (:mod:`.context`), and everything a check
module needs, in one import::

    from autograder.checks import Array, Context, Curve, check

A check's words: :func:`check` declares it, :class:`Context` is its interface to one submission, ``returns=``
takes :class:`Array`, :class:`ListOf` or :class:`DictOf`, a worker's object comes back as a :class:`Handle`, a
student's exception as :class:`StudentError`, and ``ctx.figure`` takes a plot kind (:class:`Curve`, :class:`Lines`,
:class:`Images`, :class:`Surface`, :class:`Confusion`). Files the student's code wrote are read with
:func:`read_npz` and :func:`read_checkpoint`, never ``np.load`` or ``torch.load``.
"""

from ..plots import Confusion, Curve, Images, Lines, Plot, Surface
from ..sandbox import Handle, StudentError
from ..sandbox.expect import Array, DictOf, ListOf
from .context import CheckFailed, Context
from .files import UnsafeFile, read_checkpoint, read_npz
from .spec import CheckSpec, check, checks_in, load_checks

__all__ = [
    "Array", "CheckFailed", "CheckSpec", "Confusion", "Context", "Curve", "DictOf", "Handle", "Images", "Lines",
    "ListOf", "Plot", "StudentError", "Surface", "UnsafeFile", "check", "checks_in", "load_checks", "read_checkpoint",
    "read_npz",
]
