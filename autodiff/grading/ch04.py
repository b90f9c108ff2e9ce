"""Checks of the graded set of chapter 4, "Reverse mode and adjoints" (``04_reverse_mode``).

====  ===================================================  =========================================
id    task                                                 oracle
====  ===================================================  =========================================
4.1   ``adjoint_table(x1, x2)``: the reverse sweep of the   central differences on every node of the
      running example, written out by hand                 trace (nudge the node, recompute what
                                                           depends on it)
4.2   ``reverse_sweep(tape)``: every adjoint of a Wengert   central differences on every node; for
      list given as plain data                             a tape of 20,000 entries, the reference
                                                           sweep (itself tested against central
                                                           differences)
4.3   ``vjp(f, x, y_bar)`` with ``autodiff.Value``: one     forward mode (``autodiff.jacfwd``, the
      evaluation of ``f``, one backward pass               other engine) gives the Jacobian; the
                                                           driver counts the calls of ``f``
4.4   ``product_gradient(xs)``: the gradient of             exact products of the other factors;
      ``x_1 x_2 ... x_n`` with at most ``3n``               the driver's numbers record which factors
      multiplications and no division                      each result is made of and count every
                                                           multiplication
4.5   ``cheaper_mode(n, m, forward_pass, backward_pass)``:  the cost model of the chapter: ``n``
      forward or reverse mode for a full Jacobian          forward passes against one recording
                                                           plus ``m`` backward passes
====  ===================================================  =========================================

Answers to 4.1, 4.2, 4.4 and 4.5 may not use the ``autodiff`` package (other than
``autodiff.grading``): they are about doing by hand what the package does. 4.3 uses
``autodiff.Value`` but not forward mode, finite differences or the symbolic module.

The module's public object is :data:`chapter`; the drivers and checks are reached through it.

>>> [(e.id, e.points) for e in chapter.exercises.values()]
[('4.1', 3), ('4.2', 4), ('4.3', 3), ('4.4', 4), ('4.5', 2)]
>>> sum(e.points for e in chapter.exercises.values())
16
>>> [round(a, 4) for a in running_adjoints(2.0, 5.0)]
[5.5, 1.7163, 1.0, 1.0, -1.0, 1.0, 1.0]
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from autodiff import functions as F
from autodiff.forward import jacfwd
from autodiff.grading.compare import close
from autodiff.grading.registry import Case, Chapter, need
from autodiff.numerical import central_difference

__all__ = ["chapter", "running_adjoints", "evaluate_tape", "tape_adjoints", "reference_sweep"]

chapter = Chapter("04_reverse_mode", "Reverse mode and adjoints", module=__name__)

_NO_PACKAGE = {"forbidden": ("autodiff",), "allowed": ("autodiff.grading",)}
#: What 4.3 may not use: everything that computes derivatives other than reverse mode.
_NOT_REVERSE_MODE = (
    "autodiff.forward", "autodiff.Dual", "autodiff.derivative", "autodiff.jvp", "autodiff.jacfwd",
    "autodiff.numerical", "autodiff.numerical_gradient", "autodiff.numerical_jacobian",
    "autodiff.central_difference", "autodiff.forward_difference", "autodiff.complex_step",
    "autodiff.check", "autodiff.gradcheck", "autodiff.symbolic", "autodiff.functional",
)

table = chapter.exercise("4.1", "The adjoint table of the running example", ("adjoint_table",), **_NO_PACKAGE)
sweep = chapter.exercise("4.2", "The reverse sweep over a Wengert list", ("reverse_sweep",), **_NO_PACKAGE)
vjp = chapter.exercise(
    "4.3", "A vector-Jacobian product in one backward pass", ("vjp",),
    forbidden=_NOT_REVERSE_MODE, allowed=("autodiff.grading",),
)
speelpenning = chapter.exercise(
    "4.4", "The gradient of a product in O(n) multiplications", ("product_gradient",), **_NO_PACKAGE
)
mode = chapter.exercise("4.5", "Forward or reverse?", ("cheaper_mode",), **_NO_PACKAGE)

TOL = close(rtol=1e-6, atol=1e-8)
EXACT = close(rtol=1e-9, atol=1e-12)

_ACCUMULATE = "a value used twice receives two contributions: add them (+=), never overwrite (=)"


# -- 4.1 the running example ----------------------------------------------------------------------

#: The nodes of the running example's trace, in the order of the answer.
NODES = ("v-1", "v0", "v1", "v2", "v3", "v4", "v5")


def _running_trace(x1: float, x2: float, override: dict[str, float] | None = None) -> dict[str, float]:
    """Every value of y = ln x1 + x1 x2 - sin x2, with some nodes replaced by ``override``."""
    fixed = override or {}
    v: dict[str, float] = {}

    def put(name: str, value: Callable[[], float]) -> None:
        v[name] = fixed[name] if name in fixed else value()

    put("v-1", lambda: x1)
    put("v0", lambda: x2)
    put("v1", lambda: math.log(v["v-1"]))
    put("v2", lambda: v["v-1"] * v["v0"])
    put("v3", lambda: math.sin(v["v0"]))
    put("v4", lambda: v["v1"] + v["v2"])
    put("v5", lambda: v["v4"] - v["v3"])
    return v


def running_adjoints(x1: float, x2: float) -> list[float]:
    """d y / d v_i for every node of the running example, by central differences on the node.

    >>> [round(a, 6) for a in running_adjoints(1.0, 0.0)]
    [1.0, 0.0, 1.0, 1.0, -1.0, 1.0, 1.0]
    """
    values = _running_trace(x1, x2)
    return [
        central_difference(lambda t, k=k: _running_trace(x1, x2, {k: t})["v5"], values[k]) for k in NODES
    ]


@chapter.driver
def call_adjoint_table(ns: dict[str, Any], x1: float, x2: float) -> list[float]:
    """The student's ``adjoint_table(x1, x2)``, as a list of floats."""
    result = need(ns, "adjoint_table")(x1, x2)
    return [float(a) for a in result]


