"""Checks of the graded set of chapter 2, "Programs as graphs" (``02_graphs``).

====  ==========================================================  ================================
id    task                                                        oracle
====  ==========================================================  ================================
2.1   ``evaluate_trace(inputs, steps)``: run a Wengert list given  the grader's own evaluator; the
      as data, refusing steps that read an undefined variable or  rules of the definition (a
      assign one twice                                            ``ValueError`` expected)
2.2   ``record_trace(output, inputs)``: a recorded ``Value``      the grader replays the list at
      graph as a Wengert list                                     the recorded inputs and at other
                                                                  inputs, against the graph's own
                                                                  function; one step per node
2.3   ``levels(root)``: Kahn's algorithm, level by level, and a   longest paths from the leaves,
      ``ValueError`` on a cycle                                   computed from the graph's data
2.4   ``count_paths(root, source)`` in linear time                dynamic programming over the
                                                                  graph's data, exact integers
2.5   ``path_derivative(root, source)``: the chapter's sum over   central differences of the
      paths of products of local partials, in linear time         graph's function
====  ==========================================================  ================================

Graphs cross into the student's process as plain data, a list of nodes in creation order: ``["leaf",
x]`` (an input), ``["const", c]`` (a constant leaf), ``[op, i]`` or ``[op, i, j]`` with ``op`` one
of :data:`BINARY` or :data:`UNARY` and ``i``, ``j`` indices of earlier nodes; the last node is the
root. Drivers build ``autodiff.graph.Node`` or ``autodiff.Value`` graphs from it and return what the
student's code gave, as plain data (node indices, numbers, lists).

Exercise 2.3 may not use the package's graph walkers (it asks for one); 2.5 may not use reverse
mode, forward mode or finite differences from the package (they would compute the answer without
the path sum). The others may use ``autodiff.graph.topological_order``, which the chapter teaches.

>>> [(e.id, e.points) for e in chapter.exercises.values()]
[('2.1', 3), ('2.2', 4), ('2.3', 4), ('2.4', 3), ('2.5', 4)]
>>> spec = running_example()
>>> [round(v, 6) for v in evaluate(spec)]
[2.0, 5.0, 0.693147, 10.0, -0.958924, 10.693147, 11.652071]
>>> count_paths_of(spec, 0), count_paths_of(lattice(60), 0) == 2**60
(2, True)
>>> level_indices(spec)
[[0, 1], [2, 3, 4], [5], [6]]
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Sequence
from typing import Any

from autodiff.grading.compare import close, equal
from autodiff.grading.oracles import random_expression, reachable
from autodiff.grading.registry import Case, Chapter, need
from autodiff.numerical import central_difference

__all__ = [
    "chapter",
    "BINARY",
    "UNARY",
    "evaluate",
    "running_example",
    "lattice",
    "squarings",
    "chain",
    "random_program",
    "count_paths_of",
    "level_indices",
    "replay",
]

chapter = Chapter("02_graphs", "Programs as graphs", module=__name__)

_WALKERS = (
    "autodiff.graph.topological_order",
    "autodiff.graph.trace",
    "autodiff.graph.count_ops",
    "autodiff.graph.num_nodes",
    "autodiff.graph._order",
)
_SHORTCUTS = (
    "autodiff.scalar.Value.backward",
    "autodiff.scalar.backward",
    "autodiff.forward",
    "autodiff.numerical",
    "autodiff.check",
    # the same functions under the package's top-level names
    "autodiff.Dual",
    "autodiff.derivative",
    "autodiff.jvp",
    "autodiff.jacfwd",
    "autodiff.central_difference",
    "autodiff.forward_difference",
    "autodiff.complex_step",
    "autodiff.numerical_gradient",
    "autodiff.gradcheck",
)

evaluate_ex = chapter.exercise("2.1", "Evaluate a Wengert list", ("evaluate_trace",))
record_ex = chapter.exercise("2.2", "Record a trace as a Wengert list", ("record_trace",))
levels_ex = chapter.exercise("2.3", "Levels of a graph, by Kahn's algorithm", ("levels",), forbidden=_WALKERS)
count_ex = chapter.exercise("2.4", "Count the paths, in linear time", ("count_paths",))
derivative_ex = chapter.exercise(
    "2.5", "The chain rule as a sum over paths, in linear time", ("path_derivative",), forbidden=_SHORTCUTS
)

#: Binary and unary operations of the graphs, as plain-float functions (by the Wengert-list names
#: of exercise 2.1) and the ``_op`` of the package's ``Value`` for each.
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
}
UNARY = {
    "neg": lambda a: -a,
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "tanh": math.tanh,
}
VALUE_OP = {"add": "+", "sub": "-", "mul": "*", "div": "/", "neg": "neg",
            "exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tanh": "tanh"}

EXACT = equal()
VALUES = close(rtol=1e-9, atol=1e-12)
DERIVATIVE = close(rtol=1e-5, atol=1e-7)


# -- graphs as data ---------------------------------------------------------------------------


def evaluate(spec: Sequence[Sequence[Any]], override: dict[int, float] | None = None) -> list[float]:
    """The value of every node of ``spec``; ``override`` replaces the values of some nodes.

    >>> evaluate([["leaf", 3.0], ["const", 1.0], ["sub", 1, 0], ["mul", 2, 2]])
    [3.0, 1.0, -2.0, 4.0]
    """
    values: list[float] = []
    for index, (kind, *args) in enumerate(spec):
        if override is not None and index in override:
            values.append(float(override[index]))
        elif kind in ("leaf", "const"):
            values.append(float(args[0]))
        elif kind in BINARY:
            values.append(BINARY[kind](values[args[0]], values[args[1]]))
        else:
            values.append(UNARY[kind](values[args[0]]))
    return values


def running_example() -> list[list[Any]]:
    """y = ln x1 + x1 x2 - sin x2 at (2, 5), in the order of the chapter's table (v-1, v0, v1..v5).

    >>> running_example()[-1]
    ['sub', 5, 4]
    """
    return [["leaf", 2.0], ["leaf", 5.0], ["log", 0], ["mul", 0, 1], ["sin", 1], ["add", 2, 3], ["sub", 5, 4]]


def lattice(k: int, x: float = 0.7, kinds: Sequence[str] = ("sin", "cos", "mul")) -> list[list[Any]]:
    """``k`` diamonds in a row: v <- kinds[2](kinds[0](v), kinds[1](v)); 2**k paths from the leaf.

    >>> lattice(2)
    [['leaf', 0.7], ['sin', 0], ['cos', 0], ['mul', 1, 2], ['sin', 3], ['cos', 3], ['mul', 4, 5]]
    """
    spec: list[list[Any]] = [["leaf", x]]
    for _ in range(k):
        v = len(spec) - 1
        spec += [[kinds[0], v], [kinds[1], v], [kinds[2], v + 1, v + 2]]
    return spec


def squarings(k: int, x: float = 1.01) -> list[list[Any]]:
    """``k`` squarings v <- v * v: two parallel edges each, 2**k paths.

    >>> squarings(2)
    [['leaf', 1.01], ['mul', 0, 0], ['mul', 1, 1]]
    """
    return [["leaf", x], *(["mul", i, i] for i in range(k))]


def chain(length: int, x: float = 0.5) -> list[list[Any]]:
    """A leaf and ``length - 1`` sines of the previous node.

    >>> chain(3)
    [['leaf', 0.5], ['sin', 0], ['sin', 1]]
    """
    return [["leaf", x], *(["sin", i] for i in range(length - 1))]


def _ok(value: float) -> bool:
    return math.isfinite(value) and abs(value) < 1e3


def random_program(
    rng: random.Random, inputs: int = 2, operations: int = 8, constants: bool = True,
    kinds: Sequence[str] = ("add", "sub", "mul", "div", "neg", "exp", "log", "sin", "cos", "tanh"),
) -> list[list[Any]]:
    """A random program as a graph: shared values, repeated arguments, constants, every operation.

    Operations are drawn so that every value stays moderate and away from the edges of the domains
    (log of a value above 0.2, division by a value of magnitude above 0.2, exp of a value below 4),
    so central differences and small changes of the inputs stay valid. The root is an operation.

    >>> spec = random_program(random.Random(1), inputs=2, operations=6)
    >>> spec[0][0], spec[-1][0] in BINARY or spec[-1][0] in UNARY, all(_ok(v) for v in evaluate(spec))
    ('leaf', True, True)
    """
    for _ in range(1000):
        spec: list[list[Any]] = []
        for _ in range(inputs):
            spec.append(["leaf", round(rng.choice((-1, 1)) * rng.uniform(0.5, 2.5), 6)])
        values = evaluate(spec)
        live = list(range(inputs))
        unused = set(live)
        good = True
        for step in range(operations):
            kind = rng.choice(list(kinds))
            first = live[-1] if step == operations - 1 or rng.random() < 0.6 else rng.choice(live)
            a = values[first]
            if kind == "log" and a <= 0.2 or kind == "exp" and a >= 4:
                kind = rng.choice(("sin", "cos", "tanh"))
            if kind in BINARY:
                if constants and rng.random() < 0.25:
                    spec.append(["const", round(rng.choice((-1, 1)) * rng.uniform(0.5, 3.0), 3)])
                    values.append(spec[-1][1])
                    second = len(spec) - 1
                else:
                    pool = sorted(unused - {first})
                    second = first if rng.random() < 0.15 else rng.choice(pool) if pool else rng.choice(live)
                if kind == "div" and abs(values[second]) <= 0.2:
                    kind = "mul"
                node = [kind, first, second]
            else:
                node = [kind, first]
            spec.append(node)
            values.append(BINARY[kind](*[values[i] for i in node[1:]]) if kind in BINARY
                          else UNARY[kind](values[first]))
            if not _ok(values[-1]):
                good = False
                break
            unused -= set(node[1:])
            live.append(len(spec) - 1)
            unused.add(len(spec) - 1)
        if good:
            return spec
    raise RuntimeError("random_program: could not draw a program with moderate values")  # pragma: no cover


def _reach(spec: Sequence[Sequence[Any]], root: int | None = None) -> set[int]:
    """Indices the node ``root`` (default: the last) depends on, itself included."""
    root = len(spec) - 1 if root is None else root
    seen, stack = {root}, [root]
    while stack:
        kind, *args = spec[stack.pop()]
        if kind in ("leaf", "const"):
            continue
        for j in args:
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return seen


def count_paths_of(spec: Sequence[Sequence[Any]], source: int) -> int:
    """The number of paths from node ``source`` to the root (parallel edges counted separately).

    >>> count_paths_of(squarings(5), 0), count_paths_of([["leaf", 1.0], ["leaf", 2.0], ["exp", 1]], 0)
    (32, 0)
    """
    paths = [0] * len(spec)
    paths[source] = 1
    for index in range(source + 1, len(spec)):
        kind, *args = spec[index]
        if kind not in ("leaf", "const"):
            paths[index] = sum(paths[j] for j in args)
    return paths[-1]


def level_indices(spec: Sequence[Sequence[Any]]) -> list[list[int]]:
    """The nodes the root depends on, grouped by the length of the longest path from a leaf.

    >>> level_indices([["leaf", 1.0], ["exp", 0], ["leaf", 2.0], ["mul", 1, 2]])
    [[0, 2], [1], [3]]
    """
    keep = _reach(spec)
    depth: dict[int, int] = {}
    for index in sorted(keep):
        kind, *args = spec[index]
        depth[index] = 0 if kind in ("leaf", "const") else 1 + max(depth[j] for j in args)
    levels: list[list[int]] = [[] for _ in range(max(depth.values()) + 1)]
    for index in sorted(keep):
        levels[depth[index]].append(index)
    return levels


def node_derivative(spec: Sequence[Sequence[Any]], source: int) -> float:
    """d(root)/d(node ``source``) by central differences on the node's value (1 for the root)."""
    root = len(spec) - 1
    if source == root:
        return 1.0
    if source not in _reach(spec):
        return 0.0
    x = evaluate(spec)[source]
    return central_difference(lambda t: evaluate(spec, {source: t})[root], x)


