"""Differentiation as function transformations, in the style of JAX (chapter 9).

``grad(f)`` is a function that returns the gradient of ``f``; ``vjp`` and ``jvp`` are the two
primitive products; Jacobians, Hessians and Hessian-vector products are built from them, and the
transformations nest: ``grad(grad(f))``, ``jvp(grad(f), x, v)``, ``jacfwd(jacrev(f))``.

>>> import numpy as np
>>> import autodiff as ad
>>> from autodiff import functional as fn
>>> f = lambda x: ad.sin(x) * x
>>> round(fn.grad(f)(1.0), 6), round(fn.grad(fn.grad(f))(1.0), 6)  # f' and f''
(1.381773, 0.239134)
>>> g = lambda x: (x ** 3).sum() + x[0] * x[1]
>>> fn.grad(g)(np.array([1.0, 2.0]))
array([ 5., 13.])
>>> fn.hessian(g)(np.array([1.0, 2.0]))
array([[ 6.,  1.],
       [ 1., 12.]])

**Which engine runs ``f``.** The argument decides, so one ``f`` written with the dispatching
functions (``ad.sin``, ``ad.exp``, ...) and arithmetic works both ways:

+----------------------------------------+----------------------------+----------------------------+
| argument                               | reverse mode (grad, vjp)   | forward mode (jvp)         |
+========================================+============================+============================+
| a number (or a ``Value``, or a         | :class:`~autodiff.Value`   | :class:`~autodiff.Dual`    |
| ``Dual`` of a number)                  |                            |                            |
+----------------------------------------+----------------------------+----------------------------+
| an array, a list, a ``Tensor``, or a   | :class:`~autodiff.Tensor`  | a ``Tensor`` whose data is |
| ``Dual`` of arrays                     | (requires_grad)            | a ``Dual`` of arrays       |
+----------------------------------------+----------------------------+----------------------------+

so an array function may use every ``Tensor`` method (``x.sum(axis=0)``, ``x @ W``,
``x.logsumexp()``, indexing). ``f`` may return a number, a ``Value``, a ``Tensor``, or a list of
them (lists of tensors are stacked).

**Nesting.** Every transformation takes a fresh level from :func:`autodiff.levels.new_level`
and wraps its input in an object of that level, whose data is the (possibly already wrapped)
input. Inner and outer differentiations therefore never confuse their perturbations, and an
inner one computes on the objects of the outer one:

* ``grad(grad(f))`` is reverse over reverse: the inner ``backward`` computes with ``Value`` (or
  ``Tensor``) objects of the outer level, so its result is itself differentiable;
* ``hvp(f, x, v)`` is **forward over reverse**: the input is a ``Tensor`` (``Value`` for
  numbers) whose data is ``Dual(x, v)``; one backward pass carries a gradient *and* its
  directional derivative, so ``H v`` costs a small constant times one gradient, whatever the
  dimension (no Hessian is formed). ``jvp(grad(f), x, v)`` composes to the same thing;
* ``hessian(f)`` is ``jacfwd(jacrev(f))``: one Hessian-vector product per input element.

This works because the tensor engine computes on its data generically (see
:mod:`autodiff.tensor.generic`): plain arrays take numpy's fast path, duals and outer tensors go
through their own operations. We chose a Tensor over duals rather than a differentiable backward
pass ("create_graph") for the Hessian-vector product because it costs one forward-mode sweep
riding on one reverse sweep, uses the rules as they are, and is the same construction as the
scalar ``Value(Dual)`` of chapter 5; reverse over reverse is available as well, by nesting
``grad``.

The other orders work too: ``jacrev(jacfwd(f))`` and ``grad`` of a ``jvp`` (reverse over
forward) and ``jacfwd(jacfwd(f))`` (forward over forward) hand :func:`jvp` a Tensor of the outer
level, which becomes the primal of the inner dual. Forward over reverse is the cheapest order for
Hessians (chapter 9 counts the passes).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from autodiff import forward
from autodiff.forward import Dual
from autodiff.levels import is_differentiable, level_of, new_level, unwrap
from autodiff.scalar import Value
from autodiff.tensor import Tensor, stack
from autodiff.tensor import generic as G

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacfwd",
    "jacrev",
    "jacobian",
    "hessian",
    "hvp",
]

Argnums = int | Sequence[int]


# ------------------------------------------------------------------------------------------------
# Inputs: which engine, and wrapping at a level


def _is_array(x: Any) -> bool:
    """Whether ``x`` goes to the tensor engine (arrays) rather than the scalar ones."""
    if isinstance(x, Tensor) or isinstance(x, (np.ndarray, list, tuple)):
        return True
    if type(x) is Dual:
        return isinstance(unwrap(x), np.ndarray)
    return False


def _check_input(x: Any, op: str) -> None:
    if isinstance(x, (bool, np.bool_)) or not (
        isinstance(x, (numbers.Real, np.ndarray, list, tuple, Tensor, Value, Dual))
    ):
        raise TypeError(
            f"{op}: cannot differentiate with respect to {type(x).__name__} {x!r:.40}; pass a "
            "number, an array, or a Value/Tensor/Dual of an outer differentiation"
        )


def _plain_array(x: Any, op: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{op}: expected an array of numbers, got dtype {arr.dtype}")
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


def _reverse_leaf(x: Any, level: int, tensors: bool, op: str) -> Any:
    """``x`` as a differentiable leaf of ``level``: a Tensor (array mode) or a Value."""
    _check_input(x, op)
    if tensors:
        if isinstance(x, Value):
            raise TypeError(
                f"{op}: a Value cannot be differentiated together with arrays; make it a 0-d array"
            )
        data = x if (isinstance(x, Tensor) or type(x) is Dual) else _plain_array(x, op)
        return Tensor(data, requires_grad=True, level=level)
    if type(x) is Dual and not isinstance(unwrap(x), numbers.Real):
        raise TypeError(f"{op}: unsupported Dual input")
    return Value(x if is_differentiable(x) else float(x), level=level)


def _argnums(argnums: Argnums, n: int, op: str) -> tuple[tuple[int, ...], bool]:
    single = isinstance(argnums, (int, np.integer)) and not isinstance(argnums, bool)
    items = (argnums,) if single else tuple(argnums)
    if not items or not all(isinstance(i, (int, np.integer)) and not isinstance(i, bool) for i in items):
        raise TypeError(f"{op}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    out = []
    for i in items:
        if not -n <= i < n:
            raise ValueError(f"{op}: argnums {i} is out of range for a call with {n} positional argument(s)")
        out.append(int(i) % n)
    return tuple(out), single


def _call_reverse(f: Callable[..., Any], args: tuple[Any, ...], argnums: tuple[int, ...], op: str) -> tuple[Any, list[Any], int]:
    """Call ``f`` with the ``argnums`` arguments wrapped as leaves of a fresh level."""
    if not callable(f):
        raise TypeError(f"{op}: f must be a function, got {type(f).__name__}")
    level = new_level()
    tensors = any(_is_array(a) for a in args)  # an array anywhere: f works on arrays
    call = list(args)
    leaves = []
    for i in argnums:
        leaf = _reverse_leaf(args[i], level, tensors, op)
        call[i] = leaf
        leaves.append(leaf)
    return f(*call), leaves, level


def _of_one_argument(f: Callable[..., Any], args: tuple[Any, ...], argnums: int, op: str) -> tuple[Callable[[Any], Any], Any]:
    """``f`` as a function of argument ``argnums`` alone (the others fixed), and that argument."""
    (i,), _ = _argnums(argnums, len(args), op)

    def g(x: Any) -> Any:
        call = list(args)
        call[i] = x
        return f(*call)

    return g, args[i]


def _basis(shape: tuple[int, ...]) -> Iterator[np.ndarray]:
    """The standard basis of arrays of ``shape``, in C order (one Jacobian row or column each)."""
    for index in np.ndindex(*shape):
        e = np.zeros(shape)
        e[index] = 1.0
        yield e


# ------------------------------------------------------------------------------------------------
# Outputs


def _collect(out: Any, level: int, op: str) -> Any:
    """``f``'s output as one object: lists of Tensors are stacked; lists of Values stay lists."""
    if isinstance(out, (list, tuple)):
        if not out:
            raise ValueError(f"{op}: f returned an empty {type(out).__name__}")
        if any(isinstance(o, Tensor) for o in _flat(out)):
            return stack([_collect(o, level, op) for o in out])
        return np.array(out, dtype=object) if any(is_differentiable(o) for o in _flat(out)) else np.asarray(out, dtype=float)
    lvl = level_of(out)
    if lvl > level:
        raise ValueError(
            f"{op}: f returned a {type(out).__name__} of level {lvl}, higher than this "
            f"differentiation's ({level}): a perturbation escaped from an inner differentiation"
        )
    if lvl < 0 and not isinstance(out, (numbers.Real, np.ndarray)):
        raise TypeError(
            f"{op}: f must return a number, an array, a Value or a Tensor (or a list of them), got "
            f"{type(out).__name__}"
        )
    return out


