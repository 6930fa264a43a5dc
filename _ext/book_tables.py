"""Sphinx directives that build the book's summary tables from the chapters themselves.

- ``run-record``: each chapter's last run (time, device, TensorFlow/Keras, date), which
  `make execute` (tools/execute.py) stores in the notebook's metadata.
- ``chapter-map``: for instructors, what each chapter teaches (its learning objectives),
  what it assumes, how long it takes and its exercises.

Both are read at build time, so the pages can never disagree with the notebooks.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive

# Sphinx puts only _ext/ on sys.path; the table of contents is read by tools/toc.py.
BOOK_ROOT = Path(__file__).resolve().parent.parent
if str(BOOK_ROOT) not in sys.path:
    sys.path.insert(0, str(BOOK_ROOT))

from tools.toc import toc_chapters  # noqa: E402


def chapter_records(root: Path) -> list[dict]:
    """One dict per chapter in _toc.yml order: title, docname, markdown text, run record."""
    records = []
    for path in toc_chapters(root):
        nb = json.loads(path.read_text())
        markdown = "\n\n".join("".join(cell["source"]) for cell in nb["cells"] if cell["cell_type"] == "markdown")
        title = next((line[2:].strip() for line in markdown.splitlines() if line.startswith("# ")), path.stem)
        run = nb.get("metadata", {}).get("mnist_book", {}).get("run", {})
        docname = path.relative_to(root).with_suffix("").as_posix()
        records.append({"docname": docname, "path": path, "title": title, "markdown": markdown, "run": run})
    return records


def _plain(text: str) -> str:
    """Markdown inline markup to plain text (backticks, bold, links)."""
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    return text.replace("`", "").replace("**", "").strip()


def _cell(value) -> nodes.entry:
    entry = nodes.entry()
    if isinstance(value, nodes.Node):
        entry += value
    elif isinstance(value, list):
        items = nodes.bullet_list()
        for item in value:
            list_item = nodes.list_item()
            list_item += nodes.paragraph(text=item)
            items += list_item
        entry += items
    else:
        entry += nodes.paragraph(text=str(value))
    return entry


def _table(columns: list[str], rows: list[list], classes: list[str]) -> nodes.table:
    table = nodes.table(classes=classes)
    group = nodes.tgroup(cols=len(columns))
    table += group
    for _ in columns:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    header = nodes.row()
    for column in columns:
        header += _cell(column)
    head += header
    body = nodes.tbody()
    group += body
    for values in rows:
        row = nodes.row()
        for value in values:
            row += _cell(value)
        body += row
    return table


class _ChapterTable(Directive):
    has_content = False

    def records(self) -> list[dict]:
        env = self.state.document.settings.env
        records = chapter_records(Path(env.srcdir))
        for record in records:
            # Rebuild this page whenever a chapter changes.
            env.note_dependency(str(record["path"]))
        return records


class RunRecordDirective(_ChapterTable):
    def run(self):
        rows, total = [], 0.0
        for record in self.records():
            run = record["run"]
            seconds = run.get("seconds")
            total += seconds or 0
            rows.append(
                [
                    record["title"],
                    f"{seconds:.0f} s" if seconds is not None else "not recorded",
                    run.get("device", ""),
                    run.get("tensorflow", ""),
                    run.get("keras", ""),
                    run.get("date", ""),
                ]
            )
        rows.append(["all chapters", f"{total:.0f} s ({total / 60:.1f} min)", "", "", "", ""])
        columns = ["chapter", "run time", "device", "TensorFlow", "Keras", "date"]
        return [_table(columns, rows, ["run-record"])]


class ChapterMapDirective(_ChapterTable):
    def run(self):
        rows = []
        for number, record in enumerate(self.records(), start=1):
            text = record["markdown"]
            objectives_section = text.split("## Learning objectives", 1)[-1].split("\n## ", 1)[0]
            objectives = [_plain(m) for m in re.findall(r"^\s*\d+\.\s+(.+)$", objectives_section, flags=re.M)]
            prerequisites = re.search(r"\*\*Prerequisites:\*\*\s*(.+)", text)
            stated = re.search(r"\*\*Run time:\*\*\s*([^\n]+)", text)
            exercises = [_plain(m) for m in re.findall(r"^### (Exercise .+)$", text, flags=re.M)]
            seconds = record["run"].get("seconds")
            link = nodes.paragraph()
            link += nodes.reference(
                "", f"{number}. {record['title']}", internal=True, refuri=f"{record['docname']}.html"
            )
            rows.append(
                [
                    link,
                    objectives,
                    _plain(prerequisites[1]) if prerequisites else "",
                    (_plain(stated[1]) if stated else "")
                    + (f" Last run: {seconds:.0f} s." if seconds is not None else ""),
                    exercises,
                ]
            )
        columns = ["chapter", "what it teaches", "assumes", "time", "exercises"]
        return [_table(columns, rows, ["chapter-map"])]


def setup(app):
    app.add_directive("run-record", RunRecordDirective)
    app.add_directive("chapter-map", ChapterMapDirective)
    return {"version": "0.2", "parallel_read_safe": True, "parallel_write_safe": True}