def _table_case(x1: float, x2: float, hint: str = "") -> Case:
    return Case(f"adjoint_table({x1:g}, {x2:g})", call_adjoint_table, (x1, x2), running_adjoints(x1, x2),
                TOL, hint=hint)


@table.check(points=1)
def table_at_the_example(rng: random.Random) -> list[Case]:
    return [_table_case(2.0, 5.0, "[v-1, v0, v1, ..., v5]: x1 and x2 are each used twice; " + _ACCUMULATE)]


@table.check(points=2, hidden=True)
def table_random_points(rng: random.Random) -> list[Case]:
    return [_table_case(round(rng.uniform(0.2, 4.0), 6), round(rng.uniform(-6.0, 6.0), 6)) for _ in range(8)]


# -- 4.2 the reverse sweep over a tape -------------------------------------------------------------

#: The operations of a tape, as plain-float functions of one or two arguments.
TAPE_OPS: dict[str, Callable[..., float]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "sin": math.sin,
    "cos": math.cos,
    "exp": math.exp,
    "log": math.log,
}
_BINARY = ("add", "sub", "mul", "div")
_UNARY = ("sin", "cos", "exp", "log")


def evaluate_tape(tape: Sequence[Sequence[Any]], override: dict[int, float] | None = None) -> list[float]:
    """The value of every entry of a tape; ``override`` replaces the values of some entries.

    A tape is a list of entries ``["input", x]``, ``[op, i]`` or ``[op, i, j]`` (``i``, ``j``:
    indices of earlier entries); the last entry is the output.

    >>> evaluate_tape([["input", 2.0], ["input", 3.0], ["mul", 0, 1], ["sin", 0]])[2]
    6.0
    """
    values: list[float] = []
    for index, (kind, *args) in enumerate(tape):
        if override is not None and index in override:
            values.append(override[index])
        elif kind == "input":
            values.append(float(args[0]))
        else:
            values.append(TAPE_OPS[kind](*(values[a] for a in args)))
    return values


def tape_adjoints(tape: Sequence[Sequence[Any]]) -> list[float]:
    """d(output)/d(entry) for every entry, by central differences on the entry's value.

    >>> [round(a, 6) for a in tape_adjoints([["input", 3.0], ["mul", 0, 0], ["input", 1.0]])]
    [0.0, 0.0, 1.0]
    """
    values = evaluate_tape(tape)
    last = len(tape) - 1
    return [
        central_difference(lambda t, i=i: evaluate_tape(tape, {i: t})[last], values[i]) if i != last else 1.0
        for i in range(len(tape))
    ]


