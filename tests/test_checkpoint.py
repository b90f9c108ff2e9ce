"""autodiff.checkpoint: gradients equal to plain reverse mode; memory and recomputation counted."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autodiff.checkpoint import (
    checkpoint,
    checkpoint_chain,
    default_segments,
    held_arrays,
    plain_chain,
    segment_bounds,
)
from autodiff.tensor import Tensor, no_grad


def network(n: int, width: int = 6, seed: int = 0):
    """n layers h -> tanh(h @ W_i + b_i), with their parameters."""
    rng = np.random.default_rng(seed)
    params = [
        (Tensor(rng.normal(size=(width, width)) / math.sqrt(width), requires_grad=True),
         Tensor(rng.normal(size=width) * 0.1, requires_grad=True))
        for _ in range(n)
    ]
    layers = [lambda h, W=W, b=b: (h @ W + b).tanh() for W, b in params]
    return layers, params


def run(chain, layers, x0: np.ndarray, params, **kwargs):
    for W, b in params:
        W.zero_grad()
        b.zero_grad()
    x = Tensor(x0.copy(), requires_grad=True)
    out, stats = chain(layers, x, **kwargs)
    loss = (out * out).sum()
    loss.backward()
    return loss.item(), x.grad, [(W.grad.copy(), b.grad.copy()) for W, b in params], stats


@pytest.mark.parametrize(("n", "segments"), [(9, None), (10, 3), (16, 1), (7, 7), (12, 5)])
def test_gradients_are_identical_to_plain_reverse_mode(n, segments) -> None:
    layers, params = network(n)
    x0 = np.random.default_rng(1).normal(size=(4, 6))
    loss_p, gx_p, gp_p, _ = run(plain_chain, layers, x0, params)
    loss_c, gx_c, gp_c, stats = run(checkpoint_chain, layers, x0, params, segments=segments)
    assert loss_c == loss_p
    np.testing.assert_array_equal(gx_c, gx_p)  # the same arithmetic in the same order
    for (gw_c, gb_c), (gw_p, gb_p) in zip(gp_c, gp_p):
        np.testing.assert_array_equal(gw_c, gw_p)
        np.testing.assert_array_equal(gb_c, gb_p)
    assert stats.segments == (default_segments(n) if segments is None else segments)


def test_shared_parameters_and_constant_inputs() -> None:
    W = Tensor(np.random.default_rng(2).normal(size=(3, 3)) * 0.5, requires_grad=True)
    layers = [lambda h: (h @ W).sin()] * 10  # one parameter used by every layer
    x = Tensor(np.ones((2, 3)))  # does not require grad
    out, _ = plain_chain(layers, x)
    out.sum().backward()
    reference = W.grad.copy()
    W.zero_grad()
    out, _ = checkpoint_chain(layers, x, segments=4)
    out.sum().backward()
    np.testing.assert_array_equal(W.grad, reference)
    assert x.grad is None


@pytest.mark.parametrize("n", [16, 25, 49, 100, 144])
def test_peak_activations_about_two_sqrt_n_and_one_extra_forward_pass(n) -> None:
    layers = [lambda h: h.tanh()] * n  # one array per layer
    x0 = np.linspace(-1, 1, 50)
    out, plain = plain_chain(layers, Tensor(x0, requires_grad=True))
    out.sum().backward()
    out, saved = checkpoint_chain(layers, Tensor(x0, requires_grad=True))
    out.sum().backward()
    k = saved.segments
    assert k == round(math.sqrt(n))
    assert plain.peak_arrays == n and plain.recomputed_calls == 0 and plain.forward_calls == n
    assert saved.peak_arrays == k + math.ceil(n / k)  # k checkpoints + one recorded segment
    assert saved.peak_arrays <= 2 * math.sqrt(n) + 1
    assert saved.forward_calls == n and saved.recomputed_calls == n  # one extra forward pass
    assert saved.recompute_ratio == 1.0
    assert saved.peak_bytes == saved.peak_arrays * x0.nbytes
    assert plain.peak_bytes == n * x0.nbytes
    assert saved.peak_arrays == max(saved.history) and len(saved.history) == 2 * n


def test_counts_follow_the_number_of_segments() -> None:
    n = 36
    layers = [lambda h: h * 0.9 + 0.1] * n  # two recorded arrays per layer (* and +)
    for k in (1, 2, 4, 6, 9, 36):
        out, stats = checkpoint_chain(layers, Tensor(np.ones(8), requires_grad=True), segments=k)
        out.sum().backward()
        assert stats.peak_arrays == k + 2 * math.ceil(n / k), k
    out, plain = plain_chain(layers, Tensor(np.ones(8), requires_grad=True))
    assert plain.peak_arrays == 2 * n


def test_checkpointing_without_the_backward_pass_holds_only_checkpoints() -> None:
    layers = [lambda h: h.exp() * 0.5] * 20
    out, stats = checkpoint_chain(layers, Tensor(np.zeros(5), requires_grad=True), segments=4)
    assert stats.recomputed_calls == 0 and stats.peak_arrays <= 4 + 1
    out.sum().backward()
    assert stats.recomputed_calls == 20


def test_single_checkpoint() -> None:
    x = Tensor(np.array([0.3, -1.2]), requires_grad=True)
    f = lambda t: (t * t).exp().sum(axis=0, keepdims=True) * t  # noqa: E731
    f(x).backward(np.array([1.0, 2.0]))
    reference = x.grad.copy()
    x.zero_grad()
    y = checkpoint(f, x)
    assert y._op == "checkpoint" and y._prev == (x,)
    y.backward(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(x.grad, reference)
    with no_grad():
        assert not checkpoint(f, x).requires_grad


def test_held_arrays_counts_distinct_buffers_of_recorded_nodes() -> None:
    x = Tensor(np.ones(4), requires_grad=True)
    y = x.reshape(2, 2)  # a view of x's buffer: x is a leaf, so it does not count ...
    z = (y * 2).T  # ... the transpose is a view of y * 2: one buffer for both
    assert held_arrays([z]) == (2, 64)
    assert held_arrays([x]) == (1, 32)  # a root counts even as a leaf (the activation at hand)


def test_errors() -> None:
    x = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=r"segments must be an int from 1 to the number of layers \(3\), got 4"):
        checkpoint_chain([lambda h: h] * 3, x, segments=4)
    with pytest.raises(ValueError, match="give at least one layer"):
        checkpoint_chain([], x)
    with pytest.raises(TypeError, match="layer 1 is not callable"):
        plain_chain([lambda h: h, 3], x)
    with pytest.raises(TypeError, match="layer 0 returned ndarray, expected a Tensor"):
        checkpoint_chain([lambda h: h.numpy()], x)
    assert segment_bounds(5, 2) == [(0, 3), (3, 5)]
