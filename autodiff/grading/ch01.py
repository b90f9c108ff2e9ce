"""Checks of the graded set of chapter 1, "Three ways to differentiate a program" (``01_three_ways``).

====  ==========================================  ==============================================
id    task                                        oracle
====  ==========================================  ==============================================
1.1   ``best_step(method, f0, f2, f3)``: the      the minimiser of the chapter's error model
      step that balances truncation and           (within a factor of 10), and the error the
      round-off                                   step really gives on concrete functions
1.2   ``complex_step(f, x, h)``                   forward-mode AD (:func:`autodiff.derivative`)
                                                  on random analytic functions, h down to 1e-300
1.3   ``fd_gradient(f, x, method)``, with         reverse-mode AD (:class:`autodiff.Value`); the
      exactly n + 1 or 2n calls of ``f``          number of calls, counted
1.4   ``tree_size(root)`` and ``dag_size(root)``  :mod:`autodiff.symbolic`'s own sizes, on
      of an expression graph                      expressions and derivatives turned into plain
                                                  :class:`autodiff.graph.Node` graphs
1.5   ``logistic_derivative(n, x)``: value and    forward-mode AD on
      derivative of the logistic map in one loop  :func:`autodiff.symbolic.logistic_map`
====  ==========================================  ==============================================

Answers may not use the ``autodiff`` package (other than ``autodiff.grading``): each exercise asks
for a piece of what the package does. The functions the drivers hand to the student's code
(``f`` in 1.2 and 1.3, the graphs in 1.4) are built by the grader, in the student's process, from
plain data; the expected values are computed in the grader's process only.

The module's public object is :data:`chapter`; the drivers and checks are reached through it.

>>> [(e.id, e.points) for e in chapter.exercises.values()]
[('1.1', 3), ('1.2', 3), ('1.3', 4), ('1.4', 4), ('1.5', 3)]
>>> sum(e.points for e in chapter.exercises.values())
17
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import autodiff as ad
from autodiff import symbolic as S
from autodiff.grading.compare import Comparator, close, fmt
from autodiff.grading.registry import Case, Chapter, need
from autodiff.graph import Node, topological_order
from autodiff.numerical import EPS, central_difference, forward_difference

__all__ = ["chapter"]

chapter = Chapter("01_three_ways", "Three ways to differentiate a program", module=__name__)

_NO_PACKAGE = {"forbidden": ("autodiff",), "allowed": ("autodiff.grading",)}

best_step = chapter.exercise("1.1", "The best step of a finite difference", ("best_step",), **_NO_PACKAGE)
complex_step = chapter.exercise("1.2", "The complex step", ("complex_step",), **_NO_PACKAGE)
fd_gradient = chapter.exercise("1.3", "A gradient by finite differences, and its cost", ("fd_gradient",), **_NO_PACKAGE)
sizes = chapter.exercise("1.4", "Tree size and DAG size of an expression", ("tree_size", "dag_size"), **_NO_PACKAGE)
logistic = chapter.exercise("1.5", "The logistic map and its derivative in one loop", ("logistic_derivative",),
                            **_NO_PACKAGE)


# -- functions the drivers build from plain data (in the student's process) -------------------
#
# They are written with autodiff's dispatching functions, so the same function runs on floats,
# complex numbers (for the complex step), Dual numbers and Values (for the oracles).

#: Analytic test functions of one variable: ``(template, parameters)`` -> f. Parameters keep every
#: log and sqrt argument positive and every denominator away from zero on the real line.
_TEMPLATES: dict[str, Callable[[Any, list[float]], Any]] = {
    "classic": lambda x, p: ad.exp(x) / ad.sqrt(ad.sin(x) ** 3 + ad.cos(x) ** 3),
    "exp_sin": lambda x, p: p[0] * ad.exp(p[1] * x) * ad.sin(p[2] * x + p[3]),
    "log_cos": lambda x, p: ad.log(p[0] + x * x) * ad.cos(p[1] * x),
    "tanh_ratio": lambda x, p: ad.tanh(p[0] * x + p[1]) / (p[2] + x * x),
    "sqrt_gauss": lambda x, p: ad.sqrt(p[0] + x * x) * ad.exp(-p[1] * x * x),
    "cubic_logistic": lambda x, p: (p[0] * x**3 - p[1] * x) / (1 + ad.exp(p[2] * x)),
    "sin_exp": lambda x, p: ad.sin(ad.exp(p[0] * x)) + ad.cos(p[1] * x) * x,
}


def scalar_function(spec: list[Any]) -> Callable[[Any], Any]:
    """The function of one variable described by ``[template, parameters]`` (see ``_TEMPLATES``).

    >>> round(scalar_function(["classic", []])(1.5), 6)
    4.49778
    """
    template, params = spec
    body = _TEMPLATES[template]
    return lambda x: body(x, params)


def vector_function(params: dict[str, list[float]]) -> Callable[[Any], Any]:
    """A smooth function of ``n = len(params["a"])`` inputs with coupled terms, for 1.3.

    ``f(x) = sum_i a_i sin(x_i) x_{i+1} + b_i exp(c_i x_i) + log(1 + |x|^2)`` (indices mod n).
    ``x`` is anything indexable: a numpy array, or a list of ``Value``.

    >>> f = vector_function({"a": [1.0, 2.0], "b": [0.5, 0.0], "c": [1.0, 1.0]})
    >>> round(float(f(np.array([0.0, 1.0]))), 6)
    1.193147
    """
    a, b, c = params["a"], params["b"], params["c"]
    n = len(a)

    def f(x: Any) -> Any:
        total: Any = 0.0
        squares: Any = 1.0
        for i in range(n):
            total = total + a[i] * ad.sin(x[i]) * x[(i + 1) % n] + b[i] * ad.exp(c[i] * x[i])
            squares = squares + x[i] * x[i]
        return total + ad.log(squares)

    return f


# -- drivers: run where the student's code is; they return what they saw, as plain data -------


@chapter.driver
def step_of(ns: dict[str, Any], method: str, f0: float, f2: float, f3: float) -> Any:
    """The student's ``best_step(method, f0, f2, f3)``."""
    return need(ns, "best_step")(method, f0, f2, f3)


