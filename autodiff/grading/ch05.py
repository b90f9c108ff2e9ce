"""Checks of the graded set of chapter 5, "Build a micrograd-style engine" (``05_micrograd``).

The notebook gives a small micrograd-style ``Value`` (``data``, ``grad``, ``_prev``, ``_op`` and a
``_backward`` closure per node) whose operators call module-level functions; the student writes
those functions one exercise at a time:

====  =====================================================  ===================================
id    task                                                   oracle
====  =====================================================  ===================================
5.1   ``mul(a, b)``: a node and its backward rule            central differences
5.2   ``power(a, k)`` with a constant ``k``, domain errors   central differences, ``ValueError``
5.3   ``tanh(a)``, also at ±800                              central differences
5.4   ``topological_order(root)``, without recursion         the defining property, on the
                                                             notebook's and on ``autodiff.Value``
5.5   ``backward(root)``                                     d(root)/d(node) for every node by
                                                             central differences
5.6   ``sub(a, b)``: a node used twice accumulates           central differences on random
                                                             graphs
5.7   ``sigmoid(a)`` as a primitive and ``sigmoid_composed``  central differences of a stable
      from primitives                                        sigmoid
====  =====================================================  ===================================

Each exercise is checkable on its own: the drivers build graphs whose other nodes carry the
grader's own (correct) backward rules, and run the grader's own backward pass where one is needed,
so 5.5 does not depend on 5.1-5.3 and 5.6 not on 5.5. Only ``sigmoid_composed`` (5.7) uses the
student's ``mul`` and ``power`` (through ``/`` and unary ``-``), as the notebook says.

Answers may not use the ``autodiff`` package (other than ``autodiff.grading``): it is the engine
being built. ``autodiff.graph.topological_order`` and ``Value.backward`` also raise in the grader's
child process for 5.4 and 5.5.

The module's public object is :data:`chapter`; the drivers and checks are reached through it.

>>> [(e.id, e.points) for e in chapter.exercises.values()]
[('5.1', 3), ('5.2', 3), ('5.3', 3), ('5.4', 4), ('5.5', 3), ('5.6', 3), ('5.7', 3)]
>>> sum(e.points for e in chapter.exercises.values())
22
"""

from __future__ import annotations

import math
import random
import sys
from typing import Any

from autodiff.grading.compare import close
from autodiff.grading.oracles import BINARY, SYMBOL, chain, evaluate, node_gradients, random_expression
from autodiff.grading.oracles import topological_order_problem
from autodiff.grading.registry import Case, Chapter, need
from autodiff.graph import topological_order as _reference_order
from autodiff.numerical import central_difference

__all__ = ["chapter"]

chapter = Chapter("05_micrograd", "Build a micrograd-style engine", module=__name__)

_NO_PACKAGE = {"forbidden": ("autodiff",), "allowed": ("autodiff.grading",)}
_ENGINE_SHORTCUTS = (
    "autodiff.graph.topological_order",
    "autodiff.graph.trace",
    "autodiff.scalar.Value.backward",
    "autodiff.scalar.backward",
)

mul = chapter.exercise("5.1", "Multiplication and its backward rule", ("mul",), **_NO_PACKAGE)
power = chapter.exercise("5.2", "Powers with a constant exponent", ("power",), **_NO_PACKAGE)
tanh = chapter.exercise("5.3", "tanh, stable for large inputs", ("tanh",), **_NO_PACKAGE)
topo = chapter.exercise(
    "5.4", "A topological order without recursion", ("topological_order",),
    forbidden=("autodiff", *_ENGINE_SHORTCUTS), allowed=("autodiff.grading",),
)
backward = chapter.exercise(
    "5.5", "backward()", ("backward",), forbidden=("autodiff", *_ENGINE_SHORTCUTS), allowed=("autodiff.grading",)
)
sub = chapter.exercise("5.6", "Subtraction, and a node used twice", ("sub",), **_NO_PACKAGE)
sigmoid = chapter.exercise(
    "5.7", "sigmoid as a primitive and from primitives", ("sigmoid", "sigmoid_composed"), **_NO_PACKAGE
)

