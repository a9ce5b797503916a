# %% [markdown]
# # HW1: Gradient descent and an MLP from scratch
#
# This homework builds learning from the ground up, with nothing but NumPy. It has three parts. Each part is a
# Python module in this folder, and **your code goes in the modules**, not in this notebook:
#
# {{ points_table }}
#
# ## How to work
#
# * Open a module in an editor, replace each `raise NotImplementedError` with your code (and each constant that is
#   still `None` with your choice), save. Do not change the names or signatures of the functions: the grader calls
#   them.
# * This notebook imports your modules, runs the experiments and draws the plots. Thanks to `%autoreload`,
#   a saved change to a module is picked up by the next cell you run; no need to restart the kernel.
# * `grader.check("descent")` (and so on) runs the **public checks** of a part: quick tests on tiny made-up data
#   that catch common mistakes. They are hints, not your grade. The real grade comes from hidden checks that
#   run your modules in a separate process, with time limits, on held-out data.
# * To submit, run `python submit.py` (or the last cell of this notebook) and upload `hw1-submission.zip` to
#   Gradescope. Only the three modules are submitted: anything you do in this notebook is for you.
#
# See `README.md` for the details.

# %%
# %matplotlib inline
# %load_ext autoreload
# %autoreload 2

# %%
import os
import tempfile

import numpy as np
import matplotlib.pyplot as plt

import otter

grader = otter.Notebook(tests_dir="tests")

import descent
import linreg
import numpy_mlp

# %% [markdown]
# ---
# ## Part 1: Gradient descent on a terrain (`descent.py`, {{ points:descent }} points)
#
# **The terrain game.** A creature stands on a hilly, one-dimensional landscape in thick fog. It cannot see the
# valleys; all it can feel is the slope of the ground under its feet. To get low, it takes a step downhill, feels
# the slope again, takes another step, and so on:
#
# $$x \leftarrow x - \text{lr} \cdot \text{slope}(x)$$
#
# This is **gradient descent**, and it is how almost every model in machine learning is trained: the position is
# the model's parameters, the height is the **loss** (how wrong the model is on the training data), and the slope
# is the gradient of the loss. Learning *is* walking downhill on the loss.
#
# The **learning rate** `lr` is the size of the steps. Too small, and the creature has barely moved after 100
# steps. Well chosen, and it settles at the bottom of a valley: not necessarily the deepest one, because it only
# ever knows the ground under its feet. Too large, and each step overshoots the valley, further every time, until
# the creature is flung off the map.
#
# Our terrain is `terrain(x) = x**4 - 2 x**2 + x / 2`: a shallow valley near `x = 0.93`, a deeper one near
# `x = -1.06`, and a hill between them. The creature starts at `START = 2`. Its exact slope is given
# (`terrain_slope`), but in real problems nobody hands you the derivative, and a derivative you work out by hand
# may be wrong. The **numerical gradient** measures the slope by trying: for each entry `i` of `x`,
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon},$$
#
# where `e_i` is 1 at entry `i` and 0 elsewhere. It costs two evaluations of `f` per entry (far too slow to train
# with), but it is the standard way to **test** a hand-written gradient, as you will do in Parts 2 and 3.
#
# **Your tasks** in `descent.py`:
#
# 1. `numerical_gradient(f, x, eps=1e-5)`: the central-difference gradient of the scalar function `f` at `x` (an
#    array of any shape, or a number), as a float64 array shaped like `x`. Leave `x` itself unchanged.
# 2. `gradient_descent(grad, x0, lr, steps)`: run `steps` steps from `x0` and return the whole trajectory, an
#    array of shape `(steps + 1, *np.shape(x0))` whose row 0 is `x0`.
# 3. `STEP_SIZES`: three learning rates for 100 steps from `START` on the terrain: `"too_small"` (stops far from any
#    valley), `"good"` (settles at the bottom of a valley) and `"too_large"` (diverges or keeps bouncing).

# %%
# The numerical gradient against the exact one: bumpy_bowl's gradient is x + 3 cos(3 x).
x = np.array([[0.5, -1.0, 2.0], [0.0, 1.5, -0.3]])
numeric = descent.numerical_gradient(descent.bumpy_bowl, x)
exact = x + 3 * np.cos(3 * x)
print("numerical gradient:\n", numeric)
print("largest difference from the exact gradient:", np.max(np.abs(numeric - exact)))

