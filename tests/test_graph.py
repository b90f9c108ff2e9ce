"""autodiff.graph: topological order, traces and op counts on any node type."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import graph
from autodiff.graph import count_ops, num_nodes, topological_order, trace


class N:
    """A node written for the tests, independent of autodiff.graph.Node."""

    __slots__ = ("_op", "_prev", "name")

    def __init__(self, op: str = "", *prev: Any, name: str = "") -> None:
        self._op = op
        self._prev = prev
        self.name = name

    def __repr__(self) -> str:
        return f"N({self.name})"


# --------------------------------------------------------------------------------------------
# Independent reference implementations (simple, recursive, only for small graphs)


def reachable_ids(roots: list[Any]) -> set[int]:
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        n = todo.pop()
        if id(n) not in seen:
            seen.add(id(n))
            todo.extend(n._prev)
    return seen


def recursive_postorder(roots: list[Any]) -> list[Any]:
    """The textbook recursive DFS post-order (the order topological_order documents)."""
    out: list[Any] = []
    seen: set[int] = set()

    def visit(n: Any) -> None:
        if id(n) in seen:
            return
        seen.add(id(n))
        for p in n._prev:
            visit(p)
        out.append(n)

    for r in roots:
        visit(r)
    return out


def assert_topological(order: list[Any], roots: list[Any]) -> None:
    position = {id(n): i for i, n in enumerate(order)}
    assert len(position) == len(order), "a node appears twice"
    assert set(position) == reachable_ids(roots), "missing or unreachable nodes"
    for n in order:
        for p in n._prev:
            assert position[id(p)] < position[id(n)], f"{p} comes after its user {n}"


# A random DAG: node i takes 0..3 inputs among nodes 0..i-1 (repeats allowed); the roots are a
# random non-empty selection. Node numbers are shuffled relative to creation order by the
# strategy's choices, so "creation order" is not a valid answer.
@st.composite
def random_dags(draw: st.DrawFn) -> tuple[list[N], list[N]]:
    n = draw(st.integers(min_value=1, max_value=40))
    nodes: list[N] = []
    for i in range(n):
        k = 0 if i == 0 else draw(st.integers(min_value=0, max_value=3))
        prev = [nodes[draw(st.integers(min_value=0, max_value=i - 1))] for _ in range(k)]
        nodes.append(N(draw(st.sampled_from(["+", "*", "sin"])) if prev else "", *prev, name=str(i)))
    roots = draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=3))
    return nodes, roots


@settings(max_examples=300, deadline=None)
@given(random_dags())
def test_order_is_topological_on_random_dags(dag: tuple[list[N], list[N]]) -> None:
    nodes, roots = dag
    for r in roots:
        order = topological_order(r)
        assert_topological(order, [r])
        assert order[-1] is r
    assert_topological(topological_order(roots), roots)
    assert_topological(topological_order(tuple(roots)), roots)


@settings(max_examples=300, deadline=None)
@given(random_dags())
def test_order_is_the_dfs_postorder_in_prev_order(dag: tuple[list[N], list[N]]) -> None:
    nodes, roots = dag
    assert [id(n) for n in topological_order(roots)] == [id(n) for n in recursive_postorder(roots)]


@settings(max_examples=200, deadline=None)
@given(random_dags())
def test_trace_edges_and_counts_match_a_direct_enumeration(dag: tuple[list[N], list[N]]) -> None:
    nodes, roots = dag
    root = roots[0]
    ordered, edges = trace(root)
    assert [id(n) for n in ordered] == [id(n) for n in topological_order(root)]
    reach = reachable_ids([root])
    expected_edges = Counter((id(p), id(n)) for n in nodes if id(n) in reach for p in n._prev)
    assert Counter((id(a), id(b)) for a, b in edges) == expected_edges
    position = {id(n): i for i, n in enumerate(ordered)}
    assert all(position[id(a)] < position[id(b)] for a, b in edges)
    assert count_ops(root) == Counter(n._op for n in nodes if id(n) in reach and n._prev)
    assert num_nodes(root) == len(reach)


def build_same_structure() -> N:
    x, y = N(name="x"), N(name="y")
    u = N("*", x, y, name="u")
    w = N("+", u, x, name="w")
    return N("-", w, N("sin", y, name="v"), u, name="z")


def test_order_is_deterministic_and_independent_of_ids() -> None:
    first = [n.name for n in topological_order(build_same_structure())]
    # Allocate in between, so that the second graph's ids differ and may sort differently.
    padding = [N() for _ in range(1000)]
    second = [n.name for n in topological_order(build_same_structure())]
    assert first == second == [n.name for n in recursive_postorder([build_same_structure()])]
    assert padding


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1
    return depth


def test_a_chain_of_a_million_nodes_needs_no_recursion() -> None:
    n = 10**6
    node = leaf = N(name="leaf")
    for _ in range(n):
        node = N("exp", node)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + 60)  # far below the chain's depth
    try:
        start = time.perf_counter()
        order = topological_order(node)
        elapsed = time.perf_counter() - start
        size = num_nodes(node)
    finally:
        sys.setrecursionlimit(limit)
    assert len(order) == n + 1
    assert order[0] is leaf and order[-1] is node
    assert order[1]._prev[0] is leaf and order[-1]._prev[0] is order[-2]
    assert size == n + 1
    assert elapsed < 20  # about 1 s on a laptop; this only catches a quadratic blow-up


def diamond_lattice(depth: int, width: int = 2) -> tuple[N, N, int]:
    """x -> width nodes each using every node of the layer before -> ... -> one sum node.

    Each layer of `width` nodes uses all nodes of the previous layer (or x), and a join node sums
    them; there are width**depth paths from x to the output.
    """
    x = N(name="x")
    top, count = x, 1
    for _ in range(depth):
        layer = [N("*", top, name="m") for _ in range(width)]
        top = N("+", *layer, name="j")
        count += width + 1
    return x, top, count


class CountingNode:
    """A node that counts how often its inputs are read."""

    reads = 0
    __slots__ = ("_op", "_inputs")

    def __init__(self, op: str = "", *prev: Any) -> None:
        self._op, self._inputs = op, prev

    @property
    def _prev(self) -> tuple[Any, ...]:
        CountingNode.reads += 1
        return self._inputs


def test_a_lattice_with_2_to_the_50_paths_takes_linear_time() -> None:
    x, out, count = diamond_lattice(50)
    calls: list[Any] = []

    def inputs(node: N) -> tuple[Any, ...]:
        calls.append(node)
        return node._prev

    order = topological_order(out, inputs=inputs)
    assert len(order) == count == 151
    assert len(calls) == count  # each node expanded exactly once
    assert order[0] is x and order[-1] is out
    assert_topological(order, [out])
    assert count_ops(out) == Counter({"*": 100, "+": 50})
    assert num_nodes(out) == 151

    # The same through the default `_prev` access, on a wider lattice (4**200 paths).
    top = x2 = CountingNode()
    for _ in range(200):
        top = CountingNode("+", *[CountingNode("*", top, top) for _ in range(4)])
    CountingNode.reads = 0
    assert len(topological_order(top)) == 1 + 200 * 5
    assert CountingNode.reads == 1 + 200 * 5  # one read per node, none for checks
    assert topological_order(top)[0] is x2


def test_fan_out_edges_are_kept_with_their_multiplicity() -> None:
    a = N(name="a")
    b = N("+", a, a, name="b")
    c = N("*", b, b, name="c")
    nodes, edges = trace(c)
    assert nodes == [a, b, c]
    assert edges == [(a, b), (a, b), (b, c), (b, c)]
    assert count_ops(c) == Counter({"+": 1, "*": 1})


def test_several_roots_share_nodes_once_and_keep_root_order() -> None:
    x = N(name="x")
    f = N("sin", x, name="f")
    g = N("cos", x, name="g")
    h = N("*", f, g, name="h")
    assert [n.name for n in topological_order([g, h])] == ["x", "g", "f", "h"]
    assert [n.name for n in topological_order([h, g, h])] == ["x", "f", "g", "h"]
    assert topological_order([]) == []
    nodes, edges = trace([f, g])
    assert [n.name for n in nodes] == ["x", "f", "g"] and len(edges) == 2


class TupleNode(tuple):
    """A node that is a tuple (op, inputs), like a namedtuple (which forbids `_` field names)."""

    @property
    def _op(self) -> str:
        return self[0]

    @property
    def _prev(self) -> tuple[Any, ...]:
        return self[1]


def test_a_tuple_node_is_a_node_not_a_list_of_roots() -> None:
    a = TupleNode(("", ()))
    b = TupleNode(("neg", (a,)))
    assert topological_order(b) == [a, b]
    assert count_ops(b) == Counter({"neg": 1})
    assert topological_order([b, a]) == [a, b]  # a list of namedtuple nodes is a list of roots


def test_custom_inputs_for_foreign_node_types() -> None:
    # A graph given as a dict of lists: no node protocol at all.
    deps = {"loss": ["pred", "y"], "pred": ["w", "x"], "w": [], "x": [], "y": []}
    assert topological_order("loss", inputs=deps.__getitem__) == ["w", "x", "pred", "y", "loss"]
    nodes, edges = trace("loss", inputs=deps.__getitem__)
    assert ("pred", "loss") in edges and len(edges) == 4
    assert num_nodes("loss", inputs=deps.__getitem__) == 5
    # Generators work, and nodes made on the fly are tracked safely.
    assert topological_order(4, inputs=lambda k: (j for j in range(k))) == [0, 1, 2, 3, 4]


def test_cycles_are_reported_with_the_cycle() -> None:
    a = N(name="a")
    b = N("exp", a, name="b")
    c = N("+", b, a, name="c")
    a._prev = (c,)
    with pytest.raises(ValueError, match=r"topological_order: the graph has a cycle: N\(.*\) -> "):
        topological_order(c)
    with pytest.raises(ValueError, match="count_ops: the graph has a cycle"):
        count_ops(b)
    s = N("sin", name="s")
    s._prev = (s,)
    with pytest.raises(ValueError, match="cycle"):
        num_nodes(s)
    with pytest.raises(ValueError, match="cycle"):
        topological_order("a", inputs={"a": ["b"], "b": ["a"]}.__getitem__)


def test_a_long_cycle_is_abbreviated() -> None:
    first = node = N(name="first")
    for _ in range(100):
        node = N("f", node)
    first._prev = (node,)
    with pytest.raises(ValueError, match=r"\.\.\. \(94 more\) \.\.\."):
        topological_order(node)


def test_clear_type_errors() -> None:
    with pytest.raises(TypeError, match=r"topological_order: expected a graph node .* got float"):
        topological_order(3.0)
    with pytest.raises(TypeError, match=r"num_nodes: expected a graph node .* got int"):
        num_nodes([N(), 1])
    with pytest.raises(TypeError, match="has no `_prev` attribute"):
        topological_order(N("+", N(), object()))
    s = N("+")
    s._prev = {N()}
    with pytest.raises(TypeError, match="are a set, whose order depends on hashing"):
        trace(s)
    s._prev = 7
    with pytest.raises(TypeError, match="must be an iterable of nodes .* got int"):
        topological_order(s)
    with pytest.raises(TypeError, match="inputs must be a function"):
        topological_order(N(), inputs=[1, 2])

    class NoOp:
        _prev = (N(),)

    with pytest.raises(TypeError, match="count_ops: the computed node NoOp.* has no `_op`"):
        count_ops(N("+", NoOp()))


def test_node_class_follows_the_protocol() -> None:
    a = graph.Node(label="a")
    b = graph.Node("*", a, a)
    assert b._prev == (a, a) and b._op == "*" and a._prev == () and a._op == ""
    assert a != graph.Node(label="a") and len({a, graph.Node(label="a")}) == 2
    assert repr(b) == "Node('*', <2 inputs>)" and repr(graph.Node("exp", a)) == "Node('exp', <1 input>)"
    assert topological_order(b) == [a, b]
    with pytest.raises(TypeError, match="Node: op must be a string"):
        graph.Node(a, a)  # forgot the op


# --------------------------------------------------------------------------------------------
# The package's own engines, once they exist


def test_topological_order_of_autodiff_values() -> None:
    scalar = pytest.importorskip("autodiff.scalar")
    a, b = scalar.Value(2.0), scalar.Value(-3.0)
    c = a * b
    d = c + a
    e = d * d  # fan-out at d (used twice) and at a (used by c and d)
    order = topological_order(e)
    assert_topological(order, [e])
    assert [id(n) for n in order] == [id(n) for n in recursive_postorder([e])]
    ops = count_ops(e)
    assert ops.total() == 3 and sorted(ops.values()) == [1, 2] and num_nodes(e) == 5
    nodes, edges = trace(e)
    assert len(edges) == 6 and sum(1 for i, o in edges if i is d) == 2


def test_a_deep_chain_of_autodiff_values() -> None:
    scalar = pytest.importorskip("autodiff.scalar")
    x = y = scalar.Value(1.0)
    for _ in range(10**5):
        y = y * 1.0
    order = topological_order(y)
    assert order[-1] is y and len(order) == num_nodes(y) == len(reachable_ids([y]))
    assert_topological(order, [y])
    assert any(n is x for n in order[:2])  # x is the first leaf reached
