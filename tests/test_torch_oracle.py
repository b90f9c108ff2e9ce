"""PyTorch (CPU, float64) as a second, independent oracle for Value, Dual and nn.

Every test here builds the same computation in autodiff and in torch and compares values and
gradients; nothing is compared with numbers typed in by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import Value
from autodiff.nn import MLP, bce_with_logits, hinge_loss, l2_penalty

from expressions import BINARY, UNARY, describe, evaluate, trees

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

N_VARS = 3


def _tensor(x):
    return x if isinstance(x, torch.Tensor) else torch.tensor(float(x), dtype=torch.float64)


TORCH_UNARY = dict(UNARY, softplus=lambda a: torch.nn.functional.softplus(_tensor(a)))
TORCH_BINARY = dict(
    BINARY,
    max=lambda a, b: torch.maximum(_tensor(a), _tensor(b)),
    min=lambda a, b: torch.minimum(_tensor(a), _tensor(b)),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees(N_VARS), point=st.lists(st.floats(-2.0, 2.0), min_size=N_VARS, max_size=N_VARS))
def test_random_expressions_match_torch(tree, point) -> None:
    # Kinks are included: relu'(0) = 0, abs'(0) = 0 and max ties split equally, as in torch.
    xs = [Value(p) for p in point]
    try:
        out = evaluate(tree, xs)
    except ValueError:
        reject()
    out.backward()
    ts = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in point]
    t_out = evaluate(tree, ts, TORCH_UNARY, TORCH_BINARY)
    t_out.backward()
    assert out.data == pytest.approx(t_out.item(), rel=1e-12, abs=1e-12), describe(tree)
    for x, t in zip(xs, ts):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert x.grad == pytest.approx(expected, rel=1e-9, abs=1e-9 * max(1.0, abs(expected))), describe(tree)


def micrograd_readme(lib_value, relu):
    """The example of micrograd's README, written once for both libraries."""
    a = lib_value(-4.0)
    b = lib_value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + relu(b + a)
    d += 3 * d + relu(b - a)
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


def test_micrograd_readme_example_against_torch() -> None:
    a, b, g = micrograd_readme(Value, ad.relu)
    g.backward()
    ta, tb, tg = micrograd_readme(lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True), torch.relu)
    tg.backward()
    assert g.data == pytest.approx(tg.item(), rel=1e-14)
    assert a.grad == pytest.approx(ta.grad.item(), rel=1e-14)
    assert b.grad == pytest.approx(tb.grad.item(), rel=1e-14)
    # the README prints these to four decimals: the same rounding of torch's numbers
    assert (f"{g.data:.4f}", f"{a.grad:.4f}", f"{b.grad:.4f}") == (
        f"{tg.item():.4f}",
        f"{ta.grad.item():.4f}",
        f"{tb.grad.item():.4f}",
    )


def karpathy_neuron(lib_value, tanh):
    x1, x2 = lib_value(2.0), lib_value(0.0)
    w1, w2 = lib_value(-3.0), lib_value(1.0)
    b = lib_value(6.8813735870195432)
    o = tanh(x1 * w1 + x2 * w2 + b)
    return [x1, x2, w1, w2], o


def test_karpathy_neuron_against_torch() -> None:
    leaves, o = karpathy_neuron(Value, ad.tanh)
    o.backward()
    t_leaves, t_o = karpathy_neuron(lambda v: torch.tensor(v, dtype=torch.float64, requires_grad=True), torch.tanh)
    t_o.backward()
    assert o.data == pytest.approx(t_o.item(), rel=1e-14)
    assert [v.grad for v in leaves] == pytest.approx([t.grad.item() for t in t_leaves], rel=1e-12, abs=1e-15)
    assert round(o.data, 4) == round(1 / math.sqrt(2), 4)  # tanh(b - 6) = 1/sqrt(2), by choice of b


