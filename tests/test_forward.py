"""autodiff.forward: Dual numbers, derivative, jvp, jacfwd (checked against finite differences)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import Dual, derivative, jacfwd, jvp
from autodiff.levels import new_level
from autodiff.numerical import central_difference, numerical_jacobian

from expressions import ONE_VARIABLE

xs = st.floats(min_value=0.2, max_value=3.0, allow_nan=False)

@pytest.mark.parametrize("name", sorted(ONE_VARIABLE))
@settings(deadline=None)
@given(x=xs)
def test_arithmetic_matches_central_differences(name: str, x: float) -> None:
    f = ONE_VARIABLE[name]
    out = f(Dual(x, 1.0))
    assert isinstance(out, Dual)
    assert out.primal == pytest.approx(f(x), rel=1e-14)
    assert out.tangent == pytest.approx(central_difference(f, x), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("name", sorted(ad.rules.UNARY))
def test_every_unary_method_matches_central_differences(name: str) -> None:
    x = 0.37
    fn = getattr(ad.functions, name)
    out = getattr(Dual(x, 1.0), name)()
    assert out.primal == fn(x)
    assert out.tangent == pytest.approx(central_difference(fn, x), rel=1e-8)
    assert fn(Dual(x, 1.0)).tangent == out.tangent  # ad.<name> dispatches to the method


def test_tangent_scales_linearly() -> None:
    f = lambda x: ad.exp(ad.sin(x)) / (1 + x * x)  # noqa: E731
    assert f(Dual(0.3, 2.5)).tangent == pytest.approx(2.5 * f(Dual(0.3, 1.0)).tangent, rel=1e-15)


def test_derivative() -> None:
    f = lambda x: ad.log(x) * ad.tanh(x) + ad.sqrt(x)  # noqa: E731
    assert derivative(f, 1.7) == pytest.approx(central_difference(f, 1.7), rel=1e-8)
    assert derivative(lambda x: 5.0, 1.0) == 0.0  # a constant function
    assert derivative(lambda x: [x, x * x], 3.0).tolist() == [1.0, 6.0]
    assert derivative(lambda x: x ** 3, 2) == 12.0  # int input


def test_derivative_of_a_function_of_an_outer_variable_only() -> None:
    outer = Dual(2.0, 1.0, level=new_level())
    inner = derivative(lambda y: outer * 3.0, 1.0)  # does not depend on y
    assert inner == 0.0


def test_logistic_map_derivative() -> None:
    """Chapter 3 exercise: l_{n+1} = 4 l_n (1 - l_n), l_1 = x; d l_4 / dx at 0.2."""

    def l4(x):
        for _ in range(3):
            x = 4 * x * (1 - x)
        return x

    assert derivative(l4, 0.2) == pytest.approx(central_difference(l4, 0.2), rel=1e-8)


def test_jvp_scalar_and_array() -> None:
    assert jvp(lambda x: ad.sin(x), 0.5, 2.0) == (math.sin(0.5), pytest.approx(2 * math.cos(0.5)))

    def f(x):
        return [x[0] * x[1], ad.sin(x[2]) + x[0], (x * x).sum()]

    point, direction = np.array([1.0, 2.0, 0.5]), np.array([0.3, -1.0, 2.0])
    value, tangent = jvp(f, point, direction)
    jac = numerical_jacobian(lambda p: np.array([p[0] * p[1], np.sin(p[2]) + p[0], (p * p).sum()]), point)
    np.testing.assert_allclose(value, [2.0, math.sin(0.5) + 1.0, 5.25])
    np.testing.assert_allclose(tangent, jac @ direction, rtol=1e-8)


def test_jvp_of_vectorised_functions() -> None:
    point, direction = np.linspace(-1, 1, 5), np.linspace(2, 3, 5)
    value, tangent = jvp(lambda x: ad.tanh(x) * x, point, direction)
    np.testing.assert_allclose(value, np.tanh(point) * point)
    np.testing.assert_allclose(tangent, (1 - np.tanh(point) ** 2) * point * direction + np.tanh(point) * direction)


def test_jacfwd_matches_numerical_jacobian() -> None:
    def f(x):
        return [x[0] * x[1] * x[2], ad.exp(x[0]) - x[2], ad.log(x[1]) / x[0]]

    point = np.array([0.5, 1.5, 2.0])
    numeric = numerical_jacobian(lambda p: np.array(f(p)), point)
    np.testing.assert_allclose(jacfwd(f, point), numeric, rtol=1e-8)
    assert jacfwd(lambda x: x**2, 3.0) == 6.0
    assert jacfwd(lambda x: (x * x).sum(), np.array([1.0, 2.0])).tolist() == [2.0, 4.0]
    matrix = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(jacfwd(lambda x: matrix @ x, np.ones(3)), matrix)
    np.testing.assert_allclose(jacfwd(lambda x: x.T @ matrix.T, np.ones(3)), matrix)


def test_array_duals_structural_operations() -> None:
    d = Dual(np.arange(6.0).reshape(2, 3), np.ones((2, 3)))
    assert d.shape == (2, 3) and len(d) == 2
    assert d[1, 2].primal == 5.0 and type(d[1, 2].primal) is float
    assert d.sum(axis=0).tangent.tolist() == [2.0, 2.0, 2.0]
    assert d.mean().tangent == 1.0
    assert d.reshape(3, 2).shape == (3, 2) and d.T.shape == (3, 2)
    broadcast = Dual(2.0, 1.0) + np.array([1.0, 2.0])
    assert broadcast.tangent.tolist() == [1.0, 1.0]  # a scalar tangent takes the primal's shape
    with pytest.raises(TypeError, match=r"len\(\) of a scalar Dual"):
        len(Dual(1.0))
    with pytest.raises(TypeError, match=r"Dual.sum: this dual holds a scalar"):
        Dual(1.0).sum()
    with pytest.raises(ValueError, match=r"tangent's shape \(3,\) does not match the primal's \(2,\)"):
        Dual(np.zeros(2), np.zeros(3))


def test_comparisons_are_by_value_and_equality_by_identity() -> None:
    a, b = Dual(1.0, 5.0), Dual(2.0, -5.0)
    assert (a < b, a <= b, a > b, a >= b) == (True, True, False, False)
    assert a < 1.5 and 0.5 < a and a >= 1
    assert a != Dual(1.0, 5.0) and a == a
    assert len({a, Dual(1.0, 5.0)}) == 2  # hashable, by identity
    with pytest.raises(TypeError):
        a < "x"  # noqa: B015


def test_repr_is_short_and_stable() -> None:
    assert repr(Dual(2.0, 1.0)) == "Dual(primal=2.0, tangent=1.0)"
    assert repr(Dual(1 / 3, 2 / 3)) == "Dual(primal=0.3333, tangent=0.6667)"
    assert repr(Dual(1.0, level=5)) == "Dual(primal=1.0, tangent=0.0, level=5)"


def test_bad_construction() -> None:
    with pytest.raises(ValueError, match=r"^Dual: primal must be finite, got nan"):
        Dual(float("nan"))
    with pytest.raises(ValueError, match=r"^Dual: tangent must be finite, got inf"):
        Dual(1.0, math.inf)
    with pytest.raises(TypeError, match=r"^Dual: primal must be a number, got bool"):
        Dual(True)
    with pytest.raises(TypeError, match=r"^Dual: primal must be a real number.*got str"):
        Dual("1.0")
    with pytest.raises(TypeError, match=r"^Dual: level must be a non-negative int"):
        Dual(1.0, level=-1)
    with pytest.raises(ValueError, match=r"an array tangent .* needs an array primal"):
        Dual(1.0, np.ones(2))


def test_domain_and_overflow_errors_name_the_operation() -> None:
    with pytest.raises(ValueError, match=r"^log: expected x > 0, got x=-1.0"):
        Dual(-1.0, 1.0).log()
    with pytest.raises(ValueError, match=r"^sqrt: expected x >= 0"):
        ad.sqrt(Dual(-4.0, 1.0))
    with pytest.raises(ValueError, match=r"^/: division by zero \(1.0 / 0.0\)"):
        Dual(1.0, 1.0) / 0.0
    with pytest.raises(ValueError, match=r"^/: division by zero"):
        2.0 / Dual(0.0, 1.0)
    with pytest.raises(ValueError, match=r"^exp: the result overflows float64 at x=1000.0"):
        Dual(1000.0, 1.0).exp()
    with pytest.raises(ValueError, match=r"^\*: the result is not finite"):
        Dual(1e200, 1.0) * 1e200
    with pytest.raises(ValueError, match=r"^\*: the derivative is not finite"):
        Dual(1.0, 1e200) * 1e200
    with pytest.raises(ValueError, match=r"^\*\*: a negative base to a non-integer power"):
        Dual(-8.0, 1.0) ** (1 / 3)
    with pytest.raises(ValueError, match=r"^\*\*: with a variable exponent the base must be positive"):
        (-2.0) ** Dual(2.0, 1.0)
    with pytest.raises(ValueError, match=r"^\*\*: zero to a negative power"):
        Dual(0.0, 1.0) ** -1
    with pytest.raises(ValueError, match=r"^\*\*: the derivative of x\*\*0.5 is infinite at x=0.0"):
        Dual(0.0, 1.0) ** 0.5
    with pytest.raises(ValueError, match=r"^\+: the operand nan is not finite"):
        Dual(1.0) + float("nan")


def test_integer_powers_of_negative_bases_and_zero_exponent() -> None:
    assert (Dual(-2.0, 1.0) ** 3).tangent == 12.0
    assert (Dual(-2.0, 1.0) ** 3.0).tangent == 12.0
    zero = Dual(0.0, 1.0) ** 0
    assert (zero.primal, zero.tangent) == (1.0, 0.0)


def test_stable_tanh_and_sigmoid_at_extremes() -> None:
    for x in (-1000.0, 1000.0):
        for name in ("tanh", "sigmoid", "softplus"):
            out = getattr(Dual(x, 1.0), name)()
            assert math.isfinite(out.primal) and math.isfinite(out.tangent)
    assert Dual(1000.0, 1.0).sigmoid().tangent == 0.0
    assert Dual(1000.0, 1.0).softplus().tangent == 1.0


def test_operand_errors_name_the_operation_and_types() -> None:
    with pytest.raises(TypeError, match=r"^unsupported operand types for \+: Dual and str \(str 'a'\)"):
        Dual(1.0) + "a"
    with pytest.raises(TypeError, match=r"^unsupported operand types for \*: list and Dual"):
        [1.0] * Dual(1.0)
    with pytest.raises(TypeError, match=r"^unsupported operand types for \*\*: Dual and NoneType"):
        Dual(1.0) ** None


def test_backward_on_a_dual_explains_itself() -> None:
    with pytest.raises(TypeError, match=r"belongs to Value; a Dual is forward mode"):
        Dual(2.0, 1.0).backward()


def test_api_errors() -> None:
    with pytest.raises(TypeError, match=r"^derivative: x must be a scalar, got ndarray; use jvp"):
        derivative(lambda x: x, np.ones(2))
    with pytest.raises(TypeError, match=r"^derivative: f must be a function"):
        derivative(1.0, 2.0)
    with pytest.raises(TypeError, match=r"the function comes first"):
        derivative(2.0, lambda x: x)
    with pytest.raises(ValueError, match=r"^jvp: x and v must have the same shape"):
        jvp(lambda x: x, np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match=r"^jvp: f must return a number, a Dual"):
        jvp(lambda x: "nope", 1.0, 1.0)
    with pytest.raises(TypeError, match=r"^jacfwd: x must be a number or an array of numbers"):
        jacfwd(lambda x: x, ["a", "b"])
    with pytest.raises(ValueError, match=r"^jvp: x must be finite"):
        jvp(lambda x: x, [1.0, math.nan], [1.0, 1.0])


def test_an_escaped_perturbation_is_detected() -> None:
    box: list[Dual] = []

    def leaky(x):
        derivative(lambda y: box.append(y) or y, 1.0)
        return box[0] * x  # box[0] belongs to the inner (finished) differentiation

    with pytest.raises(ValueError, match=r"^derivative: f returned a Dual of level \d+, higher than"):
        derivative(leaky, 2.0)
