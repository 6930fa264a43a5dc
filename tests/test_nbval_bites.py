"""nbval really compares: a chapter whose stored output was altered must fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import nbformat

from book import ROOT

NBVAL = [
    "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
    "--nbval-kernel-startup-timeout", "180", "-x", "-q", "-p", "no:cacheprovider",
]


def run_nbval(path):
    return subprocess.run(
        [sys.executable, "-m", "pytest", *NBVAL, str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def test_altered_output_makes_nbval_fail():
    source = ROOT / "chapters" / "01_mnist_dataset.ipynb"
    # Inside the repository, so that the root conftest.py (stderr not compared) applies.
    workdir = ROOT / "_build" / "nbval-bites"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    intact = workdir / "intact.ipynb"
    shutil.copy(source, intact)

    nb = nbformat.read(source, as_version=4)
    header_cell = next(c for c in nb.cells if c.cell_type == "code" and c.source.startswith("header = "))
    plain = header_cell.outputs[0]["data"]["text/plain"]
    assert "2051" in plain
    header_cell.outputs[0]["data"]["text/plain"] = plain.replace("2051", "2052")
    altered = workdir / "altered.ipynb"
    nbformat.write(nb, altered)

    passed = run_nbval(intact)
    assert passed.returncode == 0, passed.stdout[-3000:]
    failed = run_nbval(altered)
    assert failed.returncode == 1, failed.stdout[-3000:]
    assert "2052" in failed.stdout and "2051" in failed.stdout  # nbval shows both outputs
