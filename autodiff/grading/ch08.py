"""Checks of the graded set of chapter 8, "From scalars to tensors" (``08_tensors``).

The student writes the vector–Jacobian products of the chapter in numpy, composes them into the
backward pass of a small network, and trains a classifier with the package's ``Tensor`` engine:

====  =====================================================  ===================================
id    task                                                   oracle
====  =====================================================  ===================================
8.1   ``matmul_vjp(X, W, Z_bar)``: both adjoints of          the ``Tensor`` engine's backward
      ``Z = X @ W``                                          pass on the same arrays
8.2   ``sum_to_shape(g, shape)``: the adjoint of an          an entry-by-entry loop that adds
      operand that was broadcast to ``g.shape``              each entry of ``g`` to the operand
                                                             entry it was copied from
8.3   ``softmax_vjp(y, y_bar)``: the VJP of the softmax      central differences of
      along the last axis, from its output                   ``<y_bar, softmax(x)>``
8.4   ``mlp_gradients(X, labels, W1, b1, W2, b2)``: loss     the ``Tensor`` engine (``relu``,
      and gradients of a two-layer relu network with mean    ``@``, ``cross_entropy``) on the
      softmax cross-entropy, by hand                         same arrays
8.5   ``train_digits(X_train, y_train)``: a classifier for   the held-out labels: accuracy at
      scikit-learn's digits, trained with ``Tensor``         least 92 % and mean cross-entropy
                                                             at most 0.35
====  =====================================================  ===================================

Answers to 8.1–8.4 are numpy code and may not use the ``autodiff`` package (other than
``autodiff.grading``): they are what the engine does inside. 8.5 uses the engine and may not use
scikit-learn's ready-made classifiers. No expected value enters the student's process: 8.5's
driver receives the training data and the test *images*, returns the model's scores on them, and
the grader compares them with the test labels it kept.

The module's public object is :data:`chapter`; the drivers and checks are reached through it.

>>> [(e.id, e.points) for e in chapter.exercises.values()]
[('8.1', 3), ('8.2', 3), ('8.3', 3), ('8.4', 4), ('8.5', 3)]
>>> sum(e.points for e in chapter.exercises.values())
16
>>> sum_back([[1.0, 2.0], [3.0, 4.0]], (2,))
[4.0, 6.0]
"""

from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from autodiff.grading.compare import close
from autodiff.grading.registry import Case, Chapter, need
from autodiff.numerical import numerical_jacobian

__all__ = ["chapter", "sum_back", "softmax_rows", "digits_split"]

chapter = Chapter("08_tensors", "From scalars to tensors", module=__name__)

_NO_PACKAGE = {"forbidden": ("autodiff",), "allowed": ("autodiff.grading",)}
#: Ready-made classifiers that would make 8.5 a call instead of a training loop.
_CLASSIFIERS = tuple(
    f"sklearn.{name}" for name in (
        "linear_model", "neural_network", "svm", "neighbors", "ensemble", "tree", "naive_bayes",
        "discriminant_analysis", "kernel_ridge", "gaussian_process", "semi_supervised", "multiclass",
        "dummy", "pipeline", "calibration", "multioutput",
    )
)

matmul = chapter.exercise("8.1", "The VJP of a matrix product", ("matmul_vjp",), **_NO_PACKAGE)
unbroadcast = chapter.exercise("8.2", "Summing a gradient back to a broadcast shape", ("sum_to_shape",), **_NO_PACKAGE)
softmax = chapter.exercise("8.3", "The VJP of the softmax", ("softmax_vjp",), **_NO_PACKAGE)
mlp = chapter.exercise("8.4", "A network's backward pass by hand", ("mlp_gradients",), **_NO_PACKAGE)
digits = chapter.exercise("8.5", "Handwritten digits", ("train_digits",), forbidden=_CLASSIFIERS)

