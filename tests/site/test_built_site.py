"""The built website (_build/html, made by `make test-build` just before these run)."""

from __future__ import annotations

import html
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from book import CONFIG, ROOT, chapter_paths, read_notebook, toc_files

SITE = ROOT / "_build" / "html"
pytestmark = [pytest.mark.site, pytest.mark.skipif(not (SITE / "index.html").exists(), reason="run `make book` first")]

REPO = CONFIG["repository"]["url"].removeprefix("https://github.com/")
BRANCH = CONFIG["repository"]["branch"]


def page(name: str) -> str:
    return html.unescape((SITE / f"{name}.html").read_text())


def test_every_toc_page_is_built():
    for name in toc_files():
        assert (SITE / f"{name}.html").is_file(), name


@pytest.mark.parametrize("path", chapter_paths(), ids=lambda p: p.name)
def test_launch_and_download_buttons_point_at_the_notebook_on_main(path):
    notebook = f"chapters/{path.name}"
    text = page(f"chapters/{path.stem}")
    assert f"https://colab.research.google.com/github/{REPO}/blob/{BRANCH}/{notebook}" in text
    assert f"https://mybinder.org/v2/gh/{REPO}/{BRANCH}?urlpath=tree/{notebook}" in text
    assert f"_sources/chapters/{path.name}" in text  # the download button offers the .ipynb
    assert (SITE / "_sources" / "chapters" / path.name).is_file()


@pytest.mark.parametrize("path", chapter_paths(), ids=lambda p: p.name)
def test_chapter_shows_outputs_and_plots_with_alt_text(path):
    text = page(f"chapters/{path.stem}")
    assert "cell_output" in text
    images = re.findall(r"<img [^>]*>", text)
    plots = [img for img in images if "_images/" in img]
    assert plots, "no plot on the page"
    for img in plots:
        alt = re.search(r'alt="([^"]*)"', img)
        assert alt and len(alt[1]) > 20, f"plot without alt text: {img[:200]}"
        src = re.search(r'src="([^"]+)"', img)[1]
        assert (SITE / "chapters" / src).resolve().is_file(), src


def test_run_record_page_lists_every_chapter():
    text = page("run_record")
    for path in chapter_paths():
        title = read_notebook(path).cells[0].source.splitlines()[0].removeprefix("# ")
        assert title in text
    assert "all chapters" in text and "not recorded" not in text


def test_bibliography_renders_the_references():
    text = page("bibliography").lower()
    assert "gradient-based learning applied to document recognition" in text
    assert "mnist database of handwritten digits" in text
    assert "\\texttt" not in text and "{" not in text.split("<body", 1)[1].split("<script", 1)[0]
