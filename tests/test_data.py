"""Tests of the data layer ``autograder.data`` against the offline data folder.

CI sets ``AUTOGRADER_DATA=../shared/data``. When it is not set, the module-wide fixture points it at the
shared folder next to the repository, so the tests also run locally. No test downloads anything.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from autograder.data import (
    CITIES,
    DataError,
    Split,
    Splits,
    data_dir,
    fetch,
    image_splits,
    load_image,
    load_mnist,
    load_penguins,
    load_temperature_splits,
    load_temperatures,
    make_lagged,
    penguin_split,
    persistence_forecast,
    pixel_coords,
)
from autograder.data.fetch import sha256_of
from autograder.data.temperature import SHA256, TARGET

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "autograder" / "data"

pytestmark = pytest.mark.usefixtures("offline_data")  # these tests read the offline data


@pytest.fixture(scope="module")
def temps() -> pd.DataFrame:
    return load_temperatures()


@pytest.fixture(scope="module")
def temp_splits() -> Splits:
    return load_temperature_splits()


def _copy_temperature(src: Path, dst: Path) -> Path:
    shutil.copytree(src / "temperature", dst / "temperature")
    return dst


# --------------------------------------------------------------------------------------------- temperatures


def test_temperatures_table(temps: pd.DataFrame) -> None:
    df = temps
    assert df.shape == (6991, 24)
    assert tuple(df.columns) == CITIES and CITIES[0] == TARGET == "OHCLEVEL" and len(set(CITIES)) == 24
    assert str(df.index[0].date()) == "1995-01-01" and str(df.index[-1].date()) == "2014-02-20"
    assert df.index.is_monotonic_increasing and (np.diff(df.index.values).astype("timedelta64[D]") == 1).all()
    assert (df.dtypes == np.float64).all()
    assert not df.isna().any().any()
    assert not (df == -99).any().any()
    assert df.to_numpy().min() > -40 and df.to_numpy().max() < 105
    counts = df.attrs["n_interpolated"]
    assert sum(counts.values()) == 495 and 13 <= min(counts.values()) and max(counts.values()) == 73


def test_missing_days_are_linearly_interpolated(temps: pd.DataFrame, offline_data: Path) -> None:
    raw = np.loadtxt(offline_data / "temperature" / "OHCLEVEL.txt")[:, 3]
    missing = np.flatnonzero(raw == -99)
    assert len(missing) == 14
    isolated = [i for i in missing if 0 < i < len(raw) - 1 and raw[i - 1] != -99 and raw[i + 1] != -99]
    assert isolated
    for i in isolated:
        assert temps["OHCLEVEL"].iloc[i] == pytest.approx((raw[i - 1] + raw[i + 1]) / 2)
    known = raw != -99
    np.testing.assert_array_equal(temps["OHCLEVEL"].to_numpy()[known], raw[known])


def test_missing_first_day_takes_nearest_value(temps: pd.DataFrame, offline_data: Path) -> None:
    raw = np.loadtxt(offline_data / "temperature" / "CODENVER.txt")[:, 3]
    assert raw[0] == -99
    first_known = raw[np.argmax(raw != -99)]
    assert temps["CODENVER"].iloc[0] == first_known


def test_make_lagged_layout(temps: pd.DataFrame) -> None:
    X, y, dates, names = make_lagged(temps, lags=5)
    assert X.shape == (6991 - 5, 120) and y.shape == (6986,) and len(dates) == 6986
    assert X.dtype == np.float64 and y.dtype == np.float64
    assert names[:2] == ("OHCLEVEL_lag1", "ILCHICAG_lag1") and names[24] == "OHCLEVEL_lag2"
    assert names[-1] == "WIGREBAY_lag5" and len(set(names)) == 120
    assert dates[0] == temps.index[5]
    values = temps.to_numpy()
    for row in (0, 100, 6985):
        t = row + 5
        for j in (0, 7, 30, 119):
            city, lag = j % 24, j // 24 + 1
            assert X[row, j] == values[t - lag, city]
        assert y[row] == temps[TARGET].iloc[t]


def test_make_lagged_small_example() -> None:
    df = pd.DataFrame(
        {"A": [1.0, 2.0, 3.0, 4.0], "B": [10.0, 20.0, 30.0, 40.0]},
        index=pd.date_range("2000-01-01", periods=4, freq="D"),
    )
    X, y, dates, names = make_lagged(df, target="B", lags=2)
    assert names == ("A_lag1", "B_lag1", "A_lag2", "B_lag2")
    np.testing.assert_array_equal(X, [[2, 20, 1, 10], [3, 30, 2, 20]])
    np.testing.assert_array_equal(y, [30, 40])
    assert list(dates) == list(df.index[2:])
    with pytest.raises(ValueError):
        make_lagged(df, target="C")
    with pytest.raises(ValueError):
        make_lagged(df, lags=0)


def test_temperature_splits(temp_splits: Splits) -> None:
    s = temp_splits
    assert s.val is not None
    assert (len(s.train), len(s.val), len(s.test)) == (5109, 1095, 782)
    for part in (s.train, s.val, s.test):
        assert part.X.shape[1] == 120 and part.X.dtype == np.float64 and part.y.dtype == np.float64
        assert np.isfinite(part.X).all() and np.isfinite(part.y).all()
    assert len(s.feature_names) == 120 and s.feature_names[0] == "OHCLEVEL_lag1"
    # Time order: the last training target is the day before the first validation target, and so on.
    assert s.train.y[-1] == s.val.X[0, 0] and s.val.y[-1] == s.test.X[0, 0]


def test_persistence_baseline(temp_splits: Splits) -> None:
    s = temp_splits
    assert s.val is not None
    pred = persistence_forecast(s.val.X, s.feature_names)
    np.testing.assert_array_equal(pred, s.val.X[:, 0])
    rmse = float(np.sqrt(np.mean((pred - s.val.y) ** 2)))
    assert rmse == pytest.approx(6.29, abs=0.01)


def test_temperature_splits_without_validation() -> None:
    s = load_temperature_splits(lags=1, train_until=2010, val_until=2010)
    assert s.val is None and s.train.X.shape[1] == 24
    with pytest.raises(ValueError):
        load_temperature_splits(train_until=2011, val_until=2009)


# --------------------------------------------------------------------------------------------- fetching


def test_fetch_reads_from_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, offline_data: Path) -> None:
    _copy_temperature(offline_data, tmp_path)
    monkeypatch.setenv("AUTOGRADER_DATA", str(tmp_path))
    assert data_dir() == tmp_path.resolve()
    path = fetch("temperature/OHCLEVEL.txt", sha256=SHA256["OHCLEVEL"], url=None)
    assert path == tmp_path.resolve() / "temperature" / "OHCLEVEL.txt"
    assert load_temperatures().shape == (6991, 24)
    # The copy has no MNIST: proving the shared folder is not read behind our back.
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        load_mnist("smoke")


def test_sha256_of_matches_checksum_file(offline_data: Path) -> None:
    sums = dict(reversed(line.split()) for line in (offline_data / "SHA256SUMS").read_text().splitlines() if line)
    for city in CITIES:
        assert SHA256[city] == sums[f"temperature/{city}.txt"]
    assert sha256_of(offline_data / "temperature" / "OHCLEVEL.txt") == SHA256["OHCLEVEL"]


def test_corrupted_file_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, offline_data: Path) -> None:
    _copy_temperature(offline_data, tmp_path)
    target = tmp_path / "temperature" / "MABOSTON.txt"
    data = bytearray(target.read_bytes())
    data[100] = ord("7") if data[100] != ord("7") else ord("8")
    target.write_bytes(bytes(data))
    monkeypatch.setenv("AUTOGRADER_DATA", str(tmp_path))
    with pytest.raises(DataError) as info:
        load_temperatures()
    message = str(info.value)
    assert "MABOSTON.txt" in message
    assert SHA256["MABOSTON"] in message and sha256_of(target) in message


def test_missing_file_gives_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUTOGRADER_DATA", str(tmp_path))
    with pytest.raises(DataError) as info:
        load_temperatures()
    message = str(info.value)
    assert "OHCLEVEL.txt" in message and str(tmp_path.resolve()) in message
    assert "AUTOGRADER_DATA" in message and "https://" in message


def test_data_dir_must_be_a_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("AUTOGRADER_DATA", str(tmp_path / "nope"))
    with pytest.raises(DataError, match="not a directory"):
        data_dir()
    monkeypatch.setenv("AUTOGRADER_DATA", "")
    assert data_dir() is None


def test_no_url_and_no_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("AUTOGRADER_DATA", raising=False)
    monkeypatch.setenv("AUTOGRADER_CACHE", str(tmp_path))
    with pytest.raises(DataError, match="secret.bin"):
        fetch("secret/secret.bin", sha256="0" * 64, url=None)
    with pytest.raises(ValueError):
        fetch("../escape.txt", sha256="0" * 64, url=None)


@pytest.fixture()
def local_server(offline_data: Path) -> Iterator[str]:
    """Serve the offline folder over HTTP on localhost, to exercise the download path without internet."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # the base class's signature (shadows format())
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(offline_data)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_download_is_cached_and_verified(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, local_server: str) -> None:
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("AUTOGRADER_DATA")
    monkeypatch.setenv("AUTOGRADER_CACHE", str(tmp_path))
    url = f"{local_server}/temperature/OHCLEVEL.txt"
    path = fetch("temperature/OHCLEVEL.txt", sha256=SHA256["OHCLEVEL"], url=url)
    assert path == tmp_path.resolve() / "temperature" / "OHCLEVEL.txt"
    assert sha256_of(path) == SHA256["OHCLEVEL"]
    # A second call re-uses the cached file: the URL (a 404 here) is not contacted.
    assert fetch("temperature/OHCLEVEL.txt", sha256=SHA256["OHCLEVEL"], url=f"{local_server}/gone") == path
    # A download whose hash does not match is refused.
    with pytest.raises(DataError, match="ILCHICAG.txt"):
        fetch("temperature/ILCHICAG.txt", sha256="0" * 64, url=f"{local_server}/temperature/ILCHICAG.txt")
    assert not (tmp_path / "temperature" / "ILCHICAG.txt").exists()