#: Products and sums of a few numbers of order 1 agree to rounding, whatever the order.
EXACT_TOL = close(rtol=1e-9, atol=1e-12)
#: Central differences of the softmax with the default step are good to about 1e-10 here.
FD_TOL = close(rtol=1e-6, atol=1e-8)
#: The engine and a numpy backward pass perform the same operations in a similar order.
NET_TOL = close(rtol=1e-7, atol=1e-10)
#: What a trained classifier must reach on the held-out digits. Measured on 16 random splits (75/25
#: and 50/50): softmax regression trained as the notebook suggests reaches 93.5-96 % with a
#: cross-entropy of 0.18-0.28, an MLP 64-32-10 94-98 % and 0.08-0.19; a nearest-centroid rule
#: with minus the squared distance as scores, which trains nothing, 89-91 % and 0.43-0.49.
MIN_ACCURACY = 0.92
MAX_CROSS_ENTROPY = 0.35


# -- helpers (either process) -------------------------------------------------------------------


def _array(value: Any, name: str) -> np.ndarray:
    """``value`` as a float64 array, or a TypeError naming what it was."""
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} is a {type(value).__name__}, not an array of numbers") from None


def _plain_array(value: Any, name: str) -> dict[str, Any]:
    """An array as plain data: its shape and its entries (a number for a 0-d array)."""
    a = _array(value, name)
    return {"shape": list(a.shape), "value": a.tolist()}


def _rounded(rng: random.Random, shape: Sequence[int], scale: float = 1.0) -> list[Any]:
    """A nested list of normal numbers with 6 decimals (plain data, exact in JSON)."""
    generator = np.random.default_rng(rng.randrange(2**32))
    return np.round(scale * generator.standard_normal(tuple(shape)), 6).tolist()


def sum_back(g: Any, shape: Sequence[int]) -> Any:
    """The adjoint of an operand of ``shape`` broadcast to ``g``'s shape, entry by entry.

    Each entry of the broadcast result is a copy of one entry of the operand (numpy's rule: shapes
    aligned on the right, missing leading axes and axes of length 1 stretched), so its adjoint is
    added to that entry. Deliberately a plain loop, independent of ``sum`` and ``unbroadcast``.

    >>> sum_back([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], (2, 1))
    [[6.0], [15.0]]
    >>> sum_back([[1.0, 2.0], [3.0, 4.0]], ())
    10.0
    """
    g = np.asarray(g, dtype=np.float64)
    shape = tuple(shape)
    out = np.zeros(shape)
    lead = g.ndim - len(shape)
    for index in np.ndindex(g.shape):
        source = tuple(0 if shape[k] == 1 else index[lead + k] for k in range(len(shape)))
        out[source] += g[index]
    return out.tolist()


def softmax_rows(x: Any) -> np.ndarray:
    """The softmax of ``x`` along its last axis, stable for large entries.

    >>> softmax_rows([[0.0, 0.0], [1000.0, 0.0]]).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@functools.lru_cache(maxsize=8)
def digits_split(seed: int, train_fraction: float) -> tuple[list[list[float]], list[int], list[list[float]], list[int]]:
    """scikit-learn's digits, pixels scaled to [0, 1], split in a stratified way by ``seed``.

    Returns plain lists ``(X_train, y_train, X_test, y_test)``; the chapter's split is
    ``digits_split(0, 0.75)``. Uses only numpy for the split, so it is the same for every
    scikit-learn version.

    >>> X_train, y_train, X_test, y_test = digits_split(0, 0.75)
    >>> len(X_train), len(X_test), len(X_train[0]), sorted(set(y_test)) == list(range(10))
    (1347, 450, 64, True)
    """
    from sklearn.datasets import load_digits

    data = load_digits()
    X, y = data.data / 16.0, data.target
    generator = np.random.default_rng(seed)
    train_rows, test_rows = [], []
    for digit in range(10):
        rows = generator.permutation(np.flatnonzero(y == digit))
        cut = int(round(train_fraction * len(rows)))
        train_rows += rows[:cut].tolist()
        test_rows += rows[cut:].tolist()
    train_rows = generator.permutation(train_rows)
    test_rows = generator.permutation(test_rows)
    return X[train_rows].tolist(), y[train_rows].tolist(), X[test_rows].tolist(), y[test_rows].tolist()


# -- drivers: run where the student's code is; they return what they saw, as plain data -------


@chapter.driver
def matmul_vjp_of(ns: dict[str, Any], X: list[Any], W: list[Any], Z_bar: list[Any]) -> dict[str, Any]:
    """The student's ``matmul_vjp`` on arrays: both adjoints, with their shapes."""
    result = need(ns, "matmul_vjp")(np.array(X), np.array(W), np.array(Z_bar))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError(f"matmul_vjp returned a {type(result).__name__}; return the pair (X_bar, W_bar)")
    return {"X_bar": _plain_array(result[0], "X_bar"), "W_bar": _plain_array(result[1], "W_bar")}


