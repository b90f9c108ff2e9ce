"""Forward mode: dual numbers, ``derivative``, ``jvp`` and ``jacfwd`` (chapter 3).

A dual number ``a + b ε`` with ``ε² = 0`` carries a value (the *primal* ``a``) and a directional
derivative (the *tangent* ``b``) through a computation: ``f(a + b ε) = f(a) + f'(a) b ε``. Every
operation on :class:`Dual` applies that rule, so evaluating a function on ``Dual(x, 1.0)`` gives
``f(x)`` and ``f'(x)`` in one pass, exact up to rounding.

>>> import autodiff as ad
>>> y = ad.sin(ad.Dual(0.0, 1.0)) * 3 + 1
>>> y
Dual(primal=1.0, tangent=3.0)
>>> ad.derivative(lambda x: x ** 3, 2.0)
12.0

**Data.** The primal and tangent are floats, numpy arrays of one shape (a vectorised dual: one
tangent per element, used by :func:`jvp` and :func:`jacfwd` on array inputs), or the
differentiable objects of an outer differentiation. A ``Dual`` whose primal is a ``Dual`` of a
lower level is how nested derivatives work, and a ``Value`` whose data is a ``Dual`` gives
forward-over-reverse Hessian-vector products (:mod:`autodiff.levels`).

**Levels.** A ``Dual`` made by hand has level 0; :func:`derivative`, :func:`jvp` and
:func:`jacfwd` create theirs with a fresh level, so nested calls cannot confuse their
perturbations. Pass ``level=`` to build nested duals by hand.

**Numerics.** Duals over floats follow the scalar-engine rules: non-finite data is rejected, and
a result outside the domain (log of a non-positive number, division by zero, a negative base to a
non-integer power, an infinite derivative such as sqrt at 0, overflow) raises ``ValueError``
naming the operation. Duals over arrays follow numpy's IEEE arithmetic.

**Comparisons** (``<``, ``<=``, ``>``, ``>=``) compare values and return ``bool`` (arrays for
array duals), so code that branches on its input runs unchanged. ``==`` and ``!=`` are identity,
as for every object of the package that can be a graph node or a dictionary key; compare
``a.primal == b.primal`` for values.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from autodiff import functions as F
from autodiff.levels import Differentiable, classify, defer, is_differentiable, level_of, new_level, unwrap
from autodiff.rules import UNARY, maximum_partials, minimum_partials

__all__ = ["Dual", "derivative", "jvp", "jacfwd"]

_INF = math.inf
_NINF = -math.inf


class Dual(Differentiable):
    """A dual number ``primal + tangent·ε`` with ``ε² = 0``: forward-mode automatic differentiation.

    ``primal`` and ``tangent`` are floats (ints are converted), numpy arrays of the same shape,
    or differentiable objects of a lower level (nesting). ``level`` tags the perturbation; leave
    it 0 unless you are nesting by hand (see :mod:`autodiff.levels`).

    Supports ``+ - * / **`` (with numbers and other duals, in both orders), ``@``, unary ``-``,
    ``abs()``, the elementary functions as methods (``sin``, ``cos``, ``tan``, ``exp``, ``log``,
    ``sqrt``, ``tanh``, ``sigmoid``, ``relu``, ``abs``, ``log1p``, ``expm1``, ``softplus``, which
    take their derivatives from :mod:`autodiff.rules`), ``maximum``/``minimum``, comparisons, and
    for array duals indexing, ``sum``, ``mean``, ``reshape`` and ``T``.

    >>> x = Dual(3.0, 1.0)
    >>> x * x + 2 * x
    Dual(primal=15.0, tangent=8.0)
    >>> Dual(2.0, 1.0) ** 0.5 == Dual(2.0, 1.0).sqrt()  # == is identity
    False
    >>> Dual(-8.0, 1.0) ** (1 / 3)
    Traceback (most recent call last):
    ...
    ValueError: **: a negative base to a non-integer power has no real value: base -8.0, exponent 0.3333333333333333
    """

    __slots__ = ("primal", "tangent", "_level")
    # Make numpy hand binary operations with arrays and numpy scalars to our reflected methods.
    __array_ufunc__ = None

    primal: Any
    tangent: Any

    def __init__(self, primal: Any, tangent: Any = 0.0, *, level: int = 0) -> None:
        if type(level) is not int or level < 0:
            raise TypeError(f"Dual: level must be a non-negative int, got {level!r}")
        p = _data(primal, level, "primal")
        t = _data(tangent, level, "tangent")
        if isinstance(p, np.ndarray) or isinstance(t, np.ndarray):
            if not isinstance(p, np.ndarray):
                raise ValueError(
                    f"Dual: an array tangent (shape {np.shape(t)}) needs an array primal of the same "
                    f"shape, got {type(p).__name__}"
                )
            try:
                t = np.array(np.broadcast_to(t, p.shape), dtype=float)
            except ValueError:
                raise ValueError(
                    f"Dual: the tangent's shape {np.shape(t)} does not match the primal's {p.shape}"
                ) from None
        self.primal = p
        self.tangent = t
        self._level = level

    # -- protocol ----------------------------------------------------------------------------

    def _unwrap(self) -> Any:
        return self.primal

    def __repr__(self) -> str:
        extra = f", level={self._level}" if self._level else ""
        return f"Dual(primal={format_data(self.primal)}, tangent={format_data(self.tangent)}{extra})"

    def backward(self, *args: Any, **kwargs: Any) -> None:
        """Not available: a dual number is forward mode. Raises ``TypeError`` saying what to do.

        >>> Dual(2.0, 1.0).backward()
        Traceback (most recent call last):
        ...
        TypeError: backward() is reverse mode and belongs to Value; a Dual is forward mode, and its derivative is already in .tangent (here 1.0)
        """
        raise TypeError(
            "backward() is reverse mode and belongs to Value; a Dual is forward mode, and its "
            f"derivative is already in .tangent (here {format_data(self.tangent)})"
        )

    # -- arithmetic --------------------------------------------------------------------------

    def _operand(self, other: Any, op: str, reflected: bool) -> tuple[Any, Any] | None:
        """``(primal, tangent)`` of ``other`` at this level (tangent None for a constant), or None
        if ``other`` belongs to a higher level and must handle the operation itself."""
        if type(other) is Dual and other._level == self._level:
            return other.primal, other.tangent
        kind = classify(self, other, op)
        if kind == "outer":
            return None
        if kind == "same":
            return other.primal, other.tangent
        return _constant(self, other, op, reflected), None

    def __add__(self, other: Any) -> Dual:
        o = self._operand(other, "+", False)
        if o is None:
            return defer(self, other, "__radd__")
        q, s = o
        return _make(self.primal + q, self.tangent if s is None else self.tangent + s, self, "+")

    def __radd__(self, other: Any) -> Dual:
        o = self._operand(other, "+", True)
        if o is None:
            return NotImplemented
        return _make(o[0] + self.primal, self.tangent, self, "+")

    def __sub__(self, other: Any) -> Dual:
        o = self._operand(other, "-", False)
        if o is None:
            return defer(self, other, "__rsub__")
        q, s = o
        return _make(self.primal - q, self.tangent if s is None else self.tangent - s, self, "-")

    def __rsub__(self, other: Any) -> Dual:
        o = self._operand(other, "-", True)
        if o is None:
            return NotImplemented
        return _make(o[0] - self.primal, -self.tangent, self, "-")

    def __mul__(self, other: Any) -> Dual:
        o = self._operand(other, "*", False)
        if o is None:
            return defer(self, other, "__rmul__")
        q, s = o
        p, t = self.primal, self.tangent
        return _make(p * q, t * q if s is None else p * s + t * q, self, "*")

    def __rmul__(self, other: Any) -> Dual:
        o = self._operand(other, "*", True)
        if o is None:
            return NotImplemented
        return _make(o[0] * self.primal, o[0] * self.tangent, self, "*")

    def __truediv__(self, other: Any) -> Dual:
        o = self._operand(other, "/", False)
        if o is None:
            return defer(self, other, "__rtruediv__")
        q, s = o
        try:
            y = self.primal / q
            t = self.tangent / q if s is None else (self.tangent - y * s) / q
        except ZeroDivisionError:
            raise _zero_division(self.primal, q) from None
        return _make(y, t, self, "/")

    def __rtruediv__(self, other: Any) -> Dual:
        o = self._operand(other, "/", True)
        if o is None:
            return NotImplemented
        p = self.primal
        try:
            y = o[0] / p
            t = -(y * self.tangent) / p
        except ZeroDivisionError:
            raise _zero_division(o[0], p) from None
        return _make(y, t, self, "/")

    def __pow__(self, other: Any) -> Dual:
        o = self._operand(other, "**", False)
        if o is None:
            return defer(self, other, "__rpow__")
        q, s = o
        p, t = self.primal, self.tangent
        if s is None:  # a constant exponent: p ** q
            _check_power(p, q, exponent_is_variable=False)
            try:
                y = p**q
                dy = 0.0 * t if _is_zero(q) else q * p ** (q - 1) * t
            except ZeroDivisionError:
                raise _infinite_power_derivative(p, q) from None
            return _make(y, dy, self, "**")
        _check_power(p, q, exponent_is_variable=True)  # p > 0: d/dq p**q = p**q log p
        y = p**q
        return _make(y, q * p ** (q - 1) * t + y * F.log(p) * s, self, "**")

    def __rpow__(self, other: Any) -> Dual:
        o = self._operand(other, "**", True)
        if o is None:
            return NotImplemented
        base = o[0]
        _check_power(base, self.primal, exponent_is_variable=True)
        y = base**self.primal
        return _make(y, y * F.log(base) * self.tangent, self, "**")

    def __matmul__(self, other: Any) -> Dual:
        o = self._operand(other, "@", False)
        if o is None:
            return defer(self, other, "__rmatmul__")
        q, s = o
        p, t = self.primal, self.tangent
        return _make(p @ q, t @ q if s is None else p @ s + t @ q, self, "@")

    def __rmatmul__(self, other: Any) -> Dual:
        o = self._operand(other, "@", True)
        if o is None:
            return NotImplemented
        return _make(o[0] @ self.primal, o[0] @ self.tangent, self, "@")

    def __neg__(self) -> Dual:
        return _make(-self.primal, -self.tangent, self, "neg")

    def __pos__(self) -> Dual:
        return self

    def __abs__(self) -> Dual:
        return self.abs()

    # -- elementary functions: derivatives from autodiff.rules --------------------------------

    def _unary(self, name: str) -> Dual:
        rule = UNARY[name]
        p = self.primal
        y = rule.function(p)
        try:
            slope = rule.derivative(p, y)
        except ZeroDivisionError:
            raise ValueError(
                f"{name}: the derivative is infinite at x={format_data(unwrap(p))} "
                f"({name}' = {rule.formula})"
            ) from None
        return _make(y, slope * self.tangent, self, name)

    def sign(self) -> Any:
        """The sign of the primal, as a constant (its derivative is zero wherever it exists).

        >>> Dual(-2.0, 1.0).sign()
        -1.0
        """
        return F.sign(self.primal)

    def maximum(self, other: Any) -> Dual:
        """``max(self, other)``; at a tie the tangent is the average of both (rules.KINKS).

        >>> Dual(2.0, 1.0).maximum(Dual(2.0, 0.0))
        Dual(primal=2.0, tangent=0.5)
        """
        return self._extremum(other, "maximum", maximum_partials)

    def minimum(self, other: Any) -> Dual:
        """``min(self, other)``; at a tie the tangent is the average of both (rules.KINKS).

        >>> Dual(1.0, 1.0).minimum(3.0)
        Dual(primal=1.0, tangent=1.0)
        """
        return self._extremum(other, "minimum", minimum_partials)

    def _extremum(self, other: Any, name: str, partials: Callable[[Any, Any], tuple[Any, Any]]) -> Dual:
        o = self._operand(other, name, False)
        if o is None:
            return getattr(other, name)(self)
        q, s = o
        wa, wb = partials(self.primal, q)
        value = getattr(F, name)(self.primal, q)
        return _make(value, wa * self.tangent if s is None else wa * self.tangent + wb * s, self, name)

    # -- array duals: linear structural operations apply to primal and tangent alike ------------

    def _linear(self, fn: Callable[[Any], Any], what: str) -> Dual:
        if not isinstance(self.primal, np.ndarray):
            raise TypeError(f"Dual.{what}: this dual holds a scalar ({type(self.primal).__name__}), not an array")
        return _make(_scalar(fn(self.primal)), _scalar(fn(self.tangent)), self, what)

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the primal: ``()`` for a scalar dual.

        >>> Dual(np.zeros((2, 3))).shape
        (2, 3)
        """
        return np.shape(unwrap(self))

    def __len__(self) -> int:
        if not isinstance(self.primal, np.ndarray) or self.primal.ndim == 0:
            raise TypeError("len() of a scalar Dual")
        return len(self.primal)

    def __getitem__(self, index: Any) -> Dual:
        return self._linear(lambda a: a[index], "__getitem__")

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Dual:
        """The sum of an array dual's elements (along ``axis``): linear, so tangents are summed too.

        >>> Dual(np.array([1.0, 2.0]), np.array([1.0, 0.0])).sum()
        Dual(primal=3.0, tangent=1.0)
        """
        return self._linear(lambda a: a.sum(axis=axis, keepdims=keepdims), "sum")

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Dual:
        """The mean of an array dual's elements (along ``axis``).

        >>> Dual(np.array([1.0, 3.0]), np.array([1.0, 0.0])).mean()
        Dual(primal=2.0, tangent=0.5)
        """
        return self._linear(lambda a: a.mean(axis=axis, keepdims=keepdims), "mean")

    def reshape(self, *shape: Any) -> Dual:
        """An array dual with the same data in a new shape.

        >>> Dual(np.arange(4.0)).reshape(2, 2).shape
        (2, 2)
        """
        return self._linear(lambda a: a.reshape(*shape), "reshape")

    @property
    def T(self) -> Dual:  # noqa: N802 (numpy's name)
        """The transpose of an array dual.

        >>> Dual(np.zeros((2, 3))).T.shape
        (3, 2)
        """
        return self._linear(lambda a: a.T, "T")


