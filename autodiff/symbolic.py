"""Symbolic differentiation and expression swell (chapter 1).

A symbolic differentiator turns an *expression* for ``f`` into an expression for ``f'`` by applying
the textbook rules (sum, product, quotient, power and chain rule) to every node. The result is exact,
but it can be far larger than ``f``: the product rule turns ``a*b`` into ``da*b + a*db``, which
mentions ``a`` and ``b`` once more each, and nesting repeats that at every level. This is
*expression swell*. The classic example, from Baydin et al.'s survey of automatic differentiation
(2018), is the logistic map ``l_1 = x``, ``l_{n+1} = 4*l_n*(1 - l_n)``, built by :func:`logistic_map`.

Swell is mostly *repetition*. Written out as a tree, ``l_n`` already doubles at every step, because
``l_n`` appears twice in ``l_{n+1}``; but both occurrences are the same sub-expression. Expressions
in this module are *hash-consed*: two structurally equal expressions are the same Python object,
so every repeated sub-expression is stored once and the expression is really a DAG (directed
acyclic graph). Hence two sizes:

* :func:`tree_size` counts the nodes of the expression written out as a tree: every variable,
  constant and operation, and a shared sub-expression once for *every* place it occurs. It is the
  size of the printed formula and grows exponentially with ``n`` for ``l_n`` and ``dl_n/dx``.
  It is computed without expanding the tree (each node stores its tree size when it is built).
* :func:`dag_size` counts *distinct* nodes (structurally equal sub-expressions once). It grows
  linearly for ``l_n`` and ``dl_n/dx``. Keeping the shared intermediate results instead of
  rewriting them is exactly what automatic differentiation does.

Both take ``ops_only=True`` to count operations only (no variables or constants). These counts are
our own metric: they differ from, say, sympy's ``count_ops``, which counts differently and
simplifies as it builds.

>>> x = Var("x")
>>> [(tree_size(logistic_map(n, x)), dag_size(logistic_map(n, x))) for n in (1, 2, 3, 4)]
[(1, 1), (7, 6), (19, 9), (43, 12)]
>>> dl3 = diff(logistic_map(3, x), x)
>>> tree_size(dl3) > tree_size(logistic_map(3, x))
True

:func:`diff` applies the rules mechanically and never simplifies, so the swell is visible;
:func:`simplify` then folds constants and removes 0/1 identities (``x + 0``, ``1*x``, ``x**1``,
``--x``...). It does not expand or factor, so it cannot undo swell in general. :func:`evaluate`
computes the value of an expression with each shared sub-expression evaluated once. Every
traversal here is iterative, so expressions thousands of levels deep work.

This is a teaching tool, deliberately small: a dozen operations, one variable type, no
assumptions, no expansion. For real computer algebra use sympy.

Expressions are built by operator overloading, and the elementary functions are methods
(``e.sin()``, ``e.exp()``...), which the package's dispatching functions (``autodiff.sin`` and
friends) call for non-numeric arguments. Every node also follows the package's graph-node
protocol: ``_prev`` is the tuple of its arguments and ``_op`` its operation (``""`` for leaves).

>>> e = 4 * x * (1 - x)
>>> print(e)
4*x*(1 - x)
>>> print(diff(e, x))
(0*x + 4*1)*(1 - x) + 4*x*(0 - 1)
>>> print(simplify(diff(e, x)))
4*(1 - x) - 4*x
>>> evaluate(e, x=0.25)
0.75
"""

from __future__ import annotations

import keyword
import math
import numbers
import threading
import weakref
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar, overload

from autodiff.graph import topological_order
from autodiff.rules import UNARY

__all__ = [
    "Expr",
    "Var",
    "Const",
    "as_expr",
    "diff",
    "simplify",
    "evaluate",
    "tree_size",
    "dag_size",
    "depth",
    "logistic_map",
    "OPERATIONS",
    "MAX_STR_SIZE",
]

#: The operations an :class:`Expr` node can hold, with their number of arguments (read-only).
OPERATIONS: Mapping[str, int] = MappingProxyType({
    "+": 2,
    "-": 2,
    "*": 2,
    "/": 2,
    "**": 2,
    "neg": 1,
    "sin": 1,
    "cos": 1,
    "exp": 1,
    "log": 1,
    "tanh": 1,
    "sqrt": 1,
})

