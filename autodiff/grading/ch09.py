"""Checks of the graded set of chapter 9, "Composable transformations" (``09_transformations``).

The student builds the chapter's transformations from the two primitives of
:mod:`autodiff.functional`, then uses them:

====  =====================================================  =========================================
id    task                                                   oracle
====  =====================================================  =========================================
9.1   ``jacrev_from_vjp(f, x)``: the Jacobian, shape         forward mode (``jacfwd``, the other
      ``f(x).shape + x.shape``, from one ``vjp``             mode); the driver counts the calls of
                                                             ``f``: exactly one
9.2   ``jacfwd_from_jvp(f, x)``: the same, one ``jvp`` per   reverse mode (``jacrev``); the driver
      input element                                          counts the calls of ``f``: one per input
                                                             element
9.3   ``hvp(f, x, v)``: a Hessian-vector product in one      the dense Hessian by reverse over reverse
      evaluation of ``f``                                    (``jacrev(jacrev(f))``) contracted with
                                                             ``v``; the driver counts the calls of ``f``
9.4   ``derivatives(f, x, k)``: ``[f(x), f'(x), ...,         closed forms: polynomials in tanh, the
      f^(k)(x)]`` by nesting transformations                 sine's cycle, exponentials, polynomials
9.5   ``newton(f, x0, tol, max_steps)``: Newton's method,    the minimiser from the reference Newton
      returning the point and the number of steps            iteration, whose gradient is checked to
                                                             be below the tolerance; steps within one
                                                             of the reference's count
====  =====================================================  =========================================

The functions the drivers hand to the student are built here from plain parameters (a name and
nested lists), so that a case crosses the process boundary as plain data; they are written with
the dispatching functions and array methods, so they run on plain arrays, on ``Tensor`` and on
``Tensor`` over ``Dual`` alike. Each exercise rules out the package functions that would answer
it in one call (``jacrev`` for 9.1, ``jacfwd`` for 9.2, ``hvp`` and ``hessian`` for 9.3), and
finite differences everywhere; the call counts then decide the mode.

The module's public object is :data:`chapter`; the drivers and checks are reached through it.

>>> [(e.id, e.points) for e in chapter.exercises.values()]
[('9.1', 3), ('9.2', 3), ('9.3', 4), ('9.4', 3), ('9.5', 4)]
>>> sum(e.points for e in chapter.exercises.values())
17
>>> [round(d, 6) for d in tanh_derivatives(2.0, 3)]
[0.964028, 0.070651, -0.136219, 0.252654]
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autodiff import functions as F
from autodiff import functional as fn
from autodiff.grading.compare import close
from autodiff.grading.registry import Case, Chapter, need

__all__ = [
    "chapter",
    "array_function",
    "scalar_function",
    "tanh_derivatives",
    "exact_derivatives",
    "reference_newton",
]

chapter = Chapter("09_transformations", "Composable transformations", module=__name__)

#: Finite differences, the symbolic module and other AD libraries have no place in any answer.
_NO_APPROXIMATIONS = (
    "autodiff.numerical", "autodiff.numerical_gradient", "autodiff.numerical_jacobian",
    "autodiff.central_difference", "autodiff.forward_difference", "autodiff.complex_step",
    "autodiff.symbolic",
)
_JACOBIANS = (
    "autodiff.functional.jacfwd", "autodiff.functional.jacrev", "autodiff.functional.jacobian",
    "autodiff.functional.hessian", "autodiff.jacfwd", "autodiff.jacrev", "autodiff.jacobian",
    "autodiff.hessian", "autodiff.forward.jacfwd",
)

jacrev_ex = chapter.exercise(
    "9.1", "jacrev from vjp", ("jacrev_from_vjp",),
    forbidden=_JACOBIANS + _NO_APPROXIMATIONS + ("autodiff.functional.jvp", "autodiff.jvp", "autodiff.forward"),
)
jacfwd_ex = chapter.exercise(
    "9.2", "jacfwd from jvp", ("jacfwd_from_jvp",),
    forbidden=_JACOBIANS + _NO_APPROXIMATIONS + (
        "autodiff.functional.vjp", "autodiff.vjp", "autodiff.functional.grad", "autodiff.grad",
        "autodiff.functional.value_and_grad", "autodiff.value_and_grad",
    ),
)
hvp_ex = chapter.exercise(
    "9.3", "A Hessian-vector product in one evaluation", ("hvp",),
    forbidden=_JACOBIANS + _NO_APPROXIMATIONS + ("autodiff.functional.hvp", "autodiff.hvp"),
)
derivatives_ex = chapter.exercise(
    "9.4", "Derivatives of any order by nesting", ("derivatives",), forbidden=_NO_APPROXIMATIONS,
)
newton_ex = chapter.exercise(
    "9.5", "Newton's method", ("newton",), forbidden=_NO_APPROXIMATIONS + ("scipy",),
)

EXACT = close(rtol=1e-9, atol=1e-12)
TIGHT = close(rtol=1e-8, atol=1e-10)


def _rounded(rng: random.Random, shape: Sequence[int], scale: float = 1.0) -> list[Any]:
    """A nested list of normal numbers with 6 decimals (plain data, exact in JSON)."""
    generator = np.random.default_rng(rng.randrange(2**32))
    return np.round(scale * generator.standard_normal(tuple(shape)), 6).tolist()


def _array(value: Any, name: str) -> np.ndarray:
    """``value`` as a float64 array, or a TypeError naming what it was."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} is a {type(value).__name__}, not an array of numbers") from None
    return array


