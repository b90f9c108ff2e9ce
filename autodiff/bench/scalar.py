"""The scalar engine against micrograd 0.1.0: speed (GC on and off), depth, memory per node.

Run ``python -m autodiff.bench.scalar`` or ``python benchmarks/bench_scalar.py`` (``make bench``
runs it through ``benchmarks/run_all.py`` after installing micrograd 0.1.0 into the virtual
environment; this module installs nothing). Without micrograd only autodiff's numbers are reported.

What is measured, side by side in one run (the libraries alternate, so changing load on the
machine affects both alike; on the command line each timing run has a fresh process, so that one
library's heap never slows the other):

* **the demo step** of micrograd's ``demo.ipynb``: ``MLP(2, [16, 16, 1])`` (337 parameters) on
  100 two-moons points (noise 0.1, from ``autodiff.datasets.moons``), loss
  ``mean(relu(1 - y * score)) + 1e-4 * sum(p * p)``, then ``zero_grad`` and ``backward``; one graph
  of about 65,800 nodes. Timed with the garbage collector off (what ``timeit`` does) and on (what
  training does). The inputs are numpy float64 rows, as in the demo; ``inputs="float"`` passes
  Python floats instead;
* **depth**: the longest chain ``x = x * 1.0001 + 0.001`` whose ``backward()`` works at
  CPython's default recursion limit (1000), found by bisection for micrograd (its topological
  sort is recursive) and checked at 500,000 steps (10**6 nodes) for autodiff;
* **memory**: objects tracked by the garbage collector per graph node, bytes per node
  (tracemalloc), and objects per node that only the cyclic collector can free (reference cycles).

The book's Performance appendix imports :func:`measure_scalar_step`, :func:`measure_depth` and
:func:`measure_memory` to run reduced versions (in its own process: ``isolate=False``); each
returns a plain ``dict``.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import random
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import autodiff as ad
from autodiff.bench import add_json_option, write_json

__all__ = [
    "LIBRARIES",
    "micrograd_available",
    "make_demo_step",
    "time_library",
    "measure_scalar_step",
    "measure_depth",
    "measure_memory",
    "run",
    "format_results",
    "main",
]

#: The libraries compared, in the order they run and are shown.
LIBRARIES: tuple[str, ...] = ("autodiff", "micrograd")


def micrograd_available() -> bool:
    """Whether micrograd (PyPI 0.1.0) can be imported.

    >>> isinstance(micrograd_available(), bool)
    True
    """
    try:
        import micrograd.engine  # noqa: F401
        import micrograd.nn  # noqa: F401
    except ImportError:
        return False
    return True


def _library(name: str) -> tuple[type, Callable[[], Any]]:
    """The Value class of a library and a factory for the demo's MLP(2, [16, 16, 1])."""
    if name == "autodiff":
        return ad.Value, lambda: ad.nn.MLP(2, [16, 16, 1], seed=1337)
    if name == "micrograd":
        from micrograd.engine import Value
        from micrograd.nn import MLP

        def make() -> Any:
            random.seed(1337)  # micrograd draws its weights from the global generator
            return MLP(2, [16, 16, 1])

        return Value, make
    raise ValueError(f"unknown library {name!r}; choose one of {', '.join(LIBRARIES)}")


def make_demo_step(library: str, n: int = 100, inputs: str = "numpy") -> tuple[Callable[[], Any], Callable[[], Any]]:
    """``(loss_fn, step)`` for micrograd's demo with ``library``'s Value and MLP.

    ``loss_fn()`` builds the loss graph (the forward pass); ``step()`` is forward + zero_grad +
    backward. The code is the same for both libraries, only ``Value`` and ``MLP`` differ.

    >>> loss_fn, step = make_demo_step("autodiff", n=4)
    >>> step() is None and loss_fn().data > 0
    True
    """
    Value, make_model = _library(library)
    X, y = ad.datasets.moons(n, noise=0.1, seed=1)
    if inputs == "float":
        X, y = X.tolist(), y.tolist()
    elif inputs != "numpy":
        raise ValueError(f"inputs must be 'numpy' or 'float', got {inputs!r}")
    model = make_model()

    def loss_fn() -> Any:  # the demo's forward pass, exactly
        rows = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, rows))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores)]
        return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())

    def step() -> None:
        loss = loss_fn()
        model.zero_grad()
        loss.backward()

    return loss_fn, step


def _count_nodes(root: Any) -> int:
    # micrograd keeps its inputs in a set, which graph.topological_order rejects for ordering;
    # for counting, any order will do.
    return ad.graph.num_nodes(root, inputs=lambda node: list(node._prev))