# Hash-consing: one live node per structure, found through a table of weak references keyed by
# the operation and the ids of the (already unique) arguments. A node keeps its arguments alive, so
# the ids in the key of a live node belong to live nodes; when a node dies, its entry goes too.
_TABLE: dict[tuple[Any, ...], weakref.KeyedRef] = {}
_LOCK = threading.RLock()  # re-entrant: a removal callback may run while the lock is held


def _forget(ref: weakref.KeyedRef, table: dict[Any, Any] = _TABLE, lock: Any = _LOCK) -> None:
    """Weak-reference callback: drop a dead node's entry (globals bound early for shutdown)."""
    with lock:
        if table.get(ref.key) is ref:
            del table[ref.key]


def _lookup(key: tuple[Any, ...]) -> Any:
    ref = _TABLE.get(key)
    return None if ref is None else ref()


def _intern(key: tuple[Any, ...], build: Callable[[], Expr]) -> Any:
    """The live node stored under ``key``, or a new one from ``build()``, stored."""
    with _LOCK:
        node = _lookup(key)
        if node is None:
            node = build()
            _TABLE[key] = weakref.KeyedRef(node, _forget, key)
    return node


def _finite_float(value: Any, what: str) -> float:
    """``value`` (a real number) as a finite float, or ValueError naming ``what``."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def _is_real_number(value: Any) -> bool:
    kind = type(value)
    if kind is float or kind is int:
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class Expr:
    """An immutable node of a symbolic expression: an operation applied to argument expressions.

    Build expressions with Python's operators and the methods :meth:`sin`, :meth:`cos`,
    :meth:`exp`, :meth:`log`, :meth:`tanh` and :meth:`sqrt`, starting from :class:`Var` and
    :class:`Const` (Python numbers are promoted to constants). ``Expr(op, *args)`` builds one
    node directly; ``op`` is one of :data:`OPERATIONS`.

    Nodes are hash-consed: building the same structure twice returns the same object, so
    ``==`` (which is identity) is structural equality, and the hash is structural too.

    >>> x = Var("x")
    >>> e = 4 * x * (1 - x)
    >>> e.op, [str(a) for a in e.args]
    ('*', ['4*x', '1 - x'])
    >>> e is 4 * x * (1 - x)
    True
    >>> print(Expr("sin", x * x))
    sin(x*x)
    """

    __slots__ = ("_op", "_prev", "_hash", "_size", "_nops", "_depth", "__weakref__")

    _op: str
    _prev: tuple[Expr, ...]
    _hash: int
    _size: int
    _nops: int
    _depth: int

    # numpy scalars hand binary operations with an Expr back to the Expr (no object arrays).
    __array_ufunc__ = None

    def __new__(cls, op: str, *args: Expr | float) -> Expr:
        if cls is not Expr:
            raise TypeError(f"{cls.__name__} cannot be built with Expr's constructor")
        if not isinstance(op, str) or op not in OPERATIONS:
            raise ValueError(f"Expr: unknown operation {op!r}; the operations are {', '.join(OPERATIONS)}")
        if len(args) != OPERATIONS[op]:
            raise TypeError(f"Expr: {op!r} takes {OPERATIONS[op]} argument(s), got {len(args)}")
        return _make(op, tuple(as_expr(a, f"Expr({op!r})") for a in args))

    # -- the graph-node protocol and readable names ------------------------------------------

    @property
    def op(self) -> str:
        """The operation: one of :data:`OPERATIONS`, or ``""`` for variables and constants.

        >>> (Var("x") + 1).op, Var("x").op
        ('+', '')
        """
        return self._op

    @property
    def args(self) -> tuple[Expr, ...]:
        """The arguments in order (the same tuple as ``_prev``); ``()`` for leaves.

        >>> x = Var("x")
        >>> (x * x).args == (x, x)
        True
        """
        return self._prev

    # -- immutability, hashing, copying ------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        # Hash-consing makes identity the same as structural equality.
        return self is other

    def __ne__(self, other: object) -> bool:
        return self is not other

    def __reduce__(self) -> tuple[Any, ...]:
        return (Expr, (self._op, *self._prev))

    def __copy__(self) -> Expr:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Expr:
        return self

    # -- printing ----------------------------------------------------------------------------

    def __str__(self) -> str:
        return _to_str(self)

    def __repr__(self) -> str:
        if self._size <= 60:
            return f"<Expr {_to_str(self)}>"
        return f"<Expr {self._op!r}: tree size {self._size}, DAG size {dag_size(self)}>"

    # -- operators ---------------------------------------------------------------------------

    def __add__(self, other: Expr | float) -> Expr:
        return _binary("+", self, other)

    def __radd__(self, other: Expr | float) -> Expr:
        return _binary("+", other, self)

    def __sub__(self, other: Expr | float) -> Expr:
        return _binary("-", self, other)

    def __rsub__(self, other: Expr | float) -> Expr:
        return _binary("-", other, self)

    def __mul__(self, other: Expr | float) -> Expr:
        return _binary("*", self, other)

    def __rmul__(self, other: Expr | float) -> Expr:
        return _binary("*", other, self)

    def __truediv__(self, other: Expr | float) -> Expr:
        return _binary("/", self, other)

    def __rtruediv__(self, other: Expr | float) -> Expr:
        return _binary("/", other, self)

    def __pow__(self, other: Expr | float) -> Expr:
        return _binary("**", self, other)

    def __rpow__(self, other: Expr | float) -> Expr:
        return _binary("**", other, self)

    def __neg__(self) -> Expr:
        return _make("neg", (self,))

    def __pos__(self) -> Expr:
        return self

    # -- elementary functions (called by autodiff.sin & co. for non-numeric arguments) --------

    def sin(self) -> Expr:
        """``sin(self)``.

        >>> print(Var("x").sin())
        sin(x)
        """
        return _make("sin", (self,))

    def cos(self) -> Expr:
        """``cos(self)``.

        >>> print(Var("x").cos())
        cos(x)
        """
        return _make("cos", (self,))

    def exp(self) -> Expr:
        """``exp(self)``.

        >>> print((2 * Var("x")).exp())
        exp(2*x)
        """
        return _make("exp", (self,))

    def log(self) -> Expr:
        """The natural logarithm ``log(self)``.

        >>> print(Var("x").log())
        log(x)
        """
        return _make("log", (self,))

    def tanh(self) -> Expr:
        """``tanh(self)``.

        >>> print(Var("x").tanh())
        tanh(x)
        """
        return _make("tanh", (self,))

    def sqrt(self) -> Expr:
        """``sqrt(self)``, a node of its own (not ``self**0.5``).

        >>> print(Var("x").sqrt())
        sqrt(x)
        """
        return _make("sqrt", (self,))

    def tan(self) -> Expr:
        """``tan(self)``, built as ``sin(self)/cos(self)`` (there is no ``tan`` node).

        >>> print(Var("x").tan())
        sin(x)/cos(x)
        """
        return self.sin() / self.cos()

    def sigmoid(self) -> Expr:
        """The logistic sigmoid, built as ``1/(1 + exp(-self))`` (there is no ``sigmoid`` node).

        >>> print(Var("x").sigmoid())
        1/(1 + exp(-x))
        """
        return 1 / (1 + (-self).exp())


class Var(Expr):
    """A variable, named by a Python identifier. Variables with the same name are the same object.

    >>> x = Var("x")
    >>> x is Var("x"), x.name, str(x + 1)
    (True, 'x', 'x + 1')
    """

    __slots__ = ("name",)
    name: str

    def __new__(cls, name: str) -> Var:
        if not isinstance(name, str):
            raise TypeError(f"Var: the name must be a str, got {type(name).__name__} {name!r}")
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"Var: the name must be a Python identifier (not a keyword), got {name!r}")
        key = (0, name)
        node = _lookup(key)
        if node is None:

            def build() -> Var:
                new = object.__new__(Var)
                _init(new, "", (), hash(("Var", name)))
                object.__setattr__(new, "name", name)
                return new

            node = _intern(key, build)
        return node  # type: ignore[no-any-return]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Var, (self.name,))

    def __repr__(self) -> str:
        return f"Var({self.name!r})"


class Const(Expr):
    """A real constant, stored as a finite float. Python numbers in expressions become constants.

    >>> Const(2) is Const(2.0), Const(0.5).value
    (True, 0.5)
    >>> print(Const(3) * Var("x"))
    3*x
    """

    __slots__ = ("value",)
    value: float

    def __new__(cls, value: float) -> Const:
        if not _is_real_number(value):
            raise TypeError(f"Const: the value must be a real number, got {type(value).__name__} {value!r}")
        number = _finite_float(value, "Const: the value") + 0.0  # + 0.0 turns -0.0 into 0.0
        key = (1, number)
        node = _lookup(key)
        if node is None:

            def build() -> Const:
                new = object.__new__(Const)
                _init(new, "", (), hash(("Const", number)))
                object.__setattr__(new, "value", number)
                return new

            node = _intern(key, build)
        return node  # type: ignore[no-any-return]

    def __reduce__(self) -> tuple[Any, ...]:
        return (Const, (self.value,))

    def __repr__(self) -> str:
        return f"Const({_format_number(self.value)})"


def _init(node: Expr, op: str, args: tuple[Expr, ...], hash_value: int) -> None:
    """Fill in a new node's fields, including its tree size and depth (dynamic programming)."""
    setf = object.__setattr__
    setf(node, "_op", op)
    setf(node, "_prev", args)
    setf(node, "_hash", hash_value)
    setf(node, "_size", 1 + sum([a._size for a in args]))
    setf(node, "_nops", (1 if op else 0) + sum([a._nops for a in args]))
    setf(node, "_depth", 1 + max([a._depth for a in args]) if args else 0)