def _unary_method(name: str) -> Callable[[Dual], Dual]:
    rule = UNARY[name]

    def method(self: Dual) -> Dual:
        return self._unary(name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"``{name}`` of this dual number: ``Dual({name}(p), {name}'(p) * t)`` with "
        f"``{name}'`` = ``{rule.formula}`` (x = p, y = {name}(p); see autodiff.rules).\n\n"
        f"        >>> import autodiff as ad\n"
        f"        >>> Dual(0.5, 1.0).{name}().primal == ad.functions.{name}(0.5)\n"
        f"        True\n"
    )
    return method


for _name in UNARY:
    setattr(Dual, _name, _unary_method(_name))
del _name

_new = object.__new__


def _make(primal: Any, tangent: Any, like: Dual, op: str) -> Dual:
    """A new dual of ``like``'s level, checking that float results are finite."""
    if type(primal) is float and not _NINF < primal < _INF:
        raise _not_finite(op, primal, like)
    if type(tangent) is float and not _NINF < tangent < _INF:
        raise _not_finite(op, tangent, like, what="derivative")
    if type(primal) is np.ndarray and not (type(tangent) is np.ndarray and tangent.shape == primal.shape):
        if not is_differentiable(tangent):  # a broadcast tangent: give it the primal's shape
            tangent = np.array(np.broadcast_to(tangent, primal.shape), dtype=float)
    out = _new(Dual)
    out.primal = primal
    out.tangent = tangent
    out._level = like._level
    return out


