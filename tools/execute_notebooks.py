"""Execute notebooks top to bottom in a fresh kernel and save them with their outputs.

    python tools/execute_notebooks.py chapters/01_three_ways.ipynb [more.ipynb ...]
    make notebooks NB="chapters/01_three_ways.ipynb"      (the same, through make)

This is how a notebook in chapters/ or solutions/ is saved: execution counts 1..N, every output
current, no per-cell timing metadata (which would change on every run and clutter diffs). Each
notebook runs in its own directory, as nbval and the book build run it. A cell that raises stops
the run unless it is tagged `raises-exception`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

# Cell metadata that changes from run to run and means nothing to a reader.
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")


def execute(path: Path, timeout: int = 600) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
        record_timing=False,
    )
    client.execute()
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    language_info = nb.metadata.get("language_info", {})
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3",
                                    "codemirror_mode": language_info.get("codemirror_mode", {"name": "ipython", "version": 3}),
                                    "file_extension": ".py", "mimetype": "text/x-python",
                                    "nbconvert_exporter": "python"}
    nbformat.validate(nb)
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    for name in argv:
        path = Path(name)
        print(f"executing {path} ...", flush=True)
        execute(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