@contextlib.contextmanager
def _gc(enabled: bool) -> Iterator[None]:
    was = gc.isenabled()
    gc.collect()
    (gc.enable if enabled else gc.disable)()
    try:
        yield
    finally:
        (gc.enable if was else gc.disable)()


class _FullCollections:
    """Counts generation-2 (full) collections while active."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info.get("generation") == 2:
            self.count += 1

    def __enter__(self) -> _FullCollections:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def _stats(times: list[float]) -> dict[str, float]:
    return {"min_ms": 1000 * min(times), "median_ms": 1000 * statistics.median(times)}


def time_library(library: str, n: int = 100, inputs: str = "numpy", blocks: int = 3, number: int = 3) -> dict[str, Any]:
    """Time ``blocks`` blocks of ``number`` demo steps of one library, with the GC off, then on.

    A block is ``number`` consecutive steps (so garbage left by one step is paid for in the next,
    as in training), timed together and divided by ``number``; every block starts after a full
    collection. Returns ``{"gc_off": [seconds per step, one per block], "gc_on": [...],
    "full_collections": int (during the GC-on blocks), "steps_gc_on": int, "nodes": int}``.

    >>> sorted(time_library("autodiff", n=4, blocks=1, number=1))
    ['full_collections', 'gc_off', 'gc_on', 'nodes', 'steps_gc_on']
    """
    loss_fn, step = make_demo_step(library, n=n, inputs=inputs)
    step()  # warm-up
    out: dict[str, Any] = {"nodes": _count_nodes(loss_fn()), "full_collections": 0, "steps_gc_on": blocks * number}
    for enabled, key in ((False, "gc_off"), (True, "gc_on")):
        out[key] = []
        for _ in range(blocks):
            with _gc(enabled), _FullCollections() as counter:
                start = time.perf_counter()
                for _ in range(number):
                    step()
                out[key].append((time.perf_counter() - start) / number)
            if enabled:
                out["full_collections"] += counter.count
    return out


def _time_in_subprocess(library: str, n: int, inputs: str, blocks: int, number: int) -> dict[str, Any]:
    """:func:`time_library` in a fresh interpreter: no other library's heap or garbage around."""
    args = json.dumps({"library": library, "n": n, "inputs": inputs, "blocks": blocks, "number": number})
    done = subprocess.run(
        [sys.executable, "-m", "autodiff.bench.scalar", "--worker", args],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"benchmark worker for {library} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_scalar_step(
    rounds: int = 3,
    blocks: int = 3,
    number: int = 3,
    n: int = 100,
    inputs: str = "numpy",
    libraries: tuple[str, ...] | None = None,
    isolate: bool = False,
) -> dict[str, Any]:
    """Time the demo step of each available library with the GC off and on, side by side.

    ``rounds`` times, every library runs :func:`time_library` (``blocks`` blocks of ``number``
    steps); the libraries alternate round by round, so that changing load on the machine affects
    both alike. With ``isolate=True`` each of those runs happens in a fresh Python process (what
    the command line does): a process that has just built and dropped micrograd's cyclic graphs
    has a larger, fragmented heap that slows whatever runs next in it.

    Returns ``{"libraries": {name: {"gc_off": {"min_ms", "median_ms"}, "gc_on": {...},
    "full_collections_per_step": float, "nodes": int}}, "ratio_gc_off": float | None,
    "ratio_gc_on": float | None, "ratio_gc_off_min": ..., "ratio_gc_on_min": ..., ...}``. A ratio
    is micrograd's time over autodiff's (how many times faster autodiff is), of the medians, or of
    the minima for ``*_min`` (the least disturbed runs); ``None`` without micrograd.

    >>> r = measure_scalar_step(rounds=1, blocks=1, number=1, n=4, libraries=("autodiff",))
    >>> sorted(r["libraries"]["autodiff"])
    ['full_collections_per_step', 'gc_off', 'gc_on', 'nodes']
    """
    if libraries is None:
        libraries = tuple(lib for lib in LIBRARIES if lib == "autodiff" or micrograd_available())
    runs: dict[str, list[dict[str, Any]]] = {lib: [] for lib in libraries}
    for _ in range(rounds):
        for lib in libraries:
            run_once = _time_in_subprocess if isolate else time_library
            runs[lib].append(run_once(lib, n, inputs, blocks, number))
    results: dict[str, Any] = {}
    for lib, parts in runs.items():
        results[lib] = {
            "nodes": parts[0]["nodes"],
            "gc_off": _stats([t for p in parts for t in p["gc_off"]]),
            "gc_on": _stats([t for p in parts for t in p["gc_on"]]),
            "full_collections_per_step": sum(p["full_collections"] for p in parts) / sum(p["steps_gc_on"] for p in parts),
        }
    out: dict[str, Any] = {
        "libraries": results, "n_points": n, "inputs": inputs, "rounds": rounds, "blocks": blocks,
        "number": number, "isolated": isolate,
    }
    for key in ("gc_off", "gc_on"):
        both = "micrograd" in results and "autodiff" in results
        for stat in ("median", "min"):
            name = f"ratio_{key}" if stat == "median" else f"ratio_{key}_min"
            ms = f"{stat}_ms"
            out[name] = results["micrograd"][key][ms] / results["autodiff"][key][ms] if both else None
    return out


