"""Fixes to what the theme and its extensions put on every page; tests/browser finds each one.

- sphinx-thebe 0.3.1 (with Sphinx 7.4) writes its inline config script twice into every page:
  "SyntaxError: Identifier 'THEBE_JS_URL' has already been declared" in the console.
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

from pathlib import Path

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


def _page_fixes(app, pagename, templatename, context, doctree):
    context.setdefault("default_mode", "auto")
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for js in scripts:
        key = (getattr(js, "filename", js) or "", tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def _add_static_path(app):
    app.config.html_static_path.append(str(Path(__file__).parent / "static"))


def setup(app):
    app.connect("builder-inited", _add_static_path)
    app.add_css_file("book.css")
    app.connect("html-page-context", _page_fixes, priority=900)
    app.add_js_file(None, body=LABEL_IN_NAME_JS)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
