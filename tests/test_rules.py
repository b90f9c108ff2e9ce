"""autodiff.rules: one table of unary derivative rules, and the kink conventions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import functions as F
from autodiff import rules
from autodiff.levels import new_level
from autodiff.numerical import central_difference

# Where each rule is differentiable (kinks excluded: they have their own tests below).
DOMAIN = {
    "log": (1e-2, 20.0),
    "sqrt": (1e-2, 20.0),
    "log1p": (-0.99, 20.0),
    "tan": (-1.4, 1.4),
}


def points(name: str) -> st.SearchStrategy[float]:
    lo, hi = DOMAIN.get(name, (-20.0, 20.0))
    xs = st.floats(min_value=lo, max_value=hi, allow_nan=False)
    if name in ("relu", "abs"):
        xs = xs.filter(lambda x: abs(x) > 1e-3)
    return xs


def test_the_table_covers_the_functions_and_is_read_only() -> None:
    assert set(rules.UNARY) == {
        "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "log1p",
        "expm1", "softplus",
    }
    for name, rule in rules.UNARY.items():
        assert rule.name == name and rule.function is getattr(F, name) and rule.formula
    with pytest.raises(TypeError):
        rules.UNARY["sin"] = rules.UNARY["cos"]  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(rules.UNARY))
@settings(deadline=None)
@given(data=st.data())
def test_each_rule_matches_central_differences(name: str, data: st.DataObject) -> None:
    x = data.draw(points(name))
    fn = getattr(F, name)
    exact = rules.derivative(name, x)
    numeric = central_difference(fn, x)
    scale = max(1.0, abs(fn(x)), abs(exact))
    assert exact == pytest.approx(numeric, rel=1e-6, abs=1e-7 * scale)


@pytest.mark.parametrize("name", sorted(rules.UNARY))
def test_rules_are_generic_over_arrays(name: str) -> None:
    lo, hi = DOMAIN.get(name, (-3.0, 3.0))
    x = np.linspace(lo, hi, 5) + 0.0123  # off the kinks
    rule = rules.UNARY[name]
    got = np.asarray(rule.derivative(x, rule.function(x)), dtype=float) * np.ones_like(x)
    expected = [rules.derivative(name, float(v)) for v in x]
    np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_unknown_rule_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"^derivative: no rule for 'erf'"):
        rules.derivative("erf", 0.0)


def _reverse(fn, *xs: float) -> list[float]:
    vs = [ad.Value(x) for x in xs]
    fn(*vs).backward()
    return [v.grad for v in vs]


def _forward(fn, *xs: float) -> list[float]:
    out = []
    for i in range(len(xs)):
        level = new_level()
        args = [ad.Dual(x, 1.0 if j == i else 0.0, level=level) for j, x in enumerate(xs)]
        out.append(fn(*args).tangent)
    return out


ENGINES = {"rules": None, "forward": _forward, "reverse": _reverse}


@pytest.mark.parametrize("engine", ["forward", "reverse"])
@pytest.mark.parametrize(
    ("name", "x", "slope"),
    [("relu", 0.0, 0.0), ("relu", -0.0, 0.0), ("abs", 0.0, 0.0), ("abs", -0.0, 0.0), ("relu", 1e-300, 1.0)],
)
def test_kinks_follow_the_table_on_every_engine(engine: str, name: str, x: float, slope: float) -> None:
    assert rules.derivative(name, x) == slope
    assert ENGINES[engine](lambda t: getattr(ad, name)(t), x) == [slope]


@pytest.mark.parametrize("engine", ["forward", "reverse"])
def test_maximum_and_minimum_split_ties_equally(engine: str) -> None:
    run = ENGINES[engine]
    assert run(lambda a, b: ad.maximum(a, b), 2.0, 2.0) == [0.5, 0.5]
    assert run(lambda a, b: ad.minimum(a, b), 2.0, 2.0) == [0.5, 0.5]
    assert run(lambda a, b: ad.maximum(a, b), 3.0, 2.0) == [1.0, 0.0]
    assert run(lambda a, b: ad.minimum(a, b), 3.0, 2.0) == [0.0, 1.0]
    # away from ties, the numerical derivative agrees
    f = lambda a: ad.maximum(a, 2.0)  # noqa: E731
    assert run(f, 2.5) == [pytest.approx(central_difference(f, 2.5))]


def test_tie_split_is_a_subgradient_average() -> None:
    # at a tie, the one-sided derivatives of max(a, a + t) in t are 0 and 1: the split is their mean
    left = (max(2.0, 2.0 - 1e-6) - 2.0) / -1e-6
    right = (max(2.0, 2.0 + 1e-6) - 2.0) / 1e-6
    assert rules.maximum_partials(2.0, 2.0)[1] == pytest.approx((left + right) / 2)


def test_partials_on_arrays_and_levels() -> None:
    wa, wb = rules.maximum_partials(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0]))
    np.testing.assert_array_equal(wa, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(wb, [1.0, 0.5, 0.0])
    assert rules.minimum_partials(ad.Dual(1.0, 5.0), ad.Value(2.0)) == (1.0, 0.0)


def test_argmax_weights_split_ties_among_the_maxima() -> None:
    x = np.array([[1.0, 4.0, 4.0, 4.0], [0.0, -1.0, -2.0, -3.0]])
    w = rules.argmax_weights(x, axis=1)
    np.testing.assert_allclose(w, [[0, 1 / 3, 1 / 3, 1 / 3], [1, 0, 0, 0]])
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    assert rules.argmax_weights(x).sum() == pytest.approx(1.0)


def test_kink_table_documents_every_convention() -> None:
    functions = {row["function"] for row in rules.KINKS}
    assert {"relu", "abs", "maximum", "minimum", "max reduction"} <= functions
    for row in rules.KINKS:
        assert set(row) == {"function", "at", "derivative", "why"}


def test_infinite_slopes_raise_in_the_scalar_engines() -> None:
    with pytest.raises(ValueError, match=r"sqrt: the derivative is infinite at x=0.0"):
        ad.Dual(0.0, 1.0).sqrt()
    x = ad.Value(0.0)
    y = x.sqrt()
    with pytest.raises(ValueError, match=r"backward: the derivative of 'sqrt' at \(0.0\) is not finite"):
        y.backward()
