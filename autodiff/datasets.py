"""Seeded toy datasets for classification (chapters 6 and 8), in numpy only.

Every function returns ``(X, y)``: ``X`` a float64 array of shape ``(n, 2)``, ``y`` an int64 array
of shape ``(n,)``. Labels are ``(-1, +1)`` by default, what the hinge loss expects; pass
``labels=(0, 1)`` for the cross-entropy losses (any two, or for :func:`spirals` with more classes
any ``k``, distinct integers). The same ``seed`` gives the same data on every run and platform
(numpy's ``default_rng``, PCG64).

>>> X, y = moons(100, noise=0.1, seed=0)
>>> X.shape, y.shape, sorted(set(y.tolist()))
((100, 2), (100,), [-1, 1])
>>> bool((moons(seed=0)[0] == X).all())  # same seed, same data
True
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

__all__ = ["xor", "moons", "circles", "spirals"]


def xor(n: int = 4, noise: float = 0.0, seed: int = 0, labels: Sequence[int] = (-1, 1)) -> tuple[np.ndarray, np.ndarray]:
    """The XOR problem: points near the corners of the unit square, labelled by ``x0 XOR x1``.

    With the defaults it is the truth table: ``(0,0), (0,1), (1,0), (1,1)`` labelled
    ``labels[0], labels[1], labels[1], labels[0]``. For ``n > 4`` the corners repeat in that
    order, each point moved by Gaussian ``noise`` (standard deviation).

    >>> X, y = xor()
    >>> X.tolist(), y.tolist()
    ([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], [-1, 1, 1, -1])
    """
    n = _count(n, "xor")
    noise = _noise(noise, "xor")
    lo, hi = _labels(labels, 2, "xor")
    rng = _generator(seed, "xor")
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    X = corners[np.arange(n) % 4] + rng.normal(0.0, noise, size=(n, 2))
    y = np.array([lo, hi, hi, lo], dtype=np.int64)[np.arange(n) % 4]
    return X, y


def moons(n: int = 100, noise: float = 0.1, seed: int = 0, labels: Sequence[int] = (-1, 1)) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (the construction of scikit-learn's ``make_moons``).

    The first class lies on the upper half of the unit circle, the second on a lower half circle
    shifted to ``(1, 0.5)``; ``n // 2`` points go to the first, the rest to the second, evenly
    spaced in angle, then Gaussian ``noise`` is added and the points are shuffled.

    >>> X, y = moons(6, noise=0.0)
    >>> X.round(3).min(axis=0).tolist(), X.round(3).max(axis=0).tolist()
    ([-1.0, -0.5], [2.0, 1.0])
    """
    n = _count(n, "moons", minimum=2)
    noise = _noise(noise, "moons")
    lo, hi = _labels(labels, 2, "moons")
    rng = _generator(seed, "moons")
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, math.pi, n_out)
    t_in = np.linspace(0.0, math.pi, n_in)
    X = np.concatenate(
        [np.stack([np.cos(t_out), np.sin(t_out)], axis=1), np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)]
    )
    y = np.concatenate([np.full(n_out, lo), np.full(n_in, hi)]).astype(np.int64)
    return _finish(X, y, noise, rng)


