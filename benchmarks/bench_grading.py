"""Command line for :mod:`autodiff.bench.grading`: how long the batch grader takes.

    python benchmarks/bench_grading.py [--json] [--repeat N] [--classroom N]

``--json`` writes ``benchmarks/results/grading.json``. Besides the generated 10-exercise set, this
wrapper also grades chapter 5's solutions notebook of this checkout. The measuring code lives in
the package (``autodiff.bench``), so the book imports it from any working directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autodiff.bench import grading

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
CHAPTER = (ROOT / "solutions" / "05_micrograd.ipynb", ROOT / "exercises" / "05_micrograd.ipynb")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    chapter = CHAPTER if all(path.is_file() for path in CHAPTER) else None
    return grading.main(argv, json_default=RESULTS / "grading.json", chapter=chapter)


if __name__ == "__main__":
    main()
