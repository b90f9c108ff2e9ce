"""How long the batch grader takes: one submission of 10 exercises, chapter 5, a classroom batch.

Run ``python benchmarks/bench_grading.py`` (``--json`` also writes
``benchmarks/results/grading.json``). Every exercise runs in its own child process with the
grader's default limits; nothing is cached between submissions except the pre-warmed zygote the
children are forked from.

What is measured (median of ``--repeat`` runs, wall clock):

* **10 exercises, one submission**: a generated set of ten exercises (each a function checked by
  one public and one hidden check of ten random cases, like chapter 5's), graded from a cold start
  (the grader starts its zygote, which imports numpy and the package) and warm (a second
  submission through the same grader); in fork mode (the default on Linux) and in spawn mode (a
  fresh interpreter per exercise);
* **the same from the command line**: ``python -m autodiff.grading grade`` as a new process, so
  interpreter start-up and imports are included;
* **chapter 5**: the solutions notebook (7 exercises, 22 points);
* **a classroom**: 40 submissions of the 10-exercise set with ``-j 1`` and ``-j 2``.

The target is under 2 seconds for one 10-exercise submission.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from autodiff.grading.batch import Batch
from autodiff.grading.generate import generate
from autodiff.grading.registry import forget_chapter, load_checks_file
from autodiff.grading.runner import Limits, Runner

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
EXERCISES = 10

CHECKS = '''
"""A generated set of {n} exercises for the grading benchmark."""
from autodiff.grading.registry import Case, Chapter, need

chapter = Chapter("91_bench", "Benchmark", module=__name__)


@chapter.driver
def call(ns, name, x):
    return need(ns, name)(x)


def _make(k):
    exercise = chapter.exercise(f"91.{{k}}", f"Polynomial {{k}}", (f"poly{{k}}",))

    @exercise.check(points=1)
    def public(rng):
        return [Case(f"poly{{k}}(2)", call, (f"poly{{k}}", 2.0), 2.0**k + k)]

    @exercise.check(points=2, hidden=True)
    def hidden(rng):
        xs = [rng.uniform(-2, 2) for _ in range(10)]
        return [Case(f"poly{{k}}({{x:.3f}})", call, (f"poly{{k}}", x), x**k + k) for x in xs]


for _k in range(1, {n} + 1):
    _make(_k)
'''


def build_set(folder: Path, n: int = EXERCISES) -> tuple[Path, Path]:
    """Write the check file, the solution notebook and the generated template; return (checks, template)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    checks = folder / "bench_checks.py"
    checks.write_text(textwrap.dedent(CHECKS.format(n=n)), encoding="utf-8")
    load_checks_file(checks)
    cells = [new_markdown_cell("# Benchmark set"),
             new_code_cell("import math\n\nimport numpy as np\n\nimport autodiff as ad\nfrom autodiff.grading import check")]
    for k in range(1, n + 1):
        cells.append(new_markdown_cell(f"## Exercise 91.{k}"))
        cells.append(new_code_cell(f'def poly{k}(x):\n    """x**{k} + {k}"""\n    return x**{k} + {k}',
                                   metadata={"grader": {"answer": f"91.{k}"}}))
        cells.append(new_code_cell(f'check("91.{k}")', metadata={"grader": {"check": f"91.{k}"}}))
    for i, cell in enumerate(cells):
        cell.id = f"bench-{i}"
    solutions, exercises = folder / "solutions", folder / "exercises"
    solutions.mkdir()
    nbformat.write(new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                      "language": "python"}}),
                   solutions / "91_bench.ipynb")
    problems = generate(solutions, exercises)
    if problems:
        raise RuntimeError(problems)
    return checks, solutions / "91_bench.ipynb"


def _median(samples: list[float]) -> float:
    return round(statistics.median(samples), 3)


