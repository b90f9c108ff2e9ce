"""autodiff.tensor against PyTorch (CPU, float64): every operation, same inputs, same cotangent.

Values and gradients must agree to rounding. PyTorch is an independent implementation of the
same conventions (relu'(0) = 0, abs'(0) = 0, ties of amax/amin split equally, the gradient of
x**0 is 0), so the kinks are compared exactly there too.
"""

from __future__ import annotations

import numpy as np
import pytest

import autodiff as ad
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

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.torch


def compare(ours, theirs, *arrays: np.ndarray, seed: int = 0, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    leaves = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    tleaves = [torch.tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in arrays]
    out, tout = ours(*leaves), theirs(*tleaves)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=rtol, atol=atol)
    u = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(u)
    tout.backward(torch.tensor(u))
    for i, (leaf, tleaf) in enumerate(zip(leaves, tleaves)):
        expected = tleaf.grad.numpy() if tleaf.grad is not None else np.zeros(leaf.shape)
        got = leaf.grad if leaf.grad is not None else np.zeros(leaf.shape)
        np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")


rng = np.random.default_rng(2024)
A23, B23, B3, B13, S = rng.normal(size=(2, 3)), rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(4, 1, 3)), rng.normal(size=())
POS23, POS3 = rng.uniform(0.3, 2.0, size=(2, 3)), rng.uniform(0.3, 2.0, size=3)

ELEMENTWISE = {
    "add": (lambda a, b: a + b, torch.add, A23, B13),
    "sub": (lambda a, b: a - b, torch.sub, B3, A23),
    "mul": (lambda a, b: a * b, torch.mul, A23, S),
    "div": (lambda a, b: a / b, torch.div, A23, POS3),
    "pow": (lambda a, b: a**b, torch.pow, POS23, B3),
    "pow constant": (lambda a: a**3, lambda a: a**3, A23),
    "rpow": (lambda a: 2.0**a, lambda a: 2.0**a, A23),
    "neg": (lambda a: -a, torch.neg, A23),
    "maximum": (lambda a, b: ad.maximum(a, b), torch.maximum, A23, B23),
    "minimum": (lambda a, b: ad.minimum(a, b), torch.minimum, A23, B3),
    "exp": (lambda a: a.exp(), torch.exp, A23),
    "log": (lambda a: a.log(), torch.log, POS23),
    "sqrt": (lambda a: a.sqrt(), torch.sqrt, POS23),
    "tanh": (lambda a: a.tanh(), torch.tanh, A23),
    "sigmoid": (lambda a: a.sigmoid(), torch.sigmoid, A23),
    "relu": (lambda a: a.relu(), torch.relu, A23),
    "abs": (lambda a: abs(a), torch.abs, A23),
    "sin": (lambda a: a.sin(), torch.sin, A23),
    "cos": (lambda a: a.cos(), torch.cos, A23),
    "tan": (lambda a: a.tan(), torch.tan, A23),
    "log1p": (lambda a: a.log1p(), torch.log1p, POS23),
    "expm1": (lambda a: a.expm1(), torch.expm1, A23),
    "softplus": (lambda a: a.softplus(), F.softplus, A23 * 5),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise_operations(name: str) -> None:
    ours, theirs, *arrays = ELEMENTWISE[name]
    compare(ours, theirs, *arrays)


KINKS = {
    "relu at 0": (lambda a: a.relu(), torch.relu, np.array([-1.0, 0.0, -0.0, 2.0])),
    "abs at 0": (lambda a: abs(a), torch.abs, np.array([-1.0, 0.0, -0.0, 2.0])),
    "amax ties": (lambda a: a.max(axis=1), lambda a: torch.amax(a, dim=1), np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])),
    "amin ties": (lambda a: a.min(), torch.amin, np.array([[1.0, 3.0, 1.0], [2.0, 1.0, 2.0]])),
    "x ** 0 at 0": (lambda a: a**0, lambda a: a**0, np.array([0.0, 1.0])),
    "maximum ties": (lambda a, b: ad.maximum(a, b), torch.maximum, np.array([1.0, 2.0]), np.array([1.0, 3.0])),
    "0 ** p, p a variable": (lambda a, b: a**b, torch.pow, np.array([0.0, 2.0]), np.array([2.0, 0.5])),
}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_conventions_at_kinks_agree_with_pytorch(name: str) -> None:
    ours, theirs, *arrays = KINKS[name]
    compare(ours, theirs, *arrays)


MATMUL = [((3, 4), (4, 2)), ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4, 3)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4,))]


@pytest.mark.parametrize(("sa", "sb"), MATMUL)
def test_matmul(sa, sb) -> None:
    r = np.random.default_rng(len(sa) + 3 * len(sb))
    compare(lambda a, b: a @ b, torch.matmul, r.normal(size=sa), r.normal(size=sb))


X34 = rng.normal(size=(3, 4))
X234 = rng.normal(size=(2, 3, 4))