@chapter.driver
def sum_to_shape_of(ns: dict[str, Any], g: Any, shape: list[int]) -> dict[str, Any]:
    """The student's ``sum_to_shape`` on an array and a shape tuple."""
    return _plain_array(need(ns, "sum_to_shape")(np.array(g, dtype=np.float64), tuple(shape)), "the result")


@chapter.driver
def softmax_vjp_of(ns: dict[str, Any], y: Any, y_bar: Any) -> dict[str, Any]:
    """The student's ``softmax_vjp`` on the softmax output ``y`` and the cotangent ``y_bar``."""
    return _plain_array(need(ns, "softmax_vjp")(np.array(y), np.array(y_bar)), "x_bar")


@chapter.driver
def mlp_gradients_of(ns: dict[str, Any], X: list[Any], labels: list[int], W1: list[Any], b1: list[Any],
                     W2: list[Any], b2: list[Any]) -> dict[str, Any]:
    """The student's ``mlp_gradients``: the loss and the four gradients, with their shapes."""
    arrays = [np.array(a, dtype=np.float64) for a in (X, W1, b1, W2, b2)]
    result = need(ns, "mlp_gradients")(arrays[0], np.array(labels, dtype=np.int64), *arrays[1:])
    if not isinstance(result, dict):
        raise TypeError(f"mlp_gradients returned a {type(result).__name__}; return a dict with the keys "
                        "'loss', 'W1', 'b1', 'W2', 'b2'")
    missing = [k for k in ("loss", "W1", "b1", "W2", "b2") if k not in result]
    if missing:
        raise KeyError(f"mlp_gradients returned no {missing[0]!r}")
    out = {"loss": float(_array(result["loss"], "loss"))}
    for key in ("W1", "b1", "W2", "b2"):
        out[key] = _plain_array(result[key], key)
    return out


@chapter.driver
def digits_scores_of(ns: dict[str, Any], X_train: list[Any], y_train: list[int], X_test: list[Any]) -> dict[str, Any]:
    """Train the student's classifier on the training data; its scores on the test images."""
    from autodiff.tensor import Tensor, no_grad

    predict = need(ns, "train_digits")(np.array(X_train), np.array(y_train, dtype=np.int64))
    if not callable(predict):
        raise TypeError(f"train_digits returned a {type(predict).__name__}; return a function (or a model) that "
                        "maps an array of images to their scores")
    with no_grad():
        scores = predict(np.array(X_test))
    if isinstance(scores, Tensor):
        scores = scores.numpy()
    scores = _array(scores, "the scores")
    if scores.shape != (len(X_test), 10):
        raise ValueError(f"the scores have shape {scores.shape}; expected ({len(X_test)}, 10): one row of 10 "
                         "scores per image")
    return {"scores": scores.tolist()}


# -- oracles (in the grader) ------------------------------------------------------------------


