"""autodiff.symbolic: expression trees, diff, simplify, evaluate, tree and DAG sizes (chapter 1).

The references are independent of the code under test: central differences for derivatives,
a hand-written forward recurrence for the logistic map, brute-force expansion of the tree for the
sizes, Python's own parser for the printed form, and (when they exist) the package's forward and
reverse modes.
"""

from __future__ import annotations

import ast
import copy
import doctest
import gc
import math
import operator
import pickle
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import graph
from autodiff import symbolic as sym
from autodiff.numerical import central_difference, default_step
from autodiff.symbolic import (
    Const,
    Expr,
    Var,
    dag_size,
    depth,
    diff,
    evaluate,
    logistic_map,
    simplify,
    tree_size,
)

x, y, z = Var("x"), Var("y"), Var("z")

# -------------------------------------------------------------------------------------------
# Independent helpers (test side only)

_FUNCTIONS = ("sin", "cos", "exp", "log", "tanh", "sqrt")
_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


def parse(text: str) -> Expr:
    """Python's parser turned into an expression, node for node (no constant folding)."""

    def build(node: ast.AST) -> Expr:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return Const(node.value)
        if isinstance(node, ast.Name):
            return Var(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            if isinstance(node.operand, ast.Constant):  # -2 is a literal
                return Const(-node.operand.value)
            return -build(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            return _BINOPS[type(node.op)](build(node.left), build(node.right))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCTIONS:
            (arg,) = node.args
            return getattr(build(arg), node.func.id)()
        raise AssertionError(f"unexpected syntax {ast.dump(node)}")

    return build(ast.parse(text, mode="eval").body)


def occurrences(expr: Expr) -> list[Expr]:
    """Every node of the tree written out, one entry per occurrence (brute force)."""
    out, stack = [], [expr]
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(node._prev)
    return out


def structure(expr: Expr) -> Any:
    """A nested tuple describing the tree, computed without relying on hash-consing."""
    keys: dict[int, Any] = {}
    for node in graph.topological_order(expr):
        if isinstance(node, Var):
            keys[id(node)] = ("var", node.name)
        elif isinstance(node, Const):
            keys[id(node)] = ("const", node.value)
        else:
            keys[id(node)] = (node._op, *(keys[id(a)] for a in node._prev))
    return keys[id(expr)]


def longest_path(expr: Expr) -> int:
    best, stack = 0, [(expr, 0)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        stack.extend((a, d + 1) for a in node._prev)
    return best


def logistic_and_derivative(n: int, x0: float) -> tuple[float, float]:
    """l_n(x0) and l_n'(x0) by the chain rule in a loop (hand-written forward mode)."""
    value, slope = x0, 1.0
    for _ in range(n - 1):
        value, slope = 4 * value * (1 - value), 4 * slope * (1 - value) - 4 * value * slope
    return value, slope


def close(a: float, b: float, rel: float = 1e-9, scale: float = 1.0) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), scale)


def magnitude(expr: Expr, **env: float) -> float:
    """The largest absolute value of any sub-expression: rounding errors scale with it."""
    return max(abs(evaluate(node, **env)) for node in graph.topological_order(expr))


# -------------------------------------------------------------------------------------------
# Random expressions, defined and smooth everywhere on the test box by construction


def positive(e: Expr) -> Expr:
    """1 + e*e >= 1: a safe argument for log, sqrt, division and real powers."""
    return 1 + e * e


constants = st.floats(-2.5, 2.5, allow_nan=False).map(lambda v: Const(round(v, 2)))
leaves = st.one_of(st.sampled_from([x, y]), constants)


def _extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    pairs = st.tuples(children, children)
    return st.one_of(
        pairs.map(lambda p: p[0] + p[1]),
        pairs.map(lambda p: p[0] - p[1]),
        pairs.map(lambda p: p[0] * p[1]),
        pairs.map(lambda p: p[0] / positive(p[1])),
        st.tuples(children, st.integers(0, 3)).map(lambda p: p[0] ** p[1]),
        st.tuples(children, st.integers(-3, -1)).map(lambda p: positive(p[0]) ** p[1]),
        st.tuples(children, st.floats(-2, 2)).map(lambda p: positive(p[0]) ** round(p[1], 2)),
        pairs.map(lambda p: positive(p[0]) ** p[1]),  # a variable exponent
        st.tuples(st.floats(0.25, 3), children).map(lambda p: round(p[0], 2) ** p[1]),  # a constant base
        children.map(lambda a: -a),
        children.map(Expr.sin),
        children.map(Expr.cos),
        children.map(Expr.tanh),
        children.map(Expr.exp),
        children.map(lambda a: positive(a).log()),
        children.map(lambda a: positive(a).sqrt()),
    )


expressions = st.recursive(leaves, _extend, max_leaves=10)
points = st.floats(-1.5, 1.5, allow_nan=False)


def value_or_reject(expr: Expr, **env: float) -> float:
    """evaluate, rejecting the example when it overflows (exp of a large value...)."""
    try:
        value = evaluate(expr, **env)
    except ValueError:
        assume(False)
    assume(abs(value) < 1e6)
    return value


# -------------------------------------------------------------------------------------------
# Docstrings


def test_docstrings_keep_their_examples() -> None:
    # The examples run in the package step (pytest --doctest-modules autodiff); here, only count them.
    examples = sum(len(test.examples) for test in doctest.DocTestFinder().find(sym))
    assert examples >= 30


def test_every_public_name_has_an_example() -> None:
    for name in sym.__all__:
        obj = getattr(sym, name)
        if callable(obj):
            assert obj.__doc__ and ">>>" in obj.__doc__, name


# -------------------------------------------------------------------------------------------
# Nodes: construction, sharing, immutability, the graph-node protocol


def test_operators_build_nodes_and_promote_numbers() -> None:
    e = 4 * x * (1 - x)
    assert e.op == "*" and e._op == "*"
    left, right = e.args
    assert left._prev == (Const(4), x) and left.op == "*"
    assert right._prev == (Const(1), x) and right.op == "-"
    assert (2 / x)._prev == (Const(2), x) and (2**x)._prev == (Const(2), x)
    assert (x ** 0.5)._prev == (x, Const(0.5))
    assert (-x)._op == "neg" and (-x)._prev == (x,)
    assert +x is x
    for f in _FUNCTIONS:
        node = getattr(x, f)()
        assert node._op == f and node._prev == (x,)


def test_graph_node_protocol() -> None:
    twice = x * x
    assert twice._prev == (x, x) and isinstance(twice._prev, tuple)
    for leaf in (x, Const(3)):
        assert leaf._op == "" and leaf._prev == () and leaf.args == ()
    e = logistic_map(4)
    assert graph.num_nodes(e) == dag_size(e)
    assert graph.count_ops(e).total() == dag_size(e, ops_only=True)
    order = graph.topological_order(e)
    assert order[-1] is e and set(map(id, order)) == set(map(id, occurrences(e)))


def test_structurally_equal_expressions_are_the_same_object() -> None:
    assert Var("x") is x and Const(2) is Const(2.0) is Const(True + 1)
    assert 4 * x * (1 - x) is 4 * x * (1 - x)
    assert (x + y) is not (y + x)
    assert Const(-0.0) is Const(0.0)
    assert hash(x.sin() * y) == hash(Var("x").sin() * Var("y"))
    assert {4 * x: "a"}[4 * Var("x")] == "a"
    assert (x + 1) == (x + 1) and (x + 1) != (x + 2) and x != "x"


def test_nodes_are_immutable() -> None:
    e = x + 1
    with pytest.raises(AttributeError, match="immutable"):
        e._prev = (x,)  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        x.name = "y"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        Const(1).value = 2.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del e._op


def test_copy_and_pickle_return_the_same_node() -> None:
    e = (x * y).sin() / (1 + x**2)
    assert copy.copy(e) is e and copy.deepcopy(e) is e
    assert pickle.loads(pickle.dumps(e)) is e
    assert pickle.loads(pickle.dumps(x)) is x


def test_unused_nodes_are_freed() -> None:
    gc.collect()
    before = len(sym._TABLE)
    nodes = [Var("unused_node_test") * Const(1000.5 + i) for i in range(500)]
    assert len(sym._TABLE) >= before + 1000
    del nodes
    gc.collect()
    assert len(sym._TABLE) <= before


def test_unsupported_operands_are_type_errors() -> None:
    with pytest.raises(TypeError, match=r"unsupported operand type\(s\) for \+: 'Var' and 'str'"):
        x + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"for \*: 'dict' and 'Expr'"):
        {} * (x + 1)  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"for \*\* or pow\(\): 'Var' and 'NoneType'"):
        x ** None  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"for /: 'Var' and 'complex'"):
        x / 1j  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"for -: 'bool' and 'Var'"):
        True - x  # type: ignore[operator]