def reference_sweep(tape: Sequence[Sequence[Any]]) -> list[float]:
    """The adjoints of every entry by one reverse sweep (the exercise's reference answer).

    >>> reference_sweep([["input", 2.0], ["input", 5.0], ["log", 0], ["mul", 0, 1], ["sin", 1],
    ...                  ["add", 2, 3], ["sub", 5, 4]])[:2] == [5.5, 2 - math.cos(5.0)]
    True
    """
    values = evaluate_tape(tape)
    adjoint = [0.0] * len(tape)
    adjoint[-1] = 1.0
    for index in range(len(tape) - 1, -1, -1):
        kind, *args = tape[index]
        g = adjoint[index]
        if kind == "input" or g == 0.0:
            continue
        a = values[args[0]]
        if kind == "add":
            adjoint[args[0]] += g
            adjoint[args[1]] += g
        elif kind == "sub":
            adjoint[args[0]] += g
            adjoint[args[1]] -= g
        elif kind == "mul":
            adjoint[args[0]] += g * values[args[1]]
            adjoint[args[1]] += g * a
        elif kind == "div":
            b = values[args[1]]
            adjoint[args[0]] += g / b
            adjoint[args[1]] -= g * a / (b * b)
        elif kind == "sin":
            adjoint[args[0]] += g * math.cos(a)
        elif kind == "cos":
            adjoint[args[0]] -= g * math.sin(a)
        elif kind == "exp":
            adjoint[args[0]] += g * values[index]
        elif kind == "log":
            adjoint[args[0]] += g / a
    return adjoint


def random_tape(rng: random.Random, inputs: int = 3, operations: int = 10, unused: int = 0) -> list[list[Any]]:
    """A random tape with shared entries, repeated arguments (``mul x x``) and, if asked,
    ``unused`` entries that nothing later reads. Arguments stay inside every operation's domain
    with room to spare (log of at least 0.5, division by at least 0.5 in size), and every value
    stays below 100 in size.

    >>> tape = random_tape(random.Random(1), inputs=2, operations=5)
    >>> len(tape), tape[0][0], tape[-1][0] in ("add", "sub", "mul", "div")
    (7, 'input', True)
    """
    for _ in range(1000):
        tape: list[list[Any]] = [["input", round(rng.uniform(-2.0, 2.0), 6)] for _ in range(inputs)]
        values = [entry[1] for entry in tape]
        live = list(range(inputs))
        dead = set(rng.sample(range(operations - 1), unused)) if unused else set()
        for step in range(operations):
            last = step == operations - 1
            kind = rng.choice(_BINARY) if last else rng.choice(_BINARY + _UNARY)
            i = live[-1] if last or rng.random() < 0.6 else rng.choice(live)
            if kind in _BINARY:
                others = [k for k in live if k != i]
                j = i if rng.random() < 0.15 or not others else rng.choice(others)
                if kind == "div" and abs(values[j]) < 0.5:
                    kind = "mul"
                entry = [kind, i, j]
            else:
                if kind == "log" and values[i] < 0.5:
                    kind = "sin"
                if kind == "exp" and abs(values[i]) > 3.0:
                    kind = "cos"
                entry = [kind, i]
            tape.append(entry)
            values.append(TAPE_OPS[kind](*(values[a] for a in entry[1:])))
            if step not in dead:
                live.append(len(tape) - 1)
        if all(abs(v) < 100.0 for v in values):
            return tape
    raise RuntimeError("random_tape: could not draw a tape with moderate values")  # pragma: no cover


def long_chain(steps: int) -> list[list[Any]]:
    """``v <- v + c * sin(v)`` repeated: three entries per step, and ``c`` used ``steps`` times.

    >>> long_chain(2)
    [['input', 0.5], ['input', 0.0001], ['sin', 0], ['mul', 2, 1], ['add', 0, 3], ['sin', 4], ['mul', 5, 1], ['add', 4, 6]]
    """
    tape: list[list[Any]] = [["input", 0.5], ["input", 1e-4]]
    v = 0
    for _ in range(steps):
        tape += [["sin", v], ["mul", len(tape), 1], ["add", v, len(tape) + 1]]
        v = len(tape) - 1
    return tape


