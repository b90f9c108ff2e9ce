"""tools/colab_setup.py: the hidden first cell that installs the package on Colab, and only there."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def load_colab_setup() -> ModuleType:
    spec = importlib.util.spec_from_file_location("colab_setup", ROOT / "tools" / "colab_setup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


colab = load_colab_setup()


def chapter_like(minor: int = 5) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A chapter"),
        nbformat.v4.new_code_cell("import autodiff as ad\nprint(ad.__version__)"),
    ])
    nb.nbformat_minor = minor
    if minor < 5:
        for cell in nb.cells:
            cell.pop("id", None)
    return nb


def test_the_cell_installs_from_the_repository_and_branch_of_config() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    url, branch = config["repository"]["url"], config["repository"].get("branch", "main")
    source = colab.expected_cell().source
    assert f"git+{url}@{branch}" in source
    assert "autodiff-from-scratch[viz] @ git+" in source  # pyproject.toml's distribution name
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'name = "{colab.DISTRIBUTION}"' in pyproject
    assert colab.expected_cell().metadata["tags"] == ["remove-cell", "colab-setup"]


def test_apply_inserts_once_and_is_idempotent() -> None:
    nb = chapter_like()
    assert colab.apply(nb) is True
    assert colab.has_current_cell(nb) and nb.cells[0].id == "colab-setup"
    assert [c.cell_type for c in nb.cells] == ["code", "markdown", "code"]
    nbformat.validate(nb)
    before = nbformat.writes(nb)
    assert colab.apply(nb) is False
    assert nbformat.writes(nb) == before


def test_apply_updates_an_old_cell_in_place_and_removes_copies() -> None:
    nb = chapter_like()
    old = nbformat.v4.new_code_cell("# an older set-up cell", metadata={"tags": ["colab-setup"]})
    old.execution_count = 1
    stray = nbformat.v4.new_code_cell("# pasted again further down", metadata={"tags": ["colab-setup"]})
    nb.cells = [old, *nb.cells, stray]
    assert not colab.has_current_cell(nb)
    assert colab.apply(nb) is True
    assert colab.has_current_cell(nb)
    assert len(nb.cells) == 3 and nb.cells[0] is old and old.execution_count == 1
    assert sum(colab.is_setup_cell(c) for c in nb.cells) == 1
    nbformat.validate(nb)


def test_apply_moves_a_misplaced_cell_to_the_top() -> None:
    nb = chapter_like()
    colab.apply(nb)
    nb.cells = [*nb.cells[1:], nb.cells[0]]
    assert not colab.has_current_cell(nb)
    colab.apply(nb)
    assert colab.has_current_cell(nb) and len(nb.cells) == 3


def test_old_notebook_formats_get_no_cell_id() -> None:
    nb = chapter_like(minor=4)
    colab.apply(nb)
    assert "id" not in nb.cells[0]
    nbformat.validate(nb)


def test_command_line_writes_then_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "01_chapter.ipynb"
    nbformat.write(chapter_like(), path)
    # The script itself, once (its exit status); then main() in this process, which is faster.
    check = subprocess.run([sys.executable, str(ROOT / "tools" / "colab_setup.py"), "--check", str(path)],
                           capture_output=True, text=True)
    assert check.returncode == 1 and "colab_setup.py" in check.stdout
    assert colab.main([str(path)]) == 0 and "re-execute" in capsys.readouterr().out
    assert colab.has_current_cell(nbformat.read(path, as_version=4))
    mtime = path.stat().st_mtime_ns
    assert colab.main(["--check", str(path)]) == 0
    assert colab.main([str(path)]) == 0 and "already start" in capsys.readouterr().out
    assert path.stat().st_mtime_ns == mtime, "an up-to-date notebook was rewritten"


# The cell itself, run in a fresh interpreter: outside Colab, inside a fake Colab with and without
# the package. `subprocess.run` is replaced by a recorder, so nothing is ever installed.
HARNESS = """
import importlib.util, json, subprocess, sys, types
calls = []
subprocess.run = lambda args, **kw: calls.append(args)
mode = sys.argv[1]
if mode != "elsewhere":
    sys.modules["google"] = types.ModuleType("google")
    sys.modules["google.colab"] = types.ModuleType("google.colab")
if mode == "colab-without-autodiff":
    real = importlib.util.find_spec
    importlib.util.find_spec = lambda name, *a: None if name == "autodiff" else real(name, *a)
exec(compile(open(sys.argv[2]).read(), "cell", "exec"), {})
print(json.dumps(calls))
"""


@pytest.mark.parametrize(
    ("mode", "installs"), [("elsewhere", False), ("colab-with-autodiff", False), ("colab-without-autodiff", True)]
)
def test_the_cell_installs_only_on_colab_without_the_package(tmp_path: Path, mode: str, installs: bool) -> None:
    cell = tmp_path / "cell.py"
    cell.write_text(colab.expected_cell().source, encoding="utf-8")
    harness = tmp_path / "harness.py"
    harness.write_text(HARNESS, encoding="utf-8")
    done = subprocess.run([sys.executable, str(harness), mode, str(cell)], capture_output=True, text=True, check=True)
    *printed, last = done.stdout.splitlines()
    assert printed == [] and done.stderr == "", "the cell must print nothing"
    calls = json.loads(last)
    if not installs:
        assert calls == []
    else:
        url, branch = colab.repository()
        assert calls == [[sys.executable, "-m", "pip", "install", "-q", f"autodiff-from-scratch[viz] @ git+{url}@{branch}"]]