TOL = close(rtol=1e-6, atol=1e-9)
GRAPH_TOL = close(rtol=1e-5, atol=1e-7)


# -- drivers: run where the student's code is; they return what they saw, as plain data -------


def _node_of(ns: dict[str, Any], out: Any, name: str) -> Any:
    value_class = need(ns, "Value")
    if not isinstance(out, value_class):
        raise TypeError(f"{name} returned a {type(out).__name__}, not a Value")
    return out


def _reference_rule(out: Any, op: str, inputs: list[Any]) -> None:
    """Attach the grader's own, correct ``_backward`` to a node built by a driver."""
    if op == "add":
        def rule() -> None:
            inputs[0].grad += out.grad
            inputs[1].grad += out.grad
    elif op == "sub":
        def rule() -> None:
            inputs[0].grad += out.grad
            inputs[1].grad -= out.grad
    elif op == "mul":
        def rule() -> None:
            inputs[0].grad += inputs[1].data * out.grad
            inputs[1].grad += inputs[0].data * out.grad
    elif op == "tanh":
        def rule() -> None:
            inputs[0].grad += (1.0 - out.data**2) * out.grad
    elif op == "exp":
        def rule() -> None:
            inputs[0].grad += out.data * out.grad
    else:  # pragma: no cover - the specs only use the operations above
        raise ValueError(f"no reference rule for {op!r}")
    out._backward = rule


def _build(ns: dict[str, Any], spec: list[list[Any]], student_ops: tuple[str, ...] = ()) -> list[Any]:
    """The notebook's ``Value`` nodes for ``spec``; operations in ``student_ops`` call the student's
    function of that name, the others get the grader's rules."""
    value_class = need(ns, "Value")
    values = evaluate(spec)
    nodes: list[Any] = []
    for (kind, *args), data in zip(spec, values):
        if kind == "leaf":
            nodes.append(value_class(args[0]))
            continue
        inputs = [nodes[i] for i in args]
        if kind in student_ops:
            nodes.append(_node_of(ns, need(ns, kind)(*inputs), kind))
            continue
        node = value_class(data, tuple(inputs), SYMBOL[kind])
        _reference_rule(node, kind, inputs)
        nodes.append(node)
    return nodes


def _reference_backward(root: Any) -> None:
    root.grad = 1.0
    for node in reversed(_reference_order(root)):
        node._backward()


def _describe_prev(prev: Any, leaves: list[Any]) -> str:
    """``"(a, b)"``: the node's ``_prev`` in terms of the leaves it was made from (``?`` for others)."""
    names = "abcdefgh"
    if not isinstance(prev, (tuple, list)):
        return f"a {type(prev).__name__}, not a tuple"
    inner = ", ".join(next((names[i] for i, leaf in enumerate(leaves) if p is leaf), "?") for p in prev)
    text = f"({inner},)" if len(prev) == 1 else f"({inner})"
    return text if type(prev) is tuple else f"a {type(prev).__name__} {text}"


@chapter.driver
def local_rule(
    ns: dict[str, Any],
    name: str,
    inputs: list[float],
    before: list[float],
    out_grad: float,
    extra: list[Any],
    same: bool = False,
    want_op: bool = False,
) -> dict[str, Any]:
    """Call ``name`` on fresh leaves (the same leaf twice if ``same``), seed ``out.grad``, call
    ``out._backward()`` once; report the output's data, the leaves' grads, and its inputs."""
    value_class = need(ns, "Value")
    function = need(ns, name)
    leaves = [value_class(x) for x in inputs]
    for leaf, grad in zip(leaves, before):
        leaf.grad = grad
    args = [leaves[0], leaves[0]] if same else leaves
    out = _node_of(ns, function(*args, *extra), name)
    out.grad = out_grad
    out._backward()
    result = {"data": out.data, "grads": [leaf.grad for leaf in leaves], "prev": _describe_prev(out._prev, leaves)}
    if want_op:
        result["op"] = out._op
    return result


