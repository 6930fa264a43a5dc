"""The built website (_build/html, made by `make test-build` just before these run)."""

from __future__ import annotations

import hashlib
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


# --- the draw-a-digit widget and what the pages load -------------------------------------------

WEB_OUT = SITE / "_web"
WIDGET_SETTINGS = CONFIG["sphinx"]["config"]


def widget_record() -> dict:
    notebook = read_notebook(ROOT / WIDGET_SETTINGS["mnist_widget_record"])
    return notebook.metadata["mnist_book"]["widget_model"]


def built_pages() -> list[Path]:
    return sorted(p for p in SITE.rglob("*.html") if not p.relative_to(SITE).parts[0].startswith("_"))


def test_the_site_serves_the_recorded_model_and_the_widgets_files():
    model = WEB_OUT / "model" / "digits.onnx"
    data = model.read_bytes()
    record = widget_record()
    assert hashlib.sha256(data).hexdigest() == record["sha256"] and len(data) == record["bytes"]
    for name in ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm"):
        assert (WEB_OUT / "ort" / name).stat().st_size > 10_000, name
    for name in ("widget.mjs", "widget.css", "prepare.mjs"):
        # the very files of web/: a stale copy fails here
        assert (WEB_OUT / name).read_bytes() == (ROOT / "web" / name).read_bytes(), name
    # Jupyter Book adds every *.js under _static to every page: the widget's files stay out of it.
    assert not list((SITE / "_static").rglob("*.mjs")) and not (SITE / "_static" / "ort").exists()


def test_the_widget_is_on_the_pages_that_ask_for_it():
    record = widget_record()
    accuracy = f"{100 * record['test_accuracy']:.1f}%"
    chapter = Path(WIDGET_SETTINGS["mnist_widget_record"]).stem
    for name in ("intro", f"chapters/{chapter}"):
        text = page(name)
        assert 'class="mnist-widget"' in text, name
        assert f'data-model-sha256="{record["sha256"]}"' in text, name
        assert accuracy in text and "MNIST test set" in text, f"{name}: the recorded test accuracy"
        assert "<!-- mnist-widget -->" not in text, name
    assert "in this chapter" in page(f"chapters/{chapter}")


def test_no_page_loads_anything_from_another_host():
    for path in built_pages():
        text = path.read_text()
        loads = re.findall(r'<(?:script|img|iframe|source)\b[^>]*\ssrc="(https?:)?//', text)
        styles = re.findall(r'<link\b[^>]*rel="(?:stylesheet|preload|modulepreload)"[^>]*href="(?:https?:)?//', text)
        assert not loads and not styles, f"{path.relative_to(SITE)} loads a file from another host"
        assert "thebe" not in text.lower(), f"{path.relative_to(SITE)}: thebe is switched off (_ext/site_fixes.py)"


def test_mathjax_comes_from_the_site_and_only_where_there_are_formulas():
    with_formulas = set()
    for path in built_pages():
        text = path.read_text()
        scripts = re.findall(r'<script[^>]*src="([^"]*mathjax[^"]*)"', text, flags=re.IGNORECASE)
        has_formulas = bool(re.search(r'class="math[ "]', text))
        name = str(path.relative_to(SITE))
        assert bool(scripts) == has_formulas, f"{name}: MathJax {'missing' if has_formulas else 'loaded for nothing'}"
        for src in scripts:
            assert (path.parent / src.split("?")[0]).resolve() == (SITE / WIDGET_SETTINGS["mathjax_path"]).resolve()
        if has_formulas:
            with_formulas.add(name)
    assert with_formulas, "no page with formulas: this test checks nothing"
    assert "intro.html" not in with_formulas
    assert (SITE / WIDGET_SETTINGS["mathjax_path"]).stat().st_size > 500_000
    assert list((SITE / "_web" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