#: The running example as a tape (the trace of chapters 2 to 4).
RUNNING_TAPE = [["input", 2.0], ["input", 5.0], ["log", 0], ["mul", 0, 1], ["sin", 1], ["add", 2, 3], ["sub", 5, 4]]
CHAIN_STEPS = 7000


@chapter.driver
def call_reverse_sweep(ns: dict[str, Any], tape: list[list[Any]]) -> list[float]:
    """The student's ``reverse_sweep(tape)`` on a copy of the tape, as a list of floats."""
    result = need(ns, "reverse_sweep")([list(entry) for entry in tape])
    return [float(a) for a in result]


def _sweep_case(label: str, tape: list[list[Any]], hint: str = "", expected: list[float] | None = None) -> Case:
    return Case(label, call_reverse_sweep, (tape,), tape_adjoints(tape) if expected is None else expected,
                TOL, hint=hint)


@sweep.check(points=1)
def sweep_small(rng: random.Random) -> list[Case]:
    return [
        _sweep_case("the running example at (2, 5)", RUNNING_TAPE,
                    "visit the entries from the last to the first; " + _ACCUMULATE),
        _sweep_case("[x, x * x, sin(x * x) + x * x]", [["input", 1.5], ["mul", 0, 0], ["sin", 1], ["add", 2, 1]],
                    "mul(x, x) sends both contributions to x, and x * x feeds two entries"),
        _sweep_case("an input the output does not use", [["input", 2.0], ["input", 3.0], ["exp", 1], ["div", 2, 1]],
                    "every entry gets an adjoint; those the output does not depend on keep 0"),
    ]


@sweep.check(points=2, hidden=True)
def sweep_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(8):
        tape = random_tape(rng, rng.randint(1, 4), rng.randint(3, 25), rng.randint(0, 2))
        cases.append(_sweep_case(f"random tape of {len(tape)} entries", tape))
    return cases


@sweep.check(points=1, hidden=True)
def sweep_long_tape(rng: random.Random) -> list[Case]:
    tape = long_chain(CHAIN_STEPS)
    tape[0][1] = round(rng.uniform(-1.5, 1.5), 6)
    return [
        _sweep_case(f"a tape of {len(tape)} entries", tape,
                    "one pass from the last entry to the first; do not search the tape for users",
                    expected=reference_sweep(tape))
    ]


# -- 4.3 vector-Jacobian products --------------------------------------------------------------

_W = [[0.5, -1.0, 0.25, 0.8], [-0.3, 0.7, 1.1, -0.6], [0.9, 0.2, -0.4, 0.35]]


def _two_outputs(x: Any) -> list[Any]:
    return [x[0] * x[1] * F.sin(x[2]), x[0] + F.exp(x[1] * x[2])]


def _polar(x: Any) -> list[Any]:
    return [x[0] * F.cos(x[1]), x[0] * F.sin(x[1])]


def _softplus_layer(x: Any) -> list[Any]:
    outs = []
    for row in _W:
        s = 0.0
        for w, xi in zip(row, x):
            s = s + w * xi
        outs.append(F.log(1.0 + F.exp(s)))
    return outs


def _shared(x: Any) -> list[Any]:
    s = x[0] * x[1] + x[2]
    return [s * s, F.sin(s), s / x[0], x[2] * F.tanh(s)]


def _loss(x: Any) -> list[Any]:
    total = 0.0
    for xi in x:
        total = total + (xi - 0.5) * (xi - 0.5)
    return [total * x[0]]


#: name -> (function, number of inputs, number of outputs); every first input stays away from 0.
FUNCTIONS: dict[str, tuple[Callable[[Any], list[Any]], int, int]] = {
    "two_outputs": (_two_outputs, 3, 2),
    "polar": (_polar, 2, 2),
    "softplus_layer": (_softplus_layer, 4, 3),
    "shared": (_shared, 3, 4),
    "loss": (_loss, 5, 1),
}


@chapter.driver
def call_vjp(ns: dict[str, Any], name: str, x: list[float], y_bar: list[float]) -> dict[str, Any]:
    """The student's ``vjp(f, x, y_bar)`` for the function ``name``, and how often it called f."""
    function = FUNCTIONS[name][0]
    calls = [0]

    def f(inputs: Any) -> list[Any]:
        calls[0] += 1
        return function(inputs)

    result = need(ns, "vjp")(f, list(x), list(y_bar))
    return {"vjp": [float(a) for a in result], "calls": calls[0]}


