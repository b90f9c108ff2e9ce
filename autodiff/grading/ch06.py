"""Checks of the graded set of chapter 6, "Training small networks" (``06_training``).

The student writes the pieces of a training loop around the package's own engine
(:class:`autodiff.Value` and :mod:`autodiff.nn`):

====  =====================================================  ===================================
id    task                                                   oracle
====  =====================================================  ===================================
6.1   ``count_parameters(nin, nouts)`` of an MLP, without    ``len(MLP(nin, nouts).parameters())``
      building it                                            from the package
6.2   ``svm_loss(scores, labels, params, alpha)``: mean      the float formula, and central
      hinge loss plus ``alpha * sum(p**2)``, as a Value      differences of it for every gradient
6.3   ``train_step(model, loss_fn, lr)``: forward,           the package's own step (zero_grad,
      zero_grad, backward, update; returns the loss          backward, ``p.data -= lr * p.grad``)
      before the update                                      on an identical model, with stale
                                                             gradients left in the parameters
6.4   ``numerical_gradient(model, loss_fn, h)``: central     reverse mode (the package's
      differences for every parameter, parameters            ``backward``) on an identical model;
      restored                                               the parameters, compared afterwards
6.5   ``fit(model, X, y, steps, alpha)``: the chapter's      the package trained with the same
      recipe (hinge + L2, learning rate                      recipe: every step's loss, and the
      ``1 - 0.9 k / steps``) on two moons                    final training accuracy
====  =====================================================  ===================================

Drivers build the models and data from plain specifications (sizes, seeds) in the student's
process; the grader builds identical ones in its own process to compute the expected values, so
no expected value ever reaches the student's code. The networks are small (a few dozen
parameters, at most 24 examples), so a whole exercise, its hidden cases included, runs in well
under a second.

Answers to 6.1 may not use the ``autodiff`` package (the point is the formula); 6.2 may not use
``autodiff.nn``'s ``hinge_loss`` and ``l2_penalty``; 6.4 may not use ``backward`` (the point is
the other method) nor the package's finite differences (``autodiff.check``,
``autodiff.numerical``, ``autodiff.functional``).

The module's public object is :data:`chapter`; the drivers and checks are reached through it.

>>> [(e.id, e.points) for e in chapter.exercises.values()]
[('6.1', 2), ('6.2', 3), ('6.3', 3), ('6.4', 3), ('6.5', 4)]
>>> sum(e.points for e in chapter.exercises.values())
15
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from autodiff.grading.compare import close, equal
from autodiff.grading.registry import Case, Chapter, need
from autodiff.numerical import central_difference

__all__ = ["chapter"]

chapter = Chapter("06_training", "Training small networks", module=__name__)

count = chapter.exercise(
    "6.1", "Counting the parameters of an MLP", ("count_parameters",),
    forbidden=("autodiff",), allowed=("autodiff.grading",),
)
svm = chapter.exercise(
    "6.2", "The max-margin loss with L2 regularisation", ("svm_loss",),
    forbidden=("autodiff.nn.hinge_loss", "autodiff.nn.l2_penalty"),
)
step = chapter.exercise("6.3", "One training step", ("train_step",))
numgrad = chapter.exercise(
    "6.4", "A network's gradient by central differences", ("numerical_gradient",),
    forbidden=(
        "autodiff.scalar.Value.backward", "autodiff.scalar.Value._backward", "autodiff.scalar.backward",
        "autodiff.check", "autodiff.numerical", "autodiff.functional",
    ),
)
fit = chapter.exercise("6.5", "Training on two moons", ("fit",))

#: Same operations in the same order give the same floats; the tolerance only absorbs a
#: different order of additions.
STEP_TOL = close(rtol=1e-9, atol=1e-12)
#: Central differences with h = 1e-4 are good to about 1e-8 here; a forward difference is off by
#: about h/2 times the second derivative, 1e-6 or more.
GRAD_TOL = close(rtol=1e-5, atol=1e-7)
LOSS_TOL = close(rtol=1e-6, atol=1e-9)
#: Trajectories of the training recipe: a different order of additions changes the losses by
#: about 1e-15 after 16 steps (measured), far inside this tolerance. The networks of 6.5 use tanh:
#: with relu, a pre-activation can sit exactly at the kink (a neuron whose inputs are all dead and
#: whose bias never moved), and rounding then decides relu'(z), so two correct loops can diverge.
FIT_TOL = close(rtol=1e-6, atol=1e-9)


# -- building models, data and losses from plain specifications (in either process) -----------


def _model(spec: dict[str, Any]) -> Any:
    from autodiff.nn import MLP

    return MLP(spec["nin"], spec["nouts"], activation=spec["activation"], seed=spec["seed"])


def _data(spec: dict[str, Any]) -> tuple[list[list[float]], list[int]]:
    """``{"kind": "xor" | "moons", "n", "noise", "seed", "labels"}`` as plain lists."""
    from autodiff import datasets

    make = datasets.xor if spec["kind"] == "xor" else datasets.moons
    X, y = make(spec["n"], noise=spec["noise"], seed=spec["seed"], labels=tuple(spec["labels"]))
    return X.tolist(), y.tolist()


def _loss_fn(spec: dict[str, Any]) -> Callable[[Any], Any]:
    """The function ``model -> loss Value`` of a loss spec: ``{"loss": "mse" | "bce" |
    "hinge_l2", "alpha", "data": {...}}``."""
    from autodiff.nn import bce_with_logits, hinge_loss, l2_penalty, mse_loss

    X, y = _data(spec["data"])
    kind, alpha = spec["loss"], spec.get("alpha", 0.0)
    if kind == "mse":
        return lambda model: mse_loss([model(x) for x in X], y)
    if kind == "bce":
        return lambda model: bce_with_logits([model(x) for x in X], y)
    if kind == "hinge_l2":
        return lambda model: hinge_loss([model(x) for x in X], y) + l2_penalty(model.parameters(), alpha)
    raise ValueError(f"unknown loss {kind!r}")  # pragma: no cover - the specs below use the three


def _accuracy(model: Any, X: list[list[float]], y: list[int]) -> float:
    return sum((model(x).data > 0) == (t > 0) for x, t in zip(X, y)) / len(y)


# -- drivers: run where the student's code is; they return what they saw, as plain data -------


@chapter.driver
def count_of(ns: dict[str, Any], nin: int, nouts: list[int]) -> Any:
    """The student's ``count_parameters(nin, nouts)``."""
    return need(ns, "count_parameters")(nin, list(nouts))


