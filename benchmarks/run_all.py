"""Run every benchmark of this folder: what ``make bench`` does (after it installs micrograd 0.1.0).

Each ``benchmarks/bench_*.py`` module is a thin command line over a module of ``autodiff.bench``
and defines ``main(argv: list[str] | None) -> dict`` that prints a small table; this script runs
them in name order with ``--json``, so each also writes its results to
``benchmarks/results/<name>.json`` (git-ignored). It installs nothing: a comparison whose library
is missing is skipped with a note by the module itself.

    python benchmarks/run_all.py
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))  # the bench_* modules sit next to this script
    for path in sorted(HERE.glob("bench_*.py")):
        module = importlib.import_module(path.stem)
        print(f"== {path.stem} " + "=" * (60 - len(path.stem)))
        start = time.perf_counter()
        module.main(["--json"])
        print(f"({path.stem}: {time.perf_counter() - start:.0f} s)\n")


if __name__ == "__main__":
    main()