def _scalar(a: Any) -> Any:
    """numpy scalars and 0-d arrays from indexing or reductions become floats."""
    if isinstance(a, np.ndarray) and a.ndim == 0:
        return float(a)
    if isinstance(a, np.floating):
        return float(a)
    return a


def _data(x: Any, level: int, name: str) -> Any:
    """Validate the primal or tangent given to the constructor."""
    if isinstance(x, (bool, np.bool_)):
        raise TypeError(f"Dual: {name} must be a number, got bool {x!r}")
    if isinstance(x, numbers.Real):
        x = float(x)
        if not math.isfinite(x):
            raise ValueError(f"Dual: {name} must be finite, got {x!r}")
        return x
    if isinstance(x, (list, tuple, np.ndarray)):
        arr = np.array(x, dtype=float) if _numeric_sequence(x) else None
        if arr is None:
            raise TypeError(f"Dual: {name} must be a number or an array of numbers, got {type(x).__name__}")
        return arr
    if is_differentiable(x):
        if x._level > level:
            raise ValueError(
                f"Dual: the {name} of a level-{level} Dual cannot be a level-{x._level} "
                f"{type(x).__name__}: the outer object must have the higher level"
            )
        return x
    raise TypeError(
        f"Dual: {name} must be a real number, an array, or a differentiable object of a lower "
        f"level, got {type(x).__name__} {x!r}"
    )