def _flat(items: Any) -> list[Any]:
    out, stack_ = [], [items]
    while stack_:
        item = stack_.pop()
        if isinstance(item, (list, tuple)):
            stack_.extend(reversed(item))
        else:
            out.append(item)
    return out


def _shape(out: Any) -> tuple[int, ...]:
    if isinstance(out, (Tensor, np.ndarray)):
        return tuple(out.shape)
    return ()


def _primal(out: Any, level: int) -> Any:
    """The value of an output, one level down: floats and arrays for plain results."""
    if isinstance(out, np.ndarray) and out.dtype == object:
        values = [_primal(o, level) for o in out.flat]
        if all(isinstance(v, (float, int)) for v in values):
            return np.array(values, dtype=float).reshape(out.shape)
        arr = np.empty(len(values), dtype=object)
        arr[:] = values
        return arr.reshape(out.shape)
    if isinstance(out, (Tensor, Value)) and out._level == level:
        out = out.data
    if isinstance(out, np.ndarray) and out.ndim == 0 and out.dtype.kind == "f":
        return float(out)
    if isinstance(out, numbers.Real) and not isinstance(out, np.ndarray):
        return float(out)
    return out


def _backpropagate(out: Any, level: int, cotangent: Any) -> None:
    """Run the backward pass of ``out`` seeded with ``cotangent`` (already validated)."""
    if isinstance(out, Tensor):
        if out._level == level and out.requires_grad:
            out.backward(cotangent)
    elif isinstance(out, Value):
        if out._level == level:
            out.backward(cotangent)
    elif isinstance(out, np.ndarray) and out.dtype == object:
        terms = [
            u * o for u, o in zip(np.asarray(cotangent, dtype=object).flat, out.flat)
            if isinstance(o, Value) and o._level == level
        ]
        if terms:
            total = terms[0]
            for term in terms[1:]:
                total = total + term
            total.backward()