@chapter.driver
def complex_step_of(ns: dict[str, Any], spec: list[Any], x: float, h: float) -> Any:
    """The student's ``complex_step(f, x, h)`` on the function ``spec`` (see :func:`scalar_function`)."""
    return need(ns, "complex_step")(scalar_function(spec), x, h)


@chapter.driver
def gradient_of(ns: dict[str, Any], params: dict[str, list[float]], x: list[float], method: str) -> dict[str, Any]:
    """The student's ``fd_gradient(f, x, method)``: the gradient, its shape, how many times it called
    ``f``, and whether it left the caller's ``x`` as it was."""
    inner = vector_function(params)
    calls = [0]

    def f(point: Any) -> float:
        calls[0] += 1
        return float(inner(np.asarray(point, dtype=float)))

    point = np.array(x, dtype=float)
    before = point.copy()
    grad = need(ns, "fd_gradient")(f, point, method)
    arr = np.asarray(grad, dtype=float)
    return {
        "grad": [float(v) for v in arr.ravel()],
        "shape": list(arr.shape),
        "calls": calls[0],
        "x_unchanged": bool(np.array_equal(point, before)),
    }


def _stack_depth() -> int:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


def build_nodes(spec: list[list[Any]]) -> list[Node]:
    """:class:`autodiff.graph.Node` objects for ``spec``: ``["leaf", label]`` or ``[op, i, ...]``
    naming earlier entries; each entry is one node, so sharing in ``spec`` is sharing in the graph.

    >>> nodes = build_nodes([["leaf", "x"], ["*", 0, 0]])
    >>> nodes[1]._prev == (nodes[0], nodes[0])
    True
    """
    nodes: list[Node] = []
    for kind, *args in spec:
        if kind == "leaf":
            nodes.append(Node(label=str(args[0])))
        else:
            nodes.append(Node(kind, *(nodes[i] for i in args)))
    return nodes


