"""Reverse mode on arrays: the numpy-backed :class:`Tensor` (chapter 8).

A ``Tensor`` wraps a numpy array. Operations on tensors that require grad record a graph, one
node per operation (not per element, as ``Value`` does), and ``backward()`` applies one
vector-Jacobian product per node. A layer of 256 neurons on a batch of 128 is one matrix
product, so the engine's own cost is a few microseconds per operation and numpy does the rest:

>>> import numpy as np
>>> from autodiff.tensor import Tensor, cross_entropy
>>> rng = np.random.default_rng(0)
>>> X, labels = rng.normal(size=(128, 784)), rng.integers(0, 10, size=128)
>>> W1 = Tensor(rng.normal(size=(784, 256)) * 0.05, requires_grad=True)
>>> W2 = Tensor(rng.normal(size=(256, 10)) * 0.05, requires_grad=True)
>>> loss = cross_entropy((Tensor(X) @ W1).relu() @ W2, labels)
>>> loss.backward()
>>> W1.grad.shape, W2.grad.dtype
((784, 256), dtype('float64'))

**Semantics** follow PyTorch where the book has no reason to differ:

* ``requires_grad`` marks the tensors to differentiate; results require grad when an input
  does, and only those record the graph. :class:`no_grad` turns recording off.
* ``backward()`` needs ``gradient=`` unless the output has one element. Intermediate gradients
  are recomputed on every call; leaves accumulate (call ``zero_grad()`` between steps). ``grad``
  is ``None`` until a backward pass reaches a tensor.
* numpy broadcasting, with the gradient of a broadcast input summed back to its shape
  (0-d inputs and size-1 axes included); batched ``@``; integer-array indexing, whose gradient
  adds up at repeated indices.
* float64 by default; float32 stays float32, and gradients have the dtype of the data.
* IEEE arithmetic, like numpy (``log(0) = -inf``, ``0/0 = nan``), and no floating-point warnings.
* ``==`` and ``<`` compare elementwise and return bool arrays; hashing is by identity, so tensors
  are dictionary keys and set members whatever their values, and graph traversal never calls
  ``==``.
* Errors name the operation and the shapes: ``cannot broadcast (3, 2) with (4,) in add``.

**Nesting (chapter 9).** A tensor's data may itself be a :class:`~autodiff.forward.Dual` of
arrays or a Tensor of an outer level, and every rule computes with generic operations
(:mod:`autodiff.tensor.generic`), so :mod:`autodiff.functional` nests transformations freely:
a Tensor over duals gives Hessian-vector products by forward over reverse, a Tensor over
Tensors gives ``grad(grad(f))``. Plain arrays take the fast path.

Modules: :mod:`~autodiff.tensor.core` (the class and the forward computations),
:mod:`~autodiff.tensor.vjp` (the table of derivative rules), :mod:`~autodiff.tensor.generic`
(array operations on any kind of data), :mod:`~autodiff.tensor.nn` (layers, losses, SGD, Adam).
"""

from autodiff.tensor.core import (
    Tensor,
    concatenate,
    cross_entropy,
    enable_grad,
    is_grad_enabled,
    log_softmax,
    logsumexp,
    mse,
    no_grad,
    softmax,
    stack,
    where,
)
from autodiff.tensor import core as _core
from autodiff.tensor import generic, nn, vjp  # noqa: F401  (vjp fills the rule table)
from autodiff.tensor.gradcheck import gradcheck_tensors  # noqa: F401  (registers with autodiff.check)

# The public names are the core module's, re-exported here (one list, kept in core).
__all__ = list(_core.__all__)