@chapter.driver
def svm_of(ns: dict[str, Any], scores: list[float], labels: list[int], params: list[float], alpha: float) -> dict[str, Any]:
    """``svm_loss`` on fresh leaves, back-propagated by the package: value and every gradient."""
    from autodiff import Value

    S = [Value(s) for s in scores]
    P = [Value(p) for p in params]
    out = need(ns, "svm_loss")(S, list(labels), P, alpha)
    if not isinstance(out, Value):
        raise TypeError(f"svm_loss returned a {type(out).__name__}, not a Value (backward needs the graph)")
    out.backward()
    return {"value": out.data, "score_grads": [s.grad for s in S], "param_grads": [p.grad for p in P]}


@chapter.driver
def steps_of(ns: dict[str, Any], model_spec: dict[str, Any], loss_spec: dict[str, Any], lr: float, steps: int,
             stale: float) -> dict[str, Any]:
    """``train_step`` called ``steps`` times on a fresh model whose parameters start with the
    gradient ``stale`` (left over from an earlier backward): what it returned, and every
    parameter after each call."""
    model = _model(model_spec)
    loss_fn = _loss_fn(loss_spec)
    for p in model.parameters():
        p.grad = stale
    train_step = need(ns, "train_step")
    returned, params = [], []
    for _ in range(steps):
        returned.append(train_step(model, loss_fn, lr))
        params.append([p.data for p in model.parameters()])
    return {"returned": returned, "params": params}


@chapter.driver
def numgrad_of(ns: dict[str, Any], model_spec: dict[str, Any], loss_spec: dict[str, Any], h: float) -> dict[str, Any]:
    """The student's ``numerical_gradient``, and how far it left the parameters from where they were."""
    model = _model(model_spec)
    loss_fn = _loss_fn(loss_spec)
    before = [p.data for p in model.parameters()]
    grad = need(ns, "numerical_gradient")(model, loss_fn, h)
    after = [p.data for p in model.parameters()]
    return {"grad": list(grad), "moved": max(abs(a - b) for a, b in zip(after, before))}


