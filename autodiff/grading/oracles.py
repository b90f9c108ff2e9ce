"""Independent oracles for graph exercises, on graphs written as plain data.

A graph is a list of nodes in creation order, each ``["leaf", x]`` or ``[op, i]`` / ``[op, i, j]``
naming earlier nodes by index; the last node is the root (the output). Plain data crosses into the
student's process, where a driver builds real nodes from it, and back (indices); the oracles here
never run any student code:

* :func:`evaluate` computes every node's value in plain floats;
* :func:`node_gradients` gives d(root)/d(node) for every node by central differences
  (:func:`autodiff.numerical.central_difference`), independent of any AD engine;
* :func:`topological_order_problem` checks a proposed order by its defining property (each node
  reachable from the root exactly once, after all of its inputs), so any valid order passes.

>>> spec = [["leaf", -2.0], ["leaf", 3.0], ["mul", 0, 1], ["add", 0, 1], ["mul", 2, 3]]
>>> evaluate(spec)[-1]
-6.0
>>> [round(g, 6) for g in node_gradients(spec)]
[-3.0, -8.0, 1.0, -6.0, 1.0]
>>> topological_order_problem([0, 1, 3, 2, 4], spec) is None
True
>>> topological_order_problem([0, 2, 1, 3, 4], spec)
'node #2 (mul) comes before its input #1 (leaf)'
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import Any

from autodiff.numerical import central_difference

__all__ = [
    "UNARY",
    "BINARY",
    "SYMBOL",
    "random_expression",
    "chain",
    "evaluate",
    "node_gradients",
    "reachable",
    "topological_order_problem",
]

#: The operations graphs are made of, as plain-float functions.
UNARY = {"tanh": math.tanh, "exp": math.exp}
BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b}
#: The ``_op`` string a node of each operation carries.
SYMBOL = {"leaf": "", "add": "+", "sub": "-", "mul": "*", "tanh": "tanh", "exp": "exp"}


def random_expression(
    rng: random.Random,
    leaves: int = 3,
    operations: int = 8,
    unreachable: int = 0,
    kinds: Sequence[str] = ("add", "mul", "tanh", "exp"),
) -> list[list[Any]]:
    """A random expression DAG with shared subexpressions (and repeated inputs such as ``a * a``).

    ``exp`` is only applied to leaves and ``tanh`` nodes, and graphs whose values leave [-1e3, 1e3]
    are redrawn, so every value and derivative is of moderate size. ``unreachable`` of the
    operations (never the root) are used by no later node, so the root cannot reach them.

    >>> spec = random_expression(random.Random(0), leaves=2, operations=4)
    >>> len(spec), spec[0][0], spec[-1][0] != "leaf"
    (6, 'leaf', True)
    """
    total = operations + unreachable
    for _ in range(1000):
        spec: list[list[Any]] = [["leaf", round(rng.uniform(-1.5, 1.5), 6)] for _ in range(leaves)]
        dead = set(rng.sample(range(leaves, leaves + total - 1), unreachable)) if unreachable else set()
        live = list(range(leaves))
        unused = set(live)
        for step in range(total):
            last = step == total - 1  # the root joins the newest node with one nobody uses yet
            binary = [k for k in kinds if k in BINARY]
            kind = rng.choice(binary) if last and binary else rng.choice(list(kinds))
            first = live[-1] if last or rng.random() < 0.7 else rng.choice(live)
            if kind == "exp" and spec[first][0] not in ("leaf", "tanh"):
                kind = "tanh"
            if kind in BINARY:
                pool = sorted(unused - {first})
                second = first if rng.random() < 0.15 else rng.choice(pool) if pool else rng.choice(live)
                spec.append([kind, first, second])
            else:
                spec.append([kind, first])
            unused -= set(spec[-1][1:])
            if len(spec) - 1 not in dead:  # nothing ever uses a dead node: the root cannot reach it
                live.append(len(spec) - 1)
                unused.add(len(spec) - 1)
        values = evaluate(spec)
        if all(abs(v) < 1e3 for v in values):
            return spec
    raise RuntimeError("random_expression: could not draw a graph with moderate values")  # pragma: no cover


def chain(length: int, x: float = 0.5) -> list[list[Any]]:
    """``length`` nodes: a leaf, then ``tanh`` of the previous node, over and over.

    >>> chain(3)
    [['leaf', 0.5], ['tanh', 0], ['tanh', 1]]
    """
    return [["leaf", x], *(["tanh", i] for i in range(length - 1))]


def evaluate(spec: Sequence[Sequence[Any]], override: dict[int, float] | None = None) -> list[float]:
    """The value of every node; ``override`` replaces the value of some nodes (for differences).

    >>> evaluate([["leaf", 2.0], ["mul", 0, 0], ["add", 1, 0]]), evaluate([["leaf", 2.0], ["mul", 0, 0]], {0: 3.0})
    ([2.0, 4.0, 6.0], [3.0, 9.0])
    """
    values: list[float] = []
    for index, (kind, *args) in enumerate(spec):
        if override is not None and index in override:
            values.append(override[index])
        elif kind == "leaf":
            values.append(float(args[0]))
        elif kind in BINARY:
            values.append(BINARY[kind](values[args[0]], values[args[1]]))
        else:
            values.append(UNARY[kind](values[args[0]]))
    return values


def node_gradients(spec: Sequence[Sequence[Any]]) -> list[float]:
    """d(root)/d(node) for every node, by central differences on the node's value.

    This is the adjoint of each node, what a correct ``backward`` leaves in ``node.grad``: 1 for
    the root, 0 for nodes the root does not depend on.

    >>> [round(g, 6) for g in node_gradients([["leaf", 3.0], ["leaf", 1.0], ["tanh", 1], ["mul", 0, 0]])]
    [6.0, 0.0, 0.0, 1.0]
    """
    values = evaluate(spec)
    root = len(spec) - 1
    return [
        central_difference(lambda t, i=i: evaluate(spec, {i: t})[root], values[i]) if i != root else 1.0
        for i in range(len(spec))
    ]


def reachable(spec: Sequence[Sequence[Any]]) -> set[int]:
    """Indices of the nodes the root depends on, the root included.

    >>> sorted(reachable([["leaf", 1.0], ["leaf", 2.0], ["exp", 1], ["tanh", 0]]))
    [0, 3]
    """
    root = len(spec) - 1
    seen = {root}
    stack = [root]
    while stack:
        kind, *inputs = spec[stack.pop()]
        if kind == "leaf":
            continue
        for j in inputs:
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return seen


def _name(spec: Sequence[Sequence[Any]], i: int) -> str:
    return f"#{i} ({spec[i][0]})"


def topological_order_problem(got: Any, spec: Sequence[Sequence[Any]]) -> str | None:
    """``None`` if ``got`` lists every node reachable from the root once, each after its inputs;
    otherwise what is wrong. ``got`` holds node indices (-1 for an object that is not a node).

    >>> spec = [["leaf", 1.0], ["add", 0, 0], ["add", 1, 1]]
    >>> topological_order_problem([0, 1, 2], spec), topological_order_problem([0, 1, 1, 2], spec)
    (None, 'node #1 (add) is listed twice')
    """
    if type(got) is not list or not all(type(i) is int for i in got):
        return "expected a list of the graph's nodes"
    if -1 in got:
        return "the list contains objects that are not nodes of the graph"
    reach = reachable(spec)
    position: dict[int, int] = {}
    for place, i in enumerate(got):
        if i in position:
            return f"node {_name(spec, i)} is listed twice"
        if i not in reach:
            return f"node {_name(spec, i)} is not reachable from the root and must not be listed"
        position[i] = place
    missing = sorted(reach - position.keys())
    if missing:
        return f"{len(missing)} of {len(reach)} nodes are missing, e.g. {_name(spec, missing[0])}"
    for i in got:
        if spec[i][0] != "leaf":
            for j in spec[i][1:]:
                if position[j] > position[i]:
                    return f"node {_name(spec, i)} comes before its input {_name(spec, j)}"
    return None