def test_constructor_errors() -> None:
    with pytest.raises(TypeError, match="Const: the value must be a real number, got str"):
        Const("1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Const: the value must be finite"):
        Const(math.nan)
    with pytest.raises(ValueError, match="Const: the value must be finite"):
        Const(10**400)
    with pytest.raises(TypeError, match="Var: the name must be a str"):
        Var(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Python identifier"):
        Var("1x")
    with pytest.raises(ValueError, match="Python identifier"):
        Var("lambda")
    with pytest.raises(ValueError, match="unknown operation 'erf'"):
        Expr("erf", x)
    with pytest.raises(TypeError, match="'\\+' takes 2 argument"):
        Expr("+", x)
    with pytest.raises(TypeError, match=r"Expr\('sin'\): expected an expression or a real number, got str"):
        Expr("sin", "x")
    with pytest.raises(TypeError, match="as_expr: expected an expression or a real number, got list"):
        sym.as_expr([1.0])  # type: ignore[arg-type]
    assert Expr("sin", 0.5) is Const(0.5).sin()


def test_numpy_scalars_are_numbers() -> None:
    np = pytest.importorskip("numpy")
    assert np.float64(2.0) * x is 2 * x
    assert x + np.int64(3) is x + 3
    assert evaluate(x * y, {x: np.float32(2.0), "y": np.int64(3)}) == 6.0


# -------------------------------------------------------------------------------------------
# Sizes


@pytest.mark.parametrize(
    ("expr", "tree", "dag", "ops_tree", "ops_dag", "height"),
    [
        (x, 1, 1, 0, 0, 0),
        (Const(2), 1, 1, 0, 0, 0),
        (x * x, 3, 2, 1, 1, 1),
        (x + 1, 3, 3, 1, 1, 1),
        (4 * x * (1 - x), 7, 6, 3, 3, 2),  # *( *(4, x), -(1, x) ): x counted twice in the tree
        ((x + 1).sin() * (x + 1).sin(), 9, 5, 5, 3, 3),  # sin(x + 1) once in the DAG
        (-(-x), 3, 3, 2, 2, 2),
    ],
)
def test_sizes_of_small_expressions(
    expr: Expr, tree: int, dag: int, ops_tree: int, ops_dag: int, height: int
) -> None:
    assert (tree_size(expr), dag_size(expr)) == (tree, dag)
    assert (tree_size(expr, ops_only=True), dag_size(expr, ops_only=True)) == (ops_tree, ops_dag)
    assert depth(expr) == height


@settings(max_examples=150, deadline=None)
@given(expressions)
def test_sizes_agree_with_brute_force(expr: Expr) -> None:
    expr = diff(expr, x)  # derivatives share a lot: a harder case than the expressions themselves
    assume(tree_size(expr) < 20_000)
    everything = occurrences(expr)
    assert tree_size(expr) == len(everything)
    assert tree_size(expr, ops_only=True) == sum(1 for n in everything if n._prev)
    distinct = {structure(n) for n in everything}
    assert dag_size(expr) == len(distinct)
    assert dag_size(expr, ops_only=True) == sum(1 for s in distinct if s[0] not in ("var", "const"))
    assert depth(expr) == longest_path(expr)
    assert dag_size(expr) <= tree_size(expr)


N_MAX = 8


def swell(n_max: int = N_MAX) -> list[dict[str, int]]:
    rows = []
    for n in range(1, n_max + 1):
        ln = logistic_map(n, x)
        dln = diff(ln, x)
        rows.append(
            {
                "tree": tree_size(ln),
                "dag": dag_size(ln),
                "dtree": tree_size(dln),
                "ddag": dag_size(dln),
                "stree": tree_size(simplify(dln)),
            }
        )
    return rows


def test_the_tree_of_the_logistic_map_grows_exponentially_and_its_dag_linearly() -> None:
    rows = swell()
    for prev, cur in zip(rows[1:], rows[2:]):
        assert cur["tree"] > 2 * prev["tree"]  # l_{n+1} contains l_n twice
    dag_steps = {cur["dag"] - prev["dag"] for prev, cur in zip(rows[1:], rows[2:])}
    assert len(dag_steps) == 1 and dag_steps.pop() > 0  # a constant number of new nodes per step


def test_the_derivative_swells_faster_than_the_function() -> None:
    rows = swell()
    for prev, cur in zip(rows[1:], rows[2:]):
        assert cur["dtree"] > 2 * prev["dtree"]
        # the ratio derivative/function itself grows: the derivative swells faster
        assert cur["dtree"] / cur["tree"] > prev["dtree"] / prev["tree"]
        # simplification removes the zeros and ones, but not the swell
        assert prev["stree"] < prev["dtree"] and cur["stree"] > 2 * prev["stree"]
    dag_steps = {cur["ddag"] - prev["ddag"] for prev, cur in zip(rows[1:], rows[2:])}
    assert len(dag_steps) == 1  # with sharing, the derivative grows linearly too


def test_tree_size_is_exact_for_astronomically_large_trees() -> None:
    e = x
    for _ in range(200):
        e = e * e  # tree size 2**201 - 1, DAG size 201
    assert tree_size(e) == 2**201 - 1 and tree_size(e, ops_only=True) == 2**200 - 1
    assert dag_size(e) == 201 and depth(e) == 200
    assert "tree size" in repr(e)
    with pytest.raises(ValueError, match="MAX_STR_SIZE"):
        str(e)


# -------------------------------------------------------------------------------------------
# evaluate


def test_evaluate_takes_variables_or_names_and_keywords() -> None:
    e = x * y - z
    assert evaluate(e, {x: 2.0, "y": 3}, z=1.5) == 4.5
    assert evaluate(e, x=1, y=1, z=1, unused=7.0) == 0.0
    assert evaluate(3.5) == 3.5 and evaluate(Const(2)) == 2.0
    assert isinstance(evaluate(x * 2, x=3), float)


def test_evaluate_errors() -> None:
    missing = r"no value for the variable\(s\) y, z \(the expression depends on x, y, z\)"
    with pytest.raises(ValueError, match=missing):
        evaluate(x + y * z, x=1.0)
    with pytest.raises(ValueError, match=r"log: the argument must be positive, got -1\.0, in log\(x\)"):
        evaluate(x.log() + 1, x=-1.0)
    with pytest.raises(ValueError, match="log: the argument must be positive, got 0.0"):
        evaluate(x.log(), x=0)
    with pytest.raises(ValueError, match="sqrt: the argument must be non-negative, got -4.0"):
        evaluate(x.sqrt(), x=-4)
    with pytest.raises(ValueError, match=r"/: division by zero \(1\.0/0\.0\)"):
        evaluate(1 / x, x=0)
    with pytest.raises(ValueError, match="negative base -8.0 to the non-integer power"):
        evaluate(x ** (1 / 3), x=-8)
    with pytest.raises(ValueError, match="zero to the negative power -1.0"):
        evaluate(x**-1, x=0)
    with pytest.raises(ValueError, match=r"exp: exp\(1000\.0\) overflows"):
        evaluate(x.exp(), x=1000)
    with pytest.raises(ValueError, match=r"\*: the result for \(1e\+200, 1e\+200\) is not finite"):
        evaluate(x * x, x=1e200)
    with pytest.raises(TypeError, match="env keys must be Var or str, got Expr"):
        evaluate(x, {x + 1: 2.0})
    with pytest.raises(TypeError, match="the value of 'x' must be a real number, got str"):
        evaluate(x, x="2")
    with pytest.raises(ValueError, match="the value of 'x' must be finite"):
        evaluate(x, x=math.inf)
    with pytest.raises(TypeError, match="env must be a mapping"):
        evaluate(x, [("x", 1.0)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="evaluate: expected an expression or a real number, got str"):
        evaluate("x + 1")  # type: ignore[arg-type]
    assert evaluate((-8) ** x, x=3) == -512.0  # a negative base to an integer power is fine


@settings(max_examples=150, deadline=None)
@given(expressions, points, points)
def test_evaluate_agrees_with_python_on_the_printed_text(expr: Expr, px: float, py: float) -> None:
    value = value_or_reject(expr, x=px, y=py)
    namespace = {name: getattr(math, name) for name in _FUNCTIONS} | {"x": px, "y": py}
    assert close(eval(str(expr), {"__builtins__": {}}, namespace), value, rel=1e-12)


def test_evaluate_visits_each_shared_node_once() -> None:
    # The tree of dl_60/dx has more than 2**60 nodes; its DAG has a few hundred. At the fixed
    # points 0 and 3/4 of the map, l_n' = f'(x0)**(n - 1) with f'(x) = 4 - 8x, exactly.
    n = 60
    dl = diff(logistic_map(n, x), x)
    assert tree_size(dl) > 2**60
    assert evaluate(dl, x=0.0) == 4.0 ** (n - 1)
    assert evaluate(dl, x=0.75) == (-2.0) ** (n - 1)
    # elsewhere the map is chaotic and amplifies rounding by about 2 per step: keep n small
    value, slope = logistic_and_derivative(20, 0.3)
    assert close(evaluate(logistic_map(20, x), x=0.3), value, rel=1e-9)
    assert close(evaluate(diff(logistic_map(20, x), x), x=0.3), slope, rel=1e-6)


# -------------------------------------------------------------------------------------------
# diff


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(expressions, points, points, st.sampled_from(["x", "y"]))
def test_diff_agrees_with_central_differences(expr: Expr, px: float, py: float, name: str) -> None:
    at = {"x": px, "y": py}
    value_or_reject(expr, **at)

    def f(t: float) -> float:
        return evaluate(expr, at | {name: t})

    h = default_step(at[name])
    try:
        coarse = central_difference(f, at[name], h)
        numeric = central_difference(f, at[name], h / 2)
        exact = evaluate(diff(expr, name), at)
    except ValueError:
        assume(False)
    # Halving h divides the truncation error by 4, so |coarse - numeric| estimates (3 times) the
    # error of `numeric`. Where it is large (a huge third derivative, as in cos(exp(x + 9))),
    # central differences are no reference at all: skip those points.
    truncation = abs(coarse - numeric)
    assume(truncation <= 1e-4 * max(1.0, abs(numeric)))
    round_off = 1e-9 * max(1.0, magnitude(expr, **at))  # about eps*|f|/h with h ~ 6e-6
    assert abs(exact - numeric) <= 1e-6 * max(abs(exact), abs(numeric)) + truncation + round_off


def test_diff_uses_the_textbook_rules_without_simplifying() -> None:
    assert diff(x, x) is Const(1) and diff(y, x) is Const(0) and diff(Const(3), x) is Const(0)
    assert diff(x * y, x) is 1 * y + x * 0
    assert diff(x / y, x) is (1 * y - x * 0) / y**2
    assert diff(x**3, x) is 3 * x**2 * 1
    assert diff(x.exp(), x) is x.exp() * 1  # exp' = exp: the node itself, shared
    assert diff(-x, x) is Const(-1)  # a negated number is a number


def test_diff_shares_the_derivative_of_a_shared_node() -> None:
    inner = (x * x).sin()
    d = diff(inner * inner, x)
    left, right = d.args  # d(inner)*inner + inner*d(inner)
    assert left.args[0] is right.args[1]


def test_diff_is_linear_in_the_size_of_the_dag() -> None:
    sizes = [dag_size(diff(logistic_map(n, x), x)) for n in (10, 20, 40)]
    assert sizes[2] - sizes[1] == 2 * (sizes[1] - sizes[0])


def test_higher_derivatives() -> None:
    d2 = diff(diff(x.sin() * x, x), x)
    for x0 in (-1.0, 0.3, 2.0):
        numeric = central_difference(lambda t: evaluate(diff(x.sin() * x, x), x=t), x0)
        assert close(evaluate(d2, x=x0), numeric, rel=1e-8)
        assert close(evaluate(d2, x=x0), 2 * math.cos(x0) - x0 * math.sin(x0), rel=1e-12)


def test_diff_by_a_non_variable_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="with respect to a variable .* got Expr"):
        diff(x * x, 2 * x)
    with pytest.raises(TypeError, match="got int 3"):
        diff(x * x, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got Const"):
        diff(x * x, Const(1))
    with pytest.raises(ValueError, match="Python identifier"):
        diff(x * x, "not a name")


@pytest.mark.parametrize("method", ["tan", "sigmoid"])
def test_composed_methods_differentiate_correctly(method: str) -> None:
    e = getattr(x, method)()
    for x0 in (-1.0, 0.2, 1.1):
        numeric = central_difference(lambda t: evaluate(e, x=t), x0)
        assert close(evaluate(diff(e, x), x=x0), numeric, rel=1e-8)


# -------------------------------------------------------------------------------------------
# simplify


@pytest.mark.parametrize(
    ("before", "after"),
    [
        (x + 0, x),
        (0 + x, x),
        (x - 0, x),
        (0 - x, -x),
        (x * 1, x),
        (1 * x, x),
        (x * 0, Const(0)),
        (0 * x.sin(), Const(0)),
        (x / 1, x),
        (0 / x, Const(0)),
        (x**1, x),
        (x**0, Const(1)),
        (1**x, Const(1)),
        (-(-x), x),
        (-(x - y), y - x),
        (x + (-y), x - y),
        (-x + y, y - x),
        (x - (-y), x + y),
        (x + (-2), x - 2),
        (x - (-2), x + 2),
        (x * -1, -x),
        ((-x) * (-y), x * y),
        ((-x) * y, -(x * y)),
        ((-x) / y, -(x / y)),
        (x * 2 * 3, 6 * x),
        (2 * (3 * x), 6 * x),
        (Const(2) * 3 + Const(1).sin() * 0, Const(6)),
        (Const(0).exp() + Const(1).log(), Const(1)),
        (Const(1) / 0, Const(1) / 0),  # undefined: left for evaluate to report
        (Const(-1).log(), Const(-1).log()),
        (x - x, x - x),  # no cancellation: simplify only folds constants and removes 0/1
    ],
)
def test_simplify_rules(before: Expr, after: Expr) -> None:
    assert simplify(before) is after


def test_simplify_the_derivative_of_the_logistic_map() -> None:
    raw = diff(logistic_map(2, x), x)
    assert str(raw) == "(0*x + 4*1)*(1 - x) + 4*x*(0 - 1)"
    assert str(simplify(raw)) == "4*(1 - x) - 4*x"


@settings(max_examples=200, deadline=None)
@given(expressions, points, points)
def test_simplify_preserves_values_never_grows_and_is_idempotent(expr: Expr, px: float, py: float) -> None:
    for e in (expr, diff(expr, x)):
        value = value_or_reject(e, x=px, y=py)
        s = simplify(e)
        # folding and moving constants may round differently, relative to the largest intermediate
        assert close(evaluate(s, x=px, y=py), value, rel=1e-12, scale=magnitude(e, x=px, y=py))
        assert tree_size(s) <= tree_size(e)
        assert simplify(s) is s


# -------------------------------------------------------------------------------------------
# str and repr


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (4 * x * (1 - x), "4*x*(1 - x)"),
        (x - (y - z), "x - (y - z)"),
        (x - y - z, "x - y - z"),
        (x + (y + z), "x + (y + z)"),  # the tree is kept: Python would read x + y + z as (x + y) + z
        ((x + y) * z, "(x + y)*z"),
        (x / (y * z), "x/(y*z)"),
        (x / y * z, "x/y*z"),
        (-(x + y), "-(x + y)"),
        (-(x * y), "-(x*y)"),
        ((-x) * y, "-x*y"),
        ((-x) ** 2, "(-x)**2"),
        (-(x**2), "-x**2"),
        (x ** (y**z), "x**y**z"),
        ((x**y) ** z, "(x**y)**z"),
        (x**-1, "x**(-1)"),
        (x * -2, "x*(-2)"),
        (-2 * x, "-2*x"),
        ((-2) ** x, "(-2)**x"),
        (x - (-y), "x - (-y)"),
        (x + (-y) * z, "x + (-y*z)"),
        (-(-x), "-(-x)"),
        (x.sin() ** 2, "sin(x)**2"),
        ((-x).exp(), "exp(-x)"),
        (0.5 * x + 1e-20, "0.5*x + 1e-20"),
    ],
)
def test_str_uses_precedence_and_minimal_parentheses(expr: Expr, text: str) -> None:
    assert str(expr) == text


