"""Checks of the graded set of chapter 3, "Forward mode and dual numbers" (``03_forward_mode``).

====  ==============================================  =========================================
id    task                                            oracle
====  ==============================================  =========================================
3.1   ``tangent_trace(x1, x2, dx1, dx2)``: the         central differences of every line of the
      tangents of a five-line trace, by hand           trace along the seed
3.2   ``mul``, ``div`` for the notebook's ``Dual``     central differences along the tangents;
                                                       ``ValueError`` for a zero divisor
3.3   ``sin``, ``exp``, ``log`` for the ``Dual``       central differences, also of compositions;
                                                       ``ValueError`` for log of x <= 0
3.4   ``jacobian(f, x)`` from ``autodiff.jvp``          the Jacobian by hand (each output is a sum
                                                       of terms c·u(x_j)·x_k); the number of calls
                                                       of ``f`` must be the number of inputs
3.5   ``derivative(f, x)`` with levels: nested         closed forms of nested probes, including
      derivatives without perturbation confusion      the classic one that untagged duals get wrong
3.6   ``taylor2(f, x)``: f, f', f'' from one call      closed forms; exactly one call of ``f``
====  ==============================================  =========================================

Exercises 3.1 to 3.3 are plain Python (the ``autodiff`` package is the thing being rebuilt); 3.4 to
3.6 use the package's ``Dual``, ``jvp`` and ``autodiff.levels`` but not the functions they
re-implement (``jacfwd``, ``derivative``, the numerical module). Each exercise is checkable on its
own: 3.3 does not call the student's ``mul`` or ``div``, and 3.4 to 3.6 use only the package.

The module's public object is :data:`chapter`; the drivers and checks are reached through it.

>>> [(e.id, e.points) for e in chapter.exercises.values()]
[('3.1', 3), ('3.2', 3), ('3.3', 3), ('3.4', 4), ('3.5', 4), ('3.6', 3)]
>>> sum(e.points for e in chapter.exercises.values())
20
>>> [round(t, 6) for t in trace_tangents_expected(1.0, 2.0, 1.0, 0.0)]
[2.0, -0.832294, 2.718282, 1.359141, 0.526847]
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Sequence
from typing import Any

from autodiff.grading.compare import close
from autodiff.grading.registry import Case, Chapter, need
from autodiff.numerical import central_difference

__all__ = ["chapter", "trace_values", "trace_tangents_expected"]

chapter = Chapter("03_forward_mode", "Forward mode and dual numbers", module=__name__)

_NO_PACKAGE = {"forbidden": ("autodiff",), "allowed": ("autodiff.grading",)}
_NUMERICAL = (
    "autodiff.numerical",
    "autodiff.numerical_jacobian",
    "autodiff.numerical_gradient",
    "autodiff.central_difference",
    "autodiff.forward_difference",
    "autodiff.complex_step",
)
_FORWARD_API = (
    "autodiff.derivative",
    "autodiff.forward.derivative",
    "autodiff.jvp",
    "autodiff.forward.jvp",
    "autodiff.jacfwd",
    "autodiff.forward.jacfwd",
    "autodiff.forward._split_output",
    "autodiff.functional",
)

trace = chapter.exercise("3.1", "A tangent trace by hand", ("tangent_trace",), **_NO_PACKAGE)
arithmetic = chapter.exercise("3.2", "Dual numbers: product and quotient", ("mul", "div"), **_NO_PACKAGE)
elementary = chapter.exercise("3.3", "Dual numbers: sin, exp and log", ("sin", "exp", "log"), **_NO_PACKAGE)
jacobian = chapter.exercise(
    "3.4", "A Jacobian by forward passes", ("jacobian",),
    forbidden=("autodiff.jacfwd", "autodiff.forward.jacfwd", "autodiff.functional", *_NUMERICAL),
)
nested = chapter.exercise(
    "3.5", "Nested derivatives without perturbation confusion", ("derivative",),
    forbidden=(*_FORWARD_API, *_NUMERICAL),
)
taylor = chapter.exercise(
    "3.6", "f, f' and f'' from one nested dual number", ("taylor2",), forbidden=(*_FORWARD_API, *_NUMERICAL)
)

EXACT = close(rtol=1e-9, atol=1e-12)
DIFFERENCED = close(rtol=1e-6, atol=1e-8)


def _r(rng: random.Random, low: float, high: float) -> float:
    return round(rng.uniform(low, high), 6)


def _away_from_zero(rng: random.Random, low: float, high: float) -> float:
    return _r(rng, low, high) * rng.choice((-1, 1))


def _dual_text(pair: Sequence[float]) -> str:
    """``[3, -1]`` as ``3 − 1ε``."""
    sign = "−" if pair[1] < 0 else "+"
    return f"{pair[0]:g} {sign} {abs(pair[1]):g}ε"


# -- 3.1 the tangent trace of y = sin(x1 x2) + exp(x1) / x2 ------------------------------------


def trace_values(x1: float, x2: float) -> list[float]:
    """``[v1, ..., v5]`` of the trace v1 = x1·x2, v2 = sin v1, v3 = exp x1, v4 = v3 / x2, v5 = v2 + v4.

    >>> [round(v, 6) for v in trace_values(1.0, 2.0)]
    [2.0, 0.909297, 2.718282, 1.359141, 2.268438]
    """
    v1 = x1 * x2
    v2 = math.sin(v1)
    v3 = math.exp(x1)
    v4 = v3 / x2
    return [v1, v2, v3, v4, v2 + v4]


def trace_tangents_expected(x1: float, x2: float, dx1: float, dx2: float) -> list[float]:
    """The tangents of v1..v5 along the seed (dx1, dx2), by central differences of each line."""
    return [
        central_difference(lambda s, i=i: trace_values(x1 + s * dx1, x2 + s * dx2)[i], 0.0) for i in range(5)
    ]


@chapter.driver
def tangents_of(ns: dict[str, Any], x1: float, x2: float, dx1: float, dx2: float) -> Any:
    """The student's ``tangent_trace(x1, x2, dx1, dx2)``, as a list."""
    out = need(ns, "tangent_trace")(x1, x2, dx1, dx2)
    return list(out) if isinstance(out, (list, tuple)) or hasattr(out, "tolist") else out