# %%
# How the error of the slope depends on eps: central differences against one-sided ones, at x = 1.5 on the terrain.
x0 = 1.5
exact_slope = float(descent.terrain_slope(x0))
epsilons = np.logspace(-10, -1, 19)
central = [abs(float(descent.numerical_gradient(descent.terrain, x0, eps)) - exact_slope) for eps in epsilons]
one_sided = [abs((float(descent.terrain(x0 + eps)) - float(descent.terrain(x0))) / eps - exact_slope)
             for eps in epsilons]
plt.loglog(epsilons, one_sided, "o-", label="one-sided (f(x + eps) - f(x)) / eps")
plt.loglog(epsilons, central, "o-", label="central (f(x + eps) - f(x - eps)) / (2 eps)")
plt.xlabel("eps")
plt.ylabel("error of the slope")
plt.legend()
plt.show()

# %% [markdown]
# **Think about it** (not graded): for large `eps`, the one-sided error falls like `eps` and the central one like
# `eps**2`; why? Why do both errors grow again when `eps` gets very small? (Hint: a float64 holds about 16
# significant digits, and `f(x + eps) - f(x - eps)` subtracts two nearly equal numbers.)


# %%
def plot_descents(step_sizes, steps=100):
    """The terrain with the trajectory of each learning rate (left), and the position after every step (right)."""
    grid = np.linspace(-1.8, 2.2, 400)
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4))
    left.plot(grid, descent.terrain(grid), color="0.6", lw=2, label="terrain")
    for (name, lr), color in zip(step_sizes.items(), ["C0", "C2", "C3"], strict=False):
        path = descent.gradient_descent(descent.terrain_slope, descent.START, lr, steps)
        with np.errstate(invalid="ignore"):
            on_map = np.isfinite(path) & (np.abs(path) <= 2.2)
        left_at = int(np.argmin(on_map)) if not on_map.all() else None
        shown = path[: left_at] if left_at is not None else path
        label = f"{name}: lr = {lr:g}" + (f" (off the map after {left_at} steps)" if left_at is not None else "")
        left.plot(shown, descent.terrain(shown), "o-", ms=3, lw=1, color=color, label=label)
        right.plot(np.arange(len(shown)), shown, "o-", ms=3, lw=1, color=color, label=f"{name}: lr = {lr:g}")
    left.plot([descent.START], [descent.terrain(descent.START)], "k*", ms=14, label="start")
    left.set_xlabel("x")
    left.set_ylabel("height")
    left.set_xlim(-1.9, 2.3)
    left.set_ylim(-2, 10)
    left.legend(fontsize=8)
    right.set_xlabel("step")
    right.set_ylabel("x")
    right.set_ylim(-2.2, 2.2)
    right.legend(fontsize=8)
    plt.show()


# Try a few learning rates of your own first, e.g.
# plot_descents({"a": 0.001, "b": 0.01, "c": 0.1})

# %% [markdown]
# **Experiment**: call `plot_descents` with learning rates of your own (a dict of names to learning rates), from
# `1e-5` to `1`. Which valley does the creature end up in, and why not always the deeper one? When you have found a
# learning rate of each kind, write them into `STEP_SIZES` in `descent.py` and run the next cell.

# %%
if not isinstance(descent.STEP_SIZES, dict):
    print("Fill in STEP_SIZES in descent.py first.")
else:
    plot_descents(descent.STEP_SIZES)
    for name, lr in descent.STEP_SIZES.items():
        path = descent.gradient_descent(descent.terrain_slope, descent.START, lr, 100)
        print(f"{name:9s} lr = {lr:<8g} after 100 steps: x = {path[-1]:.4g}")

# %%
grader.check("descent")