@chapter.driver
def raised(ns: dict[str, Any], name: str, inputs: list[float], extra: list[Any]) -> dict[str, Any]:
    """Which exception ``name`` raises on these inputs (``None`` if it returns)."""
    value_class = need(ns, "Value")
    function = need(ns, name)
    try:
        function(*[value_class(x) for x in inputs], *extra)
    except NotImplementedError:
        raise
    except ValueError:
        return {"raised": "ValueError"}
    except Exception as error:  # noqa: BLE001 - the wrong exception is an answer too
        return {"raised": type(error).__name__}
    return {"raised": None}


def _stack_depth() -> int:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


@chapter.driver
def order_of(ns: dict[str, Any], spec: list[list[Any]], engine: str = "notebook", headroom: int = 0) -> list[int]:
    """The student's ``topological_order`` on the graph ``spec``, as node indices (-1: not a node).

    ``engine="autodiff"`` builds the graph with the package's own ``Value`` instead. ``headroom``
    limits the call's recursion depth (so a recursive solution fails on a long chain whatever
    limit the kernel has set).
    """
    function = need(ns, "topological_order")
    if engine == "autodiff":
        import autodiff

        nodes: list[Any] = []
        for kind, *args in spec:
            if kind == "leaf":
                nodes.append(autodiff.Value(args[0]))
            elif kind in BINARY:
                a, b = nodes[args[0]], nodes[args[1]]
                nodes.append(a + b if kind == "add" else a - b if kind == "sub" else a * b)
            else:
                nodes.append(getattr(nodes[args[0]], kind)())
    else:
        nodes = _build(ns, spec)
    old = sys.getrecursionlimit()
    if headroom:
        sys.setrecursionlimit(_stack_depth() + headroom)
    try:
        order = function(nodes[-1])
    finally:
        sys.setrecursionlimit(old)
    index = {id(node): i for i, node in enumerate(nodes)}
    return [index.get(id(node), -1) for node in list(order)]


@chapter.driver
def chain_order(ns: dict[str, Any], length: int) -> list[int]:
    """:func:`order_of` on a chain of ``length`` nodes, with 200 frames of recursion to spare."""
    return order_of(ns, chain(length), "notebook", 200)


@chapter.driver
def backward_grads(ns: dict[str, Any], spec: list[list[Any]]) -> list[float]:
    """The student's ``backward`` on the graph ``spec`` (the grader's rules): every node's grad."""
    nodes = _build(ns, spec)
    need(ns, "backward")(nodes[-1])
    return [node.grad for node in nodes]


@chapter.driver
def graph_grads(ns: dict[str, Any], spec: list[list[Any]], student_ops: list[str]) -> list[float]:
    """The graph ``spec`` with the student's functions for ``student_ops``, back-propagated by the
    grader's own backward pass: every node's grad."""
    nodes = _build(ns, spec, tuple(student_ops))
    _reference_backward(nodes[-1])
    return [node.grad for node in nodes]


@chapter.driver
def composed(ns: dict[str, Any], name: str, x: float) -> dict[str, Any]:
    """``name(Value(x))`` back-propagated by the grader: value, gradient, and whether the graph is
    made of several primitive nodes (and no node whose operation is a sigmoid)."""
    leaf = need(ns, "Value")(x)
    out = _node_of(ns, need(ns, name)(leaf), name)
    _reference_backward(out)
    nodes = _reference_order(out)
    ops = {str(node._op).lower() for node in nodes}
    return {
        "data": out.data,
        "grad": leaf.grad,
        "composite": len(nodes) >= 3 and not any("sigm" in op for op in ops),
    }


# -- oracles (in the grader) ------------------------------------------------------------------


def _rule_expected(f: Any, inputs: list[float], before: list[float], g: float, same: bool = False) -> dict[str, Any]:
    """Data and accumulated grads of one node, by central differences of the float function ``f``."""
    if same:
        x = inputs[0]
        slope = central_difference(lambda t: f(t, t), x)
        return {"data": f(x, x), "grads": [before[0] + g * slope], "prev": "(a, a)"}
    slopes = [
        central_difference(lambda t, i=i: f(*inputs[:i], t, *inputs[i + 1 :]), x) for i, x in enumerate(inputs)
    ]
    prev = "(a,)" if len(inputs) == 1 else "(" + ", ".join("abcdefgh"[: len(inputs)]) + ")"
    return {"data": f(*inputs), "grads": [b + g * s for b, s in zip(before, slopes)], "prev": prev}