def _gradient(leaf: Any, original: Any) -> Any:
    """The gradient a leaf received (zeros if none), in the form of the original argument."""
    g = leaf.grad
    if isinstance(leaf, Tensor):
        if g is None:
            g = np.zeros(leaf.shape, dtype=leaf.dtype)
        if isinstance(original, numbers.Real) and isinstance(g, np.ndarray):
            return float(g)
        return g
    return g


def _reset(leaves: list[Any]) -> None:
    for leaf in leaves:
        leaf.grad = None if isinstance(leaf, Tensor) else 0.0


def _scalar_output(out: Any, op: str) -> None:
    shape = _shape(out)
    if isinstance(out, np.ndarray) and out.dtype == object or int(np.prod(shape, dtype=np.int64)) != 1:
        raise ValueError(
            f"{op}: f must return a scalar (a number, a Value or a one-element Tensor), got "
            f"{'a list' if isinstance(out, np.ndarray) and out.dtype == object else type(out).__name__} "
            f"of shape {shape}; use jacrev or jacobian for vector outputs, or vjp with a cotangent"
        )


# ------------------------------------------------------------------------------------------------
# Reverse mode


def value_and_grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., tuple[Any, Any]]:
    """A function returning ``(f(*args), gradient)`` with one evaluation of ``f``.

    The gradient is with respect to argument ``argnums`` (a tuple of gradients for a tuple of
    argnums); ``f`` must return a scalar. Numbers give numbers, arrays give arrays of their shape.

    >>> import autodiff as ad
    >>> value, gradient = value_and_grad(lambda x, y: x * ad.exp(y), argnums=(0, 1))(2.0, 0.0)
    >>> value, gradient
    (2.0, (1.0, 2.0))
    """

    def transformed(*args: Any) -> tuple[Any, Any]:
        nums, single = _argnums(argnums, len(args), "grad")
        out, leaves, level = _call_reverse(f, args, nums, "grad")
        out = _collect(out, level, "grad")
        _scalar_output(out, "grad")
        _backpropagate(out, level, None)
        grads = tuple(_gradient(leaf, args[i]) for leaf, i in zip(leaves, nums))
        return _primal(out, level), grads[0] if single else grads

    transformed.__name__ = f"value_and_grad({getattr(f, '__name__', 'f')})"
    return transformed


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The gradient of the scalar function ``f``, as a function (reverse mode).

    ``grad(f)(x)`` has the shape of ``x``: a number for a number, an array for an array. For
    several arguments, ``argnums`` picks which (a tuple gives a tuple of gradients). Nests:
    ``grad(grad(f))`` is the second derivative.

    >>> import numpy as np
    >>> import autodiff as ad
    >>> grad(lambda x: x ** 3)(2.0), grad(grad(lambda x: x ** 3))(2.0)
    (12.0, 12.0)
    >>> grad(lambda w, x: ad.tanh(x @ w).sum())(np.zeros(2), np.eye(2))
    array([1., 1.])
    """
    vg = value_and_grad(f, argnums)

    def transformed(*args: Any) -> Any:
        return vg(*args)[1]

    transformed.__name__ = f"grad({getattr(f, '__name__', 'f')})"
    return transformed


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], Any]]:
    """``(f(*primals), pullback)``: ``pullback(u)`` is the vector-Jacobian product ``uᵀ J``.

    ``u`` has the shape of ``f``'s output; the result has the shape of the primal (a tuple, one
    per primal, when there are several). ``f`` is evaluated once; each ``pullback`` call is one
    backward pass over the recorded graph.

    >>> import numpy as np
    >>> y, pullback = vjp(lambda x: x * x, np.array([1.0, 2.0, 3.0]))
    >>> y, pullback(np.array([1.0, 0.0, 10.0]))
    (array([1., 4., 9.]), array([ 2.,  0., 60.]))
    """
    if not primals:
        raise TypeError("vjp: give at least one primal: vjp(f, x)")
    nums = tuple(range(len(primals)))
    out, leaves, level = _call_reverse(f, primals, nums, "vjp")
    out = _collect(out, level, "vjp")
    shape = _shape(out) if not (isinstance(out, np.ndarray) and out.dtype == object) else out.shape
    value = _primal(out, level)

    def pullback(u: Any) -> Any:
        cot = u if is_differentiable(u) else np.asarray(u, dtype=float)
        if tuple(np.shape(unwrap(cot))) != tuple(shape):
            raise ValueError(f"vjp: the cotangent has shape {np.shape(unwrap(cot))}, expected the output's shape {tuple(shape)}")
        if isinstance(out, Value) and not is_differentiable(cot):
            cot = float(cot)
        _reset(leaves)
        _backpropagate(out, level, cot)
        grads = tuple(_gradient(leaf, p) for leaf, p in zip(leaves, primals))
        return grads[0] if len(grads) == 1 else grads

    return value, pullback


def jacrev(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Jacobian of ``f`` by reverse mode: one backward pass per *output* element.

    ``jacrev(f)(x)`` has shape ``f(x).shape + x.shape``. The method of choice for wide Jacobians
    (few outputs, many inputs); for a scalar ``f`` it is the gradient.

    >>> import numpy as np
    >>> jacrev(lambda x: x[0] * x)(np.array([2.0, 3.0]))
    array([[4., 0.],
           [3., 2.]])
    """

    def transformed(*args: Any) -> Any:
        g, x = _of_one_argument(f, args, argnums, "jacrev")
        value, pullback = vjp(g, x)
        out_shape = tuple(np.shape(unwrap(value)))
        return _assemble([pullback(u) for u in _basis(out_shape)], out_shape, leading=True)

    transformed.__name__ = f"jacrev({getattr(f, '__name__', 'f')})"
    return transformed