@chapter.driver
def size_of(ns: dict[str, Any], name: str, spec: list[list[Any]], headroom: int = 200) -> Any:
    """The student's ``tree_size`` or ``dag_size`` on the graph ``spec`` (plain ``Node`` objects),
    with ``headroom`` frames of recursion to spare (so a recursive answer fails on a deep graph
    whatever limit the kernel has set)."""
    function = need(ns, name)
    root = build_nodes(spec)[-1]
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(_stack_depth() + headroom, 100))
    try:
        return function(root)
    finally:
        sys.setrecursionlimit(old)


@chapter.driver
def logistic_of(ns: dict[str, Any], n: int, x: float) -> Any:
    """The student's ``logistic_derivative(n, x)``, as a list ``[value, derivative]``."""
    out = need(ns, "logistic_derivative")(n, x)
    return list(out) if isinstance(out, tuple) else out


# -- oracles and comparators (in the grader) --------------------------------------------------


def model_step(method: str, f0: float, f2: float, f3: float) -> float:
    """The step that minimises the chapter's error model of a finite difference.

    Forward: ``h/2 |f''| + eps |f| / h``, minimised at ``sqrt(2 eps |f| / |f''|)``.
    Central: ``h^2/6 |f'''| + eps |f| / (2h)``, minimised at ``(3 eps |f| / (2 |f'''|))^(1/3)``.

    >>> f"{model_step('forward', 1.0, 1.0, 1.0):.3e}", f"{model_step('central', 1.0, 1.0, 1.0):.3e}"
    ('2.107e-08', '6.932e-06')
    """
    if method == "forward":
        return math.sqrt(2.0 * EPS * abs(f0) / abs(f2))
    return (1.5 * EPS * abs(f0) / abs(f3)) ** (1.0 / 3.0)


def within_factor(factor: float) -> Comparator:
    """``got`` must be a positive number within ``factor`` of ``expected`` (above or below).

    >>> within_factor(10)(3e-8, 2e-8) is None, within_factor(10)(6e-6, 2e-8)
    (True, 'expected about 2e-08 (within a factor of 10), got 6e-06, 300x too large')
    """

    def compare(got: Any, expected: Any) -> str | None:
        if type(got) not in (int, float) or not math.isfinite(got) or got <= 0:
            return f"expected a positive step, got {fmt(got)}"
        ratio = got / expected
        if 1.0 / factor <= ratio <= factor:
            return None
        how = f"{ratio:.3g}x too large" if ratio > 1 else f"{1 / ratio:.3g}x too small"
        return f"expected about {expected:.3g} (within a factor of {factor:g}), got {got:.3g}, {how}"

    return compare


# Concrete functions for measuring the error a step really gives: f and its first three derivatives.
def _measured_function(rng: random.Random) -> tuple[str, Callable[[float], float], list[float], float]:
    kind = rng.choice(["exp", "sin", "cos", "log", "cubic"])
    a = rng.uniform(0.3, 2.5) * rng.choice((-1, 1))
    c = round(rng.uniform(0.5, 3.0), 3)
    x = round(rng.uniform(-2.0, 2.0), 3)
    for _ in range(100):
        if kind == "exp":
            f, d = (lambda t: c * math.exp(a * t)), [c * math.exp(a * x) * a**k for k in range(4)]
        elif kind == "sin":
            f = lambda t: c * math.sin(a * t)  # noqa: E731
            d = [c * math.sin(a * x), c * a * math.cos(a * x), -c * a * a * math.sin(a * x), -c * a**3 * math.cos(a * x)]
        elif kind == "cos":
            f = lambda t: c * math.cos(a * t)  # noqa: E731
            d = [c * math.cos(a * x), -c * a * math.sin(a * x), -c * a * a * math.cos(a * x), c * a**3 * math.sin(a * x)]
        elif kind == "log":
            x = round(abs(x) + 1.0, 3)
            f, d = (lambda t: c * math.log(t)), [c * math.log(x), c / x, -c / x**2, 2 * c / x**3]
        else:
            f, d = (lambda t: c * t**3 + a * t), [c * x**3 + a * x, 3 * c * x * x + a, 6 * c * x, 6 * c]
        if min(abs(d[0]), abs(d[2]), abs(d[3])) > 0.05:
            break
        x = round(rng.uniform(-2.0, 2.0), 3)
    label = {"exp": f"{c} exp({a:.3f} x)", "sin": f"{c} sin({a:.3f} x)", "cos": f"{c} cos({a:.3f} x)",
             "log": f"{c} log(x)", "cubic": f"{c} x^3 + {a:.3f} x"}[kind]
    return label, f, d, x


