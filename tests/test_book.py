"""The book's structure: the table of contents and the notebooks on disk agree."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def toc_files() -> list[str]:
    """Every `file:` entry of _toc.yml, the root included, in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in toc.items() if k != "root"})
    return found


def resolve(entry: str) -> Path | None:
    for suffix in ("", ".ipynb", ".md"):
        path = ROOT / f"{entry}{suffix}"
        if path.is_file():
            return path
    return None


def test_every_toc_entry_exists() -> None:
    missing = [entry for entry in toc_files() if resolve(entry) is None]
    assert not missing, f"_toc.yml lists files that do not exist: {missing}"


def test_every_chapter_notebook_is_in_the_toc() -> None:
    listed = {resolve(entry) for entry in toc_files()}
    unlisted = sorted(p.name for p in (ROOT / "chapters").glob("*.ipynb") if p not in listed)
    assert not unlisted, f"chapters/ has notebooks that _toc.yml does not list: {unlisted}"


def test_toc_lists_each_file_once() -> None:
    entries = toc_files()
    duplicates = sorted({e for e in entries if entries.count(e) > 1})
    assert not duplicates, f"_toc.yml lists these more than once: {duplicates}"


def stored_notebooks() -> list[Path]:
    return sorted(p for d in ("chapters", "solutions") for p in (ROOT / d).glob("*.ipynb"))


@pytest.mark.parametrize("path", stored_notebooks(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_is_saved_executed_in_order(path: Path) -> None:
    """Chapters and solutions are committed executed top to bottom in one fresh kernel."""
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts are {counts}; re-run it with "
        f"`make notebooks NB={path.relative_to(ROOT)}` and commit the result"
    )
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", stored_notebooks(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_follows_the_conventions(path: Path) -> None:
    """No sys.path edits, no absolute paths, no error outputs outside `raises-exception` cells."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        assert "sys.path" not in cell.source, f"{path.name} cell {index}: import the installed package instead"
        assert "/work/" not in cell.source and "/home/" not in cell.source, f"{path.name} cell {index}: absolute path"
        tags = cell.metadata.get("tags", [])
        errors = [o for o in cell.outputs if o.output_type == "error"]
        assert not errors or "raises-exception" in tags, (
            f"{path.name} cell {index} stores an error ({errors[0].ename if errors else ''}) but is not "
            "tagged raises-exception"
        )