def _expected_matmul(X: list[Any], W: list[Any], Z_bar: list[Any]) -> dict[str, Any]:
    """Both adjoints by the engine's backward pass."""
    from autodiff.tensor import Tensor

    Xt = Tensor(np.array(X), requires_grad=True)
    Wt = Tensor(np.array(W), requires_grad=True)
    (Xt @ Wt).backward(np.array(Z_bar))
    return {"X_bar": _plain_array(Xt.grad, "X_bar"), "W_bar": _plain_array(Wt.grad, "W_bar")}


def _expected_softmax(x: np.ndarray, y_bar: np.ndarray) -> dict[str, Any]:
    """x_bar by central differences of <y_bar, softmax(x)>, one row at a time."""
    flat_x = x.reshape(-1, x.shape[-1])
    flat_bar = y_bar.reshape(flat_x.shape)
    rows = []
    for row, bar in zip(flat_x, flat_bar):
        jacobian = numerical_jacobian(softmax_rows, row)  # d y_i / d x_j
        rows.append(jacobian.T @ bar)
    return _plain_array(np.array(rows).reshape(x.shape), "x_bar")


def _expected_mlp(X: list[Any], labels: list[int], W1: list[Any], b1: list[Any], W2: list[Any],
                  b2: list[Any]) -> dict[str, Any]:
    """The engine's loss and gradients for the same network and data."""
    from autodiff.tensor import Tensor, cross_entropy

    params = [Tensor(np.array(a, dtype=np.float64), requires_grad=True) for a in (W1, b1, W2, b2)]
    tW1, tb1, tW2, tb2 = params
    loss = cross_entropy((Tensor(np.array(X)) @ tW1 + tb1).relu() @ tW2 + tb2, np.array(labels))
    loss.backward()
    out: dict[str, Any] = {"loss": loss.item()}
    for key, p in zip(("W1", "b1", "W2", "b2"), params):
        out[key] = _plain_array(p.grad, key)
    return out


def _classifier_quality(got: Any, expected: Any) -> str | None:
    """Comparator of 8.5: accuracy and mean cross-entropy of the scores against the labels."""
    if type(got) is not dict or "scores" not in got:
        return "expected the scores of the test images"
    labels = np.array(expected, dtype=np.int64)
    try:
        scores = np.array(got["scores"], dtype=np.float64)
    except (TypeError, ValueError):
        return "the scores are not an array of numbers"
    if scores.shape != (len(labels), 10):
        return f"the scores have shape {scores.shape}, expected ({len(labels)}, 10)"
    if not np.all(np.isfinite(scores)):
        return "some scores are not finite"
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    cross_entropy = float(-np.mean(log_probs[np.arange(len(labels)), labels]))
    accuracy = float(np.mean(scores.argmax(axis=1) == labels))
    if accuracy < MIN_ACCURACY:
        return f"test accuracy {accuracy:.1%}, below {MIN_ACCURACY:.0%}"
    if cross_entropy > MAX_CROSS_ENTROPY:
        return (f"test accuracy {accuracy:.1%}, but the mean cross-entropy of the scores is {cross_entropy:.3f}, "
                f"above {MAX_CROSS_ENTROPY}: the scores must be the logits of a trained softmax classifier")
    return None


# -- 8.1 matmul_vjp -----------------------------------------------------------------------------


def _matmul_case(X: list[Any], W: list[Any], Z_bar: list[Any], label: str, hint: str = "") -> Case:
    return Case(label, matmul_vjp_of, (X, W, Z_bar), _expected_matmul(X, W, Z_bar), EXACT_TOL, hint=hint)


@matmul.check(points=1)
def matmul_by_hand(rng: random.Random) -> list[Case]:
    X = [[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]]
    W = [[1.0, 0.0], [2.0, -1.0], [0.5, 4.0]]
    Z_bar = [[1.0, 0.0], [0.0, 2.0]]
    hint = ("X_bar has the shape of X and W_bar the shape of W: X_bar = Z_bar @ W.T, W_bar = X.T @ Z_bar; "
            "for 2x2 matrices a transpose in the wrong place still has the right shape")
    square = ([[1.0, 2.0], [3.0, 4.0]], [[0.0, 1.0], [-1.0, 2.0]], [[1.0, -1.0], [2.0, 0.5]])
    return [
        _matmul_case(X, W, Z_bar, "X 2x3, W 3x2, Z_bar 2x2", hint),
        _matmul_case(*square, "X 2x2, W 2x2, Z_bar 2x2", hint),
    ]


