"""Grade a folder of submitted notebooks of one chapter, with nbgrader's autograder.

Usage: python -m tools.grade CHAPTER SUBMISSIONS_DIR [--timeout SECONDS] [--out DIR] [--written-scores CSV]

    python -m tools.grade chapters/01_mnist_dataset.ipynb submissions/ --timeout 600

SUBMISSIONS_DIR holds one notebook per student, named by the student's id: ``alice.ipynb``. Each is
run by nbgrader's ``autograde`` in a fresh kernel, with ``MNIST_BOOK_STUDENT`` set to that id (so the
hidden tests compute the expected answers from that student's own draws), in a temporary course
directory that holds no solutions, and within a time limit for the whole notebook (--timeout,
600 s by default). nbgrader restores every grade cell from the chapter, hidden tests included, so an
edited or deleted self-check counts for nothing; a grade cell scores its points when it runs without
an error, and 0 when it fails, or did not run because the time ran out or the kernel died.

Written to DIR (default: _build/grades/CHAPTER_NAME/):
- grades.csv: one row per student and exercise: student, exercise, points, max, note. A written
  answer has no points until you grade it by hand (the rubric is on the instructors' page): fill in
  its points in grades.csv, and grade again with ``--written-scores grades.csv``, which puts them in
  the gradebook, so that the CSV and the feedback show them;
- feedback/STUDENT.html: nbgrader's feedback, the student's notebook as graded, with the points of
  each grade cell, the hidden tests and the error of each failed one;
- autograded/STUDENT.ipynb: the graded notebook itself.

It exits with status 1 when a submission could not be graded (not a notebook, a file name that is
no student id, a notebook of another chapter): that student gets 0 points and a note that says why.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from mnist_book.student import STUDENT_VARIABLE, StudentIdError, valid_student_id
from tools.assignments import (
    ROOT,
    GradedPart,
    assignment_id,
    checked,
    course_config,
    generate_assignments,
    graded_parts,
    nbgrader_api,
    nbgrader_marker,
)

CSV_COLUMNS = ["student", "exercise", "points", "max", "note"]
#: The book's pictures (images/ in the repository), which a chapter may read from ../images.
BOOK_IMAGES = ROOT / "images"
WRITTEN_NOTE = "written answer: grade it by hand with the rubric on the instructors' page"


class GradingInputError(ValueError):
    """The chapter or the submissions folder cannot be graded; the message says why."""


@dataclass
class Submission:
    student: str
    path: Path
    typed_id: str = ""  # the id typed in the notebook's first cell (the file name is what counts)


TYPED_ID = re.compile(r'^my_student_id = "(.*)"', flags=re.M)


def typed_student_id(nb) -> str:
    """The id a student typed in the first cell of the student edition, or ''."""
    for cell in nb.cells:
        found = TYPED_ID.search(cell.source) if cell.cell_type == "code" else None
        if found:
            return found[1].strip()
    return ""


@dataclass
class GradingReport:
    chapter: Path
    out: Path
    parts: list[GradedPart]
    rows: list[dict] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)  # student -> why not graded
    unnamed: list[str] = field(default_factory=list)  # files whose name is no student id, and why
    seconds: dict[str, float] = field(default_factory=dict)  # student -> time to grade

    def points(self, student: str) -> dict[str, float | None]:
        """What each exercise of a student scored (None: a written answer not graded yet)."""
        return {row["exercise"]: row["points"] for row in self.rows if row["student"] == student}


def chapter_parts(chapter: Path) -> list[GradedPart]:
    if not chapter.is_file() or chapter.suffix != ".ipynb":
        raise GradingInputError(f"{chapter} is not a chapter notebook (.ipynb)")
    parts = graded_parts(nbformat.read(chapter, as_version=4))
    if not parts:
        raise GradingInputError(
            f"{chapter.name} has no graded exercises yet: none of its cells carries nbgrader's grade marker"
        )
    return parts


def solution_ids(nb) -> set[str]:
    return {nbgrader_marker(c)["grade_id"] for c in nb.cells if nbgrader_marker(c).get("solution")}


def find_submissions(folder: Path, chapter: Path) -> tuple[list[Submission], dict[str, str], list[str]]:
    """The gradable notebooks in ``folder``; for each student whose file cannot be graded, why; and the
    files whose name is no student id."""
    if not folder.is_dir():
        raise GradingInputError(f"{folder} is not a folder of submissions")
    expected_cells = solution_ids(nbformat.read(chapter, as_version=4))
    submissions, problems, unnamed = [], {}, []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue  # .ipynb_checkpoints and the like
        try:
            student = valid_student_id(path.stem)
        except StudentIdError as error:
            unnamed.append(f"{path.name}: the file name must be the student's id. {error}")
            continue
        if path.suffix != ".ipynb":
            problems.setdefault(student, f"{path.name} is not a notebook: submit the .ipynb file")
            continue
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as error:  # noqa: BLE001 - whatever is wrong with the file, the student gets the message
            problems[student] = f"{path.name} is not a readable notebook ({type(error).__name__}: {error})"
            continue
        if not solution_ids(nb) & expected_cells:
            problems[student] = (
                f"{path.name} holds none of the exercise cells of {chapter.name}: "
                "is it the student edition of this chapter?"
            )
            continue
        problems.pop(student, None)  # a notebook beside another file of the same student: the notebook counts
        submissions.append(Submission(student, path, typed_student_id(nb)))
    return submissions, problems, unnamed


def read_written_scores(path: Path, parts: list[GradedPart]) -> dict[tuple[str, str], float]:
    """(student, exercise) -> points, for the written answers that have points in a grades.csv."""
    written = {part.exercise: part for part in parts if not part.autograded}
    scores = {}
    try:
        with Path(path).open(newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                part = written.get(row.get("exercise") or "")
                if part is None or not (row.get("points") or "").strip():
                    continue
                try:
                    points = float(row["points"])
                except ValueError:
                    points = -1.0
                if not 0 <= points <= part.points:
                    raise GradingInputError(
                        f"{path}, line {line}: {row['points']!r} is not a score from 0 to {part.points:g} "
                        f"for {part.exercise}"
                    )
                scores[(row["student"], part.exercise)] = points
    except OSError as error:
        raise GradingInputError(f"cannot read the written scores: {error}") from error
    return scores


def grade(
    chapter: Path, submissions_dir: Path, out: Path, timeout: int = 600, written_scores: Path | None = None, log=print
) -> GradingReport:
    """Autograde every submission in ``submissions_dir``; write grades.csv and the feedback to ``out``."""
    chapter, submissions_dir = Path(chapter).resolve(), Path(submissions_dir)
    report = GradingReport(chapter, Path(out), chapter_parts(chapter))
    by_hand = read_written_scores(written_scores, report.parts) if written_scores else {}
    submissions, report.problems, report.unnamed = find_submissions(submissions_dir, chapter)
    for folder in ("feedback", "autograded"):
        shutil.rmtree(report.out / folder, ignore_errors=True)
        (report.out / folder).mkdir(parents=True)
    name = assignment_id(chapter)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # a grade cell that writes to stderr scores 0
    # nbgrader 0.9.6 with SQLAlchemy 2 warns about its own session handling on every submission.
    warnings.filterwarnings("ignore", message=".*not in session.*", module="nbgrader")
    previous_student = os.environ.get(STUDENT_VARIABLE)
    # The gradebook sits in a folder of its own, away from the course directory where the notebooks run.
    with (
        tempfile.TemporaryDirectory(prefix="mnist-book-grading-") as work,
        tempfile.TemporaryDirectory(prefix="mnist-book-gradebook-") as gradebook,
    ):
        course, db = Path(work) / "course", Path(gradebook) / "gradebook.db"
        config = course_config(course, db, notebook_timeout=timeout)
        generate_assignments([chapter], course, config)
        # The gradebook now holds every grade cell; the source and release versions are not needed to
        # grade, and students' code should not find the solutions next to its working directory.
        shutil.rmtree(course / "source")
        shutil.rmtree(course / "release")
        api = nbgrader_api(config)
        try:
            for number, submission in enumerate(submissions, start=1):
                start = time.perf_counter()
                written = {
                    part.grade_id: by_hand[(submission.student, part.exercise)]
                    for part in report.parts
                    if (submission.student, part.exercise) in by_hand
                }
                problem = autograde_one(api, course, db, name, submission, report.out, written)
                report.seconds[submission.student] = time.perf_counter() - start
                if problem:
                    report.problems[submission.student] = problem
                log(f"[{number}/{len(submissions)}] {submission.student}: {report.seconds[submission.student]:.1f} s")
        finally:
            if previous_student is None:
                os.environ.pop(STUDENT_VARIABLE, None)
            else:
                os.environ[STUDENT_VARIABLE] = previous_student
        report.rows = grade_rows(db, name, report)
    # A notebook whose typed id is another student's may be a copy: the instructor should look.
    others = {s.student: s.typed_id for s in submissions if s.typed_id and s.typed_id != s.student}
    for row in report.rows:
        if row["student"] in others:
            mismatch = f"the id typed in the notebook is {others[row['student']]!r}, not the file name's: a copy?"
            row["note"] = f"{row['note']}; {mismatch}" if row["note"] else mismatch
    write_csv(report.out / "grades.csv", report.rows)
    return report


def autograde_one(
    api, course: Path, db: Path, name: str, submission: Submission, out: Path, written: dict[str, float]
) -> str | None:
    """Autograde one submission, put in the points of its written answers (grade_id -> points) and
    keep its feedback; return why it failed, or None."""
    student = submission.student
    submitted = course / "submitted" / student / name / f"{name}.ipynb"
    submitted.parent.mkdir(parents=True)
    shutil.copyfile(submission.path, submitted)
    os.environ[STUDENT_VARIABLE] = student  # the kernel starts with it: the hidden tests use this id
    # The notebook runs in course/autograded/STUDENT/NAME/. A chapter reads the book's pictures from
    # ../images, as in the repository (chapter 7's drawn digits), and downloads them when they are not
    # there: link them, so that grading needs no network and downloads nothing per student.
    pictures = course / "autograded" / student / "images"
    pictures.parent.mkdir(parents=True, exist_ok=True)
    if not pictures.exists():
        pictures.symlink_to(BOOK_IMAGES, target_is_directory=True)
    try:
        checked(api.autograde(name, student), f"grade {submission.path.name}")
        if written:
            from nbgrader.api import Gradebook

            with Gradebook(f"sqlite:///{db}") as gradebook:
                for grade_id, points in written.items():
                    by_hand = gradebook.find_grade(grade_id, name, name, student)
                    by_hand.manual_score, by_hand.needs_manual_grade = points, False
                gradebook.db.commit()
        checked(api.generate_feedback(name, student), f"write the feedback for {submission.path.name}")
    except Exception as error:  # noqa: BLE001 - one broken submission must not stop the others
        return f"{submission.path.name} could not be graded: {str(error)[-2000:]}"
    finally:
        graded = course / "autograded" / student / name / f"{name}.ipynb"
        feedback = course / "feedback" / student / name / f"{name}.html"
        if graded.is_file():
            shutil.copyfile(graded, out / "autograded" / f"{student}.ipynb")
        if feedback.is_file():
            shutil.copyfile(feedback, out / "feedback" / f"{student}.html")
        # Only one student's files are ever in the course directory.
        for folder in ("submitted", "autograded", "feedback"):
            shutil.rmtree(course / folder / student, ignore_errors=True)
    return None


def grade_rows(db: Path, name: str, report: GradingReport) -> list[dict]:
    from nbgrader.api import Gradebook, MissingEntry

    students = sorted(set(report.seconds) | set(report.problems))
    rows = []
    with Gradebook(f"sqlite:///{db}") as gradebook:
        for student in students:
            try:
                grades = (
                    {}
                    if student in report.problems
                    else {g.name: g for g in gradebook.find_submission_notebook(name, name, student).grades}
                )
            except MissingEntry:
                grades = {}
                report.problems.setdefault(student, "nbgrader recorded no grades for this submission")
            for part in report.parts:
                rows.append(row_for(student, part, grades.get(part.grade_id), report.problems.get(student)))
    return rows


def row_for(student: str, part: GradedPart, grade, problem: str | None) -> dict:
    row = {"student": student, "exercise": part.exercise, "points": 0.0, "max": part.points, "note": ""}
    if problem or grade is None:
        row["note"] = f"not graded: {problem or 'no grade recorded'}"
    elif grade.manual_score is not None:
        row["points"], row["note"] = grade.score, "graded by hand"
    elif not part.autograded:
        if grade.auto_score == 0:
            row["note"] = "no answer: the cell is as the student edition left it"
        else:
            row["points"], row["note"] = None, WRITTEN_NOTE
    else:
        row["points"] = grade.score
    return row


def write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {**row, "points": "" if row["points"] is None else f"{row['points']:g}", "max": f"{row['max']:g}"}
            )


def summary(report: GradingReport) -> str:
    """A table for the terminal: each student's points per exercise, and the total."""
    exercises = [part.exercise for part in report.parts]
    width = 2 + max(len(e) for e in exercises) - len("Exercise ")
    lines = ["student".ljust(16) + "".join(e.replace("Exercise ", "").ljust(width) for e in exercises) + "total"]
    for student in sorted({row["student"] for row in report.rows}):
        scored = report.points(student)
        cells = ["to grade" if scored[e] is None else f"{scored[e]:g}" for e in exercises]
        total = sum(p for p in scored.values() if p is not None)
        maximum = sum(part.points for part in report.parts)
        lines.append(student.ljust(16) + "".join(c.ljust(width) for c in cells) + f"{total:g} of {maximum:g}")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.grade", description=__doc__.split("\n\n")[0])
    parser.add_argument("chapter", type=Path, help="the chapter notebook, e.g. chapters/01_mnist_dataset.ipynb")
    parser.add_argument("submissions", type=Path, help="a folder with one STUDENT_ID.ipynb per student")
    parser.add_argument("--timeout", type=int, default=600, help="seconds a whole notebook may run (600)")
    parser.add_argument("--out", type=Path, help="where grades.csv and the feedback go (_build/grades/CHAPTER/)")
    parser.add_argument(
        "--written-scores",
        type=Path,
        help="a grades.csv of an earlier run with the points of the written answers filled in by hand",
    )
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error("--timeout must be a positive number of seconds")
    out = args.out or ROOT / "_build" / "grades" / args.chapter.stem
    start = time.perf_counter()
    try:
        report = grade(args.chapter, args.submissions, out, timeout=args.timeout, written_scores=args.written_scores)
    except GradingInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(summary(report))
    print(f"Graded {len(report.seconds)} submission(s) in {time.perf_counter() - start:.0f} s: {out / 'grades.csv'}")
    print(f"Feedback for each student: {out / 'feedback'}/STUDENT.html")
    for problem in [*sorted(report.problems.values()), *report.unnamed]:
        print(f"not graded: {problem}", file=sys.stderr)
    return 1 if report.problems or report.unnamed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
