"""The student edition (make student): stubs instead of solutions, and self-checks that catch them.

nbgrader generates it (tools/student_edition.py, tools/assignments.py). The last test runs every
student notebook top to bottom, perturbed (another seed, other CPU kernels, a student id), trying each
exercise's stub and then its solution: it is the book's second full run in `make test`, next to
nbval's, and takes about as long.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import re
import zipfile

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from book import ROOT, chapter_paths, read_notebook
from tools.assignments import (
    DISCUSSION_PLACEHOLDER,
    EDITION_NOTE,
    INSTALL_AT_MAIN,
    STUB_HEADER,
    STUDENT_ID_CELL,
    STUDENT_REPORT,
    WRITTEN_ANSWER_STUB,
    for_students,
    hidden_tests,
    nbgrader_marker,
    release_tag,
    stub_for,
    without_hidden_tests,
)
from tools.student_edition import ZIP_NAME, main
from wrong_answers import PASS_THE_SELF_CHECK_BUT_NOT_THE_HIDDEN_TESTS, WRONG_ANSWERS

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
    # With the self-check's source: only the names it reads, not the solution's helpers.
    read = stub_for(solution, read_by='self_check("x", lambda: sevens == count([7]), hint="h")')
    assert "sevens = None" in read and "def count(" in read and "rest" not in read
    ast.parse(stub)  # a stub is valid Python


def test_every_chapter_is_in_the_edition_and_the_zip(edition):
    with zipfile.ZipFile(edition / ZIP_NAME) as archive:
        names = archive.namelist()
    for path in CHAPTERS:
        assert (edition / "chapters" / path.name).is_file()
        assert f"mnist-book-student-edition/chapters/{path.name}" in names
    assert "mnist-book-student-edition/README.txt" in names


def edition_cells(edition, path):
    """The student notebook's cells, less the student-id cell that it adds before the setup cell
    (checked here to be the first code cell)."""
    student = nbformat.read(edition / "chapters" / path.name, as_version=4)
    first_code = next(i for i, c in enumerate(student.cells) if c.cell_type == "code")
    assert student.cells[first_code].source == STUDENT_ID_CELL
    return student.cells[:first_code] + student.cells[first_code + 1 :]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_solutions_replaced_outputs_cleared_self_checks_kept(edition, path):
    book = read_notebook(path)
    cells = edition_cells(edition, path)
    assert len(cells) == len(book.cells)
    setup = next(c for c in book.cells if c.cell_type == "code")
    for original, cell in zip(book.cells, cells, strict=True):
        if cell.cell_type != "code":
            if nbgrader_marker(original).get("grade"):
                assert cell.source == WRITTEN_ANSWER_STUB  # a written answer: the book's is the model answer
            elif "solution" in original.metadata.get("tags", []):
                assert cell.source == DISCUSSION_PLACEHOLDER  # the answer's discussion stays in the book
            elif original is book.cells[0]:
                assert cell.source == for_students(original.source) + "\n\n" + EDITION_NOTE
            else:
                assert cell.source == for_students(original.source)  # citations and links for Colab
            assert "{cite" not in cell.source and "](../" not in cell.source, cell.source[:300]
            continue
        assert cell.outputs == [] and cell.execution_count is None
        tags = original.metadata.get("tags", [])
        if "solution" in tags:
            check = book.cells[book.cells.index(original) + 1]
            assert cell.source.rstrip("\n") == stub_for(original.source, read_by=check.source)  # what nbgrader left
            assert "exercise-stub" in cell.metadata["tags"] and "hide-input" not in cell.metadata["tags"]
            ast.parse(cell.source)
        elif original is setup:
            # The helper package at a release tag, so that an assignment cannot change mid-term.
            assert "@main" not in cell.source and f'@{release_tag()}"' in cell.source
            at_tag = INSTALL_AT_MAIN.sub(rf'\1@{release_tag()}"', original.source)
            assert cell.source == f"{at_tag}\n\n{STUDENT_REPORT}"
        else:
            # Self-checks without their hidden tests, and the rest unchanged.
            assert cell.source == without_hidden_tests(original.source)
            if nbgrader_marker(original).get("grade"):
                assert "HIDDEN TESTS" not in cell.source and cell.metadata["nbgrader"]["locked"]


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_the_edition_gives_no_solution_and_no_hidden_test_away(edition, path):
    """No line of a solution (beyond what its stub keeps: imports, signatures) and no line of a hidden
    test is anywhere in the student notebook, its metadata included, unless the chapter shows that line
    elsewhere too (`path = Path(path)`)."""
    text = (edition / "chapters" / path.name).read_text()
    cells = read_notebook(path).cells
    shown = "\n".join(
        without_hidden_tests(c.source)
        for c in cells
        if "solution" not in c.metadata.get("tags", []) and not nbgrader_marker(c).get("solution")
    )
    given_away = []
    for cell in cells:
        if cell.cell_type == "code" and "solution" in cell.metadata.get("tags", []):
            secret = cell.source
            kept = stub_for(cell.source)
        elif "### BEGIN HIDDEN TESTS" in cell.source:
            secret = cell.source.split("### BEGIN HIDDEN TESTS")[1]
            kept = without_hidden_tests(cell.source)
        else:
            continue
        for line in secret.splitlines():
            line = line.strip()
            if len(line) > 12 and line not in kept + shown and json.dumps(line)[1:-1] in text:
                given_away.append(line)
    assert not given_away, "lines of solutions or hidden tests in the student edition:\n" + "\n".join(given_away)


def self_check_call(self_check_source: str) -> ast.Call:
    return next(
        node
        for node in ast.walk(ast.parse(self_check_source))
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "self_check"
    )


def hint_of(self_check_source: str) -> str:
    """The hint text of a self-check call (it may be split over string literals)."""
    hint = next(k.value for k in self_check_call(self_check_source).keywords if k.arg == "hint")
    return ast.literal_eval(hint)


def exercise_of(self_check_source: str) -> str:
    """The exercise's name, the first argument of its self-check ("Exercise 2.1")."""
    return ast.literal_eval(self_check_call(self_check_source).args[0])


