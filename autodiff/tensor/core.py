"""The :class:`Tensor` class and its operations (chapter 8).

See :mod:`autodiff.tensor` for the tour; this module holds the class, the forward computation of
every operation, ``backward`` and ``no_grad``. The derivative of every operation is in
:mod:`autodiff.tensor.vjp`, one rule per operation name.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any

import numpy as np

from autodiff import functions as F
from autodiff.forward import Dual
from autodiff.levels import classify, defer, is_differentiable, unwrap
from autodiff.rules import UNARY
from autodiff.tensor import generic as G

__all__ = [
    "Tensor",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "concatenate",
    "stack",
    "where",
    "logsumexp",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "mse",
]

_new = object.__new__
# Whether operations record the graph: a one-element list, so that reading it is one subscript.
_GRAD_ENABLED = [True]
_OP_NAMES = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "@": "matmul"}
_quiet = np.errstate  # `with _quiet(all="ignore")`: IEEE results without RuntimeWarnings


class Tensor:
    """An array that records the operations applied to it, for reverse-mode differentiation.

    ``Tensor(data, requires_grad=False, *, dtype=None, level=0, label="")``

    * ``data``: a numpy array (wrapped without copying, like ``torch.from_numpy``, and keeping
      its dtype), a number or a (nested) list (converted to ``float64``, the default), or, for
      nested differentiation, a :class:`~autodiff.forward.Dual` of arrays or a ``Tensor`` of a
      lower level (see :mod:`autodiff.tensor.generic`). ``dtype`` converts.
    * ``requires_grad``: whether ``backward()`` computes a gradient for this tensor. Only
      floating-point tensors can (an integer or bool tensor asking for one is a ``TypeError``).
      Results of operations require grad when any input does (outside :class:`no_grad`); only
      those record their inputs (``_prev``) and operation (``_op``).
    * ``level``: the nesting level (:mod:`autodiff.levels`); leave it 0.
    * ``label``: a name for drawings (:func:`autodiff.draw_graph`).

    ``grad`` is ``None`` until a backward pass reaches the tensor, then an array of the data's
    shape and dtype (or, when nesting, an object of the outer differentiation).

    >>> import numpy as np
    >>> x = Tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    >>> b = Tensor([0.5, 0.5], requires_grad=True)
    >>> loss = ((x * b).relu() ** 2).sum()
    >>> loss.backward()
    >>> x.grad
    array([[0.5, 0. ],
           [1.5, 2. ]])
    >>> b.grad  # b was broadcast over the rows: its gradient is summed over them
    array([10., 16.])
    >>> Tensor(np.arange(3), requires_grad=True)
    Traceback (most recent call last):
    ...
    TypeError: Tensor: requires_grad=True needs floating-point data, got dtype int64; convert it first, e.g. Tensor(x, dtype=np.float64, requires_grad=True)
    """

    __slots__ = ("data", "grad", "requires_grad", "_prev", "_op", "_ctx", "_level", "label", "__weakref__")
    # numpy hands binary operations with arrays to our reflected methods instead of looping.
    __array_ufunc__ = None

    data: Any
    grad: Any
    requires_grad: bool
    _prev: tuple[Tensor, ...]
    _op: str
    _ctx: Any
    _level: int
    label: str

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        *,
        dtype: Any = None,
        level: int = 0,
        label: str = "",
    ) -> None:
        if type(level) is not int or level < 0:
            raise TypeError(f"Tensor: level must be a non-negative int, got {level!r}")
        if not isinstance(requires_grad, (bool, np.bool_)):
            raise TypeError(f"Tensor: requires_grad must be True or False, got {requires_grad!r}")
        if not isinstance(label, str):
            raise TypeError(f"Tensor: label must be a string, got {type(label).__name__}")
        self.data = _as_data(data, dtype, level)
        if requires_grad:
            kind = np.result_type(unwrap(self.data)).kind
            if kind != "f":
                raise TypeError(
                    f"Tensor: requires_grad=True needs floating-point data, got dtype "
                    f"{np.result_type(unwrap(self.data))}; convert it first, e.g. "
                    "Tensor(x, dtype=np.float64, requires_grad=True)"
                )
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._prev = ()
        self._op = ""
        self._ctx = None
        self._level = level
        self.label = label

    # -- protocol and basic attributes -----------------------------------------------------------

    @property
    def level(self) -> int:
        """The nesting level (0 for tensors made by hand).

        >>> Tensor(1.0).level
        0
        """
        return self._level

    def _unwrap(self) -> Any:
        return self.data

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of the data.

        >>> Tensor(np.zeros((2, 3))).shape
        (2, 3)
        """
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of axes.

        >>> Tensor(np.zeros((2, 3))).ndim
        2
        """
        return len(self.data.shape)

    @property
    def size(self) -> int:
        """The number of elements.

        >>> Tensor(np.zeros((2, 3))).size
        6
        """
        return int(np.prod(self.data.shape, dtype=np.int64))

    @property
    def dtype(self) -> np.dtype:
        """The dtype of the (innermost) data.

        >>> Tensor([1, 2]).dtype, Tensor(np.zeros(2, np.float32)).dtype
        (dtype('float64'), dtype('float32'))
        """
        return np.result_type(unwrap(self.data))

    @property
    def is_leaf(self) -> bool:
        """Whether the tensor records no inputs (made by hand, or not requiring grad).

        >>> x = Tensor(1.0, requires_grad=True)
        >>> x.is_leaf, (x * 2).is_leaf
        (True, False)
        """
        return not self._prev

    def __repr__(self) -> str:
        d = self.data
        if type(d) is np.ndarray:
            body = np.array2string(
                d, precision=4, separator=", ", threshold=20, edgeitems=2, prefix="Tensor(",
                suppress_small=True,
            )
            if d.size > 20:
                body += f", shape={d.shape}"
        else:
            body = repr(d)
        extra = ""
        if type(d) is np.ndarray and d.dtype != np.float64:
            extra += f", dtype={d.dtype}"
        if self.requires_grad:
            extra += ", requires_grad=True"
        if self._op:
            extra += f", op={self._op!r}"
        if self.label:
            extra += f", label={self.label!r}"
        if self._level:
            extra += f", level={self._level}"
        return f"Tensor({body}{extra})"

    def __format__(self, spec: str) -> str:
        if spec and self.size == 1:
            return format(self.item(), spec)
        return repr(self) if not spec else format(unwrap(self.data), spec)

    def item(self) -> float:
        """The single element as a Python number (the tensor must have exactly one element).

        >>> Tensor([[2.5]]).item()
        2.5
        """
        value = np.asarray(unwrap(self.data))
        if value.size != 1:
            raise ValueError(f"item: the tensor has shape {value.shape} ({value.size} elements); item() needs exactly one")
        return value.item()

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (the same array, not a copy; innermost data when nesting).

        >>> Tensor([1.0, 2.0]).numpy()
        array([1., 2.])
        """
        return np.asarray(unwrap(self.data))

    def tolist(self) -> Any:
        """The data as (nested) Python lists.

        >>> Tensor([[1.0, 2.0]]).tolist()
        [[1.0, 2.0]]
        """
        return self.numpy().tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __len__(self) -> int:
        if not self.data.shape:
            raise TypeError("len() of a 0-d Tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if not self.data.shape:
            raise TypeError("iteration over a 0-d Tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> bool:
        return bool(unwrap(self.data))

    # -- reverse mode --------------------------------------------------------------------------

    def backward(self, gradient: Any = None) -> None:
        """Back-propagate from this tensor: fill ``grad`` of every tensor it depends on.

        ``gradient`` is the seed d(loss)/d(self), an array of this tensor's shape; it may be
        left out only for a tensor with one element (the seed is then 1). The gradient of every
        intermediate tensor is reset and recomputed; *leaves* (tensors made by hand, such as
        parameters) **accumulate**, so calling ``backward()`` twice doubles their ``grad``:
        reset them with ``zero_grad()`` (or an optimizer's) between steps. The graph is kept, so
        backward can run again. No recursion: any depth works.

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> y = x * x
        >>> y.backward()
        Traceback (most recent call last):
        ...
        ValueError: backward: the output has shape (2,), so its gradient must be given: call backward(gradient) with an array of that shape holding d(loss)/d(output) (numpy.ones((2,)) back-propagates the sum of the outputs), or reduce the output to one element first, e.g. y.sum().backward()
        >>> y.backward(np.array([1.0, 10.0]))
        >>> x.grad
        array([ 2., 40.])
        """
        from autodiff.tensor.vjp import RULES

        if not self.requires_grad:
            raise ValueError(
                "backward: this tensor does not require grad: none of the tensors it was computed "
                "from has requires_grad=True, or it was computed inside no_grad()"
            )
        seed = _seed(self, gradient)
        with _quiet(all="ignore"):
            if not self._prev:
                _accumulate(self, seed, True)
                return
            order = _reverse_order(self)
            self.grad = seed
            node = self
            try:
                for node in order:
                    g = node.grad
                    if g is not None:
                        RULES[node._op](node, g)
            except KeyError:
                if node._op in RULES:
                    raise
                raise ValueError(
                    f"backward: no derivative rule for the operation {node._op!r}; known "
                    f"operations: {', '.join(sorted(RULES))}"
                ) from None

    def zero_grad(self) -> None:
        """Forget this tensor's gradient (``grad = None``, as PyTorch's ``zero_grad``).

        >>> x = Tensor(2.0, requires_grad=True)
        >>> (x * x).backward(); x.zero_grad(); x.grad is None
        True
        """
        self.grad = None

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, cut off from the graph (no gradient flows back).

        >>> x = Tensor([1.0], requires_grad=True)
        >>> y = (x * 2).detach()
        >>> y.requires_grad, y.is_leaf
        (False, True)
        """
        return _leaf(self.data, self._level)

    def _scatter(self, shape: tuple[int, ...], index: Any, basic: bool) -> Tensor:
        """Zeros of ``shape`` plus this tensor added at ``index``: the adjoint of indexing, as a
        differentiable operation (needed when a backward pass is itself differentiated)."""
        return _node(G.scatter(self.data, shape, index, basic), (self,), "scatter", (shape, index, basic))

    # -- arithmetic ----------------------------------------------------------------------------

    def _other(self, other: Any, op: str, reflected: bool) -> Tensor | None:
        """``other`` as a Tensor of this level (a constant leaf when it is not one), or ``None``
        when ``other`` has the higher level and must handle the operation."""
        if type(other) is Tensor and other._level == self._level:
            return other
        t = type(other)
        if t is float or t is int:
            return _constant(other, self)
        kind = classify(self, other, op)
        if kind == "same":
            return other
        if kind == "outer":
            return None
        return _lift(other, self, op, reflected)

    def __add__(self, other: Any) -> Tensor:
        o = self._other(other, "+", False)
        return defer(self, other, "__radd__") if o is None else _binary(self, o, "+", operator.add)

    def __radd__(self, other: Any) -> Tensor:
        o = self._other(other, "+", True)
        return NotImplemented if o is None else _binary(o, self, "+", operator.add)

    def __sub__(self, other: Any) -> Tensor:
        o = self._other(other, "-", False)
        return defer(self, other, "__rsub__") if o is None else _binary(self, o, "-", operator.sub)

    def __rsub__(self, other: Any) -> Tensor:
        o = self._other(other, "-", True)
        return NotImplemented if o is None else _binary(o, self, "-", operator.sub)

    def __mul__(self, other: Any) -> Tensor:
        o = self._other(other, "*", False)
        return defer(self, other, "__rmul__") if o is None else _binary(self, o, "*", operator.mul)

    def __rmul__(self, other: Any) -> Tensor:
        o = self._other(other, "*", True)
        return NotImplemented if o is None else _binary(o, self, "*", operator.mul)

    def __truediv__(self, other: Any) -> Tensor:
        o = self._other(other, "/", False)
        return defer(self, other, "__rtruediv__") if o is None else _binary(self, o, "/", operator.truediv)

    def __rtruediv__(self, other: Any) -> Tensor:
        o = self._other(other, "/", True)
        return NotImplemented if o is None else _binary(o, self, "/", operator.truediv)

    def __pow__(self, other: Any) -> Tensor:
        o = self._other(other, "**", False)
        return defer(self, other, "__rpow__") if o is None else _binary(self, o, "**", operator.pow)

    def __rpow__(self, other: Any) -> Tensor:
        o = self._other(other, "**", True)
        return NotImplemented if o is None else _binary(o, self, "**", operator.pow)

    def __matmul__(self, other: Any) -> Tensor:
        o = self._other(other, "@", False)
        return defer(self, other, "__rmatmul__") if o is None else _matmul(self, o)

    def __rmatmul__(self, other: Any) -> Tensor:
        o = self._other(other, "@", True)
        return NotImplemented if o is None else _matmul(o, self)

    def __neg__(self) -> Tensor:
        return _node(-self.data, (self,), "neg")

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    # -- comparisons: elementwise on the values, returning bool arrays (not differentiable) ------

    def __lt__(self, other: Any) -> Any:
        return _compare(self, other, operator.lt)

    def __le__(self, other: Any) -> Any:
        return _compare(self, other, operator.le)

    def __gt__(self, other: Any) -> Any:
        return _compare(self, other, operator.gt)

    def __ge__(self, other: Any) -> Any:
        return _compare(self, other, operator.ge)

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return _compare(self, other, operator.eq)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return _compare(self, other, operator.ne)

    # Hashing is by identity and never depends on __eq__, so tensors are dictionary keys and set
    # members (the graph traversal relies on it), however their values compare.
    __hash__ = object.__hash__

    # -- elementary functions: values from autodiff.functions, derivatives from autodiff.rules ---

    def _unary(self, name: str) -> Tensor:
        return _node(UNARY[name].function(self.data), (self,), name)

    def relu(self) -> Tensor:
        """``max(x, 0)`` elementwise; relu'(0) = 0 (:data:`autodiff.rules.KINKS`).

        >>> Tensor([-1.0, 0.0, 2.0]).relu()
        Tensor([0., 0., 2.])
        """
        d = self.data
        if type(d) is np.ndarray:
            return _node(np.maximum(d, 0), (self,), "relu")
        return self._unary("relu")

    def sign(self) -> Any:
        """The sign of the data, as a constant array (its derivative is zero wherever it exists).

        >>> Tensor([-2.0, 0.0, 3.0]).sign()
        array([-1.,  0.,  1.])
        """
        return F.sign(self.data)

    def maximum(self, other: Any) -> Tensor:
        """``max(self, other)`` elementwise with broadcasting; ties split the gradient equally.

        >>> Tensor([1.0, 5.0]).maximum(2.0)
        Tensor([2., 5.])
        """
        o = self._other(other, "maximum", False)
        if o is None:
            return other.maximum(self)
        return _binary(self, o, "maximum", np.maximum)

    def minimum(self, other: Any) -> Tensor:
        """``min(self, other)`` elementwise with broadcasting; ties split the gradient equally.

        >>> Tensor([1.0, 5.0]).minimum(2.0)
        Tensor([1., 2.])
        """
        o = self._other(other, "minimum", False)
        if o is None:
            return other.minimum(self)
        return _binary(self, o, "minimum", np.minimum)

    # -- reductions ----------------------------------------------------------------------------

    def sum(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The sum over ``axis`` (an int, a tuple of ints, or ``None`` for all axes).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0)
        Tensor([4., 6.])
        """
        axes = _axes(axis, self.ndim, "sum")
        with _quiet(all="ignore"):
            data = G.sum_(self.data, axes, keepdims)
        return _node(data, (self,), "sum", (axes, keepdims))

    def mean(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The mean over ``axis`` (the mean of an empty selection is nan, as in numpy).

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).mean(axis=1, keepdims=True)
        Tensor([[1.5],
                [3.5]])
        """
        axes = _axes(axis, self.ndim, "mean")
        count = int(np.prod([self.data.shape[i] for i in axes], dtype=np.int64))
        with _quiet(all="ignore"):
            data = G.sum_(self.data, axes, keepdims) / count if count else G.sum_(self.data, axes, keepdims) * np.nan
        return _node(data, (self,), "mean", (axes, keepdims, count))

    def max(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The maximum over ``axis``. Ties share the gradient equally (rules.KINKS).

        >>> x = Tensor([[1.0, 3.0, 3.0]], requires_grad=True)
        >>> x.max().backward(); x.grad
        array([[0. , 0.5, 0.5]])
        """
        return self._extreme(axis, keepdims, "max")

    def min(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """The minimum over ``axis``. Ties share the gradient equally.

        >>> Tensor([[1.0, 3.0], [0.0, 4.0]]).min(axis=0)
        Tensor([0., 3.])
        """
        return self._extreme(axis, keepdims, "min")

    def _extreme(self, axis: Any, keepdims: bool, op: str) -> Tensor:
        axes = _axes(axis, self.ndim, op)
        if self.size == 0 or any(self.data.shape[i] == 0 for i in axes):
            raise ValueError(f"{op}: cannot reduce an empty selection (shape {self.shape}, axis {axis})")
        if op == "max":
            data = G.max_(self.data, axes, keepdims)
        else:
            data = -G.max_(-self.data, axes, keepdims)
        return _node(G.plain(data), (self,), op, (axes, keepdims))

    def logsumexp(self, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
        """``log(sum(exp(x)))`` over ``axis``, computed stably (finite for entries of ±1000).

        >>> round(Tensor([1000.0, 1000.0]).logsumexp().item() - 1000.0, 6)  # log 2
        0.693147
        """
        return logsumexp(self, axis=axis, keepdims=keepdims)

    def softmax(self, axis: int = -1) -> Tensor:
        """``exp(x) / sum(exp(x))`` along ``axis``, computed stably.

        >>> Tensor([0.0, np.log(3.0)]).softmax()
        Tensor([0.25, 0.75])
        """
        return softmax(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """``x - logsumexp(x)`` along ``axis``, computed stably.

        >>> Tensor([1000.0, 0.0]).log_softmax()
        Tensor([    0., -1000.])
        """
        return log_softmax(self, axis=axis)

    # -- shapes and indexing ---------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        """The same elements in a new shape (one entry may be -1).

        >>> Tensor(np.arange(6.0)).reshape(2, 3).shape
        (2, 3)
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        new_shape = _reshape_target(self.shape, shape)
        if new_shape == self.shape:
            return self
        return _node(G.reshape(self.data, new_shape), (self,), "reshape")

    def transpose(self, *axes: Any) -> Tensor:
        """The axes permuted: reversed by default, or in the order given.

        >>> Tensor(np.zeros((2, 3, 4))).transpose(1, 0, 2).shape
        (3, 2, 4)
        """
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = () if axes[0] is None else tuple(axes[0])
        n = self.ndim
        perm = tuple(range(n - 1, -1, -1)) if not axes else tuple(axes)
        if sorted(_axis(a, n, "transpose") for a in perm) != list(range(n)) or len(perm) != n:
            raise ValueError(f"transpose: {perm} is not a permutation of the axes of shape {self.shape}")
        perm = tuple(_axis(a, n, "transpose") for a in perm)
        return _node(G.transpose(self.data, perm), (self,), "transpose", perm)

    @property
    def T(self) -> Tensor:  # noqa: N802 (numpy's name)
        """The transpose (axes reversed).

        >>> Tensor(np.zeros((2, 3))).T.shape
        (3, 2)
        """
        return self.transpose()

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """The tensor broadcast to ``shape``; its gradient is summed back (:func:`~autodiff.tensor.generic.unbroadcast`).

        >>> Tensor([1.0, 2.0]).broadcast_to((2, 2))
        Tensor([[1., 2.],
                [1., 2.]])
        """
        shape = tuple(int(n) for n in shape)
        try:
            np.broadcast_shapes(self.shape, shape)
            ok = len(shape) >= self.ndim and np.broadcast_shapes(self.shape, shape) == shape
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"cannot broadcast {self.shape} to {shape} in broadcast_to")
        return _node(G.broadcast_to(self.data, shape), (self,), "broadcast_to")

    def __getitem__(self, index: Any) -> Tensor:
        index, basic = _index(index)
        try:
            data = G.getitem(self.data, index)
        except IndexError as exc:
            raise IndexError(f"getitem: {exc} (tensor shape {self.shape})") from None
        return _node(data, (self,), "getitem", (index, basic))


def _unary_method(name: str) -> Callable[[Tensor], Tensor]:
    rule = UNARY[name]

    def method(self: Tensor) -> Tensor:
        return self._unary(name)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = (
        f"``{name}`` elementwise, as a new node; its derivative is ``{rule.formula}`` "
        f"(x = input, y = output; autodiff.rules). IEEE arithmetic: no exceptions, no warnings.\n\n"
        f"        >>> import autodiff as ad\n"
        f"        >>> x = np.array([0.25, 0.5])\n"
        f"        >>> bool(np.all(Tensor(x).{name}().numpy() == ad.functions.{name}(x)))\n"
        f"        True\n"
    )
    return method


for _name in UNARY:
    if _name != "relu":
        setattr(Tensor, _name, _unary_method(_name))
del _name


# ------------------------------------------------------------------------------------------------
# Grad mode


class no_grad:  # noqa: N801 (a context manager, named like PyTorch's)
    """Inside ``with no_grad():`` (or in a function decorated with ``@no_grad()``) operations
    record no graph: results do not require grad. For evaluation and parameter updates.

    >>> w = Tensor([1.0], requires_grad=True)
    >>> with no_grad():
    ...     y = w * 2
    >>> y.requires_grad, is_grad_enabled()
    (False, True)
    """

    _enabled = False

    def __init__(self) -> None:
        self._saved: list[bool] = []

    def __enter__(self) -> None:
        self._saved.append(_GRAD_ENABLED[0])
        _GRAD_ENABLED[0] = self._enabled

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        _GRAD_ENABLED[0] = self._saved.pop()

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        import functools

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):  # noqa: N801
    """Turn recording back on inside a :class:`no_grad` block (used by checkpointing).

    >>> with no_grad():
    ...     with enable_grad():
    ...         on = is_grad_enabled()
    >>> on
    True
    """

    _enabled = True


def is_grad_enabled() -> bool:
    """Whether operations currently record the graph.

    >>> is_grad_enabled()
    True
    """
    return _GRAD_ENABLED[0]


# ------------------------------------------------------------------------------------------------
# Node construction


def _leaf(data: Any, level: int, requires_grad: bool = False) -> Tensor:
    out = _new(Tensor)
    out.data = data
    out.grad = None
    out.requires_grad = requires_grad
    out._prev = ()
    out._op = ""
    out._ctx = None
    out._level = level
    out.label = ""
    return out


def _node(data: Any, prev: tuple[Tensor, ...], op: str, ctx: Any = None) -> Tensor:
    """A new result: records ``prev``, ``op`` and ``ctx`` (the rule's extra arguments) when
    grad mode is on and an input requires grad; otherwise a plain leaf."""
    if type(data) is not np.ndarray:
        data = G.plain(data)
    out = _new(Tensor)
    out.data = data
    out.grad = None
    out._level = prev[0]._level
    out.label = ""
    if _GRAD_ENABLED[0] and (prev[0].requires_grad or (len(prev) > 1 and any(p.requires_grad for p in prev))):
        out.requires_grad = True
        out._prev = prev
        out._op = op
        out._ctx = ctx
    else:
        out.requires_grad = False
        out._prev = ()
        out._op = ""
        out._ctx = None
    return out


def _as_data(data: Any, dtype: Any, level: int) -> Any:
    """Validate and convert the data given to the constructor."""
    if isinstance(data, Tensor) or type(data) is Dual:
        if data._level >= level:
            raise ValueError(
                f"Tensor: the data of a level-{level} Tensor cannot be a level-{data._level} "
                f"{type(data).__name__} (the outer object must have the higher level); use "
                "x.detach() or x.data to start from another tensor's values"
            )
        if dtype is not None:
            raise TypeError("Tensor: dtype= cannot convert the data of a nested tensor")
        if type(data) is Dual and not isinstance(unwrap(data), (np.ndarray, np.generic)):
            raise TypeError(
                "Tensor: a Dual used as data must hold arrays (a Dual of a number belongs in a Value)"
            )
        return data
    if is_differentiable(data):
        raise TypeError(
            f"Tensor: data must be an array, a number, a nested list, or a Dual or Tensor of an "
            f"outer differentiation, got {type(data).__name__}"
        )
    if isinstance(data, (np.ndarray, np.generic)):  # keeps its dtype; arrays are not copied
        arr = np.asarray(data) if dtype is None else np.asarray(data).astype(dtype, copy=False)
    else:
        if isinstance(data, (str, bytes)):
            raise TypeError(f"Tensor: data must be numeric, got {type(data).__name__} {data!r}")
        try:
            arr = np.asarray(data, dtype=np.float64 if dtype is None else dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"Tensor: data must be a number, an array or a nested list of numbers, got "
                f"{type(data).__name__} {_short(data)} ({exc})"
            ) from None
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"Tensor: unsupported dtype {arr.dtype}; use a floating-point, integer or bool array")
    return arr


def _short(x: Any) -> str:
    """A repr of at most 40 characters, for error messages."""
    text = repr(x)
    return text if len(text) <= 40 else text[:37] + "..."


def _constant(x: float | int, like: Tensor) -> Tensor:
    """A Python number as a constant leaf of ``like``'s level and floating dtype (float32 stays
    float32, as numpy does with Python scalars)."""
    d = like.data
    if type(d) is np.ndarray and d.dtype.kind == "f":
        return _leaf(np.asarray(x, dtype=d.dtype), like._level)
    return _leaf(np.asarray(x, dtype=np.float64 if isinstance(x, float) else None), like._level)


def _lift(other: Any, like: Tensor, op: str, reflected: bool) -> Tensor:
    """A constant operand (number, array, list, lower-level Dual or Tensor) as a leaf."""
    if isinstance(other, Tensor) or type(other) is Dual:
        return _leaf(other, like._level)  # a lower level: its values are constants here
    if isinstance(other, numbers.Real):
        return _constant(other if not isinstance(other, np.generic) else other.item(), like)
    if isinstance(other, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(other)
        except ValueError:
            arr = np.asarray(other, dtype=object)
        if arr.dtype.kind == "b" and like.dtype.kind == "f":
            # a mask: as numbers of the partner's dtype (numpy's result anyway), so that duals
            # and outer tensors, which take no bools, accept it when nesting
            arr = arr.astype(like.dtype)
        if arr.dtype.kind in "fiub":
            return _leaf(arr, like._level)
    name = _OP_NAMES.get(op, op)
    theirs = type(other).__name__
    left, right = (theirs, "Tensor") if reflected else ("Tensor", theirs)
    hint = ""
    if is_differentiable(other):
        hint = " (a Value holds one scalar; a Tensor combines with arrays, numbers and Tensors)"
    raise TypeError(
        f"unsupported operand types for {op} in {name}: {left} and {right} ({theirs} "
        f"{_short(other)}); a Tensor combines with numbers, numeric arrays and Tensors{hint}"
    )


def _broadcast_error(op: str, a: Any, b: Any) -> ValueError:
    return ValueError(f"cannot broadcast {tuple(a.shape)} with {tuple(b.shape)} in {op}")


def _binary(a: Tensor, b: Tensor, op: str, fn: Callable[[Any, Any], Any]) -> Tensor:
    try:
        with _quiet(all="ignore"):
            data = fn(a.data, b.data)
    except ValueError:
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise _broadcast_error(_OP_NAMES.get(op, op), a, b) from None
        raise
    return _node(data, (a, b), op)


def _matmul(a: Tensor, b: Tensor) -> Tensor:
    sa, sb = a.shape, b.shape
    if not sa or not sb:
        raise ValueError(
            f"cannot multiply {sa} by {sb} in matmul: both operands need at least one axis (use * for scalars)"
        )
    k_a, k_b = sa[-1], sb[-2] if len(sb) > 1 else sb[0]
    if k_a != k_b:
        raise ValueError(
            f"cannot multiply {sa} by {sb} in matmul: the inner dimensions {k_a} and {k_b} differ"
        )
    try:
        with _quiet(all="ignore"):
            data = a.data @ b.data
    except ValueError:
        raise ValueError(f"cannot broadcast the batch axes of {sa} with {sb} in matmul") from None
    return _node(data, (a, b), "@")


def _reshape_target(old: tuple[int, ...], shape: Sequence[Any]) -> tuple[int, ...]:
    """The shape ``shape`` (with one ``-1`` resolved) if it has as many elements as ``old``."""
    size = int(np.prod(old, dtype=np.int64))
    try:
        dims = [operator.index(n) for n in shape]
    except TypeError:
        raise TypeError(f"reshape: the new shape must be integers, got {tuple(shape)!r}") from None
    unknown = [i for i, n in enumerate(dims) if n == -1]
    known = int(np.prod([n for n in dims if n != -1], dtype=np.int64))
    ok = len(unknown) <= 1 and all(n >= -1 for n in dims)
    if ok and unknown:
        ok = known > 0 and size % known == 0
        if ok:
            dims[unknown[0]] = size // known
    if not ok or int(np.prod(dims, dtype=np.int64)) != size:
        raise ValueError(f"cannot reshape {old} into {tuple(dims) if not unknown else tuple(shape)} in reshape")
    return tuple(dims)


def _compare(me: Tensor, other: Any, fn: Callable[[Any, Any], Any]) -> Any:
    b = unwrap(other)
    if not isinstance(b, (numbers.Number, np.ndarray, np.generic, list, tuple)):
        return NotImplemented
    with _quiet(all="ignore"):
        return fn(unwrap(me.data), np.asarray(b))


def _axis(a: Any, ndim: int, op: str) -> int:
    if isinstance(a, (bool, np.bool_)) or not isinstance(a, (int, np.integer)):
        raise TypeError(f"{op}: an axis must be an int, got {type(a).__name__} {a!r}")
    a = int(a)
    if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
        raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} axes")
    return a % ndim if ndim else 0


def _axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``axis`` as a sorted tuple of non-negative axes (every axis for ``None``)."""
    if axis is None:
        return tuple(range(ndim))
    items = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    if ndim == 0:
        for a in items:
            _axis(a, 0, op)
        return ()
    axes = tuple(sorted(_axis(a, ndim, op) for a in items))
    if len(set(axes)) != len(axes):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return axes


def _index(index: Any) -> tuple[Any, bool]:
    """The index with Tensors and lists turned into arrays, and whether it is basic (integers,
    slices, None and Ellipsis only: no element can be selected twice)."""
    items = index if isinstance(index, tuple) else (index,)
    out = []
    basic = True
    for item in items:
        if isinstance(item, Tensor):
            item = np.asarray(unwrap(item.data))
        elif isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, np.ndarray):
            if item.dtype.kind not in "iub":
                raise IndexError(f"getitem: index arrays must be integers or booleans, got dtype {item.dtype}")
            basic = False
        elif not (item is None or item is Ellipsis or isinstance(item, (slice, int, np.integer))):
            raise IndexError(f"getitem: unsupported index {item!r} of type {type(item).__name__}")
        out.append(item)
    return (tuple(out) if isinstance(index, tuple) else out[0]), basic


def _seed(out: Tensor, gradient: Any) -> Any:
    """The gradient that starts a backward pass from ``out``."""
    shape = out.shape
    if gradient is None:
        if int(np.prod(shape, dtype=np.int64)) != 1:
            raise ValueError(
                f"backward: the output has shape {shape}, so its gradient must be given: call "
                "backward(gradient) with an array of that shape holding d(loss)/d(output) "
                f"(numpy.ones({shape}) back-propagates the sum of the outputs), or reduce the output "
                "to one element first, e.g. y.sum().backward()"
            )
        return np.ones(shape, dtype=out.dtype)
    if isinstance(gradient, Tensor) and gradient._level == out._level:
        gradient = gradient.data
        if is_differentiable(gradient) and gradient._level >= out._level:
            raise ValueError("backward: the gradient must not depend on this differentiation")
    if is_differentiable(gradient):
        if gradient._level >= out._level:
            raise ValueError(
                f"backward: a {type(gradient).__name__} gradient must belong to an outer "
                f"differentiation (a lower level than the output's {out._level})"
            )
        seed = gradient
    else:
        if isinstance(gradient, (str, bytes)) or not isinstance(
            gradient, (numbers.Real, np.ndarray, np.generic, list, tuple)
        ):
            raise TypeError(
                f"backward: gradient must be an array of the output's shape {shape}, got "
                f"{type(gradient).__name__} {_short(gradient)}"
            )
        seed = np.array(gradient, dtype=out.dtype)
    if tuple(np.shape(unwrap(seed))) != tuple(shape):
        raise ValueError(
            f"backward: gradient has shape {tuple(np.shape(unwrap(seed)))}, expected the output's shape {shape}"
        )
    return seed


def _reverse_order(root: Tensor) -> list[Tensor]:
    """The recorded nodes reachable from ``root``, each before every node it was computed from
    (``root`` first), resetting their gradients on the way. An explicit-stack post-order
    depth-first search, as :func:`autodiff.graph.topological_order`; set membership uses the
    identity hash, never ``==`` (which is elementwise for tensors)."""
    order: list[Tensor] = []
    seen = {root}
    stack = [(root, iter(root._prev))]
    push, pop, emit, mark = stack.append, stack.pop, order.append, seen.add
    while stack:
        node, children = stack[-1]
        for child in children:
            if child._prev and child not in seen:
                mark(child)
                child.grad = None
                push((child, iter(child._prev)))
                break
        else:
            pop()
            emit(node)
    order.reverse()
    return order


def _accumulate(child: Tensor, g: Any, shared: bool) -> None:
    """Add the contribution ``g`` to ``child.grad``.

    A leaf's gradient is the user's array: it gets the data's dtype, and a copy when ``g`` may
    be shared (``shared``: the rule passed its own gradient through, or ``g`` is a view), so that
    changing one leaf's ``grad`` in place never changes another's.
    """
    if child._prev or type(g) is not np.ndarray:
        child.grad = g if child.grad is None else G.plain(child.grad + g)
        return
    dtype = child.data.dtype if type(child.data) is np.ndarray else g.dtype
    if child.grad is None:
        if g.dtype != dtype:
            g = g.astype(dtype)
        elif shared or g.base is not None:
            g = g.copy()
        child.grad = g
    else:
        total = G.plain(child.grad + g)
        child.grad = total.astype(dtype, copy=False) if type(total) is np.ndarray else total


# ------------------------------------------------------------------------------------------------
# Functions of several tensors, and the softmax family


def _tensors(items: Sequence[Any], op: str) -> list[Tensor]:
    """The items as Tensors of one level (the highest among them); constants become leaves."""
    tensors = [x for x in items if isinstance(x, Tensor)]
    if not tensors:
        return [Tensor(x) for x in items]
    top = max(tensors, key=lambda t: t._level)
    out = []
    for x in items:
        if isinstance(x, Tensor) and x._level == top._level:
            out.append(x)
        elif type(x) is float or type(x) is int:
            out.append(_constant(x, top))
        else:
            if is_differentiable(x) and x._level > top._level:
                raise TypeError(f"{op}: cannot combine Tensors with a {type(x).__name__} of a higher level")
            out.append(_lift(x, top, op, False))
    return out


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors joined along an existing ``axis``; the gradient is split back into pieces.

    >>> a = Tensor(np.ones((1, 2)), requires_grad=True)
    >>> concatenate([a, np.zeros((2, 2))]).shape
    (3, 2)
    """
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError("concatenate: expected a non-empty list of tensors")
    parts = _tensors(tensors, "concatenate")
    first = parts[0].shape
    if not first:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated; use stack")
    ax = _axis(axis, len(first), "concatenate")
    for p in parts[1:]:
        s = p.shape
        if len(s) != len(first) or any(m != n for i, (m, n) in enumerate(zip(s, first)) if i != ax):
            raise ValueError(f"cannot concatenate {first} with {s} along axis {axis} in concatenate")
    sizes = [p.shape[ax] for p in parts]
    bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    data = G.concatenate([p.data for p in parts], ax)
    return _node(data, tuple(parts), "concatenate", (ax, tuple(bounds)))


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """The tensors (all of one shape) stacked along a new ``axis``.

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=1)
    Tensor([[1., 3.],
            [2., 4.]])
    """
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError("stack: expected a non-empty list of tensors")
    parts = _tensors(tensors, "stack")
    shape = parts[0].shape
    for p in parts[1:]:
        if p.shape != shape:
            raise ValueError(f"cannot stack {shape} with {p.shape} in stack: the shapes must be equal")
    ax = _axis(axis, len(shape) + 1, "stack")
    new_shape = shape[:ax] + (1,) + shape[ax:]
    return concatenate([p.reshape(new_shape) for p in parts], axis=ax)


def where(condition: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``condition`` holds, ``b`` elsewhere (broadcasting). The gradient goes to the
    branch selected, and nothing to the other; a ``nan`` in the gradient of the branch not taken
    still leaks through its own rules (chapter 7: the "double where" avoids it).

    >>> x = Tensor([-1.0, 4.0], requires_grad=True)
    >>> y = where(x > 0, x.sqrt(), 0.0)
    >>> y
    Tensor([0., 2.], requires_grad=True, op='where')
    """
    cond = unwrap(condition.data) if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: the condition must be a bool array, got dtype {cond.dtype}")
    ta, tb = _tensors([a, b], "where")
    try:
        np.broadcast_shapes(cond.shape, ta.shape, tb.shape)
    except ValueError:
        raise ValueError(
            f"cannot broadcast {cond.shape} with {ta.shape} and {tb.shape} in where"
        ) from None
    return _node(G.where(cond, ta.data, tb.data), (ta, tb), "where", cond)


def _as_tensor(x: Any, op: str) -> Tensor:
    if isinstance(x, Tensor):
        return x
    if is_differentiable(x):
        raise TypeError(f"{op}: expected a Tensor or an array, got {type(x).__name__}")
    return Tensor(x)


def _stable_shift(data: Any, axes: tuple[int, ...]) -> np.ndarray:
    """The maximum over ``axes`` (kept), as a constant: shifting by it keeps exp from overflowing.
    Rows that are all ``-inf`` (or not finite) use a shift of 0."""
    m = np.max(unwrap(data), axis=axes, keepdims=True)
    return np.where(np.isfinite(m), m, 0).astype(np.result_type(unwrap(data)), copy=False)


def _lse_keepdims(data: Any, axes: tuple[int, ...]) -> Any:
    m = _stable_shift(data, axes)
    with _quiet(all="ignore"):
        return F.log(G.sum_(F.exp(data - m), axes, keepdims=True)) + m


def logsumexp(x: Any, axis: int | Sequence[int] | None = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis`` (all axes for ``None``), stable for any finite entries.
    Its gradient is the softmax of ``x``.

    >>> x = Tensor([[1000.0, 1000.0], [-1000.0, 0.0]], requires_grad=True)
    >>> y = logsumexp(x, axis=1)
    >>> (y.numpy() - [1000.0, 0.0]).round(6).tolist()
    [0.693147, 0.0]
    """
    x = _as_tensor(x, "logsumexp")
    axes = _axes(axis, x.ndim, "logsumexp")
    y = _lse_keepdims(x.data, axes)
    if not keepdims:
        y = G.reshape(y, tuple(n for i, n in enumerate(x.shape) if i not in axes))
    return _node(y, (x,), "logsumexp", (axes, keepdims))


def softmax(x: Any, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, stable for entries of ±1000.

    >>> softmax(Tensor([1000.0, -1000.0])).tolist()
    [1.0, 0.0]
    """
    x = _as_tensor(x, "softmax")
    ax = (_axis(axis, x.ndim, "softmax"),) if x.ndim else ()
    with _quiet(all="ignore"):
        e = F.exp(x.data - _stable_shift(x.data, ax))
        y = e / G.sum_(e, ax, keepdims=True)
    return _node(y, (x,), "softmax", ax)


def log_softmax(x: Any, axis: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``, stable for entries of ±1000.

    >>> log_softmax(Tensor([0.0, 0.0])).numpy().round(6).tolist()
    [-0.693147, -0.693147]
    """
    x = _as_tensor(x, "log_softmax")
    ax = (_axis(axis, x.ndim, "log_softmax"),) if x.ndim else ()
    with _quiet(all="ignore"):
        y = x.data - _lse_keepdims(x.data, ax)
    return _node(y, (x,), "log_softmax", ax)


_REDUCTIONS = ("mean", "sum", "none")


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Tensor:
    """The cross-entropy of ``softmax(logits)`` against ``target``, computed from the logits.

    ``logits`` has shape ``(..., C)`` (classes on the last axis); ``target`` holds class indices
    (integers of shape ``(...)``) or probabilities (floats of shape ``(..., C)``). The loss of a
    row is ``logsumexp(logits) - sum(p * logits)``, stable for logits of ±1000, and its gradient
    is ``softmax(logits) - p``. ``reduction`` is ``"mean"`` (over rows), ``"sum"`` or ``"none"``.

    >>> logits = Tensor([[1000.0, -1000.0], [0.0, 0.0]], requires_grad=True)
    >>> loss = cross_entropy(logits, np.array([0, 1]))
    >>> round(loss.item(), 6)
    0.346574
    >>> loss.backward(); logits.grad
    array([[ 0.  ,  0.  ],
           [ 0.25, -0.25]])
    """
    x = _as_tensor(logits, "cross_entropy")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"cross_entropy: reduction must be one of {', '.join(_REDUCTIONS)}, got {reduction!r}")
    if x.ndim == 0:
        raise ValueError("cross_entropy: logits need a class axis (shape (..., C)), got shape ()")
    t = np.asarray(unwrap(target.data) if isinstance(target, Tensor) else target)
    shape, classes = x.shape, x.shape[-1]
    dtype = x.dtype
    if t.dtype.kind in "iu":
        if t.shape != shape[:-1]:
            raise ValueError(
                f"cross_entropy: target has shape {t.shape} but logits have shape {shape}; expected "
                f"{shape[:-1]} class indices or {shape} probabilities"
            )
        if t.size and (t.min() < 0 or t.max() >= classes):
            bad = t[(t < 0) | (t >= classes)].flat[0]
            raise ValueError(f"cross_entropy: class index {bad} is out of range for {classes} classes")
        probs = np.zeros(shape, dtype=dtype)
        np.put_along_axis(probs, t[..., None], 1, axis=-1)
    elif t.dtype.kind == "f":
        if t.shape != shape:
            raise ValueError(
                f"cross_entropy: target has shape {t.shape} but logits have shape {shape}; expected "
                f"{shape[:-1]} class indices or {shape} probabilities"
            )
        probs = t.astype(dtype, copy=False)
    else:
        raise TypeError(f"cross_entropy: target must hold integer class indices or float probabilities, got dtype {t.dtype}")
    lse = _lse_keepdims(x.data, (x.ndim - 1,))
    with _quiet(all="ignore"):
        if t.dtype.kind in "iu" and type(x.data) is np.ndarray:
            picked = np.take_along_axis(x.data, t[..., None], axis=-1)
        else:
            picked = G.sum_(x.data * probs, (x.ndim - 1,), keepdims=True)
        rows = G.reshape(lse - picked, shape[:-1])
        count = int(np.prod(shape[:-1], dtype=np.int64))
        if reduction == "none":
            loss = rows
        else:
            loss = G.sum_(rows, tuple(range(len(shape) - 1)))
            if reduction == "mean":
                loss = loss / count if count else loss * np.nan
    return _node(loss, (x,), "cross_entropy", (probs, lse, reduction, count))


def mse(prediction: Any, target: Any, reduction: str = "mean") -> Tensor:
    """The mean (or sum, or elementwise) squared error ``(prediction - target)**2``.

    >>> p = Tensor([1.0, 3.0], requires_grad=True)
    >>> loss = mse(p, np.array([0.0, 0.0]))
    >>> loss.item(), (loss.backward(), p.grad)[1].tolist()
    (5.0, [1.0, 3.0])
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"mse: reduction must be one of {', '.join(_REDUCTIONS)}, got {reduction!r}")
    p, t = _tensors([prediction, target], "mse")
    if p.shape != t.shape:
        raise ValueError(f"mse: prediction has shape {p.shape} but target has shape {t.shape}; they must match")
    sq = (p - t) ** 2
    if reduction == "none":
        return sq
    return sq.mean() if reduction == "mean" else sq.sum()
