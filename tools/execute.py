"""Run chapters top to bottom and store their outputs: the only way outputs get into git.

Usage: python -m tools.execute [chapters/NN_name.ipynb ...]   (default: every chapter in _toc.yml)

For each notebook this clears the old outputs, runs every cell in a fresh
kernel, and records in the notebook's metadata (key ``mnist_book``):

- ``code_sha256``: a hash of the code cells, so tests can tell when the stored
  outputs no longer belong to the code (see ``notebook_code_hash``);
- ``outputs_sha256``: a hash of every code cell's stored outputs and tags, so tests can
  tell when an output or a tag was edited by hand (see ``notebook_outputs_hash``);
- ``run``: the run record (seconds, device, TensorFlow/Keras versions, date,
  CPU cores), rendered by the book's run-record page.

It prints each chapter's time and the total.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from tools import toc
from tools.machine import describe_device

ROOT = Path(__file__).resolve().parent.parent


def toc_chapters() -> list[Path]:
    """Every notebook listed in _toc.yml, in reading order (tools/toc.py)."""
    return toc.toc_chapters(ROOT)


def notebook_code_hash(nb) -> str:
    """SHA-256 of the code cells' sources, in order. Markdown edits do not change it."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.strip().encode())
            digest.update(b"\n\x00\n")
    return digest.hexdigest()


def notebook_outputs_hash(nb) -> str:
    """SHA-256 of every code cell's outputs and tags, in order, as nbformat reads them back.

    Only `make execute` writes outputs, and it records this hash; an output, a plot or an
    `nbval-ignore-output` tag changed by hand afterwards no longer matches it.
    """
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            record = {"tags": sorted(cell.metadata.get("tags", [])), "outputs": cell.outputs}
            digest.update(json.dumps(record, sort_keys=True, ensure_ascii=True).encode())
            digest.update(b"\n\x00\n")
    return digest.hexdigest()


def environment_facts() -> dict:
    """Versions and device of the environment the kernels run in (this Python)."""
    probe = (
        "import json, tensorflow as tf, keras;"
        "from mnist_book.runtime import gpu_names;"
        "print(json.dumps({'tensorflow': tf.__version__, 'keras': keras.__version__, 'gpus': gpu_names()}))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    facts = json.loads(out.strip().splitlines()[-1])
    facts["device"] = describe_device(facts.pop("gpus"))
    facts["cpu_cores"] = os.cpu_count()
    return facts


# TensorFlow's C++ start-up lines (absl logging) reach stderr before TF_CPP_MIN_LOG_LEVEL
# applies. They differ per machine and mean nothing to a reader, so they are not stored.
TF_LOG_LINE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\).*|[IWE]\d{4} [\d:.]+\s+\d+ \S+:\d+\].*)$"
)


def drop_tensorflow_log_lines(nb) -> None:
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                lines = [line for line in output.text.splitlines() if not TF_LOG_LINE.match(line)]
                if not any(line.strip() for line in lines):
                    continue
                output.text = "\n".join(lines) + "\n"
            kept.append(output)
        cell.outputs = kept


def compressed_png(original: bytes) -> bytes:
    """A plot re-encoded with a 256-colour palette: about a third of the bytes for matplotlib
    figures, with no visible change, so pages and notebooks stay light. Returns the original
    when the palette saves less than 15%."""
    from PIL import Image

    image = Image.open(io.BytesIO(original)).convert("RGB")
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    palette.save(buffer, "PNG", optimize=True)
    return buffer.getvalue() if len(buffer.getvalue()) < 0.85 * len(original) else original


def compress_png_outputs(nb) -> None:
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/png" in data:
                data["image/png"] = base64.b64encode(compressed_png(base64.b64decode(data["image/png"]))).decode()


def execute(path: Path, facts: dict) -> float:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        cell.metadata.pop("execution", None)
    client = NotebookClient(
        nb,
        timeout=1800,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    drop_tensorflow_log_lines(nb)
    compress_png_outputs(nb)
    nb.metadata["mnist_book"] = {
        "code_sha256": notebook_code_hash(nb),
        "run": {
            "seconds": round(seconds, 1),
            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"),
            **facts,
        },
    }
    nbformat.write(nb, path)
    # Hash the outputs as they read back from disk, which is what the tests will see.
    nb = nbformat.read(path, as_version=4)
    nb.metadata["mnist_book"]["outputs_sha256"] = notebook_outputs_hash(nb)
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    paths = [Path(a).resolve() for a in argv] or toc_chapters()
    facts = environment_facts()
    print(f"Executing {len(paths)} chapter(s) on {facts['device']}", flush=True)
    total = 0.0
    for path in paths:
        print(f"  {path.relative_to(ROOT)} ...", end="", flush=True)
        seconds = execute(path, facts)
        total += seconds
        print(f" {seconds:6.1f} s", flush=True)
    print(f"Total: {total:.1f} s ({total / 60:.1f} min) for {len(paths)} chapter(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
