"""Write the student edition: every chapter with its solutions replaced by stubs, through nbgrader.

Usage: python -m tools.student_edition [OUTPUT_DIR]     (default: _build/student)

nbgrader's generate_assignment writes each chapter's student version (tools/assignments.py): the
solutions and the hidden tests out, every output and execution count cleared, the grade cells locked.
Before it runs, tools/assignments.py turns the chapter into nbgrader's source version with what
nbgrader does not do itself: stubs that keep the exercise's names (``answer = None``) and function
signatures, so the self-check after a stub fails with its hint until the student fills it in; a
pointer to the book instead of each markdown cell tagged ``solution`` that is not graded (the prose
that discusses an answer); the helper package installed from a release tag, not from ``main``; and a
first code cell where the student types their id (mnist_book/student.py). This module adds the
rest: the book's run record left out, and the zip.

The chapters go to OUTPUT_DIR/chapters/, and all of them, with a README, into
OUTPUT_DIR/mnist-book-student-edition.zip, which the website offers as one download. nbgrader's
course directory (source and release versions, gradebook) is kept in OUTPUT_DIR/course/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat

from tools.assignments import course_config, generate_assignments, release_tag
from tools.execute import ROOT, toc_chapters

ZIP_NAME = "mnist-book-student-edition.zip"
README = """MNIST book: student edition
===========================

Each notebook is a chapter of the book with the exercise solutions removed.
Open a chapter in Jupyter or upload it to Google Colab (File > Upload notebook).
If your work is graded, type your student id in the first code cell. Then run
the notebook top to bottom. At each exercise, replace the stub (the lines that
assign None or return None) with your own code and run the self-check cell
below it: it prints PASS, or FAIL with a hint. Where an exercise asks for a
written answer, write it in the cell that says "Your answer here".

The worked solutions are in the book itself, collapsed under each exercise.
"""


def write_edition(out: Path) -> list[Path]:
    """Generate every chapter's student version into out/chapters; return their paths."""
    course = out / "course"
    shutil.rmtree(course, ignore_errors=True)  # nbgrader refuses to regenerate over an older release
    course.mkdir(parents=True)
    released = generate_assignments(toc_chapters(), course, course_config(course, course / "gradebook.db"))
    chapters_out = out / "chapters"
    chapters_out.mkdir(parents=True, exist_ok=True)
    written = []
    for chapter, release in released.items():
        nb = nbformat.read(release, as_version=4)
        nb.metadata.pop("mnist_book", None)
        target = chapters_out / chapter.name
        nbformat.write(nb, target)
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else ROOT / "_build" / "student"
    written = write_edition(out)
    with zipfile.ZipFile(out / ZIP_NAME, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mnist-book-student-edition/README.txt", README)
        for target in written:
            archive.write(target, f"mnist-book-student-edition/chapters/{target.name}")
    size_kb = (out / ZIP_NAME).stat().st_size / 1024
    print(
        f"Student edition: {len(written)} chapter(s) in {out / 'chapters'}, {out / ZIP_NAME} ({size_kb:.0f} KB); "
        f"it installs the helper package at the tag {release_tag()}"
    )
    tag = subprocess.run(
        ["git", "rev-parse", "--quiet", "--verify", f"refs/tags/{release_tag()}"], cwd=ROOT, capture_output=True
    )
    if tag.returncode != 0:
        print(
            f"Note: this clone has no tag {release_tag()}. Students' notebooks install the helper package from "
            f"that tag on GitHub: create and push it before handing the edition out (instructors.md, step 2)."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
