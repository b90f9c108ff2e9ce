"""The tensor engine: against the scalar engine, hand-written numpy and PyTorch; real data; memory.

Run ``python -m autodiff.bench.tensor`` or ``python benchmarks/bench_tensor.py`` (``make bench`` runs
it through ``benchmarks/run_all.py``). What is
measured, in one process, the implementations alternating block by block so that load on the
machine affects them alike (each block is ``number`` consecutive steps; the table shows the median
and the minimum over ``repeats`` blocks, garbage collector on, as in training):

* **the micrograd demo step** (``MLP(2, [16, 16, 1])`` on 100 two-moons points, loss
  ``mean(relu(1 - y * score)) + 1e-4 * sum(p * p)``, forward + zero_grad + backward) written with
  ``Tensor`` (one node per layer operation) and with ``Value`` (one node per scalar operation,
  the code of :mod:`autodiff.bench.scalar`);
* **an MLP 784-256-10 training step** (relu, cross-entropy from logits, SGD update) on a batch of
  128 random float64 inputs: ``autodiff.Tensor``, the same forward and backward written by hand
  in numpy (the floor for any numpy-based engine: the same matrix products, no graph), and
  PyTorch CPU. The targets are 1.3x the hand-written numpy and 2x PyTorch. Measured twice: with
  numpy's BLAS and PyTorch limited to one thread (what the engines add to the same arithmetic;
  stable on a shared machine) and with their default threads;
* **real data**: softmax regression and an MLP 64-64-10 on scikit-learn's bundled digits (8x8
  images, no download), Adam, 30 epochs of mini-batches of 64: test accuracy and seconds;
* **checkpointing**: peak activation arrays and recomputed layer calls of
  :mod:`autodiff.checkpoint` for chains of ``n`` tanh layers, against plain reverse mode.

The book imports :func:`measure_demo_step`, :func:`measure_mlp_step`, :func:`measure_digits` and
:func:`measure_checkpointing` to run reduced versions; each returns a plain ``dict``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

import autodiff as ad
from autodiff.bench import add_json_option, cores, write_json
from autodiff.bench.scalar import make_demo_step
from autodiff.checkpoint import checkpoint_chain, plain_chain
from autodiff.tensor import Tensor, no_grad, nn

__all__ = [
    "torch_available",
    "make_tensor_demo_step",
    "measure_demo_step",
    "make_mlp_steps",
    "limit_threads",
    "measure_mlp_step",
    "measure_digits",
    "measure_checkpointing",
    "run",
    "format_results",
    "main",
]


def torch_available() -> bool:
    """Whether PyTorch can be imported.

    >>> isinstance(torch_available(), bool)
    True
    """
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def _time_blocks(steps: dict[str, Callable[[], Any]], repeats: int, number: int) -> dict[str, dict[str, float]]:
    """Median and minimum milliseconds per step of each step function, alternating blocks."""
    for step in steps.values():
        step()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in steps}
    was = gc.isenabled()
    gc.enable()
    try:
        for _ in range(repeats):
            for name, step in steps.items():
                gc.collect()
                start = time.perf_counter()
                for _ in range(number):
                    step()
                times[name].append((time.perf_counter() - start) / number)
    finally:
        if not was:
            gc.disable()
    return {name: {"median_ms": 1000 * statistics.median(t), "min_ms": 1000 * min(t)} for name, t in times.items()}


# ------------------------------------------------------------------------------------------------
# The micrograd demo step: Tensor vs Value


def make_tensor_demo_step(n: int = 100) -> Callable[[], None]:
    """The demo step of :func:`autodiff.bench.scalar.make_demo_step` written with tensors: three matrix
    products instead of 65,800 scalar nodes.

    >>> make_tensor_demo_step(n=4)() is None
    True
    """
    X, y = ad.datasets.moons(n, noise=0.1, seed=1)
    model = nn.MLP([2, 16, 16, 1], activation="relu", rng=1337)
    params = model.parameters()
    inputs, labels = Tensor(X), y.astype(float)

    def step() -> None:
        scores = model(inputs).reshape(-1)
        loss = (1 - labels * scores).relu().mean() + 1e-4 * sum((p * p).sum() for p in params)
        model.zero_grad()
        loss.backward()

    return step




def measure_demo_step(repeats: int = 5, number: int = 3, n: int = 100) -> dict[str, Any]:
    """Milliseconds per demo step with ``Tensor`` and with ``Value``, and the ratio.

    >>> r = measure_demo_step(repeats=1, number=1, n=4)
    >>> sorted(r["steps"]), r["ratio"] > 0
    (['Tensor', 'Value'], True)
    """
    steps: dict[str, Callable[[], Any]] = {"Tensor": make_tensor_demo_step(n), "Value": make_demo_step("autodiff", n=n)[1]}
    timed = _time_blocks(steps, repeats, number)
    ratio = timed["Value"]["median_ms"] / timed["Tensor"]["median_ms"]
    return {"n_points": n, "repeats": repeats, "number": number, "steps": timed, "ratio": ratio}


# ------------------------------------------------------------------------------------------------
# MLP 784-256-10: autodiff vs numpy by hand vs PyTorch


def make_mlp_steps(batch: int = 128, sizes: tuple[int, int, int] = (784, 256, 10), lr: float = 0.01, seed: int = 0) -> dict[str, Callable[[], float]]:
    """One SGD training step of the same MLP (same initial weights, same batch) three ways.

    Each function runs forward, backward and the update and returns the loss. The numpy version
    is what an engine-free implementation does: the same matrix products, the gradient of
    softmax cross-entropy in closed form, in-place updates.

    >>> steps = make_mlp_steps(batch=4, sizes=(5, 3, 2))
    >>> losses = {name: step() for name, step in steps.items()}
    >>> abs(losses["autodiff"] - losses["numpy"]) < 1e-12
    True
    """
    d, h, c = sizes
    rng = np.random.default_rng(seed)
    X, y = rng.normal(size=(batch, d)), rng.integers(0, c, size=batch)
    model = nn.MLP([d, h, c], rng=seed)
    opt = nn.SGD(model.parameters(), lr=lr)
    W1, b1, W2, b2 = (p.data.copy() for p in model.parameters())
    inputs = Tensor(X)

    def autodiff_step() -> float:
        loss = nn.cross_entropy(model(inputs), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    onehot = np.eye(c)[y]
    rows = np.arange(batch)

    def numpy_step() -> float:
        nonlocal W1, b1, W2, b2  # updated in place below
        hidden = X @ W1 + b1
        act = np.maximum(hidden, 0)
        logits = act @ W2 + b2
        m = logits.max(axis=1, keepdims=True)
        e = np.exp(logits - m)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[rows, y]))
        d_logits = (e / s - onehot) / batch
        dW2, db2 = act.T @ d_logits, d_logits.sum(axis=0)
        d_hidden = (d_logits @ W2.T) * (hidden > 0)
        dW1, db1 = X.T @ d_hidden, d_hidden.sum(axis=0)
        W1 -= lr * dW1
        b1 -= lr * db1
        W2 -= lr * dW2
        b2 -= lr * db2
        return loss

    steps: dict[str, Callable[[], float]] = {"autodiff": autodiff_step, "numpy": numpy_step}
    if torch_available():
        import torch

        net = torch.nn.Sequential(torch.nn.Linear(d, h), torch.nn.ReLU(), torch.nn.Linear(h, c)).double()
        with torch.no_grad():  # the same weights (torch stores the transposes)
            net[0].weight.copy_(torch.tensor(W1.T))
            net[0].bias.copy_(torch.tensor(b1))
            net[2].weight.copy_(torch.tensor(W2.T))
            net[2].bias.copy_(torch.tensor(b2))
        topt = torch.optim.SGD(net.parameters(), lr=lr)
        tX, ty = torch.tensor(X), torch.tensor(y)

        def torch_step() -> float:
            loss = torch.nn.functional.cross_entropy(net(tX), ty)
            topt.zero_grad()
            loss.backward()
            topt.step()
            return float(loss.item())

        steps["pytorch"] = torch_step
    return steps


@contextlib.contextmanager
def limit_threads(threads: int | None) -> Iterator[int | None]:
    """Limit the BLAS/OpenMP threads of numpy and PyTorch to ``threads`` (``None``: leave them).

    One thread measures what the engines add to the same arithmetic and is stable on a busy
    machine, where the threads of a multi-threaded BLAS wait for each other. Uses threadpoolctl
    (installed with scikit-learn) when present.

    >>> with limit_threads(1) as n:
    ...     n
    1
    """
    if threads is None:
        yield None
        return
    stack = contextlib.ExitStack()
    try:
        from threadpoolctl import threadpool_limits

        stack.enter_context(threadpool_limits(limits=threads))
    except ImportError:  # pragma: no cover
        pass
    previous = None
    if torch_available():
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(threads)
    try:
        with stack:
            yield threads
    finally:
        if previous is not None:
            import torch

            torch.set_num_threads(previous)


def measure_mlp_step(repeats: int = 20, number: int = 5, batch: int = 128, threads: int | None = 1) -> dict[str, Any]:
    """Milliseconds per MLP 784-256-10 training step, and autodiff's time over the others'.

    ``ratio_numpy`` and ``ratio_pytorch`` use the medians, ``*_min`` the minima (the least
    disturbed blocks); below 1.3 and 2 meet the targets. ``threads`` limits numpy's and
    PyTorch's threads (see :func:`limit_threads`; ``None`` keeps their defaults).

    >>> r = measure_mlp_step(repeats=1, number=1, batch=8)
    >>> r["ratio_numpy"] > 0 and "autodiff" in r["steps"]
    True
    """
    steps = make_mlp_steps(batch=batch)
    with limit_threads(threads):
        timed = _time_blocks(steps, repeats, number)
    out: dict[str, Any] = {"batch": batch, "repeats": repeats, "number": number, "threads": threads, "steps": timed}
    for other in ("numpy", "pytorch"):
        for stat, suffix in (("median_ms", ""), ("min_ms", "_min")):
            out[f"ratio_{other}{suffix}"] = timed["autodiff"][stat] / timed[other][stat] if other in timed else None
    return out


# ------------------------------------------------------------------------------------------------
# Real data: scikit-learn's digits


def measure_digits(epochs: int = 30, batch: int = 64, lr: float = 0.01, seed: int = 0) -> dict[str, Any]:
    """Train softmax regression and an MLP 64-64-10 on the digits; test accuracy and seconds.

    Inputs scaled to [0, 1]; a stratified 75/25 split (``random_state=0``); Adam. Returns
    ``{"models": {name: {"accuracy", "seconds", "final_loss"}}, ...}``, or ``{"skipped": reason}``
    without scikit-learn.

    >>> r = measure_digits(epochs=1)
    >>> "skipped" in r or all(0 <= m["accuracy"] <= 1 for m in r["models"].values())
    True
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        return {"skipped": "scikit-learn is not installed"}
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)
    models: dict[str, Any] = {}
    for name, sizes in (("softmax regression 64-10", [64, 10]), ("MLP 64-64-10", [64, 64, 10])):
        start = time.perf_counter()
        model = nn.MLP(sizes, rng=seed)
        opt = nn.Adam(model.parameters(), lr=lr)
        order = np.random.default_rng(seed)
        loss = None
        for _ in range(epochs):
            perm = order.permutation(len(Xtr))
            for i in range(0, len(Xtr), batch):
                rows = perm[i : i + batch]
                loss = nn.cross_entropy(model(Tensor(Xtr[rows])), ytr[rows])
                opt.zero_grad()
                loss.backward()
                opt.step()
        with no_grad():
            accuracy = float(np.mean(model(Tensor(Xte)).numpy().argmax(axis=1) == yte))
        models[name] = {
            "accuracy": accuracy,
            "seconds": time.perf_counter() - start,
            "final_loss": loss.item() if loss is not None else None,
        }
    return {"epochs": epochs, "batch": batch, "train": len(Xtr), "test": len(Xte), "models": models}


