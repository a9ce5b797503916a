# %% [markdown]
# # HW2: Trees and MLPs
#
# This homework has four parts. Each part is a Python module in this folder, and **your code goes in the
# modules**, not in this notebook:
#
# {{ points_table }}
#
# ## How to work
#
# * Open a module in an editor, replace each `raise NotImplementedError` with your code, save. Do not change
#   the names or signatures of the functions: the grader calls them.
# * This notebook imports your modules, runs the experiments and draws the plots. Thanks to `%autoreload`,
#   a saved change to a module is picked up by the next cell you run; no need to restart the kernel.
# * `grader.check("trees")` (and so on) runs the **public checks** of a part: quick tests on tiny made-up data
#   that catch common mistakes. They are hints, not your grade. The real grade comes from hidden checks that
#   run your modules in a separate process, with time limits, on held-out data.
# * To submit, run `python submit.py` (or the last cell of this notebook) and upload `hw2-submission.zip` to
#   Gradescope. Only the four modules are submitted: anything you do in this notebook is for you.
#
# See `README.md` for the details.

# %%
# %matplotlib inline
# %load_ext autoreload
# %autoreload 2

# %%
import numpy as np
import matplotlib.pyplot as plt
import torch
from IPython.display import Image, display

import otter

grader = otter.Notebook(tests_dir="tests")

import trees
import mnist_mlp
import penguins
import posenc

# %% [markdown]
# ---
# ## Part 1: Bias and variance of tree models (`trees.py`, {{ points:trees }} points)
#
# We forecast tomorrow's mean temperature in Cleveland (degrees F) from the mean temperatures of 24 US cities
# on each of the last five days (120 features). The data is split by time: training days 1995-2008,
# validation days 2009-2011 and held-out test days 2012-2014, which only the grader uses.
#
# The **maximum depth** of a tree controls how complex a model can be:
#
# * a shallow tree cuts the feature space into few boxes and predicts one value per box: it cannot follow the
#   data closely (**high bias**), so training and validation error are both high;
# * a deep tree can give almost every training day its own leaf: training error goes to zero, but its
#   predictions depend on the noise of the particular days it saw (**high variance**), and the validation
#   error climbs back up.
#
# Ensembles change this trade-off. A **random forest** averages 100 deep trees fitted on bootstrap samples,
# which cancels much of their variance. **Gradient boosting** adds small trees one after the other, each
# correcting the errors of the ones before, which removes bias, so it works best with shallow trees.
#
# **Your tasks** in `trees.py`:
#
# 1. `rmse(y_true, y_pred)`: the root-mean-squared error, as a float.
# 2. `depth_sweep(kind, depths, X_train, y_train, X_val, y_val, seed=0)`: for every depth, fit
#    `make_model(kind, depth, seed)` (given) on the training data and record its training and validation RMSE;
#    return `{"train_rmse": [...], "val_rmse": [...]}`, one float per depth.
# 3. `best_depths(sweeps, depths)`: for every kind, the depth with the lowest **validation** RMSE.

# %%
temps = trees.load_data()
print("train", temps.train.X.shape, "validation", temps.val.X.shape, "test", temps.test.X.shape)
print("first features:", temps.feature_names[:5])

# A baseline every model must beat: always predict the average training temperature.
print("predict the mean: validation RMSE", trees.rmse(temps.val.y, np.full(len(temps.val.y), temps.train.y.mean())))

# %%
DEPTHS = [1, 2, 4, 6, 8, 12, 16]
KINDS = ["tree", "forest", "boosting"]

# This fits 3 x 7 models (the deep forests and boosted models take a minute or two on a laptop).
sweeps = {
    kind: trees.depth_sweep(kind, DEPTHS, temps.train.X, temps.train.y, temps.val.X, temps.val.y)
    for kind in KINDS
}
trees.plot_depth_errors(DEPTHS, sweeps, "depth_errors.png")
display(Image("depth_errors.png"))

# %%
best = trees.best_depths(sweeps, DEPTHS)
for kind in KINDS:
    i = DEPTHS.index(best[kind])
    print(f"{kind:9s} best depth {best[kind]:2d}: validation RMSE {sweeps[kind]['val_rmse'][i]:.2f} F")

# %% [markdown]
# **Think about it** (not graded): at which depth does the single tree start to overfit, and how can you tell
# from the plot? Why does the forest's validation error barely go up with depth, while boosting prefers shallow
# trees? How much better than "predict the mean" is the best model?