#: The steps the measured error is compared over: 20 per decade from 1e-16 to 1e-1.
_GRID = np.logspace(-16, -1, 301)
#: The smallest error over the grid is a matter of luck (round-off errors sometimes cancel), so the
#: reference is the smallest running median over 17 neighbouring steps (0.85 of a decade).
_WINDOW = 8


def measured_best(method: str, f: Callable[[float], float], exact: float, x: float) -> float:
    """The smallest error of the difference over a grid of steps, robust to lucky round-off.

    >>> f"{measured_best('central', math.sin, math.cos(1.0), 1.0):.0e}"
    '6e-12'
    """
    diff = forward_difference if method == "forward" else central_difference
    errors = np.array([abs(diff(f, x, float(h)) - exact) for h in _GRID])
    medians = [np.median(errors[max(0, i - _WINDOW): i + _WINDOW + 1]) for i in range(len(errors))]
    return float(min(medians))


def error_at_most(method: str, f: Callable[[float], float], exact: float, x: float, best: float, factor: float) -> Comparator:
    """``got`` is a step whose measured error is at most ``factor`` times ``best``.

    >>> compare = error_at_most("forward", math.exp, 1.0, 0.0, 1e-8, 30)
    >>> compare(1.5e-8, None) is None, compare(1e-3, None)
    (True, 'the step 0.001 gives an error of 5.00e-04; a good step gives about 1.0e-08')
    """

    def compare(got: Any, expected: Any) -> str | None:
        if type(got) not in (int, float) or not math.isfinite(got) or got <= 0:
            return f"expected a positive step, got {fmt(got)}"
        diff = forward_difference if method == "forward" else central_difference
        try:
            error = abs(diff(f, x, float(got)) - exact)
        except (ValueError, OverflowError) as exc:
            return f"the step {got:.3g} leaves the function's domain ({exc})"
        if error <= factor * best:
            return None
        return f"the step {got:.3g} gives an error of {error:.2e}; a good step gives about {best:.1e}"

    return compare


def close_precise(rtol: float, atol: float) -> Comparator:
    """:func:`~autodiff.grading.compare.close`, with failures shown to 12 digits and the error.

    Near misses (a forward difference where a central one is asked) look equal to 6 digits, so the
    message shows enough digits to see the difference, and how far off it is.

    >>> close_precise(1e-7, 1e-7)({"grad": [1.0000012]}, {"grad": [1.0]})
    'grad[0]: expected 1, got 1.0000012 (off by 1.2e-06, allowed 2.0e-07)'
    >>> close_precise(1e-13, 0.0)(0.0, 4.05)
    'expected 4.05, got 0 (off by 4.0e+00, allowed 4.0e-13)'
    """
    base = close(rtol=rtol, atol=atol)

    def detail(got: Any, expected: Any, path: str) -> str | None:
        if type(expected) is float or type(expected) is int:
            if type(got) in (int, float) and not math.isclose(got, expected, rel_tol=rtol, abs_tol=atol):
                allowed = atol + rtol * abs(expected)
                where = f"{path}: " if path else ""
                return (f"{where}expected {expected:.12g}, got {got:.12g} "
                        f"(off by {abs(got - expected):.1e}, allowed {allowed:.1e})")
        elif type(expected) is list and type(got) is list and len(got) == len(expected):
            for i, (g, e) in enumerate(zip(got, expected)):
                found = detail(g, e, f"{path}[{i}]")
                if found:
                    return found
        elif type(expected) is dict and type(got) is dict:
            for key, e in expected.items():
                found = detail(got.get(key), e, f"{path}.{key}" if path else key)
                if found:
                    return found
        return None

    def compare(got: Any, expected: Any) -> str | None:
        message = base(got, expected)
        if message is None:
            return None
        return detail(got, expected, "") or message

    return compare