def test_repr() -> None:
    assert repr(x) == "Var('x')"
    assert repr(Const(2)) == "Const(2)" and repr(Const(0.5)) == "Const(0.5)"
    assert repr(x + 1) == "<Expr x + 1>"
    assert repr(diff(logistic_map(6), x)).startswith("<Expr '+': tree size ")


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_python_parses_str_back_into_the_same_tree(expr: Expr) -> None:
    for e in (expr, diff(expr, x), simplify(diff(expr, y))):
        assume(tree_size(e) < 5_000)
        assert parse(str(e)) is e


# -------------------------------------------------------------------------------------------
# Depth: every operation is iterative


def test_deep_expressions_do_not_hit_the_recursion_limit() -> None:
    n = 2 * sys.getrecursionlimit() + 2000  # even
    e = x
    for i in range(n):
        e = (e + 0.01).sin() if i % 2 else e * 0.999
    # per pair of steps: the tree gains *, 0.999, +, 0.01, sin; the DAG only *, +, sin
    assert tree_size(e) == 1 + 5 * n // 2 and dag_size(e) == 3 + 3 * n // 2
    assert depth(e) == 3 * n // 2
    d = diff(e, x)
    s = simplify(d)
    assert str(e).count("sin(") == n // 2
    assert "tree size" in repr(d)

    def reference(t: float) -> tuple[float, float]:  # e and de/dx by hand
        value, slope = t, 1.0
        for i in range(n):
            if i % 2:
                value, slope = math.sin(value + 0.01), slope * math.cos(value + 0.01)
            else:
                value, slope = value * 0.999, slope * 0.999
        return value, slope

    value, slope = reference(0.7)
    assert slope > 1e-200  # no underflow to 0: the comparison means something
    assert close(evaluate(e, x=0.7), value, rel=1e-12)
    assert close(evaluate(d, x=0.7), slope, rel=1e-9)
    assert close(evaluate(s, x=0.7), slope, rel=1e-9)


