"""Elementary functions that dispatch on the type of their argument (chapter 1 onward).

``autodiff.sin(x)`` (and every other function here) does the right thing for whatever ``x`` is:

=========================================  ==================================================
argument                                   what happens
=========================================  ==================================================
Python or numpy real scalar                computed with :mod:`math`; returns a ``float``.
                                           Outside the domain (log of a non-positive number,
                                           sqrt of a negative one) or on overflow: ``ValueError``
                                           naming the function and the value. sigmoid, tanh and
                                           softplus are computed in their stable forms.
complex scalar                             computed with :mod:`cmath` (for the complex step);
                                           relu and abs use the real part to pick the branch.
numpy array                                computed with numpy, elementwise, following IEEE
                                           arithmetic (``log(0) = -inf``) without floating-point
                                           warnings; an ``object`` array is mapped elementwise.
anything else                              the method of the same name: ``sin(x)`` is
                                           ``x.sin()``. ``Dual``, ``Value``, ``Tensor`` and
                                           symbolic expressions all define these methods.
=========================================  ==================================================

So one Python function written with ``ad.*`` runs on floats, dual numbers, reverse-mode values,
tensors and symbolic expressions alike:

>>> import autodiff as ad
>>> def f(x):
...     return ad.sin(x) * ad.exp(x)
>>> round(f(1.0), 6)
2.287355
>>> ad.Dual(1.0, 1.0).sin().primal == ad.sin(1.0)
True

An argument with none of these is a ``TypeError`` naming the function and the type:

>>> ad.exp("2")
Traceback (most recent call last):
...
TypeError: exp: unsupported argument type str; expected a real or complex number, a numpy array, or an object with an .exp() method (Dual, Value, Tensor, symbolic expression)

``abs`` is exported as ``autodiff.abs`` but left out of ``from autodiff import *`` so that it does
not shadow the builtin (the builtin ``abs(x)`` calls ``x.__abs__()``, which the engines define).
The derivatives of these functions live in :mod:`autodiff.rules`.
"""

from __future__ import annotations

import builtins
import cmath
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff.levels import level_of

__all__ = [
    "sin",
    "cos",
    "tan",
    "exp",
    "log",
    "sqrt",
    "tanh",
    "sigmoid",
    "relu",
    "abs",
    "log1p",
    "expm1",
    "softplus",
    "sign",
    "maximum",
    "minimum",
]


def sin(x: Any) -> Any:
    """The sine of ``x`` (radians).

    >>> round(sin(math.pi / 6), 12)
    0.5
    """
    if type(x) is float:
        return _trig("sin", math.sin, x)
    return _apply("sin", x, sin)


def cos(x: Any) -> Any:
    """The cosine of ``x`` (radians).

    >>> cos(0.0)
    1.0
    """
    if type(x) is float:
        return _trig("cos", math.cos, x)
    return _apply("cos", x, cos)


def tan(x: Any) -> Any:
    """The tangent of ``x`` (radians).

    >>> round(tan(math.pi / 4), 12)
    1.0
    """
    if type(x) is float:
        return _trig("tan", math.tan, x)
    return _apply("tan", x, tan)


def exp(x: Any) -> Any:
    """``e`` to the power ``x``. A result beyond the largest float (x > 709.78) is a ``ValueError``.

    >>> exp(0.0)
    1.0
    >>> exp(1000.0)
    Traceback (most recent call last):
    ...
    ValueError: exp: the result overflows float64 at x=1000.0 (exp(x) is finite only for x < 709.78)
    """
    if type(x) is float:
        try:
            return math.exp(x)
        except OverflowError:
            raise _overflow_error("exp", x, "exp(x) is finite only for x < 709.78") from None
    return _apply("exp", x, exp)


def log(x: Any) -> Any:
    """The natural logarithm of ``x``; ``x <= 0`` is a ``ValueError`` for scalars.

    >>> log(1.0)
    0.0
    >>> log(0.0)
    Traceback (most recent call last):
    ...
    ValueError: log: expected x > 0, got x=0.0
    """
    if type(x) is float:
        if x > 0.0:
            return math.log(x)
        raise _domain_error("log", x, "x > 0")
    return _apply("log", x, log)


def sqrt(x: Any) -> Any:
    """The square root of ``x``; ``x < 0`` is a ``ValueError`` for scalars (no silent complex).

    >>> sqrt(9.0)
    3.0
    """
    if type(x) is float:
        if x >= 0.0:
            return math.sqrt(x)
        raise _domain_error("sqrt", x, "x >= 0")
    return _apply("sqrt", x, sqrt)


