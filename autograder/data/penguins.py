"""Palmer penguins: 344 penguins of three species measured on three Antarctic islands.

The raw table (from the ``palmerpenguins`` package, which ships the CSV, so no download) has 8 columns:
``species, island, bill_length_mm, bill_depth_mm, flipper_length_mm, body_mass_g, sex, year``. It is
deliberately left raw: a few rows have missing values (NaN), and handling them (dropping, imputing) is part of
the students' work, so the split below keeps them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load_penguins", "penguin_split"]


def load_penguins() -> pd.DataFrame:
    """Return the raw Palmer penguins table (344 rows, 8 columns, NaNs included)."""
    import palmerpenguins

    return palmerpenguins.load_penguins()


def penguin_split(
    df: pd.DataFrame, *, test_fraction: float = 0.3, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split the raw table into a training part and a held-out part, stratified by species.

    Stratifying keeps the species proportions (about 44% Adelie, 36% Gentoo, 20% Chinstrap) the same in both
    parts, which matters when one class is small. Rows with missing values are kept. Both parts get a fresh
    ``0..n-1`` index. With the defaults the held-out part has 104 rows and the training part 240.

    Args:
        df: the raw table from :func:`load_penguins` (must have a ``species`` column without NaN).
        test_fraction: share of rows held out (sklearn rounds the held-out count up).
        seed: ``random_state`` of :func:`sklearn.model_selection.train_test_split`.

    Returns:
        ``(train, held_out)`` DataFrames with all of ``df``'s columns.
    """
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be strictly between 0 and 1, got {test_fraction}")
    if "species" not in df.columns:
        raise ValueError("the table has no 'species' column to stratify by")
    train, held_out = train_test_split(df, test_size=test_fraction, random_state=seed, stratify=df["species"])
    return train.reset_index(drop=True), held_out.reset_index(drop=True)
