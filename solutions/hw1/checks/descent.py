"""Hidden checks for ``descent.py``: the numerical gradient, the descent loop, the three step sizes.

The judge keeps its own copy of the given terrain (a student's edited copy cannot move the goal posts) and
runs its own descent with the student's learning rates, so a wrong ``gradient_descent`` costs its own check
only.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograder.checks import Array, Context, Curve, Handle, Surface, check

# --- the judge's copy of the given terrain (descent.py: terrain, terrain_slope, START, bumpy_bowl) ------------
START = 2.0
STEPS = 100
VALLEYS = (-1.0574537707383780, 0.9304029265558516)  # the roots of 4x^3 - 4x + 1/2 with a positive curvature


#: ``x^4 - 2 x^2 + x / 2``, the given terrain, and ``4 x^3 - 4 x + 1/2``, its slope, as polynomial coefficients
#: (highest power first).
TERRAIN = (1.0, 0.0, -2.0, 0.5, 0.0)
SLOPE = (4.0, 0.0, -4.0, 0.5)


def terrain_slope(x: np.ndarray) -> np.ndarray:
    return np.polyval(SLOPE, x)


def bumpy_bowl_gradient(x: np.ndarray) -> np.ndarray:
    """The exact gradient of ``sum(x**2 / 2 + sin(3 x))``."""
    return x + 3 * np.cos(3 * x)


# Central differences with eps = 1e-5 are off by ~eps^2 |f'''| / 6 plus rounding, under 1e-9 here; the one-sided
# difference is off by ~eps |f''| / 2, up to 5e-5 on these points.
GRADIENT_ATOL = 1e-7

NEAR_VALLEY = 0.01  # settled: within this of a valley bottom ...
STILL = 1e-3  # ... and the last step moved less than this
FAR_FROM_VALLEY = 0.1  # too small: the walker ends at least this far from every valley bottom
BLOWN_UP = 100.0  # diverged: |x| passed this (the terrain's valleys lie within |x| < 1.1)


def _handle(ctx: Context, target: str) -> Handle:
    """A given function of the student's module, kept in the worker, to be passed back as an argument."""
    function = ctx.get(target)
    ctx.expect(isinstance(function, Handle), f"{target} should be the given function, got {type(function).__name__}")
    return function


@check("descent", "numerical_gradient", "numerical_gradient: central differences on arrays of several shapes")
def numerical_gradient(ctx: Context) -> None:
    bowl = _handle(ctx, "descent.bumpy_bowl")
    for shape in ((), (5,), (3, 4)):
        x = ctx.rng.uniform(-2.0, 2.0, size=shape)
        got = ctx.call("descent.numerical_gradient", bowl, x, returns=Array(shape, kinds="f"))
        ctx.expect_close(got, bumpy_bowl_gradient(x), what=f"numerical_gradient(bumpy_bowl, x) for x of shape {shape}",
                         rtol=0.0, atol=GRADIENT_ATOL)
    x = ctx.rng.uniform(-2.0, 2.0, size=4)
    got = ctx.call("descent.numerical_gradient", bowl, x, eps=1e-3, returns=Array((4,), kinds="f"))
    want = (np.sin(3 * (x + 1e-3)) - np.sin(3 * (x - 1e-3))) / 2e-3 + x  # the central difference with eps=1e-3
    ctx.expect_close(got, want, what="numerical_gradient(bumpy_bowl, x, eps=1e-3)", rtol=0.0, atol=1e-9)


def _trajectory(x0: Any, lr: float, steps: int) -> np.ndarray:
    """The judge's own gradient descent on the terrain; stops early once the walker has blown up."""
    x = np.array(x0, dtype=np.float64)
    points = [x]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            x = x - lr * terrain_slope(x)
            points.append(x)
            if not np.all(np.isfinite(x)) or np.any(np.abs(x) > 1e12):
                break
    return np.stack(points)


# --- figures: walks drawn over the terrain ------------------------------------------------------------------------
SHOWN = (-1.6, 2.2)  # the positions drawn: both valleys, the hill between them and START
CEILING = 3.0  # heights above this share the top colour, so that the colours resolve the valleys
WALK_CAPTION = (f"Colour: the terrain's height (the two valleys are the dark bands; heights above {CEILING:g} share "
                f"the top colour). A line that leaves the frame is a walker flung off the terrain.")


def _walk(label: str, path: np.ndarray, reference: bool = False) -> Curve:
    """A trajectory as a path over :func:`_terrain`: position against step, up to its first point off the frame
    (kept, pinned just past the edge, so the line leaves the frame instead of stopping short of it)."""
    low, high = SHOWN
    x = np.asarray(path, dtype=float).reshape(-1)
    off = ~(np.isfinite(x) & (x >= low) & (x <= high))
    if off.any():
        x = x[: int(np.argmax(off)) + 1]
    margin = high - low
    x = np.clip(np.nan_to_num(x, nan=high + margin, posinf=high + margin, neginf=low - margin),
                low - margin, high + margin)
    return Curve(label, x, np.arange(len(x)), reference=reference)


def _terrain(title: str, walks: list[Curve], steps: int, caption: str) -> Surface:
    """The terrain's height seen from above, the same at every step, with ``walks`` (from :func:`_walk`) over it; the
    band above the last step leaves room for the legend."""
    x = np.linspace(*SHOWN, 200)
    y = np.array([-0.05 * steps, 1.5 * steps])
    height = np.minimum(np.polyval(TERRAIN, x), CEILING)
    return Surface(title, x, y, np.tile(height, (len(y), 1)), walks, xlabel="position x", ylabel="step",
                   caption=caption)