# ------------------------------------------------------------------------------------------------
# Checkpointing


def measure_checkpointing(ns: tuple[int, ...] = (16, 64, 256, 1024), width: int = 1000) -> dict[str, Any]:
    """Peak activation arrays and recomputation for chains of ``n`` tanh layers, with and without
    checkpointing (counted by :mod:`autodiff.checkpoint`, not computed by formula).

    >>> r = measure_checkpointing(ns=(16,), width=4)
    >>> r["rows"][0]["plain_peak"], r["rows"][0]["checkpoint_peak"]
    (16, 8)
    """
    rows = []
    for n in ns:
        layers = [lambda h: h.tanh()] * n
        x = np.linspace(-1.0, 1.0, width)
        out, plain = plain_chain(layers, Tensor(x, requires_grad=True))
        out.sum().backward()
        out, saved = checkpoint_chain(layers, Tensor(x, requires_grad=True))
        out.sum().backward()
        rows.append(
            {
                "n": n,
                "segments": saved.segments,
                "plain_peak": plain.peak_arrays,
                "checkpoint_peak": saved.peak_arrays,
                "two_sqrt_n": 2 * n**0.5,
                "plain_peak_mb": plain.peak_bytes / 1e6,
                "checkpoint_peak_mb": saved.peak_bytes / 1e6,
                "recomputed_calls": saved.recomputed_calls,
            }
        )
    return {"width": width, "rows": rows}