def tanh(x: Any) -> Any:
    """The hyperbolic tangent of ``x``; stable for any ``x`` (``tanh(1000.0) == 1.0``).

    >>> tanh(0.0), tanh(1000.0), tanh(-1000.0)
    (0.0, 1.0, -1.0)
    """
    if type(x) is float:
        return math.tanh(x)
    return _apply("tanh", x, tanh)


def sigmoid(x: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow for any ``x``.

    For ``x >= 0`` it evaluates ``1 / (1 + exp(-x))``, otherwise ``exp(x) / (1 + exp(x))``, so
    ``exp`` only ever sees a non-positive argument.

    >>> sigmoid(0.0), sigmoid(1000.0), sigmoid(-1000.0)
    (0.5, 1.0, 0.0)
    """
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    return _apply("sigmoid", x, sigmoid)


def relu(x: Any) -> Any:
    """The rectified linear unit ``max(x, 0)``.

    >>> relu(-2.0), relu(3.0)
    (0.0, 3.0)
    """
    if type(x) is float:
        return x if x > 0.0 else 0.0
    return _apply("relu", x, relu)


def abs(x: Any) -> Any:  # noqa: A001 (deliberately the same name as the builtin; see module doc)
    """The absolute value ``|x|``.

    >>> abs(-2.5)
    2.5
    """
    if type(x) is float:
        return builtins.abs(x)
    return _apply("abs", x, abs)


def log1p(x: Any) -> Any:
    """``log(1 + x)``, accurate for small ``x``; ``x <= -1`` is a ``ValueError`` for scalars.

    >>> log1p(1e-20)
    1e-20
    """
    if type(x) is float:
        if x > -1.0:
            return math.log1p(x)
        raise _domain_error("log1p", x, "x > -1")
    return _apply("log1p", x, log1p)


def expm1(x: Any) -> Any:
    """``exp(x) - 1``, accurate for small ``x``. Overflow is a ``ValueError``, as for :func:`exp`.

    >>> expm1(1e-20)
    1e-20
    """
    if type(x) is float:
        try:
            return math.expm1(x)
        except OverflowError:
            raise _overflow_error("expm1", x, "expm1(x) is finite only for x < 709.78") from None
    return _apply("expm1", x, expm1)


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))``, a smooth relu, computed stably as ``max(x, 0) + log1p(exp(-|x|))``.

    >>> round(softplus(0.0), 12) == round(math.log(2.0), 12)
    True
    >>> softplus(1000.0), softplus(-1000.0)
    (1000.0, 0.0)
    """
    if type(x) is float:
        if x > 0.0:
            return x + math.log1p(math.exp(-x))
        return math.log1p(math.exp(x))
    return _apply("softplus", x, softplus)


def sign(x: Any) -> Any:
    """The sign of ``x``: -1.0, 0.0 or 1.0 (``sign(0.0) == 0.0``). Piecewise constant.

    Its derivative is zero wherever it exists, so for a differentiable object ``x.sign()`` returns
    a *constant*: the sign of ``x``'s value, with no derivative attached. The derivative rules of
    ``relu`` and ``abs`` are written with it (:mod:`autodiff.rules`).

    >>> sign(-3.0), sign(0.0), sign(2)
    (-1.0, 0.0, 1.0)
    """
    if type(x) is float:
        return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else 0.0)
    return _apply("sign", x, sign)


def maximum(a: Any, b: Any) -> Any:
    """The larger of ``a`` and ``b`` (elementwise for arrays).

    For differentiable arguments the gradient at a tie ``a == b`` is split equally, half to each
    (the convention of :data:`autodiff.rules.KINKS`). The call goes to the ``maximum`` method of
    the argument with the higher level (see :mod:`autodiff.levels`).

    >>> maximum(2.0, 3.0), maximum(-1, -4)
    (3.0, -1.0)
    """
    return _binary("maximum", a, b, builtins.max, np.maximum)


def minimum(a: Any, b: Any) -> Any:
    """The smaller of ``a`` and ``b`` (elementwise for arrays); ties split the gradient equally.

    >>> minimum(2.0, 3.0)
    2.0
    """
    return _binary("minimum", a, b, builtins.min, np.minimum)


# --------------------------------------------------------------------------------------------
# Array and complex versions, and the dispatch shared by every function above.


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _np_softplus(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


_ARRAY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "sigmoid": _np_sigmoid,
    "relu": lambda x: np.maximum(x, 0),
    "abs": np.abs,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "softplus": _np_softplus,
    "sign": np.sign,
}


def _c_sigmoid(z: complex) -> complex:
    if z.real >= 0:
        return 1.0 / (1.0 + cmath.exp(-z))
    e = cmath.exp(z)
    return e / (1.0 + e)


