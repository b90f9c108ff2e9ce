"""The machinery of the browser tests: which site and pages, the HTTP server, and the browser.

- The site is `_build/html` of the checkout, or the folder in `$BOOK_HTML` (an absolute path, or one
  relative to the checkout). Screenshots of every page's first screen go to `$BOOK_SCREENSHOTS`,
  by default `screenshots/` beside the site (`_build/screenshots/`).
- The pages are the documents of `_toc.yml` (read by the parser the build itself uses; another
  book's with `$BOOK_SOURCE`, or the file in `$BOOK_TOC` for a build made with `--toc FILE`) plus the pages Sphinx generates (index, search), so a chapter added
  to the TOC is tested with no edit here.
- The browser is `$CHROMIUM`, else the first of CHROMIUM_NAMES on PATH (the order in which
  `tools/ensure_system_packages.sh chromium` looks). Playwright drives it; Playwright's own browser
  download (`playwright install`) is never used.
- Every request to a host other than the test server on 127.0.0.1 is aborted and recorded, so a page
  that needs the network fails its test. Chromium's own background traffic is switched off, and its
  host resolver maps every name to nothing as a second fence.

Why Playwright rather than Selenium: it intercepts every request of a page (`page.route`) and reports
console messages, uncaught errors and failed requests as events, with no proxy, no chromedriver
binary to match to the browser's version and no CDP plumbing; it drives the system Chromium through
`executable_path`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
# A quiet, offline, root-safe headless Chromium. Without the background-networking flags Chromium
# contacts Google's hosts at start; `--no-sandbox` is needed when running as root (CI, containers).
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
# Pages Sphinx's HTML builder always writes besides the TOC's documents.
GENERATED_PAGES = ("genindex", "search")
VIEWPORT = {"width": 1280, "height": 900}
TIMEOUT_MS = 30_000


def site_dir() -> Path:
    """The built HTML book under test: `$BOOK_HTML`, else `_build/html` of this checkout."""
    configured = os.environ.get("BOOK_HTML")
    path = Path(configured) if configured else Path("_build/html")
    return path if path.is_absolute() else ROOT / path


def screenshot_dir() -> Path:
    configured = os.environ.get("BOOK_SCREENSHOTS")
    if configured:
        return Path(configured) if Path(configured).is_absolute() else ROOT / configured
    return site_dir().parent / "screenshots"


def source_dir() -> Path:
    """The book's source folder, with `_toc.yml`: `$BOOK_SOURCE`, else this checkout."""
    configured = os.environ.get("BOOK_SOURCE")
    return Path(configured).resolve() if configured else ROOT


def toc_docnames() -> list[str]:
    """Every document of the book's TOC, root first, as parsed by sphinx-external-toc (the build's
    parser). The TOC is `$BOOK_TOC` (for a book built with `jupyter-book build --toc FILE`), else
    the source folder's `_toc.yml`."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    source = source_dir()
    configured = os.environ.get("BOOK_TOC")
    site_map = parse_toc_yaml(Path(configured).resolve() if configured else source / "_toc.yml")
    names = list(site_map)
    for pattern in site_map.globs():
        for path in sorted(source.glob(pattern + ".*")):
            if path.suffix in (".md", ".ipynb", ".rst"):
                name = path.relative_to(source).with_suffix("").as_posix()
                if name not in names:
                    names.append(name)
    return names


def page_names() -> list[str]:
    """The pages every per-page test runs on: the TOC's documents, then index and search."""
    return [*toc_docnames(), *GENERATED_PAGES]


def chromium_executable() -> str | None:
    """`$CHROMIUM`, else the first browser of CHROMIUM_NAMES on PATH whose `--version` runs (Ubuntu's
    `chromium-browser` can be a stub that only asks for a snap)."""
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found and subprocess.run([found, "--version"], capture_output=True, timeout=60).returncode == 0:
            return found
    return None


# ----------------------------------------------------------------------------------------------------
# Serving the site


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves the site folder; no request log on stderr; fonts and JSON with their proper types."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".json": "application/json",
        ".woff": "font/woff",
        ".woff2": "font/woff2",
        ".svg": "image/svg+xml",
    }

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        pass


# ----------------------------------------------------------------------------------------------------
# One browser, one visit per page; the tests read the records


@dataclass
class Visit:
    """What one page did in the browser, collected once and read by every per-page test."""

    url: str
    status: int | None = None
    error: str | None = None  # navigation or collection failure
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    has_mathjax: bool = False
    maths: int = 0
    untypeset: list[str] = field(default_factory=list)
    math_errors: list[str] = field(default_factory=list)
    font_errors: list[str] = field(default_factory=list)
    raw_text: str = field(default="", repr=False)
    images: list[dict[str, Any]] = field(default_factory=list)
    svgs: list[dict[str, Any]] = field(default_factory=list)
    links: list[str] = field(default_factory=list, repr=False)
    screenshot: Path | None = None


