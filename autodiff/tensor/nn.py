"""Neural networks on tensors: layers, activations, losses, SGD and Adam (chapter 8).

The tensor counterpart of :mod:`autodiff.nn` (which works on ``Value``): one matrix product per
layer instead of one node per weight, and the same vocabulary as PyTorch's ``torch.nn``.

>>> import numpy as np
>>> from autodiff.tensor import Tensor, nn
>>> rng = np.random.default_rng(0)
>>> X, y = rng.normal(size=(64, 4)), rng.integers(0, 3, size=64)
>>> model = nn.MLP([4, 16, 3], activation="relu", rng=0)
>>> opt = nn.Adam(model.parameters(), lr=0.05)
>>> for step in range(50):
...     loss = nn.cross_entropy(model(Tensor(X)), y)
...     opt.zero_grad()
...     loss.backward()
...     opt.step()
>>> len(model.parameters()), loss.item() < 0.5
(4, True)

**Layout.** ``Linear`` stores its weight as ``(in_features, out_features)`` and computes
``x @ W + b``, so a batch of rows goes straight through (PyTorch stores the transpose).

**Initialisation** is seeded: ``rng`` is a ``numpy.random.Generator`` or an int seed; without
one, layers draw from this module's generator, seeded with 0 at import and reset by
:func:`manual_seed`, so a notebook run top to bottom builds the same network every time. The
default is He initialisation (normal, variance ``2 / fan_in``), suited to relu;
``init="xavier"`` (uniform, variance ``2 / (fan_in + fan_out)``) suits tanh and sigmoid, and
:class:`MLP` picks by activation. Biases start at zero.

**Optimizers** update ``p.data`` in place and skip parameters whose ``grad`` is ``None``;
their arithmetic is PyTorch's (``torch.optim.SGD`` with momentum and weight decay,
``torch.optim.Adam``), and the tests compare them step by step.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from autodiff.tensor.core import Tensor, cross_entropy, mse

__all__ = [
    "Module",
    "Linear",
    "Sequential",
    "MLP",
    "ReLU",
    "Tanh",
    "Sigmoid",
    "Identity",
    "ACTIVATIONS",
    "SGD",
    "Adam",
    "cross_entropy",
    "mse",
    "manual_seed",
]

_default_rng = [np.random.default_rng(0)]


def manual_seed(seed: int) -> None:
    """Reset the generator that layers use when given no ``rng``.

    >>> manual_seed(1); a = Linear(2, 2).weight.numpy().copy()
    >>> manual_seed(1); bool(np.all(Linear(2, 2).weight.numpy() == a))
    True
    """
    _default_rng[0] = np.random.default_rng(seed)


def _generator(rng: np.random.Generator | int | None, owner: str) -> np.random.Generator:
    if rng is None:
        return _default_rng[0]
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"{owner}: rng must be a numpy Generator, an int seed or None, got {type(rng).__name__}")


class Module:
    """A layer or a network: callable, with ``parameters()`` found in its attributes.

    ``parameters()`` lists every tensor attribute that requires grad and, recursively, the
    parameters of every Module attribute (also inside lists and tuples), each once, in the order
    the attributes were set. Subclasses define ``forward``.

    >>> class Scale(Module):
    ...     def __init__(self):
    ...         self.s = Tensor(2.0, requires_grad=True)
    ...     def forward(self, x):
    ...         return x * self.s
    >>> m = Scale()
    >>> m(Tensor([1.0, 3.0])), len(m.parameters())
    (Tensor([2., 6.], requires_grad=True, op='*'), 1)
    """

    def forward(self, x: Tensor) -> Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define forward(x)")

    def __call__(self, x: Any) -> Tensor:
        return self.forward(x if isinstance(x, Tensor) else Tensor(x))

    def parameters(self) -> list[Tensor]:
        """Every parameter (tensor requiring grad) of this module and its sub-modules, once each.

        >>> len(Linear(3, 2).parameters()), len(Linear(3, 2, bias=False).parameters())
        (2, 1)
        """
        found: list[Tensor] = []
        seen: set[int] = set()
        stack: list[Any] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, Tensor):
                if item.requires_grad and id(item) not in seen:
                    seen.add(id(item))
                    found.append(item)
            elif isinstance(item, Module):
                stack.extend(reversed(list(vars(item).values())))
            elif isinstance(item, (list, tuple)):
                stack.extend(reversed(item))
        return found

    def zero_grad(self) -> None:
        """Set the gradient of every parameter to ``None``.

        >>> m = Linear(2, 1); m(Tensor([[1.0, 2.0]])).sum().backward(); m.zero_grad()
        >>> m.weight.grad is None
        True
        """
        for p in self.parameters():
            p.grad = None

    def num_parameters(self) -> int:
        """The number of scalar parameters.

        >>> MLP([784, 256, 10]).num_parameters()
        203530
        """
        return sum(p.size for p in self.parameters())


class Linear(Module):
    """An affine layer ``x @ W + b`` with ``W`` of shape ``(in_features, out_features)``.

    >>> layer = Linear(3, 2, rng=0)
    >>> layer(Tensor(np.ones((5, 3)))).shape
    (5, 2)
    >>> layer(Tensor(np.ones((5, 4))))
    Traceback (most recent call last):
    ...
    ValueError: Linear(3, 2): expected inputs with 3 features on the last axis, got shape (5, 4)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        init: str = "he",
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        self.in_features = _positive(in_features, "Linear", "in_features")
        self.out_features = _positive(out_features, "Linear", "out_features")
        gen = _generator(rng, "Linear")
        fan_in, fan_out = self.in_features, self.out_features
        if init == "he":
            w = gen.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        elif init == "xavier":
            a = math.sqrt(6.0 / (fan_in + fan_out))
            w = gen.uniform(-a, a, size=(fan_in, fan_out))
        else:
            raise ValueError(f"Linear: init must be 'he' or 'xavier', got {init!r}")
        self.weight = Tensor(w.astype(dtype), requires_grad=True, label="W")
        self.bias = Tensor(np.zeros(fan_out, dtype=dtype), requires_grad=True, label="b") if bias else None

    def forward(self, x: Tensor) -> Tensor:
        if not x.shape or x.shape[-1] != self.in_features:
            raise ValueError(
                f"{self!r}: expected inputs with {self.in_features} features on the last axis, got shape {x.shape}"
            )
        out = x @ self.weight
        return out + self.bias if self.bias is not None else out

    def __repr__(self) -> str:
        extra = "" if self.bias is not None else ", bias=False"
        return f"Linear({self.in_features}, {self.out_features}{extra})"


