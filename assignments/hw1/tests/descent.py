# Public checks for hw1 part 1 (descent.py). Run them from the assignment folder with
#     otter check descent.py -q descent
# or, in the notebook, with grader.check("descent"). They are quick hints on tiny made-up functions, not your grade:
# the hidden grader runs other, stricter checks.
#
# Each case imports descent.py afresh from disk, so it always checks the file as you last saved it. A case stops at
# its first failed assertion, whose message says what was expected.
import importlib
import math

import numpy as np
from otter.test_files import test_case

OK_FORMAT = False

name = "descent"


@test_case(
    name="descent: numerical_gradient",
    points=1,
    hidden=False,
    failure_message=(
        "numerical_gradient(f, x, eps) must return a float64 array shaped like x (a number gives shape ()), whose "
        "entry i is (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), and must leave x unchanged."
    ),
)
def test_numerical_gradient() -> None:
    descent = importlib.reload(importlib.import_module("descent"))  # always test the file as it is on disk now
    # A quadratic with a known gradient: f(x) = sum(a * x**2 + c * x), so df/dx = 2 a x + c (elementwise).
    a = np.array([[1.0, 2.0, 0.5], [3.0, -1.0, 0.25]])
    c = np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -3.0]])

    def f(x):
        return float(np.sum(a * x**2 + c * x))

    x = np.array([[0.3, -1.2, 2.0], [1.0, 0.0, -0.7]])
    before = x.copy()
    grad = descent.numerical_gradient(f, x)
    assert isinstance(grad, np.ndarray), f"numerical_gradient returned a {type(grad).__name__}, not a numpy array"
    assert grad.shape == (2, 3), (
        f"the gradient of a function of a (2, 3) array must have shape (2, 3), not {grad.shape}")
    assert grad.dtype == np.float64, f"the gradient must be float64, not {grad.dtype}"
    assert np.array_equal(x, before), "numerical_gradient changed x: nudge a float64 copy, not the caller's array"
    expected = 2 * a * x + c
    assert np.allclose(grad, expected, rtol=1e-6, atol=1e-6), (
        f"for f(x) = sum(a x**2 + c x) the gradient is 2 a x + c = {expected.tolist()}, got {grad.tolist()}")
    # A number is an array of shape (): f(x) = x**3 at x = 2 has slope 12.
    g = descent.numerical_gradient(lambda t: float(t) ** 3, 2.0)
    assert np.shape(g) == (), f"the gradient at a number must have shape (), not {np.shape(g)}"
    assert abs(float(g) - 12.0) < 1e-6, f"d(x**3)/dx at x = 2 is 12, got {float(g)!r}"
    # Central, not one-sided: with eps = 0.1 the central difference of x**2 is still exact (2x), the one-sided is not.
    g = descent.numerical_gradient(lambda t: float(np.sum(t**2)), np.array([1.0, -2.0]), eps=0.1)
    assert np.allclose(g, [2.0, -4.0], atol=1e-9), (
        f"with eps = 0.1 the central difference of x**2 at [1, -2] is exactly [2, -4], got {np.asarray(g).tolist()} "
        "(a one-sided difference (f(x + eps) - f(x)) / eps gives [2.1, -3.9])")
    # Integer inputs: a step of eps must not be rounded away.
    g = descent.numerical_gradient(lambda t: float(np.sum(t**2)), np.array([1, 2, 3]))
    assert np.allclose(g, [2.0, 4.0, 6.0], atol=1e-5), (
        f"for an integer array [1, 2, 3] the gradient of sum(x**2) is [2, 4, 6], got {np.asarray(g).tolist()} "
        "(work on a float64 copy of x)")


