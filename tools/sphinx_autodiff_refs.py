"""Sphinx extension: cross-references to `autodiff` objects by any of their import paths.

The API reference documents each object once, under the module a reader imports it from
(`autodiff.tensor.Tensor`, not `autodiff.tensor.core.Tensor`). Docstrings and signatures, however,
name objects by whichever path is natural where they are written: the top-level re-export
(`:class:`autodiff.Value``), the defining module (`autodiff.tensor.core.Tensor`), or a submodule
that has no page of its own (`:mod:`autodiff.tensor.core``). Without help, nitpicky mode (`-n`)
reports each of those as a missing target.

On Sphinx's `missing-reference` event this extension imports the referenced `autodiff` object and,
if the very same object is documented under another name, links there; a reference to a real
submodule without a page of its own links to the page of its nearest documented parent package.
Anything else (a typo, an undocumented object, another library's type) is left alone, so nitpicky
mode still reports it.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

PACKAGE = "autodiff"
_MISSING = object()


def import_path(path: str) -> Any:
    """The object a dotted path names (`autodiff.tensor.Tensor`), or `_MISSING`."""
    parts = path.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for name in parts[split:]:
            obj = getattr(obj, name, _MISSING)
            if obj is _MISSING:
                return _MISSING
        return obj
    return _MISSING


def _linkable(obj: Any) -> bool:
    # Only objects with an identity of their own (modules, classes, functions, type aliases): a
    # number or a string could be equal to (and, when interned, be) an unrelated documented constant.
    return not isinstance(obj, (int, float, complex, str, bytes, tuple, type(None)))


def documented_names(env: BuildEnvironment) -> dict[int, str]:
    """id(object) -> the name it is documented under, for every documented `autodiff` object."""
    domain = env.get_domain("py")
    names: dict[int, str] = {}
    for name in sorted(domain.objects):  # type: ignore[attr-defined]
        if name.split(".")[0] != PACKAGE:
            continue
        obj = import_path(name)
        if obj is not _MISSING and _linkable(obj):
            names.setdefault(id(obj), name)
    return names


def _candidates(node: nodes.Element) -> list[str]:
    """The full paths a reference may mean: as written, relative to the current module and class,
    and, for a bare name, that name in every loaded `autodiff` module (a docstring written in
    `autodiff.grading.registry` and shown under `autodiff.grading` names registry's objects)."""
    target = node["reftarget"].lstrip("~.")
    found = [target]
    module, cls = node.get("py:module"), node.get("py:class")
    if module:
        if cls:
            found.append(f"{module}.{cls}.{target}")
        found.append(f"{module}.{target}")
    if "." not in target:
        found += sorted(f"{name}.{target}" for name in list(sys.modules) if name.split(".")[0] == PACKAGE)
    return [name for name in found if name.split(".")[0] == PACKAGE]


def resolve(app: Sphinx, env: BuildEnvironment, node: nodes.Element, contnode: nodes.Element) -> nodes.Element | None:
    if node.get("refdomain") != "py":
        return None
    domain = env.get_domain("py")
    documented = getattr(env, "_autodiff_documented", None)
    if documented is None:
        documented = env._autodiff_documented = documented_names(env)  # type: ignore[attr-defined]
    targets = []  # the documented names the candidates lead to, without repeats
    for path in _candidates(node):
        obj = import_path(path)
        if obj is _MISSING or not _linkable(obj):
            continue
        name = documented.get(id(obj))
        if name is None and isinstance(obj, ModuleType):
            parent = path
            while name is None and "." in parent:
                parent = parent.rsplit(".", 1)[0]
                name = documented.get(id(import_path(parent)))
        if name is not None and name not in targets:
            targets.append(name)
    if len(targets) > 1 and "." not in node["reftarget"].lstrip("~."):
        return None  # a bare name that means different objects in different modules: ambiguous
    for name in targets[:1]:
        for role in (node["reftype"], "obj"):  # `:func:` naming a class (no_grad) resolves as "obj"
            found = domain.resolve_xref(env, node["refdoc"], app.builder, role, name, node, contnode)
            if found is not None:
                return found
    return None


def _forget(app: Sphinx, env: BuildEnvironment, *args: Any) -> None:
    env.__dict__.pop("_autodiff_documented", None)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("missing-reference", resolve)
    app.connect("env-updated", _forget)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