def _make(op: str, args: tuple[Expr, ...]) -> Expr:
    """The unique node ``op(*args)`` for a known ``op`` and expression arguments of the right number."""
    if op == "neg" and isinstance(args[0], Const):
        # A negated number is a number, as for Python's literal -2.
        return Const(-args[0].value)
    key = (op, *[id(a) for a in args])
    node = _lookup(key)
    if node is None:

        def build() -> Expr:
            new = object.__new__(Expr)
            _init(new, op, args, hash((op, *[a._hash for a in args])))
            return new

        node = _intern(key, build)
    return node  # type: ignore[no-any-return]


def as_expr(value: Expr | float, where: str = "as_expr") -> Expr:
    """``value`` as an expression: expressions unchanged, real numbers as :class:`Const`.

    ``where`` names the caller in the error message for anything else.

    >>> as_expr(2.5)
    Const(2.5)
    >>> as_expr("x")
    Traceback (most recent call last):
    ...
    TypeError: as_expr: expected an expression or a real number, got str 'x'
    """
    if isinstance(value, Expr):
        return value
    if _is_real_number(value):
        return Const(value)
    raise TypeError(f"{where}: expected an expression or a real number, got {type(value).__name__} {value!r}")


def _binary(op: str, left: Any, right: Any) -> Any:
    """The node ``left op right``, or ``NotImplemented`` so that Python tries the other operand
    and finally raises its ``unsupported operand type(s) for op: 'A' and 'B'`` TypeError."""
    if not isinstance(left, Expr):
        if not _is_real_number(left):
            return NotImplemented
        left = Const(left)
    if not isinstance(right, Expr):
        if not _is_real_number(right):
            return NotImplemented
        right = Const(right)
    return _make(op, (left, right))


