"""The API reference (api/*.md): every public module has a page, every public name is on it.

The fast tests read the pages' `automodule` directives. The others build the API pages (with the
book's own `_config.yml`, nitpicky, notebooks not executed) into a temporary folder once per
session, then read Sphinx's inventory (`objects.inv`, what other projects' intersphinx would
link to) and the HTML: a public function added to a module's `__all__` without a docstring is
not in the inventory, and fails here.
"""

from __future__ import annotations

import fcntl
import importlib
import inspect
import json
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

import autodiff

ROOT = Path(__file__).resolve().parent.parent
API = ROOT / "api"

# Modules with an `__all__` and no page of their own, and why. Every other module of the package
# must be documented on a page of api/.
INTERNAL = {
    "autodiff.tensor.core": "its names are documented where readers import them, autodiff.tensor",
    "autodiff.tensor.vjp": "the tensor engine's table of derivative rules, read by Tensor.backward",
    "autodiff.tensor.gradcheck": "the tensor plug-in of autodiff.check.gradcheck, which readers call",
    "autodiff.grading.*": "the grader's machinery; what notebooks and check files use is autodiff.grading's",
}
# The internal modules whose names are all re-exported by a documented module.
REEXPORTED_BY = {"autodiff.tensor.core": "autodiff.tensor"}

AUTOMODULE = re.compile(r"^\.\. automodule:: (\S+)", re.MULTILINE)
AUTO_OBJECT = re.compile(r"^\.\. auto(?:class|exception|function|data):: (\S+)", re.MULTILINE)


def api_pages() -> dict[str, str]:
    """module name -> the api/ page (docname) whose `automodule` documents it."""
    found: dict[str, str] = {}
    for path in sorted(API.glob("*.md")):
        for name in AUTOMODULE.findall(path.read_text(encoding="utf-8")):
            assert name not in found, f"{name} is documented twice: {found[name]} and {path.name}"
            found[name] = f"api/{path.stem}"
    return found


def package_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(autodiff.__path__, "autodiff.") if not m.name.endswith("__main__"))


def internal_reason(name: str) -> str | None:
    for pattern, reason in INTERNAL.items():
        if name == pattern or (pattern.endswith(".*") and name.startswith(pattern[:-1])):
            return reason
    return None


def public_names(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module.__name__} has no __all__: say what is public"
    return list(names)


# ----------------------------------------------------------------------------------------------------
# The pages


def test_every_public_module_has_a_page() -> None:
    pages = api_pages()
    missing = [name for name in package_modules() if name not in pages and internal_reason(name) is None]
    assert not missing, f"modules without an API page (add api/<name>.md, or a reason to INTERNAL): {missing}"
    for name in ["autodiff", *package_modules()]:
        if name in pages:
            assert internal_reason(name) is None, f"{name} is documented but listed in INTERNAL"
    stale = [p for p in INTERNAL if not p.endswith(".*") and p not in package_modules()]
    assert not stale, f"INTERNAL lists modules that do not exist: {stale}"


def test_reexported_internal_modules_are_fully_reexported() -> None:
    for internal, public in REEXPORTED_BY.items():
        inner, outer = importlib.import_module(internal), importlib.import_module(public)
        missing = [n for n in public_names(inner) if getattr(outer, n, None) is not getattr(inner, n)]
        assert not missing, f"{internal} exports {missing}, which {public} (where they are documented) does not"


