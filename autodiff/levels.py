"""Nesting levels: what keeps nested differentiations apart (chapters 3 and 9).

Every differentiable object of the package (:class:`~autodiff.forward.Dual`,
:class:`~autodiff.scalar.Value`, later ``Tensor``) holds its data generically: usually a float
or an array, but possibly another differentiable object that belongs to an *outer*
differentiation. That is what makes ``derivative(derivative(f))``, ``grad(grad(f))`` (reverse
over reverse) and ``jvp(grad(f))`` (forward over reverse, a Hessian-vector product) work.

Nesting alone is not enough. In ``d/dx [x * d/dy (x + y)]`` the inner derivative must treat ``x``
as a constant; if both derivatives use the same kind of perturbation, the inner one also
differentiates ``x`` and the result is 2 instead of 1 (*perturbation confusion*, Siskind and
Pearlmutter 2005). The cure is a tag on every object, here an integer **level**:

* objects made directly by the user have level 0, so a hand-made ``Dual(2.0, 1.0)`` and
  ``Dual(3.0, 0.0)`` interact as one perturbation (which is how chapter 3 demonstrates the
  confusion);
* every differentiation started by the API (``derivative``, ``jvp``, ``jacfwd``, ``grad``, ...)
  takes a fresh level from :func:`new_level`, which only ever grows, so an inner differentiation
  always has a higher level than the one around it;
* in a binary operation between two differentiable objects, the one with the higher level is the
  *outer* one: it treats the other as a constant and puts it in its data. The lower-level
  object's ``__add__``, ``__mul__``, ... hand the operation to the higher one's reflected method
  (:func:`classify` makes that decision for every engine, :func:`defer` hands it over: it
  returns ``NotImplemented`` so that Python calls the reflected method, except between two
  objects of the same type, where Python never tries it, so :func:`defer` calls it directly);
* two objects of the same level but different types (a level-0 ``Dual`` times a level-0
  ``Value``) cannot be combined: that is a ``TypeError``.

**The protocol.** A type takes part by giving its instances an integer attribute ``_level`` and a
method ``_unwrap()`` returning the data one level down (``Dual.primal``, ``Value.data``). Nothing
else here depends on the concrete types. :class:`Differentiable` is a convenient base class for
such types (``Dual`` and ``Value`` use it): the ``level`` property, comparisons by value,
identity hashing and format specs.

>>> from autodiff import Dual, derivative
>>> derivative(lambda x: x * derivative(lambda y: x + y, 1.0), 1.0)  # levels: correct
1.0
>>> x = Dual(1.0, 1.0)                 # hand-made duals share level 0 ...
>>> inner = (x + Dual(1.0, 1.0)).tangent
>>> (x * inner).tangent                # ... so the perturbations get confused
2.0
"""

from __future__ import annotations

import itertools
import numbers
from typing import Any, Literal

import numpy as np

__all__ = ["new_level", "level_of", "is_differentiable", "unwrap", "classify", "defer", "Differentiable"]

_counter = itertools.count(1)


def new_level() -> int:
    """A fresh level for a new differentiation: larger than every level handed out before.

    Levels start at 1 (0 belongs to objects the user makes by hand) and never repeat, so a
    differentiation started inside another one always gets the higher level.

    >>> a = new_level()
    >>> b = new_level()
    >>> 0 < a < b
    True
    """
    return next(_counter)


def is_differentiable(x: Any) -> bool:
    """Whether ``x`` is a differentiable object (``Dual``, ``Value``, ``Tensor``): has a level.

    >>> from autodiff import Dual, Value
    >>> is_differentiable(Dual(1.0)), is_differentiable(Value(1.0)), is_differentiable(1.0)
    (True, True, False)
    """
    return type(x) not in _PLAIN and type(getattr(x, "_level", None)) is int


def level_of(x: Any) -> int:
    """The level of ``x``: its ``_level`` if it is differentiable, -1 for constants (numbers, arrays).

    >>> from autodiff import Dual
    >>> level_of(Dual(1.0)), level_of(Dual(1.0, level=7)), level_of(2.5)
    (0, 7, -1)
    """
    return x._level if is_differentiable(x) else -1


def unwrap(x: Any) -> Any:
    """The plain value inside ``x``: strips every level (``Dual`` → primal, ``Value`` → data).

    Returns a number or an array. Used for comparisons (``Value(2) < Dual(3)``) and messages.

    >>> from autodiff import Dual, Value
    >>> unwrap(Value(Dual(2.0, 1.0), level=1))
    2.0
    >>> unwrap(3)
    3
    """
    while is_differentiable(x):
        x = x._unwrap()
    return x


