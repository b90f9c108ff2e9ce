"""autodiff.functions: elementary functions that dispatch on their argument's type."""

from __future__ import annotations

import cmath
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special

import autodiff as ad
from autodiff import functions as F
from autodiff.numerical import complex_step

# Independent references: numpy/scipy for the scalar (math) path.
REFERENCE = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "tanh": np.tanh,
    "sigmoid": special.expit,
    "relu": lambda x: np.maximum(x, 0.0),
    "abs": np.abs,
    "log1p": np.log1p,
    "expm1": np.expm1,
    "softplus": lambda x: np.logaddexp(0.0, x),
}
# Where each function is defined (and finite) for the property tests.
DOMAIN = {
    "log": (1e-3, 50.0),
    "sqrt": (0.0, 50.0),
    "log1p": (-0.999, 50.0),
    "tan": (-1.5, 1.5),
    "exp": (-50.0, 50.0),
    "expm1": (-50.0, 50.0),
}
NAMES = sorted(REFERENCE)


def points(name: str) -> st.SearchStrategy[float]:
    lo, hi = DOMAIN.get(name, (-50.0, 50.0))
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


@pytest.mark.parametrize("name", NAMES)
def test_every_function_is_exported_at_top_level(name: str) -> None:
    assert getattr(ad, name) is getattr(F, name)


def test_abs_is_exported_but_not_star_imported() -> None:
    assert ad.abs is F.abs
    assert "abs" not in ad.__all__
    namespace: dict[str, object] = {}
    exec("from autodiff import *", namespace)
    assert namespace.get("abs", abs) is abs  # the builtin survives a star import
    assert namespace["sin"] is F.sin