STRUCTURAL = {
    "sum all": (lambda a: a.sum(), torch.sum, X234),
    "sum axis": (lambda a: a.sum(axis=1), lambda a: a.sum(dim=1), X234),
    "sum axes keepdims": (lambda a: a.sum(axis=(0, 2), keepdims=True), lambda a: a.sum(dim=(0, 2), keepdim=True), X234),
    "mean axis": (lambda a: a.mean(axis=-1), lambda a: a.mean(dim=-1), X234),
    "mean all": (lambda a: a.mean(), torch.mean, X234),
    "max axis": (lambda a: a.max(axis=0), lambda a: torch.amax(a, dim=0), X234),
    "max keepdims": (lambda a: a.max(axis=(1, 2), keepdims=True), lambda a: torch.amax(a, dim=(1, 2), keepdim=True), X234),
    "min axis": (lambda a: a.min(axis=2), lambda a: torch.amin(a, dim=2), X234),
    "reshape": (lambda a: a.reshape(4, -1), lambda a: a.reshape(4, -1), X234),
    "transpose": (lambda a: a.transpose(2, 0, 1), lambda a: a.permute(2, 0, 1), X234),
    "T": (lambda a: a.T, lambda a: a.permute(1, 0), X34),
    "broadcast_to": (lambda a: a.broadcast_to((2, 3, 4)), lambda a: torch.broadcast_to(a, (2, 3, 4)), rng.normal(size=(3, 1))),
    "getitem basic": (lambda a: a[1:, ::2], lambda a: a[1:, ::2], X34),
    "getitem int": (lambda a: a[:, -1], lambda a: a[:, -1], X34),
    "getitem repeats": (lambda a: a[np.array([0, 2, 0, 0])], lambda a: a[torch.tensor([0, 2, 0, 0])], X34),
    "getitem pairs": (lambda a: a[np.array([0, 1, 1]), np.array([3, 3, 0])], lambda a: a[torch.tensor([0, 1, 1]), torch.tensor([3, 3, 0])], X34),
    "getitem mask": (lambda a: a[a.data > 0], lambda a: a[a > 0], X34),
    "concatenate": (lambda a, b: concatenate([a, b, a], axis=1), lambda a, b: torch.cat([a, b, a], dim=1), X34, rng.normal(size=(3, 2))),
    "stack": (lambda a, b: stack([a, b], axis=1), lambda a, b: torch.stack([a, b], dim=1), A23, B23),
    "where": (lambda a, b: where(a.data > 0, a, b), lambda a, b: torch.where(a > 0, a, b), A23, B3),
    "logsumexp": (lambda a: logsumexp(a, axis=1), lambda a: torch.logsumexp(a, dim=1), X234 * 50),
    "logsumexp all": (lambda a: logsumexp(a), lambda a: torch.logsumexp(a, dim=(0, 1, 2)), X234),
    "softmax": (lambda a: softmax(a, axis=0), lambda a: torch.softmax(a, dim=0), X34 * 10),
    "log_softmax": (lambda a: log_softmax(a), lambda a: torch.log_softmax(a, dim=-1), X34 * 10),
    "mse": (lambda a, b: mse(a, b), F.mse_loss, A23, B23),
    "mse sum": (lambda a, b: mse(a, b, "sum"), lambda a, b: F.mse_loss(a, b, reduction="sum"), A23, B23),
}


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_reductions_shapes_indexing_and_the_softmax_family(name: str) -> None:
    ours, theirs, *arrays = STRUCTURAL[name]
    compare(ours, theirs, *arrays)


LABELS = np.array([0, 3, 1])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy(reduction: str, scale: float) -> None:
    logits = X34 * scale  # at scale 1000 the logits reach about ±2000: both must stay finite
    compare(
        lambda a: cross_entropy(a, LABELS, reduction),
        lambda a: F.cross_entropy(a, torch.tensor(LABELS), reduction=reduction),
        logits,
        rtol=1e-9,
    )
    probs = np.random.default_rng(5).dirichlet(np.ones(4), size=3)
    compare(
        lambda a: cross_entropy(a, probs, reduction),
        lambda a: F.cross_entropy(a, torch.tensor(probs), reduction=reduction),
        logits,
        rtol=1e-9,
    )


def test_a_small_network_end_to_end() -> None:
    r = np.random.default_rng(9)
    x, w1, b1, w2 = r.normal(size=(8, 5)), r.normal(size=(5, 7)), r.normal(size=7), r.normal(size=(7, 3))
    labels = r.integers(0, 3, size=8)

    def ours(w1, b1, w2):
        return cross_entropy((x @ w1 + b1).tanh() @ w2, labels)

    def theirs(w1, b1, w2):
        return F.cross_entropy(torch.tanh(torch.tensor(x) @ w1 + b1) @ w2, torch.tensor(labels))

    compare(ours, theirs, w1, b1, w2)


def test_the_where_nan_leak_is_the_same_in_pytorch() -> None:
    x = Tensor(np.array([-1.0, 4.0]), requires_grad=True)
    where(x.data > 0, x.sqrt(), 0.0).sum().backward()
    t = torch.tensor([-1.0, 4.0], dtype=torch.float64, requires_grad=True)
    torch.where(t > 0, torch.sqrt(t), torch.tensor(0.0, dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())  # nan in both, at the same place


def test_float32_matches_pytorch_float32() -> None:
    r = np.random.default_rng(10)
    x, w = r.normal(size=(4, 3)).astype(np.float32), r.normal(size=(3, 2)).astype(np.float32)
    tx, tw = torch.tensor(x), torch.tensor(w, requires_grad=True)
    ours_w = Tensor(w, requires_grad=True)
    out = log_softmax((Tensor(x) @ ours_w).tanh()).sum()
    tout = torch.log_softmax(torch.tanh(tx @ tw), dim=-1).sum()
    out.backward()
    tout.backward()
    assert out.dtype == np.float32 and ours_w.grad.dtype == np.float32
    np.testing.assert_allclose(out.item(), tout.item(), rtol=1e-5)
    np.testing.assert_allclose(ours_w.grad, tw.grad.numpy(), rtol=1e-4, atol=1e-5)
