"""Checks of the graded set of chapter 10, "Memory and what comes next" (``10_memory``).

The student works with the package's tensor engine (:class:`autodiff.tensor.Tensor`) and writes
the memory side of reverse mode:

=====  ======================================================  ==================================
id     task                                                    oracle
=====  ======================================================  ==================================
10.1   ``activation_bytes(batch, layers, itemsize)``: the       the package's counter
       bytes of activations the recorded graph of a network     (:func:`autodiff.checkpoint.
       holds, from its sizes alone                              plain_chain`) on the same network
10.2   ``checkpointed_vjp(layers, x, y_bar, segments)``:        plain reverse mode on an identical
       segment checkpointing written by hand: the output and    network (values and gradients);
       the VJP                                                  activations alive at once and
                                                                layer calls, counted while the
                                                                answer runs
10.3   ``reversal_cost(length, checkpoints)``: the fewest       the closed form of the binomial
       forward steps that reverse a chain of ``length`` steps   schedules (:func:`reversal_cost`
       with that many stored states                             here), checked against a search
10.4   ``fixed_point_vjp(A, theta, x_star, x_bar)``: the        central differences of a fixed-
       gradients of <x_bar, x*> for x* = tanh(A x* + theta),    point solver run to convergence
       by implicit differentiation
=====  ======================================================  ==================================

Memory in 10.2 is measured where the answer runs: the driver's layers record a weak reference to
every array they produce (the output of each operation of the layer) and, at the end of every
call, count how many of those arrays are still alive, in the graph of a recorded segment or in the
answer's own variables. The peak of that count over the run is compared with the bound of segment
checkpointing, ``k + a ceil(n/k)`` arrays for ``n`` layers of ``a`` arrays each in ``k`` segments
(plus the activation at hand), and the number of layer calls with ``2n`` (one extra forward
pass). Plain reverse mode holds ``a n`` arrays and fails. Like the run-time guard of
:mod:`autodiff.grading.policy`, this raises the bar without being proof against a determined
cheat (an answer that copies every activation into arrays of its own hides them from the count);
the values and gradients, which decide the other checks, are compared in the grader as always.

Answers to 10.2 may not use the package's checkpointing (``checkpoint_chain``, ``checkpoint``);
its helpers ``segment_bounds`` and ``default_segments`` are allowed. 10.3 may not use the package
at all (it is arithmetic), 10.4 may use it (``ad.vjp`` is one way to the answer).

The module's public object is :data:`chapter`; the drivers and checks are reached through it.

>>> [(e.id, e.points) for e in chapter.exercises.values()]
[('10.1', 2), ('10.2', 5), ('10.3', 3), ('10.4', 4)]
>>> sum(e.points for e in chapter.exercises.values())
14
"""

from __future__ import annotations

import math
import random
import weakref
from functools import lru_cache
from typing import Any

import numpy as np

from autodiff.grading.compare import close, equal
from autodiff.grading.registry import Case, Chapter, need

__all__ = ["chapter", "reversal_cost"]

chapter = Chapter("10_memory", "Memory and what comes next", module=__name__)

memory = chapter.exercise("10.1", "The activations a network's graph holds", ("activation_bytes",))
segments = chapter.exercise(
    "10.2", "Segment checkpointing by hand", ("checkpointed_vjp",),
    forbidden=(
        "autodiff.checkpoint.checkpoint_chain", "autodiff.checkpoint.checkpoint",
        "autodiff.checkpoint._checkpoint", "autodiff.checkpoint._recompute_backward",
    ),
)
reversal = chapter.exercise(
    "10.3", "The cheapest reversal with a few checkpoints", ("reversal_cost",),
    forbidden=("autodiff",), allowed=("autodiff.grading",),
)
implicit = chapter.exercise("10.4", "Implicit differentiation of a fixed point", ("fixed_point_vjp",))