def _plain_array(value: Any, name: str) -> dict[str, Any]:
    """An array as plain data: its shape and its entries (a number for a 0-d array)."""
    a = _array(value, name)
    return {"shape": list(a.shape), "value": a.tolist()}


# -- the functions handed to the student -------------------------------------------------------


def array_function(name: str, params: dict[str, Any]) -> Callable[[Any], Any]:
    """The function ``name`` of arrays, with its parameters given as nested lists.

    Vector- and matrix-valued ones serve 9.1 and 9.2, scalar-valued ones 9.3.

    >>> f = array_function("tanh_layer", {"W": [[1.0, 0.0], [0.0, 2.0]], "b": [0.0, 0.0]})
    >>> f(np.array([0.0, 0.5])).round(6).tolist()
    [0.0, 0.761594]
    """
    p = {key: np.array(value, dtype=np.float64) for key, value in params.items()}
    if name == "tanh_layer":  # R^n -> R^m
        return lambda x: F.tanh(p["W"] @ x + p["b"])
    if name == "softmax":  # R^n -> R^m, every output depends on every input
        def softmax(x: Any) -> Any:
            e = F.exp(p["A"] @ x)
            return e / e.sum()
        return softmax
    if name == "outer":  # R^n -> R^(n x n)
        def outer(x: Any) -> Any:
            n = p["c"].shape[0]
            return F.exp(0.5 * x.reshape(n, 1) * x.reshape(1, n)) * p["c"]
        return outer
    if name == "rows":  # R^(a x b) -> R^a
        return lambda X: F.tanh(X) @ p["w"]
    if name == "columns":  # R^(a x b) -> R^(a x b)
        return lambda X: X * F.sigmoid(X).sum(axis=0)
    if name == "cubic":  # R^n -> R (a Jacobian of shape x.shape)
        return lambda x: (x**3).sum() * p["s"] + x[0] * x[1]
    if name == "tanh_squares":  # R^(a x b) -> R, the autodiff cookbook's example
        return lambda X: (F.tanh(X) ** 2).sum()
    if name == "logistic":  # R^n -> R, regularised logistic loss
        def logistic(w: Any) -> Any:
            margins = p["y"] * (p["Phi"] @ w)
            return F.softplus(-margins).mean() + 0.5 * p["lam"] * (w * w).sum()
        return logistic
    if name == "logsumexp":  # R^n -> R
        return lambda x: F.log(F.exp(p["A"] @ x).sum())
    if name == "network":  # R^(d h + h) -> R, squared error of a tanh network in its weights
        def network(theta: Any) -> Any:
            X, t = p["X"], p["t"]
            d, h = X.shape[1], int(p["h"])
            hidden = F.tanh(X @ theta[: d * h].reshape(d, h))
            return ((hidden @ theta[d * h:] - t) ** 2).mean()
        return network
    if name == "quartic":  # R^n -> R, strongly convex: sum x^4 / 4 + x^T A x / 2 - b^T x
        def quartic(x: Any) -> Any:
            return (x**4).sum() / 4.0 + 0.5 * (x * (p["A"] @ x)).sum() - (p["b"] * x).sum()
        return quartic
    if name == "quadratic":  # x^T A x / 2 - b^T x
        return lambda x: 0.5 * (x * (p["A"] @ x)).sum() - (p["b"] * x).sum()
    if name == "softplus_quadratic":  # sum softplus(B x) + x^T A x / 2 - b^T x
        def softplus_quadratic(x: Any) -> Any:
            return F.softplus(p["B"] @ x).sum() + 0.5 * (x * (p["A"] @ x)).sum() - (p["b"] * x).sum()
        return softplus_quadratic
    raise KeyError(f"no function {name!r}")


