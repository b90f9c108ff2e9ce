"""Every page of the built book, opened in headless Chromium with the network fenced off.

Each test that takes `docname` runs once per page of the TOC (plus the index and search pages); all
of them read one record per page (`Visit`, see conftest.py), so each page is loaded only once.
"""

from __future__ import annotations

import functools
import re
import struct
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from book_browser import VIEWPORT, Browser, Visit, source_dir, toc_docnames

# A page that must be among the search results for a query. Keep one query per part of the book.
# Chapter 3 is not written yet: when it is in the TOC, add ("dual numbers", "chapters/03_<name>").
SEARCHES = [
    ("central difference", "chapters/01_three_ways"),
    ("dual numbers", "chapters/03_forward_mode"),
]

# TeX that MathJax should have replaced: $$, \( \), \[ \], \begin{...}, or an inline $...$ pair.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$[^\s$][^$\n]{0,200}?\$")


def record(visits: dict[str, Visit], docname: str) -> Visit:
    visit = visits[docname]
    assert visit.error is None, f"{visit.url} did not load: {visit.error}"
    return visit


def test_page_loads(visits: dict[str, Visit], docname: str) -> None:
    visit = visits[docname]
    assert visit.error is None, f"{visit.url} did not load: {visit.error}"
    assert visit.status == 200, f"{visit.url} answered HTTP {visit.status}"


def test_no_console_errors(visits: dict[str, Visit], docname: str) -> None:
    visit = record(visits, docname)
    assert not visit.console_errors, f"{visit.url} logged errors: {visit.console_errors}"


def test_no_failed_requests(visits: dict[str, Visit], docname: str) -> None:
    visit = record(visits, docname)
    assert not visit.failed_requests, f"{visit.url} has requests that failed: {visit.failed_requests}"


def test_reads_offline(visits: dict[str, Visit], docname: str) -> None:
    """Nothing is fetched from another host while the page loads (MathJax, fonts, scripts, images)."""
    visit = record(visits, docname)
    assert not visit.blocked_requests, (
        f"{visit.url} needs the network (these requests were blocked): {visit.blocked_requests}"
    )


def test_every_formula_is_typeset(visits: dict[str, Visit], docname: str) -> None:
    visit = record(visits, docname)
    if visit.maths == 0:
        pytest.skip("no formulas on this page")
    assert visit.has_mathjax, f"{visit.url} has {visit.maths} formulas but MathJax did not start"
    assert not visit.untypeset, f"{visit.url}: formulas MathJax did not typeset: {visit.untypeset}"
    assert not visit.math_errors, f"{visit.url}: MathJax reports TeX errors: {visit.math_errors}"
    assert not visit.font_errors, f"{visit.url}: fonts that failed to load: {visit.font_errors}"


def test_no_raw_tex_in_the_text(visits: dict[str, Visit], docname: str) -> None:
    """Maths the Markdown parser missed is never handed to MathJax and shows up as raw TeX."""
    visit = record(visits, docname)
    found = [visit.raw_text[max(m.start() - 30, 0) : m.end() + 30] for m in RAW_TEX.finditer(visit.raw_text)]
    assert not found, f"{visit.url} shows raw TeX (outside code): {found[:5]}"


def test_images_and_graphs_render(visits: dict[str, Visit], docname: str) -> None:
    visit = record(visits, docname)
    broken = [img["src"] for img in visit.images if not (img["width"] > 0 and img["height"] > 0)]
    assert not broken, f"{visit.url}: images that did not load (natural size 0): {broken}"
    empty = [svg for svg in visit.svgs if svg["children"] == 0 or (svg["visible"] and not (svg["width"] > 0 and svg["height"] > 0))]
    assert not empty, f"{visit.url}: inline SVG graphs that are empty or have no size: {empty}"


def test_every_image_has_alt_text(visits: dict[str, Visit], docname: str) -> None:
    """A screen reader reads an image's alt text; without one it reads the file name, or nothing.
    Notebook figures get theirs from the cell's `mystnb.image.alt` (tests/test_book.py checks the
    sources); this checks what the reader's browser actually has."""
    visit = record(visits, docname)
    missing = [img["src"] for img in visit.images if not (img["alt"] or "").strip()]
    assert not missing, f"{visit.url}: images without alt text: {missing}"


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if value and (key == "id" or (tag == "a" and key == "name")):
                self.names.add(value)


