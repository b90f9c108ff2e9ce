"""The derivative rules of the tensor engine: one vector-Jacobian product per operation.

``RULES[op](node, g)`` receives a recorded node and its gradient ``g`` (d loss / d node, of the
node's shape) and adds each input's share, ``g`` times the Jacobian of the operation, to that
input's gradient. Inputs that do not require grad are skipped, so ``x @ W`` with a constant
``x`` never computes the (large) gradient of ``x``.

Three design rules hold for every entry:

* **One table, no closures.** A node stores its inputs (``_prev``), its operation name
  (``_op``) and the few extra arguments its rule needs (``_ctx``: the reduced axes, the index,
  the selection mask); the rule is looked up here by name. Unary functions all share one rule
  that reads their derivative from :mod:`autodiff.rules`, like the scalar engines.
* **Broadcasting is undone in one place.** Every binary operation sums its gradient back to
  each input's shape with :func:`~autodiff.tensor.generic.unbroadcast` (0-d inputs and size-1
  axes included).
* **Generic data.** Rules compute with ``+ - * / @``, the dispatching functions and
  :mod:`autodiff.tensor.generic`, never with numpy calls on the data, so the same rule runs on
  arrays, on duals of arrays (forward over reverse) and on Tensors of an outer level (reverse
  over reverse).

>>> import numpy as np
>>> from autodiff.tensor import Tensor
>>> x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
>>> y = (x * np.array([10.0, 100.0])).sum(axis=1)
>>> y.backward(np.array([1.0, -1.0]))
>>> x.grad
array([[  10.,  100.],
       [ -10., -100.]])
>>> sorted(RULES)[:6]
['*', '**', '+', '-', '/', '@']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff import functions as F
from autodiff.levels import unwrap
from autodiff.rules import UNARY, argmax_weights, maximum_partials, minimum_partials
from autodiff.tensor import generic as G
from autodiff.tensor.core import Tensor, _accumulate

__all__ = ["RULES"]

Rule = Callable[[Tensor, Any], None]


def _give(child: Tensor, g: Any) -> None:
    """Add ``g``, the gradient of a broadcast result, to ``child``: summed back to its shape."""
    h = G.unbroadcast(g, child.data.shape)
    _accumulate(child, h, h is g)


def _add(node: Tensor, g: Any) -> None:
    a, b = node._prev
    if a.requires_grad:
        _give(a, g)
    if b.requires_grad:
        _give(b, g)


def _sub(node: Tensor, g: Any) -> None:
    a, b = node._prev
    if a.requires_grad:
        _give(a, g)
    if b.requires_grad:
        _give(b, -g)


def _mul(node: Tensor, g: Any) -> None:
    a, b = node._prev
    if a.requires_grad:
        _give(a, g * b.data)
    if b.requires_grad:
        _give(b, g * a.data)


def _div(node: Tensor, g: Any) -> None:
    a, b = node._prev
    ga = g / b.data  # d(a/b)/da = 1/b
    if a.requires_grad:
        _give(a, ga)
    if b.requires_grad:
        _give(b, -(ga * node.data))  # d(a/b)/db = -a/b**2 = -(1/b)(a/b)


def _pow(node: Tensor, g: Any) -> None:
    base, exponent = node._prev
    x, p = base.data, exponent.data
    if base.requires_grad:
        slope = p * x ** (p - 1)
        zero = np.asarray(unwrap(p)) == 0
        if zero.any():  # x**0 is constant in x, also at x = 0 (where p * x**(p-1) is 0 * inf)
            slope = G.where(zero, 0.0, slope)
        _give(base, g * slope)
    if exponent.requires_grad:
        slope = node.data * F.log(x)  # d/dp x**p = x**p log x
        xv, pv = np.asarray(unwrap(x)), np.asarray(unwrap(p))
        at_zero = (xv == 0) & (pv >= 0)
        if at_zero.any():  # 0**p is 0 for p > 0: constant in p (PyTorch's convention too)
            slope = G.where(at_zero, 0.0, slope)
        _give(exponent, g * slope)


def _neg(node: Tensor, g: Any) -> None:
    _accumulate(node._prev[0], -g, False)


def _matmul(node: Tensor, g: Any) -> None:
    a, b = node._prev
    A, B = a.data, b.data
    sa, sb = A.shape, B.shape
    if len(sa) == 1 and len(sb) == 1:  # a dot product
        if a.requires_grad:
            _accumulate(a, g * B, False)
        if b.requires_grad:
            _accumulate(b, g * A, False)
        return
    # Promote vectors to matrices (numpy's rule), compute with matrices, and drop the axis again.
    A2 = G.reshape(A, (1, sa[0])) if len(sa) == 1 else A
    B2 = G.reshape(B, (sb[0], 1)) if len(sb) == 1 else B
    gs = g.shape
    if len(sa) == 1:
        g = G.reshape(g, gs[:-1] + (1, gs[-1]))
    elif len(sb) == 1:
        g = G.reshape(g, gs + (1,))
    if a.requires_grad:
        ga = G.unbroadcast(g @ G.swap_last(B2), A2.shape)
        _accumulate(a, G.reshape(ga, sa) if len(sa) == 1 else ga, False)
    if b.requires_grad:
        gb = G.unbroadcast(G.swap_last(A2) @ g, B2.shape)
        _accumulate(b, G.reshape(gb, sb) if len(sb) == 1 else gb, False)


def _unary(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    _accumulate(x, g * UNARY[node._op].derivative(x.data, node.data), False)


def _relu(node: Tensor, g: Any) -> None:
    y = node.data
    if type(y) is np.ndarray:  # fast path of rules.UNARY["relu"]: slope 1 where y > 0, else 0
        _accumulate(node._prev[0], g * (y > 0), False)
    else:
        _unary(node, g)


def _extremum(partials: Callable[[Any, Any], tuple[Any, Any]]) -> Rule:
    def rule(node: Tensor, g: Any) -> None:
        a, b = node._prev
        wa, wb = partials(a.data, b.data)
        if a.requires_grad:
            _give(a, g * wa)
        if b.requires_grad:
            _give(b, g * wb)

    return rule


def _sum(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    axes, keepdims = node._ctx
    _accumulate(x, G.expand(g, x.data.shape, axes, keepdims), True)


def _mean(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    axes, keepdims, count = node._ctx
    _accumulate(x, G.expand(g / count if count else g * np.nan, x.data.shape, axes, keepdims), True)


def _max(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    axes, keepdims = node._ctx
    values = np.asarray(unwrap(x.data))
    weights = argmax_weights(values if node._op == "max" else -values, axis=axes)
    if values.dtype.kind == "f":
        weights = weights.astype(values.dtype, copy=False)
    _accumulate(x, G.expand(g, x.data.shape, axes, keepdims) * weights, False)


def _reshape(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    _accumulate(x, G.reshape(g, x.data.shape), True)


def _transpose(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    inverse = tuple(np.argsort(node._ctx).tolist())
    _accumulate(x, G.transpose(g, inverse), True)


def _broadcast_to(node: Tensor, g: Any) -> None:
    _give(node._prev[0], g)


def _getitem(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    index, basic = node._ctx
    _accumulate(x, G.scatter(g, x.data.shape, index, basic), False)


def _scatter(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    _shape, index, _basic = node._ctx
    _accumulate(x, G.getitem(g, index), True)


def _concatenate(node: Tensor, g: Any) -> None:
    axis, bounds = node._ctx
    lead = (slice(None),) * axis
    for i, part in enumerate(node._prev):
        if part.requires_grad:
            _accumulate(part, G.getitem(g, lead + (slice(bounds[i], bounds[i + 1]),)), True)


def _where(node: Tensor, g: Any) -> None:
    a, b = node._prev
    cond = node._ctx
    if a.requires_grad:
        _give(a, G.where(cond, g, 0.0))
    if b.requires_grad:
        _give(b, G.where(cond, 0.0, g))


def _logsumexp(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    axes, keepdims = node._ctx
    shape = x.data.shape
    y = node.data if keepdims else G.reshape(node.data, G.reduced_shape(shape, axes))
    _accumulate(x, G.expand(g, shape, axes, keepdims) * F.exp(x.data - y), False)  # g * softmax


def _softmax(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    y = node.data
    _accumulate(x, y * (g - G.sum_(g * y, node._ctx, keepdims=True)), False)


def _log_softmax(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    _accumulate(x, g - F.exp(node.data) * G.sum_(g, node._ctx, keepdims=True), False)


def _cross_entropy(node: Tensor, g: Any) -> None:
    (x,) = node._prev
    probs, lse, reduction, count = node._ctx
    if reduction == "none":
        scale = G.reshape(g, g.shape + (1,))
    elif reduction == "mean":
        scale = g / count if count else g * np.nan
    else:
        scale = g
    _accumulate(x, (F.exp(x.data - lse) - probs) * scale, False)  # (softmax - p) * g


def _checkpoint(node: Tensor, g: Any) -> None:
    from autodiff.checkpoint import _recompute_backward

    _recompute_backward(node, g)


#: The derivative rules of the tensor engine, keyed by ``_op``.
RULES: dict[str, Rule] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "/": _div,
    "**": _pow,
    "neg": _neg,
    "@": _matmul,
    **{name: _unary for name in UNARY},
    "relu": _relu,
    "maximum": _extremum(maximum_partials),
    "minimum": _extremum(minimum_partials),
    "sum": _sum,
    "mean": _mean,
    "max": _max,
    "min": _max,
    "reshape": _reshape,
    "transpose": _transpose,
    "broadcast_to": _broadcast_to,
    "getitem": _getitem,
    "scatter": _scatter,
    "concatenate": _concatenate,
    "where": _where,
    "logsumexp": _logsumexp,
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "cross_entropy": _cross_entropy,
    "checkpoint": _checkpoint,
}