#: Checkpointing repeats the same arithmetic in the same order as plain reverse mode, so the
#: numbers agree to the last bit in the reference solution; the tolerance absorbs a different order
#: of additions in the parameters' gradients.
SAME = close(rtol=1e-9, atol=1e-12)
#: Central differences of a solver converged to 1e-15, with h = 1e-6: good to about 1e-9 here
#: (measured); a gradient that misses the transpose or the inverse is off by 1e-2 or more.
IMPLICIT_TOL = close(rtol=1e-6, atol=1e-8)

ELEMENTWISE = ("tanh", "relu", "sigmoid")


# -- 10.1: the activations of a network ---------------------------------------------------------


def _network(layers: list[list[Any]], itemsize: int, seed: int) -> tuple[list[Any], int]:
    """Callables for a layer list (``["linear", n_in, n_out]``, ``["matmul", n_in, n_out]``,
    ``["tanh"]``, ...) with random parameters of the given float size, and the input width."""
    from autodiff.tensor import Tensor

    dtype = {8: np.float64, 4: np.float32, 2: np.float16}[itemsize]
    rng = np.random.default_rng(seed)
    calls = []
    for kind, *sizes in layers:
        if kind in ("linear", "matmul"):
            n_in, n_out = sizes
            W = Tensor(rng.normal(size=(n_in, n_out)).astype(dtype), requires_grad=True)
            if kind == "linear":
                b = Tensor(np.zeros(n_out, dtype=dtype), requires_grad=True)
                calls.append(lambda h, W=W, b=b: h @ W + b)
            else:
                calls.append(lambda h, W=W: h @ W)
        else:
            calls.append(lambda h, kind=kind: getattr(h, kind)())
    return calls, layers[0][1]


def _measured_bytes(batch: int, layers: list[list[Any]], itemsize: int, seed: int) -> int:
    """What the package's counter measures on the network: the peak bytes of activations held."""
    from autodiff.checkpoint import plain_chain
    from autodiff.tensor import Tensor

    calls, n_in = _network(layers, itemsize, seed)
    dtype = {8: np.float64, 4: np.float32, 2: np.float16}[itemsize]
    x = Tensor(np.random.default_rng(seed + 1).normal(size=(batch, n_in)).astype(dtype))
    _, stats = plain_chain(calls, x)
    return stats.peak_bytes


@chapter.driver
def bytes_of(ns: dict[str, Any], batch: int, layers: list[list[Any]], itemsize: int) -> Any:
    """The student's ``activation_bytes`` on a layer list given as tuples, as in the notebook."""
    return need(ns, "activation_bytes")(batch, [tuple(layer) for layer in layers], itemsize)


def _describe(layers: list[list[Any]]) -> str:
    parts = [f"{k}({', '.join(map(str, s))})" if s else k for k, *s in layers]
    return " -> ".join(parts) if len(parts) <= 4 else f"{' -> '.join(parts[:3])} -> ... ({len(parts)} layers)"


def _bytes_case(batch: int, layers: list[list[Any]], itemsize: int, hint: str = "") -> Case:
    expected = _measured_bytes(batch, layers, itemsize, seed=len(layers))
    return Case(f"batch {batch}, {itemsize}-byte floats: {_describe(layers)}", bytes_of, (batch, layers, itemsize),
                expected, equal(), hint=hint)


@memory.check(points=1)
def bytes_by_hand(rng: random.Random) -> list[Case]:
    hint = ("a linear layer h @ W + b records two arrays of shape (batch, n_out), the product and the sum; "
            "h @ W alone records one; an elementwise function one more; the input and the parameters are "
            "leaves and do not count")
    return [
        _bytes_case(32, [["linear", 64, 64], ["tanh"]], 8, hint),
        _bytes_case(128, [["linear", 784, 256], ["relu"], ["linear", 256, 10]], 4, hint),
        _bytes_case(10, [["matmul", 3, 5], ["sigmoid"]], 8, hint),
    ]


