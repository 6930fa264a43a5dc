"""Publish chapter 7's model for real handwriting on the website, as ONNX: `make widget-model`.

Usage: python -m tools.export_widget_model [KERAS_FILE]   (default: _build/widget/widget.keras)

`make widget-model` runs chapter 7 with ``MNIST_BOOK_WIDGET_KERAS`` set, so that its section 12 copies
the model it trained (``widget.keras``) out of its temporary folder, then runs this tool, which:

1. checks that the file is the model whose MNIST test accuracy the chapter's stored output prints
   (the same accuracy to the 4 decimals printed), so that the site never shows another model;
2. converts it with ``model.export(path, format="onnx")`` (Keras calls tf2onnx);
3. runs the ONNX file with onnxruntime on the whole MNIST test set: its probabilities must match
   Keras's to within 1e-5, and its accuracy is the one recorded;
4. writes web/model/digits.onnx and records, in chapter 7's metadata (``mnist_book.widget_model``),
   its SHA-256, size, test accuracy and the converter's versions. The site build (_ext/mnist_widget.py)
   refuses a model file whose hash differs from that record.

tf2onnx, onnx and onnxruntime are needed here only (requirements-widget.txt; `make widget-model`
installs them). The committed digits.onnx is what a fresh clone's `make book` publishes.
"""

from __future__ import annotations

import hashlib
import re
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "chapters" / "07_save_load_handwriting.ipynb"
DEFAULT_KERAS = ROOT / "_build" / "widget" / "widget.keras"
ONNX_FILE = ROOT / "web" / "model" / "digits.onnx"
#: The line section 12 prints; the tool checks the model file against it.
PRINTED_ACCURACY = re.compile(r"widget's model, MNIST test accuracy: (0\.\d{4})")
#: Largest difference allowed between ONNX Runtime's probabilities and Keras's.
TOLERANCE = 1e-5


def printed_test_accuracy(notebook) -> float:
    """The widget model's test accuracy as chapter 7's stored output prints it."""
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            match = PRINTED_ACCURACY.search(text if isinstance(text, str) else "".join(text))
            if match:
                return float(match.group(1))
    raise SystemExit(f"{CHAPTER.name} has no stored line 'widget's model, MNIST test accuracy': run make widget-model")


def main(keras_file: Path) -> None:
    if not keras_file.exists():
        raise SystemExit(f"no {keras_file}: run `make widget-model`, which runs chapter 7 to write it")
    import keras
    import numpy as np  # imported here: slow, and not needed for the checks above
    import onnxruntime

    from mnist_book import load_mnist

    notebook = nbformat.read(CHAPTER, as_version=4)
    expected = printed_test_accuracy(notebook)
    model = keras.models.load_model(keras_file)
    _, (x_test, y_test) = load_mnist()
    x_test = (x_test / 255.0).astype("float32")[..., np.newaxis]
    keras_probabilities = model.predict(x_test, batch_size=512, verbose=0)
    keras_accuracy = float(np.mean(keras_probabilities.argmax(axis=1) == y_test))
    if f"{keras_accuracy:.4f}" != f"{expected:.4f}":
        raise SystemExit(
            f"{keras_file} reads {keras_accuracy:.4f} of the test set, but chapter 7's stored run printed "
            f"{expected:.4f}: it is not the model of that run. Run `make widget-model` (chapter 7 and this tool)."
        )

    with tempfile.TemporaryDirectory() as scratch:
        onnx_path = Path(scratch) / "digits.onnx"
        model(x_test[:1])  # Keras exports only a model that has been called
        model.export(str(onnx_path), format="onnx", verbose=False)
        session = onnxruntime.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name
        onnx_probabilities = np.concatenate(
            [session.run(None, {input_name: x_test[i : i + 1000]})[0] for i in range(0, len(x_test), 1000)]
        )
        difference = float(np.abs(onnx_probabilities - keras_probabilities).max())
        if difference > TOLERANCE:
            raise SystemExit(f"the ONNX model differs from Keras's by {difference:.2e} (more than {TOLERANCE})")
        onnx_accuracy = float(np.mean(onnx_probabilities.argmax(axis=1) == y_test))
        data = onnx_path.read_bytes()

    ONNX_FILE.parent.mkdir(parents=True, exist_ok=True)
    ONNX_FILE.write_bytes(data)
    record = {
        "file": ONNX_FILE.relative_to(ROOT).as_posix(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "test_accuracy": round(onnx_accuracy, 4),
        "input": input_name,
        "max_difference_from_keras": float(f"{difference:.2e}"),
        "converter": f"keras {version('keras')}, tf2onnx {version('tf2onnx')}, onnx {version('onnx')}",
        "checked_with": f"onnxruntime {version('onnxruntime')}",
    }
    notebook.metadata.setdefault("mnist_book", {})["widget_model"] = record
    nbformat.write(notebook, CHAPTER)
    print(
        f"Wrote {record['file']}: {record['bytes']:,} bytes, sha256 {record['sha256'][:16]}..., test accuracy "
        f"{onnx_accuracy:.2%}, largest difference from Keras {difference:.1e}; recorded in {CHAPTER.name}"
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_KERAS)
