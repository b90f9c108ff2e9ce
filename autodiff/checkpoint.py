"""Checkpointing: trade recomputation for memory in reverse mode (chapter 10).

Reverse mode keeps every intermediate result of the forward pass until the backward pass has
used it: a chain of ``n`` layers holds ``n`` activations at its peak. **Segment checkpointing**
cuts the chain into ``k`` segments, runs the forward pass without recording and keeps only each
segment's output (the *checkpoints*); in the backward pass it recomputes one segment at a time
from its input checkpoint, with recording on, back-propagates through it, and drops it. The
peak is then ``k`` checkpoints plus one recorded segment of about ``n/k`` activations, smallest
at ``k ≈ sqrt(n)``: about ``2 sqrt(n)`` activations instead of ``n``, for one extra forward pass
of computation. The gradients are the same numbers: the recomputation repeats the same
arithmetic in the same order.

Both variants run here with the same counters, so a chapter can plot them against ``n``:

>>> import numpy as np
>>> from autodiff.tensor import Tensor
>>> layers = [lambda h: h.tanh()] * 100
>>> x = Tensor(np.full(1000, 0.5), requires_grad=True)
>>> y, plain = plain_chain(layers, x)
>>> y.sum().backward()
>>> z, saved = checkpoint_chain(layers, Tensor(x.data, requires_grad=True))
>>> z.sum().backward()
>>> plain.peak_arrays, saved.peak_arrays, saved.segments, saved.recomputed_calls
(100, 20, 10, 100)

**Honest counting.** Nothing here is a formula. At every measurement point (after each layer
call, in both passes) :func:`held_arrays` walks the graphs that are alive and counts the distinct
activation buffers they hold: the data of every recorded node (and of the activation at hand),
not the leaves (inputs, parameters). ``peak_arrays`` and ``peak_bytes`` are the maxima over the
run, ``history`` the whole sequence; ``forward_calls`` and ``recomputed_calls`` count layer
evaluations. The counts of a checkpointed chain are complete only after its backward pass.

**Restrictions.** The layers must be functions of one tensor. Tensors they close over
(parameters) must be leaves; their gradients accumulate during the recomputation as usual.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autodiff.levels import unwrap
from autodiff.tensor import Tensor, enable_grad, is_grad_enabled, no_grad
from autodiff.tensor.core import _accumulate, _leaf

__all__ = [
    "MemoryStats",
    "checkpoint",
    "checkpoint_chain",
    "plain_chain",
    "held_arrays",
    "default_segments",
    "segment_bounds",
]

Layer = Callable[[Tensor], Tensor]


@dataclass
class MemoryStats:
    """What a chain stored and recomputed (filled in as it runs; final after ``backward``).

    ``layers`` is ``n``; ``segments`` is ``k`` (``None`` without checkpointing);
    ``forward_calls`` and ``recomputed_calls`` count layer evaluations in the forward pass and in
    the backward pass (recomputation); ``peak_arrays`` and ``peak_bytes`` are the most activation
    buffers held at once, and ``history`` lists the count at every measurement.

    >>> MemoryStats(layers=4, segments=2).recompute_ratio
    0.0
    """

    layers: int
    segments: int | None
    forward_calls: int = 0
    recomputed_calls: int = 0
    peak_arrays: int = 0
    peak_bytes: int = 0
    history: list[int] = field(default_factory=list)

    @property
    def recompute_ratio(self) -> float:
        """Recomputed layer calls per layer: about 1.0 (one extra forward pass) when checkpointing.

        >>> MemoryStats(layers=4, segments=2, recomputed_calls=4).recompute_ratio
        1.0
        """
        return self.recomputed_calls / self.layers if self.layers else 0.0

    def _record(self, count: int, nbytes: int) -> None:
        self.history.append(count)
        if count > self.peak_arrays:
            self.peak_arrays = count
        self.peak_bytes = max(self.peak_bytes, nbytes)


class _Meter:
    """Measures what the graphs hold: the chain's output (once known) plus the tensor at hand."""

    __slots__ = ("stats", "root", "measure")

    def __init__(self, stats: MemoryStats, measure: bool) -> None:
        self.stats = stats
        self.root: Callable[[], Tensor | None] = lambda: None
        self.measure = measure

    def __call__(self, *extra: Tensor | None) -> None:
        if not self.measure:
            return
        roots = [r for r in (self.root(), *extra) if r is not None]
        self.stats._record(*held_arrays(roots))


def held_arrays(roots: Sequence[Tensor]) -> tuple[int, int]:
    """``(count, bytes)`` of the distinct activation buffers held by the graphs of ``roots``.

    Counts the data of each root and of every recorded node reachable from them (leaves such as
    inputs and parameters are not activations); views of one buffer count once. Iterative.

    >>> from autodiff.tensor import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> held_arrays([(x * 2).exp()])
    (2, 32)
    """
    buffers: dict[int, int] = {}
    seen: set[int] = set()
    stack = [r for r in roots if isinstance(r, Tensor)]
    first = {id(r) for r in stack}
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node._prev or id(node) in first:
            data = unwrap(node.data)
            if isinstance(data, np.ndarray):
                base = data
                while isinstance(base.base, np.ndarray):
                    base = base.base
                buffers[id(base)] = base.nbytes
        stack.extend(node._prev)
    return len(buffers), sum(buffers.values())


def default_segments(n: int) -> int:
    """The number of segments that minimises ``k + n/k``: about ``sqrt(n)``.

    >>> default_segments(100), default_segments(10), default_segments(1)
    (10, 3, 1)
    """
    return max(1, round(math.sqrt(n)))


