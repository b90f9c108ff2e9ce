"""Checks of the graded set of chapter 7, "Sharp edges" (``07_sharp_edges``).

The student writes the numerically careful pieces that chapter 7 is about:

====  =====================================================  ===================================
id    task                                                   oracle
====  =====================================================  ===================================
7.1   ``logsumexp(x)`` of a numpy vector, finite for         a shifted sum of exponentials in
      entries of any size                                    exact-rounding ``math.fsum``
7.2   ``softmax_cross_entropy(logits, label)``: the loss     the same reference loss, and its
      and its gradient ``softmax - onehot``                  gradient by central differences
7.3   ``safe_log(x)`` on ``Tensor``: log x where x > 0,      the closed forms log x and g / x,
      else 0, with a finite gradient at 0 (double where)     and 0 where x <= 0
7.4   ``max_value(xs)`` of ``Value``s: ties share the        the count of maximal entries (1/k
      gradient equally                                       each, rules.KINKS)
7.5   ``round_ste(x)`` on ``Tensor``: the value of           numpy's round, and the cotangent
      ``round``, the gradient of the identity                itself
====  =====================================================  ===================================

Hidden cases draw inputs from the grader's seed: logits spread over thousands (so that a shift by
the mean or the first entry overflows), zeros planted in every input of 7.3 (where the single
``where`` gives ``nan``), three- and four-way ties in 7.4 (where a chain of pairwise ``maximum``
splits by halves), random cotangents in 7.3 and 7.5 (so that a gradient of ones is not enough).

Answers to 7.1 and 7.2 may not use the ``autodiff`` package (its ``logsumexp``, ``softmax`` and
``cross_entropy`` are the point), SciPy, or ``numpy.logaddexp``.

The module's public object is :data:`chapter`; the drivers and checks are reached through it.

>>> [(e.id, e.points) for e in chapter.exercises.values()]
[('7.1', 3), ('7.2', 4), ('7.3', 3), ('7.4', 3), ('7.5', 3)]
>>> sum(e.points for e in chapter.exercises.values())
16
>>> round(_lse([1000.0, 1001.0, 1002.0]), 4)
1002.4076
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

from autodiff.grading.compare import close
from autodiff.grading.registry import Case, Chapter, need

__all__ = ["chapter"]

chapter = Chapter("07_sharp_edges", "Sharp edges", module=__name__)

_NUMPY_ONLY = {
    "forbidden": ("autodiff", "scipy", "numpy.logaddexp"),
    "allowed": ("autodiff.grading",),
}

lse = chapter.exercise("7.1", "A stable log-sum-exp", ("logsumexp",), **_NUMPY_ONLY)
ce = chapter.exercise(
    "7.2", "Softmax cross-entropy and its gradient", ("softmax_cross_entropy",), **_NUMPY_ONLY
)
safe = chapter.exercise("7.3", "A log whose gradient at 0 is finite", ("safe_log",))
ties = chapter.exercise("7.4", "A maximum whose ties share the gradient", ("max_value",))
ste = chapter.exercise("7.5", "Rounding with a straight-through gradient", ("round_ste",))

#: log-sum-exp is well conditioned: a stable float64 evaluation is within a few ulps of the
#: exactly rounded sum; the naive and badly shifted forms are off by inf or by whole units.
LSE_TOL = close(rtol=1e-12, atol=1e-12)
#: Central differences with h = 1e-4 on the reference loss are good to about 1e-8 for the logits
#: used here (truncation h**2 * |L'''| / 6 and round-off |L| * eps / h, both tiny); a gradient that
#: forgets the one-hot vector, or has the wrong sign, is off by about 1.
GRAD_TOL = close(rtol=1e-6, atol=1e-6)
EXACT_TOL = close(rtol=1e-12, atol=1e-15)
_FD_STEP = 1e-4


# -- helpers shared by the drivers (run where the student's code is) ----------------------------


def _number(value: Any, name: str) -> float:
    """``value`` as a float if it holds exactly one number (a float, numpy scalar, size-1 array)."""
    import numpy as np

    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} returned a bool, not a number")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} returned a {type(value).__name__}, not a number") from None
    if array.size != 1:
        raise TypeError(f"{name} returned {array.size} numbers (shape {array.shape}); return one number")
    return float(array.reshape(()))


def _tensor_result(out: Any, leaf: Any, name: str) -> Any:
    from autodiff.tensor import Tensor

    if not isinstance(out, Tensor):
        raise TypeError(f"{name} returned a {type(out).__name__}, not a Tensor (backward needs the graph)")
    if out.shape != leaf.shape:
        raise ValueError(f"{name} returned shape {out.shape} for an input of shape {leaf.shape}; keep the shape")
    return out


# -- drivers --------------------------------------------------------------------------------------


@chapter.driver
def lse_of(ns: dict[str, Any], x: list[float]) -> float:
    """The student's ``logsumexp`` of a float64 vector."""
    import numpy as np

    return _number(need(ns, "logsumexp")(np.array(x, dtype=np.float64)), "logsumexp")