def _numeric_sequence(x: Any) -> bool:
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError):
        return False
    return arr.dtype.kind in "iuf"


def _constant(me: Any, other: Any, op: str, reflected: bool) -> Any:
    """``other`` as a constant operand of a Dual: a float, an array, or a lower-level object."""
    if type(other) is float or type(other) is int:
        other = float(other)
    elif isinstance(other, numbers.Real) and not isinstance(other, (bool, np.bool_)):
        other = float(other)
    elif isinstance(other, np.ndarray) and other.dtype.kind in "iuf":
        return other
    elif is_differentiable(other):
        return other
    else:
        raise _operand_error(me, other, op, reflected)
    if not _NINF < other < _INF:
        raise ValueError(f"{op}: the operand {other!r} is not finite")
    return other


def _operand_error(me: Any, other: Any, op: str, reflected: bool) -> TypeError:
    mine, theirs = type(me).__name__, type(other).__name__
    left, right = (theirs, mine) if reflected else (mine, theirs)
    return TypeError(
        f"unsupported operand types for {op}: {left} and {right} ({theirs} {_short(other)}); "
        f"a {mine} combines with numbers and other differentiable objects"
    )


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_zero(q: Any) -> bool:
    """A constant exponent of exactly 0 (not a variable of an outer level that is 0 right now)."""
    return isinstance(q, numbers.Real) and q == 0