def _trace_case(x1: float, x2: float, dx1: float, dx2: float, hint: str = "") -> Case:
    return Case(
        f"tangent_trace({x1:g}, {x2:g}, {dx1:g}, {dx2:g})",
        tangents_of,
        (x1, x2, dx1, dx2),
        trace_tangents_expected(x1, x2, dx1, dx2),
        DIFFERENCED,
        hint=hint,
    )


@trace.check(points=1)
def trace_public(rng: random.Random) -> list[Case]:
    return [
        _trace_case(1.0, 2.0, 1.0, 0.0, "dv1 = dx1·x2 + x1·dx2, dv2 = cos(v1)·dv1, dv3 = v3·dx1, ..."),
        _trace_case(1.0, 2.0, 0.0, 1.0, "a quotient v3 / x2 has the tangent (dv3 − v4·dx2) / x2"),
    ]


@trace.check(points=2, hidden=True)
def trace_random(rng: random.Random) -> list[Case]:
    return [
        _trace_case(_r(rng, -2, 2), _away_from_zero(rng, 0.5, 2.5), _r(rng, -2, 2), _r(rng, -2, 2))
        for _ in range(8)
    ]


# -- 3.2 and 3.3: the notebook's Dual --------------------------------------------------------


def _dual(ns: dict[str, Any], pair: Sequence[float]) -> Any:
    return need(ns, "Dual")(pair[0], pair[1])


def _as_result(ns: dict[str, Any], out: Any, name: str) -> dict[str, Any]:
    dual_class = need(ns, "Dual")
    if not isinstance(out, dual_class):
        raise TypeError(f"{name} returned a {type(out).__name__}, not a Dual")
    return {"primal": out.primal, "tangent": out.tangent}


@chapter.driver
def dual_binary(ns: dict[str, Any], name: str, a: list[float], b: list[float] | None) -> dict[str, Any]:
    """``name(Dual(*a), Dual(*b))``, or ``name(x, x)`` for one dual ``x = Dual(*a)`` if ``b`` is None;
    also reports the inputs afterwards (an operation must not change them)."""
    first = _dual(ns, a)
    second = first if b is None else _dual(ns, b)
    result = _as_result(ns, need(ns, name)(first, second), name)
    inputs = [first] if b is None else [first, second]
    result["inputs"] = [[d.primal, d.tangent] for d in inputs]
    return result