def _stable_sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _topological(got: Any, spec: Any) -> str | None:
    return topological_order_problem(got, spec)


_ORDER_SHOWN = "each node once, inputs first"
_ACCUMULATE = "a node can feed several operations: add to .grad with +=, never overwrite it"


def _rng_grads(rng: random.Random, n: int) -> list[float]:
    return [round(rng.uniform(-1, 1), 6) if rng.random() < 0.5 else 0.0 for _ in range(n)]


# -- 5.1 mul ------------------------------------------------------------------------------------


def _times(a: float, b: float) -> float:
    return a * b


@mul.check(points=1)
def mul_by_hand(rng: random.Random) -> list[Case]:
    return [
        Case(
            "mul(2, -3), out.grad = 1",
            local_rule,
            ("mul", [2.0, -3.0], [0.0, 0.0], 1.0, [], False, True),
            {**_rule_expected(_times, [2.0, -3.0], [0.0, 0.0], 1.0), "op": "*"},
            hint="out = Value(a.data * b.data, (a, b), '*'); in _backward: a.grad += b.data * out.grad",
        ),
        Case(
            "mul(x, x) with x = 3: x is both inputs",
            local_rule,
            ("mul", [3.0], [0.0], 1.0, [], True),
            _rule_expected(_times, [3.0], [0.0], 1.0, same=True),
            hint=_ACCUMULATE,
        ),
    ]


@mul.check(points=2, hidden=True)
def mul_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(8):
        inputs = [round(rng.uniform(-5, 5), 6) for _ in range(2)]
        before, g = _rng_grads(rng, 2), round(rng.uniform(-2, 2), 6)
        cases.append(
            Case(f"mul{tuple(inputs)}, grads before {before}, out.grad = {g}", local_rule,
                 ("mul", inputs, before, g, []), _rule_expected(_times, inputs, before, g))
        )
    x, b, g = round(rng.uniform(-5, 5), 6), round(rng.uniform(-1, 1), 6), round(rng.uniform(-2, 2), 6)
    cases.append(Case(f"mul(x, x), x = {x}", local_rule, ("mul", [x], [b], g, [], True),
                      _rule_expected(_times, [x], [b], g, same=True)))
    return cases


# -- 5.2 power ----------------------------------------------------------------------------------


def _power_case(x: float, k: float, before: float, g: float, hint: str = "") -> Case:
    return Case(
        f"power({x:g}, {k:g}), out.grad = {g:g}",
        local_rule,
        ("power", [x], [before], g, [k]),
        _rule_expected(lambda t: t**k, [x], [before], g),
        hint=hint,
    )


@power.check(points=1)
def power_by_hand(rng: random.Random) -> list[Case]:
    rule = "d(a**k)/da = k * a**(k - 1); k is a number, not a node: _prev is (a,)"
    domain = "(-8.0) ** (1/3) is a complex number in Python, and 0.0 ** -1 raises ZeroDivisionError: check first, raise ValueError"
    return [
        _power_case(3.0, 2, 0.0, 1.0, rule),
        _power_case(4.0, 0.5, 0.0, 1.0, rule),
        Case("power(-8, 1/3) raises ValueError", raised, ("power", [-8.0], [1 / 3]), {"raised": "ValueError"}, hint=domain),
        Case("power(0, -1) raises ValueError", raised, ("power", [0.0], [-1]), {"raised": "ValueError"}, hint=domain),
    ]


@power.check(points=2, hidden=True)
def power_random(rng: random.Random) -> list[Case]:
    cases = []
    for k in (2, 3, -1, -2, 0, 1, 0.5, -0.5, 1.7):
        x = round(rng.uniform(0.3, 3.0), 6)
        cases.append(_power_case(x, k, _rng_grads(rng, 1)[0], round(rng.uniform(-2, 2), 6)))
    for k in (2, 3, -1):
        cases.append(_power_case(round(rng.uniform(-3.0, -0.3), 6), k, 0.0, 1.0))
    x = round(rng.uniform(-3.0, -0.3), 6)
    cases.append(Case(f"power({x}, 0.5) raises ValueError", raised, ("power", [x], [0.5]), {"raised": "ValueError"}))
    return cases