# -- Wengert lists as data (exercises 2.1 and 2.2) ---------------------------------------------


def _names(rng: random.Random, count: int, taken: Sequence[str] = ()) -> list[str]:
    pool = [f"{letter}{number}" for letter in "tuwz" for number in range(1, 40)] + list("abcdpqrs")
    pool = [name for name in pool if name not in taken]
    return rng.sample(pool, count)


def wengert_list(spec: Sequence[Sequence[Any]], input_names: Sequence[str], step_names: Sequence[str]) -> tuple[
        dict[str, float], list[list[Any]]]:
    """``spec`` as (inputs, steps): every computed node one step, constants inline as numbers.

    >>> inputs, steps = wengert_list(running_example(), ["v-1", "v0"], ["v1", "v2", "v3", "v4", "v5"])
    >>> inputs, steps[0], steps[-1]
    ({'v-1': 2.0, 'v0': 5.0}, ['v1', 'log', ['v-1']], ['v5', 'sub', ['v4', 'v3']])
    """
    names: dict[int, Any] = {}
    inputs: dict[str, float] = {}
    steps: list[list[Any]] = []
    leaves = iter(input_names)
    computed = iter(step_names)
    for index, (kind, *args) in enumerate(spec):
        if kind == "leaf":
            names[index] = next(leaves)
            inputs[names[index]] = float(args[0])
        elif kind == "const":
            names[index] = args[0]
        else:
            names[index] = next(computed)
            steps.append([names[index], kind, [names[j] for j in args]])
    return inputs, steps


