"""What students see: the table :func:`~autodiff.grading.check` prints, and feedback files.

Everything here is deterministic text (no timings, no addresses), so a notebook that shows a check's
table can be compared output for output by nbval.

>>> from autodiff.grading.verdict import CaseResult, CheckResult
>>> case = CaseResult("f(2)", "pass", "", "4", "4", "", 0.0)
>>> result = CheckResult("0.1", "small", False, 1, 1, "pass", "", 0.0, [case])
>>> print(check_table("0.1", "Squares", [result], hidden_points=2))
Exercise 0.1 (Squares): public checks
  case  expected  got  result
  f(2)  4         4    pass
All public checks pass (1 of 1 point). The graded run adds hidden checks on random inputs, worth 2 more points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from autodiff.grading.verdict import CheckResult

__all__ = ["check_table", "student_feedback"]

_RESULT = {"pass": "pass", "fail": "FAIL", "missing": "missing", "error": "ERROR", "timeout": "TIMEOUT"}


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _points(x: float) -> str:
    return f"{x:g}"


def _plural(x: float, word: str) -> str:
    return f"{_points(x)} {word}" + ("" if x == 1 else "s")


def check_table(exercise_id: str, title: str, results: Sequence[CheckResult], hidden_points: float) -> str:
    """The text :func:`~autodiff.grading.check` prints for the public checks of one exercise.

    >>> from autodiff.grading.verdict import CaseResult, CheckResult
    >>> case = CaseResult("f(2)", "missing", "not answered yet: f raises NotImplementedError", "4", "", "", 0.0)
    >>> print(check_table("0.1", "Squares", [CheckResult("0.1", "c", False, 0, 1, "missing", "", 0.0, [case])], 2))
    Exercise 0.1 (Squares): not answered yet (f raises NotImplementedError).
    Write your answer in the exercise's cell, run that cell, then run this check again.
    """
    cases = [case for result in results for case in result.cases]
    earned = sum(r.points for r in results)
    available = sum(r.max_points for r in results)
    head = f"Exercise {exercise_id} ({title})"
    if cases and all(c.status == "missing" for c in cases):
        why = cases[0].message.removeprefix("not answered yet: ")
        return (
            f"{head}: not answered yet ({_clip(why, 160)}).\n"
            "Write your answer in the exercise's cell, run that cell, then run this check again."
        )
    rows = [("case", "expected", "got", "result")]
    notes: dict[int, list[str]] = {}
    for case in cases:
        got = case.got if case.status in ("pass", "fail") and case.got else "-"
        rows.append((_clip(case.label, 40), _clip(case.expected, 30), _clip(got, 30), _RESULT.get(case.status, case.status)))
        if case.status != "pass":
            lines = [f"why: {_clip(case.message, 200)}"] if case.message else []
            if case.hint:
                lines.append(f"hint: {_clip(case.hint, 200)}")
            notes[len(rows) - 1] = lines
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [f"{head}: public checks"]
    for index, row in enumerate(rows):
        lines.append("  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        lines.extend(f"      {note}" for note in notes.get(index, []))
    more = (
        f" The graded run adds hidden checks on random inputs, worth {_plural(hidden_points, 'more point')}."
        if hidden_points
        else ""
    )
    if earned == available:
        lines.append(f"All public checks pass ({_points(earned)} of {_plural(available, 'point')}).{more}")
    else:
        lines.append(f"Not passing yet: {_points(earned)} of {_plural(available, 'public point')}; see above.{more}")
    return "\n".join(lines)


def _hidden_summary(check: Mapping[str, Any]) -> str:
    cases = check.get("cases", [])
    bad = [c for c in cases if c.get("status") != "pass"]
    if not bad:
        return "passed"
    kinds = sorted({c.get("status", "error") for c in bad})
    words = {"fail": "wrong result", "error": "raised an exception", "missing": "not answered",
             "timeout": "ran out of time", "crashed": "the process died"}
    what = ", ".join(words.get(k, k) for k in kinds)
    return f"{what} on {len(bad)} of {len(cases)} random inputs"


def student_feedback(report: Mapping[str, Any]) -> str:
    """Markdown feedback for one submission, from its JSON report, with hidden inputs left out.

    Public checks show their failing cases as the in-notebook check does (message, expected and
    got, hint); hidden checks only say how many random inputs failed and how (the inputs and
    expected values stay with the instructor).

    >>> report = {"submission": "alice.ipynb", "total": 1, "max": 3, "exercises": [
    ...     {"id": "0.1", "title": "Squares", "points": 1, "max": 3, "status": "fail", "checks": [
    ...         {"name": "hidden", "hidden": True, "points": 0, "max": 2, "status": "fail",
    ...          "cases": [{"label": "square(0.3)", "status": "fail"}, {"label": "square(2.7)", "status": "pass"}]}]}]}
    >>> print(student_feedback(report).splitlines()[-1])
    - hidden check `hidden` (0/2): wrong result on 1 of 2 random inputs
    """
    lines = [f"# Feedback: {report.get('submission', '')}", ""]
    if report.get("status") == "unreadable":
        lines += [f"The notebook could not be read: {report.get('message', '')}", ""]
        return "\n".join(lines)
    lines += [f"Total: {_points(report.get('total', 0))} of {_plural(report.get('max', 0), 'point')}.", ""]
    for exercise in report.get("exercises", []):
        lines.append(
            f"## Exercise {exercise['id']}: {exercise['title']} ({_points(exercise['points'])}/"
            f"{_points(exercise['max'])}, {exercise['status']})"
        )
        lines.append("")
        for note in exercise.get("flags", []):
            lines.append(f"- Not accepted: {note}")
        for note in exercise.get("notes", []):
            lines.append(f"- {note}")
        for check in exercise.get("checks", []):
            score = f"{_points(check['points'])}/{_points(check['max'])}"
            if check.get("hidden"):
                lines.append(f"- hidden check `{check['name']}` ({score}): {_hidden_summary(check)}")
            else:
                lines.append(f"- public check `{check['name']}` ({score}): {check['status']}")
                for case in check.get("cases", []):
                    if case.get("status") != "pass":
                        lines.append(f"  - {case['label']}: {case['status']}: {case.get('message', '')}")
                        if case.get("status") == "fail" and case.get("expected") and case.get("got"):
                            lines.append(f"    (expected `{_clip(case['expected'], 80)}`, got `{_clip(case['got'], 80)}`)")
                        if case.get("hint"):
                            lines.append(f"    hint: {case['hint']}")
        lines.append("")
    return "\n".join(lines)
