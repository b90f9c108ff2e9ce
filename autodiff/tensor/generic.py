"""Array operations on a Tensor's data, whatever that data is (chapters 8 and 9).

A :class:`~autodiff.tensor.Tensor` usually holds a numpy array, but for nested differentiation
its data can be

* a :class:`~autodiff.forward.Dual` whose primal and tangent are arrays: a Tensor over duals
  computes a gradient *and* its directional derivative in one backward pass (forward over
  reverse: the Hessian-vector product of :func:`autodiff.functional.hvp`);
* a ``Tensor`` of an outer level: the backward pass of the inner Tensor is then itself recorded
  by the outer one (reverse over reverse: ``grad(grad(f))``).

Every forward computation and every derivative rule of the tensor engine is written with the
functions here (and with ``+ - * / @`` and the dispatching functions of
:mod:`autodiff.functions`), never with numpy calls on the data, so each rule is written once and
holds for all three kinds of data. For a plain array each function is the numpy call it names;
for a dual it applies the same *linear* operation to the primal and to the tangent (summing,
reshaping, indexing and transposing commute with taking a directional derivative); for a Tensor
it calls the Tensor's own differentiable operation.

>>> import numpy as np
>>> from autodiff import Dual
>>> sum_(np.arange(6.0).reshape(2, 3), axis=(0,)).tolist()
[3.0, 5.0, 7.0]
>>> d = sum_(Dual(np.array([1.0, 2.0]), np.array([10.0, 20.0])))
>>> float(d.primal), float(d.tangent)
(3.0, 30.0)
>>> unbroadcast(np.ones((4, 2, 3)), (2, 1)).tolist()  # the gradient of a broadcast input
[[12.0], [12.0]]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from autodiff.forward import Dual
from autodiff.forward import _make as _dual_make
from autodiff.levels import level_of, unwrap

__all__ = [
    "plain",
    "sum_",
    "max_",
    "reshape",
    "transpose",
    "swap_last",
    "broadcast_to",
    "getitem",
    "scatter",
    "where",
    "concatenate",
    "unbroadcast",
    "expand",
    "reduced_shape",
]

Axes = tuple[int, ...]


def plain(d: Any) -> Any:
    """numpy scalars (from arithmetic on 0-d arrays) become 0-d arrays; anything else is unchanged.

    The tensor engine keeps plain data as ``ndarray`` so that every function sees numpy
    semantics (IEEE ``log(0) = -inf``), never the scalar rules of :mod:`autodiff.functions`.

    >>> type(plain(np.float64(2.0))).__name__, plain(np.float64(2.0)).shape
    ('ndarray', ())
    """
    if type(d) is np.ndarray or not isinstance(d, np.generic):
        return d
    return np.asarray(d)


def _dual(d: Dual, primal: Any, tangent: Any) -> Dual:
    return _dual_make(primal, tangent, d, "tensor")


def sum_(d: Any, axis: Axes | None = None, keepdims: bool = False) -> Any:
    """The sum of ``d`` over ``axis`` (all axes for ``None``), keeping reduced axes if asked.

    >>> sum_(np.ones((2, 3)), axis=(1,), keepdims=True).shape
    (2, 1)
    """
    if type(d) is np.ndarray or isinstance(d, np.generic):
        return plain(np.sum(d, axis=axis, keepdims=keepdims))
    if type(d) is Dual:
        return _dual(d, sum_(d.primal, axis, keepdims), sum_(d.tangent, axis, keepdims))
    return d.sum(axis=axis, keepdims=keepdims)


def max_(d: Any, axis: Axes | None = None, keepdims: bool = False) -> Any:
    """The maximum of ``d`` over ``axis``. For a dual, the tangent follows the maxima, and ties
    share it equally (the convention of :data:`autodiff.rules.KINKS`).

    >>> max_(np.array([[1.0, 5.0], [7.0, 2.0]]), axis=(1,)).tolist()
    [5.0, 7.0]
    """
    if type(d) is np.ndarray or isinstance(d, np.generic):
        return plain(np.max(d, axis=axis, keepdims=keepdims))
    if type(d) is Dual:
        from autodiff.rules import argmax_weights

        weights = argmax_weights(d.primal, axis=axis)
        return _dual(d, max_(d.primal, axis, keepdims), sum_(d.tangent * weights, axis, keepdims))
    return d.max(axis=axis, keepdims=keepdims)


def reshape(d: Any, shape: tuple[int, ...]) -> Any:
    """``d`` with the same elements in a new shape.

    >>> reshape(np.arange(6.0), (2, 3)).shape
    (2, 3)
    """
    if type(d) is np.ndarray or isinstance(d, np.generic):
        return np.reshape(d, shape)
    if type(d) is Dual:
        return _dual(d, reshape(d.primal, shape), reshape(d.tangent, shape))
    return d.reshape(shape)


def transpose(d: Any, axes: Axes | None = None) -> Any:
    """``d`` with its axes permuted (reversed for ``None``).

    >>> transpose(np.zeros((2, 3, 4)), (2, 0, 1)).shape
    (4, 2, 3)
    """
    if type(d) is np.ndarray or isinstance(d, np.generic):
        return np.transpose(d, axes)
    if type(d) is Dual:
        return _dual(d, transpose(d.primal, axes), transpose(d.tangent, axes))
    return d.transpose(axes)


def swap_last(d: Any) -> Any:
    """``d`` with its last two axes swapped: the transpose of every matrix in a batch.

    >>> swap_last(np.zeros((5, 2, 3))).shape
    (5, 3, 2)
    """
    if type(d) is np.ndarray:
        return d.swapaxes(-1, -2)
    n = len(d.shape)
    return transpose(d, (*range(n - 2), n - 1, n - 2))


def broadcast_to(d: Any, shape: tuple[int, ...]) -> Any:
    """``d`` broadcast to ``shape`` (a read-only view for arrays: nothing here writes in place).

    >>> broadcast_to(np.array([1.0, 2.0]), (3, 2)).tolist()
    [[1.0, 2.0], [1.0, 2.0], [1.0, 2.0]]
    """
    if type(d) is np.ndarray or isinstance(d, np.generic):
        return np.broadcast_to(d, shape)
    if type(d) is Dual:
        return _dual(d, broadcast_to(d.primal, shape), broadcast_to(d.tangent, shape))
    return d.broadcast_to(shape)


def getitem(d: Any, index: Any) -> Any:
    """``d[index]`` (basic or integer-array indexing).

    >>> getitem(np.arange(5.0), np.array([0, 0, 3])).tolist()
    [0.0, 0.0, 3.0]
    """
    if type(d) is np.ndarray or isinstance(d, np.generic):
        return plain(np.asarray(d)[index])
    if type(d) is Dual:
        return _dual(d, getitem(d.primal, index), getitem(d.tangent, index))
    return d[index]


def scatter(g: Any, shape: tuple[int, ...], index: Any, basic: bool) -> Any:
    """An array of ``shape``, zero except that ``g`` is *added* at ``index``: the adjoint of
    ``x[index]``. A repeated integer index receives the sum of its gradients (``np.add.at``);
    ``basic`` says that the index has only integers and slices, so nothing repeats.

    >>> scatter(np.array([1.0, 2.0, 3.0]), (4,), np.array([0, 0, 2]), basic=False).tolist()
    [3.0, 0.0, 3.0, 0.0]
    """
    if type(g) is np.ndarray or isinstance(g, np.generic):
        out = np.zeros(shape, dtype=np.result_type(g))
        if basic:
            out[index] = g
        else:
            np.add.at(out, index, g)
        return out
    if type(g) is Dual:
        return _dual(g, scatter(g.primal, shape, index, basic), scatter(g.tangent, shape, index, basic))
    return g._scatter(shape, index, basic)


def _top(parts: Sequence[Any]) -> Any:
    """The part of the highest level (``None`` if every part is a plain array or number)."""
    best, best_level = None, -1
    for part in parts:
        lvl = level_of(part)
        if lvl > best_level:
            best, best_level = part, lvl
    return best


def _split(part: Any, top: Dual) -> tuple[Any, Any]:
    """``(primal, tangent)`` of ``part`` seen from the dual ``top``: constants have tangent 0."""
    if type(part) is Dual and part._level == top._level:
        return part.primal, part.tangent
    return part, np.zeros(np.shape(unwrap(part)))


def where(cond: np.ndarray, a: Any, b: Any) -> Any:
    """``a`` where ``cond`` holds, else ``b`` (broadcasting): a true selection, never
    ``cond * a + (1 - cond) * b``, so that ``inf`` and ``nan`` in the branch not taken stay out.

    >>> where(np.array([True, False]), np.array([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    """
    top = _top((a, b))
    if top is None:
        return plain(np.where(cond, a, b))
    if type(top) is Dual:
        (pa, ta), (pb, tb) = _split(a, top), _split(b, top)
        return _dual(top, where(cond, pa, pb), where(cond, ta, tb))
    from autodiff.tensor.core import where as tensor_where

    return tensor_where(cond, a, b)


def concatenate(parts: Sequence[Any], axis: int) -> Any:
    """The parts joined along ``axis``.

    >>> concatenate([np.zeros((1, 2)), np.ones((2, 2))], axis=0).shape
    (3, 2)
    """
    top = _top(parts)
    if top is None:
        return np.concatenate(parts, axis=axis)
    if type(top) is Dual:
        pairs = [_split(p, top) for p in parts]
        return _dual(
            top, concatenate([p for p, _ in pairs], axis), concatenate([t for _, t in pairs], axis)
        )
    from autodiff.tensor.core import concatenate as tensor_concatenate

    return tensor_concatenate(list(parts), axis=axis)


def reduced_shape(shape: tuple[int, ...], axes: Axes) -> tuple[int, ...]:
    """``shape`` with the reduced ``axes`` kept as 1 (the shape of a ``keepdims`` reduction).

    >>> reduced_shape((2, 3, 4), (0, 2))
    (1, 3, 1)
    """
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand(g: Any, shape: tuple[int, ...], axes: Axes, keepdims: bool) -> Any:
    """The gradient of a reduction over ``axes`` taken back to the input's ``shape``: reinsert
    the reduced axes (unless they were kept) and broadcast.

    >>> expand(np.array([1.0, 2.0]), (2, 3), (1,), keepdims=False).tolist()
    [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    """
    if not keepdims:
        g = reshape(g, reduced_shape(shape, axes))
    return broadcast_to(g, shape)


def unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum the gradient ``g`` of a broadcast result back to an input of ``shape``.

    Broadcasting copies an input along the axes it lacks (leading axes) and along its size-1
    axes; the adjoint of copying is summing, over exactly those axes. Every binary operation of
    the engine (and ``broadcast_to``, ``where``, ``matmul``'s batch axes) uses this one helper.
    Returns ``g`` itself when nothing was broadcast.

    >>> unbroadcast(np.ones((2, 3)), ()).tolist()  # a 0-d input used six times
    6.0
    >>> unbroadcast(np.arange(6.0).reshape(2, 3), (2, 1)).tolist()
    [[3.0], [12.0]]
    """
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and gshape[lead + i] != 1
    )
    return reshape(sum_(g, axes, keepdims=True), shape)
