"""Hidden checks for ``penguins.py``: the feature table, the hand-read rules, the classifier."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from autograder.checks import Array, Confusion, Context, Handle, check

from . import _data


@check("penguins", "prepare_features", "prepare_features: complete rows, no year, one-hot island and sex, all numeric")
def prepare_features(ctx: Context) -> None:
    raw = ctx.data("penguins").raw
    result = ctx.call("penguins.prepare_features", raw)
    ctx.expect(isinstance(result, (tuple, list)) and len(result) == 2, "prepare_features should return (X, y)")
    X, y = result
    ctx.expect_type(X, pd.DataFrame, "X")
    ctx.expect_type(y, pd.Series, "y")
    complete = raw.dropna()
    ctx.expect(len(X) == len(complete),
               f"X has {len(X)} rows; the data has {len(complete)} rows without missing values")
    ctx.expect(len(y) == len(X), f"y has {len(y)} values for {len(X)} rows")
    ctx.expect(not X.isna().any().any(), "X still has missing values")
    ctx.expect("year" not in X.columns, "X should not contain 'year'")
    ctx.expect("species" not in X.columns, "X must not contain the label 'species'")
    for column in ("island", "sex"):
        ctx.expect(column not in X.columns, f"'{column}' should be replaced by one-hot columns")
        for value in sorted(complete[column].unique()):
            ctx.expect(any(column in c and value in c for c in map(str, X.columns)),
                       f"no one-hot column for {column} = {value!r} (columns: {list(X.columns)})")
    not_numeric = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    ctx.expect(not not_numeric, f"columns {not_numeric} are not numeric")
    ctx.expect(sorted(y.astype(str)) == sorted(complete["species"]), "y should be the species of the complete rows")


def _held_out(ctx: Context) -> tuple[pd.DataFrame, pd.Series]:
    tables = ctx.data("penguins")
    train, test = tables.train, tables.held_out
    columns = _data.penguin_features(train)[0].columns
    return _data.penguin_features(test, columns)


def _confusion_counts(true: np.ndarray, predicted: np.ndarray, labels: list[Any]) -> np.ndarray:
    """``counts[i, j]``: how many rows of true class ``labels[i]`` are predicted as ``labels[j]`` (predictions that are
    none of the labels are not counted)."""
    counts = np.zeros((len(labels), len(labels)), dtype=int)
    for i, truth in enumerate(labels):
        for j, guess in enumerate(labels):
            counts[i, j] = int(np.sum((true == truth) & (predicted == guess)))
    return counts


def _judge_rule(ctx: Context, rule: str, X: pd.DataFrame, is_gentoo: np.ndarray) -> float:
    """Ask the student's rule about the held-out rows, show its confusion table, return its accuracy."""
    got = np.asarray(ctx.call(f"penguins.{rule}", X,
                              returns=Array(is_gentoo.shape, kinds="b", forms=("ndarray", "tensor", "series"))))
    ctx.figure(Confusion(f"{rule} on the held-out rows", ["Gentoo", "not Gentoo"],
                         _confusion_counts(is_gentoo, got.astype(bool), [True, False])))
    return float(np.mean(got == is_gentoo))


@check("penguins", "is_gentoo", "is_gentoo: a hand-read rule that finds the Gentoo penguins on held-out rows",
       thresholds=("gentoo_rule_accuracy",))
def is_gentoo(ctx: Context) -> None:
    X, y = _held_out(ctx)
    accuracy = _judge_rule(ctx, "is_gentoo", X, (y == "Gentoo").to_numpy())
    ctx.expect_threshold("gentoo_rule_accuracy", accuracy, "held-out accuracy")


@check("penguins", "is_gentoo_without_flipper", "is_gentoo_without_flipper: the same without flipper_length_mm",
       thresholds=("gentoo_rule_no_flipper_accuracy",))
def is_gentoo_without_flipper(ctx: Context) -> None:
    X, y = _held_out(ctx)
    accuracy = _judge_rule(ctx, "is_gentoo_without_flipper", X.drop(columns=["flipper_length_mm"]),
                           (y == "Gentoo").to_numpy())
    ctx.expect_threshold("gentoo_rule_no_flipper_accuracy", accuracy, "held-out accuracy")


@check("penguins", "classifier", "make_classifier: fitted on training rows, scored by the judge on held-out rows",
       thresholds=("classifier_accuracy",))
def classifier(ctx: Context) -> None:
    estimator: Any = ctx.call("penguins.make_classifier")
    ctx.expect(isinstance(estimator, Handle),
               f"make_classifier should return an estimator, got {type(estimator).__name__}")
    train = ctx.data("penguins").train
    X_train, y_train = _data.penguin_features(train)
    X_test, y_test = _held_out(ctx)
    ctx.call_method(estimator, "fit", X_train, y_train)
    predicted = np.asarray(ctx.call_method(estimator, "predict", X_test, returns=Array(y_test.shape))).astype(str)
    truth = y_test.to_numpy().astype(str)
    species = sorted(set(y_train.astype(str)))
    others = int(np.sum(~np.isin(predicted, species)))
    ctx.figure(Confusion("Your classifier on the held-out rows", species, _confusion_counts(truth, predicted, species),
                         caption=f"{others} predictions were none of the species." if others else ""))
    ctx.expect_threshold("classifier_accuracy", float(np.mean(predicted == y_test.to_numpy())), "held-out accuracy")
