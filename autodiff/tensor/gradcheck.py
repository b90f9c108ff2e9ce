"""Gradient checking for functions of tensors: plugs into :func:`autodiff.check.gradcheck`.

For a function ``f`` of tensors with an output of any shape, the check draws a **random
cotangent** ``u`` (standard normal, fixed seed) of the output's shape and compares, for **every
element** ``j`` of every input, the engine's ``d<u, f(x)>/dx_j`` (one ``backward(u)``) with the
central difference of ``<u, f(x)>``. A cotangent of ones would only check the column sums of
the Jacobian: a wrong rule for ``sum`` that returns ones of the input's shape whatever the
incoming gradient would pass (dlsyscourse/hw1#15); a random ``u`` catches it.

Inputs are checked in float64 (float32 tensors are converted first: finite differences in
float32 are too coarse to check anything).

>>> import numpy as np
>>> import autodiff as ad
>>> from autodiff.tensor import Tensor
>>> x = np.array([[0.5, -1.0], [2.0, 0.3]])
>>> r = ad.gradcheck(lambda a, b: (a @ b).tanh(), Tensor(x), np.ones((2, 3)))
>>> r.passed, len(r.rows), r.rows[0].where
(True, 10, 'x[0][0, 0]')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autodiff.check import GradcheckResult, make_row, register
from autodiff.levels import unwrap
from autodiff.numerical import default_step
from autodiff.tensor.core import Tensor, no_grad

__all__ = ["gradcheck_tensors"]

SEED = 0


def _accepts(inputs: Sequence[Any]) -> bool:
    return any(isinstance(x, (Tensor, np.ndarray)) for x in inputs) and all(
        isinstance(x, (Tensor, np.ndarray, int, float, np.floating, np.integer)) and not isinstance(x, bool)
        for x in inputs
    )


def gradcheck_tensors(
    f: Callable[..., Any], inputs: Sequence[Any], eps: float | None, rtol: float, atol: float
) -> GradcheckResult:
    """The checker for tensor inputs (called by :func:`autodiff.check.gradcheck`).

    >>> r = gradcheck_tensors(lambda a: (a * a).sum(axis=0), [np.array([[1.0, 2.0]])], None, 1e-5, 1e-6)
    >>> r.passed, [row.element for row in r.rows]
    (True, [(0, 0), (0, 1)])
    """
    points = []
    for i, x in enumerate(inputs):
        value = np.array(unwrap(x.data) if isinstance(x, Tensor) else x, dtype=np.float64)
        if not np.all(np.isfinite(value)):
            raise ValueError(f"gradcheck: input {i} must be finite, got {value.tolist()}")
        points.append(value)
    leaves = [Tensor(p.copy(), requires_grad=True) for p in points]
    out = f(*leaves)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(out).__name__}")
    u = np.random.default_rng(SEED).standard_normal(out.shape)
    if out.requires_grad:
        out.backward(u)
    analytic = [leaf.grad if leaf.grad is not None else np.zeros_like(leaf.data) for leaf in leaves]

    def objective(values: list[np.ndarray]) -> float:
        with no_grad():
            result = f(*[Tensor(v) for v in values])
        return float(np.sum(u * np.asarray(unwrap(result.data), dtype=np.float64)))

    rows = []
    for i, point in enumerate(points):
        for index in np.ndindex(point.shape):
            h = default_step(point[index]) if eps is None else float(eps)
            plus = [p.copy() for p in points]
            minus = [p.copy() for p in points]
            plus[i][index] += h
            minus[i][index] -= h
            numeric = (objective(plus) - objective(minus)) / (2.0 * h)
            if not math.isfinite(numeric):
                raise ValueError(
                    f"gradcheck: f is not finite near x[{i}]{list(index)} = {point[index]!r} ± {h:.3g}; "
                    "move the point away from the edge of f's domain"
                )
            rows.append(make_row(i, tuple(int(k) for k in index), float(analytic[i][index]), numeric, rtol, atol))
    return GradcheckResult(all(row.passed for row in rows), tuple(rows), rtol, atol)


register(_accepts, gradcheck_tensors)