# -- sizes -----------------------------------------------------------------------------------


def tree_size(expr: Expr | float, *, ops_only: bool = False) -> int:
    """The number of nodes of ``expr`` written out as a tree: every occurrence of a variable, a
    constant or an operation counts, so a sub-expression used twice is counted twice.

    This is the size of the printed formula, the quantity that swells. It is exact (a Python int,
    however large) and costs O(1): every node stores its tree size, computed from its arguments'
    when it was built. ``ops_only=True`` counts operations only.

    >>> x = Var("x")
    >>> e = 4 * x * (1 - x)        # *( *(4, x), -(1, x) )
    >>> tree_size(e), tree_size(e, ops_only=True)
    (7, 3)
    >>> tree_size(e * e)           # e occurs twice
    15
    """
    node = as_expr(expr, "tree_size")
    return node._nops if ops_only else node._size


def dag_size(expr: Expr | float, *, ops_only: bool = False) -> int:
    """The number of *distinct* nodes of ``expr``: each structurally different sub-expression
    (variable, constant or operation) counts once, however often it occurs.

    This is the size of the expression stored with sharing, as a DAG, and what a program that
    keeps its intermediate results (and automatic differentiation) pays for. ``ops_only=True``
    counts operations only.

    >>> x = Var("x")
    >>> e = 4 * x * (1 - x)        # nodes x, 4, 1, 4*x, 1 - x, and the product
    >>> dag_size(e), dag_size(e, ops_only=True)
    (6, 3)
    >>> dag_size(e * e)            # one more node: the outer product
    7
    """
    nodes = topological_order(as_expr(expr, "dag_size"))
    return sum(1 for n in nodes if n._op) if ops_only else len(nodes)


def depth(expr: Expr | float) -> int:
    """The number of operations on the longest path from ``expr`` down to a leaf (0 for a leaf).

    >>> x = Var("x")
    >>> depth(x), depth(4 * x * (1 - x)), depth((x + 1).sin())
    (0, 2, 2)
    """
    return as_expr(expr, "depth")._depth