def _expected_vjp(name: str, x: list[float], y_bar: list[float]) -> list[float]:
    jacobian = np.asarray(jacfwd(FUNCTIONS[name][0], np.array(x)), dtype=float)
    return (np.array(y_bar) @ jacobian).tolist()


def _vjp_case(name: str, x: list[float], y_bar: list[float], hint: str = "") -> Case:
    return Case(f"vjp({name}, x={x}, y_bar={y_bar})", call_vjp, (name, x, y_bar),
                {"vjp": _expected_vjp(name, x, y_bar), "calls": 1}, EXACT, hint=hint)


@vjp.check(points=1)
def vjp_by_hand(rng: random.Random) -> list[Case]:
    return [
        _vjp_case("two_outputs", [1.0, 2.0, 0.5], [1.0, 0.0],
                  "y_bar = [1, 0] picks the first row of the Jacobian; call f once and backward once"),
        _vjp_case("two_outputs", [1.0, 2.0, 0.5], [2.0, -3.0],
                  "back-propagate the weighted sum y_bar[0] * y[0] + y_bar[1] * y[1]"),
    ]


@vjp.check(points=2, hidden=True)
def vjp_random(rng: random.Random) -> list[Case]:
    cases = []
    for name, (_, n, m) in FUNCTIONS.items():
        for _ in range(2):
            x = [round(rng.uniform(0.5, 1.5) * rng.choice((-1, 1)), 6) for _ in range(n)]
            y_bar = [round(rng.uniform(-2.0, 2.0), 6) for _ in range(m)]
            cases.append(_vjp_case(name, x, y_bar))
    return cases


# -- 4.4 Speelpenning's product ----------------------------------------------------------------


@chapter.driver
def call_product_gradient(ns: dict[str, Any], xs: list[float]) -> dict[str, Any]:
    """The student's ``product_gradient`` on numbers that count their multiplications.

    Each input is a ``Factor``: a number that remembers which inputs it is the product of (a bit
    mask) and counts every multiplication it takes part in. It supports ``*`` with Factors and
    plain numbers only. Returns, per partial derivative, its value and the inputs missing from it
    (``None`` if some input occurs twice), and the number of multiplications.
    """
    function = need(ns, "product_gradient")
    n = len(xs)
    count = [0]

    class Factor:
        __slots__ = ("value", "mask", "repeated")

        def __init__(self, value: float, mask: int, repeated: bool = False) -> None:
            self.value, self.mask, self.repeated = value, mask, repeated

        def __mul__(self, other: Any) -> Any:
            if isinstance(other, Factor):
                count[0] += 1
                overlap = bool(self.mask & other.mask)
                return Factor(self.value * other.value, self.mask | other.mask,
                              self.repeated or other.repeated or overlap)
            if isinstance(other, (int, float)) and not isinstance(other, bool):
                count[0] += 1
                return Factor(self.value * other, self.mask, self.repeated)
            return NotImplemented

        __rmul__ = __mul__

        def __repr__(self) -> str:
            return f"Factor({self.value!r})"

    result = list(function([Factor(float(x), 1 << i) for i, x in enumerate(xs)]))
    partials = []
    for item in result:
        if isinstance(item, Factor):
            missing = None if item.repeated else [i for i in range(n) if not (item.mask >> i) & 1]
            partials.append({"value": item.value, "missing": missing})
        elif isinstance(item, (int, float)) and not isinstance(item, bool):  # a constant: no factor
            partials.append({"value": float(item), "missing": list(range(n))})
        else:
            raise TypeError(f"product_gradient returned a {type(item).__name__} where a product was expected")
    return {"partials": partials, "multiplications": count[0]}


def _within_budget(got: Any, expected: Any) -> str | None:
    if type(got) is not dict or "partials" not in got or "multiplications" not in got:
        return "expected the partial derivatives and a count of multiplications"
    problem = EXACT(got["partials"], expected["partials"])
    if problem:
        return problem
    used, budget = got["multiplications"], expected["multiplications"]
    if type(used) is not int or used > budget:
        return f"{used} multiplications, more than the {budget} allowed (3n for n = {budget // 3})"
    return None


