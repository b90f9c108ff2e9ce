"""autodiff.viz: graph drawings for every node kind, missing-dependency errors, the plot style."""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
from typing import Any

import numpy as np
import pytest

from autodiff import viz
from autodiff.graph import Node
from autodiff.viz import METHOD_STYLES, PALETTE, DotNotFoundError, draw_graph

graphviz = pytest.importorskip("graphviz")


class S:
    """A scalar node written for the tests (independent of autodiff.scalar)."""

    def __init__(self, data: float, prev: tuple[Any, ...] = (), op: str = "", label: str = "") -> None:
        self.data, self.grad, self._prev, self._op, self.label = data, 0.0, prev, op, label

    def __add__(self, o: S) -> S:
        return S(self.data + o.data, (self, o), "+")

    def __sub__(self, o: S) -> S:
        return S(self.data - o.data, (self, o), "-")

    def __mul__(self, o: S) -> S:
        return S(self.data * o.data, (self, o), "*")

    def log(self) -> S:
        return S(math.log(self.data), (self,), "log")

    def sin(self) -> S:
        return S(math.sin(self.data), (self,), "sin")


class T:
    """A tensor node written for the tests."""

    def __init__(self, data: Any, prev: tuple[Any, ...] = (), op: str = "", label: str = "") -> None:
        self.data, self.grad, self._prev, self._op, self.label = np.asarray(data), None, prev, op, label


def postorder(root: Any) -> list[Any]:
    """Recursive DFS post-order: the documented node numbering of draw_graph (small graphs)."""
    out: list[Any] = []
    seen: set[int] = set()

    def visit(n: Any) -> None:
        if id(n) not in seen:
            seen.add(id(n))
            for p in n._prev:
                visit(p)
            out.append(n)

    visit(root)
    return out


def running_example() -> tuple[S, S, S]:
    """Chapter 2's y = ln x1 + x1 x2 - sin x2 at (2, 5), gradients by hand: (1/x1 + x2, x1 - cos x2)."""
    x1, x2 = S(2.0, label="x₁"), S(5.0, label="x₂")
    y = x1.log() + x1 * x2 - x2.sin()
    y.label = "y"
    y.grad, x1.grad, x2.grad = 1.0, 1 / 2.0 + 5.0, 2.0 - math.cos(5.0)
    return x1, x2, y


def node_labels(source: str) -> dict[str, str]:
    return dict(re.findall(r"^\s*(v\d+) \[label=<(.*)>\]$", source, flags=re.MULTILINE))


def test_scalar_nodes_show_label_data_and_grad_to_4_significant_digits() -> None:
    x1, x2, y = running_example()
    source = draw_graph(y).source
    labels = node_labels(source)
    order = postorder(y)
    assert len(labels) == len(order) == 7
    for i, node in enumerate(order):
        text = labels[f"v{i}"]
        for name, value in (("data", node.data), ("grad", node.grad)):
            shown = re.search(rf"{name} (\S+?)<", text).group(1)
            assert float(shown) == pytest.approx(value, rel=5e-4, abs=0)
            assert len(re.sub(r"[-.]|e.*", "", shown).lstrip("0")) <= 4  # at most 4 digits
        assert (f"<B>{node.label}</B>" in text) == bool(node.label)
    assert "grad 5.5<" in labels["v0"] and "data 11.65<" in labels["v6"]  # 11.6521... rounded
    assert "grad" not in draw_graph(y, show_grad=False).source


def test_each_operation_is_an_ellipse_feeding_its_node_and_each_use_an_arrow() -> None:
    *_, y = running_example()
    order = postorder(y)
    source = draw_graph(y).source
    ops = re.findall(r"^\s*(op\d+) \[label=\"?([^\" ]+)\"? .*shape=ellipse", source, flags=re.MULTILINE)
    assert sorted(op for _, op in ops) == sorted(n._op for n in order if n._prev)
    edges = re.findall(r"^\s*(\w+) -> (\w+)$", source, flags=re.MULTILINE)
    assert len(edges) == sum(len(n._prev) for n in order) + len(ops)
    for i, node in enumerate(order):
        for p in node._prev:
            assert (f"v{order.index(p)}", f"op{i}") in edges
        if node._prev:
            assert (f"op{i}", f"v{i}") in edges

    a = S(3.0, label="a")
    b = a + a
    source = draw_graph(b * b).source
    assert source.count("v0 -> op1") == 2 and source.count("v1 -> op2") == 2