@matmul.check(points=2, hidden=True)
def matmul_random(rng: random.Random) -> list[Case]:
    cases = []
    shapes = [(rng.randint(1, 6), rng.randint(1, 6), rng.randint(1, 6)) for _ in range(4)]
    n = rng.randint(2, 5)
    shapes += [(n, n, n), (1, rng.randint(2, 6), 1)]
    for m, k, n in shapes:
        X, W, Z_bar = _rounded(rng, (m, k)), _rounded(rng, (k, n)), _rounded(rng, (m, n))
        cases.append(_matmul_case(X, W, Z_bar, f"X {m}x{k}, W {k}x{n}, random entries"))
    return cases


# -- 8.2 sum_to_shape ---------------------------------------------------------------------------


def _sum_case(g: Any, shape: Sequence[int], hint: str = "") -> Case:
    g_shape = np.shape(g)
    expected = {"shape": list(shape), "value": sum_back(g, shape)}
    return Case(f"g of shape {g_shape} back to {tuple(shape)}", sum_to_shape_of, (g, list(shape)), expected,
                EXACT_TOL, hint=hint)


@unbroadcast.check(points=1)
def sum_by_hand(rng: random.Random) -> list[Case]:
    g = np.arange(12.0).reshape(3, 4).tolist()
    g3 = np.arange(24.0).reshape(2, 3, 4).tolist()
    hint = ("sum over the leading axes that shape lacks, then over the axes where shape has length 1 "
            "(keeping them, with keepdims=True)")
    return [
        _sum_case(g, (4,), hint),
        _sum_case(g, (3, 1), hint),
        _sum_case(g3, (3, 1), hint),
        _sum_case(g, (), hint),
        _sum_case(g, (3, 4), "nothing was broadcast: the adjoint is g itself"),
    ]