def _counted(function: Callable[[Any], Any], calls: list[int]) -> Callable[[Any], Any]:
    def f(x: Any) -> Any:
        calls[0] += 1
        return function(x)

    return f


# -- 9.1 and 9.2: Jacobians from the primitives --------------------------------------------------


@chapter.driver
def call_jacobian(ns: dict[str, Any], answer: str, name: str, params: dict[str, Any], x: Any) -> dict[str, Any]:
    """The student's ``answer`` (``jacrev_from_vjp`` or ``jacfwd_from_jvp``) on the function
    ``name`` at ``x``: the Jacobian as plain data, and how often it called the function."""
    calls = [0]
    f = _counted(array_function(name, params), calls)
    result = need(ns, answer)(f, np.array(x, dtype=np.float64))
    return {**_plain_array(result, "the Jacobian"), "calls": calls[0]}


def _jacobian_case(answer: str, name: str, params: dict[str, Any], x: Any, hint: str = "") -> Case:
    point = np.array(x, dtype=np.float64)
    f = array_function(name, params)
    oracle = fn.jacfwd if answer == "jacrev_from_vjp" else fn.jacrev  # the other mode
    J = np.asarray(oracle(f)(point), dtype=np.float64)
    calls = 1 if answer == "jacrev_from_vjp" else point.size
    expected = {"shape": list(J.shape), "value": J.tolist(), "calls": calls}
    shape = "x".join(str(s) for s in point.shape)
    return Case(f"{name}, x of shape {shape}", call_jacobian, (answer, name, params, point.tolist()), expected, EXACT, hint=hint)


def _vector_cases(rng: random.Random, answer: str) -> list[Case]:
    """Random functions of every kind, with inputs and outputs of several shapes."""
    cases = []
    for _ in range(2):
        n, m = rng.randint(2, 6), rng.randint(1, 7)
        cases.append(_jacobian_case(answer, "tanh_layer", {"W": _rounded(rng, (m, n), 0.8), "b": _rounded(rng, (m,))},
                                    _rounded(rng, (n,))))
    n, m = rng.randint(2, 5), rng.randint(2, 5)
    cases.append(_jacobian_case(answer, "softmax", {"A": _rounded(rng, (m, n), 0.7)}, _rounded(rng, (n,))))
    n = rng.randint(2, 4)
    cases.append(_jacobian_case(answer, "outer", {"c": _rounded(rng, (n, n))}, _rounded(rng, (n,), 0.8)))
    a, b = rng.randint(2, 4), rng.randint(2, 4)
    cases.append(_jacobian_case(answer, "rows", {"w": _rounded(rng, (b,))}, _rounded(rng, (a, b))))
    a, b = rng.randint(2, 3), rng.randint(2, 3)
    cases.append(_jacobian_case(answer, "columns", {}, _rounded(rng, (a, b))))
    n = rng.randint(2, 6)
    cases.append(_jacobian_case(answer, "cubic", {"s": round(rng.uniform(0.5, 2.0), 6)}, _rounded(rng, (n,))))
    return cases


_TANH_LAYER = {"W": [[1.0, -2.0, 0.5], [0.3, 0.0, -1.0]], "b": [0.1, -0.2]}


