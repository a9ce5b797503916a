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
    # The rule returns a column (n, 1) instead of one flag per row (n,): refused by the check's declared return.
    "rule_returns_a_column": {
        "module": "penguins",
        "old": "return np.where(shallow_bill, body_mass > 3750, body_mass > 5025)",
        "new": "return np.where(shallow_bill, body_mass > 3750, body_mass > 5025).reshape(-1, 1)",
        "fails": ["penguins.is_gentoo_without_flipper"],
    },
    # train trains the model but reports a made-up, plausibly falling validation history instead of measuring
    # it: only the judge's own measurement of the trained model can tell.
    "made_up_history": {
        "module": "mnist_mlp",
        "old": """        logits = logits_in_batches(model, X_val, device)
        history["val_loss"].append(F.cross_entropy(logits, y_val).item())
        history["val_error"].append((logits.argmax(dim=1) != y_val).float().mean().item())""",
        "new": """        epoch = len(history["val_loss"]) + 1
        history["val_loss"].append(1.0 / epoch)
        history["val_error"].append(0.2 / epoch)""",
        "fails": ["mnist_mlp.train_history"],
    },
}