def replay(inputs: dict[str, float], steps: Sequence[Sequence[Any]]) -> dict[str, float]:
    """The grader's evaluator of a Wengert list (which it trusts to be well formed).

    >>> replay({"x": 3.0}, [["u", "mul", ["x", "x"]], ["w", "sub", [1, "u"]]])
    {'x': 3.0, 'u': 9.0, 'w': -8.0}
    """
    values = dict(inputs)
    for name, op, args in steps:
        numbers = [values[a] if isinstance(a, str) else float(a) for a in args]
        values[name] = BINARY[op](*numbers) if op in BINARY else UNARY[op](*numbers)
    return values


def _list_problem(got: Any, input_names: Sequence[str]) -> str | None:
    """What makes ``got`` not a well-formed Wengert list named v1, v2, ... (None if it is one)."""
    if type(got) is not list:
        return "expected a list of steps [name, op, args]"
    defined = set(input_names)
    for k, step in enumerate(got, start=1):
        if type(step) is not list or len(step) != 3:
            return f"step {k}: expected [name, op, args], got {step!r:.60}"
        name, op, args = step
        if name != f"v{k}":
            return f"step {k}: name it 'v{k}', got {name!r:.30}"
        if op not in BINARY and op not in UNARY:
            return f"step {k}: unknown operation {op!r:.30}; use the names in OP_NAMES"
        if type(args) is not list or len(args) != (2 if op in BINARY else 1):
            return f"step {k}: {op} takes {2 if op in BINARY else 1} argument(s), got {args!r:.60}"
        for a in args:
            if isinstance(a, str):
                if a not in defined:
                    return f"step {k} reads {a!r:.30}, which no input or earlier step defines"
            elif type(a) not in (int, float):
                return f"step {k}: an argument must be a name or a number, got {a!r:.30}"
        defined.add(name)
    return None


