"""autodiff.datasets: seeded toy data in numpy."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_circles, make_moons

from autodiff import datasets

ALL = {
    "xor": lambda **kw: datasets.xor(8, noise=0.1, **kw),
    "moons": datasets.moons,
    "circles": datasets.circles,
    "spirals": datasets.spirals,
}


@pytest.mark.parametrize("name", sorted(ALL))
def test_shapes_types_labels_and_seeding(name: str) -> None:
    make = ALL[name]
    X, y = make(seed=3)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.ndim == 2 and X.shape[1] == 2 and y.shape == (X.shape[0],)
    assert set(y.tolist()) == {-1, 1}
    X2, y2 = make(seed=3)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = make(seed=4)
    assert not np.array_equal(X, X3)
    _, y01 = make(seed=3, labels=(0, 1))
    assert np.array_equal(y01, (y == 1).astype(np.int64))


def _sorted_rows(X: np.ndarray) -> np.ndarray:
    return X[np.lexsort(X.T[::-1])]


@pytest.mark.parametrize("n", [7, 100])
def test_moons_is_scikit_learns_construction(n: int) -> None:
    X, y = datasets.moons(n, noise=0.0)
    Xs, ys = make_moons(n_samples=n, noise=None, shuffle=False)
    np.testing.assert_allclose(_sorted_rows(X), _sorted_rows(Xs), atol=1e-15)
    assert sorted(y.tolist()) == sorted((2 * ys - 1).tolist())
    # same point, same class
    for point, label in zip(Xs, 2 * ys - 1):
        match = np.all(np.isclose(X, point, atol=1e-15), axis=1)
        assert set(y[match].tolist()) == {label}


def test_circles_geometry_matches_scikit_learn() -> None:
    X, y = datasets.circles(40, noise=0.0, factor=0.3)
    Xs, ys = make_circles(n_samples=40, noise=None, factor=0.3, shuffle=False)
    np.testing.assert_allclose(_sorted_rows(X), _sorted_rows(Xs), atol=1e-12)
    radius = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(radius[y == -1], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)


def test_noise_is_gaussian_with_the_given_scale() -> None:
    clean, _ = datasets.moons(4000, noise=0.0, seed=0)
    noisy, _ = datasets.moons(4000, noise=0.2, seed=0)
    # the same permutation is not guaranteed, so compare spreads: the extra variance is 0.2**2
    extra = noisy.var(axis=0) - clean.var(axis=0)
    np.testing.assert_allclose(extra, 0.04, rtol=0.15)


def test_xor() -> None:
    X, y = datasets.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert y.tolist() == [-1, 1, 1, -1]
    assert datasets.xor(labels=(0, 1))[1].tolist() == [0, 1, 1, 0]
    Xn, yn = datasets.xor(400, noise=0.05, seed=1)
    corners = np.round(Xn).astype(int)
    truth = np.where(corners[:, 0] ^ corners[:, 1], 1, -1)
    assert np.array_equal(truth, yn)


def test_spirals() -> None:
    X, y = datasets.spirals(300, classes=3, noise=0.0)
    assert np.bincount(y).tolist() == [100, 100, 100]
    assert np.hypot(X[:, 0], X[:, 1]).max() == pytest.approx(1.0)
    _, y4 = datasets.spirals(10, classes=4, labels=(10, 20, 30, 40))
    assert sorted(set(y4.tolist())) == [10, 20, 30, 40] and len(y4) == 10
    X2, y2 = datasets.spirals(50)
    assert set(y2.tolist()) == {-1, 1} and np.sum(y2 == 1) == 25


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match=r"^moons: n must be an int, got float"):
        datasets.moons(10.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^moons: n must be at least 2"):
        datasets.moons(1)
    with pytest.raises(ValueError, match=r"^circles: noise must be a finite number >= 0"):
        datasets.circles(noise=-0.1)
    with pytest.raises(ValueError, match=r"^circles: factor .* must be in \(0, 1\)"):
        datasets.circles(factor=1.5)
    with pytest.raises(ValueError, match=r"^xor: labels must be distinct"):
        datasets.xor(labels=(1, 1))
    with pytest.raises(ValueError, match=r"^spirals: labels must be 3 ints"):
        datasets.spirals(classes=3, labels=(0, 1))
    with pytest.raises(TypeError, match=r"^moons: seed must be a non-negative int"):
        datasets.moons(seed=-1)
    with pytest.raises(ValueError, match=r"^spirals: turns must be a positive number"):
        datasets.spirals(turns=0)
