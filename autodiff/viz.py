"""Pictures: computational graphs with Graphviz, and the book's matplotlib style (chapter 2 onward).

:func:`draw_graph` draws the graph behind any node of the package (``Value``, ``Tensor``, symbolic
expressions, :class:`autodiff.graph.Node`) as a ``graphviz.Digraph``, which Jupyter displays as
SVG. What a node shows depends on what it has (duck typing, so this module imports no engine):

* a **scalar** node (``data`` is a real number): its ``label`` if set, ``data`` and ``grad`` to 4
  significant digits; the operation that computed it is a small ellipse feeding it;
* a **tensor** node (``data`` has a ``shape`` and a ``dtype``, like a numpy array): its shape and
  dtype, and the shape of ``grad`` once set, never the entries;
* a node **without** ``data`` (a symbolic expression, a hand-built node): a leaf shows its label or
  its text (``x``, ``4``), an operation shows its symbol.

An input used twice (``a + a``) has two arrows, one per use: each use adds its own term to the
adjoint of the input in reverse mode. The drawing is deterministic (nodes are named by their
position in topological order), so a notebook's stored SVG is the same on every run.

:func:`use_book_style` applies the book's matplotlib style, and :data:`METHOD_STYLES` gives the
four differentiation methods the same colour, line style and marker in every chapter.

Both need optional packages, imported only when called: the Python package ``graphviz`` (with the
Graphviz ``dot`` program, a system package) for drawings, matplotlib for plots. ``import autodiff``
imports neither.

>>> from autodiff.graph import Node
>>> x = Node(label="x")
>>> g = draw_graph(Node("sin", x, label="y"))
>>> [line.strip() for line in g.source.splitlines() if "->" in line]
['v0 -> v1']
"""

from __future__ import annotations

import html
import numbers
from collections.abc import Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from autodiff.graph import InputsFn, _roots, trace

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Iterator

    import graphviz

__all__ = [
    "draw_graph",
    "DotNotFoundError",
    "use_book_style",
    "book_rc",
    "PALETTE",
    "LINESTYLES",
    "METHOD_STYLES",
]

# --------------------------------------------------------------------------------------------
# Graph drawings

#: The largest graph :func:`draw_graph` draws unless told otherwise: beyond it, a drawing is a
#: hairball. Pass ``max_nodes`` to draw a larger one anyway.
DEFAULT_MAX_NODES = 200

_RANKDIRS = ("LR", "RL", "TB", "BT")

# Fills (light tints of the Okabe-Ito colours below, distinguishable in greyscale by lightness).
_LEAF_FILL = "#D6EAF8"  # inputs and parameters: light sky blue
_NODE_FILL = "#FFFFFF"  # computed values: white
_ROOT_FILL = "#FBE3C8"  # the output(s): light orange, with a thicker border
_OP_FILL = "#EEEEEE"  # operations: light grey ellipses
_FONT = "Helvetica"

_INSTALL_DOT = (
    "Install Graphviz (a system package, separate from the Python package `graphviz`): "
    "Debian/Ubuntu `sudo apt-get install graphviz`, Fedora `sudo dnf install graphviz`, "
    "macOS `brew install graphviz`, conda `conda install -c conda-forge graphviz`, "
    "Windows https://graphviz.org/download/ (then put its bin folder on PATH); "
    "in the book's repository, `make setup` installs it"
)


class DotNotFoundError(RuntimeError):
    """The Graphviz ``dot`` program, which renders drawings, is not installed (not on PATH).

    Raised when a drawing is rendered (displayed in Jupyter, ``pipe``, ``render``, ``view``), not
    when it is built: the DOT text (``drawing.source``) needs no Graphviz installation.

    >>> issubclass(DotNotFoundError, RuntimeError)
    True
    """