# %% [markdown]
# ---
# ## Part 2: Linear regression by mini-batch SGD (`linreg.py`, {{ points:linreg }} points)
#
# Now the terrain is a real loss. We predict tomorrow's mean temperature in Cleveland (degrees F) from the mean
# temperatures of 24 US cities on each of the last five days (120 features), with a linear model
# `X @ w + b`. The loss is the **mean squared error** on the training days (1995-2008), and the position on the
# terrain is `(w, b)`: 121 numbers instead of one.
#
# This problem has an exact answer, least squares (`np.linalg.lstsq`), which makes it the perfect place to see
# that gradient descent works: it should reach (almost) the same validation error. Two things are new:
#
# * **Mini-batch SGD.** Each step uses the gradient on a small random batch of rows, a noisy but cheap estimate of
#   the full gradient. One **epoch** is one pass over the training rows, shuffled anew each time.
# * **Standardising.** Raw temperatures are around 50, and the 120 columns are strongly correlated: the loss is a
#   long, narrow valley, thousands of times steeper across than along. A learning rate small enough not to diverge
#   across the valley crawls along it. After subtracting each column's mean and dividing by its standard
#   deviation, one learning rate suits every direction far better. Your fit standardises inside, and converts the
#   weights back so that they act on the raw features.
#
# **Your tasks** in `linreg.py`:
#
# 1. `mse_loss_and_grads(w, b, X, y)`: the loss `mean((X @ w + b - y) ** 2)` and its gradients `dw` (shape
#    `(d,)`) and `db`. Test them with your `numerical_gradient` below.
# 2. `fit_linear_gd(X, y, *, lr, epochs, batch_size, seed=0)`: standardise, start from zero, run mini-batch SGD;
#    return raw-feature weights `w, b` and the training RMSE after every epoch.

# %%
temps = linreg.load_data()
print("train", temps.train.X.shape, "validation", temps.val.X.shape, "test", temps.test.X.shape)
print("first features:", temps.feature_names[:5])

# The exact answer: least squares with an intercept column.
ones = np.ones((len(temps.train.X), 1))
solution, *_ = np.linalg.lstsq(np.hstack([temps.train.X, ones]), temps.train.y, rcond=None)
w_exact, b_exact = solution[:-1], solution[-1]
lstsq_train = linreg.rmse(temps.train.y, temps.train.X @ w_exact + b_exact)
lstsq_val = linreg.rmse(temps.val.y, temps.val.X @ w_exact + b_exact)
print(f"least squares: training RMSE {lstsq_train:.3f} F, validation RMSE {lstsq_val:.3f} F")

# %%
# Your gradients against the numerical gradient, on a few rows and a random (w, b).
rng = np.random.default_rng(0)
X_small, y_small = temps.train.X[:20, :6], temps.train.y[:20]
w_try, b_try = rng.normal(size=6), 1.5
loss, dw, db = linreg.mse_loss_and_grads(w_try, b_try, X_small, y_small)
dw_numeric = descent.numerical_gradient(lambda w: linreg.mse_loss_and_grads(w, b_try, X_small, y_small)[0], w_try)
db_numeric = descent.numerical_gradient(lambda b: linreg.mse_loss_and_grads(w_try, b, X_small, y_small)[0], b_try)
print("loss", loss)
print("largest relative difference in dw:", np.max(np.abs(dw - dw_numeric)) / np.max(np.abs(dw_numeric)))
print("difference in db:", abs(db - float(db_numeric)))

# %%
w, b, history = linreg.fit_linear_gd(temps.train.X, temps.train.y, lr=0.005, epochs=40, batch_size=32)
val_rmse = linreg.rmse(temps.val.y, temps.val.X @ w + b)
print(f"SGD: training RMSE {history[-1]:.3f} F, validation RMSE {val_rmse:.3f} F (least squares: {lstsq_val:.3f} F)")

plt.plot(np.arange(1, len(history) + 1), history, "o-", ms=3, label="SGD: training RMSE after each epoch")
plt.axhline(lstsq_train, color="k", ls="--", label="least squares: training RMSE")
plt.xlabel("epoch")
plt.ylabel("RMSE (degrees F)")
plt.ylim(0, max(3 * lstsq_train, min(history) * 1.2))
plt.legend()
plt.show()

# %% [markdown]
# **Experiment** (not graded): change `lr` (try 0.0005, 0.005, 0.02, 0.05) and `batch_size` (1, 32, 512). Which
# learning rates diverge? How does the batch size change how smooth the curve is and how far one epoch gets?
# The grader runs your `fit_linear_gd` with settings like these and compares its validation RMSE
# with least squares.

# %%
grader.check("linreg")

