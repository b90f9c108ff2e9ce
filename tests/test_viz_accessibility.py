"""The book's pictures read in greyscale (printed, or seen with a colour-vision deficiency).

Lightness is CIE L* (0 black, 100 white) of the sRGB colour, computed here from the published
formulas (sRGB transfer curve, Rec. 709 luminance, CIE 1976 L*), independently of matplotlib.
"""

from __future__ import annotations

import re
from itertools import combinations

import numpy as np
import pytest

from autodiff import viz
from autodiff.scalar import Value

mpl = pytest.importorskip("matplotlib")


def lightness(rgb: np.ndarray) -> np.ndarray:
    """CIE L* of sRGB colours given as floats in [0, 1], shape (..., 3)."""
    rgb = np.asarray(rgb, dtype=float)[..., :3]
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    y = linear @ np.array([0.2126, 0.7152, 0.0722])
    return np.where(y > (6 / 29) ** 3, 116 * np.cbrt(y) - 16, (29 / 3) ** 3 * y)


def hex_rgb(colour: str) -> np.ndarray:
    colour = colour.lstrip("#")
    return np.array([int(colour[i : i + 2], 16) for i in (0, 2, 4)]) / 255


def test_lightness_formula_matches_known_values() -> None:
    assert lightness(hex_rgb("#FFFFFF")) == pytest.approx(100.0)
    assert lightness(hex_rgb("#000000")) == pytest.approx(0.0)
    assert lightness(hex_rgb("#777777")) == pytest.approx(50.0, abs=0.5)  # mid grey


def test_every_cycle_entry_is_visible_on_white_and_differs_in_dashes_from_its_lightness_neighbours() -> None:
    """Two lines of similar grey must differ in dash pattern; every line must show on white."""
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    with mpl.rc_context(viz.book_rc()):
        fig, ax = plt.subplots()
        lines = [ax.plot([0, 1], [0, k])[0] for k in range(len(viz.PALETTE))]
        looks = [(lightness(hex_rgb(line.get_color())), str(line._unscaled_dash_pattern)) for line in lines]
        plt.close(fig)
    assert all(grey < 80 for grey, _ in looks), f"a cycle colour is too light to see on white: {looks}"
    for (grey_a, dash_a), (grey_b, dash_b) in combinations(looks, 2):
        assert abs(grey_a - grey_b) >= 20 or dash_a != dash_b, (grey_a, grey_b, dash_a)


def test_method_styles_differ_in_more_than_colour() -> None:
    for (name_a, a), (name_b, b) in combinations(viz.METHOD_STYLES.items(), 2):
        assert a["marker"] != b["marker"] and a["linestyle"] != b["linestyle"], (name_a, name_b)


def lightness_is_monotone_and_even(cmap_name: str, samples: int = 256) -> tuple[bool, float]:
    """Whether L* rises (or falls) strictly along the colormap, and the largest deviation of L*
    from a straight line between its ends (perceptually uniform maps stay within a few units)."""
    cmap = mpl.colormaps[cmap_name]
    grey = lightness(cmap(np.linspace(0, 1, samples)))
    steps = np.diff(grey)
    monotone = bool(np.all(steps > 0) or np.all(steps < 0))
    straight = np.linspace(grey[0], grey[-1], samples)
    return monotone, float(np.max(np.abs(grey - straight)))


def test_the_recommended_colormap_is_monotone_and_even_in_lightness() -> None:
    name = viz.book_rc()["image.cmap"]
    monotone, deviation = lightness_is_monotone_and_even(name)
    assert monotone, f"{name}: lightness goes up and down, so greyscale values are ambiguous"
    assert deviation < 5, f"{name}: lightness is uneven along the map (deviation {deviation:.1f} L*)"
    span = lightness(mpl.colormaps[name](np.array([0.0, 1.0])))
    assert abs(span[1] - span[0]) > 50, f"{name}: too little lightness range to read in grey"


@pytest.mark.parametrize("name", ["jet", "hsv"])
def test_the_check_rejects_rainbow_colormaps(name: str) -> None:
    monotone, _ = lightness_is_monotone_and_even(name)
    assert not monotone


def test_graph_node_kinds_differ_in_grey_by_lightness_or_outline() -> None:
    """Inputs, computed values, the output and operations must not look alike in greyscale."""
    pytest.importorskip("graphviz")
    x = Value(0.5)
    y = x.sin().exp()  # an input, a computed value, the output, and two operations
    source = viz.draw_graph(y).source
    kinds = {}
    for name, kind in (("v0", "input"), ("v1", "computed"), ("v2", "output")):
        label = re.search(rf"^\s*{name} \[label=<(.*)>\]", source, re.MULTILINE).group(1)
        fill = re.search(r'BGCOLOR="(#[0-9A-Fa-f]{6})"', label).group(1)
        border = re.search(r'<TABLE BORDER="(\d+)"', label).group(1)
        kinds[kind] = (float(lightness(hex_rgb(fill))), "box", border)
    op = re.search(r"^\s*op1 \[(.*)\]", source, re.MULTILINE).group(1)
    op_fill = re.search(r'fillcolor="(#[0-9A-Fa-f]{6})"', op).group(1)
    kinds["operation"] = (float(lightness(hex_rgb(op_fill))), re.search(r"shape=(\w+)", op).group(1), "1")
    for (a, (grey_a, shape_a, border_a)), (b, (grey_b, shape_b, border_b)) in combinations(kinds.items(), 2):
        assert abs(grey_a - grey_b) >= 5 or shape_a != shape_b or border_a != border_b, (a, b, kinds)
