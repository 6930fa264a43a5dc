"""Graded assignments (issue 15): nbgrader's markers in the chapters, each student's own numbers, and the
grading of a folder of submissions with `python -m tools.grade`.

The unmarked tests check the pieces in seconds. The tests marked `grading` (make test-grading) generate
chapter 1's assignment with nbgrader and grade a folder of submissions of every kind, end to end: each
runs the whole chapter in a fresh kernel, as nbgrader's autograder does (about 20 s each on 2 cores).
"""

from __future__ import annotations

import ast
import csv
import html
import json
import re
import warnings

import nbformat
import numpy as np
import pytest

from book import CONFIG, ROOT, chapter_paths, read_notebook
from mnist_book.student import (
    SEED_SPACING,
    STUDENT_VARIABLE,
    StudentIdError,
    describe_student,
    student_id,
    student_offset,
    student_sample,
    student_seed,
)
from tools.assignments import (
    BEGIN_HIDDEN_TESTS,
    BEGIN_SOLUTION,
    END_HIDDEN_TESTS,
    STUDENT_ID_CELL,
    assignment_source,
    course_config,
    generate_assignments,
    graded_parts,
    hidden_tests,
    nbgrader_marker,
    release_tag,
    stub_for,
    student_time_rows,
    without_hidden_tests,
)
from tools.grade import CSV_COLUMNS, WRITTEN_NOTE, GradingInputError, find_submissions, grade, read_written_scores
from tools.toc import toc_chapters
from wrong_answers import PASS_THE_SELF_CHECK_BUT_NOT_THE_HIDDEN_TESTS

CHAPTER_1 = ROOT / "chapters" / "01_mnist_dataset.ipynb"
GRADED_CHAPTERS = [path for path in chapter_paths() if graded_parts(read_notebook(path))]


def grade_cells(nb):
    return [cell for cell in nb.cells if nbgrader_marker(cell).get("grade")]


# --- the chapters' markers --------------------------------------------------------------------


def test_chapter_1_is_graded():
    assert CHAPTER_1 in GRADED_CHAPTERS
    exercises = [part.exercise for part in graded_parts(read_notebook(CHAPTER_1))]
    assert exercises == ["Exercise 1.1", "Exercise 1.1, written answer", "Exercise 1.2"]


@pytest.mark.parametrize("path", GRADED_CHAPTERS, ids=lambda p: p.name)
def test_every_exercise_of_a_graded_chapter_is_graded_by_hidden_tests(path):
    """In a graded chapter every solution cell carries nbgrader's solution marker, every self-check is
    a locked grade cell with points, and each has hidden tests (which nbgrader keeps from students)."""
    nb = read_notebook(path)
    ids = [nbgrader_marker(c)["grade_id"] for c in nb.cells if nbgrader_marker(c)]
    assert len(ids) == len(set(ids)), "grade_id values must be unique"
    for before, cell in zip(nb.cells, nb.cells[1:], strict=False):
        tags, marker = cell.metadata.get("tags", []), nbgrader_marker(cell)
        if cell.cell_type == "code" and "solution" in tags:
            assert marker.get("solution") and not marker.get("grade"), (
                f"solution cell without its marker:\n{cell.source}"
            )
        if "self-check" in tags:
            assert marker.get("grade") and marker.get("locked") and marker.get("points", 0) > 0, cell.source[:200]
            assert nbgrader_marker(before).get("solution"), "a graded self-check follows its solution cell"
            hidden = hidden_tests(cell.source)
            assert "assert" in hidden, f"a grade cell without hidden tests:\n{cell.source[:300]}"
        if cell.cell_type == "markdown" and marker.get("grade"):
            assert marker.get("solution") and "solution" in tags, "a written answer is a solution cell, in the book too"


def test_wrong_answers_that_only_the_hidden_tests_reject_belong_to_graded_exercises():
    """tests/wrong_answers.py lists wrong answers that pass a self-check but not its hidden tests; the
    perturbed run (tests/test_student_edition.py) proves both, and the grading run below gives them 0."""
    autograded = {
        part.exercise for path in GRADED_CHAPTERS for part in graded_parts(read_notebook(path)) if part.autograded
    }
    assert set(PASS_THE_SELF_CHECK_BUT_NOT_THE_HIDDEN_TESTS) <= autograded
    for exercise, wrong_answers in PASS_THE_SELF_CHECK_BUT_NOT_THE_HIDDEN_TESTS.items():
        assert wrong_answers, exercise
        for wrong in wrong_answers:
            ast.parse(wrong)


