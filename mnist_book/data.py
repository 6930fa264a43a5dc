"""Load MNIST exactly as `keras.datasets.mnist.load_data()` returns it.

Two sources, tried in this order:

1. The folder named by the environment variable ``MNIST_BOOK_DATA``, holding
   the four original IDX files (gzip-compressed or not). Every file is checked
   against the SHA-256 published for the decompressed original, so a damaged or
   different file is refused instead of silently giving other numbers.
2. Keras's own download, cached in ``~/.keras/datasets/mnist.npz``.

Any failure raises :class:`MNISTDataError`, whose message says what went wrong
and both ways to fix it.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import zlib
from pathlib import Path

import numpy as np

#: The environment variable that points at a local copy of the IDX files.
DATA_ENV_VAR = "MNIST_BOOK_DATA"

#: A public mirror of the four original gzip files (used by TensorFlow's old tutorials).
IDX_MIRROR = "https://storage.googleapis.com/cvdf-datasets/mnist/"

#: SHA-256 of the *decompressed* original IDX files (LeCun, Cortes and Burges).
IDX_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

# IDX magic numbers: 0x00000801 = uint8 vector (labels), 0x00000803 = uint8 3-D array (images).
_IDX_MAGIC = {1: 0x00000801, 3: 0x00000803}

_HOW_TO_FIX = (
    "How to fix it, either way works:\n"
    f"  1. Offline: download the four files train-images-idx3-ubyte.gz, "
    "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz "
    "(for example from a mirror of yann.lecun.com/exdb/mnist), put them in one folder and set "
    f"the environment variable {DATA_ENV_VAR} to that folder, e.g. "
    f"os.environ['{DATA_ENV_VAR}'] = '/path/to/mnist' before calling load_mnist().\n"
    f"  2. Online: unset {DATA_ENV_VAR} and let Keras download mnist.npz (needs internet "
    "access to storage.googleapis.com; delete ~/.keras/datasets/mnist.npz if an earlier "
    "download was interrupted)."
)


class MNISTDataError(RuntimeError):
    """MNIST could not be loaded; the message says why and how to fix it."""

    def __init__(self, problem: str):
        super().__init__(f"{problem}\n{_HOW_TO_FIX}")
        self.problem = problem


def load_mnist():
    """Return ``((x_train, y_train), (x_test, y_test))`` as uint8 numpy arrays.

    Shapes (60000, 28, 28), (60000,), (10000, 28, 28), (10000,), in the
    original order: the same as ``keras.datasets.mnist.load_data()``.
    """
    folder = os.environ.get(DATA_ENV_VAR, "").strip()
    if folder:
        return load_mnist_from_folder(folder)
    return _load_mnist_with_keras()


def load_mnist_from_folder(folder: str | os.PathLike):
    """Read and verify the four IDX files in ``folder`` (gzip or raw)."""
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise MNISTDataError(f"{DATA_ENV_VAR} is set to '{folder}', which is not a folder.")
    x_train = read_idx(_find_idx_file(folder, "train-images-idx3-ubyte"))
    y_train = read_idx(_find_idx_file(folder, "train-labels-idx1-ubyte"))
    x_test = read_idx(_find_idx_file(folder, "t10k-images-idx3-ubyte"))
    y_test = read_idx(_find_idx_file(folder, "t10k-labels-idx1-ubyte"))
    return (x_train, y_train), (x_test, y_test)


def _find_idx_file(folder: Path, name: str) -> Path:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    present = sorted(p.name for p in folder.iterdir()) or ["(nothing)"]
    raise MNISTDataError(
        f"MNIST file '{name}.gz' (or '{name}') is missing from {DATA_ENV_VAR}='{folder}'. "
        f"That folder holds: {', '.join(present)}."
    )


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one MNIST IDX file, verify its SHA-256 and return it as a uint8 array."""
    return parse_idx(read_idx_bytes(path))


def read_idx_bytes(path: str | os.PathLike) -> bytes:
    """The decompressed bytes of one MNIST IDX file, verified against its SHA-256."""
    path = Path(path)
    name = path.name.removesuffix(".gz")
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        # gzip.BadGzipFile is an OSError; a truncated stream raises EOFError.
        raise MNISTDataError(
            f"MNIST file '{path}' could not be read or decompressed ({error}). It is probably truncated or corrupted."
        ) from error

    expected = IDX_SHA256.get(name)
    if expected is None:
        raise MNISTDataError(f"'{path.name}' is not one of the four MNIST files.")
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise MNISTDataError(
            f"MNIST file '{path}' is corrupted or not the original: its SHA-256 is "
            f"{actual}, the published one is {expected}."
        )
    return raw


def idx_file_bytes(name: str) -> bytes:
    """The verified bytes of one original IDX file, e.g. ``"train-labels-idx1-ubyte"``.

    From ``MNIST_BOOK_DATA`` when it is set, else downloaded once from a public
    mirror of the original files into Keras's cache. Chapter 1 uses it to read
    an IDX header by hand.
    """
    if name not in IDX_SHA256:
        raise ValueError(f"unknown MNIST file {name!r}; expected one of {sorted(IDX_SHA256)}")
    folder = os.environ.get(DATA_ENV_VAR, "").strip()
    if folder:
        return read_idx_bytes(_find_idx_file(Path(folder).expanduser(), name))
    try:
        import keras

        path = keras.utils.get_file(f"{name}.gz", origin=f"{IDX_MIRROR}{name}.gz", cache_subdir="datasets/mnist-idx")
    except Exception as error:  # noqa: BLE001 - any download failure gets the same advice
        raise MNISTDataError(
            f"Could not download the IDX file {name}.gz ({type(error).__name__}: {error}), "
            f"and {DATA_ENV_VAR} is not set."
        ) from error
    return read_idx_bytes(path)


def parse_idx(raw: bytes) -> np.ndarray:
    """Parse IDX bytes: a big-endian header (magic, one uint32 per dimension), then uint8 data."""
    magic = int.from_bytes(raw[0:4], "big")
    ndim = raw[3]
    if _IDX_MAGIC.get(ndim) != magic:
        raise ValueError(f"not a uint8 IDX file (magic number {magic:#010x})")
    header_size = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=np.uint8, offset=header_size)
    # A copy makes the array writable, like the ones Keras returns.
    return data.reshape(shape).copy()


def _load_mnist_with_keras():
    try:
        import keras

        return keras.datasets.mnist.load_data()
    except Exception as error:  # noqa: BLE001 - any download failure gets the same advice
        raise MNISTDataError(
            f"Keras could not download MNIST ({type(error).__name__}: {error}), and {DATA_ENV_VAR} is not set."
        ) from error
