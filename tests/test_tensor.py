"""autodiff.tensor: the Tensor core, elementwise operations and broadcasting.

Every gradient is compared with central differences (autodiff.numerical) over all elements,
contracted with a random cotangent: a cotangent of ones would let a wrong sum rule pass.
"""

from __future__ import annotations

import gc
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autodiff as ad
from autodiff.graph import topological_order
from autodiff.numerical import numerical_jacobian
from autodiff.rules import UNARY
from autodiff.tensor import Tensor, no_grad
from autodiff.tensor.vjp import RULES


def check_vjp(f, *arrays: np.ndarray, seed: int = 0, rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Reverse mode against central differences: x.grad == u . J for a random cotangent u."""
    rng = np.random.default_rng(seed)
    leaves = [Tensor(np.array(a, dtype=float), requires_grad=True) for a in arrays]
    out = f(*leaves)
    u = rng.standard_normal(out.shape)
    out.backward(u)
    for i, a in enumerate(arrays):

        def fi(x: np.ndarray, i: int = i) -> np.ndarray:
            args = [np.array(v, dtype=float) for v in arrays]
            args[i] = x
            return f(*[Tensor(v) for v in args]).numpy()

        jac = numerical_jacobian(fi, np.array(a, dtype=float))
        expected = np.tensordot(u, jac, axes=u.ndim) if u.ndim else u * jac
        grad = leaves[i].grad if leaves[i].grad is not None else np.zeros(np.shape(a))
        assert grad.shape == np.shape(a)
        np.testing.assert_allclose(grad, expected, rtol=rtol, atol=atol, err_msg=f"input {i}")


pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=3)


def arrays_for(shapes, low: float, high: float, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, size=s) for s in shapes]


BINARY = {
    "add": (lambda a, b: a + b, -2.0, 2.0),
    "sub": (lambda a, b: a - b, -2.0, 2.0),
    "mul": (lambda a, b: a * b, -2.0, 2.0),
    "div": (lambda a, b: a / b, 0.5, 2.0),
    "pow": (lambda a, b: a**b, 0.5, 2.0),
    "maximum": (lambda a, b: ad.maximum(a, b), -2.0, 2.0),
    "minimum": (lambda a, b: ad.minimum(a, b), -2.0, 2.0),
    "expression": (lambda a, b: (a * b - a / (b * b + 1.0)) ** 2, -2.0, 2.0),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@settings(max_examples=25, deadline=None)
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_binary_ops_with_broadcasting_match_central_differences(name, shapes, seed) -> None:
    f, low, high = BINARY[name]
    a, b = arrays_for(shapes.input_shapes, low, high, seed)
    if name in ("maximum", "minimum"):  # a and b on two grids 0.05 apart: no ties
        a, b = np.round(a, 1) + 0.05, np.round(b, 1)
    check_vjp(f, a, b, seed=seed)


CONSTANTS = {
    "x + 2": lambda x: x + 2,
    "2 + x": lambda x: 2 + x,
    "x - 1.5": lambda x: x - 1.5,
    "1.5 - x": lambda x: 1.5 - x,
    "x * 3": lambda x: x * 3,
    "3 * x": lambda x: 3 * x,
    "x / 4": lambda x: x / 4,
    "4 / x": lambda x: 4 / x,
    "x ** 3": lambda x: x**3,
    "x ** 0.5": lambda x: x**0.5,
    "x ** -2": lambda x: x**-2,
    "2 ** x": lambda x: 2**x,
    "-x": lambda x: -x,
    "abs(-x)": lambda x: abs(-x),
    "array * x": lambda x: np.array([[1.0], [2.0]]) * x,
    "x - array": lambda x: x - np.array([1.0, 2.0, 3.0]),
    "np.float64 * x": lambda x: np.float64(2.0) * x,
    "x * x": lambda x: x * x,
    "x / x ** 2": lambda x: x / x**2,
}


@pytest.mark.parametrize("name", sorted(CONSTANTS))
def test_operations_with_constants(name: str) -> None:
    x = np.random.default_rng(1).uniform(0.5, 2.0, size=(2, 3))
    check_vjp(CONSTANTS[name], x)


@pytest.mark.parametrize("name", sorted(UNARY))
@settings(max_examples=10, deadline=None)
@given(shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3), seed=st.integers(0, 2**16))
def test_every_unary_function_matches_central_differences(name, shape, seed) -> None:
    rng = np.random.default_rng(seed)
    low, high = (0.2, 1.4) if name in ("log", "sqrt", "tan", "log1p") else (-2.0, 2.0)
    x = rng.uniform(low, high, size=shape)
    if name in ("relu", "abs"):
        x = np.where(np.abs(x) < 0.05, 0.3, x)  # away from the kink
    check_vjp(lambda t: getattr(ad, name)(t), x, seed=seed)
    check_vjp(lambda t: getattr(t, name)(), x, seed=seed)


def test_unary_functions_take_their_values_from_autodiff_functions() -> None:
    x = np.linspace(0.1, 1.3, 7)
    for name, rule in UNARY.items():
        np.testing.assert_array_equal(getattr(Tensor(x), name)().numpy(), rule.function(x))


def test_the_rule_table_covers_every_operation_and_nodes_hold_no_closures() -> None:
    assert set(UNARY) <= set(RULES)
    for op in ("+", "-", "*", "/", "**", "neg", "@", "sum", "mean", "max", "min", "reshape", "transpose",
               "broadcast_to", "getitem", "concatenate", "where", "logsumexp", "softmax", "log_softmax",
               "cross_entropy", "maximum", "minimum"):
        assert op in RULES
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * 2).exp().sum()
    assert not hasattr(y, "__dict__")
    for node in topological_order(y):
        assert node._op == "" or node._op in RULES
        assert not callable(node._ctx)


def test_reused_tensors_accumulate() -> None:
    check_vjp(lambda x: x * x + x, np.array([1.0, -2.0, 3.0]))
    check_vjp(lambda x: (lambda y: y * y + y)(x.exp()), np.array([0.1, -0.2]))
    a = Tensor([2.0, 3.0], requires_grad=True)
    (a + a).sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])


def test_broadcast_gradients_of_zero_d_and_size_one_axes() -> None:
    check_vjp(lambda a, b: a * b, np.array(1.5), np.ones((2, 3)) * np.arange(6).reshape(2, 3))
    check_vjp(lambda a, b: a + b * b, np.ones((1, 3)), np.arange(8.0).reshape(2, 4, 1))
    a = Tensor(np.array([[2.0]]), requires_grad=True)
    (a * np.ones((3, 4))).sum().backward()
    assert a.grad.shape == (1, 1) and a.grad[0, 0] == 12.0


# -- backward semantics ------------------------------------------------------------------------


def test_backward_twice_accumulates_leaves_and_resets_intermediates() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    y = (h * h).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad, 2 * 18 * np.array([1.0, 2.0]))  # twice d/dx 9x^2
    np.testing.assert_array_equal(h.grad, 2 * h.data)  # not doubled
    x.zero_grad()
    assert x.grad is None


def test_backward_through_two_outputs_accumulates_at_the_leaves() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    x.exp().sum().backward()
    np.testing.assert_allclose(x.grad, 2 * x.data + np.exp(x.data))


def test_leaf_gradients_are_never_shared_or_read_only() -> None:
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    c = Tensor(5.0, requires_grad=True)
    ((a + b) + c).sum().backward()
    assert a.grad is not b.grad
    a.grad *= 10  # in place, as gradient clipping does
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    d = Tensor(np.ones((2, 2)), requires_grad=True)
    d.sum().backward()  # the rule of sum broadcasts (a read-only view)
    d.grad += 1.0
    np.testing.assert_array_equal(d.grad, np.full((2, 2), 2.0))
    e = Tensor(np.arange(4.0), requires_grad=True)
    e.reshape(2, 2).T.sum(axis=0).sum().backward()
    assert e.grad.flags.writeable and e.grad.base is None


def test_backward_on_a_leaf_and_with_a_seed() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    y = Tensor(2.0, requires_grad=True)
    (y * y).backward(5.0)
    assert y.grad == 20.0
    z = Tensor([[1.0]], requires_grad=True)
    (z * 3).backward()  # one element: seeded with 1 whatever the shape
    assert z.grad.tolist() == [[3.0]]


def test_inputs_that_do_not_require_grad_get_none_and_record_nothing() -> None:
    x = Tensor(np.ones((2, 3)))
    w = Tensor(np.ones((3, 4)), requires_grad=True)
    y = x @ w
    y.sum().backward()
    assert x.grad is None and w.grad.shape == (3, 4)
    c = Tensor([1.0]) * 2 + 1
    assert c.is_leaf and not c.requires_grad and c._op == ""


def test_no_grad_detach_and_grad_mode() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = w * 2
        assert not ad.tensor.is_grad_enabled()
    assert ad.tensor.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf

    @no_grad()
    def update() -> Tensor:
        return w - 1

    assert not update().requires_grad
    z = (w * 3).detach()
    assert z.is_leaf and not z.requires_grad and z.data is not None
    with pytest.raises(ValueError, match="does not require grad"):
        z.backward()


def test_item_numpy_tolist_len_iteration_and_float() -> None:
    t = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.numpy() is t.data and t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert len(t) == 2 and [row.tolist() for row in t] == [[1.0, 2.0], [3.0, 4.0]]
    assert Tensor([[7.5]]).item() == 7.5 and float(Tensor(2.0)) == 2.0
    with pytest.raises(ValueError, match=r"item: the tensor has shape \(2, 2\)"):
        t.item()
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))
    assert f"{Tensor(0.123456):.3f}" == "0.123"


def test_repr_is_short_and_useful() -> None:
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    x = Tensor([1.0], requires_grad=True, label="x")
    assert repr(x) == "Tensor([1.], requires_grad=True, label='x')"
    assert repr(x * 2) == "Tensor([2.], requires_grad=True, op='*')"
    assert "dtype=float32" in repr(Tensor(np.zeros(2, np.float32)))
    big = repr(Tensor(np.zeros((100, 100))))
    assert "shape=(100, 100)" in big and len(big) < 200


# -- identity, hashing, graph -------------------------------------------------------------------


def test_hashing_by_identity_and_elementwise_equality() -> None:
    a, b = Tensor([1.0, 2.0]), Tensor([1.0, 2.0])
    np.testing.assert_array_equal(a == b, [True, True])
    assert (a < np.array([2.0, 2.0])).tolist() == [True, False]
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b" and len({a, b, a}) == 2
    assert hash(a) != hash(b)


def test_graph_traversal_never_calls_eq(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(self, other):
        raise AssertionError("== was called")

    x = Tensor(np.ones(3), requires_grad=True)
    y = ((x * x).exp() + x).sum()
    monkeypatch.setattr(Tensor, "__eq__", boom)
    monkeypatch.setattr(Tensor, "__ne__", boom)
    y.backward()
    order = topological_order(y)
    assert order[-1] is y and x in set(order)
    np.testing.assert_allclose(x.grad, 2 * np.exp(1.0) + 1)  # d/dx [exp(x^2) + x] at 1


def test_draw_graph_shows_shapes_and_operations() -> None:
    pytest.importorskip("graphviz")
    x = Tensor(np.ones((2, 3)), requires_grad=True, label="x")
    w = Tensor(np.ones((3, 4)), requires_grad=True, label="W")
    y = (x @ w).relu().sum()
    y.backward()
    source = ad.draw_graph(y).source
    for text in ("<B>x</B>", "float64 (2, 3)", "grad (3, 4)", "float64 (2, 4)", 'label="@"', "label=relu", "label=sum"):
        assert text in source, text


def test_graph_protocol_prev_in_argument_order_with_duplicates() -> None:
    a = Tensor(1.0, requires_grad=True)
    b = Tensor(2.0, requires_grad=True)
    s = a + a
    assert s._prev == (a, a) and s._op == "+"
    d = b - a
    assert d._prev[0] is b and d._prev[1] is a


def test_a_long_chain_needs_no_recursion() -> None:
    x = Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.00001 + 0.0
    limit = sys.getrecursionlimit()
    y.sum().backward()
    assert sys.getrecursionlimit() == limit
    np.testing.assert_allclose(x.grad, [1.00001**100_000], rtol=1e-9)


def test_no_reference_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Tensor(np.ones(4), requires_grad=True)
        y = ((x * 2).tanh() @ np.ones(4)).sum()
        y.backward()
        del x, y
        assert gc.collect() == 0
    finally:
        gc.enable()


# -- dtypes and IEEE --------------------------------------------------------------------------


def test_float32_stays_float32_and_gradients_have_the_data_dtype() -> None:
    x = Tensor(np.array([[0.5, 1.5]], np.float32), requires_grad=True)
    w = Tensor(np.ones((2, 3), np.float32), requires_grad=True)
    y = ((x @ w) * 2.0 + 1).tanh().exp().sum() / 3
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32
    m = Tensor(np.ones(2, np.float32), requires_grad=True)
    (m * np.ones(2)).sum().backward()  # a float64 partner: the result is float64, the grad is not
    assert m.grad.dtype == np.float32
    assert Tensor([1, 2]).dtype == np.float64 and Tensor(np.arange(2)).dtype.kind == "i"


def test_ieee_arithmetic_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = Tensor([0.0, -1.0, 1.0], requires_grad=True)
        y = x.log()
        assert y.data[0] == -np.inf and np.isnan(y.data[1])
        z = (x / x).sum()
        z.backward()
        assert np.isnan(z.data)
        s = Tensor([0.0], requires_grad=True).sqrt()
        s.backward(np.ones(1))
        assert np.isinf(s._prev[0].grad[0])


# -- errors ---------------------------------------------------------------------------------------


def test_errors_name_the_operation_and_the_shapes() -> None:
    a, b = Tensor(np.ones((3, 2))), Tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"^cannot broadcast \(3, 2\) with \(4,\) in add$"):
        a + b
    with pytest.raises(ValueError, match=r"cannot broadcast \(3, 2\) with \(4,\) in mul"):
        a * np.ones(4)
    with pytest.raises(ValueError, match=r"cannot broadcast \(4,\) with \(3, 2\) in sub"):
        np.ones(4) - a
    with pytest.raises(ValueError, match=r"cannot multiply \(3, 2\) by \(4,\) in matmul: the inner dimensions 2 and 4 differ"):
        a @ b
    with pytest.raises(ValueError, match=r"cannot multiply \(\) by \(4,\) in matmul"):
        Tensor(1.0) @ b
    with pytest.raises(TypeError, match=r"unsupported operand types for \+ in add: Tensor and str"):
        a + "x"
    with pytest.raises(TypeError, match="Tensor: data must be numeric"):
        Tensor("abc")


def test_backward_without_a_seed_on_a_non_scalar_says_how_to_seed() -> None:
    x = Tensor(np.ones((3, 2)), requires_grad=True)
    with pytest.raises(ValueError, match=r"output has shape \(3, 2\).*backward\(gradient\).*y.sum\(\).backward\(\)"):
        (x * 2).backward()
    with pytest.raises(ValueError, match=r"gradient has shape \(2,\), expected the output's shape \(3, 2\)"):
        (x * 2).backward(np.ones(2))
    with pytest.raises(TypeError, match="gradient must be an array"):
        (x * 2).backward("ones")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.bool_, np.uint8])
def test_integer_and_bool_tensors_cannot_require_grad(dtype) -> None:
    with pytest.raises(TypeError, match=r"requires_grad=True needs floating-point data, got dtype"):
        Tensor(np.ones(3, dtype=dtype), requires_grad=True)
    Tensor(np.ones(3, dtype=dtype))  # fine without
    with pytest.raises(TypeError, match="requires_grad=True needs floating-point"):
        Tensor([1, 2], dtype=np.int64, requires_grad=True)


def test_bad_constructor_arguments() -> None:
    with pytest.raises(TypeError, match="unsupported dtype"):
        Tensor(np.array(["a"]))
    with pytest.raises(TypeError, match="level must be"):
        Tensor(1.0, level=-1)
    with pytest.raises(TypeError, match="requires_grad must be"):
        Tensor(1.0, requires_grad="yes")
    t = Tensor([1.0])
    with pytest.raises(ValueError, match="use x.detach"):
        Tensor(t)
    with pytest.raises(TypeError, match="Value"):
        Tensor(ad.Value(1.0))


def test_tensor_wraps_numpy_arrays_without_copying() -> None:
    a = np.zeros(3)
    assert Tensor(a).data is a
    assert Tensor(a, dtype=np.float32).data is not a


# -- gradcheck on tensors -------------------------------------------------------------------------


def test_gradcheck_accepts_tensors_and_checks_every_element() -> None:
    x = np.array([[0.3, -0.4, 1.2], [0.9, 0.1, -0.7]])
    result = ad.gradcheck(lambda t: (t.exp() * t).sum(axis=0), Tensor(x))
    assert result.passed and len(result.rows) == 6
    assert {row.element for row in result.rows} == set(np.ndindex(2, 3))


def test_gradcheck_on_tensors_catches_a_wrong_sum_rule_that_ones_would_miss(monkeypatch) -> None:
    from autodiff.tensor import core
    from autodiff.tensor import generic as G

    def wrong_sum(node, g):  # ignores the incoming gradient: right only for a cotangent of ones
        (x,) = node._prev
        core._accumulate(x, np.ones(x.shape), False)

    x = np.array([[0.3, -0.4], [0.9, 0.1]])
    f = lambda t: (t * t).sum(axis=1)  # noqa: E731
    assert ad.gradcheck(f, Tensor(x)).passed
    monkeypatch.setitem(RULES, "sum", wrong_sum)
    leaf = Tensor(x, requires_grad=True)
    f(leaf).backward(np.ones(2))  # a cotangent of ones: the wrong rule looks right
    np.testing.assert_allclose(leaf.grad, 2 * x)
    assert not ad.gradcheck(f, Tensor(x)).passed  # a random cotangent catches it
    assert G.unbroadcast is not None
