"""Command line for :mod:`autodiff.bench.tensor`: ``Tensor`` against ``Value``, numpy and PyTorch.

    python benchmarks/bench_tensor.py [--json] [--repeats N]

``--json`` writes ``benchmarks/results/tensor.json``. The measuring code lives in the package
(``autodiff.bench``), so the book imports it from any working directory; see its docstring.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from autodiff.bench import tensor

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    return tensor.main(argv, json_default=RESULTS / "tensor.json")


if __name__ == "__main__":
    main()
