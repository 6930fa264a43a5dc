"""The draw-a-digit widget: chapter 7's model, run in the reader's browser.

A page asks for the widget with a line ``<!-- mnist-widget -->`` in its source (a markdown file or a
notebook's markdown cell). MyST passes an HTML comment on a line of its own as a ``raw`` node
(format ``html``); this extension replaces that node with the widget's HTML when the page is
written (``doctree-resolved``), so that GitHub and Colab, which hide HTML comments, show nothing.

Provenance: chapter 7 trains the model and records it in its notebook's metadata,
``metadata.mnist_book.widget_model = {"sha256", "bytes", "test_accuracy", ...}`` (``make
widget-model`` writes both). The build fails when that record is missing or when the model file's
SHA-256 or size differ from it, so the site can only show the model the chapter measured; the widget's
text quotes the recorded test accuracy.

Files: web/widget.mjs, web/widget.css and web/prepare.mjs (the widget), onnxruntime-web's WASM
build (web/node_modules, from web/package-lock.json) and the model are copied into
``_build/html/_web/`` after every build. Sphinx skips copying ``_static`` when no page changed, which
could leave a stale model on the site; this copy runs every time. The page itself only carries the
widget's HTML and a few lines that load widget.mjs once the widget comes near the screen or is used:
the runtime and the model load when the reader first draws or presses "Load the model".
widget.mjs adds its CSS (web/widget.css) and the ten bars when it starts, so a page whose widget is
out of sight loads no more than the widget's HTML.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from docutils import nodes
from sphinx.errors import SphinxError
from sphinx.util.osutil import relative_uri

MARKER = re.compile(r"\s*<!--\s*mnist-widget\s*-->\s*")
#: Where the widget's files go in the built site.
WEB_DIR = "_web"
WIDGET_FILES = ("widget.mjs", "widget.css", "prepare.mjs")
#: onnxruntime-web's single-threaded WASM build: the API, its Emscripten loader, the WebAssembly.
RUNTIME_DIST = Path("node_modules") / "onnxruntime-web" / "dist"
RUNTIME_FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")


class WidgetModelError(SphinxError):
    category = "Draw-a-digit widget (_ext/mnist_widget.py)"


@dataclass(frozen=True)
class WidgetModel:
    """What the widget needs to know at build time."""

    model: Path
    sha256: str
    test_accuracy: float
    record_docname: str
    download_bytes: int  # the runtime and the model: what "Load the model" fetches


def _source(app, option: str) -> Path:
    return Path(app.srcdir, getattr(app.config, option))


def read_record(notebook: Path) -> dict:
    """The widget model's record in ``notebook``'s metadata; WidgetModelError if there is none."""
    try:
        metadata = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError) as error:
        raise WidgetModelError(f"cannot read {notebook} for the widget model's record: {error}") from None
    record = metadata.get("mnist_book", {}).get("widget_model")
    if not isinstance(record, dict):
        raise WidgetModelError(
            f"{notebook.name} has no metadata.mnist_book.widget_model record (sha256, bytes, test_accuracy of "
            "web/model/digits.onnx), so the website cannot show where its model comes from. Run `make "
            "widget-model`: it trains and exports the model in that chapter and writes the record."
        )
    return record


def check_model(model: Path, record: dict, notebook: Path) -> None:
    """Fail unless ``model`` is the file that ``record`` describes: same SHA-256, same size."""
    missing = [key for key in ("sha256", "bytes", "test_accuracy") if key not in record]
    if missing:
        raise WidgetModelError(
            f"{notebook.name}'s widget_model record lacks {', '.join(missing)}: run `make widget-model`"
        )
    if not model.is_file():
        raise WidgetModelError(f"no model file at {model}: run `make widget-model` (chapter 7 records it)")
    data = model.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != record["sha256"] or len(data) != record["bytes"]:
        raise WidgetModelError(
            f"{model} is not the model that {notebook.name} trained and measured: the file has SHA-256 {digest} "
            f"({len(data):,} bytes), the chapter's record says {record['sha256']} ({record['bytes']:,} bytes). "
            "Run `make widget-model` to export and record it again, or restore the file that matches the record."
        )
    accuracy = record["test_accuracy"]
    if not isinstance(accuracy, (int, float)) or not 0 < accuracy <= 1:
        raise WidgetModelError(
            f"{notebook.name}: widget_model.test_accuracy must be a fraction in (0, 1], got {accuracy!r}"
        )


def _runtime_files(app) -> list[Path]:
    dist = _source(app, "mnist_widget_web") / RUNTIME_DIST
    files = [dist / name for name in RUNTIME_FILES]
    absent = [f.name for f in files if not f.is_file()]
    if absent:
        raise WidgetModelError(
            f"onnxruntime-web's files are not in {dist} ({', '.join(absent)}): run `make install`, which runs "
            "`npm ci` in web/ (web/package-lock.json pins the version)"
        )
    return files


def _check_at_start(app) -> None:
    if app.builder.format != "html":
        return
    notebook = _source(app, "mnist_widget_record")
    model = _source(app, "mnist_widget_model")
    record = read_record(notebook)
    check_model(model, record, notebook)
    download = sum(f.stat().st_size for f in _runtime_files(app)) + record["bytes"]
    app.mnist_widget = WidgetModel(
        model=model,
        sha256=record["sha256"],
        test_accuracy=float(record["test_accuracy"]),
        record_docname=str(Path(app.config.mnist_widget_record).with_suffix("").as_posix()),
        download_bytes=download,
    )


def _remember_record(app, config) -> None:
    # The pages quote the record (accuracy, hash). As an "html" config value it makes Sphinx write
    # every page again when the record changes, not only the pages whose sources changed.
    try:
        record = read_record(Path(app.srcdir, config.mnist_widget_record))
    except WidgetModelError:
        record = {}  # builder-inited reports it
    config.mnist_widget_recorded = json.dumps(record, sort_keys=True)


def _chapter_words(app, docname: str, facts: WidgetModel) -> str:
    """'in this chapter' on the record's own page, else 'in chapter 7, <a>Title</a>'."""
    if docname == facts.record_docname:
        return "in this chapter"
    number = re.match(r"\d+", Path(facts.record_docname).name)
    title = app.env.titles.get(facts.record_docname)
    link = app.builder.get_relative_uri(docname, facts.record_docname)
    name = f"chapter {int(number[0])}" if number else "the chapter"
    label = html.escape(title.astext()) if title is not None else name
    return f'in {name}, <a href="{html.escape(link)}">{label}</a>'