# -- evaluation ------------------------------------------------------------------------------


def _check_finite(op: str, result: float, operands: tuple[float, ...]) -> float:
    if not math.isfinite(result):
        shown = ", ".join(repr(v) for v in operands)
        raise ValueError(f"{op}: the result for ({shown}) is not finite ({result!r})")
    return result


def _pow(a: float, b: float) -> float:
    if a < 0 and not b.is_integer():
        raise ValueError(f"**: a negative base {a!r} to the non-integer power {b!r} has no real value")
    if a == 0 and b < 0:
        raise ValueError(f"**: zero to the negative power {b!r} (a division by zero)")
    try:
        return math.pow(a, b)
    except OverflowError:
        raise ValueError(f"**: {a!r}**{b!r} overflows") from None


def _div(a: float, b: float) -> float:
    if b == 0:
        raise ValueError(f"/: division by zero ({a!r}/{b!r})")
    return a / b


def _log(a: float) -> float:
    if a <= 0:
        raise ValueError(f"log: the argument must be positive, got {a!r}")
    return math.log(a)


def _sqrt(a: float) -> float:
    if a < 0:
        raise ValueError(f"sqrt: the argument must be non-negative, got {a!r}")
    return math.sqrt(a)


def _exp(a: float) -> float:
    try:
        return math.exp(a)
    except OverflowError:
        raise ValueError(f"exp: exp({a!r}) overflows") from None