@chapter.driver
def ce_of(ns: dict[str, Any], logits: list[float], label: int) -> dict[str, Any]:
    """The student's ``softmax_cross_entropy``: its loss and its gradient."""
    import numpy as np

    result = need(ns, "softmax_cross_entropy")(np.array(logits, dtype=np.float64), int(label))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise TypeError("softmax_cross_entropy must return a pair (loss, gradient)")
    loss, grad = result
    grad = np.asarray(grad, dtype=np.float64)
    if grad.shape != (len(logits),):
        raise ValueError(f"the gradient has shape {grad.shape}; expected ({len(logits)},), one entry per logit")
    return {"loss": _number(loss, "softmax_cross_entropy (the loss)"), "grad": grad.tolist()}


@chapter.driver
def safe_log_of(ns: dict[str, Any], x: list[Any], cotangent: list[Any]) -> dict[str, Any]:
    """``safe_log`` on a Tensor leaf, back-propagated with the given cotangent."""
    import numpy as np

    from autodiff.tensor import Tensor

    leaf = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    out = _tensor_result(need(ns, "safe_log")(leaf), leaf, "safe_log")
    out.backward(np.array(cotangent, dtype=np.float64))
    grad = None if leaf.grad is None else np.asarray(leaf.grad, dtype=np.float64).tolist()
    return {"value": np.asarray(out.numpy(), dtype=np.float64).tolist(), "grad": grad}


@chapter.driver
def max_of(ns: dict[str, Any], values: list[float]) -> dict[str, Any]:
    """``max_value`` of fresh ``Value`` leaves, back-propagated: its value and every gradient."""
    from autodiff import Value

    leaves = [Value(v) for v in values]
    out = need(ns, "max_value")(list(leaves))
    if not isinstance(out, Value):
        raise TypeError(f"max_value returned a {type(out).__name__}, not a Value (backward needs the graph)")
    out.backward()
    return {"value": out.data, "grads": [leaf.grad for leaf in leaves]}


@chapter.driver
def ste_of(ns: dict[str, Any], x: list[Any], cotangent: list[Any]) -> dict[str, Any]:
    """``round_ste`` on a Tensor leaf, back-propagated with the given cotangent."""
    import numpy as np

    from autodiff.tensor import Tensor

    leaf = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    out = _tensor_result(need(ns, "round_ste")(leaf), leaf, "round_ste")
    out.backward(np.array(cotangent, dtype=np.float64))
    grad = None if leaf.grad is None else np.asarray(leaf.grad, dtype=np.float64).tolist()
    return {"value": np.asarray(out.numpy(), dtype=np.float64).tolist(), "grad": grad}


# -- oracles (in the grader) ----------------------------------------------------------------------


def _lse(x: Sequence[float]) -> float:
    """log(sum(exp(x))): shifted by the maximum, the sum of the (at most n) terms in (0, 1]
    computed with exact rounding by ``math.fsum``."""
    m = max(x)
    return m + math.log(math.fsum(math.exp(v - m) for v in x))


def _ce_loss(logits: Sequence[float], label: int) -> float:
    return _lse(logits) - logits[label]


def _central(f: Callable[[list[float]], float], x: Sequence[float], h: float = _FD_STEP) -> list[float]:
    """Central differences of ``f`` at ``x``, one coordinate at a time."""
    grad = []
    for j in range(len(x)):
        up, down = list(x), list(x)
        up[j] += h
        down[j] -= h
        grad.append((f(up) - f(down)) / (2 * h))
    return grad


def _expected_ce(logits: list[float], label: int) -> dict[str, Any]:
    return {"loss": _ce_loss(logits, label), "grad": _central(lambda z: _ce_loss(z, label), logits)}


def _elementwise(x: Any, f: Callable[[float], float]) -> Any:
    """``f`` applied to every number of a (nested) list, keeping the nesting."""
    if isinstance(x, list):
        return [_elementwise(item, f) for item in x]
    return f(x)


def _pairwise(x: Any, y: Any, f: Callable[[float, float], float]) -> Any:
    if isinstance(x, list):
        return [_pairwise(a, b, f) for a, b in zip(x, y)]
    return f(x, y)


