"""Put the Colab set-up cell at the top of every book notebook, or check that it is there.

    python tools/colab_setup.py                   chapters/*.ipynb and appendices/*.ipynb
    python tools/colab_setup.py NB.ipynb ...      only these notebooks
    python tools/colab_setup.py --check [NB ...]  change nothing; exit 1 if a notebook lacks the cell

The book's "open in Colab" button opens a chapter notebook straight from GitHub in a runtime that
has numpy, matplotlib and graphviz but not this book's package, so the chapter would stop at
`import autodiff`. The set-up cell installs the package from the repository named in `_config.yml`
(its `repository.url` and `branch`) when, and only when, the notebook runs on Colab and `autodiff`
is missing; anywhere else (JupyterLab, Binder, nbval, the book build) it does nothing and prints
nothing. It is tagged `remove-cell`, so the book's pages do not show it.

Idempotent: a notebook that already starts with the current cell is left untouched (not even
rewritten); an older version of the cell is replaced in place; a copy anywhere else is removed.
After running it, re-execute the changed notebooks (`make notebooks NB="..."`) so that their
stored execution counts run 1..N again.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
# The folders whose notebooks are book pages (and so get a Colab button).
BOOK_NOTEBOOK_DIRS = ("chapters", "appendices")
# How the cell is recognised, whatever its source: this tag (plus `remove-cell`, which hides it).
TAG = "colab-setup"
TAGS = ["remove-cell", TAG]
DISTRIBUTION = "autodiff-from-scratch"  # pyproject.toml's project name; the import name is autodiff


def repository(config_path: Path = ROOT / "_config.yml") -> tuple[str, str]:
    """The book's repository URL and branch, from `_config.yml` (what the launch buttons use)."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    repo = config.get("repository", {})
    url, branch = repo.get("url"), repo.get("branch", "main")
    if not url or not str(url).startswith("https://"):
        raise ValueError(f"{config_path}: repository.url must be the https URL of the repository, got {url!r}")
    return str(url).rstrip("/"), str(branch)


def cell_source(url: str, branch: str) -> str:
    """The code of the set-up cell for the repository `url` at `branch`."""
    requirement = f"{DISTRIBUTION}[viz] @ git+{url}@{branch}"
    return (
        "# On Google Colab only, which lacks this book's package: install it from the book's repository.\n"
        "# Anywhere else this cell does nothing. (The book's pages hide it.)\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import importlib\n"
        "    import importlib.util\n"
        "    import subprocess\n"
        "\n"
        '    if importlib.util.find_spec("autodiff") is None:\n'
        f'        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "{requirement}"], check=True)\n'
        "        importlib.invalidate_caches()"
    )


def expected_cell() -> nbformat.NotebookNode:
    """The set-up cell as it should stand first in every book notebook."""
    url, branch = repository()
    cell = nbformat.v4.new_code_cell(cell_source(url, branch), metadata={"tags": list(TAGS)})
    cell.id = TAG
    return cell


def is_setup_cell(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and TAG in cell.get("metadata", {}).get("tags", [])


def has_current_cell(nb: nbformat.NotebookNode) -> bool:
    """Whether the notebook's first cell is the current set-up cell and no other cell is one."""
    if not nb.cells or not is_setup_cell(nb.cells[0]):
        return False
    first, expected = nb.cells[0], expected_cell()
    return (
        first.source == expected.source
        and first.metadata.get("tags") == expected.metadata["tags"]
        and not any(is_setup_cell(cell) for cell in nb.cells[1:])
    )


def apply(nb: nbformat.NotebookNode) -> bool:
    """Insert or update the set-up cell at the top of `nb`, in place; whether anything changed."""
    if has_current_cell(nb):
        return False
    expected = expected_cell()
    old = [cell for cell in nb.cells if is_setup_cell(cell)]
    nb.cells = [cell for cell in nb.cells if not is_setup_cell(cell)]
    if old:  # keep what the previous version recorded (its outputs are empty outside Colab)
        cell = old[0]
        cell.source = expected.source
        cell.metadata["tags"] = list(TAGS)
    else:
        cell = expected
    if nb.nbformat_minor < 5:
        cell.pop("id", None)  # cell ids exist from nbformat 4.5 on
    else:
        taken = {c.get("id") for c in nb.cells}
        cell.id = next(name for name in (TAG, *(f"{TAG}-{i}" for i in range(1, len(taken) + 2))) if name not in taken)
    nb.cells.insert(0, cell)
    return True


def book_notebooks() -> list[Path]:
    return sorted(p for d in BOOK_NOTEBOOK_DIRS for p in (ROOT / d).glob("*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in chapters/ and appendices/")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook lacks the cell")
    args = parser.parse_args(argv)
    paths = args.notebooks or book_notebooks()
    changed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        if args.check:
            if not has_current_cell(nb):
                changed.append(path)
        elif apply(nb):
            nbformat.validate(nb)
            nbformat.write(nb, path)
            changed.append(path)
    names = " ".join(str(p) for p in changed)
    if args.check:
        if changed:
            print(f"without the current Colab set-up cell: {names}\nrun: python tools/colab_setup.py {names}")
            return 1
        print(f"all {len(paths)} notebook(s) start with the Colab set-up cell")
        return 0
    if changed:
        print(f"updated {len(changed)} notebook(s); re-execute them: make notebooks NB=\"{names}\"")
    else:
        print(f"all {len(paths)} notebook(s) already start with the Colab set-up cell")
    return 0


if __name__ == "__main__":
    sys.exit(main())