#: The perturbed run: another seed for everything `seed_everything` seeds, and TensorFlow's own CPU
#: kernels instead of oneDNN's, which sum in other orders (as another CPU or a GPU does). It stands in
#: for another machine: an assert that holds only for the stored run fails here.
#: And a student id (mnist_book/student.py), which gives the draws that exercises ask for to this student.
PERTURBED_ENVIRONMENT = {
    "MNIST_BOOK_SEED": "1000",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "MNIST_BOOK_STUDENT": "perturbed-run",
}


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
    passes it, and every other cell (every assert of the chapter) runs without error.

    The hidden tests (taken from the book's grade cells: the edition has none) run after each attempt,
    as nbgrader runs them: they reject every wrong answer, also those that pass the self-check, and
    accept the book's solution with this student's own numbers."""
    book_cells = read_notebook(path).cells
    solutions = [c.source for c in book_cells if c.cell_type == "code" and "solution" in c.metadata.get("tags", [])]
    hidden_of = {
        nbgrader_marker(c)["grade_id"]: hidden_tests(c.source)
        for c in book_cells
        if c.cell_type == "code" and nbgrader_marker(c).get("grade")
    }

    def hidden_tests_reject(client, hidden, index, wrong):
        try:
            run_cell(client, hidden, index)
        except CellExecutionError as error:
            # A NameError would be a hidden test that reads a name nobody defined, not a rejected answer.
            assert error.ename != "NameError", f"the hidden tests fail on their own:\n{str(error)[-2000:]}"
        else:
            pytest.fail(f"the hidden tests accept this wrong answer:\n{wrong}")

    nb = nbformat.read(edition / "chapters" / path.name, as_version=4)
    client = NotebookClient(
        nb, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(ROOT / "chapters")}}
    )
    stubs_checked = wrong_answers_checked = hidden_checked = hidden_rejections = 0
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
                # Each plausible wrong answer must fail the self-check too (tests/wrong_answers.py).
                exercise = exercise_of(check.source)
                hidden = hidden_of.get(nbgrader_marker(check).get("grade_id"), "")
                for wrong in WRONG_ANSWERS[exercise]:
                    run_cell(client, wrong, index)
                    with pytest.raises(CellExecutionError) as caught:
                        run_cell(client, check.source, index + 1)
                    assert caught.value.ename == "SelfCheckError", (
                        f"{exercise}: this wrong answer did not fail the self-check as it should:\n{wrong}\n"
                        f"{str(caught.value)[-2000:]}"
                    )
                    if hidden:
                        hidden_tests_reject(client, hidden, index + 1, wrong)
                    wrong_answers_checked += 1
                # Wrong answers that the self-check lets through, and only the hidden tests catch.
                for wrong in PASS_THE_SELF_CHECK_BUT_NOT_THE_HIDDEN_TESTS.get(exercise.split(",")[0], []):
                    run_cell(client, wrong, index)
                    passed = run_cell(client, check.source, index + 1)
                    assert f"PASS: {exercise}" in printed(passed), printed(passed)
                    hidden_tests_reject(client, hidden, index + 1, wrong)
                    hidden_rejections += 1
                # Then the book's solution, so that the chapter goes on as for a student who solved it;
                # the hidden tests accept it, with this student's numbers.
                run_cell(client, solutions[stubs_checked], index)
                if hidden:
                    run_cell(client, check.source, index + 1)
                    try:
                        run_cell(client, hidden, index + 1)
                    except CellExecutionError as error:
                        pytest.fail(f"{exercise}: the hidden tests reject the book's solution:\n{str(error)[-3000:]}")
                    hidden_checked += 1
                stubs_checked += 1
                continue
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                pytest.fail(
                    f"cell {index} failed in the perturbed run ({PERTURBED_ENVIRONMENT}):\n{str(error)[-4000:]}"
                )
    assert stubs_checked == len(solutions) > 0
    assert wrong_answers_checked >= stubs_checked  # at least one wrong answer per exercise
    graded = sum(1 for c in book_cells if c.cell_type == "code" and nbgrader_marker(c).get("grade"))
    assert hidden_checked == graded, f"{hidden_checked} exercises' hidden tests ran, of {graded} grade cells"
    print(f"{path.name}: {stubs_checked} exercises; wrong answers: {wrong_answers_checked}, and", end=" ")
    print(f"{hidden_rejections} that pass the self-check and that the hidden tests reject")
    setup = next(c for c in nb.cells if c.cell_type == "code" and "describe_student" in c.source)
    assert f"Student id: {PERTURBED_ENVIRONMENT['MNIST_BOOK_STUDENT']}." in printed(setup), printed(setup)


def test_every_exercise_lists_plausible_wrong_answers():
    """tests/wrong_answers.py names exactly the book's exercises, each with at least one wrong answer
    that is valid Python (the perturbed run above proves that each one fails its self-check)."""
    exercises = [
        exercise_of(c.source)
        for path in CHAPTERS
        for c in read_notebook(path).cells
        if "self-check" in c.metadata.get("tags", [])
    ]
    assert sorted(exercises) == sorted(WRONG_ANSWERS), "tests/wrong_answers.py and the book's exercises differ"
    for exercise, wrong_answers in WRONG_ANSWERS.items():
        assert wrong_answers, f"{exercise} has no wrong answer in tests/wrong_answers.py"
        for wrong in wrong_answers:
            ast.parse(wrong)


def test_no_self_check_contains_its_solutions_formula():
    """A self-check tests the answer's properties; it never recomputes the answer the way the solution
    does (a student could copy the formula out of it). No call or arithmetic expression of a solution
    (longer than a name lookup) may appear in the self-check that follows it."""
    found = []
    for path in CHAPTERS:
        cells = read_notebook(path).cells
        for solution, check in itertools.pairwise(cells):
            if "solution" not in solution.metadata.get("tags", []) or solution.cell_type != "code":
                continue
            # What the student sees: its hint included, its hidden tests not (they may recompute the answer).
            check_code = ast.unparse(ast.parse(without_hidden_tests(check.source)))
            for node in ast.walk(ast.parse(solution.source)):
                if isinstance(node, (ast.Call, ast.BinOp)):
                    formula = ast.unparse(node)
                    # Shorter ones are plumbing like len(x) or np.mean(a).
                    if len(formula) >= 16 and formula in check_code:
                        found.append(f"{path.name}, {exercise_of(check.source)}: {formula!r}")
    assert not found, "self-checks that contain their solution's formula:\n" + "\n".join(found)
