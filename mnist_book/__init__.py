"""Plumbing for the MNIST book.

Only what the chapters need but do not teach lives here: loading the data
(`data`), seeding and the device report (`runtime`), the plot style (`plots`)
and the self-check used after every exercise (`checks`). Building, compiling, fitting and evaluating
models stays in the chapters, where it is explained.
"""

from mnist_book.checks import SelfCheckError, self_check
from mnist_book.data import MNISTDataError, idx_file_bytes, load_mnist
from mnist_book.images import prepare_digit
from mnist_book.plots import use_book_style
from mnist_book.runtime import device_report, seed_everything

__all__ = [
    "MNISTDataError",
    "SelfCheckError",
    "device_report",
    "idx_file_bytes",
    "load_mnist",
    "prepare_digit",
    "seed_everything",
    "self_check",
    "use_book_style",
]
__version__ = "0.1.0"
