"""The draw-a-digit widget's build side: the model's provenance, the pinned runtime, the placement.

Fast (a few seconds): the placement tests build a two-page book with Sphinx and MyST, in a
temporary folder, with _ext/mnist_widget.py. The widget in a browser: tests/browser/widget.test.js.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from pathlib import Path

import pytest

from book import CONFIG, ROOT

sys.path.insert(0, str(ROOT / "_ext"))
from mnist_widget import MARKER, RUNTIME_DIST, RUNTIME_FILES, WidgetModelError

WEB = ROOT / "web"
SETTINGS = CONFIG["sphinx"]["config"]
MODEL = ROOT / SETTINGS["mnist_widget_model"]
RECORD_NOTEBOOK = ROOT / SETTINGS["mnist_widget_record"]


def chapter_record() -> dict:
    metadata = json.loads(RECORD_NOTEBOOK.read_text())["metadata"]
    record = metadata.get("mnist_book", {}).get("widget_model")
    assert record, f"{RECORD_NOTEBOOK.name} has no metadata.mnist_book.widget_model: run `make widget-model`"
    return record


# --- provenance and pins -------------------------------------------------------------------------


def test_the_model_file_is_the_one_chapter_7_recorded():
    record = chapter_record()
    data = MODEL.read_bytes()
    assert len(data) == record["bytes"], "web/model/digits.onnx has another size than the chapter's record"
    assert hashlib.sha256(data).hexdigest() == record["sha256"], "web/model/digits.onnx differs from the record"
    assert 0.97 <= record["test_accuracy"] <= 1, "the widget's text quotes this accuracy"


def test_the_config_asks_for_the_widget_and_serves_mathjax_from_the_site():
    assert "mnist_widget" in CONFIG["sphinx"]["local_extensions"]
    assert "://" not in SETTINGS["mathjax_path"], "MathJax must come from the site, not from a CDN"
    assert SETTINGS["mathjax_path"].startswith("_web/mathjax/")


def test_package_lock_pins_onnxruntime_web_and_mathjax():
    wanted = json.loads((WEB / "package.json").read_text())["dependencies"]
    assert re.fullmatch(r"1\.30\.\d+", wanted["onnxruntime-web"]), "onnxruntime-web: an exact 1.30.x pin"
    assert wanted["mathjax"] == "3.2.2"
    lock = json.loads((WEB / "package-lock.json").read_text())
    assert lock["packages"][""]["dependencies"] == wanted, "package-lock.json is older than package.json: npm install"
    for name, version in wanted.items():
        entry = lock["packages"][f"node_modules/{name}"]
        assert entry["version"] == version
        assert entry["integrity"].startswith("sha512-"), f"{name}: npm ci checks the download against this hash"


def test_the_marker_pattern_is_exactly_a_comment_line():
    assert MARKER.fullmatch("<!-- mnist-widget -->\n")
    assert MARKER.fullmatch("<!--mnist-widget-->")
    assert not MARKER.fullmatch("<!-- mnist-widget --> and more")
    assert not MARKER.fullmatch("<!-- mnist-widgets -->")


# --- placement, on a two-page book ---------------------------------------------------------------

FAKE_MODEL = b"not really ONNX, but the build only hashes it"


def make_book(folder: Path, record: dict | None) -> Path:
    """Two MyST pages (one asks for the widget twice), a model file and a notebook holding `record`."""
    (folder / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / '_ext')!r})\n"
        "extensions = ['myst_parser', 'mnist_widget']\n"
        "root_doc = 'index'\nexclude_patterns = ['_build']\n"
        f"mnist_widget_web = {str(WEB)!r}\n"
        "mnist_widget_model = 'model.onnx'\nmnist_widget_record = 'chapters/07_model.ipynb'\n"
    )
    (folder / "index.md").write_text(
        "# Home\n\nDraw here:\n\n<!-- mnist-widget -->\n\nand here:\n\n<!-- mnist-widget -->\n\n"
        "```{toctree}\nchapters/07_model\nplain\n```\n"
    )
    (folder / "plain.md").write_text("# Plain\n\nNo widget: <!-- mnist-widget --> inside a sentence stays a comment.\n")
    (folder / "chapters").mkdir()
    (folder / "chapters" / "07_model.md").write_text("# The model chapter\n\n<!-- mnist-widget -->\n")
    (folder / "model.onnx").write_bytes(FAKE_MODEL)
    metadata = {"mnist_book": {"widget_model": record}} if record else {}
    notebook = {"cells": [], "metadata": metadata, "nbformat": 4, "nbformat_minor": 5}
    (folder / "chapters" / "07_model.ipynb").write_text(json.dumps(notebook))
    return folder


def good_record() -> dict:
    return {"sha256": hashlib.sha256(FAKE_MODEL).hexdigest(), "bytes": len(FAKE_MODEL), "test_accuracy": 0.9868}


def build(folder: Path) -> Path:
    from sphinx.application import Sphinx

    out = folder / "_build" / "html"
    app = Sphinx(folder, folder, out, folder / "_build" / "doctrees", "html", status=None, warning=None)
    app.build()
    return out


@pytest.fixture(scope="module")
def runtime_installed():
    dist = WEB / RUNTIME_DIST
    if not all((dist / name).is_file() for name in RUNTIME_FILES):
        pytest.fail(f"onnxruntime-web is not installed in {dist}: run `make install` (npm ci in web/)")


def test_the_marker_becomes_the_widget_and_its_files_reach_the_site(tmp_path, runtime_installed):
    out = build(make_book(tmp_path, good_record()))
    home = (out / "index.html").read_text()
    assert "<!-- mnist-widget -->" not in home
    ids = re.findall(r'<div class="mnist-widget" id="([^"]+)"', home)
    assert ids == ["mnist-widget-1", "mnist-widget-2"], "one widget per marker, each with its own id"
    assert f'data-model-sha256="{good_record()["sha256"]}"' in home
    assert 'data-state="idle"' in home and 'aria-live="polite"' in home
    assert "98.7%" in home, "the recorded test accuracy"
    assert 'href="chapters/07_model.html"' in home, "a link to the chapter that trained the model"
    assert 'data-code="./_web/widget.mjs"' in home, "a module path from the top folder needs ./"

    chapter = (out / "chapters" / "07_model.html").read_text()
    assert 'data-code="../_web/widget.mjs"' in chapter and "in this chapter" in chapter
    assert 'class="mnist-widget"' not in (out / "plain.html").read_text(), "a marker inside a sentence is not one"

    assert (out / "_web" / "model" / "digits.onnx").read_bytes() == FAKE_MODEL
    for name in RUNTIME_FILES:
        assert (out / "_web" / "ort" / name).is_file(), name
    for name in ("widget.mjs", "widget.css", "prepare.mjs"):
        assert (out / "_web" / name).read_bytes() == (WEB / name).read_bytes(), name


def test_every_build_copies_the_model_again_even_when_no_page_changed(tmp_path, runtime_installed):
    folder = make_book(tmp_path, good_record())
    out = build(folder)
    stale = out / "_web" / "model" / "digits.onnx"
    stale.write_bytes(b"an older model")
    build(folder)  # nothing changed in the sources: Sphinx writes no page, yet the copy runs
    assert stale.read_bytes() == FAKE_MODEL


def test_a_new_model_and_record_reach_pages_whose_sources_did_not_change(tmp_path, runtime_installed):
    folder = make_book(tmp_path, good_record())
    build(folder)
    newer = b"a retrained model"
    (folder / "model.onnx").write_bytes(newer)
    record = {"sha256": hashlib.sha256(newer).hexdigest(), "bytes": len(newer), "test_accuracy": 0.9912}
    notebook = folder / "chapters" / "07_model.ipynb"
    notebook.write_text(
        json.dumps(json.loads(notebook.read_text()) | {"metadata": {"mnist_book": {"widget_model": record}}})
    )
    out = build(folder)
    home = (out / "index.html").read_text()
    assert f'data-model-sha256="{record["sha256"]}"' in home and "99.1%" in home, "the page still quotes the old model"
    assert (out / "_web" / "model" / "digits.onnx").read_bytes() == newer


def test_the_build_fails_when_the_model_is_not_the_recorded_one(tmp_path):
    record = good_record() | {"sha256": "0" * 64}
    with pytest.raises(WidgetModelError, match=r"is not the model that 07_model\.ipynb trained and measured"):
        build(make_book(tmp_path, record))


def test_the_build_fails_when_the_chapter_has_no_record(tmp_path):
    with pytest.raises(WidgetModelError, match=r"has no metadata\.mnist_book\.widget_model record"):
        build(make_book(tmp_path, None))


def test_the_build_fails_on_an_accuracy_in_percent(tmp_path):
    with pytest.raises(WidgetModelError, match=r"must be a fraction"):
        build(make_book(tmp_path, good_record() | {"test_accuracy": 98.68}))