def _trace_problem(got: Any, expected: dict[str, Any]) -> str | None:
    """Comparator of 2.2: a well-formed list, one step per computed node, the graph's function."""
    try:
        problem = _list_problem(got, expected["inputs"])
        if problem:
            return problem
        if len(got) != expected["steps"]:
            return (f"{len(got)} steps for a graph of {expected['steps']} operations: one step per "
                    "computed node, each shared node once")
        if not got:
            return "no steps"
        for point, value in zip(expected["points"], expected["values"]):
            try:
                result = replay(point, got)[got[-1][0]]
            except (ArithmeticError, ValueError):
                return "replaying the list at other inputs fails (division by zero or log of a negative)"
            if not math.isclose(result, value, rel_tol=1e-9, abs_tol=1e-12):
                where = ", ".join(f"{k}={v:g}" for k, v in point.items())
                return (f"replayed at ({where}) the list gives {result:.6g}, the graph {value:.6g}: check "
                        "the operations, the order of their arguments and the constants")
        return None
    except Exception as error:  # noqa: BLE001 - malformed data must not crash the grader
        return f"could not read the list: {type(error).__name__}"


# -- drivers: run where the student's code is --------------------------------------------------


def _stack_depth() -> int:
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    return depth


def _call(function: Any, *args: Any, headroom: int = 0) -> Any:
    """``function(*args)`` with at most ``headroom`` frames of recursion to spare (0: unchanged)."""
    old = sys.getrecursionlimit()
    if headroom:
        sys.setrecursionlimit(_stack_depth() + headroom)
    try:
        return function(*args)
    finally:
        sys.setrecursionlimit(old)


def _node_graph(spec: Sequence[Sequence[Any]]) -> list[Any]:
    """``autodiff.graph.Node`` objects for ``spec``, labelled by index."""
    from autodiff.graph import Node

    nodes: list[Any] = []
    for index, (kind, *args) in enumerate(spec):
        if kind in ("leaf", "const"):
            nodes.append(Node(label=f"#{index}"))
        else:
            nodes.append(Node(kind, *[nodes[j] for j in args], label=f"#{index}"))
    return nodes


def _value_graph(spec: Sequence[Sequence[Any]], labels: Sequence[str] = ()) -> list[Any]:
    """The package's ``Value`` nodes for ``spec``; inputs get ``labels`` in order."""
    import autodiff

    names = iter(labels)
    nodes: list[Any] = []
    for kind, *args in spec:
        if kind == "leaf":
            nodes.append(autodiff.Value(args[0], label=next(names, "")))
        elif kind == "const":
            nodes.append(autodiff.Value(args[0]))
        elif kind in BINARY:
            a, b = nodes[args[0]], nodes[args[1]]
            nodes.append({"add": a.__add__, "sub": a.__sub__, "mul": a.__mul__, "div": a.__truediv__}[kind](b))
        elif kind == "neg":
            nodes.append(-nodes[args[0]])
        else:
            nodes.append(getattr(nodes[args[0]], kind)())
    return nodes