# --------------------------------------------------------------------------------------------- MNIST


def test_mnist_smoke() -> None:
    s = load_mnist()
    assert s.val is not None
    assert (len(s.train), len(s.val), len(s.test)) == (6000, 2000, 2000)
    for part in (s.train, s.val, s.test):
        assert part.X.shape[1] == 784 and part.X.dtype == np.float32 and part.y.dtype == np.int64
        assert part.X.min() >= 0.0 and part.X.max() <= 1.0
        assert set(np.unique(part.y)) == set(range(10))
    assert s.train.X.max() == 1.0
    # Each digit is between 7% and 13% of every part: the shuffle mixes the classes.
    frac = np.bincount(s.train.y, minlength=10) / len(s.train)
    assert frac.min() > 0.07 and frac.max() < 0.13


def test_mnist_seed_determinism() -> None:
    a, b, c = load_mnist(seed=1), load_mnist(seed=1), load_mnist(seed=2)
    np.testing.assert_array_equal(a.train.X, b.train.X)
    np.testing.assert_array_equal(a.test.y, b.test.y)
    assert not np.array_equal(a.train.y, c.train.y)


def test_mnist_custom_sizes() -> None:
    s = load_mnist(sizes=(100, 0, 50))
    assert s.val is None and len(s.train) == 100 and len(s.test) == 50
    np.testing.assert_array_equal(s.train.X, load_mnist().train.X[:100])  # same seed, same order
    with pytest.raises(ValueError):
        load_mnist(sizes=(9000, 1000, 1000))


