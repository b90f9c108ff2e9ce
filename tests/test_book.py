"""The book's structure: the table of contents and the notebooks on disk agree."""

from __future__ import annotations

import ast
import importlib.util
import re
import sys
from importlib import metadata
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Folders of notebooks that are pages of the book (and get launch buttons).
BOOK_NOTEBOOK_DIRS = ("chapters", "appendices")


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
    unlisted = sorted(str(p.relative_to(ROOT)) for d in BOOK_NOTEBOOK_DIRS for p in (ROOT / d).glob("*.ipynb")
                      if p not in listed)
    assert not unlisted, f"notebooks that _toc.yml does not list: {unlisted}"


def test_toc_lists_each_file_once() -> None:
    entries = toc_files()
    duplicates = sorted({e for e in entries if entries.count(e) > 1})
    assert not duplicates, f"_toc.yml lists these more than once: {duplicates}"


def stored_notebooks() -> list[Path]:
    return sorted(p for d in (*BOOK_NOTEBOOK_DIRS, "solutions") for p in (ROOT / d).glob("*.ipynb"))


def book_notebooks() -> list[Path]:
    return sorted(p for d in BOOK_NOTEBOOK_DIRS for p in (ROOT / d).glob("*.ipynb"))


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


# ----------------------------------------------------------------------------------------------------
# Launch buttons: Colab and Binder


def load_tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", book_notebooks(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_book_notebook_starts_with_the_colab_setup_cell(path: Path) -> None:
    """Colab has no `autodiff`: the first cell installs it there (and does nothing elsewhere)."""
    colab = load_tool("colab_setup")
    nb = nbformat.read(path, as_version=4)
    assert colab.has_current_cell(nb), (
        f"{path.relative_to(ROOT)} does not start with the current Colab set-up cell: run "
        f"`python tools/colab_setup.py {path.relative_to(ROOT)}`, then re-execute it with "
        f"`make notebooks NB={path.relative_to(ROOT)}`"
    )


def test_launch_buttons_are_configured() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    buttons = config["launch_buttons"]
    assert buttons["binderhub_url"] == "https://mybinder.org"
    assert buttons["colab_url"] == "https://colab.research.google.com"
    url = config["repository"]["url"]
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", url), f"repository.url is not a GitHub repository: {url}"
    assert load_tool("colab_setup").repository() == (url, config["repository"].get("branch", "main"))