_EVAL: dict[str, Callable[..., float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": _div,
    "**": _pow,
    "neg": lambda a: -a,
    "sin": math.sin,
    "cos": math.cos,
    "exp": _exp,
    "log": _log,
    "tanh": math.tanh,
    "sqrt": _sqrt,
}


def _apply(op: str, operands: tuple[float, ...]) -> float:
    """The value of ``op`` on float operands; ValueError outside the domain or on overflow."""
    return _check_finite(op, _EVAL[op](*operands), operands)


def _bindings(env: Mapping[str | Var, float] | None, values: Mapping[str, float]) -> dict[str, float]:
    if env is not None and not isinstance(env, Mapping):
        raise TypeError(
            f"evaluate: env must be a mapping from variables to numbers, got {type(env).__name__}"
        )
    merged: dict[str, float] = {}
    items = list(env.items()) if env is not None else []
    for key, value in [*items, *values.items()]:
        if isinstance(key, Var):
            name = key.name
        elif isinstance(key, str):
            name = key
        else:
            raise TypeError(f"evaluate: env keys must be Var or str, got {type(key).__name__} {key!r}")
        if not _is_real_number(value):
            raise TypeError(
                f"evaluate: the value of {name!r} must be a real number, "
                f"got {type(value).__name__} {value!r}"
            )
        merged[name] = _finite_float(value, f"evaluate: the value of {name!r}")
    return merged


def evaluate(expr: Expr | float, env: Mapping[str | Var, float] | None = None, /, **values: float) -> float:
    """The value of ``expr`` (a float) with its variables set by ``env`` (keys ``Var`` or names)
    and/or keyword arguments.

    Each distinct node is evaluated once (memoised over the DAG), so evaluating an expression whose
    tree is astronomically large but whose DAG is small is fast. A variable without a value, or a
    value outside an operation's domain (log or sqrt of a negative number, division by zero,
    overflow), raises ``ValueError`` naming the operation and the value.

    >>> x, y = Var("x"), Var("y")
    >>> evaluate(x * y + 1, {x: 2.0, "y": 3.0})
    7.0
    >>> evaluate((x - 1).log(), x=0.5)
    Traceback (most recent call last):
    ...
    ValueError: evaluate: log: the argument must be positive, got -0.5, in log(x - 1)
    >>> evaluate(x + y, x=1.0)
    Traceback (most recent call last):
    ...
    ValueError: evaluate: no value for the variable(s) y (the expression depends on x, y)
    """
    root = as_expr(expr, "evaluate")
    bindings = _bindings(env, values)
    order = topological_order(root)
    leaves = sorted({n.name for n in order if isinstance(n, Var)})
    missing = [name for name in leaves if name not in bindings]
    if missing:
        raise ValueError(
            f"evaluate: no value for the variable(s) {', '.join(missing)} "
            f"(the expression depends on {', '.join(leaves)})"
        )
    value: dict[int, float] = {}
    for node in order:
        if isinstance(node, Const):
            value[id(node)] = node.value
        elif isinstance(node, Var):
            value[id(node)] = bindings[node.name]
        else:
            operands = tuple(value[id(a)] for a in node._prev)
            try:
                value[id(node)] = _apply(node._op, operands)
            except ValueError as err:
                where = f", in {_to_str(node)}" if node._size <= 40 else ""
                raise ValueError(f"evaluate: {err}{where}") from None
    return value[id(root)]


# -- differentiation -------------------------------------------------------------------------

_ZERO = Const(0)
_ONE = Const(1)


def _derivative(node: Expr, var: Var, d: tuple[Expr, ...]) -> Expr:
    """The derivative of ``node`` from the derivatives ``d`` of its arguments: one textbook rule,
    applied literally (no simplification)."""
    if isinstance(node, Var):
        return _ONE if node is var else _ZERO
    if isinstance(node, Const):
        return _ZERO
    op, args = node._op, node._prev
    a = args[0]
    da = d[0]
    if op == "+":
        return da + d[1]
    if op == "-":
        return da - d[1]
    if op == "*":
        return da * args[1] + a * d[1]
    if op == "/":
        b, db = args[1], d[1]
        return (da * b - a * db) / b**2
    if op == "**":
        b, db = args[1], d[1]
        if isinstance(b, Const):  # power rule: (a**c)' = c*a**(c - 1)*a'
            return b * a ** (b.value - 1) * da
        if isinstance(a, Const):  # (c**b)' = c**b*log(c)*b'
            return node * a.log() * db
        return node * (db * a.log() + b * da / a)  # (a**b)' = a**b*(b'*log(a) + b*a'/a)
    if op == "neg":
        return -da
    # The chain rule f(a)' = f'(a)*a', with f' from the package's one table of unary rules,
    # written in terms of the input a and the output node = f(a) (exp' = node, log' = 1/a...).
    return UNARY[op].derivative(a, node) * da


def diff(expr: Expr | float, var: Var | str) -> Expr:
    """The derivative of ``expr`` with respect to the variable ``var`` (a :class:`Var` or its name).

    Applies the textbook rules mechanically to every node, including their zero and one factors:
    ``(a + b)' = a' + b'``, ``(a - b)' = a' - b'``, ``(a*b)' = a'*b + a*b'``,
    ``(a/b)' = (a'*b - a*b')/b**2``; for powers ``(a**c)' = c*a**(c - 1)*a'`` when the exponent
    ``c`` is a constant, ``(c**b)' = c**b*log(c)*b'`` when the base is, and
    ``(a**b)' = a**b*(b'*log(a) + b*a'/a)`` otherwise; ``(-a)' = -a'``; and the chain rule
    ``f(a)' = f'(a)*a'`` for the functions, with ``f'`` taken from :mod:`autodiff.rules` (the
    table every engine of the package uses). It does **not** simplify: that is what shows the
    swell. Pass the result to :func:`simplify` for a tidier form. Each distinct node is
    differentiated once, so the result shares sub-expressions with ``expr`` and with itself, and
    its DAG stays small even when its tree is huge.

    >>> x, y = Var("x"), Var("y")
    >>> print(diff(x * x, x))
    1*x + x*1
    >>> print(diff(x.sin() * y, "y"))
    cos(x)*0*y + sin(x)*1
    >>> print(simplify(diff(x**3, x)))
    3*x**2
    """
    root = as_expr(expr, "diff")
    if isinstance(var, str):
        var = Var(var)
    if not isinstance(var, Var):
        raise TypeError(
            f"diff: can only differentiate with respect to a variable (Var or its name), "
            f"got {type(var).__name__} {var!r}"
        )
    derivative: dict[int, Expr] = {}
    for node in topological_order(root):
        derivative[id(node)] = _derivative(node, var, tuple(derivative[id(a)] for a in node._prev))
    return derivative[id(root)]


# -- simplification --------------------------------------------------------------------------


def _is(node: Expr, value: float) -> bool:
    return isinstance(node, Const) and node.value == value


def _negative_const(node: Expr) -> bool:
    return isinstance(node, Const) and node.value < 0


def _rewrite(op: str, args: tuple[Expr, ...]) -> Expr:
    """``Expr(op, *args)`` simplified at the top, for arguments that are already simplified.

    Every rule makes the tree smaller or keeps its size (and then moves towards a canonical form),
    and every node a rule builds goes through this function again, so the result is simplified.
    """
    if all(isinstance(a, Const) for a in args):
        try:
            return Const(_apply(op, tuple(a.value for a in args)))  # type: ignore[attr-defined]
        except ValueError:  # outside the domain (1/0, log(-1)...): leave it for evaluate to report
            pass
    if op == "+":
        a, b = args
        if _is(a, 0):
            return b
        if _is(b, 0):
            return a
        if _negative_const(b):  # x + (-2) -> x - 2
            return _rewrite("-", (a, Const(-b.value)))  # type: ignore[attr-defined]
        if b._op == "neg":  # a + (-c) -> a - c
            return _rewrite("-", (a, b._prev[0]))
        if a._op == "neg":  # (-c) + b -> b - c
            return _rewrite("-", (b, a._prev[0]))
        if _negative_const(a):  # -2 + x -> x - 2
            return _rewrite("-", (b, Const(-a.value)))  # type: ignore[attr-defined]
    elif op == "-":
        a, b = args
        if _is(b, 0):
            return a
        if _is(a, 0):
            return _rewrite("neg", (b,))
        if _negative_const(b):  # x - (-2) -> x + 2
            return _rewrite("+", (a, Const(-b.value)))  # type: ignore[attr-defined]
        if b._op == "neg":  # a - (-c) -> a + c
            return _rewrite("+", (a, b._prev[0]))
    elif op == "*":
        a, b = args
        if _is(a, 0) or _is(b, 0):
            return _ZERO
        if _is(a, 1):
            return b
        if _is(b, 1):
            return a
        if _is(a, -1):
            return _rewrite("neg", (b,))
        if _is(b, -1):
            return _rewrite("neg", (a,))
        if isinstance(b, Const) and not isinstance(a, Const):  # constants to the left
            return _rewrite("*", (b, a))
        if isinstance(a, Const) and b._op == "*" and isinstance(b._prev[0], Const):  # 2*(3*x) -> 6*x
            product = a.value * b._prev[0].value  # type: ignore[attr-defined]
            if math.isfinite(product):
                return _rewrite("*", (Const(product), b._prev[1]))
        if a._op == "neg" and b._op == "neg":
            return _rewrite("*", (a._prev[0], b._prev[0]))
        if a._op == "neg":  # (-a)*b -> -(a*b): negations move up, where they can cancel
            return _rewrite("neg", (_rewrite("*", (a._prev[0], b)),))
        if b._op == "neg":
            return _rewrite("neg", (_rewrite("*", (a, b._prev[0])),))
    elif op == "/":
        a, b = args
        if _is(b, 1):
            return a
        if _is(b, -1):
            return _rewrite("neg", (a,))
        if _is(a, 0):
            return _ZERO
        if a._op == "neg" and b._op == "neg":
            return _rewrite("/", (a._prev[0], b._prev[0]))
        if a._op == "neg":
            return _rewrite("neg", (_rewrite("/", (a._prev[0], b)),))
        if b._op == "neg":
            return _rewrite("neg", (_rewrite("/", (a, b._prev[0])),))
    elif op == "**":
        a, b = args
        if _is(b, 0) or _is(a, 1):
            return _ONE
        if _is(b, 1):
            return a
    elif op == "neg":
        (a,) = args
        if a._op == "neg":  # --a -> a
            return a._prev[0]
        if a._op == "-":  # -(a - b) -> b - a
            return _rewrite("-", (a._prev[1], a._prev[0]))
    return _make(op, args)


def simplify(expr: Expr | float) -> Expr:
    """``expr`` with constants folded and trivial identities removed, bottom-up.

    The rules: operations on constants are computed (``2*3`` -> ``6``, ``sin(0)`` -> ``0``, unless
    the result is undefined, like ``1/0``); ``x + 0``, ``0 + x``, ``x - 0``, ``x*1``, ``1*x``,
    ``x/1``, ``x**1`` -> ``x``; ``0*x``, ``x*0``, ``0/x`` -> ``0``; ``x**0``, ``1**x`` -> ``1``;
    ``0 - x`` -> ``-x``; ``--x`` -> ``x``; ``-(a - b)`` -> ``b - a``; ``a + (-b)`` -> ``a - b``;
    ``a - (-b)`` -> ``a + b``; ``(-1)*x`` -> ``-x``; signs move out of products and quotients;
    constants move to the left of products and are multiplied together (``x*2*3`` -> ``6*x``).

    It never expands, factors or cancels (``x - x`` stays), so it cannot undo swell in general.
    Where ``expr`` can be evaluated, the result has the same value up to rounding (``0*x`` -> ``0``
    may also define it where ``x`` is undefined). The result is never larger as a tree, and
    ``simplify`` of a simplified expression returns it unchanged.

    >>> x = Var("x")
    >>> print(simplify(0 * x + 1 * x.sin() ** 1 - (-(-x))))
    sin(x) - x
    >>> print(simplify(x * 2 * 3 + (2 - 2) / x))
    6*x
    """
    root = as_expr(expr, "simplify")
    done: dict[int, Expr] = {}
    for node in topological_order(root):
        if node._prev:
            done[id(node)] = _rewrite(node._op, tuple(done[id(a)] for a in node._prev))
        else:
            done[id(node)] = node
    return done[id(root)]


# -- printing --------------------------------------------------------------------------------

#: ``str`` refuses expressions whose tree has more nodes than this (the text would be as long).
MAX_STR_SIZE: int = 10_000_000

# Binding strength, as in Python: + - < * / < unary minus < ** < atoms and calls.
_ADD, _MUL, _NEG, _POW, _ATOM = 1, 2, 3, 4, 5
_BINARY = {"+": (" + ", _ADD), "-": (" - ", _ADD), "*": ("*", _MUL), "/": ("/", _MUL), "**": ("**", _POW)}


def _format_number(value: float) -> str:
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def _precedence(node: Expr) -> int:
    if isinstance(node, Const):
        return _NEG if node.value < 0 else _ATOM
    op = node._op
    if op == "neg":
        return _NEG
    if op in _BINARY:
        return _BINARY[op][1]
    return _ATOM  # variables and function calls


def _starts_with_minus(node: Expr) -> bool:
    """Whether the text of a product or quotient begins with a unary minus (``-x*y``)."""
    while node._op in ("*", "/"):
        left = node._prev[0]
        if _precedence(left) < _MUL:  # printed in parentheses
            return False
        node = left
    return node._op == "neg" or (isinstance(node, Const) and node.value < 0)


def _to_str(root: Expr) -> str:
    """Infix text with the fewest parentheses that Python parses back into the same tree.

    Written out piece by piece from an explicit stack (no recursion, and no intermediate strings
    per node, whose total length could be quadratic in the depth)."""
    if root._size > MAX_STR_SIZE:
        raise ValueError(
            f"str: the expression has {root._size} nodes written out as a tree, more than "
            f"MAX_STR_SIZE = {MAX_STR_SIZE}; use tree_size/dag_size, or simplify it first"
        )
    out: list[str] = []
    stack: list[Expr | str] = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, Var):
            out.append(item.name)
        elif isinstance(item, Const):
            out.append(_format_number(item.value))
        elif item._op == "neg":
            arg = item._prev[0]
            stack += [")", arg, "-("] if _precedence(arg) <= _NEG else [arg, "-"]
        elif item._op in _BINARY:
            symbol, prec = _BINARY[item._op]
            left, right = item._prev
            lp, rp = _precedence(left), _precedence(right)
            if prec == _POW:  # right-associative; the base of a power binds tightest
                left_parens, right_parens = lp <= _POW, rp < _POW
            else:  # left-associative; a right operand starting with a minus gets parentheses
                left_parens = lp < prec
                right_parens = rp <= prec or rp == _NEG or (prec == _ADD and _starts_with_minus(right))
            stack += [")", right, "("] if right_parens else [right]
            stack.append(symbol)
            stack += [")", left, "("] if left_parens else [left]
        else:
            stack += [")", item._prev[0], item._op + "("]
    return "".join(out)


# -- the chapter's example -------------------------------------------------------------------

_T = TypeVar("_T")


@overload
def logistic_map(n: int) -> Expr: ...


@overload
def logistic_map(n: int, x: _T) -> _T: ...


def logistic_map(n: int, x: Any = None) -> Any:
    """The n-th iterate of the logistic map: ``l_1 = x``, ``l_{n+1} = 4*l_n*(1 - l_n)``.

    ``x`` defaults to ``Var("x")``, giving an expression; any number-like ``x`` works (a float, a
    dual number, a ``Value``...), because the body is plain arithmetic.

    >>> print(logistic_map(2))
    4*x*(1 - x)
    >>> logistic_map(3, 0.25)
    0.75
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"logistic_map: n must be an int, got {type(n).__name__} {n!r}")
    if n < 1:
        raise ValueError(f"logistic_map: n must be at least 1 (l_1 = x), got {n}")
    value = Var("x") if x is None else x
    for _ in range(int(n) - 1):
        value = 4 * value * (1 - value)
    return value
