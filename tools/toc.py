"""The book's table of contents, _toc.yml, read in one place.

`make execute` and `make student` (which chapters to run), the tests (tests/book.py) and the
Sphinx tables (_ext/book_tables.py) all take the book's pages from here, so they cannot disagree.
The browser tests' `tocFiles` (tests/browser/lib/site.js) reads the file the same way.

_toc.yml is Jupyter Book's `jb-book` format: a `root` page, then `chapters`, or `parts` that each
have `chapters`; any entry can have `sections`, which follow it in reading order. Entries without a
`file` (`url`, `glob`) name no page of the book and are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def load_toc(root: Path = ROOT) -> dict:
    """_toc.yml as a dict."""
    return yaml.safe_load((Path(root) / "_toc.yml").read_text())


def _files(entries: Iterable[dict] | None) -> Iterator[str]:
    for entry in entries or []:
        if entry.get("file"):
            yield entry["file"]
        yield from _files(entry.get("sections"))


def _without_extension(name: str) -> str:
    for extension in (".md", ".ipynb"):
        if name.endswith(extension):
            return name[: -len(extension)]
    return name


def toc_files(root: Path = ROOT) -> list[str]:
    """Every file named in _toc.yml, without extension, in reading order, the root page first."""
    toc = load_toc(root)
    files = [toc["root"]]
    for part in toc.get("parts") or []:
        files += _files(part.get("chapters"))
    files += _files(toc.get("chapters"))
    return [_without_extension(name) for name in files]


def toc_chapters(root: Path = ROOT) -> list[Path]:
    """Every notebook named in _toc.yml, in reading order (entries that are not notebooks are skipped)."""
    paths = [Path(root) / f"{name}.ipynb" for name in toc_files(root)]
    return [path for path in paths if path.exists()]
