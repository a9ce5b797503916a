"""Daily mean temperatures of 24 US cities, and the "predict Cleveland tomorrow" regression task.

The data: University of Dayton's average daily temperature archive (degrees Fahrenheit), 1995-01-01 to
2014-02-20 (6,991 days), one file per city, as mirrored in the public GitHub repository
``kaizensoze/daily-temp-history`` at a fixed commit. Each line is ``month day year temperature`` and ``-99``
marks a missing day.

The task: predict today's temperature in Cleveland (``OHCLEVEL``) from the temperatures of all 24 cities on the
previous ``lags`` days. Weather moves west to east, so Chicago yesterday says something about Cleveland today.

* :func:`load_temperatures` gives the cleaned table (one row per day, one column per city).
* :func:`make_lagged` turns the table into a supervised learning problem ``(X, y)``.
* :func:`load_temperature_splits` does both and splits by year: train 1995-2008, validation 2009-2011,
  held-out test 2012-2014. Splitting by time (not at random) is essential for forecasting: a random split lets
  the model peek at the day after a test day, which it could never do in real use.
* :func:`persistence_forecast` is the naive baseline "tomorrow will be like today" that any model must beat
  (validation RMSE about 6.29 F).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

from .errors import DataError
from .fetch import DataFile
from .splits import Split, Splits

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CITIES",
    "TARGET",
    "MISSING",
    "URL_TEMPLATE",
    "SHA256",
    "FILES",
    "load_temperatures",
    "make_lagged",
    "load_temperature_splits",
    "persistence_forecast",
]

#: City codes, in the column order used everywhere (the target city first).
CITIES: tuple[str, ...] = (
    "OHCLEVEL", "ILCHICAG", "MIDETROI", "PAPITTSB", "NYBUFFAL", "OHCOLMBS", "OHCINCIN", "OHTOLEDO",
    "ININDIAN", "KYLOUISV", "MOSTLOUI", "NYNEWYOR", "PAPHILAD", "MDWASHDC", "MABOSTON", "GAATLANT",
    "TXDALLAS", "MNMINPLS", "CODENVER", "WASEATTL", "CALOSANG", "FLMIAMIB", "TNNASHVI", "WIGREBAY",
)  # fmt: skip

#: The city to forecast: Cleveland, Ohio.
TARGET = "OHCLEVEL"

#: The archive's marker for a missing day.
MISSING = -99.0

#: Public download address of one city's file (pinned to a commit, so the bytes never change).
URL_TEMPLATE = (
    "https://raw.githubusercontent.com/kaizensoze/daily-temp-history/"
    "1cbb6a1af88c3ad8ec21d2957f350e8a9560aee8/data/{city}.txt"
)

#: SHA-256 of each city's file (read-only mapping).
SHA256: Mapping[str, str] = MappingProxyType(
    {
        "CALOSANG": "458bf792b841df44789694fcaf6a0a7e0d5ffa65d14cdeb1f95f174152951eca",
        "CODENVER": "3ce5b55fac33f66ca24070166693a6a3ed72d7c3f93dc8497dcf25b10db33410",
        "FLMIAMIB": "598a8cd2c64f48dac5608f23dc07d75198e07012d94600789ac2a96b76c36310",
        "GAATLANT": "b11df372188a4a199c402650b7d29ebdd09f80ed6e114560f539db1f7524a668",
        "ILCHICAG": "c3e717bb9136e6578d35d7182397cd5f12f69ee6af268b38fccc45d1251aff79",
        "ININDIAN": "3f5ac6393f32d18d2d94a45ce11ebeb73093615133e3da9762a28cb14c2fddb8",
        "KYLOUISV": "72130e9c716c25dfeb5ea627b94181f5bc54f122e7c5508265acd83cc38a6a48",
        "MABOSTON": "7378ab87b0c7798613829b9db78100490b6720c7d2f8236f80d8f96751825e37",
        "MDWASHDC": "ff1a79a442fb9e71744068ba18a781cce3c3866a26996b0532744adf7c477bad",
        "MIDETROI": "c7b1f2c88f374b60a960cf53ab261efea4c5431f34dc87a7d0d15af2a150163b",
        "MNMINPLS": "c1bd2bd1068862db322686af76e38134353b46f433ade2f1dc0fbc9fdd579e44",
        "MOSTLOUI": "2a7a4b35fe5166b3d577c922095fb22df3a300d23aa62b3f94bce59a2bc06b91",
        "NYBUFFAL": "75f5ece5036fc2a50407ad92531f1bbe9ab31d1386efcd65a5acf9e37f55b957",
        "NYNEWYOR": "16fa1f44c88012b9792f10ee5e472f4a2475a621b9a2a5115717707b6c43cf83",
        "OHCINCIN": "ceb275195a8d823fa0ca717b041826f32c28eb92b96b0f547c5fc05395160fc1",
        "OHCLEVEL": "b2b0ff9a0ea4fcbe81e2dbffb6fa5fd1ee3dd6fb34f8046d6c9717999637c3e9",
        "OHCOLMBS": "18b425cd04c3449273d53a12a471077fb7c321e625e06695a7ea40eb426a483b",
        "OHTOLEDO": "49848c49bea951e361f6f8fa812f56cbafcea4c20d476cb063b9161e80d86e0f",
        "PAPHILAD": "f1efe86b3e45d99b19537d9ad9a5c3ac33672a474f4d42018bf127331c8dfc23",
        "PAPITTSB": "e580f9df09da948645efdf6d6e27db02ac5575de8a43058e854b2751bcf69d21",
        "TNNASHVI": "c2f5b51cc83bb66beab59d2d1ede823cd013fa421897a6701c07304168e2ee9f",
        "TXDALLAS": "0a19e9cf5d52b796e8f929c918ca37fb60b1395ab2d7aedbb21ace6c61a6570f",
        "WASEATTL": "a83d3018f403a1c296938271e35fbc5c6750c90afbb8814cda7aa5536d5ea55d",
        "WIGREBAY": "58c391115ac22e815e531be028f5a277f737d0bfaa23176d264aaf3ceac07d02",
    }
)


#: Every city's file (each holds the held-out test years 2012-2014 too), in :data:`CITIES` order.
FILES: tuple[DataFile, ...] = tuple(
    DataFile(f"temperature/{city}.txt", sha256=SHA256[city], url=URL_TEMPLATE.format(city=city), held_out=True)
    for city in CITIES
)
_BY_CITY: Mapping[str, DataFile] = MappingProxyType(dict(zip(CITIES, FILES, strict=True)))

def _read_city(city: str) -> tuple[np.ndarray, np.ndarray]:
    """Fetch and parse one city's file into (dates as datetime64[D], temperatures as float64)."""
    file = _BY_CITY[city]
    relpath = file.relpath
    path = file.fetch()
    try:
        table = np.loadtxt(path, dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise DataError(f"Could not parse {relpath} at {path}: {exc}") from exc
    if table.shape[1] != 4:
        raise DataError(f"{relpath} at {path}: expected 4 columns (month day year temp), got {table.shape[1]}")
    month, day, year = (table[:, i].astype(np.int64) for i in range(3))
    dates = np.array([f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(year, month, day, strict=True)],
                     dtype="datetime64[D]")
    return dates, table[:, 3]


def load_temperatures() -> pd.DataFrame:
    """Load all 24 cities into one table of daily mean temperatures (degrees Fahrenheit).

    Returns:
        A DataFrame with a daily ``DatetimeIndex`` named ``"date"`` (1995-01-01 .. 2014-02-20, 6,991 rows) and
        one float64 column per city, in :data:`CITIES` order. Missing days (``-99`` in the files, 495 in
        total) are replaced by linear interpolation in time between the nearest known days of the same city; a
        missing run at the very start or end of the series takes the nearest known value. No NaN remains.
        ``df.attrs["n_interpolated"]`` maps each city to how many of its values were filled in.

    Raises:
        DataError: a file is missing, corrupted (checksum), unparsable, or the cities' dates disagree.
    """
    import pandas as pd

    columns: dict[str, np.ndarray] = {}
    reference_dates: np.ndarray | None = None
    for city in CITIES:
        dates, temps = _read_city(city)
        if reference_dates is None:
            reference_dates = dates
        elif not np.array_equal(dates, reference_dates):
            raise DataError(f"temperature/{city}.txt does not cover the same days as temperature/{CITIES[0]}.txt")
        columns[city] = temps
    assert reference_dates is not None  # CITIES is not empty

    index = pd.DatetimeIndex(reference_dates, name="date")
    expected = pd.date_range(index[0], index[-1], freq="D", name="date")
    if not index.equals(expected):
        raise DataError("temperature files are not one row per consecutive day")
    index = expected  # same values, with freq="D" recorded

    df = pd.DataFrame(columns, index=index, dtype=np.float64)
    missing = df == MISSING
    df = df.mask(missing)
    df = df.interpolate(method="time", limit_direction="both").ffill().bfill()
    df.attrs["n_interpolated"] = {city: int(n) for city, n in missing.sum().items()}
    return df


def make_lagged(
    df: pd.DataFrame, target: str = TARGET, lags: int = 5
) -> tuple[np.ndarray, np.ndarray, pd.DatetimeIndex, tuple[str, ...]]:
    """Turn a daily table into a supervised problem: predict ``target`` on day t from the previous days.

    Row i of ``X`` describes one target day t (the first usable day is the ``lags``-th, because it needs
    ``lags`` earlier days). Its features are the temperatures of *every* column of ``df`` (all cities, the target
    city included) on days t-1, t-2, ..., t-lags. The label is ``df[target]`` on day t itself.

    Column order of ``X`` (lag-major): first the block of lag 1 (yesterday) for every city in ``df``'s column
    order, then the block of lag 2, and so on::

        OHCLEVEL_lag1, ILCHICAG_lag1, ..., WIGREBAY_lag1, OHCLEVEL_lag2, ..., WIGREBAY_lag5

    so feature ``j`` is city ``j % n_cities`` at lag ``j // n_cities + 1``. For the standard table that is
    24 cities x 5 lags = 120 features.

    Args:
        df: a table like the one :func:`load_temperatures` returns (rows are consecutive days).
        target: the column to predict.
        lags: how many previous days to use (at least 1).

    Returns:
        ``(X, y, dates, feature_names)``: float64 ``X`` of shape (n_days - lags, n_cities * lags), float64 ``y``
        of shape (n_days - lags,), the target days ``dates`` (``df.index[lags:]``), and the column names of X.
    """
    if lags < 1:
        raise ValueError(f"lags must be at least 1, got {lags}")
    if target not in df.columns:
        raise ValueError(f"target {target!r} is not a column of the table (columns: {list(df.columns)})")
    n = len(df)
    if n <= lags:
        raise ValueError(f"need more than {lags} rows to build {lags} lags, got {n}")
    values = df.to_numpy(dtype=np.float64)
    names = [str(c) for c in df.columns]
    # values[lags - k : n - k] holds, for every target day t = lags .. n-1, the row of day t - k.
    X = np.concatenate([values[lags - k : n - k] for k in range(1, lags + 1)], axis=1)
    y = df[target].to_numpy(dtype=np.float64)[lags:].copy()
    feature_names = tuple(f"{name}_lag{k}" for k in range(1, lags + 1) for name in names)
    dates = df.index[lags:]
    return X, y, dates, feature_names


def load_temperature_splits(
    lags: int = 5, target: str = TARGET, train_until: int = 2008, val_until: int = 2011
) -> Splits:
    """Load the lagged temperature problem, split by the year of the target day.

    * train: target days in years up to and including ``train_until`` (default 1995-2008: 5,109 days),
    * val: years ``train_until + 1`` .. ``val_until`` (default 2009-2011: 1,095 days),
    * test (held out): years after ``val_until`` (default 2012-01-01 .. 2014-02-20: 782 days).

    When ``val_until == train_until`` there is no validation part and ``val`` is ``None``.
    The features are described in :func:`make_lagged`; ``feature_names`` names the 120 columns.
    """
    if val_until < train_until:
        raise ValueError(f"val_until ({val_until}) must not be before train_until ({train_until})")
    X, y, dates, names = make_lagged(load_temperatures(), target=target, lags=lags)
    year = np.asarray(dates.year)
    train = year <= train_until
    val = (year > train_until) & (year <= val_until)
    test = year > val_until
    for part, mask in (("train", train), ("test", test)):
        if not mask.any():
            raise ValueError(f"the {part} part is empty with train_until={train_until}, val_until={val_until}")
    return Splits(
        train=Split(X[train], y[train]),
        val=Split(X[val], y[val]) if val.any() else None,
        test=Split(X[test], y[test]),
        feature_names=names,
    )


def persistence_forecast(X: np.ndarray, feature_names: tuple[str, ...] | list[str], target: str = TARGET) -> np.ndarray:
    """The naive "persistence" forecast: today's temperature will be yesterday's.

    It simply returns the ``{target}_lag1`` column of ``X``. Any model worth its training time must beat it;
    on the default validation years (2009-2011) its RMSE is about 6.29 F.
    """
    name = f"{target}_lag1"
    try:
        column = list(feature_names).index(name)
    except ValueError:
        raise ValueError(f"feature {name!r} not found in feature_names") from None
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != len(feature_names):
        raise ValueError(f"X must have shape (n, {len(feature_names)}), got {X.shape}")
    return X[:, column].astype(np.float64, copy=True)
