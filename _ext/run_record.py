"""Sphinx directive ``run-record``: a table of each chapter's last run.

`make execute` (tools/execute.py) stores a run record in every chapter's
metadata; this directive reads those records at build time, so the page can
never disagree with the notebooks it describes.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from docutils import nodes
from docutils.parsers.rst import Directive

COLUMNS = ["chapter", "run time", "device", "TensorFlow", "Keras", "date"]


def chapter_records(root: Path) -> list[dict]:
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    records = []
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            path = root / f"{entry['file']}.ipynb"
            if not path.exists():
                continue
            nb = json.loads(path.read_text())
            title = next(
                (
                    line[2:].strip()
                    for cell in nb["cells"]
                    if cell["cell_type"] == "markdown"
                    for line in "".join(cell["source"]).splitlines()
                    if line.startswith("# ")
                ),
                path.stem,
            )
            run = nb.get("metadata", {}).get("mnist_book", {}).get("run", {})
            records.append({"docname": entry["file"], "title": title, **run})
    return records


class RunRecordDirective(Directive):
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        root = Path(env.srcdir)
        records = chapter_records(root)
        for record in records:
            # Rebuild this page whenever a chapter is re-executed.
            env.note_dependency(str(root / f"{record['docname']}.ipynb"))
        table = nodes.table(classes=["run-record"])
        group = nodes.tgroup(cols=len(COLUMNS))
        table += group
        for _ in COLUMNS:
            group += nodes.colspec(colwidth=1)
        head = nodes.thead()
        group += head
        head += self._row(COLUMNS)
        body = nodes.tbody()
        group += body
        total = 0.0
        for record in records:
            seconds = record.get("seconds")
            total += seconds or 0
            body += self._row(
                [
                    record["title"],
                    f"{seconds:.0f} s" if seconds is not None else "not recorded",
                    record.get("device", ""),
                    record.get("tensorflow", ""),
                    record.get("keras", ""),
                    record.get("date", ""),
                ]
            )
        body += self._row(["all chapters", f"{total:.0f} s ({total / 60:.1f} min)", "", "", "", ""])
        return [table]

    @staticmethod
    def _row(values):
        row = nodes.row()
        for value in values:
            entry = nodes.entry()
            entry += nodes.paragraph(text=str(value))
            row += entry
        return row


def setup(app):
    app.add_directive("run-record", RunRecordDirective)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