def _check_power(base: Any, exponent: Any, exponent_is_variable: bool) -> None:
    """No silent complex numbers: reject what would leave the reals (shared with Value)."""
    b, e = unwrap(base), unwrap(exponent)
    if isinstance(b, np.ndarray) or isinstance(e, np.ndarray):
        return  # arrays follow numpy (nan for a negative base to a fractional power)
    if exponent_is_variable:
        if not b > 0:
            raise ValueError(
                f"**: with a variable exponent the base must be positive (d/dp b**p = b**p * log b), "
                f"got base {format_data(b)}"
            )
    elif b < 0 and not float(e).is_integer():
        raise ValueError(
            f"**: a negative base to a non-integer power has no real value: base {b!r}, exponent {e!r}"
        )
    elif b == 0 and e < 0:
        raise ValueError(f"**: zero to a negative power ({e!r}) is a division by zero")


def _infinite_power_derivative(base: Any, exponent: Any) -> ValueError:
    return ValueError(
        f"**: the derivative of x**{format_data(unwrap(exponent))} is infinite at "
        f"x={format_data(unwrap(base))}"
    )


def _zero_division(numerator: Any, denominator: Any) -> ValueError:
    return ValueError(
        f"/: division by zero ({format_data(unwrap(numerator))} / {format_data(unwrap(denominator))})"
    )