def _graph(spec: Sequence[Sequence[Any]], engine: str) -> list[Any]:
    return _value_graph(spec) if engine == "autodiff" else _node_graph(spec)


def _index(nodes: Sequence[Any]) -> dict[int, int]:
    return {id(node): i for i, node in enumerate(nodes)}


@chapter.driver
def run_evaluate(ns: dict[str, Any], inputs: dict[str, float], steps: list[list[Any]]) -> Any:
    """The student's ``evaluate_trace`` on a Wengert list given as data (tuples for steps)."""
    return need(ns, "evaluate_trace")(dict(inputs), [(n, op, list(args)) for n, op, args in steps])


@chapter.driver
def evaluate_raises(ns: dict[str, Any], inputs: dict[str, float], steps: list[list[Any]]) -> dict[str, Any]:
    """Which exception ``evaluate_trace`` raises on this list (``None`` if it returns)."""
    function = need(ns, "evaluate_trace")
    try:
        function(dict(inputs), [(n, op, list(args)) for n, op, args in steps])
    except NotImplementedError:
        raise
    except ValueError:
        return {"raised": "ValueError"}
    except Exception as error:  # noqa: BLE001 - the wrong exception is an answer too
        return {"raised": type(error).__name__}
    return {"raised": None}


@chapter.driver
def run_record(ns: dict[str, Any], spec: list[list[Any]], names: list[str]) -> Any:
    """The student's ``record_trace`` on the package ``Value`` graph of ``spec``."""
    nodes = _value_graph(spec, names)
    inputs = {name: node for name, node in zip(names, (n for n, s in zip(nodes, spec) if s[0] == "leaf"))}
    return need(ns, "record_trace")(nodes[-1], inputs)


@chapter.driver
def run_levels(ns: dict[str, Any], spec: list[list[Any]], engine: str = "node", headroom: int = 0) -> Any:
    """The student's ``levels`` on the graph of ``spec``, as lists of node indices (-1: not a node)."""
    nodes = _graph(spec, engine)
    result = _call(need(ns, "levels"), nodes[-1], headroom=headroom)
    index = _index(nodes)
    return [[index.get(id(node), -1) for node in level] for level in result]


@chapter.driver
def chain_levels(ns: dict[str, Any], length: int) -> Any:
    """:func:`run_levels` on a chain of ``length`` nodes, with 200 frames of recursion to spare."""
    return run_levels(ns, chain(length), "node", 200)


@chapter.driver
def levels_of_cycle(ns: dict[str, Any], spec: list[list[Any]], leaf: int, engine: str = "node") -> dict[str, Any]:
    """Which exception ``levels`` raises once the leaf ``leaf`` is made to depend on the root."""
    nodes = _graph(spec, engine)
    nodes[leaf]._prev = (nodes[-1],)  # the leaf now depends on the root: a cycle through both
    function = need(ns, "levels")
    try:
        _call(function, nodes[-1], headroom=400)
    except NotImplementedError:
        raise
    except ValueError:
        return {"raised": "ValueError"}
    except Exception as error:  # noqa: BLE001 - the wrong exception is an answer too
        return {"raised": type(error).__name__}
    finally:
        nodes[leaf]._prev = ()  # break the cycle again, so that the graph can be freed
    return {"raised": None}


@chapter.driver
def run_count(ns: dict[str, Any], spec: list[list[Any]], source: int, engine: str = "node") -> Any:
    """The student's ``count_paths`` from node ``source`` to the root of ``spec``."""
    nodes = _graph(spec, engine)
    return _call(need(ns, "count_paths"), nodes[-1], nodes[source], headroom=2000)


@chapter.driver
def run_derivative(ns: dict[str, Any], spec: list[list[Any]], source: int) -> Any:
    """The student's ``path_derivative`` of the root of ``spec`` with respect to node ``source``."""
    nodes = _value_graph(spec)
    return _call(need(ns, "path_derivative"), nodes[-1], nodes[source], headroom=2000)


# -- 2.1 evaluate_trace -----------------------------------------------------------------------


_RUNNING_NAMES = (["v-1", "v0"], ["v1", "v2", "v3", "v4", "v5"])
_RAISES = {"raised": "ValueError"}


def _evaluate_case(label: str, inputs: dict[str, float], steps: list[list[Any]], hint: str = "") -> Case:
    return Case(label, run_evaluate, (inputs, steps), replay(inputs, steps), VALUES, hint=hint)


