'''Typical wrong answers to HW1: the reference solution with one bug each (hidden; never released).

Each entry replaces the text ``old`` (exactly one occurrence) in ``module``.py by ``new``; ``fails``
lists the hidden checks that must then fail, and no others. ``autograder calibrate`` grades them to
show that the thresholds reject typical mistakes; the end-to-end tests check each loses exactly the
points of its ``fails``.
'''

WRONG_ANSWERS = {
    # Gradient ascent: the step goes up the slope. Only the trajectory check sees it: the judge tries the
    # student's STEP_SIZES with its own descent.
    "descent_climbs": {
        "module": "descent",
        "old": "x = x - lr * grad(x)  # a new array",
        "new": "x = x + lr * grad(x)  # a new array",
        "fails": ["descent.gradient_descent"],
    },
    # The one-sided difference (f(x + eps) - f(x)) / eps: off by about eps * f''(x) / 2.
    "forward_difference": {
        "module": "descent",
        "old": """        x[i] = original - eps
        f_minus = f(x)
        x[i] = original  # put it back before the next entry
        grad[i] = (f_plus - f_minus) / (2 * eps)""",
        "new": """        x[i] = original
        f_here = f(x)
        grad[i] = (f_plus - f_here) / eps""",
        "fails": ["descent.numerical_gradient"],
    },
    # Residuals taken as y - prediction: the loss is right, both gradients point the wrong way, and SGD climbs.
    "mse_gradient_sign_flipped": {
        "module": "linreg",
        "old": "residuals = X @ np.asarray(w, dtype=np.float64) + b - np.asarray(y, dtype=np.float64)",
        "new": "residuals = np.asarray(y, dtype=np.float64) - (X @ np.asarray(w, dtype=np.float64) + b)",
        "fails": ["linreg.gradients", "linreg.fit"],
    },
    # Descending on the raw temperatures (features around 50): at the check's learning rate SGD diverges.
    "no_standardisation": {
        "module": "linreg",
        "old": """    mean = X.mean(axis=0)
    std = X.std(axis=0)
    std[std == 0] = 1.0  # a constant column: leave it unscaled rather than divide by zero""",
        "new": """    mean = np.zeros(X.shape[1])
    std = np.ones(X.shape[1])""",
        "fails": ["linreg.fit"],
    },
    # exp of the raw logits: inf / inf = nan as soon as a logit passes ~709. Training on MNIST never gets there.
    "softmax_without_max_subtraction": {
        "module": "numpy_mlp",
        "old": "shifted = a - a.max(axis=1, keepdims=True)",
        "new": "shifted = a",
        "fails": ["numpy_mlp.large_logits"],
    },
    # Only the weights are stepped: the biases stay at their initial zeros (the network still learns a lot).
    "biases_not_updated": {
        "module": "numpy_mlp",
        "old": """            for key, grad in grads.items():
                params[key] -= lr * grad  # in place: the caller's arrays are trained""",
        "new": """            for key, grad in grads.items():
                if key.startswith("W"):
                    params[key] -= lr * grad""",
        "fails": ["numpy_mlp.train"],
    },
    # The parameters pickled into a .npy file: refused by np.load(..., allow_pickle=False).
    "pickled_params": {
        "module": "numpy_mlp",
        "old": "        np.savez(file, **arrays)",
        "new": "        np.save(file, np.array(arrays, dtype=object), allow_pickle=True)",
        "fails": ["numpy_mlp.saved_file"],
    },
    # The NumPy-only part written with torch at hand: every numpy_mlp check fails, whatever the answers.
    "imports_torch": {
        "module": "numpy_mlp",
        "old": "import numpy as np\nfrom numpy.typing import ArrayLike\n",
        "new": "import numpy as np\nimport torch  # noqa: F401\nfrom numpy.typing import ArrayLike\n",
        "fails": ["numpy_mlp.init_params", "numpy_mlp.forward", "numpy_mlp.loss_and_grads", "numpy_mlp.large_logits",
                  "numpy_mlp.train", "numpy_mlp.best_config", "numpy_mlp.saved_file", "numpy_mlp.other_team_file"],
    },
    # One gradient step per epoch, on all the training rows (batch_size ignored): 40 steps are far too few.
    "one_step_per_epoch": {
        "module": "linreg",
        "old": """        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            _, dw, db""",
        "new": """        for batch in [order]:
            _, dw, db""",
        "fails": ["linreg.fit"],
    },
    # No hidden layer: multinomial logistic regression, about 9% held-out error on the smoke profile.
    "best_config_without_hidden_layer": {
        "module": "numpy_mlp",
        "old": '"sizes": [784, 128, 10], "lr": 0.2',
        "new": '"sizes": [784, 10], "lr": 0.2',
        "fails": ["numpy_mlp.best_config"],
    },
}