@contextlib.contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _chain_backward_works(Value: type, steps: int) -> bool:
    x = y = Value(1.0)
    for _ in range(steps):
        y = y * 1.0001 + 0.001
    try:
        y.backward()
    except RecursionError:
        return False
    return True


def measure_depth(autodiff_steps: int = 500_000, limit: int = 1000) -> dict[str, Any]:
    """The deepest chain ``x = x * 1.0001 + 0.001`` each library can back-propagate.

    Runs at the recursion limit ``limit`` (CPython's default, restored afterwards). For micrograd
    the largest working number of steps is found by bisection; for autodiff the chain of
    ``autodiff_steps`` steps (two nodes each) is timed. Returns ``{"recursion_limit",
    "micrograd_max_steps" (None without micrograd), "autodiff_steps", "autodiff_ok",
    "autodiff_seconds"}``.

    >>> measure_depth(autodiff_steps=1000)["autodiff_ok"]
    True
    """
    out: dict[str, Any] = {"recursion_limit": limit, "micrograd_max_steps": None}
    with _recursion_limit(limit):
        if micrograd_available():
            from micrograd.engine import Value as MValue

            lo, hi = 1, 2 * limit  # works at lo, fails at hi (each step adds two levels of recursion)
            if _chain_backward_works(MValue, hi):
                hi = None  # not limited within the range tried
            else:
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    lo, hi = (mid, hi) if _chain_backward_works(MValue, mid) else (lo, mid)
            out["micrograd_max_steps"] = lo if hi is not None else f"> {2 * limit}"
        start = time.perf_counter()
        out["autodiff_ok"] = _chain_backward_works(ad.Value, autodiff_steps)
        out["autodiff_seconds"] = time.perf_counter() - start
        out["autodiff_steps"] = autodiff_steps
    return out


def measure_memory(library: str = "autodiff", n: int = 100) -> dict[str, Any]:
    """Objects and bytes per node of one demo forward + backward, and cycles left behind.

    ``tracked_per_node``: new objects tracked by the garbage collector per graph node (GC off while
    building); ``bytes_per_node``: tracemalloc's net allocation per node; ``cyclic_per_node``:
    objects per node that were still alive after the graph was dropped and that only the cyclic
    collector could free (0 when there are no reference cycles).

    >>> m = measure_memory("autodiff", n=4)
    >>> m["cyclic_per_node"], m["tracked_per_node"] <= 2.0
    (0.0, True)
    """
    loss_fn, _ = make_demo_step(library, n=n)
    loss_fn().backward()  # warm-up: lazily created objects
    with _gc(False):
        gc.collect()
        before = len(gc.get_objects())
        tracemalloc.start()
        loss = loss_fn()
        loss.backward()
        size, _peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        tracked = len(gc.get_objects()) - before
        nodes = _count_nodes(loss)
        del loss
        cyclic = gc.collect()
    return {
        "library": library,
        "nodes": nodes,
        "tracked_per_node": tracked / nodes,
        "bytes_per_node": size / nodes,
        "cyclic_per_node": cyclic / nodes,
    }


def run(
    rounds: int = 3, blocks: int = 3, number: int = 3, n: int = 100, depth_steps: int = 500_000, isolate: bool = False
) -> dict[str, Any]:
    """Every measurement of this module, as one dict (what ``main`` prints and saves).

    The timing arguments are those of :func:`measure_scalar_step`; ``depth_steps`` is the length
    of autodiff's chain. The command line runs the full benchmark with ``isolate=True`` (a few
    minutes with micrograd); the book runs a reduced one in its own process.

    >>> sorted(run(rounds=1, blocks=1, number=1, n=4, depth_steps=100).keys())
    ['depth', 'memory', 'python', 'step_float', 'step_numpy']
    """
    libraries = [lib for lib in LIBRARIES if lib == "autodiff" or micrograd_available()]
    timing = {"rounds": rounds, "blocks": blocks, "number": number, "n": n, "isolate": isolate}
    return {
        "python": sys.version.split()[0],
        "step_numpy": measure_scalar_step(inputs="numpy", **timing),
        "step_float": measure_scalar_step(inputs="float", **timing),
        "depth": measure_depth(autodiff_steps=depth_steps),
        "memory": {lib: measure_memory(lib, n=n) for lib in libraries},
    }


