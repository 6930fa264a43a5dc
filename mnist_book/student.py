"""Each student's own numbers, for graded assignments.

A student id, in the environment variable ``MNIST_BOOK_STUDENT``, shifts the seeds of the draws an
exercise asks for, so that every student gets other numbers and a copied answer fails the hidden
tests, which compute the expected answer from the same student's draws. The student sets the id in
the first cell of the student edition; the grader (``python -m tools.grade``) sets it for each
submission, from the submission's file name, and that one wins.

Without an id every function here returns what the book uses, so the book's stored outputs do not
change. Under the autograder (nbgrader sets ``NBGRADER_EXECUTION=autograde``) a missing id is an
error: grading with the book's numbers would accept any student's copy of the book's answers.
"""

from __future__ import annotations

import hashlib
import os
import re

import numpy as np

#: The environment variable that holds the student id.
STUDENT_VARIABLE = "MNIST_BOOK_STUDENT"

#: What an id may contain: it names files and folders of the grading run, too.
STUDENT_ID_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")

#: Seeds of different students are this far apart at least, so that seed + k (k < SEED_SPACING)
#: of one student never equals a seed of another.
SEED_SPACING = 1_000


class StudentIdError(ValueError):
    """The student id is missing where it is needed, or is not a valid id."""


def valid_student_id(student: str) -> str:
    """``student`` without surrounding spaces, or a :class:`StudentIdError` that says what is wrong."""
    student = student.strip()
    if not STUDENT_ID_PATTERN.fullmatch(student):
        raise StudentIdError(
            f"{student!r} is not a valid student id: use 1 to 64 letters, digits, '.', '_', '-' or '@', "
            "starting with a letter or a digit (the id your instructor gave you)."
        )
    return student


def student_id() -> str | None:
    """The student id in ``MNIST_BOOK_STUDENT``, or None when it is unset or empty (the book itself)."""
    student = os.environ.get(STUDENT_VARIABLE, "").strip()
    if not student:
        if os.environ.get("NBGRADER_EXECUTION") == "autograde":
            raise StudentIdError(
                f"No student id while grading: the grader must set {STUDENT_VARIABLE} for each submission "
                "(python -m tools.grade does, from the submission's file name)."
            )
        return None
    return valid_student_id(student)


def student_offset(student: str | None = None) -> int:
    """How far this student's seeds lie from the book's: 0 without an id, else a multiple of
    SEED_SPACING drawn from a hash of the id (the same on every machine and in every run)."""
    student = student_id() if student is None else valid_student_id(student)
    if student is None:
        return 0
    digest = int.from_bytes(hashlib.sha256(student.encode()).digest()[:8], "big")
    return SEED_SPACING * (1 + digest % 1_000_000)


def student_seed(seed: int) -> int:
    """``seed`` for the book, and a seed of this student's own otherwise (``seed`` plus the student's
    offset). Exercises that ask for random draws make them with ``np.random.default_rng(student_seed(k))``."""
    if not 0 <= seed < SEED_SPACING:
        raise ValueError(f"student_seed takes a seed from 0 to {SEED_SPACING - 1}, not {seed}")
    return seed + student_offset()


def student_sample(population: int, size: int, seed: int = 0) -> np.ndarray:
    """``size`` distinct indices into ``range(population)``, in increasing order: the first ``size``
    for the book, and a random subset of this student's own (drawn with ``student_seed(seed)``) otherwise."""
    if not 0 < size <= population:
        raise ValueError(f"cannot draw {size} of {population} items")
    if student_id() is None:
        return np.arange(size)
    rng = np.random.default_rng(student_seed(seed))
    return np.sort(rng.choice(population, size, replace=False))


def describe_student() -> str:
    """One line for the student edition's first cell: whose numbers this run uses."""
    student = student_id()
    if student is None:
        return (
            "No student id: you get the book's numbers. If your work is graded, type your id in the "
            "first cell and run the notebook again from the top."
        )
    return (
        f"Student id: {student}. Exercises that draw or sample data use draws of your own, and the grader "
        "uses the same id; if you change it, run the notebook again from the top."
    )