def complex_oracle(spec: list[Any], x: float) -> float:
    """The exact derivative (to rounding) by forward-mode AD, independent of the complex step.

    >>> round(complex_oracle(["classic", []], 1.5), 12)
    4.053427893899
    """
    return float(ad.derivative(scalar_function(spec), x))


def gradient_oracle(params: dict[str, list[float]], x: list[float]) -> list[float]:
    """The exact gradient (to rounding) by reverse-mode AD.

    >>> [round(g, 6) for g in gradient_oracle({"a": [1.0, 2.0], "b": [0.5, 0.0], "c": [1.0, 1.0]}, [0.0, 1.0])]
    [3.182942, 1.0]
    """
    inputs = [ad.Value(v) for v in x]
    vector_function(params)(inputs).backward()
    return [float(v.grad) for v in inputs]


def expression_spec(expr: S.Expr) -> list[list[Any]]:
    """A symbolic expression as plain data for :func:`build_nodes`: one entry per distinct node.

    >>> x = S.Var("x")
    >>> expression_spec(x * x + 1)
    [['leaf', 'x'], ['*', 0, 0], ['leaf', '1'], ['+', 1, 2]]
    """
    nodes = topological_order(expr)
    index = {id(node): i for i, node in enumerate(nodes)}
    spec: list[list[Any]] = []
    for node in nodes:
        if isinstance(node, S.Var):
            spec.append(["leaf", node.name])
        elif isinstance(node, S.Const):
            spec.append(["leaf", str(node)])
        else:
            spec.append([node.op, *(index[id(a)] for a in node.args)])
    return spec


def logistic_oracle(n: int, x: float) -> list[float]:
    """``[l_n(x), l_n'(x)]`` by forward-mode AD through the package's logistic map.

    >>> [round(v, 7) for v in logistic_oracle(4, 0.2)]
    [0.2890138, 9.0660864]
    """
    return [float(S.logistic_map(n, x)), float(ad.derivative(lambda t: S.logistic_map(n, t), x))]


# -- 1.1 best_step ------------------------------------------------------------------------------

_STEP_HINT = {
    "forward": "minimise h/2 |f''| + eps |f| / h: set its derivative to zero; use abs() of the inputs",
    "central": "minimise h^2/6 |f'''| + eps |f| / (2h): set its derivative to zero; use abs() of the inputs",
}
_FACTOR = 10.0
_MEASURED_FACTOR = 30.0


def _step_case(method: str, f0: float, f2: float, f3: float, label: str, hint: str = "") -> Case:
    return Case(label, step_of, (method, f0, f2, f3), model_step(method, f0, f2, f3), within_factor(_FACTOR),
                hint=hint)


def _measured_case(method: str, label: str, f: Callable[[float], float], d: list[float], x: float) -> Case:
    best = measured_best(method, f, d[1], x)
    return Case(
        f"{method}: {label} at x = {x:g}, measured error",
        step_of, (method, d[0], d[2], d[3]), None,
        error_at_most(method, f, d[1], x, best, _MEASURED_FACTOR),
        show=f"error <= {_MEASURED_FACTOR:g} x {best:.1e}",
    )