@chapter.driver
def fit_of(ns: dict[str, Any], data_spec: dict[str, Any], model_spec: dict[str, Any], steps: int,
           alpha: float) -> dict[str, Any]:
    """The student's ``fit`` on fresh data and a fresh model: the losses it returned, and the
    training accuracy of the model afterwards."""
    X, y = _data(data_spec)
    model = _model(model_spec)
    losses = need(ns, "fit")(model, X, y, steps, alpha)
    return {"losses": list(losses), "accuracy": _accuracy(model, X, y)}


# -- oracles (in the grader) ------------------------------------------------------------------


def _expected_count(nin: int, nouts: list[int]) -> int:
    return len(_model({"nin": nin, "nouts": nouts, "activation": "relu", "seed": 0}).parameters())


def _svm_float(scores: list[float], labels: list[int], params: list[float], alpha: float) -> float:
    hinge = sum(max(0.0, 1.0 - t * s) for s, t in zip(scores, labels)) / len(scores)
    return hinge + alpha * sum(p * p for p in params)


def _expected_svm(scores: list[float], labels: list[int], params: list[float], alpha: float) -> dict[str, Any]:
    """Value and gradients of the float formula, the gradients by central differences."""
    def partial(values: list[float], i: int, rebuild: Callable[[list[float]], float]) -> float:
        def f(t: float) -> float:
            return rebuild(values[:i] + [t] + values[i + 1 :])
        return central_difference(f, values[i])

    return {
        "value": _svm_float(scores, labels, params, alpha),
        "score_grads": [partial(scores, i, lambda s: _svm_float(s, labels, params, alpha)) for i in range(len(scores))],
        "param_grads": [partial(params, i, lambda p: _svm_float(scores, labels, p, alpha)) for i in range(len(params))],
    }


def _expected_steps(model_spec: dict[str, Any], loss_spec: dict[str, Any], lr: float, steps: int) -> dict[str, Any]:
    """The package's own loop on an identical model: loss before each update, parameters after."""
    model = _model(model_spec)
    loss_fn = _loss_fn(loss_spec)
    returned, params = [], []
    for _ in range(steps):
        loss = loss_fn(model)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad
        returned.append(loss.data)
        params.append([p.data for p in model.parameters()])
    return {"returned": returned, "params": params}


def _expected_numgrad(model_spec: dict[str, Any], loss_spec: dict[str, Any]) -> dict[str, Any]:
    """Reverse mode on an identical model: the other way to the same gradient."""
    model = _model(model_spec)
    loss = _loss_fn(loss_spec)(model)
    loss.backward()
    return {"grad": [p.grad for p in model.parameters()], "moved": 0.0}


def _expected_fit(data_spec: dict[str, Any], model_spec: dict[str, Any], steps: int, alpha: float) -> dict[str, Any]:
    """The chapter's recipe, run by the package: full-batch hinge loss + alpha * sum(p**2),
    learning rate 1 - 0.9 k / steps at step k."""
    from autodiff.nn import SGD, hinge_loss, l2_penalty

    X, y = _data(data_spec)
    model = _model(model_spec)
    opt = SGD(model.parameters(), lr=1.0)
    losses = []
    for k in range(steps):
        loss = hinge_loss([model(x) for x in X], y) + l2_penalty(model.parameters(), alpha)
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / steps
        opt.step()
        losses.append(loss.data)
    return {"losses": losses, "accuracy": _accuracy(model, X, y)}


def _rounded(rng: random.Random, lo: float, hi: float) -> float:
    return round(rng.uniform(lo, hi), 6)


# -- 6.1 count_parameters -----------------------------------------------------------------------


def _count_case(nin: int, nouts: list[int], hint: str = "") -> Case:
    return Case(f"count_parameters({nin}, {nouts})", count_of, (nin, nouts), _expected_count(nin, nouts), equal(),
                hint=hint)