def test_mnist_full_offline_fails_fast(tmp_path: Path) -> None:
    start = time.monotonic()
    with pytest.raises(DataError, match="smoke") as info:
        load_mnist("full")
    assert "train-images-idx3-ubyte" in str(info.value)
    with pytest.raises(DataError, match="60,000"):
        load_mnist("full", root=tmp_path)
    assert time.monotonic() - start < 5


def test_mnist_unknown_profile() -> None:
    with pytest.raises(ValueError, match="profile"):
        load_mnist("huge")


# --------------------------------------------------------------------------------------------- penguins


def test_penguins() -> None:
    df = load_penguins()
    assert df.shape == (344, 8)
    assert list(df.columns[:2]) == ["species", "island"]
    train, held_out = penguin_split(df)
    assert (len(train), len(held_out)) == (240, 104)
    assert list(train.index) == list(range(240)) and list(held_out.index) == list(range(104))
    assert list(train.columns) == list(df.columns)
    # Stratified: species shares match the full table to within one penguin's worth.
    full = df["species"].value_counts(normalize=True)
    for part in (train, held_out):
        share = part["species"].value_counts(normalize=True)
        assert (share - full).abs().max() < 1.5 / len(part)
    # Missing values are kept, not dropped.
    assert train.isna().sum().sum() + held_out.isna().sum().sum() == df.isna().sum().sum() > 0
    # Deterministic per seed.
    again, _ = penguin_split(df)
    other, _ = penguin_split(df, seed=1)
    assert train.equals(again) and not train.equals(other)
    assert len(penguin_split(df, test_fraction=0.5)[1]) == 172