def widget_html(app, docname: str, index: int) -> str:
    facts: WidgetModel = app.mnist_widget
    target = app.builder.get_target_uri(docname)
    web = relative_uri(target, f"{WEB_DIR}/")
    # relative_uri gives "" for a page at the top: module specifiers need "./".
    web = web if web.startswith(".") else f"./{web}"
    ident = f"mnist-widget-{index}"
    megabytes = max(1, round(facts.download_bytes / 1e6))
    accuracy = f"{100 * facts.test_accuracy:.1f}%"
    attributes = {
        "class": "mnist-widget",
        "id": ident,
        "role": "group",
        "aria-label": "Draw a digit for the model to read",
        "aria-describedby": f"{ident}-about",
        "data-state": "idle",
        "data-code": f"{web}widget.mjs",
        "data-runtime": f"{web}ort/",
        "data-model": f"{web}model/digits.onnx?v={facts.sha256[:16]}",
        "data-model-sha256": facts.sha256,
    }
    opening = " ".join(f'{key}="{html.escape(value)}"' for key, value in attributes.items())
    return f"""<div {opening}>
<p class="mnist-widget-about" id="{ident}-about"><strong>Draw a digit</strong>, 0 to 9, in the box with the mouse,
a pen or a finger. The convolutional network that reads it was trained and evaluated
{_chapter_words(app, docname, facts)}: it reads {accuracy} of the MNIST test set's digits right. It runs in your
browser: nothing you draw leaves this page.</p>
<div class="mnist-widget-body">
<canvas class="mnist-widget-pad" width="280" height="280" role="img"
 aria-label="Drawing area: draw one digit here with the mouse, a pen or a finger"></canvas>
<div class="mnist-widget-side">
<figure class="mnist-widget-seen"><canvas class="mnist-widget-input" width="28" height="28" role="img"
 aria-label="Your drawing as the model sees it: 28 by 28 grey pixels, the digit white on black"></canvas>
<figcaption>What the model sees: 28 by 28 pixels</figcaption></figure>
<ol class="mnist-widget-bars" aria-label="The model's probability for each digit"></ol>
</div>
</div>
<p class="mnist-widget-result" aria-live="polite">The model and the runtime that runs it (about {megabytes} MB) load
when you start drawing or press "Load the model".</p>
<p class="mnist-widget-buttons"><button type="button" data-action="load">Load the model</button>
<button type="button" data-action="clear">Clear</button></p>
<noscript><p>The widget needs JavaScript, which is switched off in this browser.</p></noscript>
</div>
<script type="module">
// widget.mjs and its CSS load when the widget comes near the screen or is used, not with the page.
const widget = document.getElementById("{ident}");
let started = false;
const start = () => {{
  if (started) return;
  started = true;
  observer.disconnect();
  import(new URL(widget.dataset.code, document.baseURI).href)
    .then((code) => code.mount(widget))
    .catch((error) => {{
      widget.dataset.state = "error";
      widget.querySelector(".mnist-widget-result").textContent = `The widget could not start (${{error.message}}).`;
    }});
}};
const observer = new IntersectionObserver((seen) => seen.some((e) => e.isIntersecting) && start(), {{
  rootMargin: "400px",
}});
observer.observe(widget);
for (const event of ["pointerdown", "focusin"]) widget.addEventListener(event, start);
</script>"""