@chapter.driver
def dual_unary(ns: dict[str, Any], names: list[str], a: list[float]) -> dict[str, Any]:
    """The student's functions ``names`` applied in turn to ``Dual(*a)`` (the first one first)."""
    value = _dual(ns, a)
    for name in names:
        value = need(ns, name)(value)
        _as_result(ns, value, name)  # a Dual at every step, or a TypeError that says which
    return _as_result(ns, value, names[-1])


@chapter.driver
def dual_raises(ns: dict[str, Any], name: str, duals: list[list[float]]) -> dict[str, Any]:
    """Which exception ``name(*[Dual(*d) for d in duals])`` raises (``None`` if it returns)."""
    args = [_dual(ns, d) for d in duals]
    try:
        need(ns, name)(*args)
    except NotImplementedError:
        raise
    except ValueError:
        return {"raised": "ValueError"}
    except Exception as error:  # noqa: BLE001 - the wrong exception is an answer too
        return {"raised": type(error).__name__}
    return {"raised": None}


_BINARY: dict[str, Callable[[float, float], float]] = {"mul": lambda p, q: p * q, "div": lambda p, q: p / q}
_UNARY_MATH: dict[str, Callable[[float], float]] = {"sin": math.sin, "exp": math.exp, "log": math.log}


def _binary_case(name: str, a: list[float], b: list[float] | None, hint: str = "") -> Case:
    op = _BINARY[name]
    bb = a if b is None else b
    tangent = central_difference(lambda s: op(a[0] + s * a[1], bb[0] + s * bb[1]), 0.0)
    inputs = [a] if b is None else [a, b]
    expected = {"primal": op(a[0], bb[0]), "tangent": tangent, "inputs": inputs}
    shown = f"{name}(x, x), x = {_dual_text(a)}" if b is None else f"{name}({_dual_text(a)}, {_dual_text(b)})"
    return Case(shown, dual_binary, (name, a, b), expected, DIFFERENCED, hint=hint)


def _unary_case(names: list[str], a: list[float], hint: str = "") -> Case:
    def composed(t: float) -> float:
        for name in names:
            t = _UNARY_MATH[name](t)
        return t

    tangent = central_difference(lambda s: composed(a[0] + s * a[1]), 0.0)
    text = "(".join(reversed(names)) + f"({_dual_text(a)}" + ")" * len(names)
    return Case(text, dual_unary, (names, a), {"primal": composed(a[0]), "tangent": tangent}, DIFFERENCED,
                hint=hint)


_PRODUCT = "(a + bε)(c + dε) = ac + (ad + bc)ε"
_QUOTIENT = "(a + bε)/(c + dε) = a/c + (bc − ad)/c² ε"


@arithmetic.check(points=1)
def arithmetic_public(rng: random.Random) -> list[Case]:
    return [
        _binary_case("mul", [3.0, 1.0], [2.0, 0.0], _PRODUCT),
        _binary_case("mul", [3.0, 1.0], [2.0, 5.0], _PRODUCT),
        _binary_case("mul", [3.0, 1.0], None, "x · x: both tangent terms, 2·a·b, and the inputs unchanged"),
        _binary_case("div", [3.0, 2.0], [4.0, -1.0], _QUOTIENT),
        Case("div(1 + 0ε, 0 + 1ε) raises ValueError", dual_raises, ("div", [[1.0, 0.0], [0.0, 1.0]]),
             {"raised": "ValueError"}, hint="check b.primal == 0 first and raise ValueError('div: ...')"),
    ]


@arithmetic.check(points=1, hidden=True)
def mul_random(rng: random.Random) -> list[Case]:
    cases = [_binary_case("mul", [_r(rng, -4, 4), _r(rng, -2, 2)], [_r(rng, -4, 4), _r(rng, -2, 2)])
             for _ in range(6)]
    cases += [_binary_case("mul", [_r(rng, -4, 4), _r(rng, -2, 2)], None) for _ in range(2)]
    return cases


