"""What the tests need to know about the book: its root, config, toc and chapters."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.execute import notebook_code_hash, notebook_outputs_hash  # noqa: E402  (re-exported for the tests)
from tools.toc import load_toc, toc_files  # noqa: E402  (re-exported for the tests)

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = load_toc(ROOT)


def chapter_paths() -> list[Path]:
    return sorted((ROOT / "chapters").glob("*.ipynb"))


def read_notebook(path: Path):
    return nbformat.read(path, as_version=4)


__all__ = [
    "CONFIG",
    "ROOT",
    "TOC",
    "chapter_paths",
    "notebook_code_hash",
    "notebook_outputs_hash",
    "read_notebook",
    "toc_files",
]