# ------------------------------------------------------------------------------------------------


def run(
    demo_repeats: int = 5,
    mlp_repeats: int = 20,
    digits_epochs: int = 30,
    checkpoint_ns: tuple[int, ...] = (16, 64, 256, 1024),
    demo_points: int = 100,
    mlp_batch: int = 128,
) -> dict[str, Any]:
    """Every measurement of this module, as one dict (what ``main`` prints and saves). The
    defaults are the full benchmark (about a minute); the book and the doctests run reduced ones.

    ``digits_epochs=0`` leaves out the digits.

    >>> sorted(run(1, 1, 0, checkpoint_ns=(4,), demo_points=4, mlp_batch=4))
    ['checkpointing', 'demo', 'digits', 'mlp', 'mlp_default_threads', 'python', 'threads']
    """
    return {
        "python": sys.version.split()[0],
        "threads": _threads(),
        "demo": measure_demo_step(repeats=demo_repeats, n=demo_points),
        "mlp": measure_mlp_step(repeats=mlp_repeats, batch=mlp_batch, threads=1),
        "mlp_default_threads": measure_mlp_step(repeats=mlp_repeats, batch=mlp_batch, threads=None),
        "digits": measure_digits(epochs=digits_epochs) if digits_epochs else {"skipped": "not run (0 epochs)"},
        "checkpointing": measure_checkpointing(ns=checkpoint_ns),
    }


