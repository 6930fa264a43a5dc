"""The self-check that follows every exercise.

A self-check prints one clear line for the reader: PASS, or FAIL with a hint.
On FAIL it also raises :class:`SelfCheckError`, so a notebook run by nbval or
by "Run all" stops loudly at the exercise instead of going on with a wrong
value.
"""

from __future__ import annotations

from collections.abc import Callable


class SelfCheckError(AssertionError):
    """An exercise's answer did not pass its self-check."""


def self_check(name: str, check: Callable[[], bool], hint: str) -> None:
    """Run ``check()``; print PASS, or print FAIL with ``hint`` and raise.

    ``check`` is a function so that an unfinished answer (``None``, a missing
    name, a wrong shape) counts as a failure with the hint rather than as a
    confusing traceback from inside the check.
    """
    try:
        passed = bool(check())
        reason = ""
    except Exception as error:  # noqa: BLE001 - any error in the answer is a fail
        passed = False
        reason = f" ({type(error).__name__}: {error})"
    if passed:
        print(f"PASS: {name}")
        return
    print(f"FAIL: {name}{reason}\nHint: {hint}")
    # The hint is printed above; the error only stops the run at this exercise.
    raise SelfCheckError(f"{name} did not pass yet: read the hint above, fix the answer, run again.")
