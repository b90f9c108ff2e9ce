"""Neural networks on :class:`~autodiff.scalar.Value`: modules, losses, SGD (chapter 6).

>>> import autodiff as ad
>>> X, y = ad.datasets.xor()
>>> model = MLP(2, [4, 1], activation="tanh", seed=0)
>>> opt = SGD(model.parameters(), lr=0.1)
>>> for step in range(3):
...     loss = mse_loss([model(x) for x in X], y)
...     opt.zero_grad()
...     loss.backward()
...     opt.step()
>>> len(model.parameters()), isinstance(loss, ad.Value)
(17, True)

**Shapes.** A :class:`Layer` always returns a list, also when it has one neuron, so any stack of
layers works (micrograd returned a bare Value for width 1, and ``MLP(2, [16, 1, 1])`` crashed).
An :class:`MLP` whose last layer has one neuron returns that single Value, so
``loss = model(x)`` reads naturally; wider outputs are lists.

**Initialisation** is seeded: weights are drawn uniformly from [-1, 1) (micrograd's choice) by
``random.Random(seed)`` or by the ``rng`` you pass (anything with a ``uniform(a, b)`` method,
such as ``random.Random`` or ``numpy.random.Generator``); biases start at 0. The same seed gives
the same network on every run.

**Losses** are written with the dispatching functions, so they also work on floats and dual
numbers, and are stable: ``bce_with_logits`` at logits of ±1000 is finite, and so is its
gradient.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Callable, Iterable, Sequence
from functools import reduce
from operator import add
from typing import Any, Protocol

import numpy as np

from autodiff import functions as F
from autodiff.levels import unwrap
from autodiff.scalar import Value

__all__ = [
    "Module",
    "Neuron",
    "Layer",
    "MLP",
    "ACTIVATIONS",
    "mse_loss",
    "hinge_loss",
    "bce_with_logits",
    "l2_penalty",
    "SGD",
]


class UniformRNG(Protocol):
    def uniform(self, a: float, b: float) -> float: ...


def _identity(x: Any) -> Any:
    return x


#: The activations that can be named by a string; any callable ``Value -> Value`` works too.
#: (Neurons always apply them to Values, so they are Value's own methods: no dispatch needed.)
ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": _identity,
}


class Module:
    """Base class: something with parameters. Subclasses define ``parameters()`` and ``__call__``.

    >>> class Scale(Module):
    ...     def __init__(self):
    ...         self.k = Value(2.0)
    ...     def parameters(self):
    ...         return [self.k]
    ...     def __call__(self, x):
    ...         return self.k * x
    >>> m = Scale(); m(3.0).backward(); m.k.grad
    3.0
    >>> m.zero_grad(); m.k.grad
    0.0
    """

    def parameters(self) -> list[Value]:
        """The trainable Values of this module, in a fixed order (none for the base class).

        >>> Module().parameters()
        []
        """
        return []

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to 0.0 (leaves accumulate across backward calls).

        >>> n = Neuron(2); n(([1.0, 2.0])).backward(); n.zero_grad()
        >>> [p.grad for p in n.parameters()]
        [0.0, 0.0, 0.0]
        """
        for p in self.parameters():
            p.grad = 0.0

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define __call__")


class Neuron(Module):
    """``activation(w · x + b)`` with ``nin`` weights.

    ``activation`` is ``"relu"`` (default), ``"tanh"``, ``"sigmoid"``, ``"linear"`` (or ``None``),
    or any function of a Value. The sum is computed as ``b + w0*x0 + w1*x1 + ...``, micrograd's
    graph.

    >>> n = Neuron(2, activation="tanh", seed=1)
    >>> out = n([1.0, -1.0])
    >>> isinstance(out, Value), len(n.parameters())
    (True, 3)
    """

    def __init__(
        self, nin: int, activation: str | Callable[[Any], Any] | None = "relu", *, rng: UniformRNG | None = None, seed: int = 0
    ) -> None:
        self.nin = _positive_int(nin, "Neuron", "nin")
        self.activation, self._act = _activation(activation, "Neuron")
        rng = _rng(rng, seed, "Neuron")
        self.w = [Value(float(rng.uniform(-1.0, 1.0)), label=f"w{i}") for i in range(self.nin)]
        self.b = Value(0.0, label="b")

    def __call__(self, x: Any) -> Any:
        xs = _inputs(x, self.nin, "Neuron")
        act = self.b
        for wi, xi in zip(self.w, xs):
            act = act + wi * xi
        return self._act(act)

    def parameters(self) -> list[Value]:
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"Neuron(nin={self.nin}, activation={self.activation!r})"