@memory.check(points=1, hidden=True)
def bytes_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(6):
        width = rng.randint(2, 40)
        layers: list[list[Any]] = []
        for _ in range(rng.randint(1, 6)):
            if not layers or rng.random() < 0.5:
                out = rng.randint(1, 40)
                layers.append([rng.choice(["linear", "matmul"]), width, out])
                width = out
            else:
                layers.append([rng.choice(ELEMENTWISE)])
        cases.append(_bytes_case(rng.randint(1, 64), layers, rng.choice([8, 4, 2])))
    return cases


# -- 10.2: segment checkpointing by hand --------------------------------------------------------

#: Arrays recorded per layer by each kind of layer of 10.2.
ARRAYS_PER_LAYER = {"tanh": 1, "scale": 2, "linear": 3}
#: What each kind of layer of 10.2 computes, as the case labels show it ("linear" here is a dense
#: layer with its tanh, three arrays; 10.1's linear layer h @ W + b is two).
LAYER_FORMULA = {"tanh": "tanh(h)", "scale": "tanh(h * w)", "linear": "tanh(h @ W + b)"}


def _base(array: Any) -> Any:
    while isinstance(getattr(array, "base", None), np.ndarray):
        array = array.base
    return array


class _Meter:
    """Counts layer calls, and the arrays produced by the layers that are still alive."""

    def __init__(self) -> None:
        self.refs: list[weakref.ref] = []
        self.calls = 0
        self.peak = 0

    def track(self, *tensors: Any) -> None:
        for t in tensors:
            data = getattr(t, "data", None)
            if isinstance(data, np.ndarray):
                self.refs.append(weakref.ref(_base(data)))

    def sample(self) -> None:
        self.calls += 1
        alive = {id(a) for a in (r() for r in self.refs) if a is not None}
        self.peak = max(self.peak, len(alive))


def _chain(spec: dict[str, Any], meter: _Meter | None = None) -> tuple[list[Any], list[Any], np.ndarray, np.ndarray]:
    """The layers, parameters, input and cotangent of a chain spec ``{"n", "kind", "batch",
    "width", "seed"}``; with a meter, every layer call is counted and its arrays tracked."""
    from autodiff.tensor import Tensor

    rng = np.random.default_rng(spec["seed"])
    n, kind, batch, width = spec["n"], spec["kind"], spec["batch"], spec["width"]
    params: list[Any] = []
    layers = []
    for _ in range(n):
        if kind == "tanh":
            def layer(h: Any) -> Any:
                out = h.tanh()
                if meter is not None:
                    meter.track(out)
                    meter.sample()
                return out
        elif kind == "scale":
            w = Tensor(rng.uniform(0.5, 1.5, size=width), requires_grad=True)
            params.append(w)

            def layer(h: Any, w: Any = w) -> Any:
                z = h * w
                out = z.tanh()
                if meter is not None:
                    meter.track(z, out)
                    del z
                    meter.sample()
                return out
        else:
            W = Tensor(rng.normal(size=(width, width)) / math.sqrt(width), requires_grad=True)
            b = Tensor(rng.normal(size=width) * 0.1, requires_grad=True)
            params += [W, b]

            def layer(h: Any, W: Any = W, b: Any = b) -> Any:
                z = h @ W
                a = z + b
                out = a.tanh()
                if meter is not None:
                    meter.track(z, a, out)
                    del z, a
                    meter.sample()
                return out
        layers.append(layer)
    x = rng.normal(size=(batch, width))
    y_bar = rng.normal(size=(batch, width))
    return layers, params, x, y_bar


def _grads(params: list[Any]) -> list[Any]:
    return [None if p.grad is None else np.asarray(p.grad).tolist() for p in params]


@chapter.driver
def checkpointed_of(ns: dict[str, Any], spec: dict[str, Any], segments: int) -> dict[str, Any]:
    """The student's ``checkpointed_vjp`` on a fresh chain: what it returned, the parameters'
    gradients afterwards, the most layer arrays alive at once and the number of layer calls."""
    meter = _Meter()
    layers, params, x, y_bar = _chain(spec, meter)
    result = need(ns, "checkpointed_vjp")(layers, x, y_bar, segments)
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(f"checkpointed_vjp returned {type(result).__name__}; expected a pair (y, x_bar)")
    y, x_bar = (np.asarray(getattr(r, "data", r), dtype=float) for r in result)
    return {"y": y.tolist(), "x_bar": x_bar.tolist(), "param_grads": _grads(params),
            "peak": meter.peak, "calls": meter.calls}


