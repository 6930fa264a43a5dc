"""Fixes to what the theme and its extensions put on every page; tests/browser finds each one.

- Nothing from another host. Jupyter Book always loads sphinx-thebe, which puts on every page a
  script that would fetch thebe from unpkg.com (and, in 0.3.1 with Sphinx 7.4, writes its config
  twice: "Identifier 'THEBE_JS_URL' has already been declared"). The book's launch buttons go to
  Colab and Binder, so thebe is switched off: its event handlers and its CSS are removed.
- MathJax comes from the site itself: ``mathjax_path`` (in _config.yml) names a file under
  ``_web/mathjax/``, copied from web/node_modules/mathjax (web/package-lock.json) at the start of
  every build. It loads only on pages with formulas of their own: Sphinx counts the formulas of every
  page in a toctree too, which put MathJax (1.2 MB) on the landing page.
- pydata-sphinx-theme 0.17 logs "Got invalid theme mode: . Resetting to auto." (console.error) on
  a reader's first visit unless the page context sets default_mode.
- Label in Name (WCAG 2.5.3, axe rule label-content-name-mismatch, serious): the search buttons
  show "Search Ctrl+K" but are named "Search"; the colour-mode button shows a Light/Dark/System
  Settings icon but is named "Color mode"; myst-nb's collapsed cells show "Show code cell source"
  but are named "Toggle hidden content". A small script gives each the name it shows.
- axe rule color-contrast (serious) on chapters that show ``model.summary()``: Keras's rich
  console HTML colours names and numbers with bright colours; static/book.css shows them in the
  page's own text colour.
- axe rule aria-required-children (critical) on the bibliography: docutils writes
  <div role="list" class="citation-list"> around entries with the deprecated role
  doc-biblioentry; the script makes them list items.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx.errors import SphinxError

#: Besides the file that mathjax_path names, the parts of MathJax's es5 build that it may load: TeX
#: extensions (autoload), fonts, the menu's lazy parts and the accessibility tools the menu offers.
MATHJAX_PARTS = ("input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y", "sre")
MATHJAX_SOURCE = Path("web", "node_modules", "mathjax", "es5")

LABEL_IN_NAME_JS = """
document.addEventListener("DOMContentLoaded", () => {
  const root = document.documentElement;
  const fix = () => {
    document.querySelectorAll("details.hide > summary[aria-label], .search-button-field[aria-label]")
      .forEach((el) => el.removeAttribute("aria-label"));
    document.querySelectorAll('.citation-list > [role="doc-biblioentry"]')
      .forEach((el) => el.setAttribute("role", "listitem"));
    const mode = { light: "Light", dark: "Dark", auto: "System Settings" }[root.dataset.mode] ?? "";
    document.querySelectorAll(".theme-switch-button")
      .forEach((b) => b.setAttribute("aria-label", mode ? `Color mode: ${mode}` : "Color mode"));
  };
  fix();
  new MutationObserver(fix).observe(root, { attributes: true, attributeFilter: ["data-mode"] });
});
"""


def _switch_off_thebe(app, config):
    for listeners in app.events.listeners.values():
        for listener in list(listeners):
            if getattr(listener.handler, "__module__", "").startswith("sphinx_thebe"):
                app.disconnect(listener.id)
    app.registry.css_files[:] = [css for css in app.registry.css_files if "thebe" not in css[0]]


def _local_mathjax(app) -> str | None:
    """The site-relative path of MathJax when it is served from the site, else None."""
    path = app.config.mathjax_path
    return path if path and "://" not in path else None


def _mathjax_where_needed(app, pagename, context):
    scripts = context.get("script_files")
    local = _local_mathjax(app)
    if not isinstance(scripts, list) or local is None:
        return
    has_formulas = app.env.get_domain("math").data["has_equations"].get(pagename, False)
    kept = []
    for js in scripts:
        body = getattr(js, "attributes", {}).get("body", "")
        if getattr(js, "filename", None) == f"_static/{local}":
            if has_formulas:
                # Sphinx puts every local script under _static/; this one lives in _web/.
                kept.append(type(js)(local, priority=js.priority, **js.attributes))
        elif not (body.startswith("window.MathJax") and not has_formulas):
            kept.append(js)
    scripts[:] = kept


def _page_fixes(app, pagename, templatename, context, doctree):
    context.setdefault("default_mode", "auto")
    _mathjax_where_needed(app, pagename, context)


def _copy_mathjax(app):
    # At the start of every build, so that the pages' ?v= checksums always see the file.
    if app.builder.format != "html" or _local_mathjax(app) is None:
        return
    source_dir = Path(app.srcdir, MATHJAX_SOURCE)
    if not source_dir.is_dir():
        raise SphinxError(f"no MathJax in {source_dir}: run `make install` (it runs `npm ci` in web/)")
    script = Path(app.outdir, _local_mathjax(app))
    shutil.rmtree(script.parent, ignore_errors=True)
    for part in (script.name, *MATHJAX_PARTS):
        source, target = source_dir / part, script.parent / part
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def _add_static_path(app):
    app.config.html_static_path.append(str(Path(__file__).parent / "static"))


def setup(app):
    app.connect("config-inited", _switch_off_thebe)
    app.connect("builder-inited", _add_static_path)
    app.connect("builder-inited", _copy_mathjax)
    app.add_css_file("book.css")
    app.connect("html-page-context", _page_fixes, priority=900)
    app.add_js_file(None, body=LABEL_IN_NAME_JS)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