def draw_graph(
    root: Any,
    rankdir: str = "LR",
    *,
    show_grad: bool = True,
    max_nodes: int = DEFAULT_MAX_NODES,
    inputs: InputsFn | None = None,
) -> graphviz.Digraph:
    """Draw the computational graph that ends in ``root``, as a ``graphviz.Digraph``.

    ``root`` is a graph node or a list or tuple of them (several outputs, drawn highlighted), as
    in :func:`autodiff.graph.topological_order`; ``inputs`` is as there too. ``rankdir`` is the
    direction of the arrows: ``"LR"`` (left to right, the default), ``"TB"``, ``"RL"`` or ``"BT"``.
    ``show_grad=False`` leaves out the gradients (say, before ``backward()``). A graph with more
    than ``max_nodes`` nodes (operations not counted) is a ``ValueError``.

    The result is a ``graphviz.Digraph`` (a subclass whose rendering methods turn a missing
    ``dot`` program into a :class:`DotNotFoundError` that says how to install it). A notebook
    displays it as SVG; ``.source`` is the DOT text, ``.pipe(format="svg")`` the rendered SVG,
    ``.render("name", format="png")`` writes a file. Node names are ``v<i>`` for the node at
    position ``i`` in topological order and ``op<i>`` for its operation, so the same graph gives
    the same DOT text and SVG on every run.

    Needs the Python package ``graphviz`` (``pip install graphviz``); an ``ImportError`` says so.

    >>> from autodiff.graph import Node
    >>> a = Node(label="a")
    >>> b = Node("*", a, a, label="b")
    >>> drawing = draw_graph(b, rankdir="TB")
    >>> drawing.source.count("v0 -> v1")  # `a` is used twice: two arrows
    2
    >>> svg = drawing.pipe(format="svg", encoding="utf-8")
    >>> svg.count('class="node"')  # two values
    2
    >>> draw_graph(b, max_nodes=1)
    Traceback (most recent call last):
    ...
    ValueError: draw_graph: the graph has 2 nodes, more than max_nodes=1, too many to read in one drawing; draw a smaller part of it, or pass a larger limit: draw_graph(root, max_nodes=2)
    """
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {', '.join(_RANKDIRS)}, got {rankdir!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, numbers.Integral) or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive integer, got {max_nodes!r}")
    gv = _import_graphviz()
    nodes, edges = trace(root, inputs)
    if len(nodes) > max_nodes:
        raise ValueError(
            f"draw_graph: the graph has {len(nodes)} nodes, more than max_nodes={max_nodes}, too "
            "many to read in one drawing; draw a smaller part of it, or pass a larger limit: "
            f"draw_graph(root, max_nodes={len(nodes)})"
        )

    index = {id(node): i for i, node in enumerate(nodes)}
    roots = {id(r) for r in _roots(root, inputs, "draw_graph")}
    n_inputs = [0] * len(nodes)
    for _, out in edges:
        n_inputs[index[id(out)]] += 1

    drawing = _drawing_class(gv)(
        name="autodiff",
        graph_attr={"rankdir": rankdir, "nodesep": "0.2", "ranksep": "0.3", "fontname": _FONT},
        node_attr={"fontname": _FONT, "fontsize": "11", "shape": "plain"},
        edge_attr={"arrowsize": "0.6", "color": "#444444"},
    )
    # Where the arrows of each node's inputs end: its operation's ellipse, or the node itself.
    target = []
    for i, node in enumerate(nodes):
        kind = _kind(node)
        computed = n_inputs[i] > 0
        fill = _ROOT_FILL if id(node) in roots else _NODE_FILL if computed else _LEAF_FILL
        border = "2" if id(node) in roots else "1"
        op = _text(getattr(node, "_op", ""))
        if kind == "expr":  # no value to show: the operation is the node
            lines = [f"<B>{_text(node.label)}</B>"] if _label(node) else []
            if computed:
                lines.append(op or "?")
            elif not lines:
                lines.append(_text(_short(str(node))))
            drawing.node(f"v{i}", _html_box(lines, fill, border, rounded=computed))
            target.append(f"v{i}")
            continue
        lines = [f"<B>{_text(node.label)}</B>"] if _label(node) else []
        lines += _value_lines(node, kind, show_grad)
        drawing.node(f"v{i}", _html_box(lines, fill, border))
        if computed and op:
            drawing.node(
                f"op{i}", op, shape="ellipse", style="filled", fillcolor=_OP_FILL,
                fontsize="10", width="0.3", height="0.25", margin="0.03,0.01",
            )
            drawing.edge(f"op{i}", f"v{i}")
            target.append(f"op{i}")
        else:
            target.append(f"v{i}")
    for source, out in edges:
        drawing.edge(f"v{index[id(source)]}", target[index[id(out)]])
    return drawing