def requirement_names(path: Path) -> list[str]:
    """The distribution names a requirements file lists (options and comments left out)."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.append(re.split(r"[\s\[<>=!~;@]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def test_binder_installs_the_pinned_environment_without_torch_and_the_package() -> None:
    binder = ROOT / "binder"
    text = (binder / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^-c \.\./constraints\.txt$", text, re.MULTILINE), "binder/requirements.txt must use the pins"
    names = requirement_names(binder / "requirements.txt")
    pinned = set(requirement_names(ROOT / "requirements.txt"))
    assert not [n for n in names if n not in pinned], f"Binder needs packages requirements.txt does not pin: {names}"
    assert "torch" not in names, "PyTorch from PyPI is the CUDA build: keep it out of the Binder image"
    post_build = binder / "postBuild"
    assert post_build.stat().st_mode & 0o111, "binder/postBuild must be executable"
    assert re.search(r"pip install .*--no-deps -e \.$", post_build.read_text(encoding="utf-8"), re.MULTILINE)
    assert "graphviz" in (binder / "apt.txt").read_text(encoding="utf-8").split(), "the graphs need Graphviz's dot"
    runtime = (binder / "runtime.txt").read_text(encoding="utf-8").strip()
    assert runtime == f"python-{sys.version_info.major}.{sys.version_info.minor}", (
        f"binder/runtime.txt says {runtime}; the pins in constraints.txt are made with Python "
        f"{sys.version_info.major}.{sys.version_info.minor}"
    )


def _required_imports(source: str) -> set[str]:
    """Top-level modules a cell imports, except those inside `try: ... except ImportError`."""
    optional: set[int] = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Try) and any(
            isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError") for h in node.handlers
        ):
            optional |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in optional:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_binder_environment_covers_what_the_book_notebooks_import() -> None:
    """A chapter that starts importing, say, scipy fails on Binder unless binder/ installs it."""
    binder = set(requirement_names(ROOT / "binder" / "requirements.txt"))
    distributions = metadata.packages_distributions()
    jupyter = {"IPython", "ipykernel", "matplotlib_inline"}  # repo2docker's Jupyter environment
    missing = {}
    for path in book_notebooks():
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
            for module in _required_imports(source):
                if module in sys.stdlib_module_names or module == "autodiff" or module in jupyter:
                    continue
                names = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
                if not names & binder:
                    missing.setdefault(module, set()).add(path.name)
    assert not missing, f"imported by book notebooks but not installed by binder/requirements.txt: {missing}"


# ----------------------------------------------------------------------------------------------------
# Accessibility: every figure says in words what it shows


IMAGE_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)]*)\)")
IMAGE_DIRECTIVE = re.compile(r"^(`{3,}|:{3,})\{(figure|image)\}[^\n]*\n(.*?)^\1\s*$", re.MULTILINE | re.DOTALL)


def figure_problems(nb: nbformat.NotebookNode) -> list[str]:
    """The figures of a notebook that have neither alt text nor a caption, as "cell N: why".

    A code cell's figures are its image outputs; MyST-NB renders them with the cell's
    `mystnb.image.alt` as the `<img>`'s alt text and `mystnb.figure.caption` under them. In
    Markdown, `![alt](src)` needs its alt text and a `{figure}`/`{image}` directive an `:alt:`
    option or (a figure) a caption."""
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            images = [o for o in cell.get("outputs", []) if any(t in o.get("data", {}) for t in IMAGE_TYPES)]
            if not images:
                continue
            options = cell.metadata.get("mystnb", {})
            alt = str(options.get("image", {}).get("alt", "")).strip()
            caption = str(options.get("figure", {}).get("caption", "")).strip()
            if not (alt or caption):
                problems.append(f"cell {index}: {len(images)} image output(s) without mystnb.image.alt or mystnb.figure.caption")
        elif cell.cell_type == "markdown":
            for alt, src in MARKDOWN_IMAGE.findall(cell.source):
                if not alt.strip():
                    problems.append(f"cell {index}: ![]({src}) has no alt text")
            for _, kind, body in IMAGE_DIRECTIVE.findall(cell.source):
                options, _, content = body.partition("\n\n")
                if not re.search(r"^:alt:\s*\S", options, re.MULTILINE) and not (kind == "figure" and content.strip()):
                    problems.append(f"cell {index}: a {{{kind}}} without :alt:" + (" or caption" if kind == "figure" else ""))
    return problems


@pytest.mark.parametrize("path", book_notebooks(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_figure_has_alt_text_or_a_caption(path: Path) -> None:
    problems = figure_problems(nbformat.read(path, as_version=4))
    assert not problems, f"{path.relative_to(ROOT)}: figures a screen reader cannot describe: {problems}"


def test_the_figure_check_finds_figures_without_words() -> None:
    png = {"output_type": "display_data", "metadata": {}, "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}
    bare = nbformat.v4.new_code_cell("plt.show()", outputs=[nbformat.from_dict(png)])
    alt = nbformat.v4.new_code_cell("plt.show()", outputs=[nbformat.from_dict(png)],
                                    metadata={"mystnb": {"image": {"alt": "A line falling to the right."}}})
    captioned = nbformat.v4.new_code_cell("plt.show()", outputs=[nbformat.from_dict(png)],
                                          metadata={"mystnb": {"figure": {"caption": "The loss per step."}}})
    empty = nbformat.v4.new_code_cell("plt.show()", outputs=[nbformat.from_dict(png)],
                                      metadata={"mystnb": {"image": {"alt": " "}}})
    markdown = nbformat.v4.new_markdown_cell("![](plot.png) and ![a plot](plot.png)\n\n```{image} plot.png\n```\n\n"
                                             "```{figure} plot.png\n:alt: A plot.\n```\n\n"
                                             "```{figure} plot.png\n:name: fig-x\n\nA caption.\n```\n")
    nb = nbformat.v4.new_notebook(cells=[bare, alt, captioned, empty, markdown])
    assert [p.split(":")[0] for p in figure_problems(nb)] == ["cell 0", "cell 3", "cell 4", "cell 4"]
