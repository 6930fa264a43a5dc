"""mnist_book.checks and mnist_book.runtime."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_book import SelfCheckError, self_check
from mnist_book.runtime import COLAB_GPU_HINT, check_versions, device_report, gpu_names, seed_everything


def test_self_check_prints_pass(capsys):
    self_check("Exercise 0.1", lambda: 2 + 2 == 4, hint="unused")
    assert capsys.readouterr().out == "PASS: Exercise 0.1\n"


def test_self_check_fails_loudly_with_the_hint(capsys):
    with pytest.raises(SelfCheckError, match=r"Exercise 0\.2 did not pass yet"):
        self_check("Exercise 0.2", lambda: False, hint="count the sevens")
    assert capsys.readouterr().out == "FAIL: Exercise 0.2\nHint: count the sevens\n"


def test_self_check_turns_an_unfinished_answer_into_a_fail(capsys):
    answer = None  # what a student-edition stub leaves behind
    with pytest.raises(SelfCheckError):
        self_check("Exercise 0.3", lambda: answer.shape == (28, 28), hint="reshape the array")
    printed = capsys.readouterr().out
    assert printed.startswith("FAIL: Exercise 0.3 (AttributeError:") and "Hint: reshape the array" in printed


def test_seed_everything_makes_draws_repeatable():
    import keras

    seed_everything(7)
    first = (np.random.rand(3), keras.random.uniform((3,)).numpy())
    seed_everything(7)
    second = (np.random.rand(3), keras.random.uniform((3,)).numpy())
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])


def test_old_versions_get_a_clear_message():
    check_versions("2.21.0", "3.15.1")
    with pytest.raises(RuntimeError, match=r"needs >= 2\.16.*pip install -U tensorflow"):
        check_versions("2.15.1", "2.15.0")


def test_device_report_without_a_gpu_says_how_to_get_one(monkeypatch):
    import tensorflow as tf

    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: [])
    lines = device_report().splitlines()
    assert lines[0] == f"TensorFlow {tf.__version__}, Keras {__import__('keras').__version__}"
    assert lines[1].startswith("No GPU: training on CPU (") and "\n".join(lines[2:]) == COLAB_GPU_HINT


def test_seed_shift_moves_every_seed_and_keeps_them_apart(monkeypatch):
    """MNIST_BOOK_SEED (CI's perturbed run) shifts each requested seed; different seeds stay different."""
    import keras

    monkeypatch.delenv("MNIST_BOOK_SEED", raising=False)
    assert seed_everything(42) == 42
    plain = keras.random.uniform((3,)).numpy()
    monkeypatch.setenv("MNIST_BOOK_SEED", "1000")
    assert (seed_everything(42), seed_everything(43)) == (1042, 1043)
    seed_everything(42)
    assert not np.array_equal(keras.random.uniform((3,)).numpy(), plain)
    monkeypatch.setenv("MNIST_BOOK_SEED", "seven")
    with pytest.raises(ValueError, match="MNIST_BOOK_SEED must be an integer, not 'seven'"):
        seed_everything(42)


def test_gpu_names_and_the_report_name_every_gpu(monkeypatch):
    """Two GPUs, one whose driver gives no name: the report, the run record and the bench all
    get their names from gpu_names()."""
    import tensorflow as tf

    gpus = [tf.config.PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(2)]
    details = {gpus[0].name: {"device_name": "NVIDIA H200", "compute_capability": (9, 0)}, gpus[1].name: {}}
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: gpus if kind == "GPU" else [])
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda gpu: details[gpu.name])

    assert gpu_names() == ["NVIDIA H200", "/physical_device:GPU:1"]
    assert device_report().splitlines()[1:] == ["GPU: NVIDIA H200, /physical_device:GPU:1"]