def test_rendered_svg_has_one_shape_per_value_and_operation() -> None:
    *_, y = running_example()
    order = postorder(y)
    svg = draw_graph(y).pipe(format="svg", encoding="utf-8")
    assert svg.startswith("<?xml")
    computed = sum(1 for n in order if n._prev)
    assert svg.count('class="node"') == len(order) + computed
    assert svg.count('class="edge"') == sum(len(n._prev) for n in order) + computed
    assert "x₁" in svg and "11.65" in svg


def test_tensor_nodes_show_shape_and_dtype_never_the_entries() -> None:
    w = T(np.full((3, 2), 123.456), label="W")
    x = T(np.arange(2, dtype=np.int32), label="x")
    h = T(w.data @ x.data, (w, x), "matmul")
    loss = T(np.sum(h.data), (h,), "sum", label="loss")
    labels = node_labels(draw_graph(loss).source)
    assert "float64 (3, 2)" in labels["v0"] and "int32 (2,)" in labels["v1"]
    assert "float64 (3,)" in labels["v2"] and "float64 ()" in labels["v3"]
    assert not any("123" in text or "grad" in text for text in labels.values())
    loss.grad, h.grad = np.float64(1.0), np.ones(3)
    labels = node_labels(draw_graph(loss).source)
    assert "grad ()" in labels["v3"] and "grad (3,)" in labels["v2"] and "grad" not in labels["v0"]


def test_symbolic_expressions_show_leaf_text_and_operations() -> None:
    symbolic = pytest.importorskip("autodiff.symbolic")
    x = symbolic.Var("x")
    e = symbolic.logistic_map(4, x)
    labels = node_labels(draw_graph(e).source)
    assert len(labels) == symbolic.dag_size(e)  # the DAG, not the (larger) tree
    texts = [re.sub(r"<[^>]*>", "", t) for t in labels.values()]
    assert {"x", "4", "1"} <= set(texts)
    assert sorted(t for t in texts if t in "+-*") == sorted(
        n._op for n in postorder(e) if n._prev
    )
    assert "data" not in "".join(texts)


def test_hand_built_nodes_and_special_characters() -> None:
    a = Node(label="<a & b>")
    out = Node("max|min", a, Node(label="{c}"), label='"q"')
    drawing = draw_graph(out)
    assert "&lt;a &amp; b&gt;" in drawing.source and '<B>"q"</B>' in drawing.source
    svg = drawing.pipe(format="svg", encoding="utf-8")
    assert "&lt;a &amp; b&gt;" in svg and "{c}" in svg and "max|min" in svg


def test_drawings_are_deterministic() -> None:
    first = draw_graph(running_example()[2])
    padding = [S(0.0) for _ in range(1000)]  # the second graph gets other ids
    second = draw_graph(running_example()[2])
    assert padding and first.source == second.source
    assert first.pipe(format="svg") == second.pipe(format="svg")
    assert "0x" not in repr(first)  # a notebook's text/plain output has no address


def test_layout_options_and_limits() -> None:
    *_, y = running_example()
    assert "rankdir=TB" in draw_graph(y, "TB").source
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT, got 'XY'"):
        draw_graph(y, "XY")
    node = Node(label="x")
    for _ in range(299):
        node = Node("exp", node)
    with pytest.raises(ValueError, match=r"the graph has 300 nodes, more than max_nodes=200.*max_nodes=300\)"):
        draw_graph(node)
    assert len(node_labels(draw_graph(node, max_nodes=300).source)) == 300
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="max_nodes must be a positive integer"):
            draw_graph(y, max_nodes=bad)
    several = draw_graph([y, y._prev[1]])
    assert several.source.count('BORDER="2"') == 2  # both outputs highlighted


