"""mnist_book.data: every source and every failure the loader promises to handle."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from mnist_book.data import (
    DATA_ENV_VAR,
    IDX_SHA256,
    MNISTDataError,
    idx_file_bytes,
    load_mnist,
    parse_idx,
)

MIRROR = os.environ.get(DATA_ENV_VAR, "")
needs_mirror = pytest.mark.skipif(not MIRROR, reason=f"{DATA_ENV_VAR} is not set (CI sets it to ../shared/data/mnist)")


@pytest.fixture
def mirror_copy(tmp_path):
    """A private copy of the mirror that a test may damage."""
    folder = tmp_path / "mnist"
    shutil.copytree(MIRROR, folder)
    return folder


def assert_explains_both_fixes(error: MNISTDataError):
    message = str(error)
    assert DATA_ENV_VAR in message
    assert "Offline" in message and "Online" in message


@needs_mirror
def test_mirror_returns_what_keras_returns(monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, MIRROR)
    (x_train, y_train), (x_test, y_test) = load_mnist()
    assert (x_train.shape, y_train.shape, x_test.shape, y_test.shape) == (
        (60000, 28, 28),
        (60000,),
        (10000, 28, 28),
        (10000,),
    )
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    # The original order: the first training labels and the first test labels.
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    # The published statistics of the training pixels.
    scaled = x_train / 255.0
    assert round(float(scaled.mean()), 4) == 0.1307
    assert round(float(scaled.std()), 4) == 0.3081
    assert x_train.flags.writeable


@needs_mirror
def test_uncompressed_files_give_the_same_arrays(monkeypatch, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in IDX_SHA256:
        (raw / name).write_bytes(gzip.decompress((Path(MIRROR) / f"{name}.gz").read_bytes()))
    monkeypatch.setenv(DATA_ENV_VAR, str(raw))
    (x_raw, y_raw), _ = load_mnist()
    monkeypatch.setenv(DATA_ENV_VAR, MIRROR)
    (x_gz, y_gz), _ = load_mnist()
    assert np.array_equal(x_raw, x_gz) and np.array_equal(y_raw, y_gz)


@needs_mirror
def test_altered_file_is_refused(monkeypatch, mirror_copy):
    labels = mirror_copy / "train-labels-idx1-ubyte.gz"
    data = bytearray(gzip.decompress(labels.read_bytes()))
    data[100] = (data[100] + 1) % 10  # one wrong label
    labels.write_bytes(gzip.compress(bytes(data)))
    monkeypatch.setenv(DATA_ENV_VAR, str(mirror_copy))
    with pytest.raises(MNISTDataError, match="SHA-256") as caught:
        load_mnist()
    assert "train-labels-idx1-ubyte.gz" in str(caught.value)
    assert_explains_both_fixes(caught.value)


@needs_mirror
def test_truncated_download_is_refused(monkeypatch, mirror_copy):
    images = mirror_copy / "t10k-images-idx3-ubyte.gz"
    images.write_bytes(images.read_bytes()[:50_000])
    monkeypatch.setenv(DATA_ENV_VAR, str(mirror_copy))
    with pytest.raises(MNISTDataError, match="truncated or corrupted") as caught:
        load_mnist()
    assert "t10k-images-idx3-ubyte.gz" in str(caught.value)
    assert_explains_both_fixes(caught.value)


@needs_mirror
def test_missing_file_is_named(monkeypatch, mirror_copy):
    (mirror_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv(DATA_ENV_VAR, str(mirror_copy))
    with pytest.raises(MNISTDataError, match=r"t10k-labels-idx1-ubyte\.gz' .* is missing") as caught:
        load_mnist()
    assert_explains_both_fixes(caught.value)


def test_folder_that_does_not_exist(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(MNISTDataError, match="not a folder") as caught:
        load_mnist()
    assert_explains_both_fixes(caught.value)


@needs_mirror
def test_idx_file_bytes_reads_the_mirror(monkeypatch):
    monkeypatch.setenv(DATA_ENV_VAR, MIRROR)
    raw = idx_file_bytes("t10k-labels-idx1-ubyte")
    assert np.frombuffer(raw, ">u4", count=2).tolist() == [2049, 10000]
    with pytest.raises(ValueError, match="unknown MNIST file"):
        idx_file_bytes("train-images")


def test_parse_idx_reads_header_and_rejects_other_files():
    header = (0x803).to_bytes(4, "big") + (2).to_bytes(4, "big") + (2).to_bytes(4, "big") + (3).to_bytes(4, "big")
    array = parse_idx(header + bytes(range(12)))
    assert array.shape == (2, 2, 3) and array.dtype == np.uint8 and array[1, 1, 2] == 11
    with pytest.raises(ValueError, match="not a uint8 IDX file"):
        parse_idx(b"\x00\x00\x0d\x01" + bytes(8))


NO_NETWORK_SCRIPT = textwrap.dedent(
    """
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    socket.getaddrinfo = refuse
    socket.create_connection = refuse
    socket.socket.connect = refuse

    from mnist_book.data import MNISTDataError, load_mnist
    try:
        load_mnist()
    except MNISTDataError as error:
        print("MNISTDataError:", error)
    else:
        print("loaded without network?")
    """
)


def test_no_network_and_no_mirror_explains_both_fixes(tmp_path):
    # A fresh process: no MNIST_BOOK_DATA, an empty Keras cache, sockets refused.
    env = {k: v for k, v in os.environ.items() if k != DATA_ENV_VAR}
    env.update(HOME=str(tmp_path), KERAS_HOME=str(tmp_path / "keras"), TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run(
        [sys.executable, "-c", NO_NETWORK_SCRIPT], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "MNISTDataError: Keras could not download MNIST" in result.stdout
    assert DATA_ENV_VAR in result.stdout and "Offline" in result.stdout
