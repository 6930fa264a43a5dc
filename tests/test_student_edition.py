"""The student edition (make student): stubs instead of solutions, and self-checks that catch them.

The last test runs every student notebook top to bottom, perturbed (another seed, other CPU
kernels), trying each exercise's stub and then its solution: it is the book's second full run in
`make test`, next to nbval's, and takes about as long.
"""

from __future__ import annotations

import ast
import os
import re
import zipfile

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from book import ROOT, chapter_paths, read_notebook
from tools.student_edition import STUB_HEADER, ZIP_NAME, main, stub_for

pytestmark = [pytest.mark.student, pytest.mark.slow]  # its last test runs every chapter

CHAPTERS = chapter_paths()


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    assert main([str(out)]) == 0
    return out


def test_stub_keeps_names_and_signatures_only():
    solution = (
        'import numpy as np\nsevens, rest = 1, 2\ndef count(labels, digit=7):\n    """Count."""\n    return 3\ncount(1)'
    )
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
    for original, cell in zip(book.cells, student.cells, strict=True):
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
        node
        for node in ast.walk(ast.parse(self_check_source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "self_check"
    )
    hint = next(k.value for k in call.keywords if k.arg == "hint")
    return ast.literal_eval(hint)


#: The perturbed run: another seed for everything `seed_everything` seeds, and TensorFlow's own CPU
#: kernels instead of oneDNN's, which sum in other orders (as another CPU or a GPU does). It stands in
#: for another machine: an assert that holds only for the stored run fails here.
PERTURBED_ENVIRONMENT = {"MNIST_BOOK_SEED": "1000", "TF_ENABLE_ONEDNN_OPTS": "0", "TF_CPP_MIN_LOG_LEVEL": "3"}


def run_cell(client, source: str, index: int):
    """Run one cell's source in the client's kernel; return the cell with its outputs."""
    cell = nbformat.v4.new_code_cell(source)
    return client.execute_cell(cell, index)


def printed(cell) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_student_run_perturbed_with_every_exercise(edition, path):
    """Run the whole student notebook top to bottom, perturbed (PERTURBED_ENVIRONMENT), as a student
    who attempts every exercise: each stub's self-check fails with its hint, the book's solution then
    passes it, and every other cell (every assert of the chapter) runs without error."""
    solutions = [c.source for c in read_notebook(path).cells if "solution" in c.metadata.get("tags", [])]
    nb = nbformat.read(edition / "chapters" / path.name, as_version=4)
    client = NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "chapters")}}
    )
    stubs_checked = 0
    with client.setup_kernel(env={**os.environ, **PERTURBED_ENVIRONMENT}):
        seed = run_cell(client, "from mnist_book import seed_everything; print(seed_everything(42))", 0)
        perturbed_seed = 42 + int(PERTURBED_ENVIRONMENT["MNIST_BOOK_SEED"])
        assert printed(seed).strip() == str(perturbed_seed), "the seed is not perturbed"
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if "exercise-stub" in cell.metadata.get("tags", []):
                check = nb.cells[index + 1]
                client.execute_cell(cell, index)
                failed_check = nbformat.v4.new_code_cell(check.source)
                with pytest.raises(CellExecutionError) as caught:
                    client.execute_cell(failed_check, index + 1)
                assert caught.value.ename == "SelfCheckError", (
                    f"the stub's self-check did not fail:\n{str(caught.value)[-2000:]}"
                )
                assert re.search(r"^FAIL: Exercise \d+\.\d+", printed(failed_check), flags=re.M), printed(failed_check)
                assert f"Hint: {hint_of(check.source)}" in printed(failed_check)
                # Then the book's solution, so that the chapter goes on as for a student who solved it.
                run_cell(client, solutions[stubs_checked], index)
                stubs_checked += 1
                continue
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                pytest.fail(
                    f"cell {index} failed in the perturbed run ({PERTURBED_ENVIRONMENT}):\n{str(error)[-4000:]}"
                )
    assert stubs_checked == len(solutions) > 0