# %% [markdown]
# ---
# ## Part 3: An MLP for MNIST in NumPy (`numpy_mlp.py`, {{ points:numpy_mlp }} points)
#
# A 28 x 28 image of a handwritten digit is a vector of 784 pixel intensities in [0, 1]. A **multi-layer
# perceptron** with layer widths `sizes = [784, h1, ..., 10]` computes
#
# ```
# a0 = X                              (n, 784)
# z_l = a_{l-1} @ W_l + b_l           for l = 1 .. L
# a_l = relu(z_l)                     for the hidden layers l < L
# logits = z_L                        (n, 10): one score per digit
# ```
#
# and is trained, like Michael Nielsen's network in *Neural Networks and Deep Learning*, with mini-batch SGD on
# the mean **softmax cross-entropy** `-log softmax(logits)[y]`. No PyTorch: you write the backward pass yourself.
# **Backpropagation** is the chain rule applied layer by layer, from the loss back to the inputs, reusing what the
# forward pass computed:
#
# * softmax followed by cross-entropy: `dloss/dlogits = (softmax(logits) - onehot(y)) / n`;
# * `z = a @ W + b`: `dW = a.T @ dz`, `db = dz.sum(axis=0)`, `da = dz @ W.T`;
# * `a = relu(z)`: `dz = da * (z > 0)`.
#
# Careful with the softmax: `np.exp(1000)` is `inf`. Subtract each row's largest logit first; it changes nothing
# mathematically and keeps every exponent at most 0.
#
# A trained model is worth keeping: you **save** its parameters to a file and **load** them back later, without
# training again, or hand the file to another team, who runs your network with their own code. The file is an
# `.npz` of plain arrays, read with `np.load(path, allow_pickle=False)`: never unpickle a file someone else gave
# you, as a pickle can run any code hidden in it.
#
# **Your tasks** in `numpy_mlp.py`:
#
# 1. `init_params(sizes, seed=0)`: He-initialised weights `W{l}` of shape `(sizes[l-1], sizes[l])`, zero biases.
# 2. `forward(params, X)`: the logits.
# 3. `loss_and_grads(params, X, y)`: the loss and the gradient of every parameter, by backpropagation.
# 4. `train(params, X_train, y_train, X_val, y_val, *, lr, epochs, batch_size, seed=0)`: mini-batch SGD that
#    updates `params` in place; returns per-epoch lists `"train_loss"` and `"val_error"`.
# 5. `predict(params, X)`: the predicted digits, an `int64` array.
# 6. `save_params(params, path)` and `load_params(path)`: an `.npz` file at exactly `path`, read with
#    `allow_pickle=False`.
# 7. `BEST_CONFIG`: the layer widths and training settings you choose below, on the **validation** set. The hidden
#    check trains a fresh network with `fit(BEST_CONFIG, ...)` under a time limit: keep it modest.

# %%
digits = numpy_mlp.load_data()  # the small offline version: 6,000 / 2,000 / 2,000 images
print("train", digits.train.X.shape, "validation", digits.val.X.shape, "test", digits.test.X.shape)

fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
for ax, image, label in zip(axes, digits.train.X, digits.train.y, strict=False):
    ax.imshow(image.reshape(28, 28), cmap="gray_r")
    ax.set_title(int(label))
    ax.axis("off")
plt.show()

# %%
# Backpropagation against the numerical gradient (Part 1) on a tiny network: the differences should be ~1e-9.
rng = np.random.default_rng(0)
tiny = numpy_mlp.init_params([5, 4, 3], seed=0)
tiny = {key: value + rng.normal(0, 0.1, value.shape) for key, value in tiny.items()}  # nonzero biases too
X_tiny, y_tiny = rng.normal(size=(6, 5)), rng.integers(0, 3, size=6)
loss, grads = numpy_mlp.loss_and_grads(tiny, X_tiny, y_tiny)
print(f"loss {loss:.4f} (an untrained 3-class network scores about log(3) = {np.log(3):.4f})")
for key in sorted(tiny):
    def loss_of(value, key=key):
        return numpy_mlp.loss_and_grads({**tiny, key: value}, X_tiny, y_tiny)[0]
    numeric = descent.numerical_gradient(loss_of, tiny[key])
    print(f"{key}: largest difference from the numerical gradient {np.max(np.abs(grads[key] - numeric)):.2e}")

# Very large logits must not break the loss.
huge = {"W1": np.eye(3) * 1000.0, "b1": np.zeros(3)}
print("loss with logits in the thousands:", numpy_mlp.loss_and_grads(huge, np.eye(3)[::-1], np.array([0, 1, 2]))[0])