def segment_bounds(n: int, segments: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of each of ``segments`` consecutive, nearly equal parts of ``range(n)``.

    >>> segment_bounds(10, 3)
    [(0, 4), (4, 7), (7, 10)]
    """
    if not isinstance(segments, int) or isinstance(segments, bool) or not 1 <= segments <= max(n, 1):
        raise ValueError(f"checkpoint_chain: segments must be an int from 1 to the number of layers ({n}), got {segments!r}")
    q, r = divmod(n, segments)
    bounds, start = [], 0
    for s in range(segments):
        stop = start + q + (1 if s < r else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def _check(layers: Sequence[Layer], x: Any, op: str) -> tuple[tuple[Layer, ...], Tensor]:
    layers = tuple(layers)
    if not layers:
        raise ValueError(f"{op}: give at least one layer")
    for i, layer in enumerate(layers):
        if not callable(layer):
            raise TypeError(f"{op}: layer {i} is not callable ({type(layer).__name__})")
    if not isinstance(x, Tensor):
        x = Tensor(x)
    return layers, x


def _apply(layer: Layer, h: Tensor, index: int, op: str) -> Tensor:
    out = layer(h)
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}: layer {index} returned {type(out).__name__}, expected a Tensor")
    return out


def plain_chain(layers: Sequence[Layer], x: Any, *, measure: bool = True) -> tuple[Tensor, MemoryStats]:
    """Apply ``layers`` in order, recording everything (ordinary reverse mode), and count.

    >>> from autodiff.tensor import Tensor
    >>> y, stats = plain_chain([lambda h: h * 2.0, lambda h: h.exp()], Tensor([0.0], requires_grad=True))
    >>> stats.peak_arrays, stats.forward_calls
    (2, 2)
    """
    layers, x = _check(layers, x, "plain_chain")
    stats = MemoryStats(layers=len(layers), segments=None)
    meter = _Meter(stats, measure)
    h = x
    for i, layer in enumerate(layers):
        h = _apply(layer, h, i, "plain_chain")
        stats.forward_calls += 1
        meter(h)
    return h, stats


def checkpoint_chain(
    layers: Sequence[Layer], x: Any, segments: int | None = None, *, measure: bool = True
) -> tuple[Tensor, MemoryStats]:
    """Apply ``layers`` in order with segment checkpointing; the output is differentiable.

    ``segments`` defaults to :func:`default_segments` (about ``sqrt(n)``). Returns the output
    and its :class:`MemoryStats`, which the backward pass completes (recomputation and the peak).
    The gradients of ``x`` and of the parameters are those of :func:`plain_chain`.

    >>> from autodiff.tensor import Tensor
    >>> x = Tensor([0.5], requires_grad=True)
    >>> y, stats = checkpoint_chain([lambda h: h * h] * 4, x, segments=2)
    >>> y.backward(); float(x.grad[0]) == 16 * 0.5 ** 15
    True
    >>> stats.forward_calls, stats.recomputed_calls
    (4, 4)
    """
    layers, x = _check(layers, x, "checkpoint_chain")
    n = len(layers)
    k = default_segments(n) if segments is None else segments
    stats = MemoryStats(layers=n, segments=k)
    meter = _Meter(stats, measure)
    h = x
    for start, stop in segment_bounds(n, k):
        h = _checkpoint(layers[start:stop], h, meter, start)
    root = weakref.ref(h)
    meter.root = root
    return h, stats


def checkpoint(fn: Layer, x: Tensor) -> Tensor:
    """``fn(x)``, computed without recording; the backward pass recomputes it (one segment).

    >>> from autodiff.tensor import Tensor
    >>> x = Tensor([2.0], requires_grad=True)
    >>> y = checkpoint(lambda t: (t * t).exp(), x)
    >>> y._prev == (x,), y._op
    (True, 'checkpoint')
    >>> y.backward(); round(float(x.grad[0]) / float(np.exp(4.0)), 12)
    4.0
    """
    _, x = _check([fn], x, "checkpoint")
    return _checkpoint((fn,), x, _Meter(MemoryStats(layers=1, segments=1), False), 0)


def _checkpoint(segment: tuple[Layer, ...], x: Tensor, meter: _Meter, offset: int) -> Tensor:
    """One segment: run it without recording, keep only its output, as a ``checkpoint`` node."""
    record = is_grad_enabled()
    h = x
    with no_grad():
        for i, layer in enumerate(segment):
            h = _apply(layer, h, offset + i, "checkpoint")
            meter.stats.forward_calls += 1
            meter(x, h)  # the chain so far (held through x) and the activation at hand
    out = _leaf(h.data, x._level)
    if record:  # recorded whatever requires grad: the parameters inside are not known here
        out.requires_grad = True
        out._prev = (x,)
        out._op = "checkpoint"
        out._ctx = (segment, meter, offset)
    return out


def _recompute_backward(node: Tensor, g: Any) -> None:
    """The rule of a ``checkpoint`` node: recompute the segment with recording on, then
    back-propagate ``g`` through it; the parameters' gradients accumulate, the input's is added."""
    segment, meter, offset = node._ctx
    (x,) = node._prev
    start = _leaf(x.data, x._level, x.requires_grad)
    h = start
    with enable_grad():
        for i, layer in enumerate(segment):
            h = _apply(layer, h, offset + i, "checkpoint")
            meter.stats.recomputed_calls += 1
            meter(h)
    if h.requires_grad:
        h.backward(g)
    if x.requires_grad and start.grad is not None:
        _accumulate(x, start.grad, False)