def format_results(results: dict[str, Any]) -> str:
    """A small text table of :func:`run`'s results.

    >>> print(format_results(run(rounds=1, blocks=1, number=1, n=4, depth_steps=100)).splitlines()[0])
    Scalar engine vs micrograd 0.1.0: demo step, MLP(2, [16, 16, 1]) on 4 moons points
    """
    points = results["step_numpy"]["n_points"]
    lines = [f"Scalar engine vs micrograd 0.1.0: demo step, MLP(2, [16, 16, 1]) on {points} moons points"]
    for key, title in (("step_numpy", "numpy float64 inputs (as in the demo)"), ("step_float", "Python float inputs")):
        step = results[key]
        blocks = step["rounds"] * step["blocks"]
        where = ", each library in fresh processes" if step["isolated"] else ""
        lines.append(f"\n  {title}; median (min) ms per step, {blocks} blocks of {step['number']} steps{where}")
        lines.append(f"  {'library':<11}{'nodes':>8}{'GC off':>18}{'GC on':>18}{'full GCs/step':>15}")
        for lib, r in step["libraries"].items():
            lines.append(
                f"  {lib:<11}{r['nodes']:>8}"
                f"{r['gc_off']['median_ms']:>10.1f} ({r['gc_off']['min_ms']:5.1f})"
                f"{r['gc_on']['median_ms']:>10.1f} ({r['gc_on']['min_ms']:5.1f})"
                f"{r['full_collections_per_step']:>15.1f}"
            )
        if step["ratio_gc_off"] is not None:
            lines.append(
                f"  autodiff is {step['ratio_gc_off']:.1f}x faster with GC off, "
                f"{step['ratio_gc_on']:.1f}x faster with GC on (ratio of medians; of minima: "
                f"{step['ratio_gc_off_min']:.1f}x and {step['ratio_gc_on_min']:.1f}x)"
            )
    depth = results["depth"]
    lines.append(f"\n  depth at recursion limit {depth['recursion_limit']}: chain x = x*1.0001 + 0.001")
    mg = depth["micrograd_max_steps"]
    lines.append(f"  micrograd: longest chain that back-propagates: {mg if mg is not None else 'n/a (not installed)'} steps")
    lines.append(
        f"  autodiff:  {depth['autodiff_steps']:,} steps ({2 * depth['autodiff_steps']:,} nodes): "
        f"{'ok' if depth['autodiff_ok'] else 'FAILED'} in {depth['autodiff_seconds']:.2f} s (no depth limit)"
    )
    lines.append(f"\n  memory of one demo forward + backward")
    lines.append(f"  {'library':<11}{'tracked objects/node':>22}{'bytes/node':>12}{'cyclic garbage/node':>21}")
    for lib, m in results["memory"].items():
        lines.append(f"  {lib:<11}{m['tracked_per_node']:>22.2f}{m['bytes_per_node']:>12.0f}{m['cyclic_per_node']:>21.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None, json_default: Path = Path("scalar.json")) -> dict[str, Any]:
    """Command line: print the table; ``--json [FILE]`` also writes the results (default
    ``json_default``; ``benchmarks/bench_scalar.py`` passes ``benchmarks/results/scalar.json``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of alternating runs per library (default 3)")
    parser.add_argument("--blocks", type=int, default=3, help="timed blocks of 3 steps per run (default 3)")
    parser.add_argument("--depth-steps", type=int, default=500_000, help="chain length (2 nodes per step) for autodiff's depth check")
    parser.add_argument("--in-process", action="store_true", help="time every library in this process instead of fresh ones")
    add_json_option(parser, json_default)
    parser.add_argument("--worker", help=argparse.SUPPRESS)  # internal: one time_library run, as JSON
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(time_library(**json.loads(args.worker))))
        return {}
    if not micrograd_available():
        print("micrograd is not installed: showing autodiff only (`make bench` installs micrograd 0.1.0)")
    results = run(rounds=args.rounds, blocks=args.blocks, depth_steps=args.depth_steps, isolate=not args.in_process)
    print(format_results(results))
    if args.json:
        write_json(results, args.json)
    return results


if __name__ == "__main__":
    main()