@jacrev_ex.check(points=1)
def jacrev_public(rng: random.Random) -> list[Case]:
    return [
        _jacobian_case("jacrev_from_vjp", "tanh_layer", _TANH_LAYER, [0.5, -1.0, 2.0],
                       "one fn.vjp(f, x), then one pullback per output element: pullback(e_i) is row i"),
        _jacobian_case("jacrev_from_vjp", "rows", {"w": [1.0, -1.0, 2.0]}, [[0.5, 1.0, -0.3], [0.2, -0.7, 1.5]],
                       "the result has shape f(x).shape + x.shape: reshape each row to x.shape"),
    ]


@jacrev_ex.check(points=2, hidden=True)
def jacrev_random(rng: random.Random) -> list[Case]:
    return _vector_cases(rng, "jacrev_from_vjp")


@jacfwd_ex.check(points=1)
def jacfwd_public(rng: random.Random) -> list[Case]:
    return [
        _jacobian_case("jacfwd_from_jvp", "tanh_layer", _TANH_LAYER, [0.5, -1.0, 2.0],
                       "one fn.jvp(f, x, e_j) per input: its tangent is column j"),
        _jacobian_case("jacfwd_from_jvp", "rows", {"w": [1.0, -1.0, 2.0]}, [[0.5, 1.0, -0.3], [0.2, -0.7, 1.5]],
                       "the basis vectors e_j have the shape of x; the columns go last: f(x).shape + x.shape"),
    ]


@jacfwd_ex.check(points=2, hidden=True)
def jacfwd_random(rng: random.Random) -> list[Case]:
    return _vector_cases(rng, "jacfwd_from_jvp")


# -- 9.3 Hessian-vector products -----------------------------------------------------------------


@chapter.driver
def call_hvp(ns: dict[str, Any], name: str, params: dict[str, Any], x: Any, v: Any) -> dict[str, Any]:
    """The student's ``hvp(f, x, v)`` on the scalar function ``name``, and how often it called f."""
    calls = [0]
    f = _counted(array_function(name, params), calls)
    result = need(ns, "hvp")(f, np.array(x, dtype=np.float64), np.array(v, dtype=np.float64))
    return {**_plain_array(result, "the Hessian-vector product"), "calls": calls[0]}


def _hvp_case(name: str, params: dict[str, Any], x: Any, v: Any, hint: str = "") -> Case:
    point, direction = np.array(x, dtype=np.float64), np.array(v, dtype=np.float64)
    f = array_function(name, params)
    H = np.asarray(fn.jacrev(fn.jacrev(f))(point), dtype=np.float64)  # reverse over reverse
    Hv = np.tensordot(H, direction, axes=point.ndim)
    expected = {"shape": list(Hv.shape), "value": Hv.tolist(), "calls": 1}
    shape = "x".join(str(s) for s in point.shape)
    return Case(f"{name}, x of shape {shape}", call_hvp, (name, params, point.tolist(), direction.tolist()),
                expected, TIGHT, hint=hint)


def _logistic_params(rng: random.Random, n: int, examples: int = 20) -> dict[str, Any]:
    return {"Phi": _rounded(rng, (examples, n)), "y": [rng.choice((-1.0, 1.0)) for _ in range(examples)],
            "lam": round(rng.uniform(0.01, 0.2), 6)}


@hvp_ex.check(points=1)
def hvp_public(rng: random.Random) -> list[Case]:
    return [
        _hvp_case("tanh_squares", {}, [[0.5, -1.0, 0.3], [1.2, 0.0, -0.4]], [[1.0, 0.0, 2.0], [-1.0, 0.5, 0.0]],
                  "H v is the JVP of the gradient: fn.jvp(fn.grad(f), x, v) evaluates f once"),
        _hvp_case("logsumexp", {"A": [[1.0, 2.0], [0.5, -1.0], [-0.3, 0.4]]}, [0.2, -0.1], [1.0, 1.0]),
    ]


