"""Graded exercises: in-notebook checks, a batch grader, and the exercise-notebook generator.

Students run the public checks of an exercise from a notebook cell::

    from autodiff.grading import check
    check("5.1")

which prints a small table (case, expected, got, hint) and the points, and never raises.
Instructors grade a classroom's submissions with one command (see ``python -m autodiff.grading
--help`` and the book page "How exercises are graded")::

    python -m autodiff.grading grade submissions/*.ipynb --out grades/ -j 4 --seed 2026

Modules, one idea each:

* :mod:`~autodiff.grading.registry`: chapters, exercises, checks, cases; :mod:`~autodiff.grading.ch05`
  and the other ``chNN`` files hold the checks of one chapter each.
* :mod:`~autodiff.grading.compare`: plain data and the comparators; :mod:`~autodiff.grading.verdict`:
  running a driver and judging its outcome.
* :mod:`~autodiff.grading.inline`: :func:`check` for notebooks; :mod:`~autodiff.grading.feedback`:
  tables and student feedback.
* :mod:`~autodiff.grading.notebook`: reading submissions, answer cells, the child's program;
  :mod:`~autodiff.grading.policy`: what answers may not do; :mod:`~autodiff.grading.child`: the
  student's process; :mod:`~autodiff.grading.runner`: starting it with limits;
  :mod:`~autodiff.grading.batch`: grading many submissions; :mod:`~autodiff.grading.generate`:
  exercise notebooks from solutions.

This package is not imported by ``import autodiff``, so the package stays fast to import.

>>> from autodiff.grading import check
>>> callable(check)
True
"""

from autodiff.grading.inline import check
from autodiff.grading.registry import STATUSES, Case, Chapter, find_exercise, need

__all__ = ["check", "Case", "Chapter", "STATUSES", "find_exercise", "need"]