def _not_finite(op: str, value: float, like: Any, what: str = "result") -> ValueError:
    return ValueError(
        f"{op}: the {what} is not finite ({value!r}) for the operand {format_data(unwrap(like))}; "
        "the scalar engines reject overflow instead of carrying inf or nan"
    )


def format_data(x: Any) -> str:
    """A short, stable text for a number inside a repr: 4 decimals, or 4 significant digits.

    Used by the reprs of ``Dual`` and ``Value`` so that printed results are the same on every
    run and platform. Nested objects print with their own repr; arrays with numpy's.

    >>> format_data(0.7071067811865476), format_data(2.0), format_data(1.5e-7), format_data(3e20)
    ('0.7071', '2.0', '1.5e-07', '3e+20')
    """
    if type(x) is float:
        if x == 0.0 or 1e-4 <= abs(x) < 1e15:
            return repr(round(x, 4))
        return f"{x:.4g}"
    if isinstance(x, np.ndarray):
        return np.array2string(x, precision=4, separator=", ")
    return repr(x)


# --------------------------------------------------------------------------------------------
# The differentiation API


def derivative(f: Callable[[Any], Any], x: Any) -> Any:
    """The derivative of ``f`` at the scalar ``x`` by forward mode: one evaluation of ``f``.

    ``f`` maps a number to a number (or to a sequence/array of numbers: the result is then the
    array of their derivatives). It is called on a :class:`Dual` with a fresh level, so nested
    ``derivative`` calls give correct higher and mixed derivatives.

    >>> derivative(lambda x: x ** 3, 2.0)
    12.0
    >>> derivative(lambda x: derivative(lambda y: x * y, 2.0), 3.0)  # d/dx [d/dy xy] = 1
    1.0
    >>> derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0)  # no confusion
    1.0
    """
    if callable(x) and not callable(f):
        raise TypeError("derivative: the arguments are (f, x): the function comes first")
    _check_callable(f, "derivative")
    if isinstance(x, (np.ndarray, list, tuple)):
        raise TypeError(
            f"derivative: x must be a scalar, got {type(x).__name__}; use jvp(f, x, v) for a "
            "directional derivative or jacfwd(f, x) for the Jacobian of a function of an array"
        )
    level = new_level()
    out = f(Dual(x, 1.0, level=level))
    return _split_output(out, level, "derivative")[1]


def jvp(f: Callable[[Any], Any], x: Any, v: Any) -> tuple[Any, Any]:
    """``(f(x), J_f(x) v)``: the value and the Jacobian-vector product, in one forward pass.

    ``x`` and ``v`` are numbers, or arrays of one shape; for arrays, ``f`` receives one vectorised
    :class:`Dual` whose primal is ``x`` and whose tangent is ``v`` (index it, sum it, use the
    ``ad.*`` functions on it). ``f`` returns a number, a ``Dual``, or a sequence/array of them.

    >>> import autodiff as ad
    >>> jvp(lambda x: x ** 2, 3.0, 1.0)
    (9.0, 6.0)
    >>> y, t = jvp(lambda x: [x[0] * x[1], ad.sin(x[0])], np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    >>> y.round(4).tolist(), t.round(4).tolist()
    ([2.0, 0.8415], [2.0, 0.5403])
    """
    _check_callable(f, "jvp")
    level = new_level()
    if isinstance(x, (np.ndarray, list, tuple)) or isinstance(v, (np.ndarray, list, tuple)):
        xa, va = _point(x, "jvp", "x"), _point(v, "jvp", "v")
        if xa.shape != va.shape:
            raise ValueError(f"jvp: x and v must have the same shape, got {xa.shape} and {va.shape}")
        arg: Any = Dual(xa, va, level=level) if xa.ndim else Dual(float(xa), float(va), level=level)
    else:
        arg = Dual(x, v, level=level)
    return _split_output(f(arg), level, "jvp")