class _Activation(Module):
    """An elementwise function as a layer: ``forward`` calls the Tensor method ``name``."""

    name = ""

    def forward(self, x: Tensor) -> Tensor:
        return getattr(x, self.name)() if self.name else x

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class ReLU(_Activation):
    """``max(x, 0)`` elementwise, as a layer.

    >>> ReLU()(Tensor([-1.0, 2.0]))
    Tensor([0., 2.])
    """

    name = "relu"


class Tanh(_Activation):
    """``tanh`` elementwise, as a layer.

    >>> Tanh()(Tensor([0.0]))
    Tensor([0.])
    """

    name = "tanh"


class Sigmoid(_Activation):
    """The logistic function elementwise, as a layer.

    >>> Sigmoid()(Tensor([0.0]))
    Tensor([0.5])
    """

    name = "sigmoid"


class Identity(_Activation):
    """The identity, as a layer (a linear "activation").

    >>> Identity()(Tensor([3.0]))
    Tensor([3.])
    """


#: Activation layers by name, for :class:`MLP`.
ACTIVATIONS: dict[str, type[_Activation]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid, "identity": Identity}


class Sequential(Module):
    """Layers applied one after the other.

    >>> net = Sequential(Linear(2, 3, rng=0), Tanh(), Linear(3, 1, rng=1))
    >>> len(net), net[1], net(Tensor([[1.0, 2.0]])).shape
    (3, Tanh(), (1, 1))
    """

    def __init__(self, *layers: Callable[[Tensor], Tensor]) -> None:
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not callable(layer):
                raise TypeError(f"Sequential: layer {i} is not callable ({type(layer).__name__})")
        self.layers = list(layers)

    def forward(self, x: Tensor) -> Tensor:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index: int) -> Any:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        return f"{type(self).__name__}(\n{inner}\n)"