def time_one(checks: Path, template: Path, submission: Path, mode: str, repeat: int) -> dict[str, float]:
    """Cold (grader and zygote started for this submission) and warm (second submission) times."""
    cold, warm = [], []
    for _ in range(repeat):
        batch = Batch(seed=1, template=template, checks_files=[checks], mode=mode)
        with Runner(batch.limits, mode) as runner:
            start = time.perf_counter()
            report = batch.grade_submission(submission, runner)
            cold.append(time.perf_counter() - start)
            start = time.perf_counter()
            batch.grade_submission(submission, runner)
            warm.append(time.perf_counter() - start)
        if report["total"] != report["max"]:
            raise RuntimeError(f"the benchmark's solution did not score full marks: {report['total']}/{report['max']}")
    return {"cold_s": _median(cold), "warm_s": _median(warm)}


def time_cli(checks: Path, template: Path, submission: Path, out: Path, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "autodiff.grading", "grade", str(submission), "--out", str(out),
                        "--template", str(template), "--checks", str(checks), "--seed", "1", "-q"],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        samples.append(time.perf_counter() - start)
    return _median(samples)


def time_batch(checks: Path, template: Path, submission: Path, folder: Path, count: int, jobs: int) -> dict[str, float]:
    copies = []
    for i in range(count):
        path = folder / f"student{i:03d}.ipynb"
        path.write_bytes(submission.read_bytes())
        copies.append(path)
    batch = Batch(seed=1, template=template, checks_files=[checks], jobs=jobs)
    start = time.perf_counter()
    reports = batch.run(copies, folder / f"out-j{jobs}")
    elapsed = time.perf_counter() - start
    if {r["total"] for r in reports} != {3 * EXERCISES}:
        raise RuntimeError("a copy of the solution did not score full marks")
    return {"seconds": round(elapsed, 3), "per_submission_s": round(elapsed / count, 3)}


def measure(repeat: int = 5, classroom: int = 40) -> dict[str, Any]:
    """Every measurement in the module docstring, as a plain dict."""
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        folder = Path(tmp)
        checks, solution = build_set(folder)
        template = folder / "exercises" / "91_bench.ipynb"
        results: dict[str, Any] = {
            "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
            "limits": {"timeout_s": Limits().timeout, "memory_mb": Limits().memory_mb},
            "ten_exercises_fork": time_one(checks, template, solution, "fork", repeat),
            "ten_exercises_spawn": time_one(checks, template, solution, "spawn", max(1, repeat // 2)),
            "ten_exercises_cli_s": time_cli(checks, template, solution, folder / "cli", repeat),
        }
        ch05 = ROOT / "solutions" / "05_micrograd.ipynb"
        if ch05.is_file():
            batch = Batch(seed=1, template=ROOT / "exercises" / "05_micrograd.ipynb")
            samples = []
            for _ in range(repeat):
                with Runner(batch.limits) as runner:
                    start = time.perf_counter()
                    batch.grade_submission(ch05, runner)
                    samples.append(time.perf_counter() - start)
            results["chapter5_solutions_cold_s"] = _median(samples)
        results["classroom"] = {
            "submissions": classroom,
            "j1": time_batch(checks, template, solution, folder, classroom, 1),
            "j2": time_batch(checks, template, solution, folder, classroom, 2),
        }
        forget_chapter("91_bench")
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median reported)")
    parser.add_argument("--classroom", type=int, default=40, help="submissions in the classroom batch")
    parser.add_argument("--json", action="store_true", help="also write benchmarks/results/grading.json")
    args = parser.parse_args(argv)
    results = measure(args.repeat, args.classroom)
    fork, spawn = results["ten_exercises_fork"], results["ten_exercises_spawn"]
    print(f"one submission, {EXERCISES} exercises (median of {args.repeat}):")
    print(f"  fork mode   cold {fork['cold_s']:.3f} s   warm {fork['warm_s']:.3f} s")
    print(f"  spawn mode  cold {spawn['cold_s']:.3f} s   warm {spawn['warm_s']:.3f} s")
    print(f"  command line, new process: {results['ten_exercises_cli_s']:.3f} s")
    if "chapter5_solutions_cold_s" in results:
        print(f"chapter 5 solutions (7 exercises), cold: {results['chapter5_solutions_cold_s']:.3f} s")
    room = results["classroom"]
    print(f"{room['submissions']} submissions: -j 1 {room['j1']['seconds']:.2f} s, -j 2 {room['j2']['seconds']:.2f} s")
    if args.json:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "grading.json").write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
