"""Write the student edition: every chapter with its solutions replaced by stubs.

Usage: python -m tools.student_edition [OUTPUT_DIR]     (default: _build/student)

For each chapter in _toc.yml the student notebook
- replaces each solution cell (tag ``solution``) by a stub that keeps the
  exercise's names (``answer = None``) and function signatures, so the
  self-check after it fails with its hint until the student fills it in;
- replaces each markdown cell tagged ``solution`` (the prose that discusses an
  answer, which follows the exercise's self-check) by a pointer to the book;
- clears every output and execution count, and the stored run metadata;
- keeps every other cell, self-checks included.

The chapters go to OUTPUT_DIR/chapters/, and all of them, with a README, into
OUTPUT_DIR/mnist-book-student-edition.zip, which the website offers as one download.
"""

from __future__ import annotations

import ast
import sys
import zipfile
from pathlib import Path

import nbformat

from tools.execute import ROOT, toc_chapters

STUB_HEADER = "# Exercise: your code here. The self-check below says PASS when your answer is right."
DISCUSSION_PLACEHOLDER = (
    "*The discussion of this exercise's answer is in the book, after the exercise: read it once your"
    " self-check says PASS.*"
)
ZIP_NAME = "mnist-book-student-edition.zip"
README = """MNIST book: student edition
===========================

Each notebook is a chapter of the book with the exercise solutions removed.
Open a chapter in Jupyter or upload it to Google Colab (File > Upload notebook),
then run it top to bottom. At each exercise, replace the stub (the lines that
assign None or return None) with your own code and run the self-check cell
below it: it prints PASS, or FAIL with a hint.

The worked solutions are in the book itself, collapsed under each exercise.
"""


def stub_for(source: str) -> str:
    """A stub with the same top-level names as the solution, and nothing else."""
    lines = [STUB_HEADER]
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            lines.append(ast.unparse(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            # Same decorators, signature and docstring; the body only returns None.
            body = [node.body[0]] if ast.get_docstring(node) is not None else []
            node.body = [*body, ast.Return(ast.Constant(None))]
            *head, last = ast.unparse(node).splitlines()
            lines += [*head, "    # Your code here.", last]
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in assigned_names(target):
                    stub = f"{name} = None  # replace None with your answer"
                    if stub not in lines:
                        lines.append(stub)
    return "\n".join(lines)


def assigned_names(target: ast.expr) -> list[str]:
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in assigned_names(element)]
    if isinstance(target, ast.Starred):
        return assigned_names(target.value)
    return []  # attribute or subscript targets belong to objects that already exist


def student_notebook(path: Path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "markdown" and "solution" in tags:
            cell.source = DISCUSSION_PLACEHOLDER
            cell.metadata["tags"] = [t for t in tags if t != "solution"]
            continue
        if cell.cell_type != "code":
            continue
        if "solution" in tags:
            cell.source = stub_for(cell.source)
            # Shown, not collapsed: this is where the student writes.
            cell.metadata["tags"] = [t for t in tags if t not in ("solution", "hide-input")] + ["exercise-stub"]
        cell.outputs = []
        cell.execution_count = None
    nb.metadata.pop("mnist_book", None)
    return nb


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "_build" / "student"
    chapters_out = out / "chapters"
    chapters_out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in toc_chapters():
        target = chapters_out / path.name
        nbformat.write(student_notebook(path), target)
        written.append(target)
    with zipfile.ZipFile(out / ZIP_NAME, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mnist-book-student-edition/README.txt", README)
        for target in written:
            archive.write(target, f"mnist-book-student-edition/chapters/{target.name}")
    size_kb = (out / ZIP_NAME).stat().st_size / 1024
    print(f"Student edition: {len(written)} chapter(s) in {chapters_out}, {out / ZIP_NAME} ({size_kb:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
