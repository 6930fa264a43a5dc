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


def seed_everything(seed: int = 42) -> int:
    """Seed Python, NumPy and TensorFlow so that a re-run draws the same numbers.

    Results can still differ in the last digits between machines (oneDNN and
    GPU kernels sum in different orders), which is why the chapters check
    accuracies against ranges, never exact values.
    """
    import keras

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


def device_report() -> str:
    """Describe where training will run, and how to get a GPU when there is none."""
    import keras
    import tensorflow as tf

    check_versions(tf.__version__, keras.__version__)
    lines = [f"TensorFlow {tf.__version__}, Keras {keras.__version__}"]
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = []
        for gpu in gpus:
            details = tf.config.experimental.get_device_details(gpu)
            names.append(details.get("device_name", gpu.name))
        lines.append("GPU: " + ", ".join(names))
    else:
        lines.append(f"No GPU: training on CPU ({os.cpu_count()} cores).")
        lines.append(COLAB_GPU_HINT)
    return "\n".join(lines)
