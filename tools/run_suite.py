"""Run the project's checks: what `make test` and `make book` do after set-up.

    python tools/run_suite.py            every step (make test), then a summary; exit 1 if any failed
    python tools/run_suite.py book       only the book build (make book)
    python tools/run_suite.py STEP...    the named steps, in the order given

Every step runs even when an earlier one failed, so one run reports every problem.
Run it with the project's virtual environment (the Makefile does).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NOTEBOOK_DIRS = ("chapters", "appendices", "solutions", "exercises")
JUPYTER_CACHE = ROOT / "_build" / ".jupyter_cache"
# Files whose change can change what a notebook prints even when its code cells did not change.
CACHE_INPUTS = ("autodiff", "requirements.txt", "constraints.txt")


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    command: list[str]


def notebook_paths() -> list[str]:
    return [d for d in NOTEBOOK_DIRS if any((ROOT / d).glob("*.ipynb"))]


def steps() -> dict[str, Step]:
    pytest = [str(BIN / "python"), "-m", "pytest", "-p", "no:cacheprovider"]
    return {
        "package": Step(
            "package",
            "pytest over tests/ and the docstring examples of autodiff/ (package, grader, API pages, PyTorch oracle)",
            [*pytest, "-n", "auto", "-q", "--doctest-modules", "tests", "autodiff"],
        ),
        "exercises": Step(
            "exercises",
            "exercises/*.ipynb are what `python -m autodiff.grading generate` makes from solutions/",
            [str(BIN / "python"), "-m", "autodiff.grading", "generate", "--check"],
        ),
        "notebooks": Step(
            "notebooks",
            "nbval (strict: stored outputs compared) over " + ", ".join(f"{d}/" for d in NOTEBOOK_DIRS),
            [
                *pytest,
                "--nbval",
                "--nbval-current-env",
                "--nbval-cell-timeout=300",
                "--nbval-sanitize-with=tests/nbval_sanitize.cfg",
                "-n", "auto", "--dist", "loadfile", "-q",
                *notebook_paths(),
            ],
        ),
        "book": Step(
            "book",
            "jupyter-book build -W -n --keep-going (warnings are errors, notebooks executed)",
            [str(BIN / "jupyter-book"), "build", "-W", "-n", "--keep-going", "."],
        ),
        # After `book`: tests the HTML just built. `pytest tests` (the package step) skips this folder.
        "browser": Step(
            "browser",
            "every page of _build/html in headless Chromium, offline (maths, links, images, search)",
            [*pytest, "-q", "tests/browser"],
        ),
    }


def newest_mtime(path: Path) -> float:
    if path.is_file():
        return path.stat().st_mtime
    times = [p.stat().st_mtime for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return max(times, default=0.0)


def invalidate_stale_execution_cache() -> None:
    """jupyter-cache re-executes a notebook only when its code cells change. Outputs also depend
    on the package and the pinned environment, so drop the cache when either is newer than it."""
    if not JUPYTER_CACHE.exists():
        return
    cache_time = JUPYTER_CACHE.stat().st_mtime
    if any(newest_mtime(ROOT / name) > cache_time for name in CACHE_INPUTS if (ROOT / name).exists()):
        print("The package or the pins changed since the last build: re-executing every notebook.")
        shutil.rmtree(JUPYTER_CACHE)


def provide_mathjax() -> bool:
    """Put the pinned MathJax where the build serves it from (offline reading); fast once cached."""
    return subprocess.run([str(BIN / "python"), str(ROOT / "tools" / "fetch_mathjax.py")], cwd=ROOT).returncode == 0


def run(step: Step) -> tuple[bool, float]:
    print(f"\n=== {step.name}: {step.description}", flush=True)
    if step.name == "book":
        invalidate_stale_execution_cache()
    start = time.perf_counter()
    if step.name == "book" and not provide_mathjax():
        return False, time.perf_counter() - start
    result = subprocess.run(step.command, cwd=ROOT, env={**os.environ, "PYTHONHASHSEED": "0"})
    elapsed = time.perf_counter() - start
    if step.name == "book" and result.returncode == 0:
        JUPYTER_CACHE.mkdir(parents=True, exist_ok=True)
        os.utime(JUPYTER_CACHE)
    if step.name == "book" and result.returncode != 0:
        print(f"Tracebacks of failed notebooks, if any: {ROOT / '_build/html/reports'}")
    return result.returncode == 0, elapsed


def main(argv: list[str]) -> int:
    available = steps()
    names = argv or list(available)
    unknown = [n for n in names if n not in available]
    if unknown:
        print(f"unknown step(s): {', '.join(unknown)}; choose from {', '.join(available)}", file=sys.stderr)
        return 2
    results = [(name, *run(available[name])) for name in names]
    print("\n=== summary")
    for name, ok, elapsed in results:
        print(f"  {'PASS' if ok else 'FAIL'}  {name:<10} {elapsed:7.1f} s  {available[name].description}")
    failed = [name for name, ok, _ in results if not ok]
    if failed:
        print(f"{len(failed)} of {len(results)} step(s) failed: {', '.join(failed)}")
        return 1
    if "book" in names:
        print(f"The book is in {ROOT / '_build/html/index.html'}")
    print(f"all {len(results)} step(s) passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
