"""Sphinx extension of the book: write each <script> of a page once.

Sphinx 7.4 (Jupyter Book 1 pins sphinx~=7.0) lists an inline script twice when an extension adds it
with `app.add_js_file(None, body=...)` after the builder has started: once as filename `None` when it
is added, and again as filename `''` when `prepare_writing` re-adds the registry's scripts, and the
two do not compare equal. sphinx-thebe adds `const THEBE_JS_URL = ...` that way, so the second copy
made every page throw "SyntaxError: Identifier 'THEBE_JS_URL' has already been declared" in the
reader's console (found by tests/browser). `_config.yml` loads this module as a local extension.
"""

from __future__ import annotations

from typing import Any


def script_key(script: Any) -> tuple[str, int, tuple[tuple[str, str], ...]]:
    """What makes two scripts the same: file name (None and '' alike), priority and attributes.

    >>> from sphinx.builders.html._assets import _JavaScript
    >>> script_key(_JavaScript(None, body="const a = 1")) == script_key(_JavaScript("", body="const a = 1"))
    True
    >>> script_key(_JavaScript("", body="const a = 1")) == script_key(_JavaScript("", body="const b = 1"))
    False
    """
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return (str(filename), int(getattr(script, "priority", 500)), tuple(sorted((str(k), str(v)) for k, v in attributes.items())))


def unique_scripts(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    """`html-page-context` handler: keep the first of each group of identical scripts, in order."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, int, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for script in scripts:
        key = script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Any) -> dict[str, Any]:
    # After the themes' own handlers (sphinx-book-theme rewrites script file names at priority 500).
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