# --------------------------------------------------------------------------------------------- image


def test_load_image() -> None:
    from sklearn.datasets import load_sample_image

    photo = load_sample_image("china.jpg")
    image = load_image()
    assert image.shape == (128, 128, 3) and image.dtype == np.float32
    assert 0.0 <= image.min() and image.max() <= 1.0 and image.std() > 0.1
    # The centred 427 x 427 square, shrunk: a block of the image averages the matching block of the photo.
    square = photo[:, 106:533].astype(np.float64) / 255
    assert abs(image[:64, :64].mean() - square[:213, :213].mean()) < 0.01
    assert abs(image.mean() - square.mean()) < 0.005
    small = load_image(64)
    assert small.shape == (64, 64, 3) and small.dtype == np.float32
    assert abs(small.mean() - image.mean()) < 0.005, "every size shows the same scene"
    np.testing.assert_array_equal(load_image(64), small)  # deterministic
    with pytest.raises(ValueError):
        load_image(1000)


def test_pixel_coords() -> None:
    coords = pixel_coords(3, 5)
    assert coords.shape == (15, 2) and coords.dtype == np.float32
    np.testing.assert_allclose(coords[0], [0, 0])
    np.testing.assert_allclose(coords[1], [0, 0.25])
    np.testing.assert_allclose(coords[5], [0.5, 0])
    np.testing.assert_allclose(coords[-1], [1, 1])
    assert pixel_coords(1, 4)[:, 0].tolist() == [0, 0, 0, 0]


def test_image_splits() -> None:
    image = load_image(64)
    s = image_splits(image)
    assert isinstance(s.train, Split) and s.val is None and s.feature_names == ("row", "col")
    assert len(s.train) == 32 * 32 and len(s.test) == 64 * 64 - 32 * 32
    assert s.train.X.dtype == np.float32 and s.train.y.dtype == np.float32 and s.train.y.shape == (1024, 3)
    rows = np.rint(s.train.X[:, 0] * 63).astype(int)
    cols = np.rint(s.train.X[:, 1] * 63).astype(int)
    assert (rows % 2 == 0).all() and (cols % 2 == 0).all()
    np.testing.assert_array_equal(s.train.y, image[rows, cols])
    test_rows = np.rint(s.test.X[:, 0] * 63).astype(int)
    test_cols = np.rint(s.test.X[:, 1] * 63).astype(int)
    assert ((test_rows % 2 == 1) | (test_cols % 2 == 1)).all()
    np.testing.assert_array_equal(s.test.y, image[test_rows, test_cols])
    odd = image_splits(np.zeros((5, 7, 3), dtype=np.float32))
    assert len(odd.train) == 3 * 4 and len(odd.test) == 35 - 12


# --------------------------------------------------------------------------------------------- packaging


def test_import_is_light() -> None:
    code = (
        "import sys, autograder.data\n"
        "heavy = [m for m in ('torch', 'torchvision', 'sklearn', 'pandas', 'pooch') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


ALLOWED = {
    "numpy", "pandas", "pooch", "torch", "torchvision", "sklearn", "palmerpenguins",
    "__future__", "ast", "collections", "dataclasses", "gzip", "hashlib", "importlib", "inspect", "os", "pathlib",
    "struct", "sys", "types", "typing",
}  # fmt: skip


def test_package_is_self_contained() -> None:
    """autograder/data ships verbatim in the student release: only stdlib/allowed libraries and relative imports."""
    for source in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(source.read_text(), filename=str(source))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                if node.level > 0:
                    continue
                tops = {(node.module or "").split(".")[0]}
            else:
                continue
            assert tops <= ALLOWED, f"{source.name}: import of {tops - ALLOWED}"