def _c_softplus(z: complex) -> complex:
    if z.real > 0:
        return z + cmath.log(1.0 + cmath.exp(-z))
    return cmath.log(1.0 + cmath.exp(z))


def _c_abs(z: complex) -> complex:
    # The analytic continuation of |x| along the real axis (what the complex step needs), with
    # abs'(0) = 0 as in the kink table.
    return z if z.real > 0 else (-z if z.real < 0 else 0j)


_COMPLEX: dict[str, Callable[[complex], Any]] = {
    "sin": cmath.sin,
    "cos": cmath.cos,
    "tan": cmath.tan,
    "exp": cmath.exp,
    "log": cmath.log,
    "sqrt": cmath.sqrt,
    "tanh": cmath.tanh,
    "sigmoid": _c_sigmoid,
    "relu": lambda z: z if z.real > 0 else 0j,
    "abs": _c_abs,
    "log1p": lambda z: cmath.log(1.0 + z),
    "expm1": lambda z: cmath.exp(z) - 1.0,
    "softplus": _c_softplus,
    "sign": lambda z: sign(z.real),
}


def _apply(name: str, x: Any, scalar_fn: Callable[[Any], Any]) -> Any:
    """Everything but the ``float`` fast path: methods, other real scalars, complex, arrays."""
    method = getattr(type(x), name, None)  # Dual, Value, Tensor, expressions: the common case
    if callable(method) and not isinstance(x, np.ndarray):
        return method(x)
    if isinstance(x, (numbers.Real, np.bool_)) and not isinstance(x, np.ndarray):
        return scalar_fn(float(x))
    if isinstance(x, (complex, np.complexfloating)):
        try:
            return _COMPLEX[name](complex(x))
        except (ValueError, OverflowError, ZeroDivisionError) as exc:
            raise ValueError(f"{name}: cannot evaluate at the complex number {x!r} ({exc})") from None
    if isinstance(x, np.ndarray):
        if x.dtype == object:
            return np.frompyfunc(scalar_fn, 1, 1)(x)
        if x.dtype.kind not in "biufc":
            raise TypeError(f"{name}: unsupported array dtype {x.dtype}; expected a numeric array")
        if x.dtype.kind == "c" and name in ("relu", "abs", "sign"):
            return np.frompyfunc(scalar_fn, 1, 1)(x).astype(x.dtype if name != "sign" else float)
        with np.errstate(all="ignore"):
            return _ARRAY[name](x)
    method = getattr(x, name, None)  # a method set on the instance rather than its class
    if callable(method):
        return method()
    hint = " (convert lists with numpy.asarray first)" if isinstance(x, (list, tuple)) else ""
    article = "an" if name[0] in "aeiou" else "a"
    raise TypeError(
        f"{name}: unsupported argument type {type(x).__name__}; expected a real or complex "
        f"number, a numpy array, or an object with {article} .{name}() method (Dual, Value, "
        f"Tensor, symbolic expression){hint}"
    )


def _is_real_scalar(x: Any) -> bool:
    return isinstance(x, (numbers.Real, np.bool_)) and not isinstance(x, np.ndarray)


def _binary(name: str, a: Any, b: Any, scalar_fn: Callable[..., Any], array_fn: Callable[..., Any]) -> Any:
    if _is_real_scalar(a) and _is_real_scalar(b):
        return float(scalar_fn(a, b))
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (_is_plain(a) and _is_plain(b)):
            raise TypeError(
                f"{name}: cannot combine {type(a).__name__} and {type(b).__name__}; "
                "mix arrays only with numbers and arrays"
            )
        return array_fn(a, b)
    # At least one argument is an object with methods: let the one with the higher level handle
    # it (maximum and minimum are symmetric, so the order of the arguments does not matter).
    first, second = (a, b) if level_of(a) >= level_of(b) else (b, a)
    method = getattr(first, name, None)
    if callable(method):
        return method(second)
    raise TypeError(
        f"{name}: unsupported argument types {type(a).__name__} and {type(b).__name__}; expected "
        f"numbers, numpy arrays, or objects with a .{name}(other) method (Dual, Value, Tensor)"
    )


def _is_plain(x: Any) -> bool:
    return _is_real_scalar(x) or isinstance(x, np.ndarray)


def _trig(name: str, fn: Callable[[float], float], x: float) -> float:
    try:
        return fn(x)
    except ValueError:  # only for infinite x
        raise _domain_error(name, x, "a finite number") from None


def _domain_error(name: str, x: float, domain: str) -> ValueError:
    return ValueError(f"{name}: expected {domain}, got x={x!r}")


def _overflow_error(name: str, x: float, why: str) -> ValueError:
    return ValueError(f"{name}: the result overflows float64 at x={x!r} ({why})")
