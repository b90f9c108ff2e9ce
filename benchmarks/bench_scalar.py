"""Command line for :mod:`autodiff.bench.scalar`: the scalar engine against micrograd 0.1.0.

    python benchmarks/bench_scalar.py [--json] [--rounds N] [--blocks N] [--in-process]

``--json`` writes ``benchmarks/results/scalar.json``. The measuring code lives in the package
(``autodiff.bench``), so the book imports it from any working directory; see its docstring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autodiff.bench import scalar

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return scalar.main(argv, json_default=RESULTS / "scalar.json")


if __name__ == "__main__":
    main()