def circles(
    n: int = 100, noise: float = 0.05, factor: float = 0.5, seed: int = 0, labels: Sequence[int] = (-1, 1)
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: radius 1 (first class) and radius ``factor`` (second class).

    >>> X, y = circles(8, noise=0.0, factor=0.5)
    >>> sorted(set(np.hypot(X[:, 0], X[:, 1]).round(6).tolist()))
    [0.5, 1.0]
    """
    n = _count(n, "circles", minimum=2)
    noise = _noise(noise, "circles")
    if not isinstance(factor, numbers.Real) or not 0.0 < factor < 1.0:
        raise ValueError(f"circles: factor (inner radius / outer radius) must be in (0, 1), got {factor!r}")
    lo, hi = _labels(labels, 2, "circles")
    rng = _generator(seed, "circles")
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0.0, 2 * math.pi, n_out, endpoint=False)
    t_in = np.linspace(0.0, 2 * math.pi, n_in, endpoint=False)
    X = np.concatenate(
        [np.stack([np.cos(t_out), np.sin(t_out)], axis=1), factor * np.stack([np.cos(t_in), np.sin(t_in)], axis=1)]
    )
    y = np.concatenate([np.full(n_out, lo), np.full(n_in, hi)]).astype(np.int64)
    return _finish(X, y, noise, rng)


def spirals(
    n: int = 100, classes: int = 2, noise: float = 0.2, turns: float = 1.0, seed: int = 0, labels: Sequence[int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` interleaved spiral arms (CS231n's toy data): hard for linear models.

    Arm ``k`` has points at radius ``r`` in [0, 1] and angle ``2π (turns · r + k / classes)``
    plus Gaussian angular ``noise``; ``n`` points are shared out as evenly as possible. Labels
    default to ``(-1, 1)`` for two classes and ``0 .. classes-1`` otherwise.

    >>> X, y = spirals(90, classes=3)
    >>> X.shape, np.bincount(y).tolist()
    ((90, 2), [30, 30, 30])
    """
    n = _count(n, "spirals", minimum=1)
    classes = _count(classes, "spirals", minimum=2, name="classes")
    noise = _noise(noise, "spirals")
    if not isinstance(turns, numbers.Real) or not 0 < turns < math.inf:
        raise ValueError(f"spirals: turns must be a positive number, got {turns!r}")
    names = _labels((-1, 1) if labels is None and classes == 2 else labels or tuple(range(classes)), classes, "spirals")
    rng = _generator(seed, "spirals")
    sizes = [n // classes + (1 if k < n % classes else 0) for k in range(classes)]
    points, ys = [], []
    for k, size in enumerate(sizes):
        r = np.linspace(0.0, 1.0, size)
        angle = 2 * math.pi * (turns * r + k / classes) + rng.normal(0.0, noise, size)
        points.append(np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1))
        ys.append(np.full(size, names[k]))
    X = np.concatenate(points)
    y = np.concatenate(ys).astype(np.int64)
    order = rng.permutation(n)
    return X[order], y[order]


# --------------------------------------------------------------------------------------------


def _finish(X: np.ndarray, y: np.ndarray, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Add Gaussian noise, then shuffle (one permutation for X and y)."""
    if noise > 0:
        X = X + rng.normal(0.0, noise, size=X.shape)
    order = rng.permutation(len(y))
    return X[order], y[order]


def _count(n: object, op: str, minimum: int = 1, name: str = "n") -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {type(n).__name__} {n!r}")
    if n < minimum:
        raise ValueError(f"{op}: {name} must be at least {minimum}, got {n}")
    return int(n)


def _noise(noise: object, op: str) -> float:
    if isinstance(noise, (bool, np.bool_)) or not isinstance(noise, numbers.Real) or not 0 <= float(noise) < math.inf:
        raise ValueError(f"{op}: noise must be a finite number >= 0 (a standard deviation), got {noise!r}")
    return float(noise)


def _labels(labels: object, k: int, op: str) -> tuple[int, ...]:
    try:
        values = tuple(labels)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{op}: labels must be a sequence of {k} ints, got {labels!r}") from None
    if len(values) != k or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in values):
        raise ValueError(f"{op}: labels must be {k} ints, got {labels!r}")
    if len(set(values)) != k:
        raise ValueError(f"{op}: labels must be distinct, got {labels!r}")
    return tuple(int(v) for v in values)


def _generator(seed: object, op: str) -> np.random.Generator:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise TypeError(f"{op}: seed must be a non-negative int, got {seed!r}")
    return np.random.default_rng(int(seed))
