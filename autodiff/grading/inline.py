"""``check("5.1")``: the public checks of an exercise, run in the notebook, for immediate feedback.

It runs in the student's own kernel against the names their cells defined, so it is feedback, not
grading: the batch grader runs the same public checks, plus hidden ones on random inputs, in a
separate process. It never raises: an unanswered exercise shows as "not answered yet", a wrong one
as a table with hints, and a student's code that raises, loops (stopped after ``timeout`` seconds
where signals allow) or returns an odd object shows as a failing row.

>>> from autodiff.grading.registry import Case, Chapter, need, forget_chapter
>>> chapter = Chapter("98_doc", "Doc", module=__name__)
>>> ex = chapter.exercise("98.1", "Squares", answers=("square",))
>>> @chapter.driver
... def call_square(ns, x):
...     return need(ns, "square")(x)
>>> @ex.check(points=1)
... def small(rng):
...     return [Case("square(3)", call_square, (3.0,), 9.0, hint="multiply x by itself")]
>>> @ex.check(points=2, hidden=True)
... def random_inputs(rng):
...     x = rng.uniform(-5, 5)
...     return [Case(f"square({x})", call_square, (x,), x * x)]
>>> check("98.1", {"square": lambda x: x + 6})
Exercise 98.1 (Squares): public checks
  case       expected  got  result
  square(3)  9         9    pass
All public checks pass (1 of 1 point). The graded run adds hidden checks on random inputs, worth 2 more points.
>>> check("98.1", {"square": lambda x: x})
Exercise 98.1 (Squares): public checks
  case       expected  got  result
  square(3)  9         3    FAIL
      why: expected 9, got 3
      hint: multiply x by itself
Not passing yet: 0 of 1 public point; see above. The graded run adds hidden checks on random inputs, worth 2 more points.
>>> forget_chapter("98_doc")
"""

from __future__ import annotations

import inspect
import sys
import types
from collections.abc import Mapping
from typing import Any

from autodiff.grading import policy
from autodiff.grading.feedback import check_table
from autodiff.grading.registry import Exercise, find_exercise
from autodiff.grading.verdict import CheckResult, run_case, score_check

__all__ = ["check", "run_public", "answer_findings"]


def run_public(exercise: Exercise, ns: Mapping[str, Any], timeout: float | None = 10.0) -> list[CheckResult]:
    """Run every public check of ``exercise`` against namespace ``ns``, in this process.

    >>> from autodiff.grading.registry import find_exercise
    >>> [(r.name, r.status) for r in run_public(find_exercise("5.5"), {})]
    [('backward_by_hand', 'missing')]
    """
    results = []
    for chk in exercise.public_checks:
        cases = chk.cases()
        outcomes = [run_case(case.driver, ns, case.args, timeout=timeout) for case in cases]
        results.append(score_check(chk, cases, outcomes))
    return results


def answer_findings(exercise: Exercise, ns: Mapping[str, Any]) -> list[str]:
    """Best-effort early warning of what the batch grader's policy scan would reject.

    The grader scans answer cells; here only the answers' own source is at hand (through
    ``inspect``), and aliases are read off the modules in ``ns``.

    >>> import autodiff.graph
    >>> from autodiff.grading.registry import find_exercise
    >>> answer_findings(find_exercise("5.4"), {"topological_order": autodiff.graph.topological_order})
    ['`topological_order` is autodiff.graph.topological_order, not your own code']
    """
    aliases = {name: value.__name__ for name, value in ns.items() if isinstance(value, types.ModuleType)}
    findings: list[str] = []
    for name in exercise.answers:
        obj = ns.get(name)
        if obj is None:
            continue
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None)
        if isinstance(module, str) and isinstance(qualname, str) and module not in ("__main__", "builtins"):
            dotted = f"{module}.{qualname}"
            allowed = any(dotted == a or dotted.startswith(a + ".") for a in exercise.allowed)
            if not allowed and any(dotted == f or dotted.startswith(f + ".") for f in (*exercise.forbidden, *policy.AD_LIBRARIES)):
                findings.append(f"`{name}` is {dotted}, not your own code")
        try:
            source = inspect.getsource(obj)
        except (TypeError, OSError):
            continue
        findings += [f"`{name}`: {finding}" for finding in policy.scan(source, exercise.forbidden, aliases, exercise.allowed)]
    return findings


def check(exercise_id: str, namespace: Mapping[str, Any] | None = None) -> None:
    """Run the public checks of exercise ``exercise_id`` and print a table; never raises.

    ``namespace`` defaults to the caller's globals: in a notebook, the names your cells defined.

    >>> check("5.2", {})
    Exercise 5.2 (Powers with a constant exponent): not answered yet (`Value` is not defined: run the answer cell that defines it).
    Write your answer in the exercise's cell, run that cell, then run this check again.
    """
    try:
        ns = namespace if namespace is not None else sys._getframe(1).f_globals
        try:
            exercise = find_exercise(str(exercise_id))
        except KeyError as error:
            print(f"check: {error.args[0]}")
            return
        results = run_public(exercise, ns)
        print(check_table(exercise.id, exercise.title, results, exercise.points - exercise.public_points))
        findings = answer_findings(exercise, ns)
        if findings:
            print("The graded run will not accept this answer: " + "; ".join(findings))
    except BaseException as error:  # noqa: BLE001 - the promise is "never raises", even for Ctrl-C
        print(f"check({exercise_id!r}) stopped: {type(error).__name__}: {error}")