@hvp_ex.check(points=3, hidden=True)
def hvp_random(rng: random.Random) -> list[Case]:
    cases = []
    a, b = rng.randint(2, 4), rng.randint(2, 4)
    cases.append(_hvp_case("tanh_squares", {}, _rounded(rng, (a, b)), _rounded(rng, (a, b))))
    for _ in range(2):
        n = rng.randint(2, 6)
        cases.append(_hvp_case("logistic", _logistic_params(rng, n), _rounded(rng, (n,)), _rounded(rng, (n,))))
    n, m = rng.randint(2, 5), rng.randint(2, 5)
    cases.append(_hvp_case("logsumexp", {"A": _rounded(rng, (m, n), 0.7)}, _rounded(rng, (n,)), _rounded(rng, (n,))))
    d, h = rng.randint(2, 3), rng.randint(2, 4)
    params = {"X": _rounded(rng, (8, d)), "t": _rounded(rng, (8,)), "h": h}
    cases.append(_hvp_case("network", params, _rounded(rng, (d * h + h,), 0.7), _rounded(rng, (d * h + h,))))
    n = rng.randint(2, 5)
    params = {"A": _spd(rng, n), "b": _rounded(rng, (n,))}
    cases.append(_hvp_case("quartic", params, _rounded(rng, (n,)), _rounded(rng, (n,))))
    return cases


# -- 9.4 derivatives of any order ----------------------------------------------------------------


def scalar_function(name: str, params: dict[str, float]) -> Callable[[Any], Any]:
    """The function ``name`` of one number, for 9.4 (it runs on floats, ``Value`` and ``Dual``).

    >>> round(scalar_function("sin", {"a": 2.0, "b": 0.0})(0.25), 6) == round(math.sin(0.5), 6)
    True
    """
    a, b = params.get("a", 1.0), params.get("b", 0.0)
    if name == "tanh":
        return lambda x: F.tanh(a * x + b)
    if name == "sigmoid":
        return lambda x: F.sigmoid(a * x + b)
    if name == "sin":
        return lambda x: F.sin(a * x + b)
    if name == "exp":
        return lambda x: b * F.exp(a * x)
    if name == "poly":
        coefficients = params["c"]

        def poly(x: Any) -> Any:  # Horner's rule: c0 + x (c1 + x (c2 + ...))
            total = coefficients[-1]
            for c in reversed(coefficients[:-1]):
                total = total * x + c
            return total

        return poly
    raise KeyError(f"no function {name!r}")


def tanh_derivatives(x: float, k: int, a: float = 1.0, b: float = 0.0) -> list[float]:
    """``[g(x), g'(x), ..., g^(k)(x)]`` for ``g(x) = tanh(a x + b)``, exactly: with ``t = tanh(a x + b)``,
    ``g^(j) = a^j p_j(t)``, where ``p_0(t) = t`` and ``p_(j+1) = p_j'(t) (1 - t^2)``.

    >>> [round(d, 4) + 0.0 for d in tanh_derivatives(0.0, 3)]
    [0.0, 1.0, 0.0, -2.0]
    """
    t = math.tanh(a * x + b)
    p = np.polynomial.Polynomial([0.0, 1.0])
    one_minus_t2 = np.polynomial.Polynomial([1.0, 0.0, -1.0])
    out = []
    for j in range(k + 1):
        out.append(float(a**j * p(t)))
        p = p.deriv() * one_minus_t2
    return out


def exact_derivatives(name: str, params: dict[str, Any], x: float, k: int) -> list[float]:
    """``[f(x), f'(x), ..., f^(k)(x)]`` for :func:`scalar_function` ``name``, from closed forms.

    >>> [round(d, 6) for d in exact_derivatives("sin", {"a": 1.0, "b": 0.0}, 0.0, 3)]
    [0.0, 1.0, 0.0, -1.0]
    """
    a, b = params.get("a", 1.0), params.get("b", 0.0)
    if name == "tanh":
        return tanh_derivatives(x, k, a, b)
    if name == "sigmoid":  # sigmoid(u) = (1 + tanh(u / 2)) / 2
        out = [0.5 * d for d in tanh_derivatives(x, k, a / 2, b / 2)]
        out[0] += 0.5
        return out
    if name == "sin":
        return [a**j * math.sin(a * x + b + j * math.pi / 2) for j in range(k + 1)]
    if name == "exp":
        return [b * a**j * math.exp(a * x) for j in range(k + 1)]
    if name == "poly":
        p = np.polynomial.Polynomial(params["c"])
        return [float(p.deriv(j)(x)) for j in range(k + 1)]
    raise KeyError(f"no function {name!r}")