@best_step.check(points=1)
def step_sin(rng: random.Random) -> list[Case]:
    s, c = math.sin(1.0), math.cos(1.0)
    sin_d = [s, c, -s, -c]
    return [
        _step_case("forward", s, -s, -c, "forward: sin at x = 1", _STEP_HINT["forward"]),
        _step_case("central", s, -s, -c, "central: sin at x = 1", _STEP_HINT["central"]),
        _step_case("forward", 1.0, 400.0, 8000.0, "forward: exp(20 x) at x = 0", _STEP_HINT["forward"]),
        _step_case("central", 1.0, 400.0, 8000.0, "central: exp(20 x) at x = 0", _STEP_HINT["central"]),
        _measured_case("forward", "sin", math.sin, sin_d, 1.0),
        _measured_case("central", "sin", math.sin, sin_d, 1.0),
    ]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    value = 10 ** rng.uniform(math.log10(low), math.log10(high))
    return float(f"{value:.4g}") * rng.choice((-1, 1))


@best_step.check(points=1, hidden=True)
def step_scales(rng: random.Random) -> list[Case]:
    cases = []
    for method in ("forward", "central") * 6:
        f0, f2, f3 = (_log_uniform(rng, 1e-4, 1e4) for _ in range(3))
        cases.append(_step_case(method, f0, f2, f3, f"{method}: f = {f0:g}, f'' = {f2:g}, f''' = {f3:g}"))
    return cases


@best_step.check(points=1, hidden=True)
def step_measured(rng: random.Random) -> list[Case]:
    cases = []
    for method in ("forward", "central") * 3:
        label, f, d, x = _measured_function(rng)
        cases.append(_measured_case(method, label, f, d, x))
    return cases


# -- 1.2 complex step ---------------------------------------------------------------------------

CS_TOL = close_precise(rtol=1e-13, atol=1e-15)


def _cs_case(spec: list[Any], x: float, h: float, label: str, hint: str = "") -> Case:
    return Case(label, complex_step_of, (spec, x, h), complex_oracle(spec, x), CS_TOL, hint=hint)


def _random_spec(rng: random.Random) -> tuple[list[Any], float]:
    template = rng.choice([t for t in _TEMPLATES if t != "classic"])
    params = [round(rng.uniform(0.3, 2.0), 4) for _ in range(4)]
    x = round(rng.uniform(-1.5, 1.5), 4)
    return [template, params], x


@complex_step.check(points=1)
def cs_classic(rng: random.Random) -> list[Case]:
    classic: list[Any] = ["classic", []]
    hint = "evaluate f at the complex number x + ih (complex(x, h)) and divide the imaginary part by h"
    return [
        _cs_case(classic, 1.5, 1e-20, "chapter 1's f at 1.5, h = 1e-20", hint),
        _cs_case(classic, 1.5, 1e-200, "chapter 1's f at 1.5, h = 1e-200", "no subtraction, so a tiny h is fine: " + hint),
        _cs_case(["exp_sin", [1.0, 1.0, 0.0, math.pi / 2]], 0.0, 1e-20, "exp(x) cos(x) at 0, h = 1e-20", hint),
    ]


@complex_step.check(points=1, hidden=True)
def cs_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(8):
        spec, x = _random_spec(rng)
        cases.append(_cs_case(spec, x, 1e-20, f"{spec[0]} at x = {x:g}, h = 1e-20"))
    return cases


@complex_step.check(points=1, hidden=True)
def cs_tiny(rng: random.Random) -> list[Case]:
    cases = []
    for h in (1e-8, 1e-100, 1e-200, 1e-300):
        spec, x = _random_spec(rng)
        cases.append(_cs_case(spec, x, h, f"{spec[0]} at x = {x:g}, h = {h:g}"))
    return cases


# -- 1.3 gradient by finite differences ---------------------------------------------------------

GRAD_TOL = {"forward": close_precise(rtol=1e-5, atol=1e-5), "central": close_precise(rtol=1e-7, atol=1e-7)}


def _calls(n: int, method: str) -> int:
    return n + 1 if method == "forward" else 2 * n