@arithmetic.check(points=1, hidden=True)
def div_random(rng: random.Random) -> list[Case]:
    cases = [_binary_case("div", [_r(rng, -4, 4), _r(rng, -2, 2)], [_away_from_zero(rng, 0.5, 4), _r(rng, -2, 2)])
             for _ in range(6)]
    cases.append(_binary_case("div", [_away_from_zero(rng, 0.5, 4), _r(rng, -2, 2)], None))
    zero = [[_r(rng, -4, 4), _r(rng, -2, 2)], [0.0, _r(rng, 0.5, 2)]]
    cases.append(Case("div by a dual with primal 0 raises ValueError", dual_raises, ("div", zero),
                      {"raised": "ValueError"}))
    return cases


@elementary.check(points=1)
def elementary_public(rng: random.Random) -> list[Case]:
    return [
        _unary_case(["sin"], [0.5, 1.0], "sin(a + bε) = sin a + cos(a)·b ε"),
        _unary_case(["exp"], [1.0, 2.0], "exp(a + bε) = exp a + exp(a)·b ε"),
        _unary_case(["log"], [2.0, 3.0], "log(a + bε) = log a + (b / a) ε"),
        _unary_case(["exp", "sin"], [0.3, 1.0], "the chain rule is automatic: sin(exp(x))"),
        Case("log(-1 + 1ε) raises ValueError", dual_raises, ("log", [[-1.0, 1.0]]), {"raised": "ValueError"},
             hint="log of x <= 0 has no real value: raise ValueError, never return nan"),
    ]


@elementary.check(points=1, hidden=True)
def elementary_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(3):
        cases.append(_unary_case(["sin"], [_r(rng, -4, 4), _r(rng, -2, 2)]))
        cases.append(_unary_case(["exp"], [_r(rng, -3, 3), _r(rng, -2, 2)]))
        cases.append(_unary_case(["log"], [_r(rng, 0.2, 5), _r(rng, -2, 2)]))
    cases.append(Case("log(0 + 1ε) raises ValueError", dual_raises, ("log", [[0.0, 1.0]]), {"raised": "ValueError"}))
    return cases


@elementary.check(points=1, hidden=True)
def elementary_compositions(rng: random.Random) -> list[Case]:
    chains = [["sin", "exp"], ["exp", "log"], ["log", "sin"], ["exp", "sin", "exp"], ["sin", "exp", "log"]]
    return [_unary_case(names, [_r(rng, 0.3, 2), _r(rng, -2, 2)]) for names in chains]


# -- 3.4 a Jacobian by forward passes --------------------------------------------------------

# Each output of a test function is a sum of terms [c, j, k, u]: c · u(x_j) · x_k, or c · u(x_j)
# when k is -1. The functions u are the package's dispatching ones (so they work on Duals) and,
# in the grader, math and their derivatives.
_U_NAMES = ("id", "sin", "exp", "tanh", "log")


def _u_package(name: str) -> Callable[[Any], Any]:
    import autodiff

    return {"id": lambda t: t, "sin": autodiff.sin, "exp": autodiff.exp, "tanh": autodiff.tanh,
            "log": autodiff.log}[name]


_U_MATH: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    "id": (lambda t: t, lambda t: 1.0),
    "sin": (math.sin, math.cos),
    "exp": (math.exp, math.exp),
    "tanh": (math.tanh, lambda t: 1.0 - math.tanh(t) ** 2),
    "log": (math.log, lambda t: 1.0 / t),
}


def spec_function(spec: list[list[list[Any]]]) -> Callable[[Any], list[Any]]:
    """The test function of a spec, written with the package's elementary functions.

    >>> spec_function([[[2.0, 0, 1, "sin"]], [[1.0, 1, -1, "id"]]])([0.5, 3.0]) == [2 * math.sin(0.5) * 3, 3.0]
    True
    """
    units = [[(c, j, k, _u_package(u)) for c, j, k, u in terms] for terms in spec]

    def f(x: Any) -> list[Any]:
        outputs = []
        for terms in units:
            total: Any = 0.0
            for c, j, k, u in terms:
                term = c * u(x[j])
                total = total + (term if k < 0 else term * x[k])
            outputs.append(total)
        return outputs

    return f