@chapter.driver
def call_derivatives(ns: dict[str, Any], name: str, params: dict[str, Any], x: float, k: int) -> list[float]:
    """The student's ``derivatives(f, x, k)`` on the function ``name``, as a list of floats."""
    result = need(ns, "derivatives")(scalar_function(name, params), x, k)
    if isinstance(result, np.ndarray):
        result = result.tolist()
    if not isinstance(result, (list, tuple)):
        raise TypeError(f"derivatives returned a {type(result).__name__}; return a list of k + 1 numbers")
    return [float(_array(d, f"entry {j}")) for j, d in enumerate(result)]


def _derivatives_case(name: str, params: dict[str, Any], x: float, k: int, hint: str = "") -> Case:
    shown = ", ".join(f"{key}={value:g}" for key, value in params.items() if key != "c")
    label = f"{name}({shown}) at {x:g}, k={k}" if shown else f"{name} at {x:g}, k={k}"
    return Case(label, call_derivatives, (name, params, x, k), exact_derivatives(name, params, x, k),
                close(rtol=1e-9, atol=1e-10), hint=hint)


@derivatives_ex.check(points=1)
def derivatives_public(rng: random.Random) -> list[Case]:
    return [
        _derivatives_case("tanh", {"a": 1.0, "b": 0.0}, 2.0, 3,
                          "the list starts with f(x) itself; the 2nd derivative of tanh at 2 is -0.1362"),
        _derivatives_case("sin", {"a": 1.0, "b": 0.0}, 0.5, 4, "nest fn.grad: d = f, then d = fn.grad(d), k times"),
    ]


@derivatives_ex.check(points=2, hidden=True)
def derivatives_random(rng: random.Random) -> list[Case]:
    cases = []
    for name in ("tanh", "sigmoid", "sin", "exp"):
        params = {"a": round(rng.uniform(0.5, 1.5), 6), "b": round(rng.uniform(-1.0, 1.0), 6)}
        cases.append(_derivatives_case(name, params, round(rng.uniform(-1.5, 1.5), 6), rng.randint(1, 4)))
    coefficients = [round(rng.uniform(-2.0, 2.0), 6) for _ in range(6)]
    cases.append(_derivatives_case("poly", {"c": coefficients}, round(rng.uniform(-1.5, 1.5), 6), 5))
    cases.append(_derivatives_case("tanh", {"a": 1.0, "b": 0.0}, round(rng.uniform(-2.0, 2.0), 6), 0))
    return cases


# -- 9.5 Newton's method ---------------------------------------------------------------------------

NEWTON_TOL = 1e-10
NEWTON_MAX_STEPS = 50


def _spd(rng: random.Random, n: int) -> list[list[float]]:
    """A symmetric positive definite matrix with eigenvalues between about 0.5 and 5."""
    generator = np.random.default_rng(rng.randrange(2**32))
    Q, _ = np.linalg.qr(generator.standard_normal((n, n)))
    eigenvalues = generator.uniform(0.5, 5.0, size=n)
    A = (Q * eigenvalues) @ Q.T
    return np.round((A + A.T) / 2, 6).tolist()


def reference_newton(f: Callable[[Any], Any], x0: Sequence[float], tol: float = NEWTON_TOL,
                     max_steps: int = NEWTON_MAX_STEPS) -> tuple[list[float], int]:
    """Pure Newton from ``x0``: stop when the gradient's norm is at most ``tol``; the point and the
    number of Newton steps taken.

    >>> x, steps = reference_newton(array_function("quadratic", {"A": [[2.0, 0.0], [0.0, 4.0]],
    ...                                                         "b": [2.0, 4.0]}), [5.0, -3.0])
    >>> [round(v, 12) for v in x], steps
    ([1.0, 1.0], 1)
    """
    x = np.array(x0, dtype=np.float64)
    gradient, hessian = fn.grad(f), fn.hessian(f)
    for step in range(max_steps):
        g = gradient(x)
        if np.linalg.norm(g) <= tol:
            return x.tolist(), step
        x = x - np.linalg.solve(hessian(x), g)
    return x.tolist(), max_steps


