"""The derivative rules of the unary elementary functions, written once for every engine.

Each rule gives ``f'(x)`` in terms of the input ``x`` and the output ``y = f(x)``, using only
arithmetic and the dispatching functions of :mod:`autodiff.functions`. So the same formula works
whatever ``x`` and ``y`` are: floats (``Value`` on floats), arrays (``Tensor``), or the
differentiable objects of an outer differentiation (``Dual`` inside ``Value`` gives
Hessian-vector products, ``Value`` inside ``Value`` second derivatives). Using ``y`` saves work:
``exp' = y`` costs nothing, ``tanh' = 1 - y**2`` needs no second ``tanh``.

=========  ===============  ===========================================================
function   derivative       in terms of x and y
=========  ===============  ===========================================================
sin        cos x            ``cos(x)``
cos        -sin x           ``-sin(x)``
tan        1 + tan² x       ``1 + y*y``
exp        exp x            ``y``
log        1/x              ``1/x``
sqrt       1/(2 sqrt x)     ``0.5/y`` (infinite at x = 0: the scalar engines raise)
tanh       1 - tanh² x      ``1 - y*y``
sigmoid    σ(x)(1 - σ(x))   ``y*(1 - y)``
relu       1 if x > 0       ``sign(y)``: 1 for x > 0, 0 for x <= 0 (see :data:`KINKS`)
abs        sign x           ``sign(x)``: 0 at x = 0 (see :data:`KINKS`)
log1p      1/(1 + x)        ``1/(1 + x)``
expm1      exp x            ``y + 1``
softplus   σ(x)             ``sigmoid(x)``
=========  ===============  ===========================================================

``Dual`` (forward mode) computes ``Dual(y, df(x, y) * tangent)``; ``Value`` (reverse mode) adds
``df(x, y) * grad`` to its input's gradient; ``Tensor`` does the same elementwise. Each engine keeps
its own rules for the binary and structural operations (+, *, /, **, sum, matmul, ...).

>>> import math
>>> UNARY["tanh"].derivative(0.5, math.tanh(0.5)) == 1 - math.tanh(0.5) ** 2
True
>>> derivative("exp", 2.0)  # evaluates f, then the rule
7.38905609893065
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from autodiff import functions as F
from autodiff.levels import unwrap

__all__ = [
    "UnaryRule",
    "UNARY",
    "derivative",
    "KINKS",
    "maximum_partials",
    "minimum_partials",
    "argmax_weights",
]


@dataclass(frozen=True)
class UnaryRule:
    """One unary elementary function and its derivative.

    ``function`` is the dispatching function of :mod:`autodiff.functions`; ``derivative(x, y)``
    returns ``f'(x)`` given ``x`` and ``y = f(x)``; ``formula`` is the rule as text, for tables and
    error messages.

    >>> rule = UNARY["sin"]
    >>> rule.name, rule.formula
    ('sin', 'cos(x)')
    >>> rule.derivative(0.0, rule.function(0.0))
    1.0
    """

    name: str
    function: Callable[[Any], Any]
    derivative: Callable[[Any, Any], Any]
    formula: str


def _d_sin(x: Any, y: Any) -> Any:
    return F.cos(x)


def _d_cos(x: Any, y: Any) -> Any:
    return -F.sin(x)


def _d_tan(x: Any, y: Any) -> Any:
    return 1.0 + y * y


def _d_exp(x: Any, y: Any) -> Any:
    return y


def _d_log(x: Any, y: Any) -> Any:
    return 1.0 / x


def _d_sqrt(x: Any, y: Any) -> Any:
    return 0.5 / y


def _d_tanh(x: Any, y: Any) -> Any:
    return 1.0 - y * y


def _d_sigmoid(x: Any, y: Any) -> Any:
    return y * (1.0 - y)


def _d_relu(x: Any, y: Any) -> Any:
    # y = max(x, 0) is positive exactly where x is, so sign(y) is 1 for x > 0 and 0 for x <= 0.
    return F.sign(y)


def _d_abs(x: Any, y: Any) -> Any:
    return F.sign(x)


def _d_log1p(x: Any, y: Any) -> Any:
    return 1.0 / (1.0 + x)


def _d_expm1(x: Any, y: Any) -> Any:
    return y + 1.0


def _d_softplus(x: Any, y: Any) -> Any:
    return F.sigmoid(x)


_RULES = (
    UnaryRule("sin", F.sin, _d_sin, "cos(x)"),
    UnaryRule("cos", F.cos, _d_cos, "-sin(x)"),
    UnaryRule("tan", F.tan, _d_tan, "1 + y*y"),
    UnaryRule("exp", F.exp, _d_exp, "y"),
    UnaryRule("log", F.log, _d_log, "1/x"),
    UnaryRule("sqrt", F.sqrt, _d_sqrt, "0.5/y"),
    UnaryRule("tanh", F.tanh, _d_tanh, "1 - y*y"),
    UnaryRule("sigmoid", F.sigmoid, _d_sigmoid, "y*(1 - y)"),
    UnaryRule("relu", F.relu, _d_relu, "sign(y)"),
    UnaryRule("abs", F.abs, _d_abs, "sign(x)"),
    UnaryRule("log1p", F.log1p, _d_log1p, "1/(1 + x)"),
    UnaryRule("expm1", F.expm1, _d_expm1, "y + 1"),
    UnaryRule("softplus", F.softplus, _d_softplus, "sigmoid(x)"),
)

#: The rules by function name. Read-only: engines look rules up here, nobody edits them.
UNARY: Mapping[str, UnaryRule] = MappingProxyType({rule.name: rule for rule in _RULES})


def derivative(name: str, x: Any) -> Any:
    """``f'(x)`` for the unary function called ``name``: evaluates ``y = f(x)``, then the rule.

    >>> derivative("sin", 0.0), derivative("relu", 0.0), derivative("abs", 0.0)
    (1.0, 0.0, 0.0)
    >>> derivative("erf", 0.0)
    Traceback (most recent call last):
    ...
    ValueError: derivative: no rule for 'erf'; the unary rules are sin, cos, tan, exp, log, sqrt, tanh, sigmoid, relu, abs, log1p, expm1, softplus
    """
    rule = UNARY.get(name)
    if rule is None:
        raise ValueError(f"derivative: no rule for {name!r}; the unary rules are {', '.join(UNARY)}")
    return rule.derivative(x, rule.function(x))


#: The conventions at points where a function is not differentiable, one row per kink. Every
#: engine follows them and ``tests/test_rules.py`` checks each row on every engine.
#:
#: ==============  ==========  ============  =====================================================
#: function        at          derivative    why
#: ==============  ==========  ============  =====================================================
#: relu            x = 0       0             as PyTorch and JAX; 0 is a valid subgradient
#: abs             x = 0       0             sign(0) = 0, the minimum-norm subgradient
#: sign            everywhere  0             piecewise constant (sign returns a constant)
#: maximum(a,b)    a = b       1/2 and 1/2   split equally, as torch.maximum and jnp.maximum
#: minimum(a,b)    a = b       1/2 and 1/2   the same
#: max reduction   ties        1/k each      split equally among the k maximal entries, as
#:                                           torch.amax and jnp.max (not argmax-first)
#: sqrt, x**p      x = 0       (infinite)    scalar engines raise ValueError; tensors give inf
#: ==============  ==========  ============  =====================================================
KINKS: tuple[dict[str, str], ...] = (
    {"function": "relu", "at": "x = 0", "derivative": "0", "why": "as PyTorch and JAX"},
    {"function": "abs", "at": "x = 0", "derivative": "0", "why": "sign(0) = 0"},
    {"function": "sign", "at": "everywhere", "derivative": "0", "why": "piecewise constant"},
    {"function": "maximum", "at": "a = b", "derivative": "1/2 each", "why": "split equally"},
    {"function": "minimum", "at": "a = b", "derivative": "1/2 each", "why": "split equally"},
    {"function": "max reduction", "at": "k-way tie", "derivative": "1/k each", "why": "split equally"},
    {"function": "sqrt, x**p (p < 1)", "at": "x = 0", "derivative": "infinite", "why": "scalar engines raise"},
)


def maximum_partials(a: Any, b: Any) -> tuple[Any, Any]:
    """The partial derivatives of ``maximum(a, b)``: ``(1, 0)``, ``(0, 1)``, or ``(0.5, 0.5)`` at a tie.

    Piecewise constant, so the result is a constant (floats, or arrays for array arguments)
    computed from the values inside ``a`` and ``b`` whatever their level.

    >>> maximum_partials(3.0, 2.0), maximum_partials(2.0, 3.0), maximum_partials(2.0, 2.0)
    ((1.0, 0.0), (0.0, 1.0), (0.5, 0.5))
    """
    return _split(a, b, larger=True)


def minimum_partials(a: Any, b: Any) -> tuple[Any, Any]:
    """The partial derivatives of ``minimum(a, b)``, with ties split equally.

    >>> minimum_partials(3.0, 2.0), minimum_partials(2.0, 2.0)
    ((0.0, 1.0), (0.5, 0.5))
    """
    return _split(a, b, larger=False)


def argmax_weights(x: Any, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """The gradient weights of a max reduction of the array ``x``: ties share the gradient equally.

    Returns an array of ``x``'s shape with ``1/k`` at each of the ``k`` maximal entries along
    ``axis`` (all axes when ``None``) and 0 elsewhere; the backward pass of ``max`` multiplies the
    (broadcast) output gradient by it.

    >>> argmax_weights(np.array([1.0, 3.0, 3.0])).tolist()
    [0.0, 0.5, 0.5]
    >>> argmax_weights(np.array([[1.0, 2.0], [4.0, 4.0]]), axis=1).tolist()
    [[0.0, 1.0], [0.5, 0.5]]
    """
    values = np.asarray(unwrap(x), dtype=float)
    mask = values == values.max(axis=axis, keepdims=True)
    return mask / mask.sum(axis=axis, keepdims=True)


def _split(a: Any, b: Any, larger: bool) -> tuple[Any, Any]:
    va, vb = unwrap(a), unwrap(b)
    if isinstance(va, np.ndarray) or isinstance(vb, np.ndarray):
        first = np.where(va > vb, 1.0, np.where(va == vb, 0.5, 0.0)) if larger else np.where(
            va < vb, 1.0, np.where(va == vb, 0.5, 0.0)
        )
        return first, 1.0 - first
    if va == vb:
        return 0.5, 0.5
    wins = va > vb if larger else va < vb
    return (1.0, 0.0) if wins else (0.0, 1.0)