# %%
grader.check("trees")

# %% [markdown]
# ---
# ## Part 2: An MLP for MNIST (`mnist_mlp.py`, {{ points:mnist_mlp }} points)
#
# An MLP reads a 28 x 28 digit as a flat vector of 784 pixel intensities in [0, 1]. Each hidden layer is a
# linear map followed by a ReLU, and the last layer outputs 10 scores ("logits"), one per digit. Training
# minimises the cross-entropy between `softmax(logits)` and the true labels with mini-batch gradient descent.
#
# Watch the **training curves**: the training loss should fall steadily. If it does not fall, the learning
# rate is too small (or far too large: then the loss jumps around or becomes `nan`). When the validation loss
# starts to rise while the training loss keeps falling, the network is overfitting: train for fewer epochs,
# use a smaller network, or add dropout.
#
# **Your tasks** in `mnist_mlp.py`:
#
# 1. `build_mlp(hidden_sizes=(256,), dropout=0.0)`: an `nn.Module` from 784 inputs to 10 logits.
# 2. `train(model, X_train, y_train, X_val, y_val, *, lr, epochs, batch_size, optimizer="sgd", device="cpu", seed=0)`:
#    mini-batch training on the cross-entropy loss; returns per-epoch lists `"train_loss"`, `"val_loss"` and
#    `"val_error"`.
# 3. `predict(model, X, device="cpu")`: the predicted digits, a numpy `int64` array.
# 4. `save_model(model, path)` and `load_model(path)`: a file that `torch.load(path, weights_only=True)` can read.
# 5. `BEST_CONFIG`: the settings you choose below. Choose them on the **validation** set, never on the test set.
#    The hidden check trains a fresh model with your `BEST_CONFIG` under a time limit, so keep it modest: a
#    few minutes of CPU at most.

# %%
digits = mnist_mlp.load_data()  # the small offline version: 6,000 / 2,000 / 2,000 images
print("train", digits.train.X.shape, "validation", digits.val.X.shape, "test", digits.test.X.shape)

fig, axes = plt.subplots(1, 10, figsize=(12, 1.6))
for ax, image, label in zip(axes, digits.train.X, digits.train.y, strict=False):  # the first 10 images only
    ax.imshow(image.reshape(28, 28), cmap="gray_r")
    ax.set_title(int(label))
    ax.axis("off")
plt.show()


# %%
def plot_history(history, title=""):
    """Training and validation loss per epoch (left), validation error per epoch (right)."""
    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.5))
    left.plot(epochs, history["train_loss"], "o-", label="training loss")
    left.plot(epochs, history["val_loss"], "o-", label="validation loss")
    left.set_xlabel("epoch")
    left.set_ylabel("cross-entropy")
    left.legend()
    right.plot(epochs, 100 * np.asarray(history["val_error"]), "o-", color="C2")
    right.set_xlabel("epoch")
    right.set_ylabel("validation error (%)")
    fig.suptitle(title)
    plt.show()


# %%
torch.manual_seed(0)  # the initial weights
model = mnist_mlp.build_mlp(hidden_sizes=(256,))
history = mnist_mlp.train(
    model, digits.train.X, digits.train.y, digits.val.X, digits.val.y,
    lr=0.05, epochs=10, batch_size=64, optimizer="sgd",
)
plot_history(history, "one hidden layer of 256, SGD, lr 0.05")
print(f"validation error after {len(history['val_error'])} epochs: {100 * history['val_error'][-1]:.1f}%")

# %% [markdown]
# **Experiment**: try other learning rates (0.001 to 0.5), widths and depths (`(128,)`, `(512, 256)`, ...),
# dropout (0.1 to 0.5), batch sizes, and `optimizer="adam"` (which usually wants a smaller learning rate, around
# 0.001). Use the cell above or add your own. When you have settings you like, write them into `BEST_CONFIG` in
# `mnist_mlp.py` and run the next cells.

# %%
config = mnist_mlp.BEST_CONFIG
if not isinstance(config, dict) or any(value is None for value in config.values()):
    print("Fill in BEST_CONFIG in mnist_mlp.py first.")