def _label(node: Any) -> bool:
    label = getattr(node, "label", None)
    return label is not None and str(label) != ""


def _kind(node: Any) -> str:
    if not hasattr(node, "data"):
        return "expr"
    data = node.data
    if isinstance(data, numbers.Real):
        return "scalar"
    if hasattr(data, "shape") and hasattr(data, "dtype"):
        return "tensor"
    return "other"  # e.g. nested differentiation: data is itself a Dual or a Value


def _value_lines(node: Any, kind: str, show_grad: bool) -> list[str]:
    grad = getattr(node, "grad", None) if show_grad else None
    if kind == "tensor":
        lines = [f"{_text(str(node.data.dtype))} {_shape(node.data.shape)}"]
        if grad is not None:
            lines.append(f"grad {_shape(getattr(grad, 'shape', ()))}")
        return lines
    lines = [f"data {_number(node.data)}"]
    if grad is not None:
        lines.append(f"grad {_number(grad)}")
    return lines


def _number(x: Any) -> str:
    """4 significant digits for a real number, a shape for an array, a short text otherwise."""
    if isinstance(x, numbers.Real):
        return f"{float(x):.4g}"
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        return _shape(x.shape)
    return _text(_short(repr(x)))


def _shape(shape: Any) -> str:
    return "(" + ", ".join(str(int(n)) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _text(text: Any) -> str:
    return html.escape(str(text), quote=False)


def _html_box(lines: list[str], fill: str, border: str, rounded: bool = False) -> str:
    style = ' STYLE="ROUNDED"' if rounded else ""
    rows = "".join(f"<TR><TD>{line}</TD></TR>" for line in lines)
    return (
        f'<<TABLE BORDER="{border}" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3" '
        f'BGCOLOR="{fill}"{style}>{rows}</TABLE>>'
    )


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError as exc:
        raise ImportError(
            "draw_graph needs the Python package `graphviz`: `pip install graphviz` (in the "
            "book's repository: `pip install -e '.[viz]'`). Rendering also needs the Graphviz "
            f"`dot` program. {_INSTALL_DOT}.",
            name="graphviz",
        ) from exc
    return graphviz


@contextmanager
def _dot_required(gv: Any) -> Iterator[None]:
    try:
        yield
    except gv.ExecutableNotFound as exc:
        raise DotNotFoundError(
            "Rendering a graph drawing needs the Graphviz `dot` program, which was not found on "
            f"PATH. {_INSTALL_DOT}. Without it, the DOT text is still available: "
            "print(drawing.source)."
        ) from exc


_DRAWING_CLASS: type | None = None


def _drawing_class(gv: Any) -> type:
    """The ``graphviz.Digraph`` subclass draw_graph returns, created once graphviz is imported."""
    global _DRAWING_CLASS
    if _DRAWING_CLASS is None:

        class GraphDrawing(gv.Digraph):  # type: ignore[misc, name-defined]
            """A ``graphviz.Digraph`` whose rendering explains how to install a missing ``dot``."""

            def pipe(self, *args: Any, **kwargs: Any) -> Any:
                with _dot_required(gv):
                    return super().pipe(*args, **kwargs)

            def render(self, *args: Any, **kwargs: Any) -> Any:
                with _dot_required(gv):
                    return super().render(*args, **kwargs)

            def __repr__(self) -> str:  # stable text/plain in notebooks (no memory address)
                return f"<GraphDrawing {self.name!r}: display it in Jupyter, or .pipe(format='svg')>"

        GraphDrawing.__module__ = __name__
        GraphDrawing.__qualname__ = "GraphDrawing"
        _DRAWING_CLASS = GraphDrawing
    return _DRAWING_CLASS


def __getattr__(name: str) -> Any:
    # `autodiff.viz.GraphDrawing` exists once asked for (it needs graphviz, imported lazily).
    if name == "GraphDrawing":
        return _drawing_class(_import_graphviz())
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------------------------
# The book's matplotlib style

#: The colour cycle: Okabe and Ito's palette for colour-blind readers (blue, vermillion, bluish
#: green, reddish purple, orange, sky blue, black; their yellow is too light on white).
PALETTE: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")

#: Line styles cycled together with :data:`PALETTE`, so that lines differ in greyscale too.
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)))


