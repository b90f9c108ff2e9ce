"""From running a driver to a verdict, the same way in the notebook and in the batch grader.

:func:`run_case` runs on the student's side (the notebook's kernel, or the batch grader's child
process): it calls a driver, turns what it returns into plain data and classifies any exception,
producing an *outcome*: a small JSON-able dict. :func:`judge` runs on the grader's side: it checks
that the outcome is well formed (in the batch grader it arrived from an untrusted process) and
compares the value with the expected one. Only :func:`judge` ever sees an expected value.

>>> from autodiff.grading.registry import Case
>>> def drive(ns, x):
...     return ns["f"](x)
>>> outcome = run_case(drive, {"f": lambda x: 2 * x}, (4,))
>>> outcome["status"], outcome["value"]
('ok', 8)
>>> judge(Case("f(4)", drive, (4,), 8.0), outcome)[:2]
('pass', '')
>>> judge(Case("f(4)", drive, (4,), 9.0), outcome)[:2]
('fail', 'expected 9, got 8')
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from autodiff.grading.compare import NotPlain, Plain, fmt, to_plain
from autodiff.grading.registry import AnswerMissing, Case, Check, worst

__all__ = [
    "CaseTimeout", "alarm", "run_case", "describe_exception", "judge", "CaseResult", "CheckResult", "score_check",
]

# Frames in these files are library code; a location in the student's own code is more useful.
_LIBRARY_PREFIXES = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})

#: Statuses an outcome may carry ("ok" means the driver returned a value to judge).
OUTCOME_STATUSES = ("ok", "fail", "missing", "error", "timeout", "crashed")


class CaseTimeout(BaseException):
    """Raised inside student code when its time is up (a BaseException, like KeyboardInterrupt).

    >>> issubclass(CaseTimeout, Exception)
    False
    """


@contextlib.contextmanager
def alarm(seconds: float | None) -> Iterator[None]:
    """Raise :class:`CaseTimeout` in the main thread after ``seconds`` (no-op where impossible).

    Uses ``SIGALRM``, so it only works in the main thread on POSIX; elsewhere (threads, Windows,
    Pyodide) the body runs without a limit. The previous handler is restored afterwards.

    >>> with alarm(5):
    ...     sum(range(10))
    45
    """
    usable = (
        seconds is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def on_alarm(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"stopped after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, max(float(seconds), 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _location(error: BaseException) -> tuple[str, int] | None:
    summary = traceback.StackSummary.extract(traceback.walk_tb(error.__traceback__), lookup_lines=False)
    frames = [f for f in summary if "autodiff/grading" not in f.filename.replace("\\", "/")]
    own = [f for f in frames if not f.filename.startswith(_LIBRARY_PREFIXES)]
    where = (own or frames)[-1:]
    return (where[0].name, where[0].lineno or 0) if where else None


def describe_exception(error: BaseException) -> str:
    """``"ZeroDivisionError: division by zero (in mul, line 4)"``: type, message, where it happened.

    The location is the innermost frame outside the grader, so a student sees where in their own
    code the exception was raised.

    >>> def mul(a, b):
    ...     return a / 0
    >>> try:
    ...     mul(1, 2)
    ... except ZeroDivisionError as error:
    ...     describe_exception(error)
    'ZeroDivisionError: division by zero (in mul, line 2)'
    """
    try:
        text = str(error)
    except Exception:  # a student's exception whose __str__ raises
        text = "<unprintable>"
    text = " ".join(text.split())
    if len(text) > 300:
        text = text[:300] + "…"
    message = f"{type(error).__name__}: {text}" if text else type(error).__name__
    where = _location(error)
    if where:
        message += f" (in {where[0]}, line {where[1]})"
    return message


def run_case(
    driver: Callable[..., Any],
    ns: Mapping[str, Any],
    args: tuple[Any, ...] | list[Any],
    timeout: float | None = None,
) -> dict[str, Any]:
    """Call ``driver(ns, *args)`` and describe what happened as a plain dict (never raises).

    Statuses: ``ok`` (with the plain ``value``), ``missing`` (an answer is undefined or still raises
    ``NotImplementedError``), ``fail`` (the result is not plain data), ``error`` (anything raised,
    ``SystemExit`` and ``KeyboardInterrupt`` included) and ``timeout``.

    >>> run_case(lambda ns: ns["g"](), {}, ())["status"]
    'error'
    >>> run_case(lambda ns: 1 / 0, {}, ())["message"]
    'ZeroDivisionError: division by zero (in <lambda>, line 1)'
    """
    start = time.perf_counter()
    try:
        with alarm(timeout):
            raw = driver(ns, *args)
        outcome: dict[str, Any] = {"status": "ok", "value": to_plain(raw)}
    except CaseTimeout as error:
        outcome = {"status": "timeout", "message": str(error)}
    except AnswerMissing as error:
        outcome = {"status": "missing", "message": str(error), "undefined": True}
    except NotImplementedError as error:
        where = _location(error)
        outcome = {"status": "missing", "message": f"not answered yet: {where[0] if where else 'the code'} raises NotImplementedError"}
    except NotPlain as error:
        outcome = {"status": "fail", "message": str(error)}
    except BaseException as error:  # noqa: BLE001 - student code may raise anything, SystemExit too
        outcome = {"status": "error", "message": describe_exception(error)}
    outcome["duration"] = round(time.perf_counter() - start, 6)
    return outcome


def judge(case: Case, outcome: Any) -> tuple[str, str, str]:
    """``(status, message, got)`` for ``outcome``: compare its value with ``case.expected``.

    ``outcome`` may come from an untrusted process, so anything malformed is an ``error`` and only a
    comparison in this process can produce ``pass``.

    >>> from autodiff.grading.registry import Case
    >>> judge(Case("x", len, (), 1.0), {"status": "pass"})[:2]
    ('error', "malformed result from the student's process")
    """
    if type(outcome) is not dict or outcome.get("status") not in OUTCOME_STATUSES:
        return "error", "malformed result from the student's process", ""
    status = outcome["status"]
    if status != "ok":
        message = outcome.get("message")
        return status, message if type(message) is str else "", ""
    if "value" not in outcome:
        return "error", "malformed result from the student's process", ""
    got: Plain = outcome["value"]
    try:
        message = case.compare(got, case.expected)
    except Exception as error:  # a comparator should not raise; a deep or odd value might make it
        return "fail", f"could not compare the result ({type(error).__name__})", fmt(got)
    if message is None:
        return "pass", "", fmt(got)
    return "fail", str(message), fmt(got)


@dataclass
class CaseResult:
    """The verdict on one case, with what to show: expected and got as short strings.

    >>> CaseResult("f(2)", "fail", "expected 4, got 5", "4", "5", "", 0.0).status
    'fail'
    """

    label: str
    status: str
    message: str
    expected: str
    got: str
    hint: str
    duration: float


@dataclass
class CheckResult:
    """The verdict on one check: its status is the worst of its cases', its points all or nothing.

    See :func:`score_check`, which makes them.

    >>> CheckResult("5.1", "public", False, 0, 1, "fail", "x: wrong", 0.0, []).points
    0
    """

    exercise: str
    name: str
    hidden: bool
    points: float
    max_points: float
    status: str
    message: str
    duration: float
    cases: list[CaseResult]


def score_check(check: Check, cases: list[Case], outcomes: list[Any]) -> CheckResult:
    """Judge every case of ``check`` against its outcome and total the check.

    >>> from autodiff.grading.registry import Chapter
    >>> ch = Chapter("00_doc2", "Doc", module=__name__, register=False)
    >>> ex = ch.exercise("0.2", "Doc", ("f",))
    >>> @ch.driver
    ... def drive(ns):
    ...     return 1.0
    >>> @ex.check(points=2)
    ... def one(rng):
    ...     return [Case("f()", drive, (), 1.0), Case("f() again", drive, (), 2.0)]
    >>> cases = ex.checks[0].cases()
    >>> result = score_check(ex.checks[0], cases, [run_case(drive, {}, ()) for _ in cases])
    >>> result.status, result.points, result.message
    ('fail', 0, 'f() again: expected 2, got 1')
    """
    results = []
    for case, outcome in zip(cases, outcomes):
        status, message, got = judge(case, outcome)
        duration = outcome.get("duration", 0.0) if type(outcome) is dict else 0.0
        results.append(
            CaseResult(
                case.label,
                status,
                message,
                case.show if case.show is not None else fmt(case.expected),
                got,
                case.hint,
                float(duration) if type(duration) in (int, float) else 0.0,
            )
        )
    status = worst(r.status for r in results)
    first_problem = next((r for r in results if r.status != "pass"), None)
    return CheckResult(
        exercise=check.exercise.id,
        name=check.name,
        hidden=check.hidden,
        points=check.points if status == "pass" else 0,
        max_points=check.points,
        status=status,
        message=f"{first_problem.label}: {first_problem.message}" if first_problem else "",
        duration=round(sum(r.duration for r in results), 6),
        cases=results,
    )
