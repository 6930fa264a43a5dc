"""Chapter 8's two-worker cluster, started and stopped three times in a row with the chapter's own code.

The chapter runs its cluster once (and nbval and the perturbed run once each); this test runs it three
times in one process, as a reader who re-runs the cell would, and requires every run to finish with the
two workers' weights identical and no worker process left running.
"""

from __future__ import annotations

import os

import nbformat
import pytest

from tests.book import ROOT

CHAPTER = ROOT / "chapters" / "08_training_faster.ipynb"
IMPORTS = "import json, os, socket, subprocess, sys, tempfile, time\nfrom pathlib import Path\n"


def chapter_cell(start: str) -> str:
    """The source of the chapter's first code cell that starts with `start` or defines it."""
    cells = [cell.source for cell in nbformat.read(CHAPTER, as_version=4).cells if cell.cell_type == "code"]
    return next(source for source in cells if source.startswith(start) or f"def {start}" in source)


@pytest.mark.slow
def test_the_two_worker_cluster_starts_and_stops_cleanly_three_times(monkeypatch):
    monkeypatch.chdir(CHAPTER.parent)  # where the chapter runs, for the worker's imports and data
    monkeypatch.delenv("TF_CONFIG", raising=False)
    namespace: dict = {}
    # The cell that writes the worker program ends on a display expression; the launcher follows it.
    program = chapter_cell("WORKER_PROGRAM").rsplit("\n", 1)[0]
    exec(IMPORTS + program + "\n" + chapter_cell("run_workers"), namespace)
    for attempt in range(3):
        first, second = namespace["run_workers"](
            namespace["WORKER_PROGRAM"], [namespace["free_port"](), namespace["free_port"]()]
        )
        assert first["weights checksum"] == second["weights checksum"], f"run {attempt + 1}: the workers disagree"
        assert first["local batch"] + second["local batch"] == 128
        running = [worker.pid for worker in namespace["started_workers"] if worker.poll() is None]
        assert not running, f"run {attempt + 1} left worker processes {running} running"
    assert len(namespace["started_workers"]) == 6
    assert "TF_CONFIG" not in os.environ