class Layer(Module):
    """``nout`` neurons reading the same ``nin`` inputs; always returns a list of ``nout`` outputs.

    >>> layer = Layer(3, 1)
    >>> out = layer([1.0, 2.0, 3.0])
    >>> type(out).__name__, len(out)  # a list, also for one neuron
    ('list', 1)
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | Callable[[Any], Any] | None = "relu",
        *,
        rng: UniformRNG | None = None,
        seed: int = 0,
    ) -> None:
        self.nin = _positive_int(nin, "Layer", "nin")
        self.nout = _positive_int(nout, "Layer", "nout")
        self.activation, _ = _activation(activation, "Layer")
        rng = _rng(rng, seed, "Layer")
        self.neurons = [Neuron(self.nin, activation, rng=rng) for _ in range(self.nout)]

    def __call__(self, x: Any) -> list[Any]:
        xs = _as_values(_inputs(x, self.nin, "Layer"))  # numbers become Values once, not per neuron
        return [n(xs) for n in self.neurons]

    def parameters(self) -> list[Value]:
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer(nin={self.nin}, nout={self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multilayer perceptron: ``nin`` inputs, one :class:`Layer` per entry of ``nouts``.

    Hidden layers use ``activation``; the last layer is linear. Returns a single Value when the
    last layer has one neuron, else a list. Layers of width 1 work anywhere.

    >>> model = MLP(2, [16, 1, 1], seed=0)  # width-1 hidden layer: fine
    >>> isinstance(model([0.5, -0.5]), Value), len(model.parameters())
    (True, 67)
    >>> MLP(2, [3, 2])([1.0, 2.0]).__class__.__name__
    'list'
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Callable[[Any], Any] | None = "relu",
        *,
        rng: UniformRNG | None = None,
        seed: int = 0,
    ) -> None:
        self.nin = _positive_int(nin, "MLP", "nin")
        if isinstance(nouts, (int, np.integer)) or not isinstance(nouts, Iterable):
            raise TypeError(f"MLP: nouts must be a list of layer widths such as [16, 16, 1], got {nouts!r}")
        self.nouts = [_positive_int(n, "MLP", "each layer width") for n in nouts]
        if not self.nouts:
            raise ValueError("MLP: nouts must list at least one layer width")
        self.activation, _ = _activation(activation, "MLP")
        rng = _rng(rng, seed, "MLP")
        sizes = [self.nin] + self.nouts
        last = len(self.nouts) - 1
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < last else "linear", rng=rng) for i in range(len(self.nouts))
        ]

    def __call__(self, x: Any) -> Any:
        out = x
        for layer in self.layers:
            out = layer(out)
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP(nin={self.nin}, nouts={self.nouts}, activation={self.activation!r})"


# --------------------------------------------------------------------------------------------
# Losses


def mse_loss(predictions: Any, targets: Any, reduction: str = "mean") -> Any:
    """Mean squared error ``mean((p - t)**2)``.

    ``predictions`` is a Value (or number, Dual) or a sequence of them; ``targets`` numbers of the
    same length. ``reduction`` is ``"mean"``, ``"sum"`` or ``"none"`` (a list of terms).

    >>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0])
    Value(data=2.5, grad=0.0)
    """
    preds, targs = _pairs(predictions, targets, "mse_loss")
    terms = []
    for p, t in zip(preds, targs):
        d = p - t
        terms.append(d * d)
    return _reduce(terms, reduction, "mse_loss")


def hinge_loss(scores: Any, labels: Any, margin: float = 1.0, reduction: str = "mean") -> Any:
    """The SVM max-margin loss ``mean(relu(margin - y * s))`` for labels ``y`` in {-1, +1}.

    >>> hinge_loss([Value(2.0), Value(0.5)], [1, -1])
    Value(data=0.75, grad=0.0)
    """
    preds, targs = _pairs(scores, labels, "hinge_loss")
    bad = [t for t in targs if t not in (-1.0, 1.0)]
    if bad:
        raise ValueError(f"hinge_loss: labels must be -1 or +1, got {bad[0]!r} (use datasets' labels=(-1, 1))")
    return _reduce([F.relu(margin - t * s) for s, t in zip(preds, targs)], reduction, "hinge_loss")


def bce_with_logits(logits: Any, labels: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of ``sigmoid(z)`` against labels in [0, 1], computed from the logits ``z``.

    Uses ``softplus(z) - y * z``, equal to ``-y log σ(z) - (1 - y) log(1 - σ(z))`` but without
    overflow or ``log(0)``: finite for logits of ±1000, with gradient ``σ(z) - y``.

    >>> z = Value(1000.0)
    >>> loss = bce_with_logits([z], [0.0]); loss.backward()
    >>> loss.data, z.grad
    (1000.0, 1.0)
    """
    preds, targs = _pairs(logits, labels, "bce_with_logits")
    bad = [t for t in targs if not 0.0 <= t <= 1.0]
    if bad:
        raise ValueError(f"bce_with_logits: labels must lie in [0, 1], got {bad[0]!r} (use datasets' labels=(0, 1))")
    return _reduce([F.softplus(z) - t * z for z, t in zip(preds, targs)], reduction, "bce_with_logits")


