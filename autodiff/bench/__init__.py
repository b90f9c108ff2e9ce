"""Benchmarks: the measurements behind the book's Performance appendix and ``make bench``.

Each module measures one engine and returns plain dicts, so the same code serves the command
line (``python -m autodiff.bench.scalar``, or the thin wrappers ``benchmarks/bench_*.py`` that
``make bench`` runs) and the book (``appendices/performance.ipynb`` runs reduced sizes):

* :mod:`autodiff.bench.scalar`: ``Value`` against micrograd 0.1.0 (speed with the garbage
  collector off and on, the deepest chain, objects per node);
* :mod:`autodiff.bench.tensor`: ``Tensor`` against ``Value``, hand-written numpy and PyTorch;
  real data; checkpointing;
* :mod:`autodiff.bench.grading`: how long the batch grader takes per submission.

A library that is not installed (micrograd, PyTorch, scikit-learn) is left out of the comparison
with a note; nothing here installs anything. Like :mod:`autodiff.grading`, this package is not
imported by ``import autodiff``.

Why a subpackage and not the ``benchmarks/`` folder: the book must import the measuring functions
from any working directory without ``sys.path`` edits, and installing the folder as a top-level
package named ``benchmarks`` would claim a generic name in every environment the book is
installed into (and clash with any other project that does the same).

>>> info = machine()
>>> sorted(info)
['cores', 'cpu', 'micrograd', 'numpy', 'platform', 'python', 'torch']
>>> info["cores"] >= 1
True
"""

from __future__ import annotations

import argparse
import json
import os
import platform
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["machine", "format_machine", "cores", "add_json_option", "write_json"]


def _cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, ``platform`` elsewhere)."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.lower().startswith(("model name", "hardware", "cpu model")):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def cores() -> int:
    """The CPU cores this process may run on (its affinity mask where the OS has one).

    >>> cores() >= 1
    True
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def machine() -> dict[str, str | int | None]:
    """What a timing depends on: CPU model, usable cores, platform and the library versions.

    A library that is not installed has version ``None``.

    >>> machine()["python"] == platform.python_version()
    True
    """
    return {
        "cpu": _cpu_model(),
        "cores": cores(),
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "numpy": _version("numpy"),
        "torch": _version("torch"),
        "micrograd": _version("micrograd"),
    }


def format_machine(info: dict[str, str | int | None] | None = None) -> str:
    """:func:`machine` as one line, for the top of a table of timings.

    >>> format_machine({"cpu": "Some CPU", "cores": 2, "platform": "Linux", "python": "3.11.9",
    ...                 "numpy": "2.4.6", "torch": None, "micrograd": "0.1.0"})
    'Some CPU, 2 cores, Linux; Python 3.11.9, numpy 2.4.6, torch not installed, micrograd 0.1.0'
    """
    info = machine() if info is None else info
    versions = ", ".join(
        f"{name} {info[name] if info[name] is not None else 'not installed'}"
        for name in ("numpy", "torch", "micrograd")
    )
    return f"{info['cpu']}, {info['cores']} cores, {info['platform']}; Python {info['python']}, {versions}"


def add_json_option(parser: argparse.ArgumentParser, default: Path) -> None:
    """Add ``--json [FILE]`` to a benchmark's command line: also write the results to FILE
    (``default`` when the option has no value).

    >>> parser = argparse.ArgumentParser()
    >>> add_json_option(parser, Path("out.json"))
    >>> str(parser.parse_args(["--json"]).json), parser.parse_args([]).json
    ('out.json', None)
    """
    parser.add_argument(
        "--json", nargs="?", type=Path, const=default, default=None, metavar="FILE",
        help=f"also write the results as JSON to FILE (default {default})",
    )


def write_json(results: dict[str, Any], path: Path) -> None:
    """Write ``results`` as indented JSON to ``path`` (creating its folder) and say where.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     write_json({"ratio": 2.5}, Path(tmp) / "results" / "x.json")  # doctest: +ELLIPSIS
    ...     json.loads((Path(tmp) / "results" / "x.json").read_text())
    <BLANKLINE>
    wrote .../results/x.json
    {'ratio': 2.5}
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {path}")
