"""autodiff.tensor: reductions, matmul, shapes, indexing, where, the softmax family and losses.

Each gradient is compared with central differences over all elements, contracted with a random
cotangent (see test_tensor.check_vjp); shapes and axes are drawn by hypothesis.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff as ad
from autodiff.rules import argmax_weights
from autodiff.tensor import (
    Tensor,
    concatenate,
    cross_entropy,
    log_softmax,
    logsumexp,
    mse,
    softmax,
    stack,
    where,
)
from tests.test_tensor import check_vjp

shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)


@st.composite
def shape_and_axis(draw):
    shape = draw(shapes)
    n = len(shape)
    kind = draw(st.sampled_from(["none", "int", "negative", "tuple"]))
    if kind == "none":
        axis = None
    elif kind == "int":
        axis = draw(st.integers(0, n - 1))
    elif kind == "negative":
        axis = draw(st.integers(-n, -1))
    else:
        axis = tuple(draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True)))
    return shape, axis, draw(st.booleans())


REDUCTIONS = {
    "sum": lambda t, axis, keep: t.sum(axis=axis, keepdims=keep),
    "mean": lambda t, axis, keep: t.mean(axis=axis, keepdims=keep),
    "max": lambda t, axis, keep: t.max(axis=axis, keepdims=keep),
    "min": lambda t, axis, keep: t.min(axis=axis, keepdims=keep),
    "logsumexp": lambda t, axis, keep: logsumexp(t, axis=axis, keepdims=keep),
}
NUMPY = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@settings(max_examples=25, deadline=None)
@given(case=shape_and_axis(), seed=st.integers(0, 2**16))
def test_reductions_over_any_axes(name, case, seed) -> None:
    shape, axis, keep = case
    x = np.random.default_rng(seed).uniform(-2, 2, size=shape)  # continuous: no ties
    f = lambda t: REDUCTIONS[name](t, axis, keep)  # noqa: E731
    if name in NUMPY:
        np.testing.assert_allclose(f(Tensor(x)).numpy(), NUMPY[name](x, axis=axis, keepdims=keep))
    check_vjp(f, x, seed=seed)


def test_max_ties_share_the_gradient_as_the_kink_table_says() -> None:
    x = Tensor(np.array([[1.0, 4.0, 4.0, 4.0], [0.0, -1.0, 0.0, -3.0]]), requires_grad=True)
    g = np.array([3.0, 10.0])
    x.max(axis=1).backward(g)
    np.testing.assert_allclose(x.grad, g[:, None] * argmax_weights(x.data, axis=1))
    np.testing.assert_allclose(x.grad, [[0, 1, 1, 1], [5, 0, 5, 0]])
    y = Tensor(np.array([2.0, 2.0]), requires_grad=True)
    y.min().backward()
    np.testing.assert_allclose(y.grad, [0.5, 0.5])
    row = next(r for r in ad.rules.KINKS if r["function"] == "max reduction")
    assert row["derivative"] == "1/k each"


MATMUL_SHAPES = [
    ((3, 4), (4, 2)),
    ((2, 3, 4), (4, 5)),
    ((4, 3), (2, 3, 2)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (4, 3)),
    ((3, 4), (4,)),
    ((4,), (4,)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 3)),
    ((1, 4), (4, 1)),
]


@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES)
def test_matmul_including_batches_and_vectors(sa, sb) -> None:
    rng = np.random.default_rng(len(sa) * 10 + len(sb))
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).numpy(), a @ b)
    check_vjp(lambda x, y: x @ y, a, b)
    check_vjp(lambda x: x @ b, a)
    check_vjp(lambda y: a @ y, b)


@settings(max_examples=25, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16), data=st.data())
def test_reshape_transpose_and_broadcast_to(shape, seed, data) -> None:
    x = np.random.default_rng(seed).normal(size=shape)
    perm = tuple(data.draw(st.permutations(range(len(shape)))))
    check_vjp(lambda t: t.transpose(*perm), x, seed=seed)
    check_vjp(lambda t: t.T * np.arange(1.0, x.size + 1).reshape(x.T.shape), x, seed=seed)
    check_vjp(lambda t: t.reshape(-1), x, seed=seed)
    check_vjp(lambda t: t.reshape(1, *shape[::-1]), x, seed=seed)
    target = data.draw(hnp.broadcastable_shapes(shape, min_dims=len(shape), max_dims=len(shape) + 2, max_side=3))
    full = np.broadcast_shapes(shape, target)
    check_vjp(lambda t: t.broadcast_to(full), x, seed=seed)


INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, None),
    "step": slice(None, None, -2),
    "tuple": (slice(0, 2), 1),
    "ellipsis": (Ellipsis, 0),
    "newaxis": (None, slice(None), 2),
    "int array with repeats": np.array([0, 2, 0, 0]),
    "list with repeats": [1, 1, 3],
    "2-d int array": np.array([[0, 1], [1, 0]]),
    "pair of arrays": (np.array([0, 1, 1]), np.array([2, 2, 0])),
    "array and slice": (np.array([2, 0, 2]), slice(1, 3)),
    "bool mask": np.array([True, False, True, True]),
    "tensor index": Tensor(np.array([3, 3])),
}


@pytest.mark.parametrize("name", sorted(INDICES))
def test_getitem_basic_and_integer_array_indexing(name) -> None:
    x = np.random.default_rng(3).normal(size=(4, 3))
    index = INDICES[name]
    plain = index.data if isinstance(index, Tensor) else index
    np.testing.assert_array_equal(Tensor(x)[index].numpy(), x[plain])
    check_vjp(lambda t: t[index], x)


def test_repeated_indices_accumulate() -> None:
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x[np.array([0, 0, 0, 2])].backward(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [6.0, 0.0, 4.0])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_and_stack(axis) -> None:
    rng = np.random.default_rng(axis + 5)
    a, b, c = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    if axis == 0:
        b = rng.normal(size=(4, 3))
    np.testing.assert_array_equal(concatenate([Tensor(a), b], axis=axis).numpy(), np.concatenate([a, b], axis=axis))
    check_vjp(lambda x, y: concatenate([x, y, x], axis=axis), a, b)
    np.testing.assert_array_equal(stack([Tensor(a), c], axis=axis).numpy(), np.stack([a, c], axis=axis))
    check_vjp(lambda x, y: stack([x, y * y], axis=axis), a, c)


@settings(max_examples=25, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=3), seed=st.integers(0, 2**16))
def test_where_with_broadcasting(shapes, seed) -> None:
    rng = np.random.default_rng(seed)
    sc, sa, sb = shapes.input_shapes
    cond = rng.random(sc) < 0.5
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    np.testing.assert_array_equal(where(cond, Tensor(a), b).numpy(), np.where(cond, a, b))
    check_vjp(lambda x, y: where(cond, x, y), a, b, seed=seed)
    check_vjp(lambda x, y: where(Tensor(cond), x * y, 2.0), a, b, seed=seed)


def test_where_lets_nan_leak_from_the_branch_not_taken_and_the_double_where_fixes_it() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Tensor(np.array([-1.0, 4.0]), requires_grad=True)
        where(x > 0, x.sqrt(), 0.0).sum().backward()
        assert np.isnan(x.grad[0]) and x.grad[1] == 0.25  # 0 * sqrt'(-1) = 0 * nan
        y = Tensor(np.array([-1.0, 4.0]), requires_grad=True)
        safe = where(y > 0, y, 1.0)
        where(y > 0, safe.sqrt(), 0.0).sum().backward()
        np.testing.assert_array_equal(y.grad, [0.0, 0.25])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_family(axis) -> None:
    x = np.random.default_rng(7).normal(size=(3, 4)) * 3
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    reference = e / e.sum(axis=axis, keepdims=True)
    np.testing.assert_allclose(softmax(Tensor(x), axis=axis).numpy(), reference)
    np.testing.assert_allclose(log_softmax(Tensor(x), axis=axis).numpy(), np.log(reference))
    np.testing.assert_allclose(Tensor(x).softmax(axis).numpy(), reference)
    check_vjp(lambda t: softmax(t, axis=axis), x)
    check_vjp(lambda t: log_softmax(t, axis=axis), x)
    check_vjp(lambda t: t.log_softmax(axis) * t.softmax(axis), x)


def test_softmax_family_is_stable_at_plus_minus_1000() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Tensor(np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]]), requires_grad=True)
        for f in (softmax, log_softmax, lambda t: logsumexp(t, axis=1), lambda t: cross_entropy(t, np.array([1, 2]))):
            y = f(x)
            assert np.all(np.isfinite(y.numpy()))
            y.backward(np.ones(y.shape))
            assert np.all(np.isfinite(x.grad))
            x.zero_grad()
        np.testing.assert_allclose(logsumexp(x, axis=1).numpy(), [1000.0, -1000.0 + np.log(3.0)])
        loss = cross_entropy(x, np.array([1, 2]), reduction="none")
        np.testing.assert_allclose(loss.numpy(), [2000.0, np.log(3.0)])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_with_indices_and_probabilities(reduction) -> None:
    rng = np.random.default_rng(11)
    logits = rng.normal(size=(5, 4))
    labels = np.array([0, 3, 3, 1, 2])
    reference = -np.log(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))[np.arange(5), labels]
    expected = {"mean": reference.mean(), "sum": reference.sum(), "none": reference}[reduction]
    np.testing.assert_allclose(cross_entropy(Tensor(logits), labels, reduction).numpy(), expected)
    check_vjp(lambda t: cross_entropy(t, labels, reduction), logits)
    probs = rng.dirichlet(np.ones(4), size=5)
    check_vjp(lambda t: cross_entropy(t, probs, reduction), logits)
    onehot = np.eye(4)[labels]
    np.testing.assert_allclose(cross_entropy(Tensor(logits), onehot, reduction).numpy(), expected)
    batch = rng.normal(size=(2, 3, 4))  # leading axes: every row is a sample
    check_vjp(lambda t: cross_entropy(t, np.array([[0, 1, 2], [3, 3, 0]]), reduction), batch)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse(reduction) -> None:
    rng = np.random.default_rng(12)
    p, t = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    expected = {"mean": np.mean((p - t) ** 2), "sum": np.sum((p - t) ** 2), "none": (p - t) ** 2}[reduction]
    np.testing.assert_allclose(mse(Tensor(p), t, reduction).numpy(), expected)
    check_vjp(lambda a, b: mse(a, b, reduction), p, t)


FLOAT32_CASES = {
    "sum": lambda t: t.sum(axis=0),
    "mean": lambda t: t.mean(),
    "max": lambda t: t.max(axis=1),
    "matmul": lambda t: t @ t.T,
    "getitem": lambda t: t[np.array([0, 0, 1])],
    "concatenate": lambda t: concatenate([t, t * 2]),
    "where": lambda t: where(t.data > 0, t, 0.0),
    "logsumexp": lambda t: logsumexp(t, axis=1),
    "softmax": lambda t: softmax(t),
    "log_softmax": lambda t: log_softmax(t),
    "cross_entropy": lambda t: cross_entropy(t, np.array([0, 2])),
    "mse": lambda t: mse(t, np.zeros((2, 3), np.float32)),
    "pow": lambda t: t**2 + 2.0**t,
    "broadcast_to": lambda t: t.broadcast_to((4, 2, 3)),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_CASES))
def test_float32_is_kept_by_every_operation(name) -> None:
    x = Tensor(np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32), requires_grad=True)
    y = FLOAT32_CASES[name](x)
    assert y.dtype == np.float32, name
    y.backward(np.ones(y.shape, np.float32))
    assert x.grad.dtype == np.float32, name
    x64 = Tensor(x.data.astype(np.float64), requires_grad=True)
    FLOAT32_CASES[name](x64).backward(np.ones(y.shape))
    np.testing.assert_allclose(x.grad, x64.grad, rtol=1e-5, atol=1e-6)


def test_shape_and_index_errors_name_the_operation() -> None:
    t = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"sum: axis 2 is out of range for a tensor with 2 axes"):
        t.sum(axis=2)
    with pytest.raises(TypeError, match=r"mean: an axis must be an int, got float"):
        t.mean(axis=1.0)
    with pytest.raises(ValueError, match=r"cannot reshape \(3, 4\) into \(5,\) in reshape"):
        t.reshape(5)
    with pytest.raises(ValueError, match=r"cannot broadcast \(3, 4\) to \(2, 4\) in broadcast_to"):
        t.broadcast_to((2, 4))
    with pytest.raises(ValueError, match=r"transpose: \(0, 0\) is not a permutation of the axes of shape \(3, 4\)"):
        t.transpose(0, 0)
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds .* \(tensor shape \(3, 4\)\)"):
        t[5]
    with pytest.raises(IndexError, match="index arrays must be integers or booleans"):
        t[np.array([0.5])]
    with pytest.raises(ValueError, match=r"cannot concatenate \(3, 4\) with \(3, 5\) along axis 0 in concatenate"):
        concatenate([t, np.zeros((3, 5))])
    with pytest.raises(ValueError, match=r"cannot stack \(3, 4\) with \(4, 3\) in stack"):
        stack([t, np.zeros((4, 3))])
    with pytest.raises(TypeError, match="where: the condition must be a bool array, got dtype float64"):
        where(np.ones(4), t, 0.0)
    with pytest.raises(ValueError, match=r"cannot broadcast \(2,\) with \(3, 4\) and \(\) in where"):
        where(np.ones(2, bool), t, 0.0)
    with pytest.raises(ValueError, match=r"max: cannot reduce an empty selection"):
        Tensor(np.zeros((0, 3))).max(axis=0)


def test_loss_errors() -> None:
    logits = Tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"cross_entropy: target has shape \(5,\) but logits have shape \(4, 3\); expected \(4,\) class indices or \(4, 3\) probabilities"):
        cross_entropy(logits, np.zeros(5, int))
    with pytest.raises(ValueError, match=r"cross_entropy: class index 7 is out of range for 3 classes"):
        cross_entropy(logits, np.array([0, 1, 7, 2]))
    with pytest.raises(ValueError, match="reduction must be one of mean, sum, none"):
        cross_entropy(logits, np.zeros(4, int), reduction="avg")
    with pytest.raises(ValueError, match=r"mse: prediction has shape \(4, 3\) but target has shape \(3,\)"):
        mse(logits, np.zeros(3))


IEEE_CASES = {
    "add": lambda t: t + t[::-1],
    "sub": lambda t: t - t[::-1],
    "mul": lambda t: t * t[::-1],
    "div": lambda t: t / t[::-1],
    "pow": lambda t: t ** t[::-1],
    "rpow": lambda t: 2.0**t,
    "matmul": lambda t: t.reshape(2, 4) @ t.reshape(4, 2),
    "sum": lambda t: t.sum(),
    "mean": lambda t: t.mean(),
    "max": lambda t: t.max(),
    "logsumexp": lambda t: logsumexp(t),
    "softmax": lambda t: softmax(t),
    "log_softmax": lambda t: log_softmax(t),
    "cross_entropy": lambda t: cross_entropy(t.reshape(2, 4), np.array([0, 3])),
    "where": lambda t: where(t.data > 0, t.sqrt(), t.log()),
    "maximum": lambda t: ad.maximum(t, t[::-1]),
    **{name: (lambda t, name=name: getattr(t, name)()) for name in ad.rules.UNARY},
}


@pytest.mark.parametrize("name", sorted(IEEE_CASES))
def test_ieee_special_values_propagate_without_warnings(name) -> None:
    data = np.array([0.0, -1.0, np.inf, -np.inf, np.nan, 1e308, -0.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would fail the test
        x = Tensor(data, requires_grad=True)
        y = IEEE_CASES[name](x)
        y.backward(np.ones(y.shape))
        assert x.grad.shape == data.shape