class MLP(Sequential):
    """A multilayer perceptron ``sizes[0] -> sizes[1] -> ... -> sizes[-1]``: Linear layers with
    ``activation`` between them and none after the last (it returns logits or raw scores).

    ``activation`` is ``"relu"``, ``"tanh"``, ``"sigmoid"`` or ``"identity"``; ``init``
    defaults to He for relu and Xavier otherwise. Any width works, 1 included.

    >>> MLP([2, 16, 16, 1], activation="tanh", rng=0)
    MLP(
      Linear(2, 16),
      Tanh(),
      Linear(16, 16),
      Tanh(),
      Linear(16, 1)
    )
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str = "relu",
        *,
        init: str | None = None,
        rng: np.random.Generator | int | None = None,
        dtype: Any = np.float64,
    ) -> None:
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least an input and an output size, got {sizes!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {', '.join(ACTIVATIONS)}, got {activation!r}")
        gen = _generator(rng, "MLP")
        init = init or ("he" if activation == "relu" else "xavier")
        layers: list[Module] = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            if i:
                layers.append(ACTIVATIONS[activation]())
            layers.append(Linear(a, b, init=init, rng=gen, dtype=dtype))
        super().__init__(*layers)


# ------------------------------------------------------------------------------------------------
# Optimizers


class _Optimizer:
    def __init__(self, params: Iterable[Tensor], lr: float, owner: str) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{owner}: got no parameters to optimize")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"{owner}: parameter {i} must be a Tensor with requires_grad=True, got {p!r:.60}")
        self.lr = _non_negative(lr, owner, "lr")

    def zero_grad(self) -> None:
        """Set every parameter's gradient to ``None``."""
        for p in self.params:
            p.grad = None

    @staticmethod
    def _update(p: Tensor, delta: Any) -> None:
        if type(p.data) is np.ndarray and p.data.flags.writeable:
            p.data -= delta
        else:
            p.data = p.data - delta


class SGD(_Optimizer):
    """Stochastic gradient descent: ``p -= lr * g``, with optional momentum and weight decay.

    With momentum ``mu``: ``buf = mu * buf + g`` (``buf = g`` at the first step) and
    ``p -= lr * buf``; weight decay adds ``weight_decay * p`` to ``g`` first (PyTorch's rules).

    >>> w = Tensor([1.0], requires_grad=True)
    >>> opt = SGD([w], lr=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     opt.zero_grad(); (w * w).sum().backward(); opt.step()
    >>> round(w.item(), 6)  # 1 - 0.1*2 = 0.8; then buf = 0.9*2 + 1.6 = 3.4, 0.8 - 0.34
    0.46
    """

    def __init__(self, params: Iterable[Tensor], lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr, "SGD")
        self.momentum = _non_negative(momentum, "SGD", "momentum")
        self.weight_decay = _non_negative(weight_decay, "SGD", "weight_decay")
        self._buffers: list[Any] = [None] * len(self.params)

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            if self.momentum:
                buf = self._buffers[i]
                buf = g.copy() if buf is None and isinstance(g, np.ndarray) else (g if buf is None else self.momentum * buf + g)
                self._buffers[i] = buf
                g = buf
            self._update(p, self.lr * g)

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr}, momentum={self.momentum}, weight_decay={self.weight_decay})"


class Adam(_Optimizer):
    """Adam: per-parameter step sizes from running averages of the gradient and its square.

    ``m = b1 m + (1 - b1) g``, ``v = b2 v + (1 - b2) g²``, and
    ``p -= lr * m̂ / (sqrt(v̂) + eps)`` with the bias corrections ``m̂ = m / (1 - b1^t)``,
    ``v̂ = v / (1 - b2^t)``; ``weight_decay`` adds ``weight_decay * p`` to ``g`` (PyTorch's Adam).

    >>> w = Tensor([1.0, -2.0], requires_grad=True)
    >>> opt = Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step()
    >>> w.numpy().round(6).tolist()  # the first step moves each coordinate by lr
    [0.9, -1.9]
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr, "Adam")
        if not (isinstance(betas, (tuple, list)) and len(betas) == 2 and all(0.0 <= b < 1.0 for b in betas)):
            raise ValueError(f"Adam: betas must be two numbers in [0, 1), got {betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _non_negative(eps, "Adam", "eps")
        self.weight_decay = _non_negative(weight_decay, "Adam", "weight_decay")
        self._m: list[Any] = [None] * len(self.params)
        self._v: list[Any] = [None] * len(self.params)
        self._t = [0] * len(self.params)

    def step(self) -> None:
        """Update every parameter that has a gradient."""
        b1, b2 = self.betas
        for i, p in enumerate(self.params):
            g = p.grad
            if g is None:
                continue
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            self._t[i] += 1
            t = self._t[i]
            m = (1 - b1) * g if self._m[i] is None else b1 * self._m[i] + (1 - b1) * g
            v = (1 - b2) * (g * g) if self._v[i] is None else b2 * self._v[i] + (1 - b2) * (g * g)
            self._m[i], self._v[i] = m, v
            step_size = self.lr / (1 - b1**t)
            denom = (v / (1 - b2**t)) ** 0.5 + self.eps
            self._update(p, step_size * m / denom)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps}, weight_decay={self.weight_decay})"


def _positive(n: Any, owner: str, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {n!r}")
    return int(n)


def _non_negative(x: Any, owner: str, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not (0 <= float(x) < math.inf):
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {x!r}")
    return float(x)