@chapter.driver
def call_newton(ns: dict[str, Any], name: str, params: dict[str, Any], x0: list[float], tol: float,
                max_steps: int) -> dict[str, Any]:
    """The student's ``newton(f, x0, tol, max_steps)``: the point it returns and its step count."""
    result = need(ns, "newton")(array_function(name, params), np.array(x0, dtype=np.float64), tol, max_steps)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"newton returned a {type(result).__name__}; return the pair (x, steps)")
    x, steps = result
    if isinstance(steps, (bool, np.bool_)) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"newton returned {type(steps).__name__} steps; return the number of steps as an int")
    return {"x": _array(x, "x").tolist(), "steps": int(steps)}


def _newton_problem(got: Any, expected: Any) -> str | None:
    if type(got) is not dict or "x" not in got or "steps" not in got:
        return "expected the point and the number of steps"
    problem = close(rtol=1e-7, atol=1e-8)(got["x"], expected["x"])
    if problem:
        return f"x is not the minimiser: {problem}"
    steps, reference = got["steps"], expected["steps"]
    if abs(steps - reference) > 1:
        return f"{steps} steps; Newton's method from this start needs {reference}"
    return None


def _newton_case(name: str, params: dict[str, Any], x0: list[float], hint: str = "") -> Case:
    x_star, steps = reference_newton(array_function(name, params), x0)
    gradient = np.asarray(fn.grad(array_function(name, params))(np.array(x_star)))
    if steps >= NEWTON_MAX_STEPS or np.linalg.norm(gradient) > NEWTON_TOL:  # pragma: no cover - drawn to converge
        raise RuntimeError(f"ch09: the reference Newton iteration did not converge on {name} from {x0}")
    return Case(f"{name}, x0 of size {len(x0)}", call_newton, (name, params, x0, NEWTON_TOL, NEWTON_MAX_STEPS),
                {"x": x_star, "steps": steps}, _newton_problem, hint=hint,
                show=f"the minimiser, {steps} step{'s' if steps != 1 else ''} (±1)")


@newton_ex.check(points=1)
def newton_public(rng: random.Random) -> list[Case]:
    return [
        _newton_case("quadratic", {"A": [[3.0, 1.0], [1.0, 2.0]], "b": [1.0, -1.0]}, [4.0, 4.0],
                     "on a quadratic, one step x - H^-1 g lands on the minimiser: solve H d = g"),
        _newton_case("logistic", {"Phi": [[1.0, 0.5], [-0.3, 1.0], [0.8, -1.2], [-1.0, -0.4], [0.2, 0.9]],
                                  "y": [1.0, 1.0, -1.0, -1.0, 1.0], "lam": 0.1}, [0.0, 0.0],
                     "stop as soon as the gradient's norm is at most tol, and count the steps taken"),
    ]


@newton_ex.check(points=3, hidden=True)
def newton_random(rng: random.Random) -> list[Case]:
    cases = []
    n = rng.randint(2, 5)
    cases.append(_newton_case("quadratic", {"A": _spd(rng, n), "b": _rounded(rng, (n,))}, _rounded(rng, (n,), 3.0)))
    for _ in range(2):
        n = rng.randint(2, 5)
        cases.append(_newton_case("logistic", _logistic_params(rng, n, examples=30), [0.0] * n))
    n = rng.randint(2, 4)
    params = {"A": _spd(rng, n), "b": _rounded(rng, (n,))}
    cases.append(_newton_case("quartic", params, _rounded(rng, (n,))))
    n, m = rng.randint(2, 4), rng.randint(2, 5)
    params = {"B": _rounded(rng, (m, n), 0.7), "A": _spd(rng, n), "b": _rounded(rng, (n,))}
    cases.append(_newton_case("softplus_quadratic", params, _rounded(rng, (n,))))
    return cases