@count.check(points=1)
def count_by_hand(rng: random.Random) -> list[Case]:
    hint = "a layer of n_out neurons reading n_in inputs has n_out * (n_in + 1) parameters: weights and a bias each"
    return [_count_case(2, [16, 16, 1], hint), _count_case(3, [4, 4, 1], hint), _count_case(1, [1], hint)]


@count.check(points=1, hidden=True)
def count_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(8):
        depth = rng.randint(1, 5)
        cases.append(_count_case(rng.randint(1, 12), [rng.randint(1, 40) for _ in range(depth)]))
    cases.append(_count_case(rng.choice([64, 784]), [rng.choice([128, 256]), rng.randint(16, 64), 10]))
    return cases


# -- 6.2 svm_loss -------------------------------------------------------------------------------


def _svm_case(scores: list[float], labels: list[int], params: list[float], alpha: float, hint: str = "") -> Case:
    return Case(
        f"scores {scores}, labels {labels}, params {params}, alpha {alpha:g}",
        svm_of, (scores, labels, params, alpha), _expected_svm(scores, labels, params, alpha), LOSS_TOL, hint=hint,
    )


def _random_scores(rng: random.Random, n: int, labels: list[int]) -> list[float]:
    """Scores whose margins y * s stay clear of the hinge's kink at 1 (central differences are
    exact away from it, and the derivative there is a convention)."""
    scores = []
    for t in labels:
        s = _rounded(rng, -2.5, 2.5)
        while abs(1.0 - t * s) < 0.05:
            s = _rounded(rng, -2.5, 2.5)
        scores.append(s)
    return scores


@svm.check(points=1)
def svm_by_hand(rng: random.Random) -> list[Case]:
    return [
        _svm_case([2.0, 0.5, -0.3], [1, -1, 1], [0.5, -1.0, 2.0], 0.01,
                  "mean over the examples of relu(1 - y * s), plus alpha * (sum of p * p) over the parameters"),
        _svm_case([1.5, -2.0], [1, -1], [0.25], 0.0,
                  "every margin y * s is above 1 here: the hinge part and its gradients are 0"),
    ]


@svm.check(points=2, hidden=True)
def svm_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(6):
        n = rng.randint(1, 8)
        labels = [rng.choice([-1, 1]) for _ in range(n)]
        params = [_rounded(rng, -2, 2) for _ in range(rng.randint(1, 10))]
        alpha = rng.choice([1e-4, 1e-3, 0.05, 0.5])
        cases.append(_svm_case(_random_scores(rng, n, labels), labels, params, alpha))
    return cases


# -- 6.3 train_step -----------------------------------------------------------------------------

_XOR = {"kind": "xor", "n": 4, "noise": 0.0, "seed": 0, "labels": [-1, 1]}


def _step_case(model_spec: dict[str, Any], loss_spec: dict[str, Any], lr: float, steps: int, stale: float,
               label: str, hint: str = "") -> Case:
    return Case(label, steps_of, (model_spec, loss_spec, lr, steps, stale),
                _expected_steps(model_spec, loss_spec, lr, steps), STEP_TOL, hint=hint)


@step.check(points=1)
def step_by_hand(rng: random.Random) -> list[Case]:
    model = {"nin": 2, "nouts": [3, 1], "activation": "tanh", "seed": 0}
    loss = {"loss": "mse", "data": _XOR}
    return [
        _step_case(model, loss, 0.1, 3, 0.0, "3 steps on XOR, MLP(2, [3, 1]), lr 0.1",
                   "return loss.data, the loss *before* the update; update p.data -= lr * p.grad; "
                   "reset the gradients before backward, or each step adds the previous ones"),
        _step_case(model, loss, 0.1, 1, 5.0, "1 step, parameters holding a stale grad of 5.0",
                   "a gradient left over from an earlier backward must not enter the update: "
                   "zero_grad() before backward()"),
    ]


