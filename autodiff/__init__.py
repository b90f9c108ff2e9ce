"""autodiff: the automatic differentiation package of the book *Autodiff from Scratch*.

One module per idea, mirroring the chapters:

* :mod:`autodiff.numerical`: finite differences and the complex step (chapter 1).

>>> import autodiff as ad
>>> ad.__version__
'0.1.0'
"""

from autodiff import graph, numerical, viz
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
    "graph", "viz", "draw_graph",
    "central_difference",
    "complex_step",
    "forward_difference",
    "numerical_gradient",
    "numerical_jacobian",
]
