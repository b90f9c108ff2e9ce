"""Computational graphs: topological order, traces and op counts (chapters 2 and 4).

Every engine of the package (``Value``, ``Dual``, ``Tensor``, symbolic expressions) builds a
directed acyclic graph whose nodes expose two attributes (the "Graph nodes" contract in
CONTRIBUTING.md):

* ``_prev``: a tuple of the node's inputs in argument order, duplicates allowed (``a + a`` has
  ``_prev == (a, a)``); empty for leaves;
* ``_op``: a short string naming the operation (``""`` for leaves and constants).

This module works on anything with those two attributes and is shared by every engine. Three
rules hold throughout:

* **No recursion.** Traversal is an explicit-stack depth-first search, so a chain of a million
  nodes works at Python's default recursion limit (micrograd's recursive sort fails past about
  a thousand).
* **Linear time.** Each node is expanded once, however many paths lead to it: a lattice of 50
  diamonds has 2**50 paths from input to output, and costs 151 node visits.
* **Identity and determinism.** Nodes are tracked by ``id()`` (a ``Tensor`` compares elementwise,
  so it cannot be a dictionary key by value), but no result ever depends on ``id()`` or hash
  order: the order is fixed by the graph's structure and the order of each ``_prev`` tuple, so
  drawings and printed orders are the same on every run.

:class:`Node` is a minimal node for hand-built graphs, such as the examples here and the
exercises of chapter 2.

>>> x = Node(label="x")
>>> y = Node(label="y")
>>> s = Node("+", x, y, label="s")
>>> out = Node("*", s, x, label="out")
>>> [n.label for n in topological_order(out)]
['x', 'y', 's', 'out']
>>> count_ops(out)
Counter({'+': 1, '*': 1})
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, TypeVar

__all__ = [
    "GraphNode",
    "Node",
    "topological_order",
    "trace",
    "count_ops",
    "num_nodes",
]

N = TypeVar("N")

#: Type of the optional ``inputs`` argument: a function giving a node's inputs, in order.
InputsFn = Callable[[Any], Iterable[Any]]


class GraphNode(Protocol):
    """The node protocol every engine follows: ``_prev`` (inputs, in order) and ``_op``.

    A static-typing description only; nothing checks it with ``isinstance``.

    >>> def arity(node: GraphNode) -> int:
    ...     return len(node._prev)
    >>> arity(Node("exp", Node()))
    1
    """

    _prev: tuple[Any, ...]
    _op: str


class Node:
    """A minimal graph node: an operation name, its inputs in order, and an optional label.

    For hand-built graphs (examples, exercises, tests of code that walks graphs). It follows the
    node protocol, compares and hashes by identity, and never looks at its inputs when printed, so
    printing is cheap on any graph. ``_prev`` may be reassigned, which is the only way to build a
    (deliberately invalid) cyclic graph.

    >>> a = Node(label="a")
    >>> b = Node("+", a, a, label="b")
    >>> b
    Node('+', <2 inputs>, label='b')
    >>> b._prev == (a, a)
    True
    >>> Node(label="a") == a
    False
    """

    __slots__ = ("_op", "_prev", "label")

    def __init__(self, op: str = "", *inputs: Any, label: str = "") -> None:
        if not isinstance(op, str):
            raise TypeError(
                f"Node: op must be a string naming the operation, got {type(op).__name__} "
                f"({op!r}); pass inputs after it: Node('+', a, b)"
            )
        self._op = op
        self._prev = tuple(inputs)
        self.label = label

    def __repr__(self) -> str:
        parts = [repr(self._op)] if self._op else []
        if self._prev:
            parts.append(f"<{len(self._prev)} input{'s' if len(self._prev) != 1 else ''}>")
        if self.label:
            parts.append(f"label={self.label!r}")
        return f"Node({', '.join(parts)})"


def topological_order(root: Any, inputs: InputsFn | None = None) -> list[Any]:
    """Every node reachable from ``root``, once each, every node after all of its inputs.

    ``root`` is a graph node, or a list or tuple of root nodes. With one root, the root is last.
    With several, the result is the order of the first root's graph, followed by the nodes of the
    second root's graph not seen yet, and so on: still every node after its inputs, each root after
    its own graph, each node once. (A list or tuple that has a ``_prev`` attribute is a node, not a
    list of roots; to pass one node that is a plain list or tuple, wrap it: ``[node]``.)

    ``inputs(node)`` gives a node's inputs in order; the default reads ``node._prev``, which must
    be a tuple or another ordered iterable (a ``set`` is rejected: its order depends on hashing).

    The algorithm is an iterative depth-first search that emits each node when all of its inputs
    are done (post-order). Inputs are visited in ``_prev`` order, so the result is deterministic.
    Time and memory are linear in the numbers of nodes and edges; no recursion, so the depth of
    the graph is limited only by memory. A cycle (possible only in a hand-built graph or through
    ``inputs``) is a ``ValueError`` that shows the cycle.

    >>> x, y = Node(label="x"), Node(label="y")
    >>> u = Node("*", x, y, label="u")
    >>> v = Node("sin", y, label="v")
    >>> z = Node("-", u, v, label="z")
    >>> [n.label for n in topological_order(z)]
    ['x', 'y', 'u', 'v', 'z']
    >>> [n.label for n in topological_order([v, z])]
    ['y', 'v', 'x', 'u', 'z']
    >>> topological_order(5, inputs=lambda k: range(k))  # any graph, given its inputs
    [0, 1, 2, 3, 4, 5]
    >>> x._prev = (z,)  # a hand-built cycle
    >>> topological_order(z)
    Traceback (most recent call last):
    ...
    ValueError: topological_order: the graph has a cycle: Node('-', label='z') -> Node(label='x') -> Node('*', label='u') -> Node('-', label='z') (each arrow goes from an input to a node that uses it); graphs built by operator overloading cannot have one, so check the hand-built `_prev` tuples or the `inputs` function
    """
    return _order(root, inputs, "topological_order")


def trace(root: Any, inputs: InputsFn | None = None) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """The nodes (in topological order) and the edges ``(input, output)`` of a graph.

    There is one edge per occurrence of an input in ``_prev``, so ``b = a + a`` gives the edge
    ``(a, b)`` twice: the edge multiplicity is the number of uses, and in reverse mode each use
    contributes its own term to the adjoint of ``a`` (the fan-out sum). Edges are grouped by their
    output in topological order, and within one output follow ``_prev`` order. ``root`` and
    ``inputs`` are as in :func:`topological_order`.

    >>> a = Node(label="a")
    >>> b = Node("+", a, a, label="b")
    >>> nodes, edges = trace(b)
    >>> [n.label for n in nodes]
    ['a', 'b']
    >>> [(i.label, o.label) for i, o in edges]
    [('a', 'b'), ('a', 'b')]
    """
    get = _inputs_getter(inputs, "trace")
    nodes = _order(root, inputs, "trace")
    edges = [(child, node) for node in nodes for child in get(node)]
    return nodes, edges


def count_ops(root: Any, inputs: InputsFn | None = None) -> Counter[str]:
    """How many times each operation occurs in a graph: a ``Counter`` of ``_op``.

    Counts the computed nodes (those with at least one input), each once however many times it
    is used; leaves are not operations and are not counted. Keys appear in the topological order
    of their first occurrence. ``root`` and ``inputs`` are as in :func:`topological_order`; every
    computed node must have an ``_op`` attribute.

    >>> x = Node(label="x")
    >>> y = Node("*", x, x)
    >>> z = Node("+", y, Node("*", y, x))
    >>> count_ops(z)
    Counter({'*': 2, '+': 1})
    >>> count_ops(z).total(), num_nodes(z)
    (3, 4)
    """
    get = _inputs_getter(inputs, "count_ops")
    computed = [node for node in _order(root, inputs, "count_ops") if _has_inputs(get(node))]
    try:
        return Counter([node._op for node in computed])
    except AttributeError:
        bad = next(node for node in computed if not hasattr(node, "_op"))
        raise TypeError(
            f"count_ops: the computed node {_describe(bad)} has no `_op` attribute naming its "
            "operation"
        ) from None


def num_nodes(root: Any, inputs: InputsFn | None = None) -> int:
    """The number of distinct nodes reachable from ``root`` (leaves included).

    A shared node counts once: this is the size of the graph (the DAG), not of the expression
    tree it stands for. ``root`` and ``inputs`` are as in :func:`topological_order`.

    >>> x = Node(label="x")
    >>> y = x
    >>> for _ in range(30):
    ...     y = Node("*", y, y)
    >>> num_nodes(y)  # the expression tree would have 2**31 - 1 nodes
    31
    """
    return len(_order(root, inputs, "num_nodes"))


# --------------------------------------------------------------------------------------------
# Implementation


def _order(root: Any, inputs: InputsFn | None, caller: str) -> list[Any]:
    """Iterative post-order DFS shared by every public function (see topological_order).

    One explicit stack of nodes. A node popped for the first time is "opened": it goes back on
    the stack (to be emitted later), followed by its unfinished inputs in reverse order, so that
    the first input is processed first, as in the recursive formulation. A node popped while open
    has all of its inputs emitted, and is emitted. The open nodes are exactly the current DFS path,
    so an input that is open closes a cycle.
    """
    get = _inputs_getter(inputs, caller)
    order: list[Any] = []
    # id -> False while open (on the current path), True once emitted. Every node in `state` is
    # referenced by `stack` or `order`, so no id can be reused during the traversal, even when
    # `inputs` creates its nodes on the fly.
    state: dict[int, bool] = {}
    stack: list[Any] = []
    push, pop, emit, _id = stack.append, stack.pop, order.append, id
    for start in _roots(root, inputs, caller):
        push(start)
        while stack:
            node = pop()
            nid = _id(node)
            seen = state.get(nid)
            if seen is None:  # open it
                state[nid] = False
                push(node)
                prev = get(node)
                if type(prev) is not tuple:
                    prev = _as_tuple(prev, node, caller)
                for child in reversed(prev):
                    done = state.get(_id(child))
                    if done is None:
                        push(child)
                    elif done is False:
                        raise _cycle_error(node, child, get, state, caller)
            elif seen is False:  # all of its inputs are emitted
                state[nid] = True
                emit(node)
    return order


def _roots(root: Any, inputs: InputsFn | None, caller: str) -> Sequence[Any]:
    if isinstance(root, (list, tuple)) and not _has_prev(root):
        roots = root
    else:
        roots = (root,)
    if inputs is None:
        for r in roots:
            if not _has_prev(r):
                raise TypeError(
                    f"{caller}: expected a graph node (an object with `_prev` and `_op`) or a "
                    f"list or tuple of them, got {type(r).__name__}; for other node types pass "
                    "inputs=<function giving a node's inputs>"
                )
    return roots


def _has_prev(obj: Any) -> bool:
    # Look on the type first, so that a `_prev` property is not evaluated just to check for it.
    return hasattr(type(obj), "_prev") or hasattr(obj, "_prev")


def _inputs_getter(inputs: InputsFn | None, caller: str) -> InputsFn:
    if inputs is not None:
        if not callable(inputs):
            raise TypeError(
                f"{caller}: inputs must be a function node -> iterable of input nodes, got "
                f"{type(inputs).__name__}"
            )
        return inputs

    def prev(node: Any) -> Any:
        try:
            return node._prev
        except AttributeError:
            raise TypeError(
                f"{caller}: the node {_describe(node)} has no `_prev` attribute (the tuple of its "
                "inputs); every node of a graph must follow the node protocol, or pass inputs=..."
            ) from None

    return prev


def _as_tuple(prev: Any, node: Any, caller: str) -> tuple[Any, ...]:
    if isinstance(prev, (set, frozenset)):
        raise TypeError(
            f"{caller}: the inputs of {_describe(node)} are a {type(prev).__name__}, whose order "
            "depends on hashing; `_prev` must be a tuple in argument order so that orders and "
            "drawings are the same on every run"
        )
    try:
        return tuple(prev)
    except TypeError:
        raise TypeError(
            f"{caller}: the inputs of {_describe(node)} must be an iterable of nodes (a tuple), "
            f"got {type(prev).__name__}"
        ) from None


def _has_inputs(prev: Any) -> bool:
    if type(prev) is tuple or isinstance(prev, list):
        return len(prev) > 0
    return next(iter(prev), _NOTHING) is not _NOTHING


_NOTHING = object()


def _describe(node: Any) -> str:
    """A short, cheap description of a node: never its repr, which may be huge or recursive."""
    parts = []
    op = getattr(node, "_op", None)
    if isinstance(op, str) and op:
        parts.append(repr(op))
    label = getattr(node, "label", None)
    if isinstance(label, str) and label:
        parts.append(f"label={label!r}")
    if not parts and isinstance(node, (int, float, str)):
        return repr(node)[:40]
    return f"{type(node).__name__}({', '.join(parts)})"


def _cycle_error(
    node: Any, child: Any, get: InputsFn, state: dict[int, bool], caller: str
) -> ValueError:
    """The error for an input `child` of `node` that is still open (an ancestor of `node`)."""
    # The open nodes form the DFS path from a root to `node`, which passes through `child`: find
    # the path child -> ... -> node along inputs, through open nodes only (breadth first).
    parent: dict[int, Any] = {id(child): None}
    queue, path = [child], None
    for current in queue:
        if current is node:
            path = []
            while current is not None:
                path.append(current)
                current = parent[id(current)]
            break
        for nxt in get(current):
            if state.get(id(nxt)) is False and id(nxt) not in parent:
                parent[id(nxt)] = current
                queue.append(nxt)
    # `path` runs from `node` to `child`, each entry an input of the one after it; `child` is an
    # input of `node`, which closes the cycle. Listed so that arrows follow the data flow.
    cycle = [child] + (path or [node])
    names = [_describe(n) for n in cycle]
    if len(names) > 9:
        names = names[:4] + [f"... ({len(names) - 8} more) ..."] + names[-4:]
    return ValueError(
        f"{caller}: the graph has a cycle: {' -> '.join(names)} (each arrow goes from an input to "
        "a node that uses it); graphs built by operator overloading cannot have one, so check the "
        "hand-built `_prev` tuples or the `inputs` function"
    )