def _expected_safe_log(x: list[Any], cotangent: list[Any]) -> dict[str, Any]:
    """log x where x > 0 and 0 elsewhere; its derivative 1/x where x > 0 and 0 elsewhere."""
    return {
        "value": _elementwise(x, lambda v: math.log(v) if v > 0 else 0.0),
        "grad": _pairwise(x, cotangent, lambda v, g: g / v if v > 0 else 0.0),
    }


def _expected_max(values: list[float]) -> dict[str, Any]:
    m = max(values)
    k = sum(1 for v in values if v == m)
    return {"value": m, "grads": [1.0 / k if v == m else 0.0 for v in values]}


def _expected_ste(x: list[Any], cotangent: list[Any]) -> dict[str, Any]:
    # round half to even, as numpy; the cases keep away from halves, where conventions differ
    return {"value": _elementwise(x, lambda v: float(round(v))), "grad": cotangent}


# -- case builders --------------------------------------------------------------------------------


def _lse_case(x: list[float], hint: str = "") -> Case:
    label = f"logsumexp({x})" if len(x) <= 6 else f"logsumexp of {len(x)} entries in [{min(x)}, {max(x)}]"
    return Case(label, lse_of, (x,), _lse(x), LSE_TOL, hint=hint)


def _ce_case(logits: list[float], label: int, hint: str = "") -> Case:
    return Case(f"logits {logits}, label {label}", ce_of, (logits, label), _expected_ce(logits, label), GRAD_TOL,
                hint=hint)


def _safe_case(x: list[Any], cotangent: list[Any], hint: str = "") -> Case:
    return Case(f"x = {x}, cotangent {cotangent}", safe_log_of, (x, cotangent), _expected_safe_log(x, cotangent),
                EXACT_TOL, hint=hint)


def _max_case(values: list[float], hint: str = "") -> Case:
    return Case(f"max_value of {values}", max_of, (values,), _expected_max(values), EXACT_TOL, hint=hint)


def _ste_case(x: list[Any], cotangent: list[Any], hint: str = "") -> Case:
    return Case(f"x = {x}, cotangent {cotangent}", ste_of, (x, cotangent), _expected_ste(x, cotangent), EXACT_TOL,
                hint=hint)


def _rounded(rng: random.Random, lo: float, hi: float, digits: int = 4) -> float:
    return round(rng.uniform(lo, hi), digits)


def _shape(rng: random.Random) -> tuple[int, ...]:
    return rng.choice([(rng.randint(2, 7),), (rng.randint(1, 3), rng.randint(2, 4))])


def _fill(rng: random.Random, shape: tuple[int, ...], draw: Callable[[], float]) -> list[Any]:
    if len(shape) == 1:
        return [draw() for _ in range(shape[0])]
    return [_fill(rng, shape[1:], draw) for _ in range(shape[0])]


# -- 7.1 logsumexp --------------------------------------------------------------------------------


@lse.check(points=1)
def lse_public(rng: random.Random) -> list[Case]:
    return [
        _lse_case([1000.0, 1001.0, 1002.0],
                  "exp(1000) overflows: subtract m = max(x) first, and add it back: m + log(sum(exp(x - m)))"),
        _lse_case([-1000.0, -1000.0],
                  "exp(-1000) underflows to 0 and log(0) = -inf; shifted by the maximum, the sum is at least 1"),
        _lse_case([1.0, 2.0, 3.0]),
    ]


@lse.check(points=2, hidden=True)
def lse_random(rng: random.Random) -> list[Case]:
    cases = []
    for spread in (1.0, 30.0, 800.0, 1500.0, 1500.0, 5000.0):
        n = rng.randint(1, 12)
        center = _rounded(rng, -3000.0, 3000.0, 3)
        cases.append(_lse_case([round(center + rng.uniform(-spread, spread), 3) for _ in range(n)]))
    value = _rounded(rng, -2000.0, 2000.0, 3)
    cases.append(_lse_case([value] * rng.randint(2, 9)))  # LSE = value + log n
    cases.append(_lse_case([round(rng.gauss(0.0, 400.0), 3) for _ in range(rng.randint(200, 400))]))
    return cases


# -- 7.2 softmax_cross_entropy --------------------------------------------------------------------


@ce.check(points=1)
def ce_public(rng: random.Random) -> list[Case]:
    return [
        _ce_case([1000.0, 1001.0, 1002.0], 0,
                 "loss = logsumexp(z) - z[label]; gradient = softmax(z) - onehot(label), both from shifted z"),
        _ce_case([0.0, 1000.0], 0,
                 "the probability of class 0 underflows to 0: never take log(softmax(z)); compute LSE(z) - z[y]"),
        _ce_case([0.0, 0.0, 0.0, 0.0], 2),
    ]


