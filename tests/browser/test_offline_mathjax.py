"""The MathJax that the book serves is the pinned upstream release, and a changed download is refused.

The browser tests show that formulas render with no network; these show where the files come from:
byte for byte from the npm tarball whose sha512 the registry publishes (tools/fetch_mathjax.py).
"""

from __future__ import annotations

import importlib.util
import io
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

from book_browser import ROOT


def load_fetch_mathjax() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_mathjax", ROOT / "tools" / "fetch_mathjax.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fetch = load_fetch_mathjax()


@pytest.fixture(scope="module")
def release() -> bytes:
    """The pinned tarball, verified against the hard-coded integrity (cached by the book build)."""
    return fetch.tarball(fetch.default_cache_dir())


def wanted_members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        return {
            fetch.wanted(m.name): archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive
            if m.isfile() and fetch.wanted(m.name)
        }


def test_site_serves_the_pinned_release_byte_for_byte(site: Path, release: bytes) -> None:
    served_dir = site / "_static" / "mathjax"
    expected = wanted_members(release)
    served = {
        p.relative_to(served_dir).as_posix(): p.read_bytes()
        for p in served_dir.rglob("*")
        if p.is_file() and p.name != fetch.STAMP_NAME
    }
    assert fetch.BUNDLE in served, f"{served_dir} has no {fetch.BUNDLE}: was tools/fetch_mathjax.py run?"
    assert sorted(served) == sorted(expected), (
        f"missing: {sorted(set(expected) - set(served))[:5]}, extra: {sorted(set(served) - set(expected))[:5]}"
    )
    changed = [name for name in expected if served[name] != expected[name]]
    assert not changed, f"served files differ from MathJax {fetch.VERSION}: {changed[:5]}"
    fonts = [name for name in served if name.startswith("output/chtml/fonts/woff-v2/")]
    assert fonts, "the CHTML web fonts are not served"
    assert not any(name.endswith("latest.js") for name in served), "latest.js would load MathJax from a CDN"


def test_a_changed_download_is_refused_and_a_damaged_cache_replaced(
    tmp_path: Path, release: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    tampered = bytearray(release)
    tampered[len(tampered) // 2] ^= 0xFF
    cached = tmp_path / f"mathjax-{fetch.VERSION}.tgz"
    cached.write_bytes(bytes(tampered))

    monkeypatch.setattr(fetch, "download", lambda url: bytes(tampered))
    with pytest.raises(fetch.FetchError, match="integrity"):
        fetch.tarball(tmp_path)

    monkeypatch.setattr(fetch, "download", lambda url: release)
    assert fetch.tarball(tmp_path) == release
    assert cached.read_bytes() == release, "the damaged cached file was not replaced"


def test_extraction_happens_once_and_again_when_the_pin_changes(
    tmp_path: Path, release: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch, "tarball", lambda cache_dir: release)
    dest = tmp_path / "mathjax"
    bundle = fetch.ensure_mathjax(dest)
    assert bundle == dest / fetch.BUNDLE and bundle.is_file()
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == sorted(
        [*wanted_members(release), fetch.STAMP_NAME]
    )

    bundle.write_text("left alone while the stamp matches")
    fetch.ensure_mathjax(dest)
    assert bundle.read_text() == "left alone while the stamp matches"

    (dest / fetch.STAMP_NAME).write_text("MathJax 0.0.0\n")
    fetch.ensure_mathjax(dest)
    assert bundle.read_bytes() == wanted_members(release)[fetch.BUNDLE]
