"""The student edition (make student): stubs instead of solutions, and self-checks that catch them.

The last test runs every student notebook up to its first exercise, so it takes about as long as
running the chapters once; `make test` runs this file as its own step (test-student).
"""

from __future__ import annotations

import ast
import re
import zipfile

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from book import ROOT, chapter_paths, read_notebook
from tools.student_edition import STUB_HEADER, ZIP_NAME, main, stub_for

CHAPTERS = chapter_paths()


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    assert main([str(out)]) == 0
    return out


def test_stub_keeps_names_and_signatures_only():
    solution = 'import numpy as np\nsevens, rest = 1, 2\ndef count(labels, digit=7):\n    """Count."""\n    return 3\ncount(1)'
    stub = stub_for(solution)
    assert stub.startswith(STUB_HEADER)
    assert "sevens = None" in stub and "rest = None" in stub and "import numpy as np" in stub
    assert 'def count(labels, digit=7):\n    """Count."""\n    # Your code here.\n    return None' in stub
    assert "return 3" not in stub and "count(1)" not in stub
    ast.parse(stub)  # a stub is valid Python


def test_every_chapter_is_in_the_edition_and_the_zip(edition):
    with zipfile.ZipFile(edition / ZIP_NAME) as archive:
        names = archive.namelist()
    for path in CHAPTERS:
        assert (edition / "chapters" / path.name).is_file()
        assert f"mnist-book-student-edition/chapters/{path.name}" in names
    assert "mnist-book-student-edition/README.txt" in names


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_solutions_replaced_outputs_cleared_self_checks_kept(edition, path):
    book = read_notebook(path)
    student = nbformat.read(edition / "chapters" / path.name, as_version=4)
    assert len(student.cells) == len(book.cells)
    for original, cell in zip(book.cells, student.cells):
        if cell.cell_type != "code":
            assert cell.source == original.source
            continue
        assert cell.outputs == [] and cell.execution_count is None
        tags = original.metadata.get("tags", [])
        if "solution" in tags:
            assert cell.source.startswith(STUB_HEADER)
            assert "exercise-stub" in cell.metadata["tags"] and "hide-input" not in cell.metadata["tags"]
            ast.parse(cell.source)
        else:
            assert cell.source == original.source  # self-checks and the rest unchanged


def hint_of(self_check_source: str) -> str:
    """The hint text of a self-check call (it may be split over string literals)."""
    call = next(
        node for node in ast.walk(ast.parse(self_check_source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "self_check"
    )
    hint = next(k.value for k in call.keywords if k.arg == "hint")
    return ast.literal_eval(hint)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_first_self_check_fails_on_the_stub_with_its_hint(edition, path):
    """Run the student notebook up to its first exercise: everything before it works,
    and the self-check after the stub fails with the hint the student reads."""
    nb = nbformat.read(edition / "chapters" / path.name, as_version=4)
    first_check = next(
        i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "self-check" in c.metadata.get("tags", [])
    )
    assert "exercise-stub" in nb.cells[first_check - 1].metadata.get("tags", [])
    nb.cells = nb.cells[: first_check + 1]
    client = NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "chapters")}}
    )
    with pytest.raises(CellExecutionError) as caught:
        client.execute()
    assert caught.value.ename == "SelfCheckError", str(caught.value)[-2000:]
    # Every cell before the self-check ran without error.
    ran = [c for c in nb.cells[:first_check] if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in ran)
    printed = "".join(o.get("text", "") for o in nb.cells[first_check].outputs if o.output_type == "stream")
    hint = hint_of(nb.cells[first_check].source)
    assert re.search(r"^FAIL: Exercise \d+\.\d+", printed, flags=re.M), printed
    assert f"Hint: {hint}" in printed