def _gradient_case(params: dict[str, list[float]], x: list[float], method: str, label: str, hint: str = "") -> Case:
    expected = {
        "grad": gradient_oracle(params, x),
        "shape": [len(x)],
        "calls": _calls(len(x), method),
        "x_unchanged": True,
    }
    return Case(label, gradient_of, (params, x, method), expected, GRAD_TOL[method], hint=hint)


def _random_params(rng: random.Random, n: int) -> dict[str, list[float]]:
    return {key: [round(rng.uniform(-1.5, 1.5), 4) for _ in range(n)] for key in ("a", "b", "c")}


_FIXED = {"a": [1.0, -0.5, 2.0], "b": [0.5, 1.0, -1.0], "c": [1.0, -0.5, 0.25]}
_FIXED_X = [0.5, -1.0, 2.0]


@fd_gradient.check(points=1)
def grad_forward(rng: random.Random) -> list[Case]:
    return [_gradient_case(_FIXED, _FIXED_X, "forward", "forward differences, n = 3",
                           "f(x) once, then f(x + h_i e_i) for each i: n + 1 calls; work on a copy of x")]


@fd_gradient.check(points=1)
def grad_central(rng: random.Random) -> list[Case]:
    return [_gradient_case(_FIXED, _FIXED_X, "central", "central differences, n = 3",
                           "f(x + h_i e_i) and f(x - h_i e_i) for each i: 2n calls, divide by 2 h_i")]


@fd_gradient.check(points=2, hidden=True)
def grad_random(rng: random.Random) -> list[Case]:
    cases = []
    for method in ("forward", "central") * 3:
        n = rng.randint(1, 12)
        x = [round(rng.uniform(-2.5, 2.5), 4) for _ in range(n)]
        cases.append(_gradient_case(_random_params(rng, n), x, method, f"{method} differences, n = {n}"))
    return cases


# -- 1.4 tree size and DAG size -----------------------------------------------------------------

_X = S.Var("x")


def exact_int() -> Comparator:
    """``got`` must be the integer ``expected`` exactly, however large (no float conversion).

    >>> exact_int()(2**3000, 2**3000) is None, exact_int()(7.0, 7)
    (True, 'expected the integer 7, got 7')
    """

    def compare(got: Any, expected: Any) -> str | None:
        if type(got) is not int:
            return f"expected the integer {_short_int(expected)}, got {fmt(got)}"
        if got == expected:
            return None
        return f"expected {_short_int(expected)}, got {_short_int(got)}"

    return compare


def _short_int(value: int) -> str:
    """An integer as text, abbreviated when it has more than 15 digits.

    >>> _short_int(12), _short_int(2**100)
    ('12', '1267650600228...205376 (31 digits)')
    """
    text = str(value)
    return text if len(text) <= 15 else f"{text[:13]}...{text[-6:]} ({len(text.lstrip('-'))} digits)"


def _size_case(name: str, expr: S.Expr, label: str, hint: str = "") -> Case:
    expected = S.tree_size(expr) if name == "tree_size" else S.dag_size(expr)
    return Case(f"{name}: {label}", size_of, (name, expression_spec(expr)), expected, exact_int(), hint=hint,
                show=_short_int(expected))


def _random_expression(rng: random.Random, steps: int) -> S.Expr:
    pool: list[S.Expr] = [S.Var("x"), S.Var("y"), S.Const(2), S.Const(0.5)]
    for _ in range(steps):
        op = rng.choice(["+", "-", "*", "/", "*", "sin", "exp", "log"])
        a = pool[-1] if rng.random() < 0.6 else rng.choice(pool)
        if op in ("sin", "exp", "log"):
            pool.append(S.Expr(op, a))
        else:
            b = a if rng.random() < 0.2 else rng.choice(pool)
            pool.append(S.Expr(op, a, b))
    return pool[-1]


def _shared_tower(depth: int) -> S.Expr:
    """``e_{k+1} = sin(e_k) * e_k``: depth 2 * depth + 1, tree size about 3 * 2**depth."""
    e: S.Expr = _X
    for _ in range(depth):
        e = e.sin() * e
    return e