else:
    torch.manual_seed(0)
    best_model = mnist_mlp.build_mlp(config["hidden_sizes"], config["dropout"])
    best_history = mnist_mlp.train(
        best_model, digits.train.X, digits.train.y, digits.val.X, digits.val.y,
        lr=config["lr"], epochs=config["epochs"], batch_size=config["batch_size"], optimizer=config["optimizer"],
    )
    plot_history(best_history, f"BEST_CONFIG: {config}")
    val_error = np.mean(mnist_mlp.predict(best_model, digits.val.X) != digits.val.y)
    print(f"validation error with BEST_CONFIG: {100 * val_error:.1f}%")

# %%
# Saving and loading: the reloaded model must predict exactly like the original.
if isinstance(config, dict) and "best_model" in globals():
    mnist_mlp.save_model(best_model, "best_mlp.pt")
    reloaded = mnist_mlp.load_model("best_mlp.pt")
    same = np.array_equal(mnist_mlp.predict(reloaded, digits.val.X), mnist_mlp.predict(best_model, digits.val.X))
    print("reloaded model predicts the same:", same)

# %%
grader.check("mnist_mlp")

# %% [markdown]
# ---
# ## Part 3: Palmer penguins (`penguins.py`, {{ points:penguins }} points)
#
# 344 penguins of three species (Adelie, Chinstrap, Gentoo), measured on three islands of the Palmer
# Archipelago, Antarctica. A few rows have missing values.
#
# A shallow **decision tree** is a model a person can read: each internal node compares one feature with a
# threshold. Once fitted, its rule can be copied out as a couple of `if`s and used without scikit-learn at all.
# That is what you do here: fit a depth-2 tree that separates Gentoo penguins from the rest, read its
# thresholds with `export_text`, and write them into `is_gentoo` as plain comparisons. Then do it again
# without the flipper length, the most telling feature, to see what else gives a Gentoo away.
#
# **Your tasks** in `penguins.py`:
#
# 1. `prepare_features(df)`: drop rows with missing values, drop `year`, one-hot encode `island` and `sex`;
#    return `(X, y)`: an all-numeric DataFrame and the `species` Series.
# 2. `is_gentoo(X)`: a bool array, True for Gentoo penguins, using a rule you read off the tree (no fitted
#    model inside the function).
# 3. `is_gentoo_without_flipper(X)`: the same, but it must never read `flipper_length_mm`.
# 4. `make_classifier()`: an unfitted scikit-learn classifier (an estimator or a Pipeline) for the three species.

# %%
raw = penguins.load_data()
display(raw.head())
print("missing values per column:")
print(raw.isna().sum())

# %%
X, y = penguins.prepare_features(raw)
print(X.shape)
display(X.head())

fig, ax = plt.subplots(figsize=(6, 4))
for species in sorted(y.unique()):
    rows = (y == species).to_numpy()
    ax.scatter(X["flipper_length_mm"][rows], X["bill_depth_mm"][rows], s=12, label=species)
ax.set_xlabel("flipper length (mm)")
ax.set_ylabel("bill depth (mm)")
ax.legend()
plt.show()

# %%
from sklearn.tree import DecisionTreeClassifier, export_text

gentoo = (y == "Gentoo").to_numpy()
gentoo_tree = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, gentoo)
print(export_text(gentoo_tree, feature_names=list(X.columns)))

# %%
# After copying the rule into is_gentoo:
print("is_gentoo accuracy:", np.mean(penguins.is_gentoo(X) == gentoo))

# %%
X_no_flipper = X.drop(columns=["flipper_length_mm"])
tree_no_flipper = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X_no_flipper, gentoo)
print(export_text(tree_no_flipper, feature_names=list(X_no_flipper.columns)))

# %%
print("is_gentoo_without_flipper accuracy:", np.mean(penguins.is_gentoo_without_flipper(X_no_flipper) == gentoo))

# %% [markdown]
# Now a classifier for all three species. Estimate its accuracy with 5-fold cross-validation; the grader fits
# `make_classifier()` on training penguins and scores it on held-out ones. (Hint: some models care about the
# scale of the features, and body mass is in grams while the bills are in millimetres.)

# %%
from sklearn.model_selection import cross_val_score

scores = cross_val_score(penguins.make_classifier(), X, y, cv=5)
print(f"5-fold cross-validated accuracy: {scores.mean():.3f} (+- {scores.std():.3f})")

# %%
grader.check("penguins")

