"""The suite bites: a chapter changed by hand after `make execute` must fail it.

Four mutations of real chapters, each written to a copy under _build/nbval-bites (inside the
repository, so that the root conftest.py applies: stderr skipped, plots compared):

- an altered text output (chapter 1's IDX header 2051 -> 2052);
- an altered plot (chapter 1's label-count chart, mirrored);
- a weakened range assert (chapter 7's `val_accuracy > 0.9x` -> `> 0.0`), which nbval cannot see,
  since the weakened assert passes: the code hash stored by `make execute` catches it;
- a tightened range assert (the same line, `> 0.9999`), which no run reaches: nbval catches it;
- an `nbval-ignore-output` tag added by hand (chapter 1's header cell), which would switch nbval's
  comparison off: the outputs-and-tags hash catches it.

One nbval run covers the intact copies and the mutations; each mutation must fail the checks
named for it, and the intact copies must pass them all.
"""

from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import nbformat
import pytest
from PIL import Image, ImageOps

from book import ROOT, notebook_code_hash, notebook_outputs_hash

pytestmark = pytest.mark.slow  # one nbval run over four chapter copies: minutes

WORKDIR = ROOT / "_build" / "nbval-bites"
CHAPTER_1 = ROOT / "chapters" / "01_mnist_dataset.ipynb"
CHAPTER_7 = ROOT / "chapters" / "07_save_load_handwriting.ipynb"
# Chapter 7's first training cell ends on a range assert: `assert history.history["val_accuracy"][-1] > 0.9x`.
RANGE_ASSERT = re.compile(r'(assert history\.history\["val_accuracy"\]\[-1\] > )(0\.\d+)')
NBVAL = [
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    str(ROOT / "tests" / "nbval_sanitize.cfg"),
    "--nbval-kernel-startup-timeout",
    "180",
    "-q",
    "-p",
    "no:cacheprovider",
]


def cell_with(nb, text):
    """The first code cell containing `text` (a string, or a compiled pattern)."""
    found = (lambda source: text.search(source)) if isinstance(text, re.Pattern) else (lambda source: text in source)
    return next(c for c in nb.cells if c.cell_type == "code" and found(c.source))


def alter_text(nb):
    header = cell_with(nb, "header = ")
    plain = header.outputs[0]["data"]["text/plain"]
    assert "2051" in plain
    header.outputs[0]["data"]["text/plain"] = plain.replace("2051", "2052")


def alter_plot(nb):
    chart = cell_with(nb, 'ax.set_title("MNIST label counts")')
    data = next(o["data"] for o in chart.outputs if "image/png" in o.get("data", {}))
    mirrored = ImageOps.mirror(Image.open(io.BytesIO(base64.b64decode(data["image/png"]))))
    buffer = io.BytesIO()
    mirrored.save(buffer, "PNG")
    data["image/png"] = base64.b64encode(buffer.getvalue()).decode()


def replace_bound(nb, bound: str):
    """Put another lower bound into the range assert."""
    cell = cell_with(nb, RANGE_ASSERT)
    cell.source = RANGE_ASSERT.sub(lambda match: match[1] + bound, cell.source, count=1)


def up_to_range_assert(nb):
    """Chapter 7 up to its first training cell (the one with the range assert): enough for nbval."""
    last = nb.cells.index(cell_with(nb, RANGE_ASSERT))
    nb.cells = nb.cells[: last + 1]


def copies() -> dict[str, object]:
    """name -> notebook: the intact copies and the mutations."""

    def read(path):
        return nbformat.read(path, as_version=4)

    made = {"intact-ch1": read(CHAPTER_1), "text-output": read(CHAPTER_1), "plot": read(CHAPTER_1)}
    alter_text(made["text-output"])
    alter_plot(made["plot"])
    made["added-tag"] = read(CHAPTER_1)
    cell_with(made["added-tag"], "header = ").metadata.setdefault("tags", []).append("nbval-ignore-output")
    made["weakened-assert"] = read(CHAPTER_7)
    replace_bound(made["weakened-assert"], "0.0")
    made["intact-ch7-start"] = read(CHAPTER_7)
    up_to_range_assert(made["intact-ch7-start"])
    made["tightened-assert"] = read(CHAPTER_7)
    replace_bound(made["tightened-assert"], "0.9999")
    up_to_range_assert(made["tightened-assert"])
    return made


# Which checks each copy must fail: the stored hashes (tests/test_notebooks.py) and nbval.
EXPECTED_FAILURES = {
    "intact-ch1": set(),
    "text-output": {"outputs hash", "nbval"},
    "plot": {"outputs hash", "nbval"},
    "added-tag": {"outputs hash"},
    "weakened-assert": {"code hash"},
    "intact-ch7-start": set(),
    "tightened-assert": {"nbval"},
}
# Copies of a chapter's first cells only go through nbval: the stored hashes are the whole chapter's.
PREFIXES = {"intact-ch7-start", "tightened-assert"}
# nbval would pass the added tag and the weakened assert (that is the point), so they are not run.
NBVAL_RUNS = ["intact-ch1", "text-output", "plot", "intact-ch7-start", "tightened-assert"]


@pytest.fixture(scope="module")
def outcome():
    """For each copy: the set of checks it fails, and nbval's report on it."""
    WORKDIR.mkdir(parents=True, exist_ok=True)
    for old in WORKDIR.glob("*.ipynb"):
        old.unlink()
    notebooks = copies()
    paths = {}
    for name, nb in notebooks.items():
        paths[name] = WORKDIR / f"{name}.ipynb"
        nbformat.write(nb, paths[name])
    report = WORKDIR / "nbval.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *NBVAL, f"--junitxml={report}", *(str(paths[n]) for n in NBVAL_RUNS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    failures = dict.fromkeys(NBVAL_RUNS, "")
    for case in ET.parse(report).getroot().iter("testcase"):
        for problem in [*case.iter("failure"), *case.iter("error")]:
            name = next(
                n
                for n in NBVAL_RUNS
                if f"{n}.ipynb" in case.get("classname", "") + case.get("name", "")
                or f"{n}.ipynb" in (case.get("file") or "")
            )
            failures[name] += (problem.get("message") or "") + (problem.text or "")
    failed = {}
    for name in notebooks:
        stored = nbformat.read(paths[name], as_version=4)
        record = stored.metadata["mnist_book"]
        failed[name] = set()
        if name not in PREFIXES:
            if notebook_code_hash(stored) != record["code_sha256"]:
                failed[name].add("code hash")
            if notebook_outputs_hash(stored) != record["outputs_sha256"]:
                failed[name].add("outputs hash")
        if failures.get(name):
            failed[name].add("nbval")
    return failed, failures, run.stdout[-3000:]


@pytest.mark.parametrize("name", list(EXPECTED_FAILURES))
def test_each_mutation_fails_the_checks_that_guard_it(outcome, name):
    failed, failures, log = outcome
    assert failed[name] == EXPECTED_FAILURES[name], (
        f"{name}: failed {failed[name]}\n{failures.get(name, '')[-2000:]}\n{log}"
    )


def test_nbval_says_what_changed(outcome):
    _, failures, _ = outcome
    assert "2052" in failures["text-output"] and "2051" in failures["text-output"]  # both outputs shown
    assert "Plots differ from the stored ones" in failures["plot"]
    assert "AssertionError" in failures["tightened-assert"]
