"""Numerical differentiation: finite differences and the complex step (chapter 1).

A finite difference replaces the limit in the definition of the derivative by a small but finite
step ``h``. Its error has two parts that pull ``h`` in opposite directions:

* truncation error, from the terms of the Taylor series the formula drops: O(h) for the one-sided
  (forward and backward) differences, O(h^2) for the central difference;
* round-off error, from subtracting two nearly equal floating-point numbers and dividing by ``h``:
  about ``eps * |f(x)| / h``, where eps is the machine epsilon.

Balancing the two gives the default steps used here: ``h = sqrt(eps) * max(1, |x|)`` for one-sided
differences and ``h = eps**(1/3) * max(1, |x|)`` for the central difference. The complex step has
no subtraction, so no round-off from cancellation, and works with a tiny ``h`` (default 1e-20), but it
needs ``f`` to accept complex input and to be real-analytic.

Every function here treats ``f`` as a black box: it only calls it.

>>> import math
>>> round(central_difference(math.sin, 1.0), 10)
0.5403023059
>>> round(complex_step(lambda z: z * z, 3.0), 12)
6.0
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "EPS",
    "default_step",
    "forward_difference",
    "backward_difference",
    "central_difference",
    "complex_step",
    "numerical_gradient",
    "numerical_jacobian",
]

#: Machine epsilon of float64: the gap between 1.0 and the next representable number.
EPS: float = float(np.finfo(np.float64).eps)

_METHODS = ("forward", "backward", "central")


def default_step(x: float, method: str = "central") -> float:
    """The step that roughly balances truncation and round-off error at ``x``.

    ``sqrt(eps) * max(1, |x|)`` for ``"forward"`` and ``"backward"``, ``eps**(1/3) * max(1, |x|)``
    for ``"central"``. Scaling by ``|x|`` keeps ``x + h`` distinguishable from ``x`` for large ``x``.

    >>> f"{default_step(1.0, 'forward'):.2e}", f"{default_step(1.0, 'central'):.2e}"
    ('1.49e-08', '6.06e-06')
    """
    _check_method(method)
    scale = max(1.0, abs(float(x)))
    return (math.sqrt(EPS) if method != "central" else EPS ** (1.0 / 3.0)) * scale


def forward_difference(f: Callable[[float], float], x: float, h: float | None = None) -> float:
    """Approximate ``f'(x)`` by ``(f(x + h) - f(x)) / h``; truncation error O(h).

    >>> round(forward_difference(lambda t: t ** 2, 3.0), 6)
    6.0
    """
    x, h = _point_and_step(x, h, "forward")
    return _real(f(x + h) - f(x), "forward_difference") / h


def backward_difference(f: Callable[[float], float], x: float, h: float | None = None) -> float:
    """Approximate ``f'(x)`` by ``(f(x) - f(x - h)) / h``; truncation error O(h).

    >>> round(backward_difference(lambda t: t ** 2, 3.0), 6)
    6.0
    """
    x, h = _point_and_step(x, h, "backward")
    return _real(f(x) - f(x - h), "backward_difference") / h


def central_difference(f: Callable[[float], float], x: float, h: float | None = None) -> float:
    """Approximate ``f'(x)`` by ``(f(x + h) - f(x - h)) / (2h)``; truncation error O(h^2).

    >>> round(central_difference(lambda t: t ** 3, 2.0), 8)
    12.0
    """
    x, h = _point_and_step(x, h, "central")
    return _real(f(x + h) - f(x - h), "central_difference") / (2.0 * h)


def complex_step(f: Callable[[complex], complex], x: float, h: float = 1e-20) -> float:
    """Approximate ``f'(x)`` by ``Im f(x + ih) / h`` (the complex-step derivative).

    There is no subtraction, so ``h`` can be tiny and the result is accurate to machine precision
    for real-analytic ``f`` written with complex-safe operations (``cmath`` or numpy, not ``math``).
    ``f`` must return a complex number: a real result means it dropped the imaginary part.

    >>> import cmath
    >>> f"{complex_step(cmath.exp, 0.0):.15f}"
    '1.000000000000000'
    """
    x = _finite_real(x, "complex_step", "x")
    h = _finite_real(h, "complex_step", "h")
    if h <= 0:
        raise ValueError(f"complex_step: the step h must be positive, got {h!r}")
    value = f(complex(x, h))
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if not isinstance(value, (complex, np.complexfloating)):
        raise TypeError(
            "complex_step: f returned "
            f"{type(value).__name__} {value!r} for a complex input; the complex step needs f to "
            "keep the imaginary part (use cmath or numpy functions, not math)"
        )
    return float(value.imag) / h


def numerical_gradient(
    f: Callable[[NDArray[np.float64]], Any],
    x: ArrayLike,
    h: float | None = None,
    method: str = "central",
) -> NDArray[np.float64]:
    """The gradient of a scalar function ``f`` at ``x`` by finite differences, one input at a time.

    Costs ``n + 1`` evaluations of ``f`` for ``"forward"``/``"backward"`` and ``2n`` for
    ``"central"``, where ``n = x.size``. The result has the shape of ``x``.

    >>> numerical_gradient(lambda v: v[0] * v[1], [2.0, 3.0]).round(8).tolist()
    [3.0, 2.0]
    """
    point = _point_array(x, "numerical_gradient")

    def scalar_f(p: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.asarray(f(p), dtype=np.float64)
        if out.size != 1:
            raise ValueError(
                f"numerical_gradient: f must return a scalar, got an output of shape {out.shape}; "
                "use numerical_jacobian for vector-valued functions"
            )
        return out.reshape(())

    return numerical_jacobian(scalar_f, point, h=h, method=method).reshape(point.shape)


def numerical_jacobian(
    f: Callable[[NDArray[np.float64]], Any],
    x: ArrayLike,
    h: float | None = None,
    method: str = "central",
) -> NDArray[np.float64]:
    """The Jacobian of ``f`` at ``x`` by finite differences, one column per input element.

    The result has shape ``f(x).shape + x.shape``: entry ``[i, j]`` is d f_i / d x_j.
    ``h=None`` picks :func:`default_step` for each element of ``x``.

    >>> numerical_jacobian(lambda v: [v[0] * v[1], v[0] + v[1]], [2.0, 3.0]).round(8).tolist()
    [[3.0, 2.0], [1.0, 1.0]]
    """
    _check_method(method)
    point = _point_array(x, "numerical_jacobian")

    def evaluate(p: NDArray[np.float64]) -> NDArray[np.float64]:
        out = np.asarray(f(p.copy()), dtype=np.float64)
        if not np.all(np.isfinite(out)):
            raise ValueError(f"numerical_jacobian: f returned a non-finite value at {p.tolist()}")
        return out

    base = evaluate(point) if method != "central" else None
    columns = []
    for index in np.ndindex(point.shape):
        step = default_step(point[index], method) if h is None else _finite_real(h, "numerical_jacobian", "h")
        if step <= 0:
            raise ValueError(f"numerical_jacobian: the step h must be positive, got {step!r}")
        plus, minus = point.copy(), point.copy()
        plus[index] += step
        minus[index] -= step
        if method == "forward":
            columns.append((evaluate(plus) - base) / step)
        elif method == "backward":
            columns.append((base - evaluate(minus)) / step)
        else:
            columns.append((evaluate(plus) - evaluate(minus)) / (2.0 * step))
    out_shape = columns[0].shape if columns else np.shape(f(point.copy()))
    jac = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
    return jac.reshape(out_shape + point.shape)


def _check_method(method: str) -> None:
    if method not in _METHODS:
        raise ValueError(f"unknown finite-difference method {method!r}; choose one of {', '.join(_METHODS)}")


def _finite_real(value: Any, op: str, name: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: {name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{op}: {name} must be finite, got {value!r}")
    return value


def _point_and_step(x: Any, h: float | None, method: str) -> tuple[float, float]:
    op = f"{method}_difference"
    x = _finite_real(x, op, "x")
    h = default_step(x, method) if h is None else _finite_real(h, op, "h")
    if h <= 0:
        raise ValueError(f"{op}: the step h must be positive, got {h!r}")
    return x, h


def _point_array(x: ArrayLike, op: str) -> NDArray[np.float64]:
    try:
        point = np.array(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{op}: x must be a number or an array of numbers, got {type(x).__name__}") from exc
    if not np.all(np.isfinite(point)):
        raise ValueError(f"{op}: x must be finite, got {point.tolist()}")
    return point


def _real(value: Any, op: str) -> float:
    """The difference of two evaluations as a float, with a clear error for anything else."""
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(f"{op}: f returned a complex number; use complex_step for complex-safe functions")
    try:
        result = float(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{op}: f must return a real number, got {type(value).__name__}") from exc
    return result