def _random_operand_shape(rng: random.Random, big: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``big``: some leading axes dropped, some axes of length 1."""
    keep = rng.randint(0, len(big))
    tail = big[len(big) - keep:]
    return tuple(1 if rng.random() < 0.4 else n for n in tail)


@unbroadcast.check(points=2, hidden=True)
def sum_random(rng: random.Random) -> list[Case]:
    cases = []
    bigs = [tuple(rng.randint(1, 4) for _ in range(rng.randint(1, 4))) for _ in range(5)]
    bigs += [(2, 3, 4), (3, 1, 4)]
    for big in bigs:
        small = _random_operand_shape(rng, big)
        cases.append(_sum_case(_rounded(rng, big), small))
    cases.append(_sum_case(_rounded(rng, (2, 3, 4)), (3, 1)))     # leading and inner axes at once
    cases.append(_sum_case(_rounded(rng, (2, 3, 4)), (2, 1, 4)))  # an inner axis only
    return cases


# -- 8.3 softmax_vjp ----------------------------------------------------------------------------


def _softmax_case(x: Any, y_bar: Any, label: str, hint: str = "") -> Case:
    xa, bar = np.array(x, dtype=np.float64), np.array(y_bar, dtype=np.float64)
    y = softmax_rows(xa)
    return Case(label, softmax_vjp_of, (y.tolist(), y_bar), _expected_softmax(xa, bar), FD_TOL, hint=hint)


@softmax.check(points=1)
def softmax_by_hand(rng: random.Random) -> list[Case]:
    hint = "x_bar = y * (y_bar - sum(y_bar * y)), the sum taken along the last axis of each row (keepdims=True)"
    return [
        _softmax_case([1.0, 2.0, 3.0], [1.0, 0.0, 0.0], "one row, y_bar = e_1", hint),
        _softmax_case([[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0]], [[0.3, -2.0, 1.0, 0.5], [1.0, 2.0, 3.0, 4.0]],
                      "two rows of 4", hint),
    ]


@softmax.check(points=2, hidden=True)
def softmax_random(rng: random.Random) -> list[Case]:
    cases = []
    shapes = [(rng.randint(2, 7),), (rng.randint(2, 5), rng.randint(2, 6)), (2, rng.randint(2, 3), rng.randint(2, 5))]
    shapes.append((rng.randint(2, 4), rng.randint(2, 6)))
    for i, shape in enumerate(shapes):
        scale = 3.0 if i < 3 else 30.0  # the last one: peaked rows
        cases.append(_softmax_case(_rounded(rng, shape, scale), _rounded(rng, shape), f"shape {shape}, random scores"))
    return cases


# -- 8.4 mlp_gradients --------------------------------------------------------------------------


def _mlp_case(rng: random.Random, n: int, d: int, h: int, c: int, scale: float, label: str, hint: str = "",
              shift: float = 0.0) -> Case:
    """Random data and parameters; ``scale`` multiplies W2, ``shift`` is added to every entry of b2
    (the loss does not change, but exp of a score above about 709 overflows)."""
    X = _rounded(rng, (n, d))
    labels = [rng.randrange(c) for _ in range(n)]
    W1, b1 = _rounded(rng, (d, h)), _rounded(rng, (h,), 0.5)
    W2, b2 = _rounded(rng, (h, c), scale), (np.array(_rounded(rng, (c,), 0.5)) + shift).tolist()
    args = (X, labels, W1, b1, W2, b2)
    return Case(label, mlp_gradients_of, args, _expected_mlp(*args), NET_TOL, hint=hint)


@mlp.check(points=1)
def mlp_by_hand(rng: random.Random) -> list[Case]:
    return [
        _mlp_case(rng, 5, 3, 4, 3, 1.0, "5 examples, 3 features, 4 hidden units, 3 classes",
                  "logits_bar = (softmax(logits) - onehot) / N; then the matmul VJPs, the bias sums over "
                  "the rows, and the relu mask (pre-activation > 0)"),
    ]


@mlp.check(points=3, hidden=True)
def mlp_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(3):
        n, d, h, c = rng.randint(2, 12), rng.randint(1, 6), rng.randint(1, 8), rng.randint(2, 5)
        cases.append(_mlp_case(rng, n, d, h, c, 1.0, f"{n} examples, {d}-{h}-{c} network"))
    cases.append(_mlp_case(rng, 1, 3, 4, 3, 1.0, "a single example"))
    n = rng.randint(4, 8)
    cases.append(_mlp_case(rng, n, 4, 6, 4, 10.0, f"{n} examples, scores around 1000", shift=1000.0))
    return cases


# -- 8.5 train_digits ---------------------------------------------------------------------------


def _digits_case(seed: int, train_fraction: float, label: str, hint: str = "") -> Case:
    X_train, y_train, X_test, y_test = digits_split(seed, train_fraction)
    return Case(label, digits_scores_of, (X_train, y_train, X_test), y_test, _classifier_quality, hint=hint,
                show=f"accuracy >= {MIN_ACCURACY:.0%}, cross-entropy <= {MAX_CROSS_ENTROPY}")


@digits.check(points=1)
def digits_public(rng: random.Random) -> list[Case]:
    return [
        _digits_case(0, 0.75, "the notebook's split: 1347 training images, 450 test images",
                     "a softmax regression (nn.MLP([64, 10])) trained with Adam for 20 epochs of mini-batches is "
                     "enough; return a function of the images that returns the model's logits"),
    ]


@digits.check(points=2, hidden=True)
def digits_random(rng: random.Random) -> list[Case]:
    return [
        _digits_case(rng.randrange(1, 10**6), 0.75, "another random 75/25 split"),
        _digits_case(rng.randrange(1, 10**6), 0.5, "a random 50/50 split"),
    ]