@check("descent", "gradient_descent", "gradient_descent: the whole trajectory, from x0, for numbers and arrays")
def gradient_descent(ctx: Context) -> None:
    slope = _handle(ctx, "descent.terrain_slope")
    cases = [(START, 0.01, 25), (float(ctx.rng.uniform(-2, 2)), 0.05, 10),
             (ctx.rng.uniform(-1.5, 1.5, (2, 3)), 0.02, 7)]
    for i, (x0, lr, steps) in enumerate(cases):
        shape = (steps + 1, *np.shape(x0))
        got = ctx.call("descent.gradient_descent", slope, x0, lr, steps, returns=Array(shape, kinds="f"))
        if i == 0:  # from the public START only: the other cases' inputs stay hidden
            ctx.figure(_terrain(f"gradient_descent(terrain_slope, {START:g}, lr={lr:g}, steps={steps})",
                                [_walk("yours", got), _walk("expected", _trajectory(x0, lr, steps), reference=True)],
                                steps, WALK_CAPTION))
        ctx.expect_close(got[0], x0, what="the first row of the trajectory (it should be x0)", rtol=0.0, atol=0.0)
        ctx.expect_close(got, _trajectory(x0, lr, steps),
                         what=f"gradient_descent(terrain_slope, x0, lr={lr}, steps={steps})", rtol=1e-9, atol=1e-12)


def _behaviour(path: np.ndarray) -> tuple[str, str]:
    """How ``path``, the judge's 100 steps from START, ends: ``(kind, description)``, kind one of
    ``"crawled"`` (monotone, still far from every valley), ``"settled"`` (at a valley bottom, no longer moving),
    ``"diverged"``, ``"bounced"`` (overshooting back and forth without settling), or ``"other"``."""
    final = float(path[-1])
    if not np.all(np.isfinite(path)) or np.max(np.abs(path)) > BLOWN_UP:
        first = int(np.argmax(~np.isfinite(path) | (np.abs(np.nan_to_num(path, nan=np.inf)) > BLOWN_UP)))
        return "diverged", f"diverged (|x| > {BLOWN_UP:g} after {first} steps)"
    distance = min(abs(final - v) for v in VALLEYS)
    steps = np.diff(path)
    last_step = abs(float(steps[-1]))
    if distance <= NEAR_VALLEY and last_step < STILL:
        return "settled", f"settled at x = {final:.4f}, a valley bottom"
    if np.all(steps <= 0) or np.all(steps >= 0):
        if distance >= FAR_FROM_VALLEY:
            return "crawled", f"crawled to x = {final:.4f}, {distance:.2f} from the nearest valley bottom"
        return "other", f"stopped at x = {final:.4f}, near a valley ({distance:.3f} from its bottom) but still moving"
    if np.any(np.sign(steps[-20:-1]) * np.sign(steps[-19:]) < 0):
        return "bounced", f"is still bouncing after {STEPS} steps (ends at x = {final:.4f})"
    return "other", (f"ended at x = {final:.4f} ({distance:.3f} from the nearest valley bottom, "
                     f"last step {last_step:.2g})")


WANTED = {
    "too_small": (("crawled",), "stop far from any valley, moving steadily downhill"),
    "good": (("settled",), "settle at the bottom of a valley"),
    "too_large": (("diverged", "bounced"), "diverge or keep bouncing without settling"),
}


def _positive(lr: Any) -> bool:
    """``lr`` is a finite positive number (not a bool)."""
    return not isinstance(lr, bool) and isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0


@check("descent", "step_sizes", "STEP_SIZES: too small, good and too large learning rates, tried by the judge")
def step_sizes(ctx: Context) -> None:
    sizes = ctx.get("descent.STEP_SIZES")
    if sizes is None:  # not chosen yet: a starter reports the NotImplementedError of the descent still to write
        ctx.call("descent.gradient_descent", _handle(ctx, "descent.terrain_slope"), START, 0.01, 1)
        ctx.fail("STEP_SIZES is not set (it is None): put your three learning rates there")
    ctx.expect_type(sizes, dict, "STEP_SIZES")
    ctx.expect(set(sizes) == set(WANTED),
               f"STEP_SIZES should have exactly the keys {sorted(WANTED)}, got {sorted(sizes)}")
    paths = {key: _trajectory(START, float(lr), STEPS) for key, lr in sizes.items() if _positive(lr)}
    ctx.figure(_terrain(f"Your STEP_SIZES: {STEPS} steps from x = {START:g}",
                        [_walk(f"{key}: lr = {sizes[key]:g}", paths[key]) for key in WANTED if key in paths], STEPS,
                        "The judge's own gradient descent with each of your learning rates. " + WALK_CAPTION))
    problems = []
    for key, (kinds, wanted) in WANTED.items():
        lr = sizes[key]
        if key not in paths:
            problems.append(f"STEP_SIZES[{key!r}] should be a positive number, got {lr!r}")
            continue
        kind, description = _behaviour(paths[key])
        ctx.note(f"{key} = {lr:g}: from x = {START:g}, 100 steps {description}")
        if kind not in kinds:
            problems.append(f"STEP_SIZES[{key!r}] = {lr:g} should {wanted}, "
                            f"but from x = {START:g} 100 steps {description}")
    if problems:
        ctx.fail("; ".join(problems))