def _raises_case(label: str, inputs: dict[str, float], steps: list[list[Any]], hint: str = "") -> Case:
    return Case(label, evaluate_raises, (inputs, steps), _RAISES, EXACT, hint=hint)


@evaluate_ex.check(points=1)
def evaluate_by_hand(rng: random.Random) -> list[Case]:
    inputs, steps = wengert_list(running_example(), *_RUNNING_NAMES)
    small = [["u", "mul", ["x", "x"]], ["w", "sub", [1, "u"]], ["y", "div", ["w", 2]]]
    swapped = steps[:3] + [steps[4], steps[3]]
    return [
        _evaluate_case("the running example at (2, 5)", inputs, steps,
                       "one value per name: inputs and every step, e.g. values['v5'] = values['v4'] - values['v3']"),
        _evaluate_case("u = x*x; w = 1 - u; y = w / 2 at x = 3", {"x": 3.0}, small,
                       "an argument is a name or a number (a constant); the order of arguments matters for sub and div"),
        _raises_case("v5 before v4: raises ValueError", inputs, swapped,
                     "a step may read only inputs and variables assigned by earlier steps"),
        _raises_case("a step assigns v0, an input: raises ValueError", inputs,
                     steps[:2] + [["v0", "sin", ["v-1"]]] + steps[2:],
                     "each variable is assigned exactly once"),
    ]


def _random_list(rng: random.Random) -> tuple[dict[str, float], list[list[Any]]]:
    spec = random_program(rng, rng.randint(1, 3), rng.randint(3, 12))
    leaves = sum(kind == "leaf" for kind, *_ in spec)
    computed = sum(kind not in ("leaf", "const") for kind, *_ in spec)
    names = _names(rng, leaves + computed)
    return wengert_list(spec, names[:leaves], names[leaves:])


@evaluate_ex.check(points=1, hidden=True)
def evaluate_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(6):
        inputs, steps = _random_list(rng)
        cases.append(_evaluate_case(f"random list of {len(steps)} steps", inputs, steps))
    return cases


@evaluate_ex.check(points=1, hidden=True)
def evaluate_random_errors(rng: random.Random) -> list[Case]:
    # Valid lists among the invalid ones, so that an answer raising on everything does not pass.
    cases = []
    for _ in range(3):
        inputs, steps = _random_list(rng)
        cases.append(_evaluate_case(f"random list of {len(steps)} steps", inputs, steps))
    for variant in ("early", "early", "twice", "twice", "unknown", "unknown"):
        inputs, steps = _random_list(rng)
        while len(steps) < 3:
            inputs, steps = _random_list(rng)
        steps = [list(s) for s in steps]
        names = list(inputs) + [s[0] for s in steps]
        if variant == "early":  # move a step before the step that defines one of its arguments
            readers = [(k, d) for k, s in enumerate(steps) for d, t in enumerate(steps[:k]) if t[0] in s[2]]
            k, d = rng.choice(readers) if readers else (len(steps) - 1, 0)
            steps.insert(d, steps.pop(k))
            if not readers:  # no step reads another: make the moved one read the one it now precedes
                steps[0][2][0] = steps[1][0]
        elif variant == "twice":  # an extra step assigns a name that already has a value
            k = rng.randrange(1, len(steps) + 1)
            defined = names[: len(inputs) + k]
            steps.insert(k, [rng.choice(defined), "sin", [rng.choice(defined)]])
        else:
            k = rng.randrange(len(steps))
            steps[k][2][0] = _names(rng, 1, names)[0]
        cases.append(_raises_case(f"invalid list ({variant}): raises ValueError", inputs, steps))
    return cases


# -- 2.2 record_trace -------------------------------------------------------------------------


_SHARED = [["leaf", 0.5], ["leaf", 2.0], ["mul", 0, 1], ["const", 1.0], ["add", 2, 3], ["exp", 2], ["mul", 4, 5]]


def _record_case(rng: random.Random, label: str, spec: list[list[Any]], names: list[str], hint: str = "") -> Case:
    leaves = [i for i, s in enumerate(spec) if s[0] == "leaf"]
    steps = sum(1 for i in _reach(spec) if spec[i][0] not in ("leaf", "const"))
    values = evaluate(spec)
    points, results = [{name: values[i] for name, i in zip(names, leaves)}], [values[-1]]
    while len(points) < 4:
        moved = {i: values[i] * (1 + rng.uniform(-0.05, 0.05)) for i in leaves}
        try:
            result = evaluate(spec, moved)[-1]
        except (ArithmeticError, ValueError):
            continue
        points.append({name: moved[i] for name, i in zip(names, leaves)})
        results.append(result)
    expected = {"inputs": names, "steps": steps, "points": points, "values": results}
    return Case(label, run_record, (spec, names), expected, _trace_problem, hint=hint,
                show=f"{steps} steps that replay to the graph's function")