@functools.lru_cache(maxsize=None)
def anchors(path: Path) -> frozenset[str]:
    """Every id (and <a name>) in an HTML file: the fragments a link may point at."""
    parser = _Anchors()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(parser.names)


def broken_links(links: list[str], base_url: str, site: Path) -> list[str]:
    """The links into the site whose file does not exist or whose #fragment is not in that file."""
    broken = []
    for href in sorted(set(links)):
        if not href.startswith(base_url):
            continue  # another site, mailto:, javascript:
        parts = urlsplit(href)
        relative = unquote(parts.path).lstrip("/")
        target = site / relative
        if relative == "" or relative.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{href} (no file {relative})")
        elif parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in anchors(target):
            broken.append(f"{href} (no id {unquote(parts.fragment)!r} in {relative})")
    return broken


def test_internal_links_resolve(visits: dict[str, Visit], docname: str, base_url: str, site: Path) -> None:
    visit = record(visits, docname)
    assert visit.links, f"{visit.url} has no links at all, not even the navigation"
    broken = broken_links(visit.links, base_url, site)
    assert not broken, f"{visit.url} links to missing pages or anchors: {broken}"


def test_notebook_pages_offer_binder_colab_and_download(visits: dict[str, Visit], docname: str) -> None:
    """A page made from a notebook links to that notebook on Binder and Colab (from the repository
    in `_config.yml`) and offers the .ipynb for download from the site itself."""
    if not (source_dir() / f"{docname}.ipynb").is_file():
        pytest.skip("not a notebook page")
    visit = record(visits, docname)
    config = yaml.safe_load((source_dir() / "_config.yml").read_text(encoding="utf-8"))
    repo, branch = config["repository"]["url"].rstrip("/"), config["repository"].get("branch", "main")
    owner_name = urlsplit(repo).path.strip("/")
    wanted = {
        "Binder": f"https://mybinder.org/v2/gh/{owner_name}/{branch}?urlpath=lab/tree/{docname}.ipynb",
        "Colab": f"https://colab.research.google.com/github/{owner_name}/blob/{branch}/{docname}.ipynb",
        "download": f"{visit.url.split('/' + docname)[0]}/_sources/{docname}.ipynb",
    }
    missing = {what: url for what, url in wanted.items() if url not in visit.links}
    assert not missing, f"{visit.url} lacks these buttons (or they point elsewhere): {missing}"


def test_first_screen_screenshot(visits: dict[str, Visit], docname: str) -> None:
    """A PNG of the page's first screen is saved (CI uploads them as an artifact)."""
    visit = record(visits, docname)
    assert visit.screenshot is not None and visit.screenshot.is_file(), f"no screenshot of {visit.url}"
    header = visit.screenshot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{visit.screenshot} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    assert (width, height) == (VIEWPORT["width"], VIEWPORT["height"]), f"{visit.screenshot} is {width}x{height}"


@pytest.mark.parametrize(("query", "expected"), SEARCHES, ids=[q for q, _ in SEARCHES])
def test_search_finds(browser: Browser, base_url: str, query: str, expected: str) -> None:
    """Typed into the theme's search box on the home page, the query lists the expected page."""
    assert expected in toc_docnames(), f"{expected} is not in _toc.yml; update SEARCHES"
    page, visit = browser.open(f"{base_url}{toc_docnames()[0]}.html")
    try:
        assert visit.error is None, visit.error
        page.locator("button.search-button__button:visible").first.click()
        box = page.locator("#pst-search-dialog input[name=q]")
        box.fill(query)
        box.press("Enter")
        page.wait_for_url("**/search.html?q=*")
        page.wait_for_function(
            "() => /found/.test(document.querySelector('#search-results .search-summary')?.textContent || '')"
        )
        hrefs = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map((a) => a.href)")
    finally:
        page.close()
    found = [urlsplit(href).path.lstrip("/").removesuffix(".html") for href in hrefs]
    assert expected in found, f"searching {query!r} did not list {expected}; it listed {found}"
    assert not visit.console_errors, f"the search logged errors: {visit.console_errors}"
    assert not visit.blocked_requests, f"the search needed the network: {visit.blocked_requests}"
    assert not visit.failed_requests, f"requests failed during the search: {visit.failed_requests}"
