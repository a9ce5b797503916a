"""Typical wrong answers to HW2: the reference solution with one bug each (hidden; never released).

Each entry replaces the text ``old`` (exactly one occurrence) in ``module``.py by ``new``; ``fails``
lists the hidden checks that must then fail, and no others. ``autograder calibrate`` grades them to
show that the thresholds reject typical mistakes; the end-to-end tests check each loses exactly the
points of its ``fails``.
"""

WRONG_ANSWERS = {
    # Forgetting the square root: every RMSE-based figure is off, the choice of depth is not.
    "mse_not_rmse": {
        "module": "trees",
        "old": "return float(np.sqrt(np.mean(errors**2)))",
        "new": "return float(np.mean(errors**2))",
        "fails": ["trees.rmse", "trees.depth_sweep_tree", "trees.depth_sweep_forest", "trees.depth_sweep_boosting"],
    },
    # No activation: the "MLP" collapses to one linear map (multinomial logistic regression).
    "mlp_without_nonlinearity": {
        "module": "mnist_mlp",
        "old": "layers += [nn.Linear(width, hidden), nn.ReLU()]",
        "new": "layers += [nn.Linear(width, hidden)]",
        "fails": ["mnist_mlp.build_mlp", "mnist_mlp.best_config"],
    },
    # Positional encoding with the sines only.
    "encoding_without_cosines": {
        "module": "posenc",
        "old": "return torch.cat([coords, torch.sin(angles), torch.cos(angles)], dim=1)",
        "new": "return torch.cat([coords, torch.sin(angles)], dim=1)",
        "fails": ["posenc.positional_encoding"],
    },
    # A rule with a bill-depth cut that misses about half of the long-flippered Gentoos.
    "rule_misses_half_the_gentoo": {
        "module": "penguins",
        "old": "return np.where(long_flippers, bill_depth <= 17.65, bill_depth <= 14.95)",
        "new": "return np.where(long_flippers, bill_depth <= 15.0, bill_depth <= 14.95)",
        "fails": ["penguins.is_gentoo"],
    },
}
