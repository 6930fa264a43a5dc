"""tools/toc.py: the one reader of _toc.yml, and everything that uses it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from book import ROOT, chapter_paths, toc_files
from tools import execute, toc

TOC = """\
format: jb-book
root: intro
chapters:
  - file: a.ipynb
    sections:
      - file: a1
      - url: https://example.org
  - file: b
parts:
  - caption: One
    chapters:
      - file: p/c
        sections:
          - file: p/c1.md
            sections:
              - file: p/c1x
  - caption: Two
    chapters:
      - glob: extra/*
"""


def test_parts_chapters_and_sections_in_reading_order(tmp_path):
    (tmp_path / "_toc.yml").write_text(TOC)
    assert toc.toc_files(tmp_path) == ["intro", "p/c", "p/c1", "p/c1x", "a", "a1", "b"]
    for name in ("a", "p/c1x", "intro"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f"{name}.ipynb").write_text("{}")
    (tmp_path / "b.md").write_text("# b")
    assert toc.toc_chapters(tmp_path) == [tmp_path / "intro.ipynb", tmp_path / "p/c1x.ipynb", tmp_path / "a.ipynb"]


def test_the_book_lists_its_chapters_in_order():
    assert toc.toc_chapters() == chapter_paths()
    assert execute.toc_chapters() == chapter_paths()
    chapters = [f"chapters/{p.stem}" for p in chapter_paths()]
    assert toc_files()[0] == "intro" and toc_files()[1 : 1 + len(chapters)] == chapters


def test_sphinx_extension_reads_the_toc_from_tools(tmp_path):
    """Sphinx imports _ext/book_tables.py with only _ext/ on sys.path, from the book's folder or any other."""
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(ROOT / "_ext")!r})
        import book_tables
        from pathlib import Path
        records = book_tables.chapter_records(Path({str(ROOT)!r}))
        print([r["docname"] for r in records])
        """
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == repr([f"chapters/{p.stem}" for p in chapter_paths()])