def _product_case(xs: list[float], hint: str = "") -> Case:
    partials = [
        {"value": math.prod(x for j, x in enumerate(xs) if j != i), "missing": [i]} for i in range(len(xs))
    ]
    label = f"product_gradient({xs})" if len(xs) <= 6 else f"product_gradient of {len(xs)} numbers"
    return Case(label, call_product_gradient, (xs,), {"partials": partials, "multiplications": 3 * len(xs)},
                _within_budget, hint=hint, show=f"exact partials, at most {3 * len(xs)} multiplications")


def _factors(rng: random.Random, n: int, zeros: int = 0) -> list[float]:
    xs = [round(rng.uniform(0.5, 1.5) * rng.choice((-1, 1)), 6) for _ in range(n)]
    for i in rng.sample(range(n), zeros):
        xs[i] = 0.0
    return xs


@speelpenning.check(points=1)
def product_by_hand(rng: random.Random) -> list[Case]:
    return [
        _product_case([1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                      "one pass for the prefix products, one for the suffix products, then multiply"),
        _product_case([2.0, 0.0, 3.0], "f / x_i divides by zero here; use multiplications only"),
    ]


@speelpenning.check(points=2, hidden=True)
def product_random(rng: random.Random) -> list[Case]:
    cases = [_product_case([round(rng.uniform(-2, 2), 6)]), _product_case(_factors(rng, 2))]
    cases += [_product_case(_factors(rng, rng.randint(3, 40))) for _ in range(4)]
    cases += [_product_case(_factors(rng, rng.randint(3, 30), zeros)) for zeros in (1, 1, 2)]
    return cases


@speelpenning.check(points=1, hidden=True)
def product_large(rng: random.Random) -> list[Case]:
    return [_product_case(_factors(rng, n)) for n in (100, 200)]


# -- 4.5 choosing a mode -----------------------------------------------------------------------


@chapter.driver
def call_cheaper_mode(ns: dict[str, Any], n: int, m: int, forward_pass: float, backward_pass: float) -> Any:
    """The student's ``cheaper_mode(n, m, forward_pass, backward_pass)``."""
    return need(ns, "cheaper_mode")(n, m, forward_pass, backward_pass)


def _mode_expected(n: int, m: int, forward_pass: float, backward_pass: float) -> dict[str, Any]:
    forward_cost, reverse_cost = n * forward_pass, 1 + m * backward_pass
    if forward_cost <= reverse_cost:
        return {"mode": "forward", "passes": n, "cost": forward_cost}
    return {"mode": "reverse", "passes": m, "cost": reverse_cost}


def _mode_case(n: int, m: int, forward_pass: float, backward_pass: float, hint: str = "") -> Case:
    return Case(f"cheaper_mode({n}, {m}, {forward_pass:g}, {backward_pass:g})", call_cheaper_mode,
                (n, m, forward_pass, backward_pass), _mode_expected(n, m, forward_pass, backward_pass),
                TOL, hint=hint)


@mode.check(points=1)
def mode_by_hand(rng: random.Random) -> list[Case]:
    return [
        _mode_case(1_000_000, 1, 3.0, 3.0, "a loss: one output, many inputs"),
        _mode_case(1, 1000, 3.0, 3.0, "one input, many outputs"),
        _mode_case(100, 100, 2.95, 2.95, "reverse mode also records f once: cost 1 + m * backward_pass"),
    ]


@mode.check(points=1, hidden=True)
def mode_random(rng: random.Random) -> list[Case]:
    cases = [
        _mode_case(4, 3, 2.0, 3.0),     # more inputs than outputs, and still forward mode
        _mode_case(3, 5, 2.0, 1.0),     # a tie (6 = 1 + 5): forward mode, which stores no trace
        _mode_case(2, 2, 3.0, 2.5),     # a tie again
        _mode_case(5, 4, 1.5, 2.0),     # 7.5 < 9
    ]
    for _ in range(12):
        n, m = (int(10 ** rng.uniform(0, 6)) for _ in range(2))
        cases.append(_mode_case(n, m, round(rng.uniform(1.0, 5.0), 2), round(rng.uniform(1.0, 5.0), 2)))
    return cases