@ce.check(points=3, hidden=True)
def ce_random(rng: random.Random) -> list[Case]:
    cases = []
    for scale in (1.0, 10.0, 300.0, 1000.0, 1000.0, 50.0):
        classes = rng.randint(2, 10)
        center = _rounded(rng, -500.0, 500.0, 3)
        logits = [round(center + rng.uniform(-scale, scale), 3) for _ in range(classes)]
        cases.append(_ce_case(logits, rng.randrange(classes)))
    # confidently wrong: the label's logit is at least 800 below the largest, so its probability
    # underflows to 0 and -log(softmax(z)[label]) is inf
    logits = [round(rng.uniform(-200.0, 200.0), 3) for _ in range(rng.randint(3, 8))]
    label = rng.randrange(len(logits))
    logits[label] = round(min(logits) - rng.uniform(800.0, 1200.0), 3)
    cases.append(_ce_case(logits, label))
    return cases


# -- 7.3 safe_log ---------------------------------------------------------------------------------


@safe.check(points=1)
def safe_public(rng: random.Random) -> list[Case]:
    return [
        _safe_case([0.0, 1.0, 4.0], [1.0, 1.0, 1.0],
                   "where(x > 0, x.log(), 0.0) gives nan at 0 in the backward pass (0 * inf); feed log an input "
                   "that is never 0: inside = where(x > 0, x, 1.0), then where(x > 0, inside.log(), 0.0)"),
        _safe_case([-2.0, 0.0, 0.5], [1.0, 2.0, 3.0], "the value is 0 wherever x <= 0, and so is the gradient"),
    ]


@safe.check(points=2, hidden=True)
def safe_random(rng: random.Random) -> list[Case]:
    def draw() -> float:
        kind = rng.random()
        if kind < 0.3:
            return 0.0
        if kind < 0.5:
            return -_rounded(rng, 0.01, 100.0)
        return float(f"{10 ** rng.uniform(-3, 3):.5g}")

    cases = []
    for _ in range(5):
        shape = _shape(rng)
        x = _fill(rng, shape, draw)
        first = x
        while isinstance(first[0], list):
            first = first[0]
        first[0] = 0.0  # every case has a zero, where the single `where` gives nan
        cases.append(_safe_case(x, _fill(rng, shape, lambda: _rounded(rng, -3.0, 3.0))))
    return cases


# -- 7.4 max_value --------------------------------------------------------------------------------


@ties.check(points=1)
def max_public(rng: random.Random) -> list[Case]:
    hint = ("the gradient of a maximum with k tied entries is 1/k for each of them (autodiff.rules.KINKS); "
            "Python's max() gives it all to one, a chain of maximum() splits it by halves")
    return [
        _max_case([1.0, 3.0, 2.0]),
        _max_case([2.0, 2.0, 2.0], hint),
        _max_case([5.0, -1.0, 5.0, 0.0], hint),
    ]


@ties.check(points=2, hidden=True)
def max_random(rng: random.Random) -> list[Case]:
    cases = [_max_case([_rounded(rng, -5.0, 5.0, 3)])]
    for k in (1, 2, 3, 4, 3):
        top = _rounded(rng, -10.0, 10.0, 3)
        others = [round(top - rng.uniform(0.1, 20.0), 3) for _ in range(rng.randint(0, 5))]
        values = others + [top] * k
        rng.shuffle(values)
        cases.append(_max_case(values))
    small = [float(rng.randint(-2, 2)) for _ in range(rng.randint(4, 9))]  # ties by accident, too
    cases.append(_max_case(small))
    return cases


# -- 7.5 round_ste --------------------------------------------------------------------------------


@ste.check(points=1)
def ste_public(rng: random.Random) -> list[Case]:
    hint = ("x + (round(x) - x) detached: the value is round(x), and the gradient passes through x unchanged; "
            "Tensor(np.round(x.numpy())) alone has no gradient at all")
    return [
        _ste_case([0.2, 1.7, -2.6], [1.0, 1.0, 1.0], hint),
        _ste_case([[0.4, 2.9]], [[2.0, -3.0]], "the gradient is the cotangent itself, whatever the values"),
    ]


@ste.check(points=2, hidden=True)
def ste_random(rng: random.Random) -> list[Case]:
    def draw() -> float:
        v = _rounded(rng, -10.0, 10.0, 3)
        while abs(abs(v - math.floor(v)) - 0.5) < 0.01:  # away from halves, where rounding rules differ
            v = _rounded(rng, -10.0, 10.0, 3)
        return v

    cases = []
    for _ in range(5):
        shape = _shape(rng)
        cases.append(_ste_case(_fill(rng, shape, draw), _fill(rng, shape, lambda: _rounded(rng, -3.0, 3.0))))
    return cases
