"""Device-aware training defaults and the input pipeline (plumbing for chapter 5 and `make bench`).

Chapter 5 explains *why* these settings are what they are; this module only keeps them in one
place so that the chapter, the benchmark (``tools/bench.py``) and a reader on a Colab GPU all get
the same answer to two questions:

- **How big a batch, and is XLA worth it?** :func:`training_defaults` answers both from whether
  TensorFlow sees a GPU. On a GPU a bigger batch keeps the device busy and XLA (``jit_compile``)
  fuses small kernels; on a CPU it stays off, because ``make bench`` measured it making the book
  CNN's training more than twice as slow there (row ``ablation-jit-compile``).
- **How do the images reach the model?** :func:`make_dataset` builds a ``tf.data`` pipeline
  (cache, shuffle, batch, prefetch) that prepares the next batch while the current one trains.

It also reads the stored result of one full ``make bench`` run (:func:`load_bench_results`),
which ships inside the package so that chapter 5 can show it on Colab too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

#: Batch sizes of the book's CNN. The learning-rate schedule is defined over the whole run, so it
#: keeps its shape at either size; ``make bench`` trains both on the CPU (row ``ablation-batch-256``).
CPU_BATCH_SIZE = 128
GPU_BATCH_SIZE = 256

#: The stored result of one full ``make bench`` run (the file ``tools/bench.py --store`` writes).
BENCH_RESULTS_FILE = "bench_results.json"


@dataclass(frozen=True)
class TrainingDefaults:
    """What :func:`training_defaults` decided, and why (``reason``), in one printable object."""

    device: str
    batch_size: int
    jit_compile: bool
    reason: str

    def __str__(self) -> str:
        return f"{self.device}: batch_size={self.batch_size}, jit_compile={self.jit_compile} ({self.reason})"


def gpu_available() -> bool:
    """True when TensorFlow sees at least one GPU."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def training_defaults(gpu: bool | None = None) -> TrainingDefaults:
    """Batch size and ``jit_compile`` for this machine (``gpu=None``: ask TensorFlow).

    Pass ``gpu=True`` or ``gpu=False`` to see what the other kind of machine would use.
    """
    if gpu is None:
        gpu = gpu_available()
    if gpu:
        return TrainingDefaults(
            device="GPU",
            batch_size=GPU_BATCH_SIZE,
            jit_compile=True,
            reason="a large batch keeps the GPU busy and XLA fuses small kernels; time one epoch to check",
        )
    return TrainingDefaults(
        device="CPU",
        batch_size=CPU_BATCH_SIZE,
        jit_compile=False,
        reason="in make bench, XLA made CPU training over twice as slow and batch 256 gave no reliable gain",
    )


def make_dataset(images, labels, batch_size: int, *, training: bool, seed: int = 42, augment=None):
    """A ``tf.data.Dataset`` of ``(images, labels)`` batches that keeps the device fed.

    ``cache()`` keeps the converted tensors in memory after the first epoch, ``shuffle`` draws a
    new order every epoch (training only, over the whole set), ``batch`` groups the examples and
    ``prefetch`` prepares the next batch on the CPU while the current one trains.

    ``augment`` (training only) is a function or Keras preprocessing layer applied to every batch
    of images, such as ``keras.layers.RandomTranslation``. Running it here, not inside the model,
    keeps the model free of layers that XLA cannot compile, and lets the CPU augment the next
    batch while a GPU trains on the current one.
    """
    import tensorflow as tf

    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if augment is not None and not callable(augment):
        raise TypeError(f"augment must be a function or a Keras layer, not {type(augment).__name__}")
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).cache()
    if training:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size)
    if training and augment is not None:
        dataset = dataset.map(lambda x, y: (augment(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def load_bench_results() -> list[dict]:
    """The stored ``make bench`` run: one dict per trained recipe, in the order they ran.

    Each has at least ``name``, ``test_accuracy`` (a fraction), ``wall_s``, ``epochs`` and
    ``params``, plus the ``date``, ``machine`` and versions of the run. The file lives inside the
    package, so this works on Colab too.
    """
    text = resources.files("mnist_book").joinpath(BENCH_RESULTS_FILE).read_text(encoding="utf-8")
    return json.loads(text)
