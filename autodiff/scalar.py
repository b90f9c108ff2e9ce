"""Reverse mode on scalars: :class:`Value` (chapters 4 and 5).

A ``Value`` wraps one number. Arithmetic on Values records a graph: every result remembers its
inputs (``_prev``, in argument order) and the operation that made it (``_op``). ``backward()``
walks that graph from the output back to the inputs and applies the chain rule once per node, so
one pass gives the derivative of the output with respect to every input.

>>> from autodiff import Value
>>> a, b = Value(-2.0, label="a"), Value(3.0, label="b")
>>> f = (a * b) * (a + b)
>>> f.backward()
>>> a.grad, b.grad
(-3.0, -8.0)

The surface is micrograd's (``data``, ``grad``, ``_prev``, ``_op``, ``label``, ``backward()``,
``relu()``, ``tanh()``, ``exp()``, ``log()``, ``**``, reflected operators), so a micrograd user
feels at home. What differs, and why:

**backward() semantics** (PyTorch's rule). The output's gradient is seeded with 1 (or with
``gradient=``). Every *non-leaf* node's ``grad`` is reset on each call, so it always holds the
derivative of the most recent output; *leaves* (Values with no inputs: parameters, inputs,
constants) accumulate, so calling ``backward()`` twice doubles only the leaf gradients, and
several losses can be back-propagated one after the other. Reset leaves with ``zero_grad()`` (or
``Module.zero_grad()`` in :mod:`autodiff.nn`). micrograd accumulated into every node, so a second
call gave wrong intermediate gradients.

**No recursion, no cycles, no closures.** The graph is ordered by an explicit-stack depth-first
search, so a chain of a million nodes works at Python's default recursion limit. The derivative
rules live in one table keyed by ``_op`` (binary ops here, unary ones in :mod:`autodiff.rules`),
not in a closure per node: a node holds only its data, gradient, inputs, op, label and level
(``__slots__``; the one or two inputs sit in two slots, and ``_prev`` builds the tuple when asked),
there are no reference cycles, and reference counting frees a graph as soon as its output is
dropped. One object per node is tracked by the garbage collector, against about seven in
micrograd, which matters when the collector runs during training.

**Numerics.** Data is stored as ``float`` (``Value(2).data == 2.0``). Non-finite data is rejected;
a result outside the domain (log of a non-positive number, sqrt of a negative one, division by
zero, a negative base to a non-integer power) or beyond the float range (``Value(1000).exp()``)
is a ``ValueError`` that names the operation: no silent ``inf``, ``nan`` or complex numbers.
``tanh`` and ``sigmoid`` are stable at ±1000. Derivatives at kinks follow
:data:`autodiff.rules.KINKS` (relu'(0) = 0, abs'(0) = 0, ties of maximum split equally).

**Identity.** ``==``/``!=`` and hashing are by identity, as in micrograd: a Value is a graph node,
so Values work as dictionary keys, in sets and in ``x in list`` checks however their data
compares. ``<``, ``<=``, ``>``, ``>=`` compare data and return ``bool``. Compare
``a.data == b.data`` for values.

**Levels (nesting).** ``data`` is usually a float, but may be a differentiable object of an
outer differentiation: a ``Dual`` (forward over reverse, for Hessian-vector products) or a
``Value`` (reverse over reverse, for second derivatives). The hook for the differentiation API
is the keyword ``level``: ``Value(x, level=autodiff.levels.new_level())`` makes an input whose
graph is kept apart from every outer one; after ``backward()`` its ``grad`` is a function of the
outer objects and can itself be differentiated. A reverse-mode ``grad`` is then::

    def grad(f):
        def df(x):
            v = Value(x, level=new_level())
            f(v).backward()
            return v.grad
        return df

and ``grad(grad(f))(2.0)`` is ``f''(2)`` (see ``tests/test_scalar.py``).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autodiff import functions as F
from autodiff.forward import _check_power, _short, format_data
from autodiff.levels import Differentiable, classify, defer, is_differentiable, unwrap
from autodiff.rules import UNARY, maximum_partials, minimum_partials

__all__ = ["Value", "backward"]

_INF = math.inf
_NINF = -math.inf
_new = object.__new__
_log = F.log


class Value(Differentiable):
    """A scalar that records the operations applied to it, for reverse-mode differentiation.

    ``Value(data, _children=(), _op="", label="", *, level=0)``: ``data`` is a real number (stored
    as ``float``) or, for nested differentiation, a differentiable object of a lower level.
    ``_children`` and ``_op`` are micrograd's, for building nodes by hand; ``label`` names the
    node in drawings; ``level`` is the nesting level (see the module docstring).

    Operations: ``+ - * / **`` with numbers and Values in either order (``Value ** Value`` and
    ``2 ** Value`` need a positive base), unary ``-``, ``abs()``, comparisons, the methods
    ``exp``, ``log``, ``sqrt``, ``sin``, ``cos``, ``tan``, ``tanh``, ``sigmoid``, ``relu``,
    ``abs``, ``log1p``, ``expm1``, ``softplus``, ``maximum``, ``minimum``, ``sign``; and
    ``backward``, ``zero_grad``, ``detach``.

    >>> x = Value(2.0, label="x")
    >>> y = x.tanh()
    >>> y.backward()
    >>> y, x
    (Value(data=0.964, grad=1.0), Value(data=2.0, grad=0.0707, label='x'))
    >>> Value(1.0) + "a"
    Traceback (most recent call last):
    ...
    TypeError: unsupported operand types for +: Value and str (str 'a'); a Value combines with numbers and other Values
    """

    # The inputs live in _a and _b (None when absent): one object per node for the garbage
    # collector to track, where a _prev tuple would add a second. _prev is a property.
    __slots__ = ("data", "grad", "_a", "_b", "_op", "label", "_level")
    # Make numpy hand binary operations with arrays and numpy scalars to our reflected methods.
    __array_ufunc__ = None

    data: Any
    grad: Any
    _a: Value | None
    _b: Value | None
    _op: str
    label: str
    _level: int

    def __init__(
        self, data: Any, _children: tuple[Value, ...] = (), _op: str = "", label: str = "", *, level: int = 0
    ) -> None:
        if type(level) is not int or level < 0:
            raise TypeError(f"Value: level must be a non-negative int, got {level!r}")
        if not isinstance(_op, str):
            raise TypeError(f"Value: _op must be a string naming the operation, got {type(_op).__name__}")
        if not isinstance(label, str):
            raise TypeError(f"Value: label must be a string, got {type(label).__name__}")
        self.data = _check_data(data, level)
        self.grad = 0.0
        self._op = _op
        self._prev = _children
        self.label = label
        self._level = level

    # -- protocol ----------------------------------------------------------------------------

    def _unwrap(self) -> Any:
        return self.data

    @property
    def _prev(self) -> tuple[Value, ...]:
        """The inputs of this node, in argument order: ``()`` for a leaf (the node protocol).

        >>> a = Value(1.0)
        >>> (a + a)._prev == (a, a), a._prev
        (True, ())
        """
        a = self._a
        if a is None:
            return ()
        b = self._b
        return (a,) if b is None else (a, b)

    @_prev.setter
    def _prev(self, children: tuple[Value, ...]) -> None:
        children = tuple(children)
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"Value: every child must be a Value, got {type(child).__name__}")
        if len(children) > 2:
            raise ValueError(
                f"Value: a node has at most two inputs (every operation of the engine is unary or "
                f"binary), got {len(children)}"
            )
        arity = _ARITY.get(getattr(self, "_op", ""))
        if children and arity is not None and len(children) != arity:
            raise ValueError(
                f"Value: the operation {self._op!r} takes {arity} input(s), got {len(children)}"
            )
        self._a = children[0] if children else None
        self._b = children[1] if len(children) == 2 else None

    def __repr__(self) -> str:
        extra = f", label={self.label!r}" if self.label else ""
        if self._level:
            extra += f", level={self._level}"
        return f"Value(data={format_data(self.data)}, grad={format_data(self.grad)}{extra})"

    # -- reverse mode ------------------------------------------------------------------------

    def backward(self, gradient: Any = None) -> None:
        """Back-propagate from this Value: fill ``grad`` of every node it depends on.

        ``grad`` of this Value is set to ``gradient`` (default 1.0); every non-leaf node's
        ``grad`` is reset and recomputed; leaves *accumulate* (``+=``), so call ``zero_grad()``
        on them between steps. Runs in time linear in the graph's size, without recursion.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); y.backward()
        >>> x.grad, y.grad  # the leaf accumulated, the output did not
        (12.0, 1.0)
        """
        seed = 1.0 if gradient is None else _seed(gradient, self)
        if self._a is None:  # a leaf: d self / d self = seed, accumulated like any leaf
            self.grad = self.grad + seed
            return
        order = _reverse_order(self)
        self.grad = seed
        rules = _BACKWARD
        node = self
        try:
            for node in order:
                rules[node._op](node)
        except KeyError:
            if node._op in rules:
                raise
            raise ValueError(
                f"backward: no derivative rule for the operation {node._op!r} of a hand-built "
                f"node; known operations: {', '.join(sorted(rules))}"
            ) from None
        except (ZeroDivisionError, OverflowError) as exc:
            inputs = ", ".join(format_data(unwrap(c.data)) for c in node._prev)
            raise ValueError(
                f"backward: the derivative of {node._op!r} at ({inputs}) is not finite ({exc}); "
                "for example sqrt and x**p (p < 1) have an infinite slope at 0"
            ) from None

    def _backward(self) -> None:
        """Apply this node's derivative rule once: add its contribution to its inputs' ``grad``.

        micrograd's name, for walking the chain rule by hand one node at a time (chapter 5); the
        rule comes from the table keyed by ``_op``, not from a closure. A leaf has nothing to do.

        >>> a, b = Value(2.0), Value(-3.0)
        >>> c = a * b
        >>> c.grad = 1.0
        >>> c._backward()
        >>> a.grad, b.grad
        (-3.0, 2.0)
        """
        if self._a is not None:
            rule = _BACKWARD.get(self._op)
            if rule is None:
                raise ValueError(f"_backward: no derivative rule for the operation {self._op!r}")
            rule(self)

    def zero_grad(self) -> None:
        """Reset this Value's gradient to 0.0 (only this node; see ``Module.zero_grad``).

        >>> x = Value(2.0); (x * x).backward(); x.zero_grad(); x.grad
        0.0
        """
        self.grad = 0.0

    def detach(self) -> Value:
        """A new leaf with the same data and level, cut off from this Value's graph.

        >>> x = Value(2.0)
        >>> y = (x * x).detach()
        >>> y._prev, y.data
        ((), 4.0)
        """
        return _leaf(self.data, self._level)

    # -- arithmetic: the hot path builds nodes without calling __init__ -------------------------

    def _lift(self, other: Any, op: str, reflected: bool) -> Value | None:
        """``other`` as a Value of this level (a new constant leaf if needed), or None when
        ``other`` belongs to a higher level and must handle the operation itself."""
        t = type(other)
        if t is float or t is int:
            return _leaf(_finite_constant(float(other), op), self._level)
        kind = classify(self, other, op)
        if kind == "same":
            return other
        if kind == "outer":
            return None
        if is_differentiable(other):  # a lower level: a constant whose data is that object
            return _leaf(other, self._level)
        if isinstance(other, numbers.Real) and not isinstance(other, (bool, np.bool_)):
            return _leaf(_finite_constant(float(other), op), self._level)
        if isinstance(other, np.ndarray) and other.ndim == 0 and other.dtype.kind in "iuf":
            return _leaf(_finite_constant(float(other), op), self._level)
        raise _operand_error(self, other, op, reflected)

    def __add__(self, other: Any) -> Value:
        if type(other) is not Value or other._level != self._level:
            lifted = self._lift(other, "+", False)
            if lifted is None:
                return defer(self, other, "__radd__")
            other = lifted
        d = self.data + other.data
        if not _NINF < d < _INF:
            raise _not_finite("+", d, self, other)
        out = _new(Value)
        out.data = d
        out.grad = 0.0
        out._a = self
        out._b = other
        out._op = "+"
        out.label = ""
        out._level = self._level
        return out

    def __radd__(self, other: Any) -> Value:
        lifted = self._lift(other, "+", True)
        if lifted is None:
            return NotImplemented
        return _node(lifted.data + self.data, lifted, self, "+")

    def __mul__(self, other: Any) -> Value:
        if type(other) is not Value or other._level != self._level:
            lifted = self._lift(other, "*", False)
            if lifted is None:
                return defer(self, other, "__rmul__")
            other = lifted
        d = self.data * other.data
        if not _NINF < d < _INF:
            raise _not_finite("*", d, self, other)
        out = _new(Value)
        out.data = d
        out.grad = 0.0
        out._a = self
        out._b = other
        out._op = "*"
        out.label = ""
        out._level = self._level
        return out

    def __rmul__(self, other: Any) -> Value:
        lifted = self._lift(other, "*", True)
        if lifted is None:
            return NotImplemented
        return _node(lifted.data * self.data, lifted, self, "*")

    def __sub__(self, other: Any) -> Value:
        lifted = self._operand(other, "-", False)
        if lifted is None:
            return defer(self, other, "__rsub__")
        return _node(self.data - lifted.data, self, lifted, "-")

    def __rsub__(self, other: Any) -> Value:
        lifted = self._lift(other, "-", True)
        if lifted is None:
            return NotImplemented
        return _node(lifted.data - self.data, lifted, self, "-")

    def __truediv__(self, other: Any) -> Value:
        lifted = self._operand(other, "/", False)
        if lifted is None:
            return defer(self, other, "__rtruediv__")
        return _divide(self, lifted)

    def __rtruediv__(self, other: Any) -> Value:
        lifted = self._lift(other, "/", True)
        if lifted is None:
            return NotImplemented
        return _divide(lifted, self)

    def __pow__(self, other: Any) -> Value:
        exponent = self._operand(other, "**", False)
        if exponent is None:
            return defer(self, other, "__rpow__")
        # A Value exponent, or one that is a variable of an outer level, needs a positive base.
        return _power(self, exponent, is_differentiable(other))

    def __rpow__(self, other: Any) -> Value:
        base = self._lift(other, "**", True)
        if base is None:
            return NotImplemented
        return _power(base, self, True)

    def _operand(self, other: Any, op: str, reflected: bool) -> Value | None:
        if type(other) is Value and other._level == self._level:
            return other
        return self._lift(other, op, reflected)

    def __neg__(self) -> Value:
        return _node(-self.data, self, None, "neg")

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return self.abs()

    # -- elementary functions: values from autodiff.functions, derivatives from autodiff.rules ---

    def _unary(self, name: str) -> Value:
        return _node(UNARY[name].function(self.data), self, None, name)

    def relu(self) -> Value:
        """``max(self, 0)``; relu'(0) = 0 (rules.KINKS).

        >>> Value(-1.0).relu(), Value(2.0).relu()
        (Value(data=0.0, grad=0.0), Value(data=2.0, grad=0.0))
        """
        d = self.data
        out = _new(Value)
        out.data = (d if d > 0.0 else 0.0) if type(d) is float else F.relu(d)
        out.grad = 0.0
        out._a = self
        out._b = None
        out._op = "relu"
        out.label = ""
        out._level = self._level
        return out

    def sign(self) -> Any:
        """The sign of the data as a constant: -1.0, 0.0 or 1.0 (zero derivative, so no node).

        >>> Value(-3.0).sign()
        -1.0
        """
        return F.sign(self.data)

    def maximum(self, other: Any) -> Value:
        """``max(self, other)`` as a node; at a tie each input gets half the gradient.

        >>> a, b = Value(2.0), Value(2.0)
        >>> a.maximum(b).backward()
        >>> a.grad, b.grad
        (0.5, 0.5)
        """
        return self._extremum(other, "maximum")

    def minimum(self, other: Any) -> Value:
        """``min(self, other)`` as a node; at a tie each input gets half the gradient.

        >>> Value(1.0).minimum(3.0)
        Value(data=1.0, grad=0.0)
        """
        return self._extremum(other, "minimum")

    def _extremum(self, other: Any, name: str) -> Value:
        lifted = self._operand(other, name, False)
        if lifted is None:
            return getattr(other, name)(self)
        return _node(getattr(F, name)(self.data, lifted.data), self, lifted, name)


def _unary_method(name: str) -> Any:
    rule = UNARY[name]

    def method(self: Value) -> Value:
        return self._unary(name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"``{name}(self)`` as a new node; its derivative is ``{rule.formula}`` "
        f"(x = input, y = output; autodiff.rules).\n\n"
        f"        >>> import autodiff as ad\n"
        f"        >>> Value(0.5).{name}().data == ad.functions.{name}(0.5)\n"
        f"        True\n"
    )
    return method


for _name in UNARY:
    if _name != "relu":  # relu has a hand-written fast path above
        setattr(Value, _name, _unary_method(_name))
del _name


def backward(output: Any, gradient: Any = None) -> None:
    """``output.backward(gradient)``, with a clear error when ``output`` is not a Value.

    >>> x = Value(3.0)
    >>> backward(x * x); x.grad
    6.0
    >>> backward(9.0)
    Traceback (most recent call last):
    ...
    TypeError: backward: expected a Value, got float 9.0; an output computed only from numbers has no graph (wrap the inputs in Value first)
    """
    if isinstance(output, Value):
        output.backward(gradient)
        return
    raise _not_a_value("backward", output)


# --------------------------------------------------------------------------------------------
# Node construction


def _leaf(data: Any, level: int) -> Value:
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._a = None
    out._b = None
    out._op = ""
    out.label = ""
    out._level = level
    return out


def _node(data: Any, a: Value, b: Value | None, op: str) -> Value:
    """A new node with inputs ``a`` (and ``b``) at ``a``'s level, after checking that float data
    is finite."""
    if not _NINF < data < _INF:
        raise _not_finite(op, data, *((a,) if b is None else (a, b)))
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out._a = a
    out._b = b
    out._op = op
    out.label = ""
    out._level = a._level
    return out


def _divide(a: Value, b: Value) -> Value:
    try:
        return _node(a.data / b.data, a, b, "/")
    except ZeroDivisionError:
        raise ValueError(
            f"/: division by zero ({format_data(unwrap(a.data))} / {format_data(unwrap(b.data))})"
        ) from None


def _power(base: Value, exponent: Value, variable: bool) -> Value:
    _check_power(base.data, exponent.data, exponent_is_variable=variable)
    try:
        return _node(base.data**exponent.data, base, exponent, "**")
    except ZeroDivisionError:
        raise ValueError(
            f"**: zero to a negative power ({format_data(unwrap(exponent.data))}) is a division by zero"
        ) from None
    except OverflowError:
        raise _not_finite("**", math.inf, base, exponent) from None


def _check_data(data: Any, level: int) -> Any:
    """The data of a new Value: a finite float, or a differentiable object of a lower level."""
    if type(data) is float or type(data) is int:
        return _finite_data(float(data))
    if isinstance(data, (bool, np.bool_)):
        raise TypeError(f"Value: data must be a number, got bool {data!r}")
    if isinstance(data, numbers.Real):
        return _finite_data(float(data))
    if isinstance(data, np.ndarray):
        if data.ndim == 0 and data.dtype.kind in "iuf":
            return _finite_data(float(data))
        raise TypeError(
            f"Value: data must be a single number, got an array of shape {data.shape}; a Value "
            "holds one scalar (use autodiff.tensor.Tensor for arrays, or a list of Values)"
        )
    if is_differentiable(data):
        if data._level > level:
            raise ValueError(
                f"Value: the data of a level-{level} Value cannot be a level-{data._level} "
                f"{type(data).__name__}: the outer object must have the higher level"
            )
        return data
    raise TypeError(
        f"Value: data must be a real number (or a Dual/Value of an outer differentiation), got "
        f"{type(data).__name__} {_short(data)}"
    )


def _finite_data(x: float) -> float:
    if not _NINF < x < _INF:
        raise ValueError(f"Value: data must be finite, got {x!r}")
    return x


def _finite_constant(x: float, op: str) -> float:
    if not _NINF < x < _INF:
        raise ValueError(f"{op}: the operand {x!r} is not finite")
    return x


def _seed(gradient: Any, output: Value) -> Any:
    if isinstance(gradient, (bool, np.bool_)) or not (
        isinstance(gradient, numbers.Real) or is_differentiable(gradient)
    ):
        raise TypeError(
            f"backward: gradient must be a number (the seed d(loss)/d(output)), got "
            f"{type(gradient).__name__} {_short(gradient)}"
        )
    if is_differentiable(gradient):
        if gradient._level >= output._level:
            raise ValueError(
                f"backward: a {type(gradient).__name__} seed must belong to an outer "
                f"differentiation (a lower level than the output's {output._level})"
            )
        return gradient
    seed = float(gradient)
    if not math.isfinite(seed):
        raise ValueError(f"backward: gradient must be finite, got {seed!r}")
    return seed


def _not_finite(op: str, value: Any, *operands: Value) -> ValueError:
    shown = ", ".join(format_data(unwrap(o.data)) for o in operands)
    return ValueError(
        f"{op}: the result is not finite ({value!r}) for the operand(s) {shown}; the scalar "
        "engines reject overflow instead of carrying inf or nan"
    )


def _operand_error(me: Value, other: Any, op: str, reflected: bool) -> TypeError:
    theirs = type(other).__name__
    left, right = (theirs, "Value") if reflected else ("Value", theirs)
    hint = ""
    if isinstance(other, np.ndarray):
        hint = f" (an array of shape {other.shape}: a Value holds one scalar; use autodiff.tensor.Tensor)"
    elif isinstance(other, (list, tuple)):
        hint = " (combine the Values one at a time, or use autodiff.tensor.Tensor)"
    return TypeError(
        f"unsupported operand types for {op}: {left} and {right} ({theirs} {_short(other)}); a Value "
        f"combines with numbers and other Values{hint}"
    )


def _not_a_value(op: str, output: Any) -> TypeError:
    if isinstance(output, (list, tuple, np.ndarray)):
        return TypeError(
            f"{op}: expected one Value (a scalar output), got a {type(output).__name__} of "
            f"{len(output)}; reduce the outputs to one Value first, for example sum(outputs), or "
            "call backward on each"
        )
    if type(output).__name__ == "Dual":
        return TypeError(
            f"{op}: got a Dual; a Dual is forward mode and its derivative is already in .tangent"
        )
    return TypeError(
        f"{op}: expected a Value, got {type(output).__name__} {_short(output)}; an output computed "
        "only from numbers has no graph (wrap the inputs in Value first)"
    )


# --------------------------------------------------------------------------------------------
# Backward: ordering and the table of derivative rules


def _reverse_order(root: Value) -> list[Value]:
    """The non-leaf nodes reachable from ``root``, each after every node that uses it (``root``
    first), resetting their gradients to 0.0 on the way.

    The same iterative post-order depth-first search as :func:`autodiff.graph.topological_order`
    (the tests check that the orders agree), specialised to Values for speed: a Value hashes by
    identity, so the node itself is the set key (no ``id()`` calls); a node has at most two
    inputs, ``_a`` and ``_b``, so there are no iterators: a node on the stack is simply looked at
    again when the search comes back to it, and goes down whichever input is still unexplored;
    leaves, which have no rule to apply, are skipped. No recursion: depth is limited only by
    memory.
    """
    order: list[Value] = []
    seen = {root}
    waiting: list[Value] = []  # the path from the root down to `node`
    # bound methods, looked up once: this loop runs once per node and per input
    emit, mark, push, pop = order.append, seen.add, waiting.append, waiting.pop
    node = root
    while True:
        a = node._a  # never None: `node` is not a leaf
        if a._a is not None and a not in seen:  # go down the first input
            mark(a)
            a.grad = 0.0
            push(node)
            node = a
            continue
        b = node._b
        if b is not None and b._a is not None and b not in seen:  # then the second
            mark(b)
            b.grad = 0.0
            push(node)
            node = b
            continue
        emit(node)  # both inputs done: every input of `node` comes before it
        if not waiting:
            break
        node = pop()  # back up: look at the node above again
    order.reverse()
    return order


def _add_back(node: Value) -> None:
    g = node.grad
    node._a.grad += g
    node._b.grad += g


def _sub_back(node: Value) -> None:
    g = node.grad
    node._a.grad += g
    node._b.grad -= g


def _mul_back(node: Value) -> None:
    a, b = node._a, node._b
    g = node.grad
    a.grad += b.data * g
    b.grad += a.data * g


def _div_back(node: Value) -> None:
    a, b = node._a, node._b
    ga = node.grad / b.data  # d(a/b)/da = 1/b
    a.grad += ga
    b.grad -= ga * node.data  # d(a/b)/db = -a/b**2 = -(1/b) * (a/b)


def _neg_back(node: Value) -> None:
    node._a.grad -= node.grad


def _pow_back(node: Value) -> None:
    base, exponent = node._a, node._b
    g, b, p = node.grad, base.data, exponent.data
    if not (isinstance(p, float) and p == 0.0):  # x**0 is constant in x
        base.grad += p * b ** (p - 1.0) * g
    if b > 0:  # d/dp b**p = b**p log b, defined for b > 0 only (a variable exponent requires it)
        exponent.grad += node.data * _log(b) * g


def _unary_back(node: Value) -> None:
    x = node._a
    x.grad += UNARY[node._op].derivative(x.data, node.data) * node.grad


def _relu_back(node: Value) -> None:
    y = node.data
    if type(y) is float:  # fast path of rules.UNARY["relu"]: slope 1 where y > 0, else 0
        if y > 0.0:
            node._a.grad += node.grad
    else:
        _unary_back(node)


def _maximum_back(node: Value) -> None:
    a, b = node._a, node._b
    wa, wb = maximum_partials(a.data, b.data)
    a.grad += wa * node.grad
    b.grad += wb * node.grad


def _minimum_back(node: Value) -> None:
    a, b = node._a, node._b
    wa, wb = minimum_partials(a.data, b.data)
    a.grad += wa * node.grad
    b.grad += wb * node.grad


#: The derivative rules of Value, keyed by ``_op``: each adds the node's contribution to the
#: gradients of its inputs. Unary functions all share one rule that reads autodiff.rules.
_BACKWARD = {
    "+": _add_back,
    "-": _sub_back,
    "*": _mul_back,
    "/": _div_back,
    "neg": _neg_back,
    "**": _pow_back,
    "maximum": _maximum_back,
    "minimum": _minimum_back,
    **{name: _unary_back for name in UNARY},
    "relu": _relu_back,
}

#: How many inputs each operation takes (checked when a node is built by hand).
_ARITY = {op: 2 for op in ("+", "-", "*", "/", "**", "maximum", "minimum")}
_ARITY.update({op: 1 for op in _BACKWARD if op not in _ARITY})
