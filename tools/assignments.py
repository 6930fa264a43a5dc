"""The chapters as nbgrader assignments: what `make student` and `python -m tools.grade` share.

nbgrader does the work (https://nbgrader.readthedocs.io): the chapters carry its cell metadata
(``nbgrader``: solution cells, and grade cells with points whose hidden tests sit between
``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``), and its ``generate_assignment`` writes the
student version: solutions out, hidden tests out, outputs cleared, grade cells locked and their
checksums stored in a gradebook, which ``autograde`` then uses to restore the grade cells and to score
them. This module only adds what nbgrader does not do:

- a stub that keeps each solution's names (``answer = None``, the function's signature), so that the
  self-check after it fails with its hint instead of a NameError. nbgrader replaces a
  ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region by a fixed text, so the stub goes before
  that region and the fixed text is empty;
- the chapters' other conventions: the ``solution`` tag marks solution cells in chapters that carry no
  nbgrader markers yet, a markdown cell tagged ``solution`` that is not graded (the prose that
  discusses an answer) becomes a pointer to the book, and the install line names a release tag;
- a time limit on a whole notebook (nbgrader has one per cell only), and cells that did not run
  because the limit was reached or the kernel died are marked failed: nbgrader gives full points to a
  grade cell without an error in its outputs, and a cell that never ran has no outputs at all.
"""

from __future__ import annotations

import ast
import copy
import math
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml
from nbclient.exceptions import DeadKernelError
from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import (
    AssignLatePenalties,
    CheckCellMetadata,
    Execute,
    IgnorePattern,
    LimitOutput,
    SaveAutoGrades,
)
from traitlets import Integer
from traitlets.config import Config

ROOT = Path(__file__).resolve().parent.parent

STUB_HEADER = "# Exercise: your code here. The self-check below says PASS when your answer is right."
DISCUSSION_PLACEHOLDER = (
    "*The discussion of this exercise's answer is in the book, after the exercise: read it once your"
    " self-check says PASS.*"
)
#: What a written answer's cell holds in the student edition (nbgrader's text stub).
WRITTEN_ANSWER_STUB = (
    "*Your answer here, in place of this line: two or three sentences that cite your own numbers."
    " Your instructor grades it by hand.*"
)
#: The first code cell of the student edition: where the student types their id (mnist_book/student.py).
STUDENT_ID_CELL = """\
# Your student id, exactly as your instructor gave it; leave it empty if your work is not graded.
my_student_id = ""

import os

# The grader sets MNIST_BOOK_STUDENT itself for each submission, and then that id counts, not this one.
if my_student_id and os.environ.get("NBGRADER_EXECUTION") != "autograde":
    os.environ["MNIST_BOOK_STUDENT"] = my_student_id
if os.environ.get("NBGRADER_EXECUTION") == "autograde":
    import sys
    import warnings

    # nbgrader gives 0 points to a graded cell that writes to stderr: while grading, warnings print to stdout.
    warnings.showwarning = lambda *warning, **_: print(warnings.formatwarning(*warning[:4]), file=sys.stdout)"""
#: Added to the end of the setup cell in the student edition: whose numbers the run uses.
STUDENT_REPORT = "from mnist_book.student import describe_student\n\nprint(describe_student())"

#: The book's repository (_config.yml), where a student edition's links to other pages of the book lead.
REPOSITORY_URL = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
#: Appended to the first cell of every chapter of the student edition.
EDITION_NOTE = (
    "**Student edition.** The solutions, the hidden tests and the discussion of each answer are in the book,"
    ' not here, and the outputs are cleared: run the notebook from the top. Where the text says "the run'
    ' stored here" or "the stored run", it means the book\'s own run, whose outputs the book\'s website'
    " shows; yours may differ a little. A key in square brackets, such as [post003], is an entry of the"
    f" book's bibliography ([references.bib]({REPOSITORY_URL}/blob/main/references.bib))."
)
CITATION = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
RELATIVE_LINK = re.compile(r"\]\(\.\./([^)#\s]+)\.md(#[^)\s]*)?\)")

