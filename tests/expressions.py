"""Random expression trees for the property tests (test_properties.py, test_torch_oracle.py).

A tree is a nested tuple: ``("var", i)``, ``("const", c)``, ``("unary", name, child)`` or
``("binary", name, left, right)``. :func:`evaluate` turns it into one Python computation written
with ``autodiff``'s dispatching functions and operators, so the *same* code runs on floats,
``Dual``, ``Value`` (and, through an op table, on torch tensors).

The operations are chosen to stay inside their domains for any input (``log(a*a + 0.5)``,
``sqrt(a*a + 0.25)``, ...), so nearly every generated tree can be evaluated; the few that
overflow raise ``ValueError`` and the tests reject them. Kinks (relu, abs, max/min) are kept,
and :func:`kink_distance` reports how close an evaluation came to one, so that finite
differences, which are meaningless across a kink, can be skipped there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from hypothesis import strategies as st

import autodiff as ad
from autodiff.levels import unwrap

Tree = tuple[Any, ...]

UNARY: dict[str, Callable[[Any], Any]] = {
    "sin": ad.sin,
    "cos": ad.cos,
    "tan": lambda a: ad.tan(ad.tanh(a)),
    "exp": ad.exp,
    "log": lambda a: ad.log(a * a + 0.5),
    "sqrt": lambda a: ad.sqrt(a * a + 0.25),
    "tanh": ad.tanh,
    "sigmoid": ad.sigmoid,
    "softplus": ad.softplus,
    "relu": ad.relu,
    "abs": lambda a: abs(a),
    "log1p": lambda a: ad.log1p(a * a),
    "expm1": lambda a: ad.expm1(ad.tanh(a)),
    "neg": lambda a: -a,
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "recip": lambda a: 1.0 / (1.0 + a * a),
    "frac_pow": lambda a: (a * a + 1.0) ** 0.7,
    "rsub": lambda a: 2.0 - a,
    "rmul": lambda a: 0.5 * a,
}

BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 0.5),
    "pow": lambda a, b: (a * a + 0.5) ** ad.tanh(b),
    "max": lambda a, b: ad.maximum(a, b),
    "min": lambda a, b: ad.minimum(a, b),
}

#: Functions of one variable exercising every operator with constants and numpy scalars on either
#: side (test_forward.py and test_scalar.py check each against central differences on (0.2, 3)).
ONE_VARIABLE: dict[str, Callable[[Any], Any]] = {
    "x + c": lambda x: x + 1.5,
    "c + x": lambda x: 1.5 + x,
    "x - c": lambda x: x - 1.5,
    "c - x": lambda x: 1.5 - x,
    "x * c": lambda x: x * 1.5,
    "c * x": lambda x: 1.5 * x,
    "x / c": lambda x: x / 1.5,
    "c / x": lambda x: 1.5 / x,
    "x ** c": lambda x: x**1.5,
    "x ** int": lambda x: x**3,
    "x ** -int": lambda x: x**-2,
    "c ** x": lambda x: 1.5**x,
    "x ** x": lambda x: x**x,
    "x * x": lambda x: x * x,
    "x / (x + 1)": lambda x: x / (x + 1),
    "x - x * x": lambda x: x - x * x,
    "-x": lambda x: -x,
    "+x": lambda x: +x,
    "abs(-x)": lambda x: abs(-x),
    "np.float64 * x": lambda x: np.float64(2.0) * x,
    "np.int64 - x": lambda x: np.int64(2) - x,
    "maximum(x, c)": lambda x: ad.maximum(x, 1.0),
    "minimum(c, x)": lambda x: ad.minimum(1.0, x),
}

KINKED_UNARY = {"relu", "abs"}
KINKED_BINARY = {"max", "min"}


def trees(n_vars: int, max_leaves: int = 10) -> st.SearchStrategy[Tree]:
    """Expression trees over the variables ``0 .. n_vars-1`` with at most ``max_leaves`` leaves."""
    leaves = st.one_of(
        st.integers(0, n_vars - 1).map(lambda i: ("var", i)),
        st.sampled_from([-1.5, -0.5, 0.25, 2.0]).map(lambda c: ("const", c)),
    )

    def extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        return st.one_of(
            st.tuples(st.just("unary"), st.sampled_from(sorted(UNARY)), children),
            st.tuples(st.just("binary"), st.sampled_from(sorted(BINARY)), children, children),
        )

    # Make sure every variable can appear: wrap in a sum with each variable.
    def with_all_vars(tree: Tree) -> Tree:
        for i in range(n_vars):
            tree = ("binary", "+", tree, ("binary", "*", ("const", 0.25), ("var", i)))
        return tree

    return st.recursive(leaves, extend, max_leaves=max_leaves).map(with_all_vars)


def evaluate(
    tree: Tree,
    xs: list[Any],
    unary: Mapping[str, Callable[[Any], Any]] = UNARY,
    binary: Mapping[str, Callable[[Any, Any], Any]] = BINARY,
) -> Any:
    """Evaluate ``tree`` at the inputs ``xs`` (floats, Duals, Values, tensors, ...)."""
    kind = tree[0]
    if kind == "var":
        return xs[tree[1]]
    if kind == "const":
        return tree[1]
    if kind == "unary":
        return unary[tree[1]](evaluate(tree[2], xs, unary, binary))
    return binary[tree[1]](evaluate(tree[2], xs, unary, binary), evaluate(tree[3], xs, unary, binary))


def kink_distance(tree: Tree, xs: list[float]) -> float:
    """The smallest distance from a kink (relu/abs argument from 0, max/min arguments from a tie)
    met while evaluating ``tree`` on floats; ``inf`` if the tree has no kinks."""
    best = [float("inf")]

    def walk(t: Tree) -> Any:
        kind = t[0]
        if kind == "var":
            return xs[t[1]]
        if kind == "const":
            return t[1]
        if kind == "unary":
            a = walk(t[2])
            if t[1] in KINKED_UNARY:
                best[0] = min(best[0], abs(unwrap(a)))
            return UNARY[t[1]](a)
        a, b = walk(t[2]), walk(t[3])
        if t[1] in KINKED_BINARY:
            best[0] = min(best[0], abs(unwrap(a) - unwrap(b)))
        return BINARY[t[1]](a, b)

    walk(tree)
    return best[0]


def describe(tree: Tree) -> str:
    """The tree as a readable formula, for failure messages."""
    kind = tree[0]
    if kind == "var":
        return f"x{tree[1]}"
    if kind == "const":
        return repr(tree[1])
    if kind == "unary":
        return f"{tree[1]}({describe(tree[2])})"
    return f"{tree[1]}({describe(tree[2])}, {describe(tree[3])})"
