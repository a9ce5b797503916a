"""hw1 part 1: gradient descent, by hand, on a one-dimensional terrain.

Gradient descent finds a low point of a function by walking downhill: at every step it measures the slope
under its feet and moves against it, ``x <- x - lr * slope(x)``. The learning rate ``lr`` is the one knob:

* too small, and after 100 steps the walker has barely left the start;
* well chosen, and it settles at the bottom of a valley (not necessarily the deepest one: gradient descent
  only ever sees the ground under its feet);
* too large, and every step overshoots the valley, further each time, until the numbers blow up.

You will also compute slopes without calculus. The central difference ``(f(x + eps) - f(x - eps)) / (2 eps)``
approximates ``f'(x)`` with an error proportional to ``eps**2``, against ``eps`` for the one-sided
``(f(x + eps) - f(x)) / eps``. This *numerical gradient* is how every hand-written gradient in this homework
(and in real code) gets tested.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

# --- Given: the terrain ---------------------------------------------------------------------------------------

#: Where the walker starts: on the slope right of the shallow valley.
START = 2.0


def terrain(x: ArrayLike) -> np.ndarray:
    """Height of the terrain at ``x`` (elementwise): ``x**4 - 2 x**2 + x / 2``.

    Two valleys: a shallow one near ``x = 0.93`` (height about -0.5) and a deeper one near ``x = -1.06``
    (height about -1.5), separated by a hill near ``x = 0.13``.
    """
    x = np.asarray(x, dtype=np.float64)
    return x**4 - 2 * x**2 + 0.5 * x


def terrain_slope(x: ArrayLike) -> np.ndarray:
    """The derivative of :func:`terrain` at ``x`` (elementwise): ``4 x**3 - 4 x + 1/2``."""
    x = np.asarray(x, dtype=np.float64)
    return 4 * x**3 - 4 * x + 0.5


def bumpy_bowl(x: ArrayLike) -> float:
    """A scalar function of an array of any shape, to try :func:`numerical_gradient` on.

    ``sum(x**2 / 2 + sin(3 x))``; its exact gradient is ``x + 3 cos(3 x)`` (elementwise).
    """
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(0.5 * x**2 + np.sin(3 * x)))


# --- Your part ------------------------------------------------------------------------------------------------


def numerical_gradient(f: Callable[[np.ndarray], float], x: ArrayLike, eps: float = 1e-5) -> np.ndarray:
    """The gradient of the scalar function ``f`` at ``x``, by central differences.

    Args:
        f: takes an array shaped like ``x`` and returns one number.
        x: where to measure the gradient; an array of any shape (a number is an array of shape ``()``).
        eps: the half-width of each difference.

    Returns:
        A float64 array shaped like ``x`` whose entry ``i`` is ``(f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``,
        where ``e_i`` is 1 at entry ``i`` and 0 elsewhere. ``x`` itself is left unchanged.
    """
    raise NotImplementedError(
        "descent.numerical_gradient: nudge one entry of a float64 copy of x at a time, up and down by eps, "
        "and take the central difference"
    )


def gradient_descent(grad: Callable[[np.ndarray], np.ndarray], x0: ArrayLike, lr: float, steps: int) -> np.ndarray:
    """Run ``steps`` steps of gradient descent ``x <- x - lr * grad(x)`` from ``x0``.

    Args:
        grad: the gradient of the function to minimise; takes and returns arrays shaped like ``x0``.
        x0: the starting point (a number or an array).
        lr: the learning rate (step size).
        steps: how many steps to take.

    Returns:
        The trajectory: a float64 array of shape ``(steps + 1, *np.shape(x0))``; row 0 is ``x0`` and row
        ``t`` the point after ``t`` steps. Points that overflow are kept as they come (``inf`` or ``nan``).
    """
    raise NotImplementedError(
        "descent.gradient_descent: start from x0 and record every point: row 0 is x0, row t the point after t "
        "steps (use np.stack)"
    )


#: Three learning rates for 100 steps from START on the terrain: one that stops far from any valley, one that
#: settles in a valley, and one that diverges or keeps bouncing without settling.
# TODO: a dict {"too_small": lr, "good": lr, "too_large": lr} of three positive learning rates, each tried with
#       gradient_descent(terrain_slope, START, lr, 100)
STEP_SIZES: dict | None = None
