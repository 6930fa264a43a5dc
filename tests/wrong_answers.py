"""Plausible wrong answers to every exercise: each one must fail its self-check.

The perturbed run (tests/test_student_edition.py) runs, at each exercise, the stub, then every wrong
answer listed here for that exercise, each followed by the self-check, which must fail with its hint;
then the book's solution. A self-check that passes one of these answers is too weak: tighten it.

Each entry is the code a student might write instead of the solution. It runs in the chapter's kernel
right after the stub (so the exercise's names are None until it sets them) and must set every name
that the self-check reads. Write mistakes that a student would plausibly make (the wrong axis, the
wrong class, a constant, an off-by-one), not nonsense.
"""

from __future__ import annotations

WRONG_ANSWERS: dict[str, list[str]] = {
    # Chapter 1
    "Exercise 1.1": [],
    "Exercise 1.2, the header": [],
    # Chapter 2
    "Exercise 2.1": [],
    "Exercise 2.2": [],
    "Exercise 2.3": [],
    # Chapter 3
    "Exercise 3.1": [],
    "Exercise 3.2": [],
    "Exercise 3.3": [],
    # Chapter 4
    "Exercise 4.1": [],
    "Exercise 4.2": [],
    "Exercise 4.3": [],
    # Chapter 5
    "Exercise 5.1": [],
    "Exercise 5.2": [],
    # Chapter 6
    "Exercise 6.1": [],
    "Exercise 6.2": [],
    "Exercise 6.3": [],
    # Chapter 7
    "Exercise 7.1": [],
    "Exercise 7.2": [],
    "Exercise 7.3": [],
}