# --- each student's own numbers ----------------------------------------------------------------


def test_without_a_student_id_the_book_keeps_its_numbers(monkeypatch):
    monkeypatch.delenv(STUDENT_VARIABLE, raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    assert student_id() is None and student_offset() == 0
    assert student_seed(0) == 0 and student_seed(7) == 7
    assert np.array_equal(student_sample(100, 5), np.arange(5))
    assert describe_student().startswith("No student id")


def test_every_student_gets_seeds_and_samples_of_their_own(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    offsets, samples = set(), set()
    for student in ("alice", "bob", "s1234567", "carol.smith@example.edu"):
        monkeypatch.setenv(STUDENT_VARIABLE, f"  {student} ")  # spaces around a typed id do not count
        assert student_id() == student and describe_student().startswith(f"Student id: {student}.")
        assert student_seed(3) - student_seed(0) == 3 and student_offset() % SEED_SPACING == 0 < student_offset()
        offsets.add(student_offset())
        sample = student_sample(60_000, 6_000, seed=1)
        assert len(np.unique(sample)) == 6_000 and np.all(np.diff(sample) > 0) and sample[-1] < 60_000
        assert np.array_equal(sample, student_sample(60_000, 6_000, seed=1)), "the same draw on every run"
        samples.add(sample.tobytes())
    assert len(offsets) == len(samples) == 4


def test_bad_or_missing_student_ids_get_clear_errors(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    for bad in ("alice smith", "../alice", "-alice", "a" * 65):
        monkeypatch.setenv(STUDENT_VARIABLE, bad)
        with pytest.raises(StudentIdError, match="is not a valid student id"):
            student_seed(0)
    monkeypatch.setenv(STUDENT_VARIABLE, "")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")  # what nbgrader sets while it grades
    with pytest.raises(StudentIdError, match="No student id while grading"):
        student_seed(0)
    with pytest.raises(ValueError, match="from 0 to 999"):
        student_seed(SEED_SPACING)


def test_the_id_typed_in_the_first_cell_counts_also_when_typed_late(monkeypatch):
    """The student edition's first cell: an id typed after a first run without one still counts when the
    cell runs again; under the grader, the grader's id counts, whatever the cell says."""

    def run_first_cell(typed):
        exec(STUDENT_ID_CELL.replace('my_student_id = ""', f"my_student_id = {typed!r}"), {})  # noqa: S102

    monkeypatch.delenv(STUDENT_VARIABLE, raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    run_first_cell("")
    assert student_id() is None
    run_first_cell("alice")
    assert student_id() == "alice"
    monkeypatch.setenv(STUDENT_VARIABLE, "bob")  # set by python -m tools.grade from the file name
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    run_first_cell("alice")
    assert student_id() == "bob"


def test_while_grading_a_warning_does_not_cost_the_points_of_its_cell(monkeypatch, capsys):
    """nbgrader scores a grade cell that writes to stderr 0; under the grader, the first cell sends
    warnings to stdout."""
    monkeypatch.setenv(STUDENT_VARIABLE, "bob")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # put back after the test
    exec(STUDENT_ID_CELL, {})  # noqa: S102
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("a student's own warning", UserWarning, stacklevel=1)
    printed = capsys.readouterr()
    assert "a student's own warning" in printed.out and printed.err == ""


# --- the student version ----------------------------------------------------------------------


def test_assignment_source_keeps_the_names_before_the_solution_region():
    nb = assignment_source(CHAPTER_1)
    book = read_notebook(CHAPTER_1)
    solutions = [c.source for c in book.cells if nbgrader_marker(c).get("solution") and c.cell_type == "code"]
    sources = [c.source for c in nb.cells if nbgrader_marker(c).get("solution") and c.cell_type == "code"]
    assert len(sources) == len(solutions) == 2
    checks = [book.cells[book.cells.index(c) + 1].source for c in book.cells if c.source in solutions]
    for source, solution, check in zip(sources, solutions, checks, strict=True):
        assert source.startswith(stub_for(solution, read_by=check) + f"\n{BEGIN_SOLUTION}\n{solution}\n")
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert first_code.source == STUDENT_ID_CELL
    assert f'@{release_tag()}"' in nb.cells[nb.cells.index(first_code) + 1].source


def test_release_tag_is_the_package_version():
    """The student edition installs the helper package at the tag v<version> (instructors.md: how to make it)."""
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), flags=re.M)[1]
    assert release_tag() == f"v{version}"


def test_without_hidden_tests_leaves_the_self_check():
    source = f"self_check('x', lambda: True, hint='h')\n{BEGIN_HIDDEN_TESTS}\nassert secret\n{END_HIDDEN_TESTS}"
    assert without_hidden_tests(source) == "self_check('x', lambda: True, hint='h')"


# --- tools.grade: its input --------------------------------------------------------------------


def test_grading_refuses_what_it_cannot_grade(tmp_path):
    with pytest.raises(GradingInputError, match="is not a folder of submissions"):
        find_submissions(tmp_path / "missing", CHAPTER_1)
    ungraded = tmp_path / "01_ungraded.ipynb"  # chapter 1 without nbgrader's markers
    nb = read_notebook(CHAPTER_1)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    nbformat.write(nb, ungraded)
    with pytest.raises(GradingInputError, match="has no graded exercises yet"):
        grade(ungraded, tmp_path, tmp_path / "out")
    with pytest.raises(GradingInputError, match="is not a chapter notebook"):
        grade(tmp_path / "chapter.txt", tmp_path, tmp_path / "out")


def test_submissions_that_are_not_notebooks_of_the_chapter_are_named(tmp_path):
    (tmp_path / "alice.pdf").write_text("%PDF-1.4")
    (tmp_path / "bob.ipynb").write_text("{not json")
    (tmp_path / "carol smith.ipynb").write_text("{}")
    nbformat.write(read_notebook(ROOT / "chapters" / "02_looking_at_the_digits.ipynb"), tmp_path / "dave.ipynb")
    nbformat.write(assignment_source(CHAPTER_1), tmp_path / "erin.ipynb")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    submissions, problems, unnamed = find_submissions(tmp_path, CHAPTER_1)
    assert [s.student for s in submissions] == ["erin"]
    assert problems["alice"] == "alice.pdf is not a notebook: submit the .ipynb file"
    assert problems["bob"].startswith("bob.ipynb is not a readable notebook (")
    assert "holds none of the exercise cells of 01_mnist_dataset.ipynb" in problems["dave"]
    assert len(unnamed) == 1 and unnamed[0].startswith("carol smith.ipynb: the file name must be the student's id.")


# --- the instructors' page --------------------------------------------------------------------


def test_the_instructors_page_gives_the_points_of_every_graded_exercise():
    """instructors.md lists each graded exercise with the points its grade cell carries."""
    page = (ROOT / "instructors.md").read_text()
    for path in GRADED_CHAPTERS:
        for part in graded_parts(read_notebook(path)):
            row = re.search(rf"^\| {re.escape(part.exercise)} \|.*\| (\d+(?:\.\d+)?) \|$", page, flags=re.M)
            assert row, f"instructors.md lists no points for {part.exercise}"
            assert float(row[1]) == part.points, (
                f"{part.exercise}: {row[1]} points on the page, {part.points} in the chapter"
            )


def test_the_instructors_page_gives_each_chapters_student_time_and_student_edition():
    """The table of student times is the one `python -m tools.assignments` computes from the chapters, and
    each chapter's student edition has its Colab link, on the `student` branch of the book's repository."""
    page = (ROOT / "instructors.md").read_text()
    chapters = toc_chapters(ROOT)
    for row in student_time_rows(chapters):
        assert row in page, f"instructors.md lacks this row (python -m tools.assignments prints the table):\n{row}"
    repository = CONFIG["repository"]["url"].removeprefix("https://github.com/")
    for chapter in chapters:
        link = f"https://colab.research.google.com/github/{repository}/blob/student/chapters/{chapter.name}"
        assert f"({link})" in page, f"instructors.md lacks the student edition's Colab link of {chapter.name}"
    assert f"@{release_tag()}`" in page and f"git tag {release_tag()}" in page


# --- end to end: generate, submit, grade -------------------------------------------------------


def book_solutions(path):
    """grade_id -> the book's source of each solution cell (code and written answers)."""
    return {
        nbgrader_marker(c)["grade_id"]: c.source
        for c in read_notebook(path).cells
        if nbgrader_marker(c).get("solution")
    }


def submission(release, student, answers, *, edit=None):
    """The student version with the student's id typed in and ``answers`` (grade_id -> source) put in
    the solution cells; ``edit`` (grade_id -> source) changes other cells, as a student may."""
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        grade_id = nbgrader_marker(cell).get("grade_id")
        if cell.cell_type == "code" and cell.source == STUDENT_ID_CELL:
            cell.source = cell.source.replace('my_student_id = ""', f'my_student_id = "{student}"')
        elif grade_id in answers:
            cell.source = answers[grade_id]
        elif edit and grade_id in edit:
            cell.source = edit[grade_id]
    return nb


def gaps_of(student, solution, monkeypatch):
    """What the book's solution of exercise 1.1 computes for ``student``: the numbers another could copy."""
    from mnist_book import load_mnist

    monkeypatch.setenv(STUDENT_VARIABLE, student)
    (_, y_train), _ = load_mnist()
    namespace = {"np": np, "y_train": y_train, "student_seed": student_seed}
    exec(solution, namespace)  # noqa: S102 - the book's own code
    monkeypatch.delenv(STUDENT_VARIABLE)
    return namespace["shuffled_gaps"]


@pytest.fixture(scope="module")
def graded_chapter_1(tmp_path_factory):
    """Chapter 1's assignment, generated by nbgrader, and a folder of submissions of every kind, graded."""
    monkeypatch = pytest.MonkeyPatch()
    work = tmp_path_factory.mktemp("grading")
    course = work / "course"
    release = generate_assignments([CHAPTER_1], course, course_config(course, work / "gradebook.db"))[CHAPTER_1]
    solutions = book_solutions(CHAPTER_1)
    written = "The file's gap lies below most of my 100 shuffled gaps: no long runs of a few digits."
    correct = {**solutions, "exercise-1-1-written": written}
    copied_gaps = gaps_of("alice", solutions["exercise-1-1-code"], monkeypatch)
    wrong = PASS_THE_SELF_CHECK_BUT_NOT_THE_HIDDEN_TESTS
    pass_printed = {
        "exercise-1-1-code": 'print("PASS: Exercise 1.1")',
        "exercise-1-2-code": 'print("PASS: Exercise 1.2, the header")\nprint("PASS: Exercise 1.2, the labels")',
    }
    kinds = {
        "alice": submission(release, "alice", correct),
        "bob": submission(release, "bob", {}),  # the student edition as it was handed out
        # PASS printed in the solution cells, and the self-checks edited to print it too.
        "carol": submission(release, "carol", pass_printed, edit={"exercise-1-1": pass_printed["exercise-1-1-code"]}),
        # 1.1 solved, then the kernel dies in exercise 1.2.
        "dave": submission(release, "dave", {**correct, "exercise-1-2-code": "import os\n\nos._exit(1)"}),
        # Exercise 1.1's numbers copied from alice, with a function of her own that is right.
        "erin": submission(
            release,
            "erin",
            {
                **correct,
                "exercise-1-1-code": solutions["exercise-1-1-code"].split("shuffle_rng =")[0]
                + f"shuffled_gaps = np.array({[float(g) for g in copied_gaps]!r})",
            },
        ),
        "frank": submission(
            release,
            "frank",
            {**correct, "exercise-1-1-code": wrong["Exercise 1.1"][0], "exercise-1-2-code": wrong["Exercise 1.2"][0]},
        ),
        "grace": submission(
            release,
            "grace",
            {**correct, "exercise-1-1-code": wrong["Exercise 1.1"][1], "exercise-1-2-code": wrong["Exercise 1.2"][1]},
        ),
    }
    assert len(wrong["Exercise 1.1"]) == len(wrong["Exercise 1.2"]) == 2, "frank and grace submit them all"
    # erin started from alice's notebook: alice's id is still typed in its first cell.
    first = next(c for c in kinds["erin"].cells if c.cell_type == "code")
    first.source = first.source.replace('my_student_id = "erin"', 'my_student_id = "alice"')
    submissions = work / "submissions"
    submissions.mkdir()
    for student, nb in kinds.items():
        nbformat.write(nb, submissions / f"{student}.ipynb")
    (submissions / "heidi.ipynb").write_text("this is not a notebook")
    # alice's written answer graded by hand, as an instructor does in grades.csv after a first run.
    by_hand = work / "written.csv"
    by_hand.write_text('student,exercise,points,max,note\nalice,"Exercise 1.1, written answer",2,2,\n')
    report = grade(CHAPTER_1, submissions, work / "out", timeout=600, written_scores=by_hand)
    monkeypatch.undo()
    return report


@pytest.mark.grading
@pytest.mark.parametrize("chapter", [p for p in GRADED_CHAPTERS if p != CHAPTER_1], ids=lambda p: p.name)
def test_a_correct_submission_of_every_other_chapter_scores_full_marks(chapter, tmp_path):
    """Chapters 2 to 8 end to end, one correct submission each: nbgrader generates the assignment, the
    book's solutions go into the student version, and grading (hidden tests, this student's numbers,
    no network) gives every exercise its points. Chapter 1 gets every kind of submission above."""
    course = tmp_path / "course"
    release = generate_assignments([chapter], course, course_config(course, tmp_path / "gradebook.db"))[chapter]
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    nbformat.write(submission(release, "zoe", book_solutions(chapter)), submissions / "zoe.ipynb")
    report = grade(chapter, submissions, tmp_path / "out", timeout=900)
    assert not report.problems, report.problems
    full_marks = {part.exercise: part.points for part in report.parts}
    graded_cells = nbformat.read(report.out / "autograded" / "zoe.ipynb", as_version=4).cells
    errors = {
        nbgrader_marker(cell)["grade_id"]: [o.evalue for o in cell.outputs if o.output_type == "error"]
        for cell in graded_cells
        if nbgrader_marker(cell).get("grade")
    }
    assert report.points("zoe") == full_marks, f"{chapter.name}: scored {report.points('zoe')}; errors: {errors}"
    print(f"{chapter.name}: graded in {report.seconds['zoe']:.0f} s")


def autograded_cell(report, student, grade_id):
    nb = nbformat.read(report.out / "autograded" / f"{student}.ipynb", as_version=4)
    return next(cell for cell in nb.cells if nbgrader_marker(cell).get("grade_id") == grade_id)


def printed(cell) -> str:
    return "".join(output.get("text", "") for output in cell.outputs if output.output_type == "stream")


@pytest.mark.grading
def test_a_correct_submission_scores_full_marks(graded_chapter_1):
    assert graded_chapter_1.points("alice") == {part.exercise: part.points for part in graded_chapter_1.parts}
    # The written answer's points came from the instructor; the others' wait for them.
    assert graded_chapter_1.points("dave")["Exercise 1.1, written answer"] is None


@pytest.mark.grading
def test_the_unchanged_stub_and_printed_passes_score_zero(graded_chapter_1):
    for student in ("bob", "carol"):
        assert set(graded_chapter_1.points(student).values()) == {0}, student
    # carol's edited self-check was put back by nbgrader, hidden tests and all, and failed.
    restored = autograded_cell(graded_chapter_1, "carol", "exercise-1-1")
    assert BEGIN_HIDDEN_TESTS in restored.source and "FAIL: Exercise 1.1" in printed(restored)


@pytest.mark.grading
def test_a_crash_halfway_keeps_the_points_before_it(graded_chapter_1):
    scored = graded_chapter_1.points("dave")
    assert scored["Exercise 1.1"] == 3 and scored["Exercise 1.2"] == 0
    after_the_crash = autograded_cell(graded_chapter_1, "dave", "exercise-1-2")
    assert [o.ename for o in after_the_crash.outputs if o.output_type == "error"] == ["NotRun"]


@pytest.mark.grading
def test_copied_numbers_score_zero_for_the_copied_exercise(graded_chapter_1):
    scored = graded_chapter_1.points("erin")
    assert scored["Exercise 1.1"] == 0 and scored["Exercise 1.2"] == 2
    # The self-check cannot tell (the copied numbers look like anyone's); the hidden tests can.
    assert "PASS: Exercise 1.1" in printed(autograded_cell(graded_chapter_1, "erin", "exercise-1-1"))


@pytest.mark.grading
def test_a_notebook_that_names_another_student_is_noted(graded_chapter_1):
    """The file name decides whose numbers count; an id typed in the notebook that differs is noted in the
    CSV (erin's notebook still names alice), and her grades are still her own."""
    erin = [row for row in graded_chapter_1.rows if row["student"] == "erin"]
    assert erin and all("the id typed in the notebook is 'alice'" in row["note"] for row in erin)
    assert not any("typed in the notebook" in row["note"] for row in graded_chapter_1.rows if row["student"] != "erin")


@pytest.mark.grading
def test_wrong_answers_that_pass_the_self_check_fail_the_hidden_tests(graded_chapter_1):
    for student in ("frank", "grace"):
        scored = graded_chapter_1.points(student)
        assert scored["Exercise 1.1"] == scored["Exercise 1.2"] == 0, (student, scored)
        for grade_id, passes in [
            ("exercise-1-1", "PASS: Exercise 1.1"),
            ("exercise-1-2", "PASS: Exercise 1.2, the labels"),
        ]:
            cell = autograded_cell(graded_chapter_1, student, grade_id)
            assert passes in printed(cell), (student, grade_id, printed(cell))
            assert [o.ename for o in cell.outputs if o.output_type == "error"] in (["AssertionError"], ["ValueError"])


@pytest.mark.grading
def test_the_feedback_shows_the_student_why_a_hidden_test_failed(graded_chapter_1):
    feedback = feedback_text(graded_chapter_1, "frank")
    assert re.search(r"AssertionError: largest_block_gap gives 0\.8\d* on y_train, not 0\.9000", feedback)
    assert "BEGIN HIDDEN TESTS" in feedback  # after grading, the student may read the hidden tests
    assert "Score: 0.0 / 3.0" in feedback
    assert "Score: 2.0 / 2.0" in feedback_text(graded_chapter_1, "alice")  # the written answer, graded by hand


def feedback_text(report, student):
    """The text of a student's feedback page, as a browser shows it (without tags)."""
    page = (report.out / "feedback" / f"{student}.html").read_text()
    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<style.*?</style>", "", page, flags=re.S)))


def test_written_scores_must_be_points_within_the_maximum(tmp_path):
    parts = graded_parts(read_notebook(CHAPTER_1))
    scores = tmp_path / "grades.csv"
    scores.write_text('student,exercise,points\nalice,"Exercise 1.1, written answer",1.5\nbob,Exercise 1.1,3\n')
    assert read_written_scores(scores, parts) == {("alice", "Exercise 1.1, written answer"): 1.5}
    for bad in ("3", "-1", "two"):
        scores.write_text(f'student,exercise,points\nalice,"Exercise 1.1, written answer",{bad}\n')
        with pytest.raises(GradingInputError, match=r"line 2: .* is not a score from 0 to 2 for Exercise 1\.1"):
            read_written_scores(scores, parts)
    with pytest.raises(GradingInputError, match="cannot read the written scores"):
        read_written_scores(tmp_path / "missing.csv", parts)


@pytest.mark.grading
def test_the_grades_csv_has_a_row_per_student_and_exercise(graded_chapter_1):
    with (graded_chapter_1.out / "grades.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == CSV_COLUMNS
    students = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
    assert [row["student"] for row in rows] == [s for s in students for _ in graded_chapter_1.parts]
    alice = {row["exercise"]: row for row in rows if row["student"] == "alice"}
    assert alice["Exercise 1.1"]["points"] == alice["Exercise 1.1"]["max"] == "3"
    assert alice["Exercise 1.1, written answer"]["note"] == "graded by hand"
    dave = {row["exercise"]: row for row in rows if row["student"] == "dave"}
    assert (
        dave["Exercise 1.1, written answer"]["points"] == ""
        and dave["Exercise 1.1, written answer"]["note"] == WRITTEN_NOTE
    )
    heidi = [row for row in rows if row["student"] == "heidi"]
    assert all(row["points"] == "0" and "heidi.ipynb is not a readable notebook" in row["note"] for row in heidi)
    assert set(graded_chapter_1.seconds) == set(students) - {"heidi"}


# --- the time limit, on a notebook of two tiny exercises ----------------------------------------


def tiny_chapter(path):
    """A chapter of two exercises that needs no data and no TensorFlow, so that a kernel runs it in a second."""

    def marked(cell, **marker):
        cell.metadata["nbgrader"] = {
            "schema_version": 3,
            "task": False,
            "locked": False,
            "grade": False,
            "solution": False,
            **marker,
        }
        return cell

    def check(number):
        return f'self_check("Exercise 0.{number}", lambda: answer_{number} == {number}, hint="{number}")'

    cells = [
        nbformat.v4.new_markdown_cell("# Two tiny exercises"),
        nbformat.v4.new_code_cell("from mnist_book.checks import self_check"),
        nbformat.v4.new_markdown_cell("### Exercise 0.1"),
        marked(nbformat.v4.new_code_cell("answer_1 = 1"), grade_id="tiny-1-code", solution=True),
        marked(
            nbformat.v4.new_code_cell(f"{check(1)}\n{BEGIN_HIDDEN_TESTS}\nassert answer_1 == 1\n{END_HIDDEN_TESTS}"),
            grade_id="tiny-1",
            grade=True,
            locked=True,
            points=1,
        ),
        nbformat.v4.new_markdown_cell("### Exercise 0.2"),
        marked(nbformat.v4.new_code_cell("answer_2 = 2"), grade_id="tiny-2-code", solution=True),
        marked(
            nbformat.v4.new_code_cell(f"{check(2)}\n{BEGIN_HIDDEN_TESTS}\nassert answer_2 == 2\n{END_HIDDEN_TESTS}"),
            grade_id="tiny-2",
            grade=True,
            locked=True,
            points=1,
        ),
    ]
    for cell in cells:
        if cell.cell_type == "code" and "nbgrader" not in cell.metadata:
            cell.metadata["tags"] = []
    nb = nbformat.v4.new_notebook(
        cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    )
    nbformat.write(nb, path)
    return path


@pytest.mark.grading
def test_the_time_limit_stops_a_notebook_and_keeps_the_points_before(tmp_path):
    chapter = tiny_chapter(tmp_path / "00_tiny.ipynb")
    course = tmp_path / "course"
    release = generate_assignments([chapter], course, course_config(course, tmp_path / "gradebook.db"))[chapter]
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    hangs = submission(
        release, "ivan", {"tiny-1-code": "answer_1 = 1", "tiny-2-code": "import time\n\ntime.sleep(600)"}
    )
    nbformat.write(hangs, submissions / "ivan.ipynb")
    # judy deletes the grade cell of 0.2, whose answer is wrong: nbgrader puts it back and runs it.
    deleted = submission(release, "judy", {"tiny-1-code": "answer_1 = 1", "tiny-2-code": "answer_2 = 3"})
    deleted.cells = [c for c in deleted.cells if nbgrader_marker(c).get("grade_id") != "tiny-2"]
    nbformat.write(deleted, submissions / "judy.ipynb")
    report = grade(chapter, submissions, tmp_path / "out", timeout=20)
    assert report.points("ivan") == {"Exercise 0.1": 1, "Exercise 0.2": 0}
    assert report.points("judy") == {"Exercise 0.1": 1, "Exercise 0.2": 0}
    assert report.seconds["ivan"] < 20 + 15, "the notebook ran past its time limit"
    graded = json.loads((report.out / "autograded" / "ivan.ipynb").read_text())
    errors = [
        o.get("ename") for cell in graded["cells"] for o in cell.get("outputs", []) if o["output_type"] == "error"
    ]
    assert errors[-1] == "NotRun" and any(e in ("CellTimeoutError", "KeyboardInterrupt") for e in errors), errors