def test_a_missing_dot_program_gives_install_instructions(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    drawing = draw_graph(running_example()[2])
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    for render in (
        lambda: drawing.pipe(format="svg"),
        lambda: drawing._repr_mimebundle_(),  # what Jupyter calls to display it
        lambda: drawing.render(tmp_path / "g", format="png"),
    ):
        with pytest.raises(DotNotFoundError) as info:
            render()
        message = str(info.value)
        assert isinstance(info.value, RuntimeError)
        assert isinstance(info.value.__cause__, graphviz.ExecutableNotFound)
        for text in ("`dot` program", "apt-get install graphviz", "brew install graphviz",
                     "conda install -c conda-forge graphviz", "make setup"):
            assert text in message
    assert "digraph" in drawing.source  # the DOT text needs no Graphviz


def test_a_missing_graphviz_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # `import graphviz` now fails
    with pytest.raises(ImportError, match=r"needs the Python package `graphviz`: `pip install graphviz`") as info:
        draw_graph(Node(label="x"))
    assert "pip install -e '.[viz]'" in str(info.value)


def test_importing_autodiff_imports_neither_graphviz_nor_matplotlib() -> None:
    code = "import sys, autodiff; print(sorted(m for m in ('graphviz', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_graph_drawing_class_is_a_digraph() -> None:
    drawing = draw_graph(Node(label="x"))
    assert isinstance(drawing, graphviz.Digraph) and isinstance(drawing, viz.GraphDrawing)
    assert isinstance(drawing.copy(), viz.GraphDrawing)


# --------------------------------------------------------------------------------------------
# The matplotlib style


def test_book_style_cycle_reads_in_colour_blind_and_greyscale_conditions() -> None:
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    # Okabe & Ito (2008), "Color Universal Design", without their yellow.
    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    with mpl.rc_context():
        viz.use_book_style()
        cycle = mpl.rcParams["axes.prop_cycle"].by_key()
        assert set(cycle["color"]) == okabe_ito and len(cycle["color"]) == len(okabe_ito)
        fig, ax = plt.subplots()
        lines = [ax.plot([0, 1], [0, k])[0] for k in range(len(PALETTE))]
        dashes = [(line.get_linestyle(), str(line._unscaled_dash_pattern)) for line in lines]
        assert len(set(dashes)) == len(lines)  # every line differs in greyscale too
        width_px = mpl.rcParams["figure.figsize"][0] * mpl.rcParams["figure.dpi"]
        assert 500 <= width_px <= 800 and mpl.rcParams["axes.grid"]
        plt.close(fig)
        viz.use_book_style({"figure.dpi": 80})
        assert mpl.rcParams["figure.dpi"] == 80


def test_book_style_figures_are_byte_identical_on_every_run() -> None:
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    def figure_bytes(fmt: str) -> bytes:
        with mpl.rc_context(viz.book_rc()):
            fig, ax = plt.subplots()
            x = np.linspace(0, 1, 50)
            for name, style in METHOD_STYLES.items():
                ax.plot(x, x ** (1 + len(name) / 5), **style, label=name)
            ax.legend()
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, metadata={"Date": None} if fmt == "svg" else None)
            plt.close(fig)
        return buffer.getvalue()

    assert figure_bytes("png") == figure_bytes("png")
    assert figure_bytes("svg") == figure_bytes("svg")


def test_method_styles_are_distinct_in_every_channel() -> None:
    assert set(METHOD_STYLES) == {"forward", "reverse", "numerical", "symbolic"}
    for key in ("color", "linestyle", "marker"):
        values = [style[key] for style in METHOD_STYLES.values()]
        assert len(set(values)) == len(values), key
    with pytest.raises(TypeError):
        METHOD_STYLES["forward"]["color"] = "red"  # type: ignore[index]


# --------------------------------------------------------------------------------------------
# The package's own engines, once they exist


def test_draws_autodiff_values() -> None:
    scalar = pytest.importorskip("autodiff.scalar")
    a, b = scalar.Value(2.0), scalar.Value(-3.0)
    c = a * b + a
    c.backward()
    labels = node_labels(draw_graph(c).source)
    order = postorder(c)
    assert len(labels) == len(order)
    for i, node in enumerate(order):
        shown = re.search(r"grad (\S+?)<", labels[f"v{i}"]).group(1)
        assert float(shown) == pytest.approx(float(node.grad), rel=5e-4)
    # Gradients by hand: dc/da = b + 1 = -2, dc/db = a = 2.
    assert (a.grad, b.grad) == (pytest.approx(-2.0), pytest.approx(2.0))