def _method(color: str, linestyle: Any, marker: str) -> Mapping[str, Any]:
    return MappingProxyType({"color": color, "linestyle": linestyle, "marker": marker, "markevery": 0.1})


#: One look per differentiation method, for line plots in every chapter:
#: ``ax.plot(x, y, **METHOD_STYLES["reverse"], label="reverse mode")``. Each has a colour, a line
#: style and a marker (drawn about every tenth of the axes' diagonal, whatever the number of
#: points), so the four read apart in greyscale. For bars or scatter plots, take the colour only:
#: ``color=METHOD_STYLES["reverse"]["color"]``.
METHOD_STYLES: Mapping[str, Mapping[str, Any]] = MappingProxyType({
    "forward": _method(PALETTE[0], "-", "o"),
    "reverse": _method(PALETTE[1], "--", "s"),
    "numerical": _method(PALETTE[2], "-.", "^"),
    "symbolic": _method(PALETTE[3], ":", "D"),
})


def book_rc() -> dict[str, Any]:
    """The matplotlib settings of the book's style, as a dict for ``rcParams`` or ``rc_context``.

    Sized for the book's text column (6.4 x 4 inches at 100 dpi: 640 pixels wide), with the
    colour-blind-safe :data:`PALETTE` cycled together with :data:`LINESTYLES`, a light grid, no
    top or right spine, tight layout, and fixed SVG ids (``svg.hashsalt``) so that saved figures
    are the same on every run.

    >>> import matplotlib as mpl
    >>> with mpl.rc_context(book_rc()):
    ...     mpl.rcParams["figure.dpi"], mpl.rcParams["axes.grid"]
    (100.0, True)
    """
    from matplotlib import cycler

    return {
        "axes.prop_cycle": cycler(color=list(PALETTE)) + cycler(linestyle=list(LINESTYLES)),
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
        "figure.autolayout": True,
        "font.size": 11,
        "axes.titlesize": 12,
        "axes.labelsize": 11,
        "xtick.labelsize": 10,
        "ytick.labelsize": 10,
        "legend.fontsize": 10,
        "legend.framealpha": 0.9,
        "axes.grid": True,
        "axes.axisbelow": True,
        "grid.color": "#B0B0B0",
        "grid.linewidth": 0.6,
        "grid.alpha": 0.5,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "lines.linewidth": 1.8,
        "lines.markersize": 5,
        "image.cmap": "viridis",
        "svg.hashsalt": "autodiff-from-scratch",
    }


def use_book_style(overrides: Mapping[str, Any] | None = None) -> None:
    """Apply the book's matplotlib style (:func:`book_rc`) for the rest of the session.

    Call it in each notebook's first cell. ``overrides`` replaces individual settings, e.g.
    ``use_book_style({"figure.figsize": (6.4, 6.4)})``. For one figure only, use
    ``matplotlib.rc_context(book_rc())`` instead.

    >>> import matplotlib as mpl
    >>> with mpl.rc_context():  # (restores the settings afterwards, for this example)
    ...     use_book_style({"lines.linewidth": 3})
    ...     mpl.rcParams["lines.linewidth"], mpl.rcParams["axes.spines.top"]
    (3.0, False)
    """
    import matplotlib as mpl

    settings = book_rc()
    settings.update(overrides or {})
    mpl.rcParams.update(settings)
