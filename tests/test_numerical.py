"""autodiff.numerical: finite differences and the complex step."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import numerical as num

points = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)


@given(points)
def test_central_difference_matches_the_derivative_of_sin(x: float) -> None:
    assert num.central_difference(math.sin, x) == pytest.approx(math.cos(x), abs=1e-9)


@given(points)
def test_one_sided_differences_agree_to_about_half_the_digits(x: float) -> None:
    exact = math.exp(x)
    assert num.forward_difference(math.exp, x) == pytest.approx(exact, rel=1e-6)
    assert num.backward_difference(math.exp, x) == pytest.approx(exact, rel=1e-6)


@given(points)
def test_complex_step_is_accurate_to_machine_precision(x: float) -> None:
    exact = math.exp(x) * (1 + x)
    assert num.complex_step(lambda z: z * cmath.exp(z), x) == pytest.approx(exact, rel=1e-14, abs=1e-15)


def test_complex_step_survives_a_tiny_step() -> None:
    # The classic test function of Squire and Trapp at x = 1.5, at h = 1e-200.
    def f(z):
        return cmath.exp(z) / cmath.sqrt(cmath.sin(z) ** 3 + cmath.cos(z) ** 3)

    reference = num.complex_step(f, 1.5, h=1e-20)
    assert num.complex_step(f, 1.5, h=1e-200) == pytest.approx(reference, rel=1e-15)
    assert reference == pytest.approx(num.central_difference(lambda t: f(t).real, 1.5), rel=1e-8)


def test_truncation_orders() -> None:
    """Halving h halves the forward error (order 1) and quarters the central error (order 2)."""
    x, exact = 0.7, math.cos(0.7)
    fwd = [abs(num.forward_difference(math.sin, x, h) - exact) for h in (1e-2, 5e-3)]
    cen = [abs(num.central_difference(math.sin, x, h) - exact) for h in (1e-2, 5e-3)]
    assert fwd[0] / fwd[1] == pytest.approx(2.0, rel=0.02)
    assert cen[0] / cen[1] == pytest.approx(4.0, rel=0.02)


def test_default_steps_balance_truncation_and_round_off() -> None:
    assert num.default_step(1.0, "forward") == pytest.approx(math.sqrt(num.EPS))
    assert num.default_step(1.0, "central") == pytest.approx(num.EPS ** (1 / 3))
    assert num.default_step(-1000.0, "central") == pytest.approx(1000 * num.EPS ** (1 / 3))


def test_numerical_gradient_and_jacobian() -> None:
    x = np.array([[1.0, 2.0], [3.0, -1.0]])
    grad = num.numerical_gradient(lambda v: np.sum(v**3), x)
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-8)

    def f(v):
        return np.array([v[0] * v[1], np.sin(v[0]), v[1] ** 2])

    jac = num.numerical_jacobian(f, [0.5, 2.0])
    expected = np.array([[2.0, 0.5], [math.cos(0.5), 0.0], [0.0, 4.0]])
    np.testing.assert_allclose(jac, expected, rtol=1e-8, atol=1e-10)
    for method in ("forward", "backward"):
        np.testing.assert_allclose(num.numerical_jacobian(f, [0.5, 2.0], method=method), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("method, calls", [("forward", 4), ("backward", 4), ("central", 6)])
def test_gradient_costs_n_plus_one_or_2n_evaluations(method: str, calls: int) -> None:
    count = 0

    def f(v):
        nonlocal count
        count += 1
        return float(np.sum(v**2))

    num.numerical_gradient(f, [1.0, 2.0, 3.0], method=method)
    assert count == calls


def test_bad_input_gives_clear_errors() -> None:
    with pytest.raises(ValueError, match="positive"):
        num.central_difference(math.sin, 1.0, h=0.0)
    with pytest.raises(ValueError, match="finite"):
        num.forward_difference(math.sin, float("nan"))
    with pytest.raises(TypeError, match="real number"):
        num.central_difference(math.sin, "1.0")
    with pytest.raises(ValueError, match="unknown finite-difference method"):
        num.numerical_gradient(np.sum, [1.0], method="sideways")
    with pytest.raises(ValueError, match="scalar"):
        num.numerical_gradient(lambda v: v * 2, [1.0, 2.0])
    with pytest.raises(TypeError, match="imaginary part"):
        num.complex_step(lambda z: abs(z), 1.0)
    with pytest.raises(ValueError, match="non-finite"), np.errstate(invalid="ignore", divide="ignore"):
        num.numerical_jacobian(lambda v: np.log(v), [0.0])