@step.check(points=2, hidden=True)
def step_random(rng: random.Random) -> list[Case]:
    cases = []
    for i in range(4):
        relu = i % 2 == 1
        model = {"nin": 2, "nouts": [rng.randint(2, 4)] * rng.randint(1, 2) + [1],
                 "activation": "relu" if relu else "tanh", "seed": rng.randint(0, 10**6)}
        data = {"kind": "xor", "n": rng.randint(4, 10), "noise": 0.2, "seed": rng.randint(0, 10**6), "labels": [-1, 1]}
        loss = {"loss": "hinge_l2", "alpha": 1e-3, "data": data} if relu else {"loss": "mse", "data": data}
        lr, steps, stale = _rounded(rng, 0.02, 0.3), rng.randint(2, 4), rng.choice([0.0, _rounded(rng, -3, 3)])
        cases.append(_step_case(model, loss, lr, steps, stale,
                                f"{steps} steps, {loss['loss']}, MLP(2, {model['nouts']}), lr {lr}, stale grad {stale}"))
    return cases


# -- 6.4 numerical_gradient ---------------------------------------------------------------------


def _numgrad_case(model_spec: dict[str, Any], loss_spec: dict[str, Any], h: float, label: str, hint: str = "") -> Case:
    return Case(label, numgrad_of, (model_spec, loss_spec, h), _expected_numgrad(model_spec, loss_spec), GRAD_TOL,
                hint=hint)


@numgrad.check(points=1)
def numgrad_by_hand(rng: random.Random) -> list[Case]:
    return [
        _numgrad_case({"nin": 2, "nouts": [3, 1], "activation": "tanh", "seed": 0}, {"loss": "mse", "data": _XOR},
                      1e-4, "MLP(2, [3, 1]) on XOR, mse, h = 1e-4",
                      "(L(p + h) - L(p - h)) / (2 h) for each parameter p, in model.parameters() order; "
                      "save p.data first and put it back after the two evaluations"),
    ]


@numgrad.check(points=2, hidden=True)
def numgrad_random(rng: random.Random) -> list[Case]:
    cases = []
    for i in range(3):
        bce = i == 2
        model = {"nin": 2, "nouts": [rng.randint(2, 4)] * rng.randint(1, 2) + [1], "activation": "tanh",
                 "seed": rng.randint(0, 10**6)}
        data = {"kind": "moons", "n": rng.randint(4, 8), "noise": 0.1, "seed": rng.randint(0, 10**6),
                "labels": [0, 1] if bce else [-1, 1]}
        loss = {"loss": "bce" if bce else "mse", "data": data}
        cases.append(_numgrad_case(model, loss, 1e-4, f"MLP(2, {model['nouts']}), {loss['loss']} on {data['n']} moons"))
    return cases


# -- 6.5 fit ------------------------------------------------------------------------------------


def _fit_case(data_spec: dict[str, Any], model_spec: dict[str, Any], steps: int, alpha: float, hint: str = "") -> Case:
    label = (f"{data_spec['n']} moons (seed {data_spec['seed']}), {model_spec['activation']} MLP(2, "
             f"{model_spec['nouts']}) (seed {model_spec['seed']}), {steps} steps, alpha {alpha:g}")
    return Case(label, fit_of, (data_spec, model_spec, steps, alpha), _expected_fit(data_spec, model_spec, steps, alpha),
                FIT_TOL, hint=hint)


@fit.check(points=1)
def fit_public(rng: random.Random) -> list[Case]:
    return [
        _fit_case({"kind": "moons", "n": 24, "noise": 0.1, "seed": 0, "labels": [-1, 1]},
                  {"nin": 2, "nouts": [6, 6, 1], "activation": "tanh", "seed": 0}, 15, 1e-4,
                  "loss = svm_loss(scores, y, params, alpha) on all examples; learning rate 1 - 0.9 * k / steps "
                  "at step k = 0, 1, ...; append each step's loss (before its update)"),
    ]


@fit.check(points=3, hidden=True)
def fit_random(rng: random.Random) -> list[Case]:
    cases = []
    alphas = [1e-4, 1e-3, 1e-2]  # every run has one case with each, so an ignored alpha shows
    rng.shuffle(alphas)
    for alpha in alphas:
        data = {"kind": "moons", "n": rng.randint(16, 24), "noise": 0.1, "seed": rng.randint(0, 10**6), "labels": [-1, 1]}
        model = {"nin": 2, "nouts": [rng.randint(4, 6), rng.randint(4, 6), 1], "activation": "tanh",
                 "seed": rng.randint(0, 10**6)}
        cases.append(_fit_case(data, model, rng.randint(10, 16), alpha))
    return cases
