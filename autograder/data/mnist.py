"""MNIST handwritten digits (28x28 grey images, labels 0-9), flattened for classifiers.

Two profiles, both returning a :class:`~autograder.data.splits.Splits` with ``X`` float32 of shape (n, 784),
pixel values scaled to [0, 1] (row-major 28x28 image, pixel ``(r, c)`` is column ``28 * r + c``), and ``y``
int64 digit labels:

* ``"smoke"`` (the default, works offline): only the official 10,000-image *test* file is used. It is shuffled
  with ``numpy.random.default_rng(seed)`` and cut into ``sizes = (train, val, test)`` (6,000 / 2,000 / 2,000 by
  default). Small enough to train on a laptop CPU in seconds; used by CI and the offline course machines.
* ``"full"``: the real thing. The official 60,000 training images are shuffled with the seed and split
  50,000 train / 10,000 validation; the official 10,000 test images (in their original order) are the held-out
  test set. ``sizes`` is ignored. Needs the training files, which the offline folder does not have.

The IDX files are parsed directly with numpy (a 16-byte header for images, 8 bytes for labels, then raw
unsigned bytes), which is all ``torchvision.datasets.MNIST`` does too.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np

from .errors import DataError
from .fetch import DataFile, cache_dir, data_dir
from .splits import Split, Splits

__all__ = ["FILES", "PROFILES", "load_mnist", "read_idx"]

PROFILES: tuple[str, ...] = ("smoke", "full")

_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"
_TEST_IMAGES = "t10k-images-idx3-ubyte"
_TEST_LABELS = "t10k-labels-idx1-ubyte"
_TRAIN_IMAGES = "train-images-idx3-ubyte"
_TRAIN_LABELS = "train-labels-idx1-ubyte"


def _file(name: str, *, sha256: str | None = None, md5: str, held_out: bool) -> DataFile:
    return DataFile(f"MNIST/raw/{name}.gz", sha256=sha256, url=f"{_MIRROR}{name}.gz", held_out=held_out, md5=md5)


#: Every MNIST file, gzipped as published. The 10k test files (read by the smoke profile, and the held-out test set
#: of the full one) carry a pinned SHA-256; the 60k training files are downloaded by torchvision, which checks the
#: md5 (so do we, for a local copy). The test files hold held-out labels.
FILES: tuple[DataFile, ...] = (
    _file(_TEST_IMAGES, sha256="8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
          md5="9fb629c4189551a2d022fa330f9573f3", held_out=True),
    _file(_TEST_LABELS, sha256="f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
          md5="ec29112dd5afa0611ce80d1b7f02629c", held_out=True),
    _file(_TRAIN_IMAGES, md5="f68b3c2dcbeaaa9fbdd348bbdeb94873", held_out=False),
    _file(_TRAIN_LABELS, md5="d53e105ee54ea40749a09fcbcd1e9432", held_out=False),
)
_BY_NAME = {file.name[: -len(".gz")]: file for file in FILES}  # "t10k-images-idx3-ubyte" -> its entry
_IDX_MAGIC = {1: 0x00000801, 3: 0x00000803}  # number of dimensions -> magic number for unsigned bytes


def read_idx(path: Path, ndim: int) -> np.ndarray:
    """Read an IDX file of unsigned bytes (optionally gzipped) into a uint8 array with ``ndim`` dimensions.

    The format: a big-endian 4-byte magic number (``0x0803`` for 3-D images, ``0x0801`` for 1-D labels), one
    big-endian 4-byte size per dimension, then the values.
    """
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError) as exc:
        raise DataError(f"Could not read MNIST file {path}: {exc}") from exc
    header = 4 * (ndim + 1)
    if len(raw) < header:
        raise DataError(f"MNIST file {path} is too short to be an IDX file")
    magic, *shape = struct.unpack(f">{ndim + 1}I", raw[:header])
    if magic != _IDX_MAGIC[ndim]:
        raise DataError(f"MNIST file {path}: magic number {magic:#010x}, expected {_IDX_MAGIC[ndim]:#010x}")
    if len(raw) - header != int(np.prod(shape)):
        raise DataError(f"MNIST file {path}: header says shape {tuple(shape)} but the file is truncated")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _to_xy(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if len(images) != len(labels):
        raise DataError(f"MNIST images ({len(images)}) and labels ({len(labels)}) do not match")
    X = images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)
    return X, labels.astype(np.int64)


def _load_smoke(seed: int, sizes: tuple[int, int, int]) -> Splits:
    paths = {name: _BY_NAME[name].fetch() for name in (_TEST_IMAGES, _TEST_LABELS)}
    X, y = _to_xy(read_idx(paths[_TEST_IMAGES], 3), read_idx(paths[_TEST_LABELS], 1))
    n_train, n_val, n_test = sizes
    if min(sizes) < 0 or n_train == 0 or n_test == 0 or sum(sizes) > len(y):
        raise ValueError(
            f"sizes {sizes} must be (train > 0, val >= 0, test > 0) adding up to at most {len(y)} for the "
            f"smoke profile"
        )
    order = np.random.default_rng(seed).permutation(len(y))
    train, val, test = np.split(order[: sum(sizes)], [n_train, n_train + n_val])
    return Splits(
        train=Split(X[train], y[train]),
        val=Split(X[val], y[val]) if n_val > 0 else None,
        test=Split(X[test], y[test]),
    )


def _local_file(raw_dir: Path, name: str) -> Path | None:
    """The .gz (md5-verified) or uncompressed copy of ``name`` in ``raw_dir``, or None if neither exists."""
    gz = raw_dir / f"{name}.gz"
    if gz.is_file():
        expected = _BY_NAME[name].md5
        actual = hashlib.md5(gz.read_bytes(), usedforsecurity=False).hexdigest()
        if actual != expected:
            raise DataError(f"Checksum mismatch for MNIST file {gz}: expected md5 {expected}, got {actual}")
        return gz
    plain = raw_dir / name
    return plain if plain.is_file() else None


def _full_help(root: Path, *, offline: bool) -> str:
    fix = (
        "with internet, unset AUTOGRADER_DATA so torchvision can download the full set"
        if offline
        else "otherwise check the internet connection and retry (torchvision downloads the full set)"
    )
    return (
        f"The 'full' MNIST profile needs the 60,000-image training set (MNIST/raw/{_TRAIN_IMAGES}[.gz] and "
        f"MNIST/raw/{_TRAIN_LABELS}[.gz]) under {root}. Offline, use load_mnist('smoke') instead (it needs only "
        f"the 10k test files); {fix}."
    )


def _load_full_local(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    raw_dir = root / "MNIST" / "raw"
    found = {name: _local_file(raw_dir, name) for name in (_TRAIN_IMAGES, _TRAIN_LABELS, _TEST_IMAGES, _TEST_LABELS)}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise DataError(f"MNIST files missing from {raw_dir}: {', '.join(missing)}. " + _full_help(root, offline=True))
    arrays = {name: read_idx(path, 3 if "images" in name else 1) for name, path in found.items() if path}
    return arrays[_TRAIN_IMAGES], arrays[_TRAIN_LABELS], arrays[_TEST_IMAGES], arrays[_TEST_LABELS]


def _load_full_download(root: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from torchvision.datasets import MNIST

    try:
        train = MNIST(str(root), train=True, download=True)
        test = MNIST(str(root), train=False, download=True)
    except (RuntimeError, OSError) as exc:  # torchvision reports failed downloads as RuntimeError / URLError
        raise DataError(f"Could not download MNIST into {root}: {exc}. " + _full_help(root, offline=False)) from exc
    return train.data.numpy(), train.targets.numpy(), test.data.numpy(), test.targets.numpy()


def _load_full(seed: int, root: Path | None) -> Splits:
    offline = data_dir()
    if root is None:
        root = offline if offline is not None else cache_dir()
    root = Path(root)
    if offline is not None:
        # AUTOGRADER_DATA means "no downloads": check the files ourselves so the failure is fast and clear.
        train_images, train_labels, test_images, test_labels = _load_full_local(root)
    else:
        train_images, train_labels, test_images, test_labels = _load_full_download(root)
    X, y = _to_xy(train_images, train_labels)
    X_test, y_test = _to_xy(test_images, test_labels)
    if len(y) != 60_000:
        raise DataError(f"expected 60,000 MNIST training images under {root}, found {len(y)}")
    order = np.random.default_rng(seed).permutation(len(y))
    train, val = order[:50_000], order[50_000:]
    return Splits(train=Split(X[train], y[train]), val=Split(X[val], y[val]), test=Split(X_test, y_test))


def load_mnist(
    profile: str = "smoke",
    *,
    seed: int = 0,
    sizes: tuple[int, int, int] = (6000, 2000, 2000),
    root: Path | None = None,
) -> Splits:
    """Load MNIST as flat float32 vectors in [0, 1] with int64 labels, split into train / val / held-out test.

    Args:
        profile: ``"smoke"`` (10k official test images only, split into ``sizes``; works offline) or
            ``"full"`` (60k train split 50k/10k by ``seed``, official 10k test held out).
        seed: seed of the shuffle (``numpy.random.default_rng(seed).permutation``). The same seed always gives
            the same split.
        sizes: (train, val, test) sizes for the smoke profile; ignored by ``"full"``. ``val`` may be 0, then
            ``Splits.val`` is ``None``.
        root: only for ``"full"``: the torchvision root folder (files in ``root/MNIST/raw``). Defaults to
            ``$AUTOGRADER_DATA`` if set, else the download cache folder.

    Raises:
        ValueError: unknown profile or impossible sizes.
        DataError: files missing or corrupted; for ``"full"`` when the 60k training set is unavailable
            (offline with ``AUTOGRADER_DATA`` set, nothing is downloaded and this is reported immediately).
    """
    if profile == "smoke":
        n_train, n_val, n_test = (int(n) for n in sizes)
        return _load_smoke(seed, (n_train, n_val, n_test))
    if profile == "full":
        return _load_full(seed, root)
    raise ValueError(f"unknown MNIST profile {profile!r}; choose one of {PROFILES}")