@pytest.mark.parametrize("name", NAMES)
@settings(deadline=None)
@given(data=st.data())
def test_float_path_matches_numpy(name: str, data: st.DataObject) -> None:
    x = data.draw(points(name))
    got = getattr(F, name)(x)
    assert type(got) is float
    assert got == pytest.approx(float(REFERENCE[name](x)), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize("name", NAMES)
def test_ints_and_numpy_scalars_give_python_floats(name: str) -> None:
    fn = getattr(F, name)
    for x in (1, np.float64(1.0), np.float32(1.0), np.int64(1)):
        got = fn(x)
        assert type(got) is float
        assert got == pytest.approx(float(REFERENCE[name](1.0)), rel=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_arrays_use_numpy_elementwise(name: str) -> None:
    lo, hi = DOMAIN.get(name, (-3.0, 3.0))
    x = np.linspace(max(lo, -3.0), min(hi, 3.0), 7).reshape(7, 1)
    got = getattr(F, name)(x)
    assert isinstance(got, np.ndarray) and got.shape == (7, 1)
    np.testing.assert_allclose(got, REFERENCE[name](x), rtol=1e-12)


def test_arrays_follow_ieee_without_warnings() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.log(np.array([0.0, -1.0, 1.0]))
        assert out[0] == -np.inf and np.isnan(out[1]) and out[2] == 0.0
        assert F.exp(np.array([1000.0]))[0] == np.inf
        assert F.sqrt(np.array([-1.0]))[0] != F.sqrt(np.array([-1.0]))[0]  # nan


def test_object_arrays_map_elementwise() -> None:
    xs = np.array([ad.Dual(0.5, 1.0), ad.Dual(1.5, 1.0)], dtype=object)
    out = F.sin(xs)
    assert out.dtype == object
    assert [d.tangent for d in out] == pytest.approx([math.cos(0.5), math.cos(1.5)])


@pytest.mark.parametrize("name", ["log", "sqrt", "log1p"])
def test_domain_errors_are_value_errors_naming_the_function(name: str) -> None:
    bad = {"log": 0.0, "sqrt": -1.0, "log1p": -1.0}[name]
    with pytest.raises(ValueError, match=rf"^{name}: expected .* got x={bad!r}"):
        getattr(F, name)(bad)
    with pytest.raises(ValueError, match=rf"^{name}:"):
        getattr(F, name)(int(bad))


@pytest.mark.parametrize("name", ["exp", "expm1"])
def test_overflow_is_a_value_error(name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name}: the result overflows float64 at x=1000.0"):
        getattr(F, name)(1000.0)


@pytest.mark.parametrize("name", ["sin", "cos", "tan"])
def test_trig_of_infinity_is_a_value_error(name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name}: expected a finite number"):
        getattr(F, name)(math.inf)


@pytest.mark.parametrize("x", [-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0])
def test_stable_forms_at_extreme_arguments(x: float) -> None:
    # The references use different formulas: scipy's expit and numpy's logaddexp.
    assert F.sigmoid(x) == pytest.approx(special.expit(x), rel=1e-15, abs=1e-300)
    assert F.softplus(x) == pytest.approx(np.logaddexp(0.0, x), rel=1e-15, abs=1e-300)
    assert F.tanh(x) == pytest.approx(np.tanh(x), rel=1e-15)


def test_stable_array_forms_do_not_overflow() -> None:
    x = np.array([-1000.0, 0.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(F.sigmoid(x), [0.0, 0.5, 1.0])
        np.testing.assert_allclose(F.softplus(x), [0.0, math.log(2.0), 1000.0])


@pytest.mark.parametrize("name", ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "log1p", "expm1"])
def test_complex_path_uses_cmath(name: str) -> None:
    z = complex(0.7, 0.2)
    ref = {"log1p": lambda w: cmath.log(1 + w), "expm1": lambda w: cmath.exp(w) - 1}.get(name, getattr(cmath, name, None))
    assert getattr(F, name)(z) == pytest.approx(ref(z), rel=1e-14)


@pytest.mark.parametrize("x", [-1.3, -0.2, 0.4, 2.5])
def test_one_function_under_the_complex_step(x: float) -> None:
    """A function written with ad.* is complex-step differentiable; compare with forward mode."""

    def f(t):  # uses every analytic function and both kinks (away from them)
        return ad.sigmoid(t) * ad.tanh(t) + ad.softplus(t) + ad.relu(t) * ad.abs(t) + ad.exp(ad.sin(t))

    exact = ad.derivative(f, x)
    assert complex_step(f, x) == pytest.approx(exact, rel=1e-13)


def test_complex_kinks_follow_the_table() -> None:
    h = 1e-20
    assert F.relu(complex(0.0, h)).imag / h == 0.0  # relu'(0) = 0
    assert F.abs(complex(0.0, h)).imag / h == 0.0  # abs'(0) = 0
    assert F.abs(complex(-2.0, h)).imag / h == -1.0


def test_other_types_dispatch_to_the_method_of_the_same_name() -> None:
    class Probe:
        def sin(self) -> str:
            return "called sin"

    assert F.sin(Probe()) == "called sin"


def test_unknown_types_are_type_errors_naming_function_and_type() -> None:
    with pytest.raises(TypeError, match=r"^exp: unsupported argument type str; .*an \.exp\(\) method"):
        F.exp("2")
    with pytest.raises(TypeError, match=r"^sin: unsupported argument type list;.*numpy.asarray"):
        F.sin([1.0, 2.0])
    with pytest.raises(TypeError, match=r"^log: unsupported argument type NoneType"):
        F.log(None)
    with pytest.raises(TypeError, match=r"^sqrt: unsupported array dtype"):
        F.sqrt(np.array(["a"]))


def test_sign() -> None:
    assert [F.sign(v) for v in (-2.0, -0.0, 0.0, 3.0, 5)] == [-1.0, 0.0, 0.0, 1.0, 1.0]
    np.testing.assert_array_equal(F.sign(np.array([-2.0, 0.0, 3.0])), [-1.0, 0.0, 1.0])


def test_maximum_and_minimum_dispatch() -> None:
    assert F.maximum(2, 3.0) == 3.0 and type(F.maximum(2, 1)) is float
    assert F.minimum(2, 3.0) == 2.0
    np.testing.assert_array_equal(F.maximum(np.array([1.0, 5.0]), 2.0), [2.0, 5.0])
    d = F.maximum(2.0, ad.Dual(3.0, 1.0))
    assert (d.primal, d.tangent) == (3.0, 1.0)
    v = F.minimum(ad.Value(1.0), 4.0)
    assert v.data == 1.0 and v._op == "minimum"
    with pytest.raises(TypeError, match=r"^maximum: cannot combine ndarray and Dual"):
        F.maximum(np.array([1.0]), ad.Dual(1.0))
    with pytest.raises(TypeError, match=r"^maximum: unsupported argument types str and float"):
        F.maximum("a", 1.0)


def test_one_python_function_runs_on_floats_duals_and_values() -> None:
    def f(x):
        return ad.log(ad.sqrt(x) + 1) * ad.cos(x) - ad.sigmoid(x) / ad.exp(x)

    x = 1.3
    value = f(x)
    d = f(ad.Dual(x, 1.0))
    v = ad.Value(x)
    out = f(v)
    out.backward()
    assert d.primal == pytest.approx(value, rel=1e-15)
    assert out.data == pytest.approx(value, rel=1e-15)
    numeric = ad.central_difference(f, x)
    assert d.tangent == pytest.approx(numeric, rel=1e-8)
    assert v.grad == pytest.approx(d.tangent, rel=1e-13)