def jacfwd(f: Callable[[Any], Any], x: Any) -> Any:
    """The Jacobian of ``f`` at ``x`` by forward mode: one :func:`jvp` per input element.

    The result has shape ``f(x).shape + x.shape``: entry ``[i, j]`` is ``d f_i / d x_j``. For a
    scalar ``x`` it is the derivative (a float, or an array for a vector-valued ``f``). Forward
    mode costs one pass per *input*: the method of choice for tall Jacobians.

    >>> jacfwd(lambda x: [x[0] * x[1], x[0] + x[1]], np.array([2.0, 3.0])).tolist()
    [[3.0, 2.0], [1.0, 1.0]]
    """
    _check_callable(f, "jacfwd")
    if not isinstance(x, (np.ndarray, list, tuple)):
        return derivative(f, x)
    point = _point(x, "jacfwd", "x")
    if point.size == 0:
        raise ValueError("jacfwd: x is empty")
    columns = []
    for index in np.ndindex(point.shape):
        basis = np.zeros_like(point)
        basis[index] = 1.0
        _, column = jvp(f, point, basis)
        columns.append(np.asarray(column))
    jac = np.stack(columns, axis=-1)
    return jac.reshape(columns[0].shape + point.shape)


def _check_callable(f: Any, op: str) -> None:
    if not callable(f):
        raise TypeError(f"{op}: f must be a function, got {type(f).__name__}")


def _point(x: Any, op: str, name: str) -> np.ndarray:
    if not _numeric_sequence(x):
        raise TypeError(f"{op}: {name} must be a number or an array of numbers, got {type(x).__name__}")
    arr = np.array(x, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{op}: {name} must be finite, got {arr.tolist()}")
    return arr


def _split_output(out: Any, level: int, op: str) -> tuple[Any, Any]:
    """``(primal, tangent)`` of ``f``'s output for the perturbation of ``level``."""
    if type(out) is Dual and out._level == level:
        return out.primal, out.tangent
    if isinstance(out, (list, tuple)) or (isinstance(out, np.ndarray) and out.dtype == object):
        pairs = [_split_output(item, level, op) for item in np.asarray(out, dtype=object).flat]
        shape = np.shape(np.asarray(out, dtype=object))
        return _stack([p for p, _ in pairs], shape), _stack([t for _, t in pairs], shape)
    lvl = level_of(out)
    if lvl > level:
        raise ValueError(
            f"{op}: f returned a {type(out).__name__} of level {lvl}, higher than this "
            f"differentiation's ({level}): a perturbation escaped from an inner differentiation"
        )
    if lvl >= 0 or isinstance(out, (numbers.Real, np.ndarray)):
        # The output does not depend on x at this level: its derivative is zero.
        value = unwrap(out)
        zero = np.zeros(np.shape(value)) if isinstance(value, np.ndarray) else 0.0
        return (float(out) if isinstance(out, numbers.Real) else out), zero
    raise TypeError(
        f"{op}: f must return a number, a Dual, or a sequence or array of them, got {type(out).__name__}"
    )


def _stack(items: list[Any], shape: tuple[int, ...]) -> np.ndarray:
    if all(isinstance(i, (float, int)) for i in items):
        return np.array(items, dtype=float).reshape(shape)
    arr = np.empty(len(items), dtype=object)
    arr[:] = items
    return arr.reshape(shape)