# %% [markdown]
# ---
# ## Part 4: Positional encoding (`posenc.py`, {{ points:posenc }} points)
#
# A "coordinate MLP" stores an image: it maps a pixel position `(x, y)` (scaled to [0, 1]) to that pixel's
# colour. We train it on a quarter of the pixels (every other row and column) and ask it to fill in the rest.
#
# Fed the raw coordinates, an MLP with ReLUs produces a blurry image, however long it trains. Such networks
# learn smooth, low-frequency functions of their inputs first and high frequencies only very slowly: this is
# called **spectral bias**. The fix (used in NeRF) is a **positional encoding**: feed the network
# `sin(2^k pi x)` and `cos(2^k pi x)` (and the same for `y`) for `k = 0, ..., L-1`. Sharp edges are then
# simple functions of the inputs, and the network can reproduce them.
#
# More frequencies are not always better. The training pixels lie on a grid with a spacing of two pixels, and a
# sine that oscillates faster than that grid can sample **aliases**: on the training pixels it looks exactly
# like a slow sine, so the network can fit the training pixels with it and produce noise at the held-out pixels
# in between. (For the 128 x 128 image, work out from which `L` the fastest encoding frequency passes the limit.)
# Too many frequencies also make it easy to fit the training pixels' noise. So there is a best `L`, and you
# find it by measuring the PSNR (higher is better) on the held-out pixels.
#
# **Your tasks** in `posenc.py`:
#
# 1. `positional_encoding(coords, num_freqs)`: from `(N, 2)` coordinates to an `(N, 2 + 4L)` tensor
#    `[x, y, sin(2^0 pi x), sin(2^0 pi y), ..., sin(2^(L-1) pi y),
#    cos(2^0 pi x), cos(2^0 pi y), ..., cos(2^(L-1) pi y)]`.
# 2. `CoordMLP(in_features, hidden=256, depth=4)`: a ReLU MLP whose output goes through a sigmoid, so that the
#    3 colours lie in [0, 1].
# 3. `fit_image(coords, colors, *, num_freqs, steps, lr, device="cpu", seed=0)`: encode, build a `CoordMLP`,
#    train it with Adam on the mean squared error; return the model.
# 4. `predict_colors(model, coords, num_freqs, device="cpu")`: the predicted colours, shape `(N, 3)`.
# 5. `BEST_NUM_FREQS`: the `L` with the best held-out PSNR in your experiment below.

# %%
SIZE = 128
image = posenc.load_data(size=SIZE)
print("training pixels", image.train.X.shape, "held-out pixels", image.test.X.shape)
device = "cuda" if torch.cuda.is_available() else "cpu"

# %%
# One model per number of frequencies: a minute or two each on a laptop CPU, seconds on a GPU.
STEPS, LR = 1500, 1e-3
results = {}
for num_freqs in [0, 2, 4, 6, 8]:
    fitted = posenc.fit_image(image.train.X, image.train.y, num_freqs=num_freqs, steps=STEPS, lr=LR, device=device)
    train_psnr = posenc.psnr(posenc.predict_colors(fitted, image.train.X, num_freqs, device), image.train.y)
    test_psnr = posenc.psnr(posenc.predict_colors(fitted, image.test.X, num_freqs, device), image.test.y)
    results[num_freqs] = (fitted, train_psnr, test_psnr)
    print(f"L = {num_freqs}: training PSNR {train_psnr:5.1f} dB, held-out PSNR {test_psnr:5.1f} dB")

# %%
ls = sorted(results)
plt.plot(ls, [results[n][1] for n in ls], "o--", label="training pixels")
plt.plot(ls, [results[n][2] for n in ls], "o-", label="held-out pixels")
plt.xlabel("number of frequencies L")
plt.ylabel("PSNR (dB)")
plt.legend()
plt.show()

# %%
for num_freqs in [0, max(ls, key=lambda n: results[n][2])]:
    path = f"reconstruction_L{num_freqs}.png"
    posenc.show_reconstruction(results[num_freqs][0], num_freqs, SIZE, path)
    display(Image(path))

# %% [markdown]
# Set `BEST_NUM_FREQS` in `posenc.py` to the `L` with the best held-out PSNR, then run the check.

# %%
grader.check("posenc")

# %% [markdown]
# ---
# ## Submit
#
# Run all the public checks once more, then package the four modules. The next cell writes
# `hw2-submission.zip` next to this notebook (the same as running `python submit.py` in a terminal) and warns
# about missing or unfinished modules. Upload the zip to Gradescope.

# %%
grader.check_all()

# %%
import submit

submit.main();