# ------------------------------------------------------------------------------------------------
# Forward mode


def jvp(f: Callable[[Any], Any], x: Any, v: Any) -> tuple[Any, Any]:
    """``(f(x), J v)``: the value and the Jacobian-vector product, in one forward pass.

    Numbers go through :func:`autodiff.forward.jvp` (``f`` sees a :class:`~autodiff.Dual`);
    arrays make ``f`` see a :class:`~autodiff.tensor.Tensor` whose data is ``Dual(x, v)``, so it
    can use every Tensor operation. ``jvp(grad(f), x, v)`` is a Hessian-vector product.

    >>> import numpy as np
    >>> jvp(lambda x: (x ** 2).sum(), np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    (5.0, 6.0)
    """
    if not callable(f):
        raise TypeError(f"jvp: f must be a function, got {type(f).__name__}")
    _check_input(x, "jvp")
    if not _is_array(x):
        return forward.jvp(f, x, v)
    if isinstance(x, Tensor) and not x.requires_grad and type(x.data) is np.ndarray:
        x = x.data  # a constant Tensor: its array
    dual_level = new_level()
    if isinstance(x, Tensor) or type(x) is Dual:
        # x belongs to an outer differentiation (jacrev(jacfwd(f)), jacfwd(jacfwd(f)), grad of a
        # jvp): it becomes the primal of the new dual, so the outer one differentiates through it
        va = _plain_array(v, "jvp")
        if tuple(va.shape) != tuple(x.shape):
            raise ValueError(f"jvp: x and v must have the same shape, got {tuple(x.shape)} and {va.shape}")
        dual = forward._make(x, va, Dual(0.0, level=dual_level), "jvp")
    else:
        xa, va = _plain_array(x, "jvp"), _plain_array(v, "jvp")
        if xa.shape != va.shape:
            raise ValueError(f"jvp: x and v must have the same shape, got {xa.shape} and {va.shape}")
        dual = Dual(xa, va, level=dual_level)
    level = new_level()
    out = _collect(f(Tensor(dual, level=level)), level, "jvp")
    return _split(out, level, dual_level)