def l2_penalty(params: Iterable[Any], alpha: float = 1e-4) -> Any:
    """Weight decay ``alpha * sum(p * p)`` over ``params``.

    >>> l2_penalty([Value(1.0), Value(2.0)], alpha=0.5)
    Value(data=2.5, grad=0.0)
    """
    alpha = _finite(alpha, "l2_penalty", "alpha")
    squares = [p * p for p in params]
    if not squares:
        raise ValueError("l2_penalty: params is empty")
    return alpha * reduce(add, squares)


class SGD:
    """Stochastic gradient descent, optionally with momentum and weight decay.

    ``step()``: ``v = momentum * v + (grad + weight_decay * p)``, then ``p -= lr * v``.
    ``zero_grad()`` resets the parameters' gradients.

    >>> w = Value(3.0)
    >>> opt = SGD([w], lr=0.1)
    >>> (w * w).backward(); opt.step(); round(w.data, 10)
    2.4
    """

    def __init__(self, params: Iterable[Value], lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError("SGD: params is empty (did you pass model.parameters()?)")
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"SGD: parameter {i} is a {type(p).__name__}, not a Value")
        self.lr = _finite(lr, "SGD", "lr")
        if self.lr <= 0:
            raise ValueError(f"SGD: lr must be positive, got {lr!r}")
        self.momentum = _finite(momentum, "SGD", "momentum")
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1), got {momentum!r}")
        self.weight_decay = _finite(weight_decay, "SGD", "weight_decay")
        if self.weight_decay < 0:
            raise ValueError(f"SGD: weight_decay must be >= 0, got {weight_decay!r}")
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """Update every parameter from its ``grad``. A non-finite result is a ``ValueError``.

        >>> w = Value(1.0); opt = SGD([w], lr=0.5, momentum=0.9)
        >>> w.grad = 1.0; opt.step(); opt.step(); round(w.data, 10)
        -0.45
        """
        lr, momentum, decay = self.lr, self.momentum, self.weight_decay
        for i, p in enumerate(self.params):
            g = p.grad + decay * p.data if decay else p.grad
            if momentum:
                g = self.velocity[i] = momentum * self.velocity[i] + g
            new = p.data - lr * g
            if not -math.inf < unwrap(new) < math.inf:
                raise ValueError(
                    f"SGD.step: parameter {i} became non-finite ({unwrap(new)!r}) from grad "
                    f"{unwrap(p.grad)!r}; the learning rate ({lr}) may be too large"
                )
            p.data = new

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter to 0.0.

        >>> w = Value(1.0); w.grad = 5.0; SGD([w]).zero_grad(); w.grad
        0.0
        """
        for p in self.params:
            p.grad = 0.0

    def __repr__(self) -> str:
        return f"SGD({len(self.params)} parameters, lr={self.lr}, momentum={self.momentum}, weight_decay={self.weight_decay})"


# --------------------------------------------------------------------------------------------
# Helpers


def _positive_int(n: Any, owner: str, name: str) -> int:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{owner}: {name} must be a positive int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {n!r}")
    return int(n)


def _activation(spec: str | Callable[[Any], Any] | None, owner: str) -> tuple[str, Callable[[Any], Any]]:
    if spec is None:
        return "linear", _identity
    if isinstance(spec, str):
        if spec not in ACTIVATIONS:
            raise ValueError(f"{owner}: unknown activation {spec!r}; choose one of {', '.join(ACTIVATIONS)} or pass a function")
        return spec, ACTIVATIONS[spec]
    if callable(spec):
        return getattr(spec, "__name__", repr(spec)), spec
    raise TypeError(f"{owner}: activation must be a name or a function, got {type(spec).__name__}")


def _rng(rng: UniformRNG | None, seed: int, owner: str) -> UniformRNG:
    if rng is None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"{owner}: seed must be an int, got {type(seed).__name__}")
        return random.Random(int(seed))
    if not callable(getattr(rng, "uniform", None)):
        raise TypeError(f"{owner}: rng must have a uniform(a, b) method (random.Random, numpy Generator), got {type(rng).__name__}")
    return rng


def _inputs(x: Any, nin: int, owner: str) -> Sequence[Any]:
    if type(x) is list and len(x) == nin:  # the common case, first
        return x
    if isinstance(x, np.ndarray):
        if x.ndim > 1:
            raise ValueError(f"{owner}: expected one example of {nin} features, got an array of shape {x.shape}; call the model on each row")
        xs: Sequence[Any] = list(x.reshape(-1))
    elif isinstance(x, (list, tuple)):
        xs = x
    else:
        xs = [x]  # one feature given bare
    if len(xs) != nin:
        raise ValueError(f"{owner}: expected {nin} input(s), got {len(xs)}")
    return xs


def _as_values(xs: Sequence[Any]) -> list[Any]:
    return [x if type(x) is Value else Value(x) if isinstance(x, numbers.Real) else x for x in xs]


def _as_list(x: Any) -> list[Any]:
    if isinstance(x, np.ndarray):
        return list(x.reshape(-1))
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _pairs(predictions: Any, targets: Any, op: str) -> tuple[list[Any], list[float]]:
    preds = _as_list(predictions)
    raw = _as_list(targets)
    if len(preds) != len(raw):
        raise ValueError(f"{op}: {len(preds)} predictions but {len(raw)} targets")
    if not preds:
        raise ValueError(f"{op}: no predictions")
    targs = []
    for t in raw:
        if isinstance(t, (bool, np.bool_)) or not isinstance(t, numbers.Real):
            raise TypeError(f"{op}: targets must be numbers, got {type(t).__name__} {t!r}")
        targs.append(float(t))
    return preds, targs


def _reduce(terms: list[Any], reduction: str, op: str) -> Any:
    if reduction == "none":
        return terms
    total = reduce(add, terms)
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total * (1.0 / len(terms))
    raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _finite(x: Any, owner: str, name: str) -> float:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)):
        raise ValueError(f"{owner}: {name} must be a finite number, got {x!r}")
    return float(x)