def test_unary_rules_against_torch_including_extremes() -> None:
    torch_fns = {
        "sin": torch.sin, "cos": torch.cos, "tan": torch.tan, "exp": torch.exp, "log": torch.log,
        "sqrt": torch.sqrt, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu,
        "abs": torch.abs, "log1p": torch.log1p, "expm1": torch.expm1,
        "softplus": torch.nn.functional.softplus,
    }
    assert set(torch_fns) == set(ad.rules.UNARY)
    everywhere = [-1000.0, -1.2, -0.0, 0.0, 0.3, 1000.0]
    points = {
        "log": [1e-300, 0.3, 1000.0],
        "sqrt": [1e-300, 0.3, 1000.0],
        "log1p": [-0.999, -0.0, 0.0, 0.3, 1000.0],
        "exp": [-700.0, -1.2, 0.0, 0.3, 700.0],
        "expm1": [-700.0, -1.2, 0.0, 0.3, 700.0],
        "tan": [-1.2, -0.0, 0.0, 0.3, 1.5],
    }
    for name, fn in torch_fns.items():
        for p in points.get(name, everywhere):
            x = Value(p)
            y = getattr(x, name)()
            y.backward()
            t = torch.tensor(p, dtype=torch.float64, requires_grad=True)
            fn(t).backward()
            assert y.data == pytest.approx(fn(t).item(), rel=1e-14, abs=1e-300), (name, p)
            assert x.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-300), (name, p)
            d = getattr(ad.Dual(p, 1.0), name)()
            assert d.tangent == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-300), (name, p)


def test_max_ties_split_like_torch_maximum() -> None:
    a, b = Value(2.0), Value(2.0)
    ad.maximum(a, b).backward()
    ta = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    torch.maximum(ta, tb).backward()
    assert (a.grad, b.grad) == (ta.grad.item(), tb.grad.item())


@pytest.mark.parametrize("loss_name", ["hinge", "bce"])
def test_mlp_and_losses_against_torch(loss_name: str) -> None:
    X, y = ad.datasets.moons(20, noise=0.1, seed=3, labels=(-1, 1) if loss_name == "hinge" else (0, 1))
    model = MLP(2, [8, 8, 1], activation="tanh", seed=7)
    scores = [model(x) for x in X]
    if loss_name == "hinge":
        loss = hinge_loss(scores, y) + l2_penalty(model.parameters(), 1e-4)
    else:
        loss = bce_with_logits(scores, y) + l2_penalty(model.parameters(), 1e-4)
    loss.backward()

    # the same network in torch, with the same weights
    weights = []
    for layer in model.layers:
        W = torch.tensor([[p.data for p in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
        weights.append((W, b))
    h = torch.tensor(X, dtype=torch.float64)
    for i, (W, b) in enumerate(weights):
        h = h @ W.T + b
        if i < len(weights) - 1:
            h = torch.tanh(h)
    s = h[:, 0]
    t_y = torch.tensor(y, dtype=torch.float64)
    if loss_name == "hinge":
        t_loss = torch.relu(1 - t_y * s).mean()
    else:
        t_loss = torch.nn.functional.binary_cross_entropy_with_logits(s, t_y)
    t_loss = t_loss + 1e-4 * sum((W**2).sum() + (b**2).sum() for W, b in weights)
    t_loss.backward()

    assert loss.data == pytest.approx(t_loss.item(), rel=1e-12)
    for layer, (W, b) in zip(model.layers, weights):
        ours_w = np.array([[p.grad for p in n.w] for n in layer.neurons])
        ours_b = np.array([n.b.grad for n in layer.neurons])
        np.testing.assert_allclose(ours_w, W.grad.numpy(), rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(ours_b, b.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_hessian_vector_product_against_torch() -> None:
    def f(x, y, z):
        return ad.exp(x * y) * ad.sin(z) + x * x * z / (1 + y * y)

    point, direction = [0.3, -0.7, 1.1], [0.5, 1.0, -2.0]
    fwd, rev = ad.levels.new_level(), ad.levels.new_level()
    xs = [Value(ad.Dual(p, v, level=fwd), level=rev) for p, v in zip(point, direction)]
    f(*xs).backward()
    hvp = [x.grad.tangent for x in xs]

    def tf(t):
        return torch.exp(t[0] * t[1]) * torch.sin(t[2]) + t[0] * t[0] * t[2] / (1 + t[1] * t[1])

    _, t_hvp = torch.autograd.functional.hvp(tf, torch.tensor(point, dtype=torch.float64), torch.tensor(direction, dtype=torch.float64))
    np.testing.assert_allclose(hvp, t_hvp.numpy(), rtol=1e-12)
