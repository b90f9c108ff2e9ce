"""autodiff.scalar: Value, reverse mode on scalars (checked against finite differences)."""

from __future__ import annotations

import gc
import math
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import Value
from autodiff.graph import topological_order
from autodiff.levels import new_level
from autodiff.numerical import central_difference, numerical_gradient
from autodiff.scalar import _BACKWARD, _reverse_order

from expressions import ONE_VARIABLE

xs = st.floats(min_value=0.2, max_value=3.0, allow_nan=False)


def grads(f, *point: float) -> tuple[float, list[float]]:
    """Value and gradient of f at point by reverse mode."""
    vs = [Value(p) for p in point]
    out = f(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def numeric(f, *point: float) -> np.ndarray:
    def on_floats(p: np.ndarray) -> float:
        out = f(*[Value(float(t)) for t in p])
        return out.data

    return numerical_gradient(on_floats, list(point))




@pytest.mark.parametrize("name", sorted(ONE_VARIABLE))
@settings(deadline=None)
@given(x=xs)
def test_operations_match_central_differences(name: str, x: float) -> None:
    f = ONE_VARIABLE[name]
    value, (g,) = grads(f, x)
    assert value == pytest.approx(f(x), rel=1e-14)  # the same function on floats
    assert g == pytest.approx(central_difference(f, x), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("name", sorted(ad.rules.UNARY))
def test_every_unary_method_matches_central_differences(name: str) -> None:
    fn = getattr(ad.functions, name)
    x = Value(0.37)
    y = getattr(x, name)()
    y.backward()
    assert y.data == fn(0.37) and y._op == name and y._prev == (x,)
    assert x.grad == pytest.approx(central_difference(fn, 0.37), rel=1e-8)
    assert fn(Value(0.37))._op == name  # ad.<name> dispatches to the method


def test_two_variable_operations() -> None:
    for f in (
        lambda a, b: a * b + a / b - b**a,
        lambda a, b: (a - b) ** 2 / (a + b),
        lambda a, b: a.maximum(b) * b.minimum(a),
        lambda a, b: ad.log(a * b) + ad.sqrt(a + b) * ad.sigmoid(a - b),
    ):
        _, g = grads(f, 1.3, 0.7)
        np.testing.assert_allclose(g, numeric(f, 1.3, 0.7), rtol=1e-7)


def test_the_classic_product_example() -> None:
    f = lambda a, b: (a * b) * (a + b)  # noqa: E731
    value, g = grads(f, -2.0, 3.0)
    # analytic: df/da = b(a + b) + ab = -3, df/db = a(a + b) + ab = -8
    assert g == [3.0 * 1.0 + (-6.0), -2.0 * 1.0 + (-6.0)] == [-3.0, -8.0]
    np.testing.assert_allclose(g, numeric(f, -2.0, 3.0), rtol=1e-8)


def test_karpathy_neuron_against_finite_differences() -> None:
    def neuron(x1, x2, w1, w2, b):
        return (x1 * w1 + x2 * w2 + b).tanh()

    point = (2.0, 0.0, -3.0, 1.0, 6.8813735870195432)
    value, g = grads(neuron, *point)
    np.testing.assert_allclose(g, numeric(neuron, *point), rtol=1e-8, atol=1e-10)
    assert value == pytest.approx(math.tanh(point[4] - 6.0))


def test_reused_nodes_accumulate() -> None:
    a = Value(3.0)
    b = a + a
    assert b._prev == (a, a)
    b.backward()
    assert a.grad == 2.0  # d(a + a)/da, two edges from a

    # a diamond: a -> (b, c) -> d, and a reused non-leaf node
    a = Value(0.5)
    b, c = a.exp(), a * 3.0
    d = b * c + b
    e = d * d  # d used twice
    e.backward()
    f = lambda t: ((math.exp(t) * 3 * t) + math.exp(t)) ** 2  # noqa: E731
    assert a.grad == pytest.approx(central_difference(f, 0.5), rel=1e-8)
    assert d.grad == pytest.approx(2 * d.data)


def test_backward_semantics_leaves_accumulate_non_leaves_reset() -> None:
    x = Value(2.0)
    h = x * x
    y = h * 3.0
    y.backward()
    first = (x.grad, h.grad, y.grad)
    y.backward()
    assert (x.grad, h.grad, y.grad) == (2 * first[0], first[1], first[2]) == (24.0, 3.0, 1.0)
    x.zero_grad()
    y.backward(gradient=0.5)  # a seed scales every gradient
    assert (x.grad, h.grad, y.grad) == (6.0, 1.5, 0.5)


def test_backward_through_two_outputs_accumulates_at_the_leaves() -> None:
    x = Value(1.5)
    shared = x.exp()
    loss1, loss2 = shared * 2.0, shared.sin()
    loss1.backward()
    loss2.backward()
    expected = 2 * math.exp(1.5) + math.cos(math.exp(1.5)) * math.exp(1.5)
    assert x.grad == pytest.approx(expected, rel=1e-14)
    assert shared.grad == pytest.approx(math.cos(math.exp(1.5)))  # from the latest backward only


def test_backward_on_a_leaf() -> None:
    x = Value(4.0)
    x.backward()
    x.backward()
    assert x.grad == 2.0


def test_zero_grad_and_detach() -> None:
    x = Value(3.0)
    y = x * x
    z = y.detach() * x  # y's graph is cut: z = c * x with c = 9
    z.backward()
    assert x.grad == 9.0 and y.grad == 0.0
    x.zero_grad()
    assert x.grad == 0.0
    assert y.detach()._prev == () and y.detach().data == y.data and y.detach() is not y


def test_values_store_floats() -> None:
    v = Value(2)
    assert type(v.data) is float and type(v.grad) is float
    assert type(Value(np.float32(1.5)).data) is float and type(Value(np.array(2.0)).data) is float
    (v * 3).backward()
    assert type(v.grad) is float


def test_identity_hashing_and_value_comparisons() -> None:
    a, b = Value(1.0), Value(1.0)
    assert a != b and a == a and (a == 1.0) is False
    assert len({a, b}) == 2 and {a: 1, b: 2}[b] == 2
    assert a in [a] and a not in [b]  # `in` is by identity, whatever the data
    assert (a < Value(2.0), a <= b, a > 0.5, a >= 2) == (True, True, True, False)
    assert isinstance(a < b, bool)
    with pytest.raises(TypeError):
        a < "b"  # noqa: B015


def test_repr_label_and_format() -> None:
    x = Value(2.0 ** -0.5, label="x")
    assert repr(x) == "Value(data=0.7071, grad=0.0, label='x')"
    x.label = "renamed"
    assert x.label == "renamed"
    assert repr(Value(1.0, level=3)) == "Value(data=1.0, grad=0.0, level=3)"
    assert f"{x:.3f}" == "0.707" and f"{x}" == repr(x)


def test_slots_no_dict() -> None:
    v = Value(1.0)
    assert not hasattr(v, "__dict__")
    with pytest.raises(AttributeError):
        v.something = 1  # type: ignore[attr-defined]


def test_rule_table_covers_every_op_and_needs_no_closures() -> None:
    expected = {"+", "-", "*", "/", "neg", "**", "maximum", "minimum"} | set(ad.rules.UNARY)
    assert set(_BACKWARD) == expected
    for fn in _BACKWARD.values():
        assert fn.__closure__ is None  # module-level functions, shared by every node


def test_objects_tracked_per_node_and_no_reference_cycles() -> None:
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        x = Value(1.0)
        y = x
        n = 2000
        for _ in range(n):
            y = (y * 1.0001).tanh() + 0.001
        y.backward()
        nodes = len(topological_order(y))
        tracked = len(gc.get_objects()) - before
        assert tracked / nodes <= 1.01  # the node itself: inputs sit in slots (micrograd: about 7)
        del x, y
        # no cycles: reference counting alone freed the whole graph
        assert len(gc.get_objects()) - before <= 5
    finally:
        gc.enable()


def test_a_million_node_chain_at_the_default_recursion_limit() -> None:
    assert sys.getrecursionlimit() <= 10_000  # the default (pytest does not raise it)
    start = time.perf_counter()
    x, c = Value(1.0), Value(1.0000001)
    y = x
    steps = 500_000  # two nodes per step: a path of 10**6 nodes from x to y
    for _ in range(steps):
        y = -(y * c)
    y.backward()
    # y = (-c)**steps * x, with steps even
    assert x.grad == pytest.approx(c.data**steps, rel=1e-9)
    assert c.grad == pytest.approx(steps * c.data ** (steps - 1) * x.data, rel=1e-9)
    del y
    assert time.perf_counter() - start < 30  # about 2-4 s; a generous bound against hangs


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_reverse_order_is_the_graph_modules_order(data: st.DataObject) -> None:
    """scalar._reverse_order is a specialised copy of graph.topological_order: same order."""
    leaves = [Value(float(i)) for i in range(data.draw(st.integers(1, 4)))]
    nodes = list(leaves)
    for _ in range(data.draw(st.integers(1, 25))):
        kind = data.draw(st.sampled_from(["+", "*", "exp", "-"]))
        a = data.draw(st.sampled_from(nodes))
        b = data.draw(st.sampled_from(nodes))
        nodes.append({"+": a + b, "*": a * b, "-": a - b, "exp": (a * 0.01).tanh()}[kind])
    root = nodes[-1]
    expected = [n for n in reversed(topological_order(root)) if n._prev]
    assert _reverse_order(root) == expected


# --------------------------------------------------------------------------------------------
# Numerics and error messages


@pytest.mark.parametrize("x", [-1000.0, 1000.0])
def test_stable_tanh_and_sigmoid_at_extremes(x: float) -> None:
    for name in ("tanh", "sigmoid", "softplus"):
        v = Value(x)
        y = getattr(v, name)()
        y.backward()
        assert math.isfinite(y.data) and math.isfinite(v.grad)
    assert Value(x).tanh().data == math.copysign(1.0, x)


def test_powers() -> None:
    x = Value(-3.0)
    (x**2).backward()
    assert x.grad == -6.0
    z = Value(0.0)
    (z**0).backward()
    assert z.grad == 0.0
    base, exponent = Value(2.0), Value(3.0)
    (base**exponent).backward()
    assert (base.grad, exponent.grad) == (pytest.approx(12.0), pytest.approx(8 * math.log(2)))
    e = Value(2.0)
    (3**e).backward()
    assert e.grad == pytest.approx(9 * math.log(3))


def test_user_errors_are_type_or_value_errors_with_clear_messages() -> None:
    cases = [
        (TypeError, r"^unsupported operand types for \+: Value and str \(str 'a'\)", lambda: Value(1.0) + "a"),
        (TypeError, r"^unsupported operand types for \+: str and Value", lambda: "a" + Value(1.0)),
        (TypeError, r"^unsupported operand types for \*: Value and ndarray .*shape \(3,\)", lambda: Value(1.0) * np.ones(3)),
        (TypeError, r"^unsupported operand types for \*: ndarray and Value", lambda: np.ones(3) * Value(1.0)),
        (TypeError, r"^unsupported operand types for \*\*: Value and str", lambda: Value(2.0) ** "2"),
        (TypeError, r"^unsupported operand types for -: Value and list", lambda: Value(2.0) - [1.0]),
        (TypeError, r"^Value: data must be a real number .*got str '1'", lambda: Value("1")),
        (TypeError, r"^Value: data must be a number, got bool", lambda: Value(True)),
        (TypeError, r"^Value: data must be a single number, got an array of shape \(2,\)", lambda: Value(np.ones(2))),
        (TypeError, r"^Value: every child must be a Value", lambda: Value(1.0, (1.0,), "+")),
        (TypeError, r"^Value: level must be a non-negative int", lambda: Value(1.0, level=1.5)),
        (ValueError, r"^Value: data must be finite, got nan", lambda: Value(float("nan"))),
        (ValueError, r"^Value: data must be finite, got inf", lambda: Value(math.inf)),
        (ValueError, r"^log: expected x > 0, got x=0.0", lambda: Value(0.0).log()),
        (ValueError, r"^log: expected x > 0, got x=-2.0", lambda: ad.log(Value(-2.0))),
        (ValueError, r"^sqrt: expected x >= 0, got x=-1.0", lambda: Value(-1.0).sqrt()),
        (ValueError, r"^log1p: expected x > -1", lambda: Value(-1.0).log1p()),
        (ValueError, r"^/: division by zero \(1.0 / 0.0\)", lambda: Value(1.0) / 0.0),
        (ValueError, r"^/: division by zero \(2.0 / 0.0\)", lambda: 2 / Value(0.0)),
        (ValueError, r"^\*\*: a negative base to a non-integer power .*base -8.0", lambda: Value(-8) ** (1 / 3)),
        (ValueError, r"^\*\*: with a variable exponent the base must be positive", lambda: Value(-2.0) ** Value(2.0)),
        (ValueError, r"^\*\*: with a variable exponent the base must be positive", lambda: (-2) ** Value(2.0)),
        (ValueError, r"^\*\*: zero to a negative power", lambda: Value(0.0) ** -1),
        (ValueError, r"^\*\*: the result is not finite", lambda: Value(10.0) ** 400),
        (ValueError, r"^exp: the result overflows float64 at x=1000.0", lambda: Value(1000).exp()),
        (ValueError, r"^\*: the result is not finite \(inf\)", lambda: Value(1e200) * Value(1e200)),
        (ValueError, r"^\+: the result is not finite \(inf\)", lambda: Value(1.7e308) + 1.7e308),
        (ValueError, r"^\+: the operand inf is not finite", lambda: Value(1.0) + math.inf),
    ]
    for error, pattern, thunk in cases:
        with pytest.raises(error, match=pattern):
            thunk()


def test_backward_misuse_is_explained() -> None:
    with pytest.raises(TypeError, match=r"^backward: expected a Value, got float 9.0; an output computed only from numbers"):
        ad.scalar.backward(9.0)
    with pytest.raises(TypeError, match=r"^backward: expected one Value \(a scalar output\), got a list of 2"):
        ad.scalar.backward([Value(1.0), Value(2.0)])
    with pytest.raises(TypeError, match=r"^backward: got a Dual; a Dual is forward mode"):
        ad.scalar.backward(ad.Dual(1.0, 1.0))
    with pytest.raises(TypeError, match=r"^backward: gradient must be a number .*got str"):
        (Value(1.0) * 2).backward("1")
    with pytest.raises(TypeError, match=r"^backward: gradient must be a number .*got ndarray"):
        (Value(1.0) * 2).backward(np.ones(2))
    with pytest.raises(ValueError, match=r"^backward: gradient must be finite"):
        (Value(1.0) * 2).backward(math.nan)
    with pytest.raises(ValueError, match=r"^backward: a Value seed must belong to an outer differentiation"):
        (Value(1.0) * 2).backward(Value(1.0))
    hand_built = Value(3.0, (Value(1.0), Value(2.0)), "hypot")
    with pytest.raises(ValueError, match=r"^backward: no derivative rule for the operation 'hypot'"):
        hand_built.backward()
    x = Value(0.0)
    y = x**0.5
    with pytest.raises(ValueError, match=r"^backward: the derivative of '\*\*' at \(0.0, 0.5\) is not finite"):
        y.backward()


def test_prev_is_a_tuple_of_the_inputs_in_argument_order() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    assert c._prev == (a, b) and type(c._prev) is tuple
    assert (b - a)._prev == (b, a) and (2.0 - a)._prev[1] is a
    assert (-a)._prev == (a,) and a.exp()._prev == (a,) and a._prev == ()
    c._prev = (b, a)  # reassignable, as in micrograd
    assert c._prev == (b, a)
    with pytest.raises(ValueError, match=r"^Value: a node has at most two inputs"):
        Value(1.0, (a, b, a), "sum3")
    with pytest.raises(ValueError, match=r"^Value: the operation '\+' takes 2 input\(s\), got 1"):
        Value(1.0, (a,), "+")


def test_micrograd_style_hand_built_nodes_work() -> None:
    a, b = Value(2.0), Value(-3.0)
    c = Value(a.data * b.data, (a, b), "*")
    c.backward()
    assert (a.grad, b.grad) == (-3.0, 2.0)


def test_manual_backpropagation_node_by_node_matches_backward() -> None:
    """micrograd's lecture: seed the output, then call _backward() in reverse topological order."""
    x1, x2, w1, w2, b = (Value(v) for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432))
    out = (x1 * w1 + x2 * w2 + b).tanh()
    out.grad = 1.0
    for node in reversed(topological_order(out)):
        node._backward()
    by_hand = [v.grad for v in (x1, x2, w1, w2, b)]
    for v in (x1, x2, w1, w2, b):
        v.zero_grad()
    out.backward()
    assert by_hand == [v.grad for v in (x1, x2, w1, w2, b)]
    with pytest.raises(ValueError, match=r"^_backward: no derivative rule for the operation 'hypot'"):
        Value(1.0, (x1, x2), "hypot")._backward()


def test_numpy_scalars_on_the_left_reach_the_reflected_methods() -> None:
    v = Value(2.0)
    out = np.float64(3.0) * v + np.int64(1) - np.float32(0.5) / v
    assert isinstance(out, Value)
    out.backward()
    assert v.grad == pytest.approx(3.0 + 0.5 / 4.0)


# --------------------------------------------------------------------------------------------
# Nesting: reverse over reverse, forward over reverse, reverse over forward


def grad(f):
    """A minimal reverse-mode grad built on the level hook (functional.grad does the same)."""

    def df(x):
        v = Value(x, level=new_level())
        f(v).backward()
        return v.grad

    return df


def test_reverse_over_reverse_second_derivative() -> None:
    first = grad(lambda x: x.tanh())
    second = grad(first)
    reference = central_difference(lambda t: first(t), 2.0)
    assert second(2.0) == pytest.approx(reference, rel=1e-8)
    assert second(2.0) == pytest.approx(-0.1362, abs=1e-4)  # the chapter's number, computed above
    f = lambda x: x * x * x * ad.sin(x) + ad.exp(x) / x  # noqa: E731
    third = grad(grad(grad(f)))
    assert third(1.3) == pytest.approx(central_difference(grad(grad(f)), 1.3), rel=1e-7)


def test_forward_over_reverse_hessian_vector_products() -> None:
    def f(x, y, z):
        return ad.exp(x * y) * ad.sin(z) + x * x * z / (1 + y * y)

    point = np.array([0.3, -0.7, 1.1])
    direction = np.array([0.5, 1.0, -2.0])

    def gradient(p: np.ndarray) -> np.ndarray:
        return np.array(grads(f, *map(float, p))[1])

    level_fwd = new_level()
    level_rev = new_level()
    xs_ = [Value(ad.Dual(p, v, level=level_fwd), level=level_rev) for p, v in zip(point, direction)]
    f(*xs_).backward()
    hvp = np.array([x.grad.tangent for x in xs_])
    g = np.array([x.grad.primal for x in xs_])
    np.testing.assert_allclose(g, gradient(point), rtol=1e-14)
    h = 1e-5
    reference = (gradient(point + h * direction) - gradient(point - h * direction)) / (2 * h)
    np.testing.assert_allclose(hvp, reference, rtol=1e-7)


def test_reverse_over_forward() -> None:
    f = lambda x: ad.sin(x) * x  # noqa: E731
    df = lambda x: ad.derivative(f, x)  # noqa: E731  forward inside
    assert grad(df)(0.9) == pytest.approx(central_difference(lambda t: ad.derivative(f, t), 0.9), rel=1e-8)