def _place_widgets(app, doctree, docname) -> None:
    if app.builder.format != "html":
        return
    # A marker is a block of its own; inside a paragraph it is inline HTML, left as it is.
    markers = [
        node
        for node in doctree.findall(nodes.raw)
        if "html" in node.get("format", "").split()
        and MARKER.fullmatch(node.astext())
        and not isinstance(node.parent, nodes.TextElement)
    ]
    for index, node in enumerate(markers, start=1):
        node.replace_self(nodes.raw("", widget_html(app, docname, index), format="html"))


def _copy_web_files(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    web = _source(app, "mnist_widget_web")
    out = Path(app.outdir, WEB_DIR)
    for folder in ("ort", "model"):
        shutil.rmtree(out / folder, ignore_errors=True)
    (out / "ort").mkdir(parents=True)
    (out / "model").mkdir()
    for name in WIDGET_FILES:
        shutil.copyfile(web / name, out / name)
    for path in _runtime_files(app):
        shutil.copyfile(path, out / "ort" / path.name)
    shutil.copyfile(app.mnist_widget.model, out / "model" / "digits.onnx")
    # The copy must be the recorded model even if the file changed during the build.
    copied = hashlib.sha256((out / "model" / "digits.onnx").read_bytes()).hexdigest()
    if copied != app.mnist_widget.sha256:
        raise WidgetModelError(f"{app.mnist_widget.model} changed during the build: build again")


def setup(app):
    app.add_config_value("mnist_widget_model", "web/model/digits.onnx", "html", types=[str])
    app.add_config_value("mnist_widget_record", "chapters/07_save_load_handwriting.ipynb", "html", types=[str])
    app.add_config_value("mnist_widget_web", "web", "html", types=[str])
    app.add_config_value("mnist_widget_recorded", "", "html", types=[str])  # set by _remember_record
    app.connect("config-inited", _remember_record)
    app.connect("builder-inited", _check_at_start)
    app.connect("doctree-resolved", _place_widgets)
    app.connect("build-finished", _copy_web_files)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