def spec_jacobian(spec: list[list[list[Any]]], x: Sequence[float]) -> list[list[float]]:
    """The Jacobian of :func:`spec_function` at ``x``, by hand (product rule on each term).

    >>> spec_jacobian([[[2.0, 0, 1, "sin"]]], [0.0, 3.0])
    [[6.0, 0.0]]
    """
    jac = [[0.0] * len(x) for _ in spec]
    for i, terms in enumerate(spec):
        for c, j, k, u in terms:
            fn, dfn = _U_MATH[u]
            factor = 1.0 if k < 0 else x[k]
            jac[i][j] += c * dfn(x[j]) * factor
            if k >= 0:
                jac[i][k] += c * fn(x[j])
    return jac


@chapter.driver
def jacobian_of(ns: dict[str, Any], spec: list[list[list[Any]]], x: list[float]) -> dict[str, Any]:
    """The student's ``jacobian(f, x)`` for the spec's function, as a list of rows, and how many
    times it called ``f``."""
    import numpy as np

    inner = spec_function(spec)
    calls = [0]

    def f(point: Any) -> list[Any]:
        calls[0] += 1
        return inner(point)

    out = need(ns, "jacobian")(f, np.array(x, dtype=float))
    return {"jacobian": np.asarray(out, dtype=float).tolist(), "calls": calls[0]}


def _jacobian_case(label: str, spec: list[list[list[Any]]], x: list[float], hint: str = "") -> Case:
    expected = {"jacobian": spec_jacobian(spec, x), "calls": len(x)}
    return Case(label, jacobian_of, (spec, x), expected, EXACT, hint=hint)


_COLUMNS = "column j is the tangent of jvp(f, x, e_j); stack the columns so that J[i][j] = df_i/dx_j"
_SMALL = [[[1.0, 0, 1, "id"]], [[1.0, 0, -1, "sin"], [1.0, 1, 1, "id"]], [[1.0, 0, 1, "exp"]]]
_RUNNING = [[[1.0, 0, -1, "log"], [1.0, 0, 1, "id"], [-1.0, 1, -1, "sin"]]]


def _random_spec(rng: random.Random, n: int, m: int) -> list[list[list[Any]]]:
    return [
        [[_r(rng, -2, 2), rng.randrange(n), rng.randrange(-1, n), rng.choice(_U_NAMES[:4])]
         for _ in range(rng.randint(1, 3))]
        for _ in range(m)
    ]


@jacobian.check(points=1)
def jacobian_public(rng: random.Random) -> list[Case]:
    return [
        _jacobian_case("f(x) = [x0·x1, sin x0 + x1², exp(x0)·x1] at (0.5, 2)", _SMALL, [0.5, 2.0], _COLUMNS),
        _jacobian_case("f(x) = ln x0 + x0·x1 − sin x1 at (2, 5)", _RUNNING, [2.0, 5.0], _COLUMNS),
    ]


@jacobian.check(points=2, hidden=True)
def jacobian_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(5):
        n, m = rng.randint(1, 5), rng.randint(1, 5)
        x = [_r(rng, -1.5, 1.5) for _ in range(n)]
        cases.append(_jacobian_case(f"a random f: R^{n} -> R^{m}", _random_spec(rng, n, m), x))
    return cases


@jacobian.check(points=1, hidden=True)
def jacobian_passes(rng: random.Random) -> list[Case]:
    shapes = [(7, 1), (1, 7), (3, 6)]
    cases = []
    for n, m in shapes:
        x = [_r(rng, -1.5, 1.5) for _ in range(n)]
        cases.append(_jacobian_case(f"one pass per input: f: R^{n} -> R^{m}", _random_spec(rng, n, m), x))
    return cases


# -- 3.5 nested derivatives ------------------------------------------------------------------


