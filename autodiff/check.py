"""Gradient checking: compare reverse mode with central differences (used in every chapter).

:func:`gradcheck` differentiates ``f`` at a point twice, once by the engine (``backward()``) and
once numerically (a central difference per input), and reports the largest disagreement and where
it is. An input passes when ``|analytic - numeric| <= atol + rtol * |numeric|``.

>>> import autodiff as ad
>>> result = gradcheck(lambda x, y: ad.tanh(x * y) + x ** 2, 0.5, -1.5)
>>> result.passed, result.worst.input
(True, 0)
>>> bool(gradcheck(lambda x: x.relu(), 1.0))
True

The check dispatches on the type of the inputs: numbers and ``Value`` use the scalar engine here;
other engines (``Tensor``) add theirs with :func:`register`, and the result type has an
``element`` index for array inputs.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from autodiff.levels import unwrap
from autodiff.numerical import default_step
from autodiff.scalar import Value

__all__ = ["gradcheck", "GradcheckResult", "GradcheckRow", "GradcheckError", "register"]


class GradcheckError(AssertionError):
    """Raised by ``gradcheck(..., raise_on_failure=True)`` when an input fails; carries the result.

    >>> wrong = lambda x: Value(x.data ** 2, (x,), "neg")  # x**2 recorded with the rule of -x
    >>> try:
    ...     gradcheck(wrong, 1.5, raise_on_failure=True)
    ... except GradcheckError as err:
    ...     print(err.result.worst.analytic, round(err.result.worst.numeric, 6))
    -1.0 3.0
    """

    def __init__(self, result: GradcheckResult) -> None:
        super().__init__(f"gradient check failed\n{result!r}")
        self.result = result


@dataclass(frozen=True)
class GradcheckRow:
    """One checked derivative: input number, element index (``()`` for scalars) and the numbers.

    ``rel_error`` is ``|analytic - numeric| / max(|analytic|, |numeric|)`` (0 when both are 0);
    ``ratio`` is ``|analytic - numeric| / (atol + rtol * |numeric|)``: the input passes when it is
    at most 1.

    >>> row = gradcheck(lambda x: x * 3.0, 2.0).rows[0]
    >>> row.input, row.element, row.analytic
    (0, (), 3.0)
    """

    input: int
    element: tuple[int, ...]
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    ratio: float

    @property
    def passed(self) -> bool:
        """Whether this derivative is within tolerance.

        >>> gradcheck(lambda x: x * 3.0, 2.0).rows[0].passed
        True
        """
        return self.ratio <= 1.0

    @property
    def where(self) -> str:
        """The position as text: ``x[1]`` for input 1, ``x[1][2, 0]`` for an element of it.

        >>> gradcheck(lambda a, b: a * b, 1.0, 2.0).rows[1].where
        'x[1]'
        """
        index = f"[{', '.join(map(str, self.element))}]" if self.element else ""
        return f"x[{self.input}]{index}"


@dataclass(frozen=True)
class GradcheckResult:
    """What :func:`gradcheck` found: one row per checked derivative, and the verdict.

    ``passed`` is true when every row is within tolerance; ``worst`` is the row closest to failing
    (largest ``ratio``); ``max_rel_error`` the largest relative error of any row. ``bool(result)``
    is ``passed``. The ``repr`` is a small table.

    >>> r = gradcheck(lambda a, b: a * b, 1.0, 2.0)
    >>> r.passed, r.max_rel_error < 1e-9
    (True, True)
    """

    passed: bool
    rows: tuple[GradcheckRow, ...]
    rtol: float
    atol: float

    @property
    def worst(self) -> GradcheckRow | None:
        """The row closest to failing (largest ``ratio``), or ``None`` when nothing was checked.

        >>> gradcheck(lambda a, b: a * b, 1.0, 2.0).worst.where in ("x[0]", "x[1]")
        True
        """
        return max(self.rows, key=lambda row: row.ratio, default=None)

    @property
    def max_rel_error(self) -> float:
        """The largest relative error over all rows (0.0 when nothing was checked).

        >>> gradcheck(lambda x: x + 1.0, 3.0).max_rel_error < 1e-9
        True
        """
        return max((row.rel_error for row in self.rows), default=0.0)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        worst = self.worst
        verdict = "passed" if self.passed else "FAILED"
        where = (
            f"; worst relative error {worst.rel_error:.1e} at {worst.where}" if worst is not None else ""
        )
        lines = [
            f"gradcheck {verdict}: {len(self.rows)} derivative(s){where} "
            f"(rtol={self.rtol:g}, atol={self.atol:g})",
            f"  {'where':<12}{'analytic':>15}{'numeric':>15}{'abs error':>11}{'rel error':>11}  ok",
        ]
        shown = self.rows if len(self.rows) <= 20 else sorted(self.rows, key=lambda r: -r.ratio)[:20]
        for row in shown:
            lines.append(
                f"  {row.where:<12}{row.analytic:>15.8g}{row.numeric:>15.8g}{row.abs_error:>11.1e}"
                f"{row.rel_error:>11.1e}  {'yes' if row.passed else 'NO'}"
            )
        if len(shown) < len(self.rows):
            lines.append(f"  ... {len(self.rows) - len(shown)} more rows (showing the 20 closest to failing)")
        return "\n".join(lines)


Checker = Callable[[Callable[..., Any], Sequence[Any], "float | None", float, float], GradcheckResult]
_BACKENDS: list[tuple[Callable[[Sequence[Any]], bool], Checker]] = []


def register(accepts: Callable[[Sequence[Any]], bool], checker: Checker) -> None:
    """Add a gradient checker for other input types (the tensor engine registers its own).

    ``accepts(inputs)`` says whether ``checker`` handles these inputs;
    ``checker(f, inputs, eps, rtol, atol)`` returns a :class:`GradcheckResult`. Checkers
    registered later are tried first.

    >>> register(lambda inputs: False, lambda f, inputs, eps, rtol, atol: None)  # accepts nothing
    """
    if not callable(accepts) or not callable(checker):
        raise TypeError("register: accepts and checker must be functions")
    _BACKENDS.insert(0, (accepts, checker))


def gradcheck(
    f: Callable[..., Any],
    *inputs: Any,
    eps: float | None = None,
    rtol: float = 1e-5,
    atol: float = 1e-6,
    raise_on_failure: bool = False,
) -> GradcheckResult:
    """Check the gradient of the scalar function ``f`` at ``inputs`` against central differences.

    ``f`` takes one ``Value`` per input (numbers and Values are accepted as inputs; the check
    makes fresh leaves, so the caller's Values are not touched) and returns a ``Value``. The
    numerical derivative uses the step ``eps`` (default: :func:`autodiff.numerical.default_step`,
    about ``6e-6 * max(1, |x|)``). Returns a :class:`GradcheckResult`; with
    ``raise_on_failure=True`` a failure raises :class:`GradcheckError` instead.

    >>> import autodiff as ad
    >>> gradcheck(lambda x, y: ad.log(x) * y, 2.0, 3.0).passed
    True
    """
    if not callable(f):
        raise TypeError(f"gradcheck: f must be a function, got {type(f).__name__}")
    if not inputs:
        raise TypeError("gradcheck: give at least one input: gradcheck(f, x0, x1, ...)")
    for name, tol in (("rtol", rtol), ("atol", atol)):
        if not isinstance(tol, (int, float)) or isinstance(tol, bool) or not tol >= 0 or not math.isfinite(tol):
            raise ValueError(f"gradcheck: {name} must be a finite number >= 0, got {tol!r}")
    if eps is not None and (not isinstance(eps, (int, float)) or not 0 < eps < math.inf):
        raise ValueError(f"gradcheck: eps must be a positive finite number, got {eps!r}")
    for accepts, checker in _BACKENDS:
        if accepts(inputs):
            result = checker(f, inputs, eps, float(rtol), float(atol))
            break
    else:
        raise TypeError(
            "gradcheck: unsupported input types "
            f"({', '.join(type(x).__name__ for x in inputs)}); pass numbers or Values "
            "(or Tensors once autodiff.tensor registers its checker)"
        )
    if raise_on_failure and not result.passed:
        raise GradcheckError(result)
    return result


def make_row(index: int, element: tuple[int, ...], analytic: float, numeric: float, rtol: float, atol: float) -> GradcheckRow:
    """Build a :class:`GradcheckRow` from the two derivatives (shared by every checker).

    >>> make_row(0, (), 1.0, 1.0 + 1e-9, 1e-5, 1e-6).passed
    True
    """
    diff = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    rel = diff / scale if scale > 0 else 0.0
    tolerance = atol + rtol * abs(numeric)
    ratio = diff / tolerance if tolerance > 0 else (0.0 if diff == 0 else math.inf)
    return GradcheckRow(index, element, float(analytic), float(numeric), diff, rel, ratio)


def _is_scalar_input(x: Any) -> bool:
    return isinstance(x, Value) or (isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_)))


def _scalar_checker(f: Callable[..., Any], inputs: Sequence[Any], eps: float | None, rtol: float, atol: float) -> GradcheckResult:
    point = []
    for i, x in enumerate(inputs):
        value = unwrap(x)
        if not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
            raise ValueError(f"gradcheck: input {i} must be a finite number, got {value!r}")
        point.append(float(value))

    leaves = [Value(p) for p in point]
    out = f(*leaves)
    if isinstance(out, Value):
        out.backward()
    elif not isinstance(out, (int, float)):
        raise TypeError(
            f"gradcheck: f must return a Value (a scalar), got {type(out).__name__}; for several "
            "outputs, check a weighted sum of them"
        )
    analytic = [float(unwrap(v.grad)) for v in leaves]

    def evaluate(values: list[float]) -> float:
        result = f(*[Value(v) for v in values])
        return float(unwrap(result))

    rows = []
    for i, p in enumerate(point):
        h = default_step(p) if eps is None else float(eps)
        plus, minus = list(point), list(point)
        plus[i], minus[i] = p + h, p - h
        try:
            numeric = (evaluate(plus) - evaluate(minus)) / (2.0 * h)
        except (ValueError, ZeroDivisionError, OverflowError) as exc:
            raise ValueError(
                f"gradcheck: f failed at x[{i}] = {p!r} ± {h:.3g} while differencing ({exc}); move "
                "the point away from the edge of f's domain or pass a smaller eps"
            ) from exc
        rows.append(make_row(i, (), analytic[i], numeric, rtol, atol))
    return GradcheckResult(all(row.passed for row in rows), tuple(rows), rtol, atol)


register(lambda inputs: all(_is_scalar_input(x) for x in inputs), _scalar_checker)
