"""Seeding and the device report every chapter's setup cell prints."""

from __future__ import annotations

import os

#: The oldest versions the chapters are written for (Keras 3 API).
MIN_TENSORFLOW = (2, 16)
MIN_KERAS = (3, 0)

COLAB_GPU_HINT = (
    "On Colab: Runtime > Change runtime type > GPU, then Runtime > Run all.\n"
    "Every chapter also runs on the CPU, only slower."
)


#: Shifts every seed the book sets, when this environment variable holds an integer.
#: CI's perturbed run uses it to stand in for another machine: every seeded draw
#: changes, while seeds that differ in a chapter stay different.
SEED_SHIFT_VARIABLE = "MNIST_BOOK_SEED"


def seed_everything(seed: int = 42) -> int:
    """Seed Python, NumPy and TensorFlow so that a re-run draws the same numbers.

    Results can still differ in the last digits between machines (oneDNN and
    GPU kernels sum in different orders), which is why the chapters check
    accuracies against ranges, never exact values. Returns the seed used: ``seed``,
    plus the value of ``MNIST_BOOK_SEED`` when that variable is set.
    """
    import keras

    shift = os.environ.get(SEED_SHIFT_VARIABLE, "").strip()
    if shift:
        try:
            seed += int(shift)
        except ValueError:
            raise ValueError(f"{SEED_SHIFT_VARIABLE} must be an integer, not {shift!r}") from None
    keras.utils.set_random_seed(seed)
    return seed


def _version_tuple(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


def check_versions(tensorflow_version: str, keras_version: str) -> None:
    """Raise a clear error if TensorFlow or Keras is older than the book needs."""
    problems = []
    if _version_tuple(tensorflow_version) < MIN_TENSORFLOW:
        problems.append(f"TensorFlow {tensorflow_version} (needs >= 2.16)")
    if _version_tuple(keras_version) < MIN_KERAS:
        problems.append(f"Keras {keras_version} (needs >= 3.0)")
    if problems:
        raise RuntimeError(
            "This book is written for Keras 3, but this environment has "
            + " and ".join(problems)
            + ". Upgrade with: pip install -U tensorflow"
        )


def gpu_names() -> list[str]:
    """The name of each GPU TensorFlow sees ("NVIDIA H200", or TensorFlow's device name when the
    driver gives none), in TensorFlow's order; an empty list on a machine without one.

    The one place the book asks for GPU names: the device report, `make execute`'s run record
    (tools/execute.py) and `make bench` (tools/bench.py) all use it.
    """
    import tensorflow as tf

    return [
        tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
        for gpu in tf.config.list_physical_devices("GPU")
    ]


def device_report() -> str:
    """Describe where training will run, and how to get a GPU when there is none."""
    import keras
    import tensorflow as tf

    check_versions(tf.__version__, keras.__version__)
    lines = [f"TensorFlow {tf.__version__}, Keras {keras.__version__}"]
    names = gpu_names()
    if names:
        lines.append("GPU: " + ", ".join(names))
    else:
        lines.append(f"No GPU: training on CPU ({os.cpu_count()} cores).")
        lines.append(COLAB_GPU_HINT)
    return "\n".join(lines)