def _split(out: Any, level: int, dual_level: int) -> tuple[Any, Any]:
    """``(value, tangent)`` of a jvp output for the perturbation of ``dual_level``."""
    data = out.data if isinstance(out, Tensor) and out._level == level else out
    if type(data) is Dual and data._level == dual_level:
        return _primal(data.primal, -1), _primal(data.tangent, -1)
    value = _primal(data, -1)
    zero = np.zeros(np.shape(unwrap(value))) if np.shape(unwrap(value)) else 0.0
    return value, zero


def jacfwd(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Jacobian of ``f`` by forward mode: one :func:`jvp` per *input* element.

    ``jacfwd(f)(x)`` has shape ``f(x).shape + x.shape``, the same as :func:`jacrev`; forward mode
    suits tall Jacobians (few inputs). (:func:`autodiff.forward.jacfwd` is the eager version of
    chapter 3: ``jacfwd(f, x)``.)

    >>> import numpy as np
    >>> jacfwd(lambda x: x[0] * x)(np.array([2.0, 3.0]))
    array([[4., 0.],
           [3., 2.]])
    """

    def transformed(*args: Any) -> Any:
        g, x = _of_one_argument(f, args, argnums, "jacfwd")
        if not _is_array(x):
            return jvp(g, x, 1.0)[1]
        in_shape = tuple(np.shape(unwrap(x)))
        return _assemble([jvp(g, x, v)[1] for v in _basis(in_shape)], in_shape, leading=False)

    transformed.__name__ = f"jacfwd({getattr(f, '__name__', 'f')})"
    return transformed


def _assemble(parts: list[Any], shape: tuple[int, ...], leading: bool) -> Any:
    """Stack the rows (``leading``) or columns of a Jacobian into ``shape + part`` or ``part + shape``."""
    if not shape:
        return parts[0]
    if all(not is_differentiable(p) for p in parts) and not any(
        isinstance(p, np.ndarray) and p.dtype == object for p in parts
    ):
        arr = np.stack([np.asarray(p, dtype=float) for p in parts], axis=0 if leading else -1)
        inner = arr.shape[1:] if leading else arr.shape[:-1]
        return arr.reshape(shape + inner if leading else inner + shape)
    if any(isinstance(p, (Tensor, Dual)) for p in parts):  # nested: stack with the outer objects
        inner = tuple(np.shape(unwrap(parts[0])))
        stacked = G.concatenate([G.reshape(p, (1,) + inner) for p in parts], 0)
        stacked = G.reshape(stacked, shape + inner)
        if leading:
            return stacked
        n, m = len(shape), len(inner)
        return G.transpose(stacked, tuple(range(n, n + m)) + tuple(range(n)))
    arr = np.empty(len(parts), dtype=object)  # scalars of an outer level (Value, Dual)
    arr[:] = parts
    return arr.reshape(shape)


def jacobian(f: Callable[..., Any], argnums: int = 0, mode: str = "auto") -> Callable[..., Any]:
    """The Jacobian of ``f``: ``mode`` ``"forward"`` (:func:`jacfwd`), ``"reverse"``
    (:func:`jacrev`), or ``"auto"``: reverse when the output has fewer elements than the input
    (fewer passes), forward otherwise.

    >>> import numpy as np
    >>> jacobian(lambda x: x.sum(axis=0))(np.ones((2, 2))).shape
    (2, 2, 2)
    """
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
    if mode == "forward":
        return jacfwd(f, argnums)
    if mode == "reverse":
        return jacrev(f, argnums)

    def transformed(*args: Any) -> Any:
        g, x = _of_one_argument(f, args, argnums, "jacobian")
        value, pullback = vjp(g, x)
        out_shape = tuple(np.shape(unwrap(value)))
        if int(np.prod(out_shape, dtype=np.int64)) < int(np.prod(np.shape(unwrap(x)), dtype=np.int64)):
            return _assemble([pullback(u) for u in _basis(out_shape)], out_shape, leading=True)
        return jacfwd(f, argnums)(*args)

    return transformed


# ------------------------------------------------------------------------------------------------
# Second order: forward over reverse


def hvp(f: Callable[[Any], Any], x: Any, v: Any) -> Any:
    """The Hessian-vector product ``H(x) v`` of the scalar function ``f``, by forward over reverse.

    One backward pass on a ``Tensor`` whose data is ``Dual(x, v)`` (a ``Value`` over a ``Dual``
    for a number): the gradient comes out as a dual, and its tangent is ``H v``. Costs a small
    multiple of one gradient; the Hessian is never formed.

    >>> import numpy as np
    >>> f = lambda x: (x[0] ** 2) * x[1] + x[1] ** 3
    >>> hvp(f, np.array([1.0, 2.0]), np.array([1.0, 0.0]))  # first column of [[4, 2], [2, 12]]
    array([4., 2.])
    """
    if not callable(f):
        raise TypeError(f"hvp: f must be a function, got {type(f).__name__}")
    _check_input(x, "hvp")
    dual_level = new_level()
    if _is_array(x):
        if is_differentiable(x):
            raise TypeError("hvp: x must be a plain array (nesting hvp inside another transformation is not supported for arrays)")
        xa, va = _plain_array(x, "hvp"), _plain_array(v, "hvp")
        if xa.shape != va.shape:
            raise ValueError(f"hvp: x and v must have the same shape, got {xa.shape} and {va.shape}")
        level = new_level()
        leaf: Any = Tensor(Dual(xa, va, level=dual_level), requires_grad=True, level=level)
    else:
        level = new_level()
        leaf = Value(Dual(x, v, level=dual_level), level=level)
    out = _collect(f(leaf), level, "hvp")
    _scalar_output(out, "hvp")
    _backpropagate(out, level, None)
    g = leaf.grad
    if type(g) is Dual and g._level == dual_level:
        return _primal(g.tangent, -1)
    return np.zeros(np.shape(x)) if _is_array(x) else 0.0


def hessian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The Hessian of the scalar function ``f``: ``jacfwd(jacrev(f))``, computed as one
    :func:`hvp` per input element. Shape ``x.shape + x.shape``; a number for a number.

    >>> import numpy as np
    >>> hessian(lambda x: x[0] ** 2 * x[1])(np.array([3.0, 5.0]))
    array([[10.,  6.],
           [ 6.,  0.]])
    """

    def transformed(*args: Any) -> Any:
        g, x = _of_one_argument(f, args, argnums, "hessian")
        if not _is_array(x):
            return hvp(g, x, 1.0)
        point = _plain_array(x, "hessian")
        return _assemble([hvp(g, point, v) for v in _basis(point.shape)], point.shape, leading=False)

    transformed.__name__ = f"hessian({getattr(f, '__name__', 'f')})"
    return transformed