# %%
def plot_history(history, title=""):
    """Training loss per epoch (left), validation error per epoch (right)."""
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
    left.plot(epochs, history["train_loss"], "o-", label="training loss")
    left.set_xlabel("epoch")
    left.set_ylabel("cross-entropy")
    left.legend()
    right.plot(epochs, 100 * np.asarray(history["val_error"]), "o-", color="C2", label="validation error")
    right.set_xlabel("epoch")
    right.set_ylabel("validation error (%)")
    right.legend()
    fig.suptitle(title)
    plt.show()


# %%
params = numpy_mlp.init_params([784, 64, 10], seed=0)
history = numpy_mlp.train(params, digits.train.X, digits.train.y, digits.val.X, digits.val.y,
                          lr=0.1, epochs=5, batch_size=32)
plot_history(history, "784-64-10, SGD, lr 0.1, batch 32")
print(f"validation error after {len(history['val_error'])} epochs: {100 * history['val_error'][-1]:.1f}%")

# %% [markdown]
# **Experiment**: try other learning rates (0.01 to 1), widths and depths (`[784, 10]` with no hidden layer at
# all, `[784, 128, 10]`, `[784, 256, 64, 10]`, ...), batch sizes and numbers of epochs, with `numpy_mlp.fit` or
# the cell above. Watch the curves: a training loss that does not fall means a learning rate far too small (or
# far too large: then it jumps around or becomes `nan`). When you have settings you like, write them into
# `BEST_CONFIG` in `numpy_mlp.py` and run the next cells. Choose on the validation set, never on the test set.

# %%
config = numpy_mlp.BEST_CONFIG
if not isinstance(config, dict) or any(value is None for value in config.values()):
    print("Fill in BEST_CONFIG in numpy_mlp.py first.")
else:
    best_params, best_history = numpy_mlp.fit(config, digits.train.X, digits.train.y, digits.val.X, digits.val.y)
    plot_history(best_history, f"BEST_CONFIG: {config}")
    val_error = np.mean(numpy_mlp.predict(best_params, digits.val.X) != digits.val.y)
    print(f"validation error with BEST_CONFIG: {100 * val_error:.1f}%")

# %%
# Where does the network go wrong? A few misclassified validation digits.
trained = best_params if "best_params" in globals() else params
predicted = numpy_mlp.predict(trained, digits.val.X)
wrong = np.flatnonzero(predicted != digits.val.y)
print(f"{len(wrong)} of {len(predicted)} validation digits misclassified")
fig, axes = plt.subplots(1, 10, figsize=(12, 1.9))
for ax, i in zip(axes, wrong[:10], strict=False):
    ax.imshow(digits.val.X[i].reshape(28, 28), cmap="gray_r")
    ax.set_title(f"{digits.val.y[i]} as {predicted[i]}", fontsize=9)
for ax in axes:
    ax.axis("off")
plt.show()

# %%
# Saving and loading: the reloaded network must predict exactly like the trained one, without any training.
folder = tempfile.mkdtemp()
path = os.path.join(folder, "my_mlp.npz")
numpy_mlp.save_params(trained, path)
with np.load(path, allow_pickle=False) as archive:  # what anyone (the grader, another team) reads from your file
    print("the file holds:", {key: archive[key].shape for key in archive.files})
reloaded = numpy_mlp.load_params(path)
print("reloaded network predicts the same:", np.array_equal(numpy_mlp.predict(reloaded, digits.val.X), predicted))

# %% [markdown]
# **Exchanging models.** Your `load_params` and `predict` must run any network saved in this format, whatever its
# depth, not only your own. Swap `.npz` files with another team (or save one of a different shape yourself, as
# below) and check that your code classifies with their network. The grader does the same with a file of its own.

# %%
other = numpy_mlp.init_params([784, 48, 24, 10], seed=1)  # "another team's" network: deeper, and untrained here
other_path = os.path.join(folder, "other_team.npz")
with open(other_path, "wb") as file:
    np.savez(file, **other)
theirs = numpy_mlp.load_params(other_path)
print("layers:", numpy_mlp.num_layers(theirs), "| shapes:", {key: value.shape for key, value in theirs.items()})
print("their network's first predictions:", numpy_mlp.predict(theirs, digits.val.X[:10]))

# %%
grader.check("numpy_mlp")

# %% [markdown]
# ---
# ## Submit
#
# Run all the public checks once more, then package the three modules. The next cell writes
# `hw1-submission.zip` next to this notebook (the same as running `python submit.py` in a terminal) and warns
# about missing or unfinished modules. Upload the zip to Gradescope.

# %%
grader.check_all()

# %%
import submit

submit.main()