def toc_docnames() -> list[str]:
    """Every `file:` of _toc.yml, the root included."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found, todo = [toc["root"]], [toc]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            found += [node["file"]] if "file" in node else []
            todo += list(node.values())
        elif isinstance(node, list):
            todo += node
    return found


def test_every_api_page_is_in_the_toc_after_the_appendices() -> None:
    pages = sorted(f"api/{p.stem}" for p in API.glob("*.md"))
    listed = toc_docnames()
    assert not [p for p in pages if p not in listed], f"API pages missing from _toc.yml: {set(pages) - set(listed)}"
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    captions = [part["caption"] for part in toc["parts"]]
    assert captions[-1] == "API reference" and captions[-2] == "Appendices", captions


# ----------------------------------------------------------------------------------------------------
# The built pages


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The API pages, the appendices (outputs as stored) and the grading page, built with the
    book's configuration plus nitpicky mode; returns the HTML folder and the warnings.

    Built once per test session: under pytest-xdist the workers share one build (the first to
    take the lock builds it, the others wait and read it)."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # the session's folder, common to every worker
    tmp = shared / "apibuild"
    with (shared / "apibuild.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (tmp / "result.json").is_file():
                tmp.mkdir(exist_ok=True)
                (tmp / "result.json").write_text(json.dumps(_build(tmp)), encoding="utf-8")
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    result = json.loads((tmp / "result.json").read_text(encoding="utf-8"))
    html = Path(result["html"])
    assert (html / "objects.inv").is_file(), f"the API build failed:\n{result['log']}"
    return {"html": html, "warnings": result["warnings"]}


def _build(tmp: Path) -> dict[str, Any]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "off"
    # Paths in the configuration are relative to its folder: point them back at the checkout.
    extensions = config["sphinx"]["local_extensions"]
    config["sphinx"]["local_extensions"] = {name: str(ROOT / path) for name, path in extensions.items()}
    config["bibtex_bibfiles"] = [str(ROOT / path) for path in config["bibtex_bibfiles"]]
    (tmp / "_config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    main_toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    parts = [part for part in main_toc["parts"] if part["caption"] in ("Appendices", "API reference")]
    (tmp / "_toc.yml").write_text(
        yaml.safe_dump({"format": "jb-book", "root": "api/index", "parts": _without(parts, "api/index")}), encoding="utf-8"
    )
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    done = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "-n", "--keep-going", "--config", str(tmp / "_config.yml"),
         "--toc", str(tmp / "_toc.yml"), "--path-output", str(tmp)],
        capture_output=True, text=True, timeout=600,
    )
    log = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout + done.stderr)
    warnings = [line for line in log.splitlines() if "WARNING" in line or "ERROR" in line]
    return {"html": str(tmp / "_build" / "html"), "warnings": warnings, "log": log[-6000:]}


def _without(parts: list[dict[str, Any]], root: str) -> list[dict[str, Any]]:
    """The parts with `root` (now the root document) lifted out; its sections become chapters."""
    out = []
    for part in parts:
        chapters = []
        for chapter in part["chapters"]:
            if chapter["file"] == root:
                chapters += chapter.get("sections", [])
            else:
                chapters.append(chapter)
        out.append({**part, "chapters": chapters})
    return out


@pytest.fixture(scope="session")
def inventory(built: dict[str, Any]) -> dict[str, str]:
    """Every documented Python object: full name -> the page (docname) it is on."""
    from sphinx.util.inventory import InventoryFile

    with (built["html"] / "objects.inv").open("rb") as stream:
        data = InventoryFile.load(stream, "", lambda base, uri: uri)
    return {
        name: entry[2].split("#")[0].removesuffix(".html")
        for kind, entries in data.items() if kind.startswith("py:")
        for name, entry in entries.items()
    }


def test_the_api_pages_build_without_warnings(built: dict[str, Any]) -> None:
    ours = [w for w in built["warnings"] if "/api/" in w or "autodiff/" in w or "docstring of" in w]
    assert not ours, "warnings from the API pages or the docstrings:\n" + "\n".join(ours)


@pytest.mark.parametrize("module", sorted(api_pages()))
def test_every_public_name_is_on_its_page(module: str, inventory: dict[str, str]) -> None:
    page = api_pages()[module]
    assert inventory.get(module) == page, f"{module} is not documented on {page}"
    if module == "autodiff":
        return  # its names are re-exports, checked by the next test
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        from sphinx_autodiff_refs import import_path

        mod = importlib.import_module(module)
        on_page = [name for name, where in inventory.items() if where == page]
        missing = [
            n for n in public_names(mod)
            if inventory.get(f"{module}.{n}") != page
            # a re-exported constant documented on the same page under the module that defines it
            and not any(import_path(name) is getattr(mod, n) for name in on_page if name.endswith(f".{n}"))
        ]
    finally:
        sys.path.remove(str(ROOT / "tools"))
    assert not missing, (
        f"{module}.__all__ names that {page} does not document (no docstring? a `#:` comment for data): {missing}"
    )


def _documented_as(obj: Any, inventory: dict[str, str]) -> list[str]:
    from sphinx_autodiff_refs import import_path  # tools/, where the build loads it from

    return [name for name in inventory if import_path(name) is obj]


def test_every_top_level_name_links_to_its_documentation(inventory: dict[str, str], built: dict[str, Any]) -> None:
    """`ad.grad` is documented once, as autodiff.functional.grad; the overview links it there."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        index = (built["html"] / "api" / "index.html").read_text(encoding="utf-8")
        problems = []
        for name in public_names(autodiff):
            obj = getattr(autodiff, name)
            if isinstance(obj, str):  # __version__: documented on the overview itself
                if f'id="autodiff.{name}"' not in index:
                    problems.append(f"{name}: not documented on api/index")
                continue
            homes = [obj.__name__] if inspect.ismodule(obj) else _documented_as(obj, inventory)
            anchors = [f"#module-{h}\"" if inspect.ismodule(obj) else f"#{h}\"" for h in homes if h in inventory]
            if not anchors:
                problems.append(f"{name}: not documented anywhere")
            elif not any(anchor in index for anchor in anchors):
                problems.append(f"{name}: api/index does not link to {homes}")
        assert not problems, problems
    finally:
        sys.path.remove(str(ROOT / "tools"))


def test_no_rest_errors_in_the_pages(built: dict[str, Any]) -> None:
    """A docstring's reST error (an undefined |substitution|, a broken table) can end up in the
    page as a red `problematic` span without failing the build."""
    bad = {}
    for path in sorted((built["html"] / "api").glob("*.html")):
        text = path.read_text(encoding="utf-8")
        found = re.findall(r'class="(?:problematic|system-message)"[^>]*>([^<]{0,80})', text)
        if found:
            bad[path.name] = found
    assert not bad, f"reST errors rendered into the API pages: {bad}"


def test_doctest_examples_are_shown_on_the_pages(built: dict[str, Any]) -> None:
    """The `>>>` examples readers see are the docstrings' (which `--doctest-modules` runs)."""
    page = (built["html"] / "api" / "numerical.html").read_text(encoding="utf-8")
    example = inspect.getdoc(importlib.import_module("autodiff.numerical").central_difference)
    first = next(line for line in example.splitlines() if line.startswith(">>>"))
    assert "central_difference" in first
    text = re.sub(r"<[^>]+>", "", page)
    assert re.sub(r"\s+", " ", first[4:]) in re.sub(r"\s+", " ", text.replace("&gt;", ">")), first
