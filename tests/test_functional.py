"""autodiff.functional: grad, vjp, jvp, Jacobians, Hessians, HVPs, and their nesting.

Oracles: central differences (of f for first derivatives, of the gradient for Hessians), the
other AD mode (the dot-product test <u, J v> = <J^T u, v> between vjp and jvp), and PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autodiff as ad
from autodiff import functional as fn
from autodiff.numerical import central_difference, numerical_gradient, numerical_jacobian
from autodiff.tensor import Tensor, cross_entropy, logsumexp, softmax

# Functions of an array, written with Tensor operations and the dispatching functions.
ARRAY_FUNCTIONS = {
    "polynomial": lambda x: (x**3).sum() + x[0] * x[1] - 2.0 * x[2] ** 2,
    "logsumexp": lambda x: logsumexp(x * x.sum()) + ad.tanh(x @ np.array([1.0, -2.0, 0.5])),
    "network": lambda x: cross_entropy((x.reshape(1, 3) @ np.array([[1.0, 2.0], [0.5, -1.0], [-1.0, 0.3]])).tanh(), np.array([1])),
    "softmax": lambda x: (softmax(x) * np.array([1.0, 2.0, 3.0])).sum() * ad.exp(x[1]),
    "elementary": lambda x: (ad.sin(x) * ad.exp(x) / (1.0 + x * x)).sum() + ad.log(ad.sigmoid(x)).mean(),
    "max and where": lambda x: x.max() * ad.tensor.where(x.data > 0, x * x, -x).sum(),
}
# Vector-valued functions of an array.
VECTOR_FUNCTIONS = {
    "matrix": lambda x: np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]]) @ x.tanh(),
    "list of tensors": lambda x: [x[0] * x[1], ad.sin(x[2]), (x**2).sum()],
    "softmax": lambda x: softmax(x * 2.0),
    "outer": lambda x: (x.reshape(3, 1) * x.reshape(1, 3)).exp(),
}
# Functions of a number, for Value and Dual.
SCALAR_FUNCTIONS = {
    "sin x": lambda x: ad.sin(x) * x,
    "rational": lambda x: x * x * x / (1.0 + x * x),
    "exp log": lambda x: ad.exp(ad.sin(x)) + ad.log(1.0 + x * x) * ad.sqrt(x * x + 1.0),
    "tanh": lambda x: ad.tanh(2.0 * x) ** 2,
}
POINT = np.array([0.3, -0.5, 0.8])


def num_grad(f, x):
    return numerical_gradient(lambda p: float(np.asarray(unwrap_out(f(Tensor(p))))), x)


def unwrap_out(out):
    return out.numpy() if isinstance(out, Tensor) else out


def num_jac(f, x):
    def g(p):
        out = f(Tensor(p))
        if isinstance(out, list):
            return np.array([float(o.item()) for o in out])
        return out.numpy()

    return numerical_jacobian(g, x)


@pytest.mark.parametrize("name", sorted(ARRAY_FUNCTIONS))
def test_grad_and_value_and_grad_of_array_functions(name) -> None:
    f = ARRAY_FUNCTIONS[name]
    value, gradient = fn.value_and_grad(f)(POINT)
    assert isinstance(value, float) and gradient.shape == POINT.shape
    assert value == pytest.approx(f(Tensor(POINT)).item())
    np.testing.assert_allclose(gradient, num_grad(f, POINT), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(fn.grad(f)(POINT), gradient)


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCTIONS))
def test_grad_of_scalar_functions_runs_on_values(name) -> None:
    f = SCALAR_FUNCTIONS[name]
    for x in (-1.3, 0.4, 2.0):
        g = fn.grad(f)(x)
        assert isinstance(g, float)
        assert g == pytest.approx(central_difference(f, x), rel=1e-7)


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCTIONS))
def test_one_function_on_numbers_and_on_arrays(name) -> None:
    f = SCALAR_FUNCTIONS[name]  # written with ad.* only: runs on Value and on Tensor
    xs = np.array([-1.3, 0.4, 2.0])
    elementwise = fn.grad(lambda t: f(t).sum())(xs)
    np.testing.assert_allclose(elementwise, [fn.grad(f)(float(x)) for x in xs], rtol=1e-12)
    second = fn.jacfwd(fn.grad(lambda t: f(t).sum()))(xs)
    np.testing.assert_allclose(np.diag(second), [fn.grad(fn.grad(f))(float(x)) for x in xs], rtol=1e-10)


def test_argnums_and_mixed_arguments() -> None:
    f = lambda a, b, c: (a * b).sum() * c  # noqa: E731
    b = np.array([1.0, 3.0])
    ga, gc = fn.grad(f, argnums=(0, 2))(2.0, b, 5.0)
    assert isinstance(ga, float) and ga == pytest.approx(20.0) and gc == pytest.approx(8.0)
    np.testing.assert_allclose(fn.grad(f, argnums=1)(2.0, b, 5.0), [10.0, 10.0])
    np.testing.assert_allclose(fn.grad(f, argnums=-2)(2.0, b, 5.0), [10.0, 10.0])
    with pytest.raises(ValueError, match="argnums 3 is out of range for a call with 3 positional argument"):
        fn.grad(f, argnums=3)(2.0, b, 5.0)


@pytest.mark.parametrize("name", sorted(VECTOR_FUNCTIONS))
def test_jacobians_forward_reverse_and_numerical_agree(name) -> None:
    f = VECTOR_FUNCTIONS[name]
    expected = num_jac(f, POINT)
    for transform in (fn.jacfwd, fn.jacrev, fn.jacobian):
        np.testing.assert_allclose(transform(f)(POINT), expected, rtol=1e-6, atol=1e-8, err_msg=transform.__name__)
    np.testing.assert_allclose(fn.jacobian(f, mode="forward")(POINT), fn.jacobian(f, mode="reverse")(POINT), rtol=1e-12)


def test_jacobians_of_functions_of_a_number_returning_lists() -> None:
    f = lambda x: [x * x, ad.sin(x), 3.0]  # noqa: E731  (the constant has derivative 0)
    expected = [2 * 0.7, np.cos(0.7), 0.0]
    np.testing.assert_allclose(fn.jacfwd(f)(0.7), expected)
    np.testing.assert_allclose(fn.jacrev(f)(0.7), expected)
    value, pullback = fn.vjp(f, 0.7)
    np.testing.assert_allclose(value, [0.49, np.sin(0.7), 3.0])
    assert pullback(np.array([1.0, 2.0, 5.0])) == pytest.approx(1.4 + 2 * np.cos(0.7))


@pytest.mark.parametrize("name", sorted(VECTOR_FUNCTIONS) + ["scalar list"])
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_dot_product_test_between_vjp_and_jvp(name, seed) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, size=3)
    f = VECTOR_FUNCTIONS.get(name, lambda t: [ad.exp(t[0]) * t[1], t[2] / (2.0 + t[1] * t[1])])
    value, pullback = fn.vjp(f, x)
    u = rng.standard_normal(np.shape(value))
    v = rng.standard_normal(x.shape)
    _, jv = fn.jvp(f, x, v)
    jtu = pullback(u)
    assert np.sum(u * jv) == pytest.approx(np.sum(jtu * v), rel=1e-10, abs=1e-12)


def test_vjp_with_several_primals_and_repeated_pullbacks() -> None:
    a, b = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    value, pullback = fn.vjp(lambda x, y: x * y + x, a, b)
    np.testing.assert_allclose(value, a * b + a)
    for u in (np.array([1.0, 0.0]), np.array([2.0, 5.0])):  # each call starts from zero
        ga, gb = pullback(u)
        np.testing.assert_allclose(ga, u * (b + 1))
        np.testing.assert_allclose(gb, u * a)
    with pytest.raises(ValueError, match=r"vjp: the cotangent has shape \(3,\), expected the output's shape \(2,\)"):
        pullback(np.ones(3))


@pytest.mark.parametrize("name", sorted(ARRAY_FUNCTIONS))
def test_hessian_against_finite_differences_of_the_gradient(name) -> None:
    f = ARRAY_FUNCTIONS[name]
    gradient = fn.grad(f)
    reference = numerical_jacobian(gradient, POINT)
    H = fn.hessian(f)(POINT)
    assert H.shape == (3, 3)
    np.testing.assert_allclose(H, reference, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(H, H.T, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ARRAY_FUNCTIONS))
def test_four_ways_to_a_hessian_vector_product_agree(name) -> None:
    f = ARRAY_FUNCTIONS[name]
    v = np.array([1.0, 2.0, -1.0])
    direct = fn.hvp(f, POINT, v)  # forward over reverse, one pass
    np.testing.assert_allclose(fn.jvp(fn.grad(f), POINT, v)[1], direct, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fn.jacfwd(fn.jacrev(f))(POINT) @ v, direct, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fn.grad(lambda x: fn.grad(f)(x) @ v)(POINT), direct, rtol=1e-10, atol=1e-12)  # reverse over reverse
    np.testing.assert_allclose(fn.jacrev(fn.grad(f))(POINT) @ v, direct, rtol=1e-10, atol=1e-12)
    h = 1e-5
    fd = (fn.grad(f)(POINT + h * v) - fn.grad(f)(POINT - h * v)) / (2 * h)
    np.testing.assert_allclose(direct, fd, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(ARRAY_FUNCTIONS))
def test_every_order_of_two_jacobians_gives_the_hessian(name) -> None:
    f = ARRAY_FUNCTIONS[name]
    reference = numerical_jacobian(fn.grad(f), POINT)  # central differences of the gradient
    for outer in (fn.jacfwd, fn.jacrev):
        for inner in (fn.jacfwd, fn.jacrev):  # jacrev(jacfwd) and jacfwd(jacfwd) nest jvp in a transformation
            H = outer(inner(f))(POINT)
            label = f"{outer.__name__}({inner.__name__})"
            np.testing.assert_allclose(H, reference, rtol=1e-6, atol=1e-7, err_msg=label)
    v = np.array([1.0, 2.0, -1.0])
    reverse_over_forward = fn.grad(lambda x: fn.jvp(f, x, v)[1])(POINT)
    np.testing.assert_allclose(reverse_over_forward, fn.hvp(f, POINT, v), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(VECTOR_FUNCTIONS))
def test_second_derivatives_of_vector_functions_in_every_order(name) -> None:
    f = VECTOR_FUNCTIONS[name]
    reference = fn.jacfwd(fn.jacrev(f))(POINT)
    assert reference.shape == np.shape(fn.jacrev(f)(POINT)) + POINT.shape
    first = fn.jacrev(f)
    numerical = numerical_jacobian(lambda p: first(p).reshape(-1), POINT).reshape(reference.shape)
    np.testing.assert_allclose(reference, numerical, rtol=1e-6, atol=1e-7)
    for composed in (fn.jacrev(fn.jacfwd(f)), fn.jacfwd(fn.jacfwd(f)), fn.jacrev(fn.jacrev(f))):
        np.testing.assert_allclose(composed(POINT), reference, rtol=1e-10, atol=1e-12)


def test_jvp_of_a_tensor_argument() -> None:
    f = lambda x: ad.sin(x) * x  # noqa: E731
    x, v = np.array([0.5, -1.0]), np.array([1.0, 3.0])
    value, tangent = fn.jvp(f, Tensor(x), v)  # a constant Tensor counts as its array
    assert isinstance(tangent, np.ndarray)
    np.testing.assert_allclose(tangent, (np.cos(x) * x + np.sin(x)) * v)
    w = Tensor(x, requires_grad=True)  # a parameter: the tangent stays differentiable in w
    _, tangent = fn.jvp(f, w, v)
    assert isinstance(tangent, Tensor) and tangent.requires_grad
    tangent.sum().backward()  # d/dw sum((cos w * w + sin w) * v) = (2 cos w - w sin w) * v
    np.testing.assert_allclose(w.grad, (2 * np.cos(x) - x * np.sin(x)) * v)
    with pytest.raises(ValueError, match=r"jvp: x and v must have the same shape, got \(2,\) and \(3,\)"):
        fn.jvp(f, w, np.ones(3))


@pytest.mark.parametrize("name", sorted(SCALAR_FUNCTIONS))
def test_higher_derivatives_of_scalar_functions(name) -> None:
    f = SCALAR_FUNCTIONS[name]
    x = 0.7
    d1, d2, d3 = fn.grad(f), fn.grad(fn.grad(f)), fn.grad(fn.grad(fn.grad(f)))
    assert d2(x) == pytest.approx(central_difference(d1, x), rel=1e-7)
    assert d3(x) == pytest.approx(central_difference(d2, x), rel=1e-6)
    assert fn.hessian(f)(x) == pytest.approx(d2(x), rel=1e-12)  # forward over reverse
    assert fn.hvp(f, x, 2.0) == pytest.approx(2.0 * d2(x), rel=1e-12)
    assert fn.jacfwd(fn.jacrev(f))(x) == pytest.approx(d2(x), rel=1e-12)
    assert fn.jacrev(fn.jacfwd(f))(x) == pytest.approx(d2(x), rel=1e-12)  # reverse over forward (numbers)
    assert fn.jvp(d1, x, 1.0)[1] == pytest.approx(d2(x), rel=1e-12)


def test_grad_of_grad_on_a_zero_d_array_uses_tensors_over_tensors() -> None:
    f = SCALAR_FUNCTIONS["exp log"]
    second = fn.grad(fn.grad(f))(np.array(0.7))
    assert isinstance(second, np.ndarray) and second.shape == ()
    assert float(second) == pytest.approx(fn.grad(fn.grad(f))(0.7), rel=1e-12)


def test_masks_and_comparisons_inside_nested_differentiation() -> None:
    f = lambda x: (x * x * (x.data > 0)).sum() + (x > 0).sum()  # noqa: E731  (masks are constants)
    x = np.array([1.5, -1.0, 2.0])
    np.testing.assert_allclose(fn.grad(f)(x), [3.0, 0.0, 4.0])
    np.testing.assert_allclose(fn.hessian(f)(x), np.diag([2.0, 0.0, 2.0]))


def test_no_perturbation_confusion() -> None:
    # d/dx [x * d/dy (x + y)] = 1; confusing the two perturbations gives 2
    assert fn.grad(lambda x: x * fn.grad(lambda y: x + y)(1.0))(1.0) == 1.0
    g = fn.grad(lambda x: (x * fn.grad(lambda y: (x * y).sum())(np.ones(2))).sum())(np.array([1.0, 2.0]))
    np.testing.assert_allclose(g, 2 * np.array([1.0, 2.0]))  # d/dx sum(x * x)


def test_constant_outputs_have_zero_derivatives() -> None:
    assert fn.grad(lambda x: 3.0)(1.0) == 0.0
    np.testing.assert_array_equal(fn.grad(lambda x: Tensor(5.0))(np.ones(2)), np.zeros(2))
    np.testing.assert_array_equal(fn.grad(lambda x: x.detach().sum())(np.ones(2)), np.zeros(2))
    np.testing.assert_array_equal(fn.hvp(lambda x: x.sum(), np.ones(2), np.ones(2)), np.zeros(2))
    assert fn.jvp(lambda x: 2.0, np.ones(2), np.ones(2))[1] == 0.0


def test_parameters_closed_over_stay_differentiable() -> None:
    w = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    g = fn.grad(lambda x: (x * w).sum() ** 2)(np.array([3.0, 4.0]))  # 2 (x . w) w, a Tensor of w
    assert isinstance(g, Tensor) and g.requires_grad
    np.testing.assert_allclose(g.numpy(), 2 * 11.0 * w.data)
    g.sum().backward()  # meta-gradient: d/dw sum(2 (x.w) w) = 2 (x sum(w) + (x.w) 1)
    np.testing.assert_allclose(w.grad, 2 * (np.array([3.0, 4.0]) * 3.0 + 11.0))


def test_user_errors() -> None:
    with pytest.raises(ValueError, match=r"grad: f must return a scalar .* got Tensor of shape \(2,\); use jacrev"):
        fn.grad(lambda x: x * 2)(np.ones(2))
    with pytest.raises(TypeError, match="grad: f must be a function"):
        fn.grad(3.0)(1.0)
    with pytest.raises(TypeError, match="grad: cannot differentiate with respect to str"):
        fn.grad(lambda x: x)("a")
    with pytest.raises(ValueError, match=r"jvp: x and v must have the same shape, got \(2,\) and \(3,\)"):
        fn.jvp(lambda x: x, np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="jacobian: mode must be"):
        fn.jacobian(lambda x: x, mode="sideways")
    with pytest.raises(ValueError, match="hvp: f must return a scalar"):
        fn.hvp(lambda x: x * x, np.ones(2), np.ones(2))


def test_against_pytorch_functional() -> None:
    torch = pytest.importorskip("torch")
    from torch.autograd.functional import hessian as t_hessian
    from torch.autograd.functional import hvp as t_hvp
    from torch.autograd.functional import jacobian as t_jacobian

    M = np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]])

    def ours(x):
        return (ad.tanh(x @ M.T) ** 2).sum() + logsumexp(x * x)

    def theirs(x):
        return (torch.tanh(x @ torch.tensor(M).T) ** 2).sum() + torch.logsumexp(x * x, dim=0)

    tx, tv = torch.tensor(POINT), torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    np.testing.assert_allclose(fn.hessian(ours)(POINT), t_hessian(theirs, tx).numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(fn.hvp(ours, POINT, tv.numpy()), t_hvp(theirs, tx, tv)[1].numpy(), rtol=1e-10, atol=1e-12)
    vec = lambda x: (x @ M.T).tanh()  # noqa: E731
    np.testing.assert_allclose(fn.jacrev(vec)(POINT), t_jacobian(lambda x: torch.tanh(x @ torch.tensor(M).T), tx).numpy(), rtol=1e-12)
