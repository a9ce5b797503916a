"""The course's data layer: every data set of the homework, loaded the same way for everyone.

Starter code, reference solutions and the grader all call these functions, so a student's numbers and the
reference numbers come from identical data and identical splits.

Where the files come from: if the environment variable ``AUTOGRADER_DATA`` names a folder, files are read from
it (offline machines, CI) and their SHA-256 checked; otherwise they are downloaded once with pooch into a cache
(``$AUTOGRADER_CACHE`` or the per-user cache folder). See :mod:`autograder.data.fetch`.

Data sets:

* temperatures of 24 US cities -> forecast Cleveland (:func:`load_temperature_splits`),
* MNIST digits (:func:`load_mnist`),
* Palmer penguins (:func:`load_penguins`, :func:`penguin_split`),
* a photograph as coordinates -> colour regression (:func:`load_image`, :func:`image_splits`).

The registry (:mod:`autograder.data.registry`) lists them, one entry each: how the grader loads each one before
any worker starts (:func:`preload`), every file it reads (:func:`data_file_names`, for the leak checks), and which
files inside installed packages hold its answers (:func:`hidden_paths`, hidden from student code by the sandbox).

This package depends only on numpy, pandas, pooch, scikit-learn, torch/torchvision and palmerpenguins (the heavy
ones imported only when needed), so it can be shipped as is inside the student release.
"""

from __future__ import annotations

from .errors import DataError
from .fetch import DataFile, data_dir, fetch
from .image import image_splits, load_image, pixel_coords
from .mnist import load_mnist
from .penguins import load_penguins, penguin_split
from .registry import DATASETS, DataSet, PackageFile, PenguinTables, data_file_names, hidden_paths, preload
from .splits import Split, Splits
from .temperature import (
    CITIES,
    TARGET,
    load_temperature_splits,
    load_temperatures,
    make_lagged,
    persistence_forecast,
)

__all__ = [
    "CITIES",
    "DATASETS",
    "TARGET",
    "DataError",
    "DataFile",
    "DataSet",
    "PackageFile",
    "PenguinTables",
    "Split",
    "Splits",
    "data_dir",
    "data_file_names",
    "fetch",
    "hidden_paths",
    "image_splits",
    "load_image",
    "load_mnist",
    "load_penguins",
    "load_temperature_splits",
    "load_temperatures",
    "make_lagged",
    "penguin_split",
    "persistence_forecast",
    "pixel_coords",
    "preload",
]