def _threads() -> dict[str, Any]:
    info: dict[str, Any] = {"cpus": cores()}
    if torch_available():
        import torch

        info["torch_threads"] = torch.get_num_threads()
    return info


def format_results(results: dict[str, Any]) -> str:
    """A small text table of :func:`run`'s results.

    >>> small = run(1, 1, 0, checkpoint_ns=(4,), demo_points=4, mlp_batch=4)
    >>> print(format_results(small).splitlines()[0])
    Tensor engine benchmarks
    """
    lines = ["Tensor engine benchmarks"]
    demo = results["demo"]
    lines.append(f"\n  micrograd demo step, MLP 2-16-16-1 on {demo['n_points']} points (forward + zero_grad + backward)")
    lines.append(f"  median (min) ms per step, {demo['repeats']} blocks of {demo['number']}, GC on")
    for name, t in demo["steps"].items():
        lines.append(f"  {name:<10}{t['median_ms']:>10.2f} ({t['min_ms']:.2f})")
    if demo["ratio"] is not None:
        lines.append(f"  Tensor is {demo['ratio']:.0f}x faster than Value")
    for key in ("mlp", "mlp_default_threads"):
        mlp = results[key]
        threads = "1 thread" if mlp["threads"] == 1 else (
            f"{mlp['threads']} threads" if mlp["threads"] else "default threads (noisy on a busy machine)"
        )
        lines.append(f"\n  MLP 784-256-10 training step (SGD), batch {mlp['batch']}, float64, {threads}")
        lines.append(f"  median (min) ms per step, {mlp['repeats']} blocks of {mlp['number']}")
        for name, t in mlp["steps"].items():
            lines.append(f"  {name:<10}{t['median_ms']:>10.2f} ({t['min_ms']:.2f})")
        for other, target in (("numpy", 1.3), ("pytorch", 2.0)):
            if mlp[f"ratio_{other}"] is not None:
                lines.append(
                    f"  autodiff / {other}: {mlp[f'ratio_{other}']:.2f} (minima: {mlp[f'ratio_{other}_min']:.2f}); "
                    f"target <= {target}"
                )
    digits = results["digits"]
    lines.append("\n  scikit-learn digits (8x8), Adam, test accuracy")
    if "skipped" in digits:
        lines.append(f"  skipped: {digits['skipped']}")
    else:
        for name, m in digits["models"].items():
            lines.append(f"  {name:<26}{100 * m['accuracy']:>7.1f} %  in {m['seconds']:.2f} s ({digits['epochs']} epochs)")
    ck = results["checkpointing"]
    lines.append(f"\n  checkpointing, chains of n tanh layers on {ck['width']} elements: peak activation arrays")
    lines.append(f"  {'n':>6}{'segments':>10}{'plain':>8}{'checkpointed':>14}{'2 sqrt(n)':>11}{'recomputed':>12}")
    for r in ck["rows"]:
        lines.append(
            f"  {r['n']:>6}{r['segments']:>10}{r['plain_peak']:>8}{r['checkpoint_peak']:>14}"
            f"{r['two_sqrt_n']:>11.1f}{r['recomputed_calls']:>12}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None, json_default: Path = Path("tensor.json")) -> dict[str, Any]:
    """Command line: print the table; ``--json [FILE]`` also writes the results (default
    ``json_default``; ``benchmarks/bench_tensor.py`` passes ``benchmarks/results/tensor.json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20, help="timed blocks for the MLP step")
    add_json_option(parser, json_default)
    args = parser.parse_args(argv)
    if not torch_available():
        print("PyTorch is not installed: the MLP step compares with numpy only")
    results = run(mlp_repeats=args.repeats)
    print(format_results(results))
    if args.json:
        write_json(results, args.json)
    return results


if __name__ == "__main__":
    main()
