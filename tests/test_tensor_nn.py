"""autodiff.tensor.nn: layers, initialisation, SGD and Adam (against torch.optim), real data."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from autodiff.tensor import Tensor, no_grad, nn
from tests.test_tensor import check_vjp


def test_linear_computes_x_w_plus_b_and_its_gradients() -> None:
    layer = nn.Linear(3, 2, rng=0)
    x = np.random.default_rng(1).normal(size=(5, 3))
    np.testing.assert_allclose(layer(Tensor(x)).numpy(), x @ layer.weight.data + layer.bias.data)
    b = np.array([0.5, -0.5])
    check_vjp(lambda W, bias: (Tensor(x) @ W + bias).tanh(), layer.weight.data, b)
    assert nn.Linear(3, 2, bias=False, rng=0)(Tensor(x)).shape == (5, 2)


def test_parameters_are_found_once_in_order_and_zeroed() -> None:
    net = nn.MLP([3, 4, 2], rng=0)
    params = net.parameters()
    assert [p.shape for p in params] == [(3, 4), (4,), (4, 2), (2,)]
    shared = nn.Sequential(net[0], nn.ReLU(), net[0])  # one layer used twice: its parameters once
    assert len(shared.parameters()) == 2
    tied = nn.Sequential([net, net])  # the same module twice: its parameters once
    assert len(tied.parameters()) == 4
    net(Tensor(np.ones((2, 3)))).sum().backward()
    assert all(p.grad is not None for p in params)
    net.zero_grad()
    assert all(p.grad is None for p in params)
    assert net.num_parameters() == 3 * 4 + 4 + 4 * 2 + 2


def test_initialisation_is_seeded_and_has_the_right_scale() -> None:
    a, b = nn.Linear(400, 300, rng=7), nn.Linear(400, 300, rng=7)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    assert a.weight.data.std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)  # He
    assert np.all(a.bias.data == 0)
    x = nn.Linear(400, 300, init="xavier", rng=7).weight.data
    bound = math.sqrt(6 / 700)
    assert np.abs(x).max() <= bound and x.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    nn.manual_seed(3)
    first = nn.MLP([2, 3, 1]).parameters()[0].data.copy()
    nn.manual_seed(3)
    np.testing.assert_array_equal(nn.MLP([2, 3, 1]).parameters()[0].data, first)
    tanh_net = nn.MLP([100, 100], activation="tanh", rng=0)
    assert np.abs(tanh_net[0].weight.data).max() <= math.sqrt(6 / 200)  # Xavier for tanh


def test_mlp_works_with_width_one_layers_and_float32() -> None:
    net = nn.MLP([2, 1, 1, 3], activation="tanh", rng=0)
    assert net(Tensor(np.ones((4, 2)))).shape == (4, 3)
    net32 = nn.MLP([2, 5, 1], rng=0, dtype=np.float32)
    opt = nn.SGD(net32.parameters(), lr=0.1, momentum=0.9)
    loss = nn.mse(net32(Tensor(np.ones((3, 2), np.float32))), np.zeros((3, 1), np.float32))
    loss.backward()
    opt.step()
    assert loss.dtype == np.float32 and all(p.data.dtype == np.float32 for p in net32.parameters())


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (lambda p: nn.SGD(p, lr=0.1), lambda p, torch: torch.optim.SGD(p, lr=0.1)),
        (lambda p: nn.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01), lambda p, torch: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=0.01)),
        (lambda p: nn.Adam(p, lr=0.01), lambda p, torch: torch.optim.Adam(p, lr=0.01)),
        (lambda p: nn.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), lambda p, torch: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ],
    ids=["sgd", "sgd-momentum-decay", "adam", "adam-options"],
)
def test_optimizers_match_torch_optim_step_by_step(ours, theirs) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w0, b0, x, y = rng.normal(size=(3, 2)), rng.normal(size=2), rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    w, b = Tensor(w0.copy(), requires_grad=True), Tensor(b0.copy(), requires_grad=True)
    tw = torch.tensor(w0, requires_grad=True)
    tb = torch.tensor(b0, requires_grad=True)
    opt, topt = ours([w, b]), theirs([tw, tb], torch)
    for _ in range(6):
        loss = nn.mse((Tensor(x) @ w + b).tanh(), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        tloss = torch.nn.functional.mse_loss(torch.tanh(torch.tensor(x) @ tw + tb), torch.tensor(y))
        topt.zero_grad()
        tloss.backward()
        topt.step()
        assert loss.item() == pytest.approx(tloss.item(), rel=1e-12)
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-12)


def test_optimizers_skip_parameters_without_gradients() -> None:
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    for opt in (nn.SGD([a, b], lr=0.5, momentum=0.5), nn.Adam([a, b], lr=0.5)):
        opt.zero_grad()
        (a * 3).sum().backward()
        before = b.data.copy()
        opt.step()
        np.testing.assert_array_equal(b.data, before)


def _digits():
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    X, y = datasets.load_digits(return_X_y=True)  # bundled with scikit-learn: no download
    return model_selection.train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


@pytest.mark.parametrize("sizes", [[64, 10], [64, 64, 10]], ids=["softmax regression", "mlp"])
def test_digits_reach_95_percent_test_accuracy_in_seconds(sizes) -> None:
    Xtr, Xte, ytr, yte = _digits()
    start = time.perf_counter()
    model = nn.MLP(sizes, rng=0)
    opt = nn.Adam(model.parameters(), lr=0.01)
    order = np.random.default_rng(0)
    for _epoch in range(30):
        perm = order.permutation(len(Xtr))
        for i in range(0, len(Xtr), 64):
            batch = perm[i : i + 64]
            loss = nn.cross_entropy(model(Tensor(Xtr[batch])), ytr[batch])
            opt.zero_grad()
            loss.backward()
            opt.step()
    with no_grad():
        accuracy = float(np.mean(model(Tensor(Xte)).numpy().argmax(axis=1) == yte))
    elapsed = time.perf_counter() - start
    assert accuracy >= 0.95, accuracy
    assert elapsed < 30, elapsed  # about a second on one core; generous for loaded CI machines


def test_user_errors() -> None:
    with pytest.raises(ValueError, match=r"Linear\(3, 2\): expected inputs with 3 features on the last axis, got shape \(4,\)"):
        nn.Linear(3, 2)(Tensor(np.ones(4)))
    with pytest.raises(ValueError, match="in_features must be a positive int, got 0"):
        nn.Linear(0, 2)
    with pytest.raises(ValueError, match="init must be 'he' or 'xavier'"):
        nn.Linear(2, 2, init="glorot")
    with pytest.raises(ValueError, match="MLP: activation must be one of relu, tanh, sigmoid, identity"):
        nn.MLP([2, 2], activation="gelu")
    with pytest.raises(ValueError, match="MLP: sizes needs at least"):
        nn.MLP([2])
    with pytest.raises(ValueError, match="SGD: got no parameters"):
        nn.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        nn.Adam([Tensor([1.0], requires_grad=True)], lr=-1)
    with pytest.raises(TypeError, match="parameter 0 must be a Tensor with requires_grad=True"):
        nn.SGD([Tensor([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="Adam: betas must be two numbers"):
        nn.Adam([Tensor([1.0], requires_grad=True)], betas=(0.9, 1.0))
    with pytest.raises(TypeError, match="Sequential: layer 0 is not callable"):
        nn.Sequential(3)
