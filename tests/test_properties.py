"""Property tests: one random expression, evaluated as one Python function under floats, Dual and
Value, must give one value and one gradient (forward mode, reverse mode and central differences
agree), and the two modes must satisfy the adjoint identity <u, J v> = <J^T u, v>."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff.levels import new_level
from autodiff.numerical import central_difference

from expressions import describe, evaluate, kink_distance, trees

N_VARS = 3
points = st.lists(st.floats(min_value=-2.0, max_value=2.0, allow_nan=False), min_size=N_VARS, max_size=N_VARS)
common = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def reverse(tree, point):
    xs = [ad.Value(p) for p in point]
    out = evaluate(tree, xs)
    out.backward()
    return out.data, [x.grad for x in xs]


def forward(tree, point):
    values, tangents = None, []
    for i in range(len(point)):
        level = new_level()
        xs = [ad.Dual(p, 1.0 if j == i else 0.0, level=level) for j, p in enumerate(point)]
        out = evaluate(tree, xs)
        values = out.primal
        tangents.append(out.tangent)
    return values, tangents


def evaluate_or_reject(fn, *args):
    try:
        return fn(*args)
    except ValueError:  # overflow of a generated expression (exp of a large value, say)
        reject()


@common
@given(tree=trees(N_VARS), point=points)
def test_value_dual_and_floats_agree(tree, point) -> None:
    plain = evaluate_or_reject(evaluate, tree, point)
    value_r, grad_r = evaluate_or_reject(reverse, tree, point)
    value_f, grad_f = evaluate_or_reject(forward, tree, point)
    # the same operations on the same floats: identical values
    assert value_r == plain and value_f == plain, describe(tree)
    # forward and reverse mode: the same derivatives up to the order of rounding
    scale = max(1.0, max(map(abs, grad_f)))
    np.testing.assert_allclose(grad_r, grad_f, rtol=1e-9, atol=1e-12 * scale, err_msg=describe(tree))


@common
@given(tree=trees(N_VARS), point=points)
def test_value_matches_central_differences(tree, point) -> None:
    if kink_distance(tree, point) < 1e-3:
        reject()  # a finite difference across a kink says nothing about the derivative
    _, grad = evaluate_or_reject(reverse, tree, point)
    for i in range(N_VARS):

        def along(t, i=i):
            shifted = list(point)
            shifted[i] = t
            return evaluate(tree, shifted)

        numeric = evaluate_or_reject(central_difference, along, point[i])
        scale = max(1.0, abs(evaluate(tree, point)), abs(numeric))
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6 * scale), describe(tree)


@common
@given(
    outputs=st.lists(trees(N_VARS, max_leaves=6), min_size=2, max_size=3),
    point=points,
    u=st.lists(st.floats(-1, 1), min_size=3, max_size=3),
    v=st.lists(st.floats(-1, 1), min_size=N_VARS, max_size=N_VARS),
)
def test_adjoint_identity(outputs, point, u, v) -> None:
    """<u, J v> (forward mode, one pass) equals <J^T u, v> (reverse mode, one pass)."""
    u = u[: len(outputs)]

    def f(x):
        return [evaluate(tree, [x[i] for i in range(N_VARS)]) for tree in outputs]

    _, jv = evaluate_or_reject(ad.jvp, f, np.array(point), np.array(v))
    xs = [ad.Value(p) for p in point]
    outs = evaluate_or_reject(lambda: [evaluate(tree, xs) for tree in outputs])
    total = sum(ui * out for ui, out in zip(u, outs))
    if isinstance(total, ad.Value):
        total.backward()
    jtu = np.array([x.grad for x in xs])
    lhs, rhs = float(np.dot(u, jv)), float(np.dot(jtu, v))
    assert lhs == pytest.approx(rhs, rel=1e-9, abs=1e-9 * max(1.0, np.abs(jtu).max()))


@common
@given(tree=trees(N_VARS, max_leaves=6), point=points, seed=st.floats(-3, 3))
def test_backward_is_linear_in_the_seed(tree, point, seed) -> None:
    xs = [ad.Value(p) for p in point]
    out = evaluate_or_reject(evaluate, tree, xs)
    out.backward()
    once = [x.grad for x in xs]
    for x in xs:
        x.zero_grad()
    out.backward(gradient=seed)
    np.testing.assert_allclose([x.grad for x in xs], [seed * g for g in once], rtol=1e-12, atol=1e-300)


@common
@given(tree=trees(1, max_leaves=6), x=st.floats(-1.5, 1.5))
def test_second_derivatives_forward_over_forward_and_reverse_over_reverse(tree, x) -> None:
    if kink_distance(tree, [x]) < 1e-2:
        reject()
    f = lambda t: evaluate(tree, [t])  # noqa: E731

    def grad(g):
        def dg(t):
            v = ad.Value(t, level=new_level())
            out = g(v)
            if isinstance(out, ad.Value):
                out.backward()
            return v.grad

        return dg

    fwd = evaluate_or_reject(ad.derivative, lambda t: ad.derivative(f, t), x)
    rev = evaluate_or_reject(grad(grad(f)), x)
    assert rev == pytest.approx(fwd, rel=1e-8, abs=1e-10 * max(1.0, abs(fwd))), describe(tree)
