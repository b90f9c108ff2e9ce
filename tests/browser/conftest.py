"""Browser tests of the built HTML book: every page opened in headless Chromium, with no network.

Build the book, then run them (`make test` does both, as its steps `book` and `browser`):

    .venv/bin/python -m pytest -p no:cacheprovider tests/browser
    BOOK_HTML=/tmp/elsewhere/_build/html .venv/bin/python -m pytest -p no:cacheprovider tests/browser

See book_browser.py for what is served, which pages are visited and how the network is fenced off.
`pytest tests` (the `package` step) does not collect this folder: see `pytest_ignore_collect`.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from book_browser import Browser, QuietHandler, Visit, page_names, screenshot_dir, site_dir

HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Collect the browser tests only when a path inside tests/browser is named on the command line.

    They need the built book and Chromium, so `pytest tests` (the `package` step, with xdist) leaves
    them to the `browser` step, which runs `pytest tests/browser` after the book build.
    """
    if collection_path == Path(__file__):
        return None
    for arg in config.args:
        named = (config.invocation_params.dir / arg.split("::")[0]).resolve()
        if named == HERE or HERE in named.parents:
            return None
    return True


@pytest.fixture(scope="session")
def site() -> Path:
    path = site_dir()
    if not (path / "index.html").is_file():
        pytest.fail(
            f"no built book at {path} (index.html missing): build it first with `make book`, "
            "or point BOOK_HTML at a built _build/html"
        )
    return path


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    """The site served on 127.0.0.1 at a free port, for the whole session."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser(base_url: str) -> Iterator[Browser]:
    shots = screenshot_dir()
    shutil.rmtree(shots, ignore_errors=True)
    instance = Browser(base_url, shots)
    try:
        yield instance
    finally:
        instance.close()


@pytest.fixture(scope="session")
def visits(browser: Browser) -> dict[str, Visit]:
    """Every page visited once, in TOC order, before the first per-page test reads its record."""
    for docname in page_names():
        browser.visit(docname)
    return browser.visits


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that takes `docname` once per page."""
    if "docname" in metafunc.fixturenames:
        metafunc.parametrize("docname", page_names())