# Runs in the page once it has loaded: waits for MathJax's first typeset, the fonts and every image,
# then reports what the tests check. `.math` is the class Sphinx gives every formula (inline and
# display) before MathJax replaces its text with an <mjx-container>.
COLLECT_JS = r"""
async () => {
  const mj = window.MathJax;
  const hasMathJax = !!(mj && mj.startup && mj.startup.promise);
  if (hasMathJax) { await mj.startup.promise; }
  const images = [...document.images];
  for (const img of images) { img.loading = "eager"; }
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  await document.fonts.ready;

  const maths = [...document.querySelectorAll(".math")];
  const untypeset = maths.filter((m) => !m.querySelector("mjx-container"))
                        .map((m) => m.textContent.trim().slice(0, 80));
  // TeX errors: an <merror>, or the red "\name" text MathJax's noundefined extension puts in
  // place of an undefined macro. Read from MathJax's internal MathML of every typeset formula.
  const mathErrors = [];
  if (hasMathJax) {
    for (const item of mj.startup.document.math) {
      let bad = false;
      item.root.walkTree((node) => {
        if (node.isKind("merror") || (node.isKind("mtext") && node.getText().startsWith("\\"))) { bad = true; }
      });
      if (bad) { mathErrors.push(item.math.slice(0, 80)); }
    }
  }
  const fontErrors = [...document.fonts].filter((f) => f.status === "error").map((f) => f.family);

  // The page's text without code, scripts and typeset maths: raw TeX left here was never typeset.
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight")
       .forEach((e) => e.remove());
  const rawText = clone.textContent;

  const svgs = [...document.querySelectorAll(".cell_output svg, .output svg, figure svg")]
    .filter((s) => !s.parentElement.closest("svg"))
    .map((s) => {
      const box = s.getBoundingClientRect();
      return {where: s.closest("[id]")?.id || "", children: s.childElementCount,
              width: box.width, height: box.height, visible: s.checkVisibility()};
    });
  return {
    hasMathJax, maths: maths.length, untypeset, mathErrors, fontErrors, rawText, svgs,
    images: images.map((img) => ({src: img.currentSrc || img.src, alt: img.alt,
                                  width: img.naturalWidth, height: img.naturalHeight})),
    links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
  };
}
"""


class Browser:
    """Headless Chromium in which every request to a host other than the test server is aborted."""

    def __init__(self, base_url: str, shots: Path) -> None:
        from playwright.sync_api import sync_playwright

        executable = chromium_executable()
        if executable is None:
            pytest.fail(
                "no Chromium found: run `sh tools/ensure_system_packages.sh chromium` "
                f"or set CHROMIUM=/path/to/chrome (looked for {', '.join(CHROMIUM_NAMES)})"
            )
        self.base_url = base_url
        self._elsewhere = re.compile("^(?!" + re.escape(base_url) + ")")
        self.shots = shots
        self.visits: dict[str, Visit] = {}
        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
            )
        except Exception:
            self._playwright.stop()
            raise
        self.context = self._browser.new_context(viewport=VIEWPORT, service_workers="block")
        self.context.set_default_timeout(TIMEOUT_MS)

    def open(self, url: str) -> tuple[Any, Visit]:
        """A new tab showing `url`, and the record its events go to (network fenced off)."""
        visit = Visit(url=url)
        page = self.context.new_page()

        def block(route: Any) -> None:
            request = route.request
            visit.blocked_requests.append(f"{request.resource_type} {request.url}")
            route.abort("blockedbyclient")

        def on_console(message: Any) -> None:
            if message.type == "error":
                visit.console_errors.append(message.text)

        def on_failed(request: Any) -> None:
            if request.url.startswith(self.base_url):  # the blocked external ones are in blocked_requests
                visit.failed_requests.append(f"{request.url} ({request.failure})")

        def on_response(response: Any) -> None:
            if response.status >= 400:
                visit.failed_requests.append(f"{response.url} (HTTP {response.status})")

        # Every request whose URL does not start with the test server's is aborted and recorded. The
        # pattern is matched inside Playwright's driver, so local requests never wait for Python.
        page.route(self._elsewhere, block)
        page.on("console", on_console)
        page.on("pageerror", lambda error: visit.console_errors.append(f"uncaught: {error}"))
        page.on("requestfailed", on_failed)
        page.on("response", on_response)
        try:
            response = page.goto(url, wait_until="load")
            visit.status = response.status if response else None
        except Exception as error:  # reported by the tests that read the record
            visit.error = f"{type(error).__name__}: {error}"
        return page, visit

    def visit(self, docname: str) -> Visit:
        """Open `docname`'s page (once per session), wait until it has settled, record everything."""
        if docname in self.visits:
            return self.visits[docname]
        page, visit = self.open(f"{self.base_url}{docname}.html")
        self.visits[docname] = visit
        try:
            if visit.error is None:
                data = page.evaluate(COLLECT_JS)
                visit.has_mathjax = data["hasMathJax"]
                visit.maths = data["maths"]
                visit.untypeset = data["untypeset"]
                visit.math_errors = data["mathErrors"]
                visit.font_errors = data["fontErrors"]
                visit.raw_text = data["rawText"]
                visit.images = data["images"]
                visit.svgs = data["svgs"]
                visit.links = data["links"]
                self.shots.mkdir(parents=True, exist_ok=True)
                visit.screenshot = self.shots / (docname.replace("/", "__") + ".png")
                page.screenshot(path=str(visit.screenshot))
        except Exception as error:  # reported by test_page_loads
            visit.error = f"{type(error).__name__}: {error}"
        finally:
            page.close()
        return visit

    def close(self) -> None:
        self.context.close()
        self._browser.close()
        self._playwright.stop()


