"""autodiff.nn: modules, losses and SGD on Value."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import special

import autodiff as ad
from autodiff import Value
from autodiff.nn import MLP, SGD, Layer, Module, Neuron, bce_with_logits, hinge_loss, l2_penalty, mse_loss
from autodiff.numerical import central_difference, numerical_gradient


def test_neuron_computes_activation_of_affine_map() -> None:
    for activation, fn in (("relu", lambda t: max(t, 0.0)), ("tanh", math.tanh), ("sigmoid", special.expit), ("linear", lambda t: t)):
        n = Neuron(3, activation=activation, seed=5)
        x = [0.5, -1.0, 2.0]
        w = [p.data for p in n.w]
        expected = fn(sum(wi * xi for wi, xi in zip(w, x)) + n.b.data)
        assert n(x).data == pytest.approx(expected, rel=1e-14)
    custom = Neuron(2, activation=lambda v: v * 2.0)
    assert custom.activation == "<lambda>"
    assert custom([1.0, 1.0]).data == pytest.approx(2 * sum(p.data for p in custom.w))


def test_initialisation_is_seeded() -> None:
    first = [p.data for p in MLP(2, [8, 1], seed=3).parameters()]
    again = [p.data for p in MLP(2, [8, 1], seed=3).parameters()]
    other = [p.data for p in MLP(2, [8, 1], seed=4).parameters()]
    assert first == again and first != other
    weights = [p.data for p in MLP(2, [8, 1], seed=3).parameters() if p.label.startswith("w")]
    assert all(-1.0 <= w < 1.0 for w in weights)
    assert all(p.data == 0.0 for p in MLP(2, [8, 1]).parameters() if p.label == "b")
    from_rng = [p.data for p in MLP(2, [8, 1], rng=random.Random(3)).parameters()]
    assert from_rng == first
    numpy_rng = MLP(2, [8, 1], rng=np.random.default_rng(0))
    assert all(type(p.data) is float for p in numpy_rng.parameters())


def test_parameter_counts_and_order() -> None:
    model = MLP(2, [16, 16, 1])
    params = model.parameters()
    assert len(params) == 16 * 3 + 16 * 17 + 17 == 337  # micrograd's demo network
    first_neuron = model.layers[0].neurons[0]
    assert params[:3] == first_neuron.w + [first_neuron.b]
    assert params == model.parameters()  # stable
    assert len({id(p) for p in params}) == 337


def test_width_one_layers_work_everywhere() -> None:
    model = MLP(2, [16, 1, 1])
    out = model([0.3, -0.2])
    assert isinstance(out, Value)
    out.backward()
    layer = Layer(3, 1)
    assert isinstance(layer([1.0, 2.0, 3.0]), list) and len(layer([1.0, 2.0, 3.0])) == 1
    assert isinstance(MLP(1, [1])(2.0), Value)  # one feature given bare
    wide = MLP(2, [4, 3])([1.0, 1.0])
    assert isinstance(wide, list) and len(wide) == 3
    assert model.layers[-1].activation == "linear" and model.layers[0].activation == "relu"


def test_mlp_gradients_match_finite_differences() -> None:
    model = MLP(2, [3, 2, 1], activation="tanh", seed=1)
    params = model.parameters()
    X = np.array([[0.5, -1.0], [1.5, 0.25], [-0.3, 0.8]])
    y = [1.0, -1.0, 1.0]

    def loss_at(values: np.ndarray) -> float:
        for p, v in zip(params, values):
            p.data = float(v)
        return mse_loss([model(x) for x in X], y).data

    start = np.array([p.data for p in params])
    numeric = numerical_gradient(loss_at, start)
    for p, v in zip(params, start):
        p.data = float(v)
    model.zero_grad()
    loss = mse_loss([model(x) for x in X], y) + l2_penalty(params, alpha=0.01)
    loss.backward()
    analytic = np.array([p.grad for p in params])
    np.testing.assert_allclose(analytic, numeric + 0.02 * start, rtol=1e-6, atol=1e-9)


def test_losses_match_their_formulas() -> None:
    preds = [0.5, -1.2, 2.0, 0.0]
    pm = [1, -1, -1, 1]
    zero_one = [1, 0, 0, 1]
    p = np.array(preds)
    assert mse_loss([Value(v) for v in preds], [0.0, 1.0, 2.0, 3.0]).data == pytest.approx(np.mean((p - [0, 1, 2, 3]) ** 2))
    assert hinge_loss([Value(v) for v in preds], pm).data == pytest.approx(np.mean(np.maximum(0, 1 - np.array(pm) * p)))
    y = np.array(zero_one)
    expected = -np.mean(y * np.log(special.expit(p)) + (1 - y) * np.log(1 - special.expit(p)))
    assert bce_with_logits([Value(v) for v in preds], zero_one).data == pytest.approx(expected, rel=1e-14)
    assert mse_loss([Value(1.0), Value(2.0)], [0.0, 0.0], reduction="sum").data == 5.0
    terms = mse_loss([Value(1.0), Value(2.0)], [0.0, 0.0], reduction="none")
    assert [t.data for t in terms] == [1.0, 4.0]


def test_losses_are_generic_over_floats_and_duals() -> None:
    assert mse_loss([1.0, 2.0], [0.0, 0.0]) == 2.5
    f = lambda z: bce_with_logits([z], [1.0])  # noqa: E731
    assert ad.derivative(f, 0.3) == pytest.approx(special.expit(0.3) - 1.0)
    assert hinge_loss(np.array([0.5]), np.array([1])) == 0.5


@pytest.mark.parametrize("z", [-1000.0, -50.0, 0.0, 50.0, 1000.0])
@pytest.mark.parametrize("label", [0.0, 1.0])
def test_bce_with_logits_is_stable(z: float, label: float) -> None:
    v = Value(z)
    loss = bce_with_logits([v], [label])
    loss.backward()
    assert loss.data == pytest.approx(np.logaddexp(0.0, z) - label * z, abs=1e-12)
    assert v.grad == pytest.approx(special.expit(z) - label, abs=1e-15)
    if abs(z) < 100:
        numeric = central_difference(lambda t: bce_with_logits([t], [label]), z)
        assert v.grad == pytest.approx(numeric, rel=1e-7, abs=1e-9)


def test_loss_errors() -> None:
    with pytest.raises(ValueError, match=r"^mse_loss: 2 predictions but 3 targets"):
        mse_loss([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^hinge_loss: labels must be -1 or \+1, got 0.0"):
        hinge_loss([Value(1.0)], [0])
    with pytest.raises(ValueError, match=r"^bce_with_logits: labels must lie in \[0, 1\], got -1.0"):
        bce_with_logits([Value(1.0)], [-1])
    with pytest.raises(ValueError, match=r"^mse_loss: reduction must be 'mean', 'sum' or 'none'"):
        mse_loss([1.0], [1.0], reduction="max")
    with pytest.raises(TypeError, match=r"^mse_loss: targets must be numbers, got str"):
        mse_loss([1.0], ["a"])
    with pytest.raises(ValueError, match=r"^mse_loss: no predictions"):
        mse_loss([], [])
    with pytest.raises(ValueError, match=r"^l2_penalty: params is empty"):
        l2_penalty([])


def test_sgd_plain_momentum_and_weight_decay() -> None:
    w = Value(2.0)
    opt = SGD([w], lr=0.1, momentum=0.9, weight_decay=0.5)
    expected, velocity = 2.0, 0.0
    for _ in range(3):
        opt.zero_grad()
        (w * w).backward()
        g = 2 * expected + 0.5 * expected
        velocity = 0.9 * velocity + g
        expected -= 0.1 * velocity
        opt.step()
        assert w.data == pytest.approx(expected, rel=1e-14)
    assert w.grad != 0.0
    opt.zero_grad()
    assert w.grad == 0.0


def test_sgd_errors() -> None:
    with pytest.raises(ValueError, match=r"^SGD: params is empty"):
        SGD([])
    with pytest.raises(TypeError, match=r"^SGD: parameter 1 is a float, not a Value"):
        SGD([Value(1.0), 2.0])
    with pytest.raises(ValueError, match=r"^SGD: lr must be positive"):
        SGD([Value(1.0)], lr=0.0)
    with pytest.raises(ValueError, match=r"^SGD: momentum must be in \[0, 1\)"):
        SGD([Value(1.0)], momentum=1.0)
    with pytest.raises(ValueError, match=r"^SGD: lr must be a finite number"):
        SGD([Value(1.0)], lr=math.nan)
    w = Value(1.0)
    w.grad = 1e308
    with pytest.raises(ValueError, match=r"^SGD.step: parameter 0 became non-finite .* the learning rate \(10.0\) may be too large"):
        SGD([w], lr=10.0).step()


def test_module_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match=r"^MLP: unknown activation 'gelu'; choose one of relu, tanh, sigmoid, linear"):
        MLP(2, [3], activation="gelu")
    with pytest.raises(TypeError, match=r"^MLP: nouts must be a list of layer widths"):
        MLP(2, 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^MLP: each layer width must be a positive int, got 0"):
        MLP(2, [3, 0])
    with pytest.raises(TypeError, match=r"^Neuron: nin must be a positive int, got float"):
        Neuron(2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^Layer: expected 2 input\(s\), got 3"):
        MLP(2, [3])([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^Layer: expected one example of 2 features, got an array of shape \(4, 2\)"):
        MLP(2, [3])(np.zeros((4, 2)))
    with pytest.raises(TypeError, match=r"^MLP: rng must have a uniform"):
        MLP(2, [3], rng=42)  # type: ignore[arg-type]
    with pytest.raises(NotImplementedError):
        Module()(1.0)


def test_reprs() -> None:
    assert repr(MLP(2, [16, 16, 1])) == "MLP(nin=2, nouts=[16, 16, 1], activation='relu')"
    assert repr(Layer(2, 3, "tanh")) == "Layer(nin=2, nout=3, activation='tanh')"
    assert repr(Neuron(4, None)) == "Neuron(nin=4, activation='linear')"
    assert repr(SGD([Value(1.0)], lr=0.5)) == "SGD(1 parameters, lr=0.5, momentum=0.0, weight_decay=0.0)"


def test_training_learns_xor() -> None:
    X, y = ad.datasets.xor()
    model = MLP(2, [4, 1], activation="tanh", seed=0)
    opt = SGD(model.parameters(), lr=0.2, momentum=0.5)
    losses = []
    for _ in range(150):
        loss = mse_loss([model(x) for x in X], y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.data)
    predictions = [1 if model(x).data > 0 else -1 for x in X]
    assert predictions == y.tolist()
    assert losses[-1] < 0.1 * losses[0]


def test_training_on_moons_with_the_demo_loss() -> None:
    X, y = ad.datasets.moons(40, noise=0.1, seed=1)
    model = MLP(2, [8, 8, 1], seed=2)
    opt = SGD(model.parameters(), lr=0.3)
    first = None
    for _ in range(25):
        scores = [model(x) for x in X]
        loss = hinge_loss(scores, y) + l2_penalty(model.parameters(), 1e-4)
        first = first if first is not None else loss.data
        opt.zero_grad()
        loss.backward()
        opt.step()
    accuracy = np.mean([(s.data > 0) == (t > 0) for s, t in zip([model(x) for x in X], y)])
    assert loss.data < first and accuracy >= 0.8