BEGIN_SOLUTION = "### BEGIN SOLUTION"
END_SOLUTION = "### END SOLUTION"
BEGIN_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS"
END_HIDDEN_TESTS = "### END HIDDEN TESTS"
INSTALL_AT_MAIN = re.compile(r"(%pip install -q \"mnist-book @ git\+\S+?)@main\"")


def release_tag() -> str:
    """The git tag that the student edition installs the helper package from: v + its version."""
    from mnist_book import __version__

    return f"v{__version__}"


# --- the chapters' nbgrader cells ---------------------------------------------------------------


def nbgrader_marker(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_solution_cell(cell) -> bool:
    return "solution" in cell.metadata.get("tags", []) or bool(nbgrader_marker(cell).get("solution"))


@dataclass(frozen=True)
class GradedPart:
    """One grade cell of a chapter: what the grades CSV calls an exercise."""

    grade_id: str
    exercise: str  # "Exercise 1.1", or "Exercise 1.1, written answer"
    points: float
    autograded: bool  # False: a written answer, graded by hand


def self_check_name(source: str) -> str | None:
    """The first argument of the first self_check(...) call in a cell ("Exercise 1.2, the header")."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "self_check" and node.args:
            return ast.literal_eval(node.args[0])
    return None


def graded_parts(nb) -> list[GradedPart]:
    """The grade cells of a notebook, in order, with the exercise each belongs to."""
    parts, exercise = [], None
    for cell in nb.cells:
        marker = nbgrader_marker(cell)
        if not marker.get("grade"):
            continue
        if cell.cell_type == "code":
            named = self_check_name(cell.source)
            if named is None:
                raise ValueError(f"grade cell {marker['grade_id']!r} calls no self_check: which exercise is it?")
            exercise = named.split(",")[0]  # "Exercise 1.2, the header" -> "Exercise 1.2"
            parts.append(GradedPart(marker["grade_id"], exercise, float(marker["points"]), True))
        else:
            if exercise is None:
                raise ValueError(f"written answer {marker['grade_id']!r} comes before any graded exercise")
            parts.append(GradedPart(marker["grade_id"], f"{exercise}, written answer", float(marker["points"]), False))
    return parts


def split_hidden_tests(source: str) -> tuple[str, str]:
    """A grade cell's lines outside and inside ``### BEGIN/END HIDDEN TESTS``, the markers left out."""
    shown, hidden, inside = [], [], False
    for line in source.split("\n"):
        if BEGIN_HIDDEN_TESTS in line:
            inside = True
        elif END_HIDDEN_TESTS in line:
            inside = False
        else:
            (hidden if inside else shown).append(line)
    return "\n".join(shown), "\n".join(hidden)


def without_hidden_tests(source: str) -> str:
    """A grade cell as the student edition shows it (what nbgrader's ClearHiddenTests leaves)."""
    return split_hidden_tests(source)[0]


def hidden_tests(source: str) -> str:
    """The hidden tests of a grade cell (what nbgrader removes from the student edition), or ''."""
    return split_hidden_tests(source)[1]


# --- stubs: what nbgrader does not do ---------------------------------------------------------


def names_read(source: str) -> set[str]:
    """Every name that a cell's code mentions (a self-check reads the answer's names)."""
    return {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}


def stub_for(source: str, read_by: str | None = None) -> str:
    """A stub with the same top-level names as the solution, and nothing else; with ``read_by`` (the
    self-check's source), only the names that the self-check reads, not the solution's own helpers."""
    wanted = names_read(read_by) if read_by is not None else None
    lines = [STUB_HEADER]
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            lines.append(ast.unparse(node))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if wanted is not None and node.name not in wanted:
                continue
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
                    if stub not in lines and (wanted is None or name in wanted):
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


def for_students(markdown: str) -> str:
    """A chapter's prose as Colab and Jupyter show it outside the book: MyST citations as [keys], and
    links to other pages of the book as links to them in the book's repository."""
    markdown = CITATION.sub(lambda m: "[" + ", ".join(k.strip() for k in m[1].split(",")) + "]", markdown)
    return RELATIVE_LINK.sub(lambda m: f"]({REPOSITORY_URL}/blob/main/{m[1]}.md{m[2] or ''})", markdown)


def assignment_source(chapter) -> nbformat.NotebookNode:
    """The chapter as nbgrader's source version of its assignment, with the student edition's
    conventions added (see the module's docstring). ``chapter`` is a path or a notebook."""
    nb = copy.deepcopy(chapter) if isinstance(chapter, nbformat.NotebookNode) else nbformat.read(chapter, as_version=4)
    setup_index = next(i for i, cell in enumerate(nb.cells) if cell.cell_type == "code")
    for index, cell in enumerate(nb.cells):
        tags = cell.metadata.get("tags", [])
        marker = nbgrader_marker(cell)
        if cell.cell_type == "markdown" and "solution" in tags:
            cell.metadata["tags"] = [t for t in tags if t != "solution"]
            if not marker.get("grade"):
                cell.source = DISCUSSION_PLACEHOLDER  # not graded: the prose stays in the book
            continue  # a written answer: nbgrader puts WRITTEN_ANSWER_STUB in its place
        if cell.cell_type == "markdown":
            cell.source = for_students(cell.source)
            continue
        if not is_solution_cell(cell):
            continue
        check = nb.cells[index + 1].source if index + 1 < len(nb.cells) else None
        cell.source = f"{stub_for(cell.source, read_by=check)}\n{BEGIN_SOLUTION}\n{cell.source}\n{END_SOLUTION}"
        # Shown, not collapsed: this is where the student writes.
        cell.metadata["tags"] = [t for t in tags if t not in ("solution", "hide-input")] + ["exercise-stub"]
        if not marker:  # a chapter without nbgrader markers yet: the tag says what the marker would
            cell.metadata["nbgrader"] = {
                "grade": False,
                "grade_id": f"solution-cell-{index}",
                "locked": False,
                "schema_version": 3,
                "solution": True,
                "task": False,
            }
    nb.cells[0].source += "\n\n" + EDITION_NOTE
    setup = nb.cells[setup_index]
    setup.source = INSTALL_AT_MAIN.sub(rf'\1@{release_tag()}"', setup.source) + "\n\n" + STUDENT_REPORT
    nb.cells.insert(setup_index, nbformat.v4.new_code_cell(STUDENT_ID_CELL))
    nb.metadata.pop("mnist_book", None)  # the book's run record and hashes
    return nb


# --- nbgrader's course directory --------------------------------------------------------------


class ExecuteWithTimeLimit(Execute):
    """nbgrader's Execute, with a time limit on the whole notebook (kernel start included).

    A cell gets the time that is left as its own limit; when that runs out, nbgrader interrupts the
    kernel and records a timeout error in the cell. Cells after it, or after the kernel died, are not
    run and get an error output that says why, so that they score 0: nbgrader scores a grade cell
    without outputs as passed.
    """

    notebook_timeout = Integer(600, help="Seconds a whole notebook may run").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        self._deadline = time.monotonic() + self.notebook_timeout
        self._stopped_because = None
        return super().preprocess(nb, resources, km)

    def _not_run(self, cell, reason: str):
        not_run = nbformat.v4.new_output("error", ename="NotRun", evalue=reason, traceback=[f"NotRun: {reason}"])
        cell.outputs = [*cell.get("outputs", []), not_run]
        return cell

    def execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        # nbclient's execute_cell is a synchronous wrapper of its async_execute_cell, and
        # ExecutePreprocessor calls this one.
        if cell.cell_type != "code" or not cell.source.strip():
            return super().execute_cell(cell, cell_index, execution_count, store_history)
        if self._stopped_because is None and time.monotonic() >= self._deadline:
            self._stopped_because = f"the notebook's time limit of {self.notebook_timeout} s was reached"
        if self._stopped_because is not None:
            return self._not_run(cell, f"not run: {self._stopped_because}")
        self.timeout = max(1, math.ceil(self._deadline - time.monotonic()))
        try:
            return super().execute_cell(cell, cell_index, execution_count, store_history)
        except DeadKernelError:
            self._stopped_because = f"the kernel died in cell {cell_index}"
            return self._not_run(cell, f"{self._stopped_because} (it crashed, or ran out of memory)")


def course_config(course_dir: Path, db_path: Path, notebook_timeout: int = 600) -> Config:
    """nbgrader's settings for a course directory; nothing is read from the user's config files."""
    config = Config()
    config.CourseDirectory.root = str(course_dir)
    config.CourseDirectory.db_url = f"sqlite:///{db_path}"
    config.ClearSolutions.code_stub = {"python": ""}  # our stub comes before the solution region
    config.ClearSolutions.text_stub = WRITTEN_ANSWER_STUB
    config.OverwriteCells.add_missing_cells = True  # a deleted grade cell is put back, and run
    config.Autograde.autograde_preprocessors = [
        ExecuteWithTimeLimit,  # in place of nbgrader's Execute; the others are nbgrader's defaults
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    config.ExecuteWithTimeLimit.notebook_timeout = notebook_timeout
    return config


def nbgrader_api(config: Config) -> NbGraderAPI:
    # nbgrader runs the `alembic` command that comes with it to set up its gradebook: find it beside
    # this Python, also when the virtual environment is not activated.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


class NbgraderError(RuntimeError):
    """An nbgrader step failed; the message holds its log."""


def checked(result: dict, what: str) -> dict:
    if not result.get("success"):
        raise NbgraderError(f"nbgrader could not {what}:\n{result.get('error') or ''}\n{result.get('log') or ''}")
    return result


def assignment_id(chapter: Path) -> str:
    """The assignment's name in nbgrader: the chapter's file name without .ipynb."""
    return Path(chapter).stem


def generate_assignments(chapters: list[Path], course_dir: Path, config: Config) -> dict[Path, Path]:
    """Write each chapter's source version into course_dir/source and let nbgrader generate its
    student version in course_dir/release. Returns, for each chapter, the student version's path."""
    api = nbgrader_api(config)
    released = {}
    for chapter in chapters:
        name = assignment_id(chapter)
        source = course_dir / "source" / name / f"{name}.ipynb"
        source.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(assignment_source(chapter), source)
        checked(api.generate_assignment(name), f"generate the assignment {name}")
        released[Path(chapter)] = course_dir / "release" / name / f"{name}.ipynb"
    return released


# --- the student time the instructors' page states ---------------------------------------------

#: Reading speed for the chapters' prose, in words per minute: about two thirds of the 238 that
#: Brysbaert (2019) found for silent reading of non-fiction, since the text is technical and the
#: code and outputs between the paragraphs are read too.
READING_WORDS_PER_MINUTE = 150
#: A student's time for one exercise in code, and for one written answer: estimates, not measurements.
MINUTES_PER_CODE_EXERCISE = 15
MINUTES_PER_WRITTEN_ANSWER = 10


@dataclass(frozen=True)
class StudentTime:
    words: int
    reading: int  # minutes, rounded up to 5
    exercises: int
    written_answers: int

    @property
    def exercise_minutes(self) -> int:
        return MINUTES_PER_CODE_EXERCISE * self.exercises + MINUTES_PER_WRITTEN_ANSWER * self.written_answers

    @property
    def total(self) -> int:
        return self.reading + self.exercise_minutes


def student_time(nb) -> StudentTime:
    """The time a student needs for a chapter, reading and exercises (not the time it runs)."""
    prose = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    words = len(prose.split())
    exercises = len(re.findall(r"^### Exercise ", prose, flags=re.M))
    written = sum(1 for c in nb.cells if c.cell_type == "markdown" and nbgrader_marker(c).get("grade"))
    return StudentTime(words, 5 * math.ceil(words / READING_WORDS_PER_MINUTE / 5), exercises, written)


def student_time_rows(chapters: list[Path]) -> list[str]:
    """The rows of the instructors' page's table of student times."""
    rows = []
    for chapter in chapters:
        time_needed = student_time(nbformat.read(chapter, as_version=4))
        written = f" + {time_needed.written_answers} written" if time_needed.written_answers else ""
        rows.append(
            f"| {chapter.stem[:2]} | {time_needed.words:,} | {time_needed.reading} min "
            f"| {time_needed.exercises}{written} | {time_needed.exercise_minutes} min | {time_needed.total} min |"
        )
    return rows


if __name__ == "__main__":
    # python -m tools.assignments: print the table of student times for instructors.md.
    from tools.toc import toc_chapters

    print("\n".join(student_time_rows(toc_chapters(ROOT))))