def _probe(D: Callable[[Callable[[Any], Any], float], Any], name: str, x: float, c: float) -> Any:
    import autodiff

    if name == "sum":  # d/dx [x · d/dy (x + y) at y = c]
        return D(lambda u: u * D(lambda y: u + y, c), x)
    if name == "product":  # d/dx [x · d/dy (x·y) at y = c]
        return D(lambda u: u * D(lambda y: u * y, c), x)
    if name == "sin":  # d/dx [d/dy sin(x·y) at y = c]
        return D(lambda u: D(lambda y: autodiff.sin(u * y), c), x)
    if name == "closure":  # d/dx [x · d/dy x at y = c]: the inner derivative is 0
        return D(lambda u: u * D(lambda y: u, c), x)
    if name == "constant":  # d/dx [x + d/dy 3 at y = c]: a function that returns a plain number
        return D(lambda u: u + D(lambda y: 3.0, c), x)
    if name == "cube":  # d/dx (c·x³)
        return D(lambda u: c * u**3, x)
    if name == "second":  # d²/dx² exp(c·x) sin x
        return D(lambda t: D(lambda u: autodiff.exp(c * u) * autodiff.sin(u), t), x)
    if name == "third":  # d³/dx³ (c·x⁴)
        return D(lambda s: D(lambda t: D(lambda u: c * u**4, t), s), x)
    if name == "mixed":  # d/dx [d/dy x² y³ at y = c]
        return D(lambda u: D(lambda y: u * u * y**3, c), x)
    if name == "second_closure":  # d²/dx² [x · d/dy (x·y) at y = c] = d²/dx² x²
        return D(lambda t: D(lambda u: u * D(lambda y: u * y, c), t), x)
    if name == "sin_second":  # d²/dx² [d/dy sin(x·y) at y = c] = d²/dx² x·cos(c·x)
        return D(lambda t: D(lambda u: D(lambda y: autodiff.sin(u * y), c), t), x)
    raise ValueError(f"unknown probe {name!r}")  # pragma: no cover


def probe_expected(name: str, x: float, c: float) -> float:
    """The exact value of a probe of 3.5 (closed forms, worked out by hand).

    >>> probe_expected("sum", 1.0, 1.0), probe_expected("product", 4.0, 1.0), probe_expected("closure", 2.0, 1.0)
    (1.0, 8.0, 0.0)
    """
    e, s, co = math.exp(c * x), math.sin(x), math.cos(x)
    return {
        "sum": 1.0,
        "product": 2.0 * x,
        "sin": math.cos(x * c) - x * c * math.sin(x * c),
        "closure": 0.0,
        "constant": 1.0,
        "cube": 3.0 * c * x * x,
        "second": e * ((c * c - 1.0) * s + 2.0 * c * co),
        "third": 24.0 * c * x,
        "mixed": 6.0 * x * c * c,
        "second_closure": 2.0,
        "sin_second": -2.0 * c * math.sin(c * x) - x * c * c * math.cos(c * x),
    }[name]


_PROBE_TEXT = {
    "sum": "d/dx [x · d/dy (x + y)|y={c}] at x = {x}",
    "product": "d/dx [x · d/dy (x·y)|y={c}] at x = {x}",
    "sin": "d/dx [d/dy sin(x·y)|y={c}] at x = {x}",
    "closure": "d/dx [x · d/dy x|y={c}] at x = {x}",
    "constant": "d/dx [x + d/dy 3|y={c}] at x = {x}",
    "cube": "d/dx ({c}·x³) at x = {x}",
    "second": "d²/dx² exp({c}x)·sin x at x = {x}",
    "third": "d³/dx³ ({c}·x⁴) at x = {x}",
    "mixed": "d/dx [d/dy x²y³|y={c}] at x = {x}",
    "second_closure": "d²/dx² [x · d/dy (x·y)|y={c}] at x = {x}",
    "sin_second": "d²/dx² [d/dy sin(x·y)|y={c}] at x = {x}",
}


@chapter.driver
def probe_of(ns: dict[str, Any], name: str, x: float, c: float) -> Any:
    """A nested probe computed with the student's ``derivative`` (a number, or what it returned)."""
    out = _probe(need(ns, "derivative"), name, x, c)
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        return float(out)
    return f"a {type(out).__name__}: {out!r:.60}"


def _probe_case(name: str, x: float, c: float, hint: str = "") -> Case:
    return Case(_PROBE_TEXT[name].format(x=f"{x:g}", c=f"{c:g}"), probe_of, (name, x, c),
                probe_expected(name, x, c), EXACT, hint=hint)


_FRESH = ("each call must take a fresh level, ad.levels.new_level(), so that the inner derivative's "
          "perturbation is not the outer one's")


@nested.check(points=1)
def nested_public(rng: random.Random) -> list[Case]:
    return [
        _probe_case("cube", 2.0, 1.0, "return f(Dual(x, 1.0, level=...)).tangent"),
        _probe_case("sum", 1.0, 1.0, _FRESH),
        _probe_case("closure", 2.0, 1.0, "if f's result is not a Dual of *this* level (a number, or a Dual of an "
                                           "outer level), it does not depend on x here: return 0.0"),
        _probe_case("constant", 1.0, 1.0, "f may return a plain number: its derivative is 0.0"),
    ]