def _expected_chain(spec: dict[str, Any]) -> dict[str, Any]:
    """Plain reverse mode on an identical chain: the output, the VJP and the parameters' gradients."""
    from autodiff.tensor import Tensor

    layers, params, x, y_bar = _chain(spec)
    leaf = Tensor(x, requires_grad=True)
    h = leaf
    for layer in layers:
        h = layer(h)
    h.backward(y_bar)
    return {"y": h.data.tolist(), "x_bar": leaf.grad.tolist(), "param_grads": _grads(params)}


def _bounds(spec: dict[str, Any], k: int) -> dict[str, int]:
    n, a = spec["n"], ARRAYS_PER_LAYER[spec["kind"]]
    return {"peak": k + a * math.ceil(n / k) + 1, "calls": 2 * n}


def _same_values(got: Any, expected: Any) -> str | None:
    if type(got) is not dict:
        return "expected the driver's report"
    for key, what in (("y", "the output y"), ("x_bar", "x_bar"), ("param_grads", "the parameters' gradients")):
        if key in ("param_grads",) and expected[key] and any(g is None for g in got.get(key, [])):
            return "a parameter has no gradient: back-propagate each recomputed segment (backward with the segment's cotangent)"
        problem = SAME(got.get(key), expected[key])
        if problem:
            return f"{what}: {problem}"
    return None


def _within_memory(got: Any, expected: Any) -> str | None:
    if type(got) is not dict:
        return "expected the driver's report"
    problem = _same_values(got, expected["values"])
    if problem:
        return problem
    peak, calls = got["peak"], got["calls"]
    if peak > expected["peak"]:
        return (f"{peak} layer arrays alive at once, more than the {expected['peak']} of segment checkpointing: "
                "run the forward pass under no_grad(), keep only each segment's input, and record one segment at a time")
    if calls > expected["calls"]:
        return (f"{calls} layer calls, more than {expected['calls']} (the forward pass and one recomputation): "
                "recompute each segment from its own checkpoint, once")
    return None


def _chain_case(spec: dict[str, Any], k: int, memory_too: bool, hint: str = "") -> Case:
    label = (f"{spec['n']} layers {LAYER_FORMULA[spec['kind']]}, batch {spec['batch']}, width {spec['width']}, "
             f"{k} segments (seed {spec['seed']})")
    values = _expected_chain(spec)
    if not memory_too:
        return Case(label, checkpointed_of, (spec, k), values, _same_values, hint=hint,
                    show="y and x_bar of plain reverse mode, and its parameter gradients")
    bounds = _bounds(spec, k)
    return Case(label, checkpointed_of, (spec, k), {"values": values, **bounds}, _within_memory, hint=hint,
                show=f"the same numbers, at most {bounds['peak']} arrays alive, at most {bounds['calls']} layer calls")


@segments.check(points=1)
def checkpoint_public(rng: random.Random) -> list[Case]:
    return [
        _chain_case({"n": 36, "kind": "tanh", "batch": 3, "width": 4, "seed": 0}, 6, True,
                    "forward under no_grad() keeping the input of each segment; then, last segment first: "
                    "a fresh leaf from the checkpoint, the segment recorded, backward(g), g = leaf.grad"),
        _chain_case({"n": 12, "kind": "linear", "batch": 2, "width": 3, "seed": 1}, 4, True,
                    "the parameters' gradients accumulate during the recomputation: nothing else to do for them"),
    ]


def _random_spec(rng: random.Random, kind: str) -> dict[str, Any]:
    return {"n": rng.randint(30, 70), "kind": kind, "batch": rng.randint(1, 4), "width": rng.randint(2, 5),
            "seed": rng.randint(0, 10**6)}


