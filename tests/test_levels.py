"""autodiff.levels: nesting levels keep nested differentiations apart."""

from __future__ import annotations

import math

import numpy as np
import pytest

import autodiff as ad
from autodiff import levels
from autodiff.numerical import central_difference


def test_new_level_only_grows() -> None:
    seen = [levels.new_level() for _ in range(100)]
    assert seen == sorted(seen) and len(set(seen)) == 100 and seen[0] > 0


def test_level_of_and_is_differentiable() -> None:
    assert levels.level_of(2.0) == -1 and levels.level_of(np.ones(3)) == -1
    assert levels.level_of("x") == -1 and not levels.is_differentiable(None)
    assert levels.level_of(ad.Dual(1.0)) == 0 and levels.level_of(ad.Value(1.0, level=9)) == 9
    assert levels.is_differentiable(ad.Value(1.0)) and levels.is_differentiable(ad.Dual(1.0))


def test_unwrap_strips_every_level() -> None:
    inner = ad.Dual(2.5, 1.0, level=levels.new_level())
    outer = ad.Value(inner, level=levels.new_level())
    assert levels.unwrap(outer) == 2.5 and levels.unwrap(7) == 7


def test_classify() -> None:
    low, high = ad.Dual(1.0), ad.Dual(1.0, level=levels.new_level())
    assert levels.classify(low, ad.Dual(2.0), "+") == "same"
    assert levels.classify(low, 3.0, "+") == "constant"
    assert levels.classify(high, low, "+") == "constant"
    assert levels.classify(low, high, "+") == "outer"
    assert levels.classify(ad.Value(1.0, level=high.level), ad.Dual(1.0), "+") == "constant"
    with pytest.raises(TypeError, match=r"^Dual \* Value: both operands have level 0"):
        levels.classify(low, ad.Value(1.0), "*")


def test_same_level_different_types_cannot_mix() -> None:
    with pytest.raises(TypeError, match=r"both operands have level 0"):
        ad.Dual(1.0, 1.0) * ad.Value(2.0)
    with pytest.raises(TypeError, match=r"both operands have level 0"):
        ad.Value(2.0) + ad.Dual(1.0, 1.0)


def test_the_higher_level_is_outer_whichever_side_it_is_on() -> None:
    level = levels.new_level()
    x = ad.Dual(3.0, 1.0)  # level 0: a constant for the level-`level` dual
    y = ad.Dual(2.0, 1.0, level=level)
    for out in (x * y, y * x):
        assert out.level == level
        assert out.tangent.primal == 3.0 and out.tangent.tangent == 1.0  # d/dy (xy) = x
    v = ad.Value(2.0, level=level)
    out = x * v  # Dual (level 0) times Value (higher): a Value whose data is a Dual
    assert isinstance(out, ad.Value) and isinstance(out.data, ad.Dual)


def test_nested_derivative_has_no_perturbation_confusion() -> None:
    # d/dx [x * d/dy (x + y)] = d/dx [x * 1] = 1 at any x
    assert ad.derivative(lambda x: x * ad.derivative(lambda y: x + y, 1.0), 1.0) == 1.0
    # d/dx [d/dy (x y)] = 1
    assert ad.derivative(lambda x: ad.derivative(lambda y: x * y, 2.0), 3.0) == 1.0


def test_hand_nested_level_zero_duals_demonstrate_the_confusion() -> None:
    """The chapter-3 demonstration: without levels, the same probe gives 2."""

    def naive_derivative(f, x):
        return f(ad.Dual(x, 1.0)).tangent  # every dual at level 0

    wrong = naive_derivative(lambda x: x * naive_derivative(lambda y: x + y, 1.0), 1.0)
    assert wrong == 2.0


def test_second_derivative_by_nesting_matches_finite_differences() -> None:
    f = lambda x: ad.exp(ad.sin(x)) * x  # noqa: E731
    second = ad.derivative(lambda x: ad.derivative(f, x), 0.7)
    reference = central_difference(lambda t: ad.derivative(f, t), 0.7)
    assert second == pytest.approx(reference, rel=1e-8)
    third = ad.derivative(lambda x: ad.derivative(lambda y: ad.derivative(f, y), x), 0.7)
    assert third == pytest.approx(central_difference(lambda t: ad.derivative(lambda y: ad.derivative(f, y), t), 0.7), rel=1e-6)


def test_data_of_a_higher_level_is_rejected() -> None:
    high = ad.Dual(1.0, level=levels.new_level())
    with pytest.raises(ValueError, match=r"the outer object must have the higher level"):
        ad.Dual(high, 0.0)
    with pytest.raises(ValueError, match=r"the outer object must have the higher level"):
        ad.Value(high)


def test_defer_calls_the_reflected_method_between_same_types() -> None:
    high = ad.Value(2.0, level=levels.new_level())
    low = ad.Value(3.0)
    out = levels.defer(low, high, "__radd__")
    assert out.level == high.level and levels.unwrap(out) == 5.0
    assert levels.defer(ad.Dual(1.0), high, "__radd__") is NotImplemented


def test_forward_over_reverse_value_of_dual() -> None:
    """Value over Dual: the gradient's tangent is the Hessian-vector product."""
    x0, v = 0.8, 1.0
    level_fwd = levels.new_level()
    level_rev = levels.new_level()
    x = ad.Value(ad.Dual(x0, v, level=level_fwd), level=level_rev)
    (x * x * ad.tanh(x)).backward()
    g = x.grad  # a Dual: (f'(x0), f''(x0) v)
    first = lambda t: 2 * t * math.tanh(t) + t * t * (1 - math.tanh(t) ** 2)  # noqa: E731
    assert g.primal == pytest.approx(first(x0), rel=1e-14)
    assert g.tangent == pytest.approx(central_difference(first, x0), rel=1e-8)


def test_the_differentiable_base_class() -> None:
    class Box(levels.Differentiable):
        __slots__ = ("x", "_level")

        def __init__(self, x, level=0):
            self.x, self._level = x, level

        def _unwrap(self):
            return self.x

    a, b = Box(1.0), Box(2.0, level=3)
    assert levels.is_differentiable(a) and b.level == 3
    assert a < b and b >= 2 and not a > 1.5 and a <= 1.0
    assert a != Box(1.0) and len({a, Box(1.0)}) == 2  # identity
    assert f"{Box(2 / 3):.2f}" == "0.67" and levels.unwrap(Box(Box(4.0))) == 4.0
    assert levels.classify(b, a, "+") == "constant" and levels.classify(a, Box(5.0), "+") == "same"

    class Incomplete(levels.Differentiable):
        _level = 0

    with pytest.raises(NotImplementedError, match="must define _unwrap"):
        levels.unwrap(Incomplete())
