"""How long the batch grader takes: one submission of 10 exercises, chapter 5, a classroom batch.

Run ``python -m autodiff.bench.grading`` or ``python benchmarks/bench_grading.py`` (``--json``
also writes the results; the second writes ``benchmarks/results/grading.json``). Every exercise
runs in its own child process with the
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
* **chapter 5**: the solutions notebook (7 exercises, 22 points), when the book's repository is at
  hand (``benchmarks/bench_grading.py`` passes its ``solutions/`` and ``exercises/`` notebooks);
* **a classroom**: 40 submissions of the 10-exercise set with ``-j 1`` and ``-j 2``.

The target is under 2 seconds for one 10-exercise submission. The book's Performance appendix
runs :func:`measure` with fewer repeats and a smaller classroom.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from autodiff.bench import add_json_option, cores, write_json
from autodiff.grading.batch import Batch
from autodiff.grading.generate import generate
from autodiff.grading.registry import forget_chapter, load_checks_file
from autodiff.grading.runner import Limits, Runner

__all__ = ["EXERCISES", "build_set", "bench_set", "time_one", "time_cli", "time_batch", "measure",
           "format_results", "main"]

#: Exercises in the benchmark's generated set (each worth 3 points: 1 public, 2 hidden).
EXERCISES = 10
#: The chapter id of the generated set, registered while a benchmark runs and forgotten after.
CHAPTER = "91_bench"

CHECKS = '''
"""A generated set of {n} exercises for the grading benchmark."""
from autodiff.grading.registry import Case, Chapter, need

chapter = Chapter("{chapter}", "Benchmark", module=__name__)


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
    """Write a generated set of ``n`` exercises into ``folder``: its check file (registered with
    the grader), the solution notebook and the exercise template made from it (as
    ``python -m autodiff.grading generate`` makes them). Returns ``(checks, solution)``; the template is
    ``folder / "exercises" / "91_bench.ipynb"``. Prefer :func:`bench_set`, which also forgets the
    set afterwards.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     checks, solution = build_set(Path(tmp), n=2)
    ...     sorted(p.name for p in Path(tmp).rglob("*.ipynb"))
    ['91_bench.ipynb', '91_bench.ipynb']
    >>> forget_chapter(CHAPTER)
    """
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    checks = folder / "bench_checks.py"
    checks.write_text(textwrap.dedent(CHECKS.format(n=n, chapter=CHAPTER)), encoding="utf-8")
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
                   solutions / f"{CHAPTER}.ipynb")
    problems = generate(solutions, exercises)
    if problems:
        raise RuntimeError(problems)
    return checks, solutions / f"{CHAPTER}.ipynb"


@contextlib.contextmanager
def bench_set(n: int = EXERCISES) -> Iterator[tuple[Path, Path, Path]]:
    """The generated set of ``n`` exercises in a temporary folder, as ``(checks, template,
    solution)``; the folder is removed and the set forgotten by the grader afterwards.

    >>> with bench_set(2) as (checks, template, solution):
    ...     checks.name, template.parent.name, solution.parent.name
    ('bench_checks.py', 'exercises', 'solutions')
    """
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        try:
            checks, solution = build_set(Path(tmp), n)
            yield checks, Path(tmp) / "exercises" / f"{CHAPTER}.ipynb", solution
        finally:
            forget_chapter(CHAPTER)


def _median(samples: list[float]) -> float:
    return round(statistics.median(samples), 3)


def _full_marks(report: dict[str, Any]) -> None:
    if report["total"] != report["max"]:
        raise RuntimeError(f"the benchmark's solution did not score full marks: {report['total']}/{report['max']}")


def time_one(checks: Path, template: Path, submission: Path, mode: str, repeat: int) -> dict[str, float]:
    """Seconds to grade one submission, median of ``repeat`` runs: ``cold_s`` (a new grader whose
    zygote starts for this submission) and ``warm_s`` (a second submission through it).

    >>> with bench_set(2) as (checks, template, solution):
    ...     times = time_one(checks, template, solution, "fork", repeat=1)
    >>> sorted(times), times["cold_s"] > 0
    (['cold_s', 'warm_s'], True)
    """
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
        _full_marks(report)
    return {"cold_s": _median(cold), "warm_s": _median(warm)}


def time_cli(checks: Path, template: Path, submission: Path, out: Path, repeat: int) -> float:
    """Seconds for ``python -m autodiff.grading grade`` on one submission in a new process
    (interpreter start-up and imports included), median of ``repeat`` runs.

    >>> with bench_set(1) as (checks, template, solution):
    ...     time_cli(checks, template, solution, solution.parent / "out", repeat=1) > 0
    True
    """
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "autodiff.grading", "grade", str(submission), "--out", str(out),
                        "--template", str(template), "--checks", str(checks), "--seed", "1", "-q"],
                       check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "0"})
        samples.append(time.perf_counter() - start)
    return _median(samples)


def time_batch(checks: Path, template: Path, submission: Path, folder: Path, count: int, jobs: int) -> dict[str, float]:
    """Grade ``count`` copies of ``submission`` as one batch with ``jobs`` parallel graders:
    ``seconds`` in all and ``per_submission_s``.

    >>> with bench_set(1) as (checks, template, solution):
    ...     sorted(time_batch(checks, template, solution, solution.parent, count=2, jobs=1))
    ['per_submission_s', 'seconds']
    """
    copies = []
    for i in range(count):
        path = folder / f"student{i:03d}.ipynb"
        path.write_bytes(submission.read_bytes())
        copies.append(path)
    batch = Batch(seed=1, template=template, checks_files=[checks], jobs=jobs)
    start = time.perf_counter()
    reports = batch.run(copies, folder / f"out-j{jobs}")
    elapsed = time.perf_counter() - start
    for report in reports:
        _full_marks(report)
    return {"seconds": round(elapsed, 3), "per_submission_s": round(elapsed / count, 3)}


def measure(
    repeat: int = 5,
    classroom: int = 40,
    *,
    modes: tuple[str, ...] = ("fork", "spawn"),
    command_line: bool = True,
    jobs: tuple[int, ...] = (1, 2),
    chapter: tuple[Path, Path] | None = None,
) -> dict[str, Any]:
    """Every measurement in the module docstring, as a plain dict; the defaults are the full
    benchmark. ``modes`` are the grader's start methods to time (``"spawn"`` with half the
    repeats: it is slow), ``command_line=False`` leaves out the new-process run, ``classroom=0``
    the batch (graded with each of ``jobs`` parallel graders), and ``chapter`` is a pair
    ``(solutions notebook, exercise template)`` of a real chapter to grade as well.

    >>> r = measure(repeat=1, classroom=2, modes=("fork",), command_line=False, jobs=(1,))
    >>> sorted(r), r["classroom"]["submissions"]
    (['classroom', 'cores', 'limits', 'python', 'ten_exercises_fork'], 2)
    """
    with bench_set() as (checks, template, solution):
        folder = solution.parent.parent
        results: dict[str, Any] = {
            "python": sys.version.split()[0],
            "cores": cores(),
            "limits": {"timeout_s": Limits().timeout, "memory_mb": Limits().memory_mb},
        }
        for mode in modes:
            times = repeat if mode != "spawn" else max(1, repeat // 2)
            results[f"ten_exercises_{mode}"] = time_one(checks, template, solution, mode, times)
        if command_line:
            results["ten_exercises_cli_s"] = time_cli(checks, template, solution, folder / "cli", repeat)
        if chapter is not None:
            solutions_nb, chapter_template = chapter
            batch = Batch(seed=1, template=chapter_template)
            samples = []
            for _ in range(repeat):
                with Runner(batch.limits) as runner:
                    start = time.perf_counter()
                    batch.grade_submission(solutions_nb, runner)
                    samples.append(time.perf_counter() - start)
            results["chapter_solutions_cold_s"] = _median(samples)
            results["chapter"] = solutions_nb.stem
        if classroom:
            results["classroom"] = {"submissions": classroom}
            for j in jobs:
                results["classroom"][f"j{j}"] = time_batch(checks, template, solution, folder, classroom, j)
    return results


def format_results(results: dict[str, Any]) -> str:
    """A small text table of :func:`measure`'s results.

    >>> print(format_results({"ten_exercises_fork": {"cold_s": 0.31, "warm_s": 0.156},
    ...                       "classroom": {"submissions": 40, "j1": {"seconds": 5.9, "per_submission_s": 0.147}}}))
    one submission, 10 exercises:
      fork mode   cold 0.310 s   warm 0.156 s
    40 submissions: -j 1 5.90 s (0.147 s each)
    """
    lines = [f"one submission, {EXERCISES} exercises:"]
    for mode in ("fork", "spawn"):
        if f"ten_exercises_{mode}" in results:
            t = results[f"ten_exercises_{mode}"]
            lines.append(f"  {mode + ' mode':<12}cold {t['cold_s']:.3f} s   warm {t['warm_s']:.3f} s")
    if "ten_exercises_cli_s" in results:
        lines.append(f"  command line, new process: {results['ten_exercises_cli_s']:.3f} s")
    if "chapter_solutions_cold_s" in results:
        lines.append(f"{results['chapter']} solutions, cold: {results['chapter_solutions_cold_s']:.3f} s")
    if "classroom" in results:
        room = results["classroom"]
        runs = ", ".join(
            f"-j {key[1:]} {r['seconds']:.2f} s ({r['per_submission_s']:.3f} s each)"
            for key, r in room.items() if key.startswith("j")
        )
        lines.append(f"{room['submissions']} submissions: {runs}")
    return "\n".join(lines)


def main(
    argv: list[str] | None = None,
    json_default: Path = Path("grading.json"),
    chapter: tuple[Path, Path] | None = None,
) -> dict[str, Any]:
    """Command line: print the table; ``--json [FILE]`` also writes the results (default
    ``json_default``). ``chapter`` is passed on to :func:`measure`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median reported)")
    parser.add_argument("--classroom", type=int, default=40, help="submissions in the classroom batch")
    add_json_option(parser, json_default)
    args = parser.parse_args(argv)
    results = measure(args.repeat, args.classroom, chapter=chapter)
    print(f"median of {args.repeat} runs")
    print(format_results(results))
    if args.json:
        write_json(results, args.json)
    return results


if __name__ == "__main__":
    main()