@segments.check(points=2, hidden=True)
def checkpoint_values(rng: random.Random) -> list[Case]:
    cases = []
    for kind in ("tanh", "scale", "linear"):
        spec = _random_spec(rng, kind)
        cases.append(_chain_case(spec, rng.randint(2, 10), False))
    spec = _random_spec(rng, "linear")
    cases.append(_chain_case(spec, spec["n"], False))  # every layer its own segment
    cases.append(_chain_case({**_random_spec(rng, "scale"), "n": 1}, 1, False))
    return cases


@segments.check(points=2, hidden=True)
def checkpoint_memory(rng: random.Random) -> list[Case]:
    cases = []
    for kind in ("tanh", "scale", "linear"):
        spec = _random_spec(rng, kind)
        k = max(2, round(math.sqrt(spec["n"] * ARRAYS_PER_LAYER[kind])) + rng.randint(-2, 2))
        cases.append(_chain_case(spec, k, True))
    return cases


# -- 10.3: the cheapest reversal ------------------------------------------------------------------


def reversal_cost(length: int, checkpoints: int) -> int:
    """The fewest forward steps that reverse a chain of ``length`` steps with ``checkpoints``
    stored states (the input's included), by the closed form of the binomial schedules: with
    ``r`` the smallest number with C(c + r, c) >= length, the cost is
    ``r * length - C(c + r, c + 1)``. The adjoint steps re-evaluate their own step while recording
    it; those evaluations are not counted.

    It agrees with a direct search over where to put the first checkpoint:

    >>> @lru_cache(maxsize=None)
    ... def search(length, c):
    ...     if length <= 1:
    ...         return 0
    ...     if c == 1:
    ...         return length * (length - 1) // 2
    ...     return min(m + search(length - m, c - 1) + search(m, c) for m in range(1, length))
    >>> all(reversal_cost(n, c) == search(n, c) for n in range(1, 90) for c in range(1, 7))
    True
    >>> reversal_cost(20, 3), reversal_cost(5, 1)
    (45, 10)
    """
    if length <= 1:
        return 0
    r = 0
    while math.comb(checkpoints + r, checkpoints) < length:
        r += 1
    return r * length - math.comb(checkpoints + r, checkpoints + 1)


@chapter.driver
def reversal_of(ns: dict[str, Any], length: int, checkpoints: int) -> Any:
    """The student's ``reversal_cost(length, checkpoints)``."""
    return need(ns, "reversal_cost")(length, checkpoints)


def _reversal_case(length: int, c: int, hint: str = "") -> Case:
    return Case(f"reversal_cost({length}, {c})", reversal_of, (length, c), reversal_cost(length, c), equal(), hint=hint)


@reversal.check(points=1)
def reversal_by_hand(rng: random.Random) -> list[Case]:
    return [
        _reversal_case(1, 1, "one step: its adjoint reads the stored input, no forward step needed"),
        _reversal_case(5, 1, "only the input stored: step i's input is recomputed from it, i - 1 steps"),
        _reversal_case(6, 2, "try every place m for the first checkpoint: m steps to get there, then the tail "
                             "with one checkpoint fewer, then the first m steps with all of them"),
        _reversal_case(20, 3),
    ]


@reversal.check(points=2, hidden=True)
def reversal_random(rng: random.Random) -> list[Case]:
    cases = [_reversal_case(rng.randint(2, 120), rng.randint(1, 6)) for _ in range(8)]
    cases.append(_reversal_case(rng.randint(2, 8), rng.randint(9, 12)))  # more checkpoints than steps
    return cases


# -- 10.4: implicit differentiation of a fixed point ---------------------------------------------