@record_ex.check(points=1)
def record_by_hand(rng: random.Random) -> list[Case]:
    return [
        _record_case(rng, "the running example", running_example(), ["x1", "x2"],
                     "one step per computed node, in topological order, named v1, v2, ...; inputs by their "
                     "names in `inputs`, constants as numbers"),
        _record_case(rng, "u = a * b; (u + 1) * exp(u)", _SHARED, ["a", "b"],
                     "a node used twice is still one step: give each node its name once, in a dict by id"),
    ]


@record_ex.check(points=2, hidden=True)
def record_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(6):
        spec = random_program(rng, rng.randint(1, 3), rng.randint(3, 14))
        names = _names(rng, sum(s[0] == "leaf" for s in spec))
        cases.append(_record_case(rng, f"random program of {len(spec)} nodes", spec, names))
    return cases


@record_ex.check(points=1, hidden=True)
def record_shared(rng: random.Random) -> list[Case]:
    cases = []
    for k in (3, 6):
        spec = lattice(k, round(rng.uniform(0.3, 1.2), 6), (rng.choice(("sin", "tanh")), "cos", rng.choice(("mul", "sub"))))
        cases.append(_record_case(rng, f"{k} diamonds", spec, [rng.choice("abxy")]))
    spec = squarings(8, round(rng.uniform(0.9, 1.05), 6))
    cases.append(_record_case(rng, "8 squarings", spec, ["x"]))
    return cases


# -- 2.3 levels -------------------------------------------------------------------------------


_LEVELS_SHOWN = "nodes grouped by longest path from a leaf"
CHAIN_LENGTH = 20_000


def _levels_case(label: str, spec: list[list[Any]], engine: str = "node", hint: str = "") -> Case:
    return Case(label, run_levels, (spec, engine), level_indices(spec), _same_levels, hint=hint)


def _same_levels(got: Any, expected: Any) -> str | None:
    if type(got) is not list or not all(type(level) is list for level in got):
        return "expected a list of levels, each a list of nodes"
    if any(-1 in level for level in got):
        return "a level contains objects that are not nodes of the graph"
    normalised = [sorted(level) for level in got]
    return EXACT(normalised, expected)


@levels_ex.check(points=1)
def levels_by_hand(rng: random.Random) -> list[Case]:
    spec = running_example()
    return [
        _levels_case("the running example", spec, hint=(
            "level 0: the leaves; a node goes one level after the last of its inputs (the longest "
            "path from a leaf, not the shortest, not the distance from the root)")),
        _levels_case("b = a * a; c = b + b", [["leaf", 1.0], ["mul", 0, 0], ["add", 1, 1]], hint=(
            "a node that uses the same input twice waits for it once per use, or once in all: "
            "count consistently")),
        Case("a cycle through the root: raises ValueError", levels_of_cycle, (spec, 0), _RAISES, EXACT,
             hint="when no node is ready but some are left, those nodes are on a cycle"),
    ]


@levels_ex.check(points=1)
def levels_long_chain(rng: random.Random) -> list[Case]:
    return [Case(f"a chain of {CHAIN_LENGTH} nodes", chain_levels, (CHAIN_LENGTH,),
                 [[i] for i in range(CHAIN_LENGTH)], _same_levels, show=_LEVELS_SHOWN,
                 hint="no recursion: a queue of ready nodes and a count of inputs still to come")]


@levels_ex.check(points=1, hidden=True)
def levels_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(6):
        spec = random_expression(rng, rng.randint(1, 4), rng.randint(3, 25), rng.randint(0, 4))
        cases.append(_levels_case(f"random graph of {len(spec)} nodes", spec))
    return cases