# -- 5.3 tanh -----------------------------------------------------------------------------------


def _tanh_case(x: float, before: float, g: float, hint: str = "") -> Case:
    return Case(f"tanh({x:g}), out.grad = {g:g}", local_rule, ("tanh", [x], [before], g, []),
                _rule_expected(math.tanh, [x], [before], g), hint=hint)


@tanh.check(points=1)
def tanh_by_hand(rng: random.Random) -> list[Case]:
    rule = "d tanh(x)/dx = 1 - tanh(x)**2 = 1 - out.data**2"
    return [_tanh_case(0.5, 0.0, 1.0, rule), _tanh_case(-1.0, 0.5, 2.0, _ACCUMULATE)]


@tanh.check(points=1, hidden=True)
def tanh_random(rng: random.Random) -> list[Case]:
    return [_tanh_case(round(rng.uniform(-4, 4), 6), _rng_grads(rng, 1)[0], round(rng.uniform(-2, 2), 6)) for _ in range(8)]


@tanh.check(points=1, hidden=True)
def tanh_large(rng: random.Random) -> list[Case]:
    return [_tanh_case(x * sign, 0.0, round(rng.uniform(0.5, 2), 6)) for x in (20.0, 400.0, 800.0) for sign in (1, -1)]


# -- 5.4 topological order ----------------------------------------------------------------------


_REUSE = [["leaf", 1.0], ["add", 0, 0], ["add", 1, 1]]
_RUNNING = [["leaf", -2.0], ["leaf", 3.0], ["mul", 0, 1], ["add", 0, 1], ["mul", 2, 3]]
CHAIN_LENGTH = 10_000


@topo.check(points=1)
def order_small(rng: random.Random) -> list[Case]:
    return [
        Case("b = a + a; c = b + b", order_of, (_REUSE,), _REUSE, _topological, show=_ORDER_SHOWN,
             hint="visit each node once (keep a set of visited nodes, by identity)"),
        Case("f = (a * b) * (a + b)", order_of, (_RUNNING,), _RUNNING, _topological, show=_ORDER_SHOWN,
             hint="a node goes into the list after all of its _prev"),
    ]


@topo.check(points=1)
def order_long_chain(rng: random.Random) -> list[Case]:
    return [
        Case(f"a chain of {CHAIN_LENGTH} nodes", chain_order, (CHAIN_LENGTH,), chain(CHAIN_LENGTH), _topological,
             show=_ORDER_SHOWN, hint="recursion stops near 1000 calls: use a list as an explicit stack")
    ]


@topo.check(points=1, hidden=True)
def order_random(rng: random.Random) -> list[Case]:
    specs = [random_expression(rng, rng.randint(1, 4), rng.randint(3, 25), rng.randint(0, 4)) for _ in range(6)]
    return [Case(f"random graph of {len(s)} nodes", order_of, (s,), s, _topological, show=_ORDER_SHOWN) for s in specs]


@topo.check(points=1, hidden=True)
def order_package_values(rng: random.Random) -> list[Case]:
    specs = [random_expression(rng, rng.randint(1, 3), rng.randint(3, 15), rng.randint(0, 2)) for _ in range(4)]
    return [Case(f"autodiff.Value graph of {len(s)} nodes", order_of, (s, "autodiff"), s, _topological,
                 show=_ORDER_SHOWN) for s in specs]


# -- 5.5 backward -------------------------------------------------------------------------------


@backward.check(points=1)
def backward_by_hand(rng: random.Random) -> list[Case]:
    return [
        Case("f = (a * b) * (a + b) at a = -2, b = 3", backward_grads, (_RUNNING,), node_gradients(_RUNNING),
             GRAPH_TOL, hint="root.grad = 1, then node._backward() for every node, in reverse topological order"),
        Case("backward on a leaf", backward_grads, ([["leaf", 2.0]],), [1.0], GRAPH_TOL, hint="the root's own grad is 1"),
    ]


