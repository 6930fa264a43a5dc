"""mnist_book.checks and mnist_book.runtime."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_book import SelfCheckError, self_check
from mnist_book.runtime import COLAB_GPU_HINT, check_versions, device_report, seed_everything


def test_self_check_prints_pass(capsys):
    self_check("Exercise 0.1", lambda: 2 + 2 == 4, hint="unused")
    assert capsys.readouterr().out == "PASS: Exercise 0.1\n"


def test_self_check_fails_loudly_with_the_hint(capsys):
    with pytest.raises(SelfCheckError, match="Exercise 0.2 did not pass yet"):
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
    with pytest.raises(RuntimeError, match="needs >= 2.16.*pip install -U tensorflow"):
        check_versions("2.15.1", "2.15.0")


def test_device_report_names_the_device():
    import tensorflow as tf

    report = device_report()
    assert f"TensorFlow {tf.__version__}" in report
    if tf.config.list_physical_devices("GPU"):
        assert "GPU: " in report
    else:
        assert "No GPU: training on CPU" in report and COLAB_GPU_HINT in report