def _solve(A: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The fixed point of x -> tanh(A x + theta), iterated until it stops changing."""
    x = np.zeros(len(theta))
    for _ in range(100_000):
        new = np.tanh(A @ x + theta)
        if np.max(np.abs(new - x)) <= 1e-15:
            return new
        x = new
    raise RuntimeError("the fixed-point iteration did not converge")  # pragma: no cover - contractions converge


@chapter.driver
def implicit_of(ns: dict[str, Any], A: list[list[float]], theta: list[float], x_bar: list[float]) -> dict[str, Any]:
    """The student's ``fixed_point_vjp`` at the fixed point (solved here, in the student's process)."""
    A_, theta_, x_bar_ = np.array(A), np.array(theta), np.array(x_bar)
    x_star = _solve(A_, theta_)
    result = need(ns, "fixed_point_vjp")(A_, theta_, x_star.copy(), x_bar_)
    if not isinstance(result, tuple) or len(result) != 2:
        raise TypeError(f"fixed_point_vjp returned {type(result).__name__}; expected a pair (theta_bar, A_bar)")
    theta_bar, A_bar = (np.asarray(getattr(r, "data", r), dtype=float) for r in result)
    return {"theta_bar": theta_bar.tolist(), "A_bar": A_bar.tolist()}


def _expected_implicit(A: list[list[float]], theta: list[float], x_bar: list[float]) -> dict[str, Any]:
    """Central differences of <x_bar, x*(theta, A)>, the solver run to convergence each time."""
    A_, theta_, x_bar_ = np.array(A), np.array(theta), np.array(x_bar)
    h = 1e-6

    def loss(A__: np.ndarray, t: np.ndarray) -> float:
        return float(x_bar_ @ _solve(A__, t))

    theta_bar = [(loss(A_, theta_ + h * e) - loss(A_, theta_ - h * e)) / (2 * h) for e in np.eye(len(theta_))]
    A_bar = np.zeros_like(A_)
    for index in np.ndindex(A_.shape):
        E = np.zeros_like(A_)
        E[index] = h
        A_bar[index] = (loss(A_ + E, theta_) - loss(A_ - E, theta_)) / (2 * h)
    return {"theta_bar": theta_bar, "A_bar": A_bar.tolist()}


def _contraction(rng: random.Random, n: int, rho: float) -> list[list[float]]:
    """``rho`` times a random orthogonal matrix: every singular value is ``rho`` (a contraction,
    so the fixed point is unique), and the matrix is not symmetric (a missing transpose shows)."""
    q, r = np.linalg.qr(np.random.default_rng(rng.randint(0, 10**6)).normal(size=(n, n)))
    q = q * np.sign(np.diag(r))
    return np.round(rho * q, 12).tolist()


def _implicit_case(A: list[list[float]], theta: list[float], x_bar: list[float], hint: str = "") -> Case:
    label = f"n = {len(theta)}, |A| = {np.linalg.norm(np.array(A), 2):.2f}, theta = {np.round(theta, 2).tolist()}"
    return Case(label, implicit_of, (A, theta, x_bar), _expected_implicit(A, theta, x_bar), IMPLICIT_TOL, hint=hint)


def _vector(rng: random.Random, n: int, scale: float) -> list[float]:
    return [round(rng.gauss(0.0, scale), 6) for _ in range(n)]


@implicit.check(points=1)
def implicit_public(rng: random.Random) -> list[Case]:
    hint = ("solve (I - J)^T lam = x_bar with J = diag(1 - x*^2) A, the Jacobian of the map in x at x*; "
            "then theta_bar = diag(1 - x*^2) lam and A_bar = outer(theta_bar, x*)")
    return [
        _implicit_case([[0.5, 0.2], [-0.3, 0.4]], [0.3, -0.2], [1.0, 2.0], hint),
        _implicit_case(_contraction(random.Random(5), 4, 0.9), [0.1, -0.2, 0.3, 0.05], [1.0, -1.0, 0.5, 2.0], hint),
    ]


@implicit.check(points=3, hidden=True)
def implicit_random(rng: random.Random) -> list[Case]:
    cases = []
    for _ in range(4):
        n = rng.randint(2, 5)
        cases.append(_implicit_case(_contraction(rng, n, rng.uniform(0.8, 0.95)), _vector(rng, n, 0.3),
                                    _vector(rng, n, 1.0)))
    return cases