@backward.check(points=2, hidden=True)
def backward_random(rng: random.Random) -> list[Case]:
    specs = [random_expression(rng, rng.randint(1, 4), rng.randint(4, 20), rng.randint(0, 3)) for _ in range(6)]
    return [Case(f"random graph of {len(s)} nodes", backward_grads, (s,), node_gradients(s), GRAPH_TOL) for s in specs]


# -- 5.6 sub ------------------------------------------------------------------------------------


def _minus(a: float, b: float) -> float:
    return a - b


@sub.check(points=1)
def sub_by_hand(rng: random.Random) -> list[Case]:
    return [
        Case("sub(5, 3), out.grad = 1", local_rule, ("sub", [5.0, 3.0], [0.0, 0.0], 1.0, []),
             _rule_expected(_minus, [5.0, 3.0], [0.0, 0.0], 1.0), hint="d(a - b)/db = -1"),
        Case("sub(x, x) with x = 4", local_rule, ("sub", [4.0], [0.0], 1.0, [], True),
             _rule_expected(_minus, [4.0], [0.0], 1.0, same=True),
             hint="x - x does not depend on x: the two contributions, +1 and -1, must add up to 0"),
    ]


@sub.check(points=1, hidden=True)
def sub_random(rng: random.Random) -> list[Case]:
    cases = []
    for same in (False,) * 5 + (True,) * 3:
        n = 1 if same else 2
        inputs, before, g = [round(rng.uniform(-5, 5), 6) for _ in range(n)], _rng_grads(rng, n), round(rng.uniform(-2, 2), 6)
        cases.append(Case(f"sub{'(x, x)' if same else tuple(inputs)}, out.grad = {g}", local_rule,
                          ("sub", inputs, before, g, [], same), _rule_expected(_minus, inputs, before, g, same)))
    return cases


@sub.check(points=1, hidden=True)
def sub_in_graphs(rng: random.Random) -> list[Case]:
    specs = [
        random_expression(rng, rng.randint(1, 3), rng.randint(4, 16), 0, kinds=("add", "sub", "mul", "sub", "tanh"))
        for _ in range(5)
    ]
    return [Case(f"graph of {len(s)} nodes with sub", graph_grads, (s, ["sub"]), node_gradients(s), GRAPH_TOL) for s in specs]


# -- 5.7 sigmoid --------------------------------------------------------------------------------


def _sigmoid_case(x: float, before: float, g: float, hint: str = "") -> Case:
    return Case(f"sigmoid({x:g}), out.grad = {g:g}", local_rule, ("sigmoid", [x], [before], g, []),
                _rule_expected(_stable_sigmoid, [x], [before], g), hint=hint)


def _composed_case(x: float, hint: str = "") -> Case:
    expected = {"data": _stable_sigmoid(x), "grad": central_difference(_stable_sigmoid, x), "composite": True}
    return Case(f"sigmoid_composed({x:g})", composed, ("sigmoid_composed", x), expected, TOL, hint=hint)


@sigmoid.check(points=1)
def sigmoid_by_hand(rng: random.Random) -> list[Case]:
    return [
        _sigmoid_case(0.0, 0.0, 1.0, "d sigmoid(x)/dx = s * (1 - s) with s = out.data"),
        _sigmoid_case(2.0, 0.0, 1.0, "d sigmoid(x)/dx = s * (1 - s) with s = out.data"),
        _composed_case(2.0, "build 1 / (1 + exp(-x)) from Value operations, e.g. 1 / (1 + (-a).exp())"),
    ]


@sigmoid.check(points=1, hidden=True)
def sigmoid_random(rng: random.Random) -> list[Case]:
    xs = [round(rng.uniform(-6, 6), 6) for _ in range(5)]
    return [_sigmoid_case(x, _rng_grads(rng, 1)[0], round(rng.uniform(-2, 2), 6)) for x in xs] + [
        _composed_case(round(rng.uniform(-6, 6), 6)) for _ in range(4)
    ]


@sigmoid.check(points=1, hidden=True)
def sigmoid_large(rng: random.Random) -> list[Case]:
    return [_sigmoid_case(x * sign, 0.0, round(rng.uniform(0.5, 2), 6)) for x in (30.0, 300.0, 800.0) for sign in (1, -1)]