# -------------------------------------------------------------------------------------------
# The logistic map helper


def test_logistic_map() -> None:
    assert logistic_map(1) is x
    assert logistic_map(3, y) is 4 * (4 * y * (1 - y)) * (1 - 4 * y * (1 - y))
    for n in (1, 2, 5):
        assert logistic_map(n, 0.2) == logistic_and_derivative(n, 0.2)[0]
    with pytest.raises(ValueError, match="at least 1"):
        logistic_map(0)
    with pytest.raises(TypeError, match="n must be an int, got float"):
        logistic_map(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="got bool"):
        logistic_map(True)


def test_the_package_exports_the_module() -> None:
    assert ad.symbolic is sym and "symbolic" in ad.__all__


# -------------------------------------------------------------------------------------------
# The other ways to differentiate the same program: dispatching functions, forward and reverse mode,
# and the package's graph drawing


def test_one_program_runs_on_floats_and_expressions() -> None:
    def program(t: Any) -> Any:
        return ad.exp(ad.sin(t) * t) / (1 + ad.tanh(t) ** 2) + ad.log(1 + t * t) - ad.sqrt(2 + ad.cos(t))

    expr = program(x)
    assert isinstance(expr, Expr)
    for x0 in (-1.2, 0.4, 2.0):
        assert close(evaluate(expr, x=x0), program(x0), rel=1e-13)
        assert close(evaluate(diff(expr, x), x=x0), central_difference(program, x0), rel=1e-7)


def test_draw_graph_draws_the_dag() -> None:
    pytest.importorskip("graphviz")
    source = ad.draw_graph(logistic_map(3)).source  # leaves show their text, operations their symbol
    assert all(text in source for text in ("x", "4", "1", "*", "-"))


@pytest.mark.parametrize("n", [1, 2, 4, 6])
def test_symbolic_derivative_of_the_logistic_map_matches_forward_mode(n: int) -> None:
    dl = diff(logistic_map(n, x), x)
    for x0 in (0.1, 0.3, 0.77):
        forward = ad.forward.derivative(lambda t: logistic_map(n, t), x0)
        assert close(evaluate(dl, x=x0), float(forward), rel=1e-10)


@pytest.mark.parametrize("n", [1, 2, 4, 6])
def test_symbolic_derivative_of_the_logistic_map_matches_reverse_mode(n: int) -> None:
    dl = diff(logistic_map(n, x), x)
    for x0 in (0.1, 0.3, 0.77):
        t = ad.scalar.Value(x0)
        logistic_map(n, t).backward()
        assert close(evaluate(dl, x=x0), float(t.grad), rel=1e-10)
