"""autodiff: the automatic differentiation package of the book *Autodiff from Scratch*.

One module per idea, mirroring the chapters:

* :mod:`autodiff.numerical`: finite differences and the complex step (chapter 1).
* :mod:`autodiff.functions`, :mod:`autodiff.rules`, :mod:`autodiff.levels`: elementary functions
  that dispatch on type, their derivative rules, nesting levels (chapters 1, 3, 9).
* :mod:`autodiff.forward`: ``Dual``, ``derivative``, ``jvp``, ``jacfwd`` (chapter 3).
* :mod:`autodiff.scalar`: ``Value``, reverse mode on scalars (chapters 4, 5).
* :mod:`autodiff.nn`, :mod:`autodiff.datasets`, :mod:`autodiff.check`: MLPs, losses and SGD on
  ``Value``; seeded toy data; ``gradcheck`` (chapter 6 onward).
* :mod:`autodiff.tensor`: the numpy-backed ``Tensor``, its layers and optimizers (chapter 8).
* :mod:`autodiff.functional`: ``grad``, ``vjp``, ``jvp``, Jacobians, ``hessian``, ``hvp`` (chapter 9).
* :mod:`autodiff.checkpoint`: segment checkpointing with memory counters (chapter 10).

>>> import autodiff as ad
>>> ad.__version__
'0.1.0'
"""

from autodiff import graph, numerical, symbolic, viz
from autodiff import forward, functions, levels, rules, scalar
from autodiff import check, datasets, nn
from autodiff.check import gradcheck
from autodiff.forward import Dual, derivative, jacfwd, jvp
from autodiff.functions import (  # `abs` is ad.abs but not in __all__: it would shadow the builtin
    abs, cos, exp, expm1, log, log1p, maximum, minimum, relu, sigmoid, sign, sin, softplus, sqrt,
    tan, tanh,
)
from autodiff.scalar import Value
from autodiff import checkpoint, functional, tensor
from autodiff.tensor import Tensor, no_grad
from autodiff.functional import grad, hessian, hvp, jacobian, jacrev, value_and_grad, vjp
from autodiff.viz import draw_graph
from autodiff.numerical import (
    central_difference,
    complex_step,
    forward_difference,
    numerical_gradient,
    numerical_jacobian,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "numerical",
    "symbolic",
    "graph", "viz", "draw_graph",
    "central_difference",
    "complex_step",
    "forward_difference",
    "numerical_gradient",
    "numerical_jacobian",
    # engines (forward, scalar) and the elementary functions that dispatch on type
    "forward", "functions", "levels", "rules", "scalar", "check", "datasets", "nn", "gradcheck",
    "Dual", "derivative", "jvp", "jacfwd", "Value",
    "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "log1p", "expm1",
    "softplus", "sign", "maximum", "minimum",
    # arrays (chapter 8) and function transformations (chapter 9); functional.jvp (tensor-aware)
    # and functional.jacfwd (curried, JAX style) extend forward.jvp and forward.jacfwd above
    "tensor", "Tensor", "no_grad", "functional", "checkpoint",
    "grad", "value_and_grad", "vjp", "jacrev", "jacobian", "hessian", "hvp",
]