@test_case(
    name="descent: gradient_descent",
    points=1,
    hidden=False,
    failure_message=(
        "gradient_descent(grad, x0, lr, steps) must return the whole trajectory: a float64 array of shape "
        "(steps + 1, *np.shape(x0)) whose row 0 is x0 and row t the point after t steps of x <- x - lr * grad(x)."
    ),
)
def test_gradient_descent() -> None:
    descent = importlib.reload(importlib.import_module("descent"))
    # On the parabola f(x) = x**2 (slope 2x) with lr = 0.1, every step multiplies x by 0.8: x_t = 0.8**t.
    path = descent.gradient_descent(lambda x: 2 * x, 1.0, 0.1, 5)
    assert isinstance(path, np.ndarray), f"gradient_descent returned a {type(path).__name__}, not a numpy array"
    assert path.shape == (6,), f"5 steps from a number give a trajectory of shape (6,), not {path.shape}"
    assert path.dtype == np.float64, f"the trajectory must be float64, not {path.dtype}"
    assert path[0] == 1.0, f"row 0 of the trajectory must be x0 = 1.0, got {path[0]!r}"
    assert math.isclose(path[1], 0.8, rel_tol=1e-12), (
        f"one step from x = 1 on x**2 with lr = 0.1 goes to 1 - 0.1 * 2 = 0.8, got {path[1]!r}"
        + (" (a step up the slope, not down it?)" if math.isclose(path[1], 1.2) else ""))
    expected = 0.8 ** np.arange(6)
    assert np.allclose(path, expected, rtol=1e-12), (
        f"on x**2 with lr = 0.1 from 1.0 the trajectory is 0.8**t = {np.round(expected, 5).tolist()}, "
        f"got {np.round(path, 5).tolist()} (record a new array for every step, not the same one updated in place)")
    # Arrays: x0 of shape (2,) and 3 steps give shape (4, 2); each entry descends on its own parabola.
    x0 = np.array([1.0, -2.0])
    path = descent.gradient_descent(lambda x: np.array([2.0, 4.0]) * x, x0, 0.25, 3)
    assert np.shape(path) == (4, 2), (
        f"3 steps from an x0 of shape (2,) give a trajectory of shape (4, 2), not {np.shape(path)}")
    assert np.array_equal(x0, [1.0, -2.0]), "gradient_descent changed x0: start from a copy"
    expected = np.stack([np.array([1.0, -2.0]) * np.array([0.5, 0.0]) ** t for t in range(4)])
    assert np.allclose(path, expected), f"expected the trajectory {expected.tolist()}, got {np.asarray(path).tolist()}"
    # Zero steps: just the start.
    path = descent.gradient_descent(lambda x: 2 * x, 3.0, 0.1, 0)
    assert np.shape(path) == (1,) and path[0] == 3.0, f"0 steps give the trajectory [x0] = [3.0], got {path!r}"


@test_case(
    name="descent: STEP_SIZES",
    points=1,
    hidden=False,
    failure_message=(
        "Set STEP_SIZES to {'too_small': lr, 'good': lr, 'too_large': lr}: three positive learning rates, "
        "too_small < good < too_large, where 100 steps from START with 'good' settle at the bottom of a valley."
    ),
)
def test_step_sizes() -> None:
    descent = importlib.reload(importlib.import_module("descent"))
    sizes = descent.STEP_SIZES
    assert isinstance(sizes, dict), f"STEP_SIZES is a {type(sizes).__name__}, not a dict"
    keys = ["good", "too_large", "too_small"]
    assert sorted(sizes) == keys, f"STEP_SIZES must have exactly the keys {keys}, got {sorted(sizes)}"
    for key in keys:
        lr = sizes[key]
        assert isinstance(lr, (int, float)) and not isinstance(lr, bool) and math.isfinite(lr) and lr > 0, (
            f"STEP_SIZES[{key!r}] must be a positive number, got {lr!r}")
    assert sizes["too_small"] < sizes["good"] < sizes["too_large"], (
        f"expected too_small < good < too_large, got {sizes}")
    # The good one, tried with a descent of our own (not yours): it must end still, at a valley bottom.
    x = float(descent.START)
    for _ in range(100):
        previous, x = x, x - sizes["good"] * (4 * x**3 - 4 * x + 0.5)
        if not math.isfinite(x) or abs(x) > 1e6:
            break
    bottoms = (0.9304, -1.0575)  # where the terrain's slope 4 x**3 - 4 x + 1/2 is zero, in the two valleys
    assert math.isfinite(x) and min(abs(x - v) for v in bottoms) < 1e-3 and abs(x - previous) < 1e-4, (
        f"with STEP_SIZES['good'] = {sizes['good']:g}, 100 steps from START end at x = {x:.4g}, "
        "not at rest at the bottom of a valley (x = 0.93 or x = -1.06)")