def classify(me: Any, other: Any, op: str) -> Literal["same", "constant", "outer"]:
    """How the differentiable ``me`` must treat ``other`` in the binary operation ``op``.

    * ``"same"``: ``other`` is the same type at the same level: combine them;
    * ``"constant"``: ``other`` is not differentiable, or belongs to a lower (outer-in-time)
      level: treat it as a constant of ``me``'s level (it goes into ``me``'s data). Whether the
      constant's type is acceptable (a number, an array, ...) is for ``me``'s engine to check;
    * ``"outer"``: ``other`` has the higher level: ``me`` must return ``NotImplemented`` so that
      Python calls ``other``'s reflected method, which treats ``me`` as its constant.

    Raises ``TypeError`` for two different types at the same level.

    >>> from autodiff import Dual, Value
    >>> classify(Dual(1.0), Dual(2.0), "+"), classify(Dual(1.0), 3.0, "+")
    ('same', 'constant')
    >>> classify(Dual(1.0), Dual(2.0, level=new_level()), "*")
    'outer'
    >>> classify(Dual(1.0), Value(2.0), "*")
    Traceback (most recent call last):
    ...
    TypeError: Dual * Value: both operands have level 0, so neither can treat the other as a constant. Hand-made objects all have level 0; to nest forward and reverse mode, let the API (derivative, jvp, grad, ...) create them, or give the inner one a level from autodiff.levels.new_level()
    """
    if not is_differentiable(other):
        return "constant"
    mine, theirs = me._level, other._level
    if theirs < mine:
        return "constant"
    if theirs > mine:
        return "outer"
    if isinstance(other, type(me)) or isinstance(me, type(other)):
        return "same"
    raise TypeError(
        f"{type(me).__name__} {op} {type(other).__name__}: both operands have level {mine}, so "
        "neither can treat the other as a constant. Hand-made objects all have level 0; to nest "
        "forward and reverse mode, let the API (derivative, jvp, grad, ...) create them, or give "
        "the inner one a level from autodiff.levels.new_level()"
    )


def defer(me: Any, other: Any, reflected: str) -> Any:
    """Hand a binary operation to ``other``, the operand with the higher level.

    Returns ``other.<reflected>(me)`` when both have the same type (Python only tries a reflected
    method between different types), ``NotImplemented`` otherwise (Python then calls it).
    ``reflected`` is the name of the reflected method, e.g. ``"__radd__"``.

    >>> from autodiff import Dual
    >>> inner = Dual(2.0, 1.0, level=new_level())
    >>> out = defer(Dual(3.0, 1.0), inner, "__rmul__")
    >>> out.level == inner.level, out.primal  # the level-0 dual became a constant inside it
    (True, Dual(primal=6.0, tangent=2.0))
    """
    if isinstance(other, type(me)) or isinstance(me, type(other)):
        return getattr(other, reflected)(me)
    return NotImplemented


class Differentiable:
    """Base class of the differentiable types: the level protocol and value semantics.

    Subclasses set ``_level`` and define ``_unwrap()``. They get the read-only ``level``; ``<``,
    ``<=``, ``>``, ``>=`` that compare the values inside, whatever the levels, and return ``bool``
    (an array for arrays), so code that branches on its input runs under every engine; format
    specs that format the value (``f"{loss:.4f}"``). ``==``, ``!=`` and hashing stay identity:
    these objects are graph nodes and dictionary keys (compare ``a.primal == b.primal`` or
    ``a.data == b.data`` for values).

    >>> from autodiff import Dual
    >>> Dual(1.0, 5.0) < Dual(2.0, -1.0), Dual(1.0) == Dual(1.0), f"{Dual(2 / 3, 1.0):.3f}"
    (True, False, '0.667')
    """

    __slots__ = ()
    _level: int

    @property
    def level(self) -> int:
        """The nesting level (0 for objects made by hand).

        >>> from autodiff import Dual, Value
        >>> Dual(1.0).level, Value(1.0, level=3).level
        (0, 3)
        """
        return self._level

    def _unwrap(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define _unwrap()")

    def __format__(self, spec: str) -> str:
        return format(unwrap(self), spec) if spec else repr(self)

    def __lt__(self, other: Any) -> Any:
        return _compare(self, other, "<")

    def __le__(self, other: Any) -> Any:
        return _compare(self, other, "<=")

    def __gt__(self, other: Any) -> Any:
        return _compare(self, other, ">")

    def __ge__(self, other: Any) -> Any:
        return _compare(self, other, ">=")

    __hash__ = object.__hash__


def _compare(me: Any, other: Any, op: str) -> Any:
    """Compare by value, whatever the levels: strips every level off both sides."""
    a, b = unwrap(me), unwrap(other)
    if not isinstance(b, (numbers.Real, np.ndarray)):
        return NotImplemented
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


# Types that are never differentiable, checked first so that the common case is fast.
_PLAIN = frozenset({float, int, bool, complex, str, type(None)})