@levels_ex.check(points=1, hidden=True)
def levels_values_and_cycles(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(3):
        spec = random_expression(rng, rng.randint(1, 3), rng.randint(3, 15), rng.randint(0, 2))
        cases.append(_levels_case(f"autodiff.Value graph of {len(spec)} nodes", spec, "autodiff"))
    for engine in ("node", "node", "autodiff"):
        spec = random_expression(rng, rng.randint(1, 3), rng.randint(3, 15), 0)
        leaf = rng.choice(sorted(i for i in reachable(spec) if spec[i][0] == "leaf"))
        cases.append(Case(f"a cycle in a graph of {len(spec)} nodes ({engine}): ValueError", levels_of_cycle,
                          (spec, leaf, engine), _RAISES, EXACT))
    return cases


# -- 2.4 count_paths --------------------------------------------------------------------------


def _count_case(label: str, spec: list[list[Any]], source: int, engine: str = "node", hint: str = "") -> Case:
    return Case(label, run_count, (spec, source, engine), count_paths_of(spec, source), EXACT, hint=hint)


@count_ex.check(points=1)
def count_by_hand(rng: random.Random) -> list[Case]:
    spec = running_example()
    return [
        _count_case("running example, from x1", spec, 0, hint="paths(node) = sum of paths(input) over its inputs"),
        _count_case("running example, from v1 = ln x1", spec, 2, hint="nodes before the source have no paths from it"),
        _count_case("running example, from y itself", spec, 6, hint="the empty path: one path from a node to itself"),
        _count_case("4 squarings v <- v * v", squarings(4), 0,
                    hint="v * v has two edges from v: each is its own path"),
        _count_case("40 diamonds", lattice(40), 0,
                    hint="2**40 paths cannot be listed: add up counts node by node, in topological order"),
    ]


@count_ex.check(points=1, hidden=True)
def count_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(6):
        spec = random_expression(rng, rng.randint(1, 4), rng.randint(3, 25), rng.randint(0, 3))
        source = rng.randrange(len(spec))
        cases.append(_count_case(f"random graph of {len(spec)} nodes, from node #{source}", spec, source))
    spec = random_expression(rng, 2, 12, 0)
    cases.append(_count_case("autodiff.Value graph", spec, rng.randrange(2), "autodiff"))
    return cases


@count_ex.check(points=1, hidden=True)
def count_deep(rng: random.Random) -> list[Case]:
    k, m = rng.randint(50, 70), rng.randint(50, 70)
    spec = lattice(k)
    middle = 3 * rng.randint(5, k - 5)
    return [
        _count_case(f"{k} diamonds", spec, 0),
        _count_case(f"{k} diamonds, from the node #{middle}", spec, middle),
        _count_case(f"{m} squarings", squarings(m), 0),
        _count_case(f"a chain of {CHAIN_LENGTH} nodes", chain(CHAIN_LENGTH), 0),
    ]


# -- 2.5 path_derivative ----------------------------------------------------------------------


def _derivative_case(label: str, spec: list[list[Any]], source: int, hint: str = "") -> Case:
    return Case(label, run_derivative, (spec, source), node_derivative(spec, source), DERIVATIVE, hint=hint)


@derivative_ex.check(points=1)
def derivative_by_hand(rng: random.Random) -> list[Case]:
    spec = running_example()
    return [
        _derivative_case("dy/dx1 of the running example", spec, 0,
                         hint="d(node) = sum over its inputs of local_partials(node)[position] * d(input); "
                              "add every edge's term (+=), do not overwrite"),
        _derivative_case("dy/dx2 of the running example", spec, 1),
        _derivative_case("dy/dv2, v2 = x1 * x2", spec, 3, hint="the source's own derivative is 1"),
        _derivative_case("4 squarings at x = 1.1", squarings(4, 1.1), 0,
                         hint="v * v has two edges from v, at positions 0 and 1: both count"),
        _derivative_case("30 diamonds", lattice(30), 0,
                         hint="2**30 paths cannot be listed: one pass over the nodes in topological order"),
    ]


@derivative_ex.check(points=2, hidden=True)
def derivative_random(rng: random.Random) -> list[Case]:
    cases = []
    for intermediate in (False, False, False, False, True, True):
        spec = random_program(rng, rng.randint(1, 3), rng.randint(3, 14))
        kinds = ("leaf",) if not intermediate else tuple(BINARY) + tuple(UNARY)
        candidates = [i for i, s in enumerate(spec[:-1]) if s[0] in kinds]
        source = rng.choice(candidates)
        cases.append(_derivative_case(f"random program of {len(spec)} nodes, d/d(#{source})", spec, source))
    return cases


@derivative_ex.check(points=1, hidden=True)
def derivative_deep(rng: random.Random) -> list[Case]:
    k = rng.randint(35, 45)
    kinds = (rng.choice(("sin", "tanh")), "cos", rng.choice(("mul", "add")))
    spec = lattice(k, round(rng.uniform(0.2, 0.9), 6), kinds)
    middle = 3 * rng.randint(3, k - 3)
    return [
        _derivative_case(f"{k} diamonds ({', '.join(kinds)})", spec, 0),
        _derivative_case(f"{k} diamonds, d/d(#{middle})", spec, middle),
        _derivative_case("6 squarings", squarings(6, round(rng.uniform(0.95, 1.05), 6)), 0),
        _derivative_case("a node the root does not depend on", [["leaf", 1.0], ["leaf", 0.5], ["sin", 1]], 0),
    ]
