"""autodiff.check: gradcheck finds wrong gradients and says where."""

from __future__ import annotations

import math

import pytest

import autodiff as ad
from autodiff import Value
from autodiff.check import GradcheckError, GradcheckResult, gradcheck, make_row, register


def test_correct_gradients_pass() -> None:
    result = gradcheck(lambda x, y, z: ad.tanh(x * y) / z + ad.exp(-x) * ad.sin(z), 0.3, -1.2, 2.0)
    assert result.passed and bool(result)
    assert len(result.rows) == 3 and [row.input for row in result.rows] == [0, 1, 2]
    assert result.max_rel_error < 1e-8


def test_values_and_numpy_scalars_are_accepted_and_left_untouched() -> None:
    import numpy as np

    x = Value(1.5)
    result = gradcheck(lambda a, b: a * b, x, np.float64(2.0))
    assert result.passed and x.grad == 0.0


def test_a_wrong_rule_fails_and_is_located() -> None:
    def f(a, b, c):
        wrong = Value(b.data**2, (b,), "neg")  # b**2 recorded with the rule of -b
        return a * 2.0 + wrong + c

    result = gradcheck(f, 1.0, 1.5, -0.5)
    assert not result.passed and not bool(result)
    worst = result.worst
    assert worst is not None and worst.input == 1 and worst.where == "x[1]"
    assert worst.analytic == -1.0 and worst.numeric == pytest.approx(3.0, rel=1e-8)
    assert [row.passed for row in result.rows] == [True, False, True]
    text = repr(result)
    assert text.startswith("gradcheck FAILED: 3 derivative(s); worst relative error 1.3e+00 at x[1]")
    assert "NO" in text.splitlines()[3]


def test_raise_on_failure() -> None:
    with pytest.raises(GradcheckError, match="gradient check failed") as info:
        gradcheck(lambda x: Value(x.data * 3.0, (x,), "neg"), 1.0, raise_on_failure=True)
    assert isinstance(info.value.result, GradcheckResult) and not info.value.result.passed
    assert gradcheck(lambda x: x * 3.0, 1.0, raise_on_failure=True).passed


def test_tolerances_and_step() -> None:
    f = lambda x: ad.exp(x)  # noqa: E731
    assert not gradcheck(f, 1.0, eps=1e-2, rtol=1e-9, atol=0.0).passed  # O(h^2) error ~ 5e-5
    assert gradcheck(f, 1.0, eps=1e-2, rtol=1e-4).passed
    row = make_row(0, (), 1.0, 1.0 + 2e-6, rtol=1e-6, atol=0.0)
    assert not row.passed and row.ratio == pytest.approx(2.0, rel=1e-5)
    assert make_row(0, (), 0.0, 0.0, 0.0, 0.0).passed


def test_constant_function_has_zero_gradient() -> None:
    result = gradcheck(lambda x: Value(2.0), 1.0)
    assert result.passed and result.rows[0].analytic == 0.0


def test_domain_edges_give_a_helpful_error() -> None:
    with pytest.raises(ValueError, match=r"gradcheck: f failed at x\[0\] = 1e-07 ± .* while differencing"):
        gradcheck(lambda x: ad.log(x), 1e-7)  # the step crosses 0


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"^gradcheck: f must be a function"):
        gradcheck(3.0, 1.0)
    with pytest.raises(TypeError, match=r"^gradcheck: give at least one input"):
        gradcheck(lambda: Value(1.0))
    with pytest.raises(TypeError, match=r"^gradcheck: unsupported input types \(float, str\)"):
        gradcheck(lambda a, b: a, 1.0, "x")
    with pytest.raises(ValueError, match=r"^gradcheck: rtol must be a finite number >= 0"):
        gradcheck(lambda a: a, 1.0, rtol=-1.0)
    with pytest.raises(ValueError, match=r"^gradcheck: eps must be a positive finite number"):
        gradcheck(lambda a: a, 1.0, eps=0.0)
    with pytest.raises(ValueError, match=r"^gradcheck: input 0 must be a finite number"):
        gradcheck(lambda a: a, math.inf)
    with pytest.raises(TypeError, match=r"^gradcheck: f must return a Value \(a scalar\), got list"):
        gradcheck(lambda a: [a, a], 1.0)


def test_other_engines_can_register_a_checker() -> None:
    class Box:
        pass

    seen = []

    def checker(f, inputs, eps, rtol, atol):
        seen.append((len(inputs), rtol, atol))
        return GradcheckResult(True, (), rtol, atol)

    register(lambda inputs: any(isinstance(x, Box) for x in inputs), checker)
    result = gradcheck(lambda b: b, Box(), rtol=0.5)
    assert result.passed and seen == [(1, 0.5, 1e-6)] and result.worst is None
    assert "0 derivative(s)" in repr(result)