@nested.check(points=2, hidden=True)
def nested_confusion(rng: random.Random) -> list[Case]:
    cases = []
    for name in ("sum", "product", "sin", "closure", "product", "sin", "mixed"):
        cases.append(_probe_case(name, _r(rng, -2, 2), _r(rng, -2, 2)))
    return cases


@nested.check(points=1, hidden=True)
def nested_higher(rng: random.Random) -> list[Case]:
    cases = []
    for name in ("cube", "second", "third", "second_closure", "sin_second"):
        cases.append(_probe_case(name, _r(rng, -2, 2), _r(rng, -1.5, 1.5)))
    return cases


# -- 3.6 f, f', f'' from one nested dual -----------------------------------------------------

# A test function is [a, b, c, d, e, k]: f(u) = a·sin(b·u) + c·exp(d·u) + e·u**k.


def taylor_function(spec: Sequence[float]) -> Callable[[Any], Any]:
    """The test function of a spec of 3.6, written with the package's elementary functions.

    >>> taylor_function([1.0, 2.0, 0.0, 0.0, 3.0, 2])(1.0) == math.sin(2.0) + 3.0
    True
    """
    import autodiff

    a, b, c, d, e, k = spec
    power = int(k)

    def f(u: Any) -> Any:
        return a * autodiff.sin(b * u) + c * autodiff.exp(d * u) + e * u**power

    return f


def taylor_expected(spec: Sequence[float], x: float) -> list[float]:
    """``[f(x), f'(x), f''(x)]`` for a spec of 3.6, worked out by hand.

    >>> taylor_expected([0.0, 0.0, 0.0, 0.0, 1.0, 3], 2.0)
    [8.0, 12.0, 12.0]
    """
    a, b, c, d, e, k = spec
    k = int(k)
    sb, cb, ed = math.sin(b * x), math.cos(b * x), math.exp(d * x)
    return [
        a * sb + c * ed + e * x**k,
        a * b * cb + c * d * ed + e * k * x ** (k - 1),
        -a * b * b * sb + c * d * d * ed + e * k * (k - 1) * x ** (k - 2),
    ]


@chapter.driver
def taylor_of(ns: dict[str, Any], spec: list[float], x: float) -> dict[str, Any]:
    """The student's ``taylor2(f, x)`` for the spec's function, and how many times it called ``f``."""
    inner = taylor_function(spec)
    calls = [0]

    def f(u: Any) -> Any:
        calls[0] += 1
        return inner(u)

    out = need(ns, "taylor2")(f, x)
    values = list(out) if isinstance(out, (list, tuple)) else out
    return {"values": values, "calls": calls[0]}


def _taylor_case(label: str, spec: list[float], x: float, hint: str = "") -> Case:
    return Case(label, taylor_of, (spec, x), {"values": taylor_expected(spec, x), "calls": 1}, EXACT, hint=hint)


@taylor.check(points=1)
def taylor_public(rng: random.Random) -> list[Case]:
    layout = ("x = Dual(Dual(x, 1, level=a), Dual(1, 0, level=a), level=b) with a < b; f(x) holds f in "
              ".primal.primal, f' in .primal.tangent (and .tangent.primal), f'' in .tangent.tangent")
    return [
        _taylor_case("f(x) = x³ at 2", [0.0, 0.0, 0.0, 0.0, 1.0, 3], 2.0, layout),
        _taylor_case("f(x) = sin x at 1", [1.0, 1.0, 0.0, 0.0, 0.0, 2], 1.0, layout),
    ]


@taylor.check(points=2, hidden=True)
def taylor_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(6):
        spec = [_r(rng, -2, 2), _r(rng, -2, 2), _r(rng, -2, 2), _r(rng, -1, 1), _r(rng, -2, 2), rng.randint(2, 4)]
        x = _r(rng, -2, 2)
        cases.append(_taylor_case(f"a·sin(b·x) + c·exp(d·x) + e·x^{spec[5]} at {x:g}", spec, x))
    return cases