_SIZE_HINTS = {
    "tree_size": "a node's tree size is 1 + the tree sizes of its inputs (an input used twice counts "
                 "twice); compute each node's once, inputs first, and remember it (a dict keyed by id)",
    "dag_size": "count each distinct node once: walk the graph with an explicit stack and a set of the "
                "ids already seen",
}


def _public_sizes(name: str) -> list[Case]:
    l3 = S.logistic_map(3, _X)
    return [
        _size_case(name, _X * _X, "x*x (x used twice)", _SIZE_HINTS[name]),
        _size_case(name, l3, "l_3", _SIZE_HINTS[name]),
        _size_case(name, S.diff(l3, _X), "dl_3/dx", _SIZE_HINTS[name]),
        _size_case(name, S.diff(S.logistic_map(40, _X), _X), "dl_40/dx (huge tree)", _SIZE_HINTS[name]),
    ]


def _hidden_sizes(name: str, rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(5):
        expr = _random_expression(rng, rng.randint(3, 30))
        cases.append(_size_case(name, expr, f"random, {S.dag_size(expr)} distinct nodes"))
    n = rng.randint(20, 60)
    cases.append(_size_case(name, S.diff(S.logistic_map(n, _X), _X), f"dl_{n}/dx"))
    depth = rng.randint(2000, 3000)
    cases.append(_size_case(name, _shared_tower(depth), f"e = sin(e)*e, {depth} times (deep)"))
    return cases


@sizes.check(points=1)
def tree_public(rng: random.Random) -> list[Case]:
    return _public_sizes("tree_size")


@sizes.check(points=1)
def dag_public(rng: random.Random) -> list[Case]:
    return _public_sizes("dag_size")


@sizes.check(points=1, hidden=True)
def tree_hidden(rng: random.Random) -> list[Case]:
    return _hidden_sizes("tree_size", rng)


@sizes.check(points=1, hidden=True)
def dag_hidden(rng: random.Random) -> list[Case]:
    return _hidden_sizes("dag_size", rng)


# -- 1.5 the logistic map and its derivative ----------------------------------------------------

LOGISTIC_TOL = close_precise(rtol=1e-6, atol=1e-6)


def _logistic_case(n: int, x: float, hint: str = "") -> Case:
    return Case(f"logistic_derivative({n}, {x:g})", logistic_of, (n, x), logistic_oracle(n, x), LOGISTIC_TOL,
                hint=hint)


def _well_conditioned(n: int, x: float) -> bool:
    """No iterate near 1/2, where the factor 4(1 - 2 l) is close to zero and loses relative accuracy."""
    value = x
    for _ in range(n - 1):
        if abs(1.0 - 2.0 * value) < 1e-3:
            return False
        value = 4.0 * value * (1.0 - value)
    return True


@logistic.check(points=1)
def logistic_public(rng: random.Random) -> list[Case]:
    rule = "carry (l, dl) through the loop: dl_new = 4 (1 - 2 l) dl, computed from the old l"
    return [
        _logistic_case(1, 0.3, "l_1 = x, so its derivative is 1: the loop runs n - 1 times"),
        _logistic_case(2, 0.3, rule),
        _logistic_case(4, 0.2, rule),
    ]


@logistic.check(points=1, hidden=True)
def logistic_random(rng: random.Random) -> list[Case]:
    cases = []
    while len(cases) < 8:
        n, x = rng.randint(1, 12), round(rng.uniform(0.01, 0.99), 4)
        if _well_conditioned(n, x):
            cases.append(_logistic_case(n, x))
    return cases


@logistic.check(points=1, hidden=True)
def logistic_long(rng: random.Random) -> list[Case]:
    # x = 3/4 is a fixed point of the map, where the derivative is (-2)**(n - 1) exactly.
    return [_logistic_case(n, 0.75) for n in (rng.randint(300, 600), rng.randint(601, 1000))]
