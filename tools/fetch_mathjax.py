"""Put a pinned, verified copy of MathJax 3 where the book build serves it, so the HTML book renders
every formula without a network.

    python tools/fetch_mathjax.py            download (once), verify, extract; fast when in place
    python tools/fetch_mathjax.py --force    extract again even when the copy looks current

Why this route. Sphinx loads MathJax from a CDN by default, so the book showed raw TeX offline. The
copy comes from the npm registry's tarball of the `mathjax` package, the upstream distribution:
  - pinned to one version and checked against the sha512 `dist.integrity` that the registry
    publishes for it (hard-coded below), so a changed or tampered download stops the build;
  - Python's standard library only (no `npm` binary); `tools/run_suite.py` runs this before every
    book build, so `make book` and `make test` always serve it;
  - the tarball is cached in the user's cache directory (like pip's), so rebuilds, `make clean` and
    other checkouts need no download.
The PyPI wrappers of MathJax were weighed and not used: `sphinx-mathjax-offline` (0.0.2, 2022) and
`django-static-mathjax` are third-party repackagings that cannot be checked against upstream's
published hash, and the first ships only part of MathJax (its lazily loaded pieces can be missing).

Where it goes. The files are extracted into `_vendor/_static/mathjax/` (git-ignored), which
`_config.yml` lists in `html_extra_path`, so the build copies them to `_build/html/_static/mathjax/`,
and `mathjax_path: mathjax/tex-mml-chtml.js` points Sphinx at them. Not a root `_static/` folder:
Jupyter Book 1 adds every .js and .css file under the static paths to every page as a <script> or
stylesheet, which would load all of MathJax's components on every page.

What is extracted: MathJax's `es5/` tree without the combined bundles the book does not use.
`tex-mml-chtml.js` (the bundle Sphinx uses by default, so formulas render exactly as they would from
the CDN) loads more files only when needed: TeX extensions (`\\boldsymbol`, `\\cancel`, ...), the
CHTML web fonts, the menu's renderer and accessibility tools and the speech rule engine. All of them
are kept so that every formula and every menu choice works offline too; `latest.js`, which fetches
the newest MathJax from a CDN, is left out.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
import time
import urllib.error
import urllib.request
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parent.parent
VERSION = "3.2.2"
TARBALL_URL = f"https://registry.npmjs.org/mathjax/-/mathjax-{VERSION}.tgz"
# `npm view mathjax@3.2.2 dist.integrity` (the registry's JSON at registry.npmjs.org/mathjax/3.2.2).
INTEGRITY = "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
# The bundle `_config.yml` names in `mathjax_path` (relative to `_static/`).
BUNDLE = "tex-mml-chtml.js"
DEST = ROOT / "_vendor" / "_static" / "mathjax"
# Written last; its text says which tarball the folder came from, so a current folder is left alone.
STAMP_NAME = "SOURCE.txt"


class FetchError(RuntimeError):
    """The pinned MathJax could not be downloaded, verified or extracted."""


def default_cache_dir() -> Path:
    """Where the downloaded tarball is kept: `$XDG_CACHE_HOME` (or `~/.cache`)/autodiff-from-scratch.

    >>> default_cache_dir().name
    'autodiff-from-scratch'
    """
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "autodiff-from-scratch"


def integrity_of(data: bytes) -> str:
    """The Subresource-Integrity string (`sha512-<base64>`) that npm publishes for a tarball.

    >>> integrity_of(b"")[:20]
    'sha512-z4PhNX7vuL3xV'
    """
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")


def verify(data: bytes, expected: str = INTEGRITY) -> None:
    """Raise `FetchError` unless `data` has the `expected` sha512 integrity.

    >>> verify(b"", integrity_of(b""))
    >>> try:
    ...     verify(b"tampered", integrity_of(b""))
    ... except FetchError as error:
    ...     print(str(error)[:40])
    the MathJax tarball has integrity sha512
    """
    actual = integrity_of(data)
    if actual != expected:
        raise FetchError(f"the MathJax tarball has integrity {actual[:25]}..., expected {expected[:25]}...")


def download(url: str, attempts: int = 3, timeout: float = 60.0) -> bytes:
    """GET `url` over HTTPS, retrying transient failures (`attempts` tries, 2 s then 4 s apart)."""
    last: Exception | None = None
    for attempt in range(attempts):
        if attempt:
            time.sleep(2.0 * attempt)
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.read()
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            last = error
    raise FetchError(f"could not download {url} ({attempts} attempts): {last}")


def tarball(cache_dir: Path) -> bytes:
    """The verified tarball of the pinned MathJax, from the cache or else from the npm registry."""
    cached = cache_dir / f"mathjax-{VERSION}.tgz"
    if cached.is_file():
        data = cached.read_bytes()
        try:
            verify(data)
            return data
        except FetchError:
            print(f"{cached} is damaged or not the pinned file; downloading it again.")
    print(f"Downloading MathJax {VERSION} from {TARBALL_URL}")
    data = download(TARBALL_URL)
    verify(data)
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(cached)
    return data


def wanted(name: str) -> str | None:
    """The path under the destination for tarball member `name`, or None when the book does not need it.

    >>> wanted("package/es5/tex-mml-chtml.js"), wanted("package/es5/output/chtml/fonts/woff-v2/MathJax_Zero.woff")
    ('tex-mml-chtml.js', 'output/chtml/fonts/woff-v2/MathJax_Zero.woff')
    >>> wanted("package/es5/tex-svg.js"), wanted("package/es5/latest.js"), wanted("package/es5/../../x")
    (None, None, None)
    >>> wanted("package/LICENSE")
    'LICENSE'
    """
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        return None
    if path == PurePosixPath("package/LICENSE"):
        return "LICENSE"
    if path.parts[:2] != ("package", "es5") or len(path.parts) < 3:
        return None
    rest = PurePosixPath(*path.parts[2:])
    if len(rest.parts) == 1 and rest.suffix == ".js" and rest.name != BUNDLE:
        return None  # other combined bundles, and latest.js (it loads MathJax from a CDN)
    return rest.as_posix()


def stamp_text() -> str:
    return (
        f"MathJax {VERSION}, from {TARBALL_URL}\n"
        f"verified against the registry's {INTEGRITY}\n"
        "and extracted by tools/fetch_mathjax.py (Apache License 2.0, see LICENSE).\n"
    )


def extract(data: bytes, dest: Path) -> int:
    """Write the wanted regular files of the tarball `data` into a fresh `dest`; return their count."""
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive:
            relative = wanted(member.name)
            if relative is None or not member.isfile():
                continue
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            if source is None:
                raise FetchError(f"cannot read {member.name} from the MathJax tarball")
            target.write_bytes(source.read())
            count += 1
    if not (staging / BUNDLE).is_file():
        raise FetchError(f"the MathJax {VERSION} tarball has no es5/{BUNDLE}")
    (staging / STAMP_NAME).write_text(stamp_text(), encoding="utf-8")
    shutil.rmtree(dest, ignore_errors=True)
    staging.replace(dest)
    return count


def ensure_mathjax(dest: Path = DEST, cache_dir: Path | None = None, force: bool = False) -> Path:
    """Make `dest` hold the pinned MathJax; a no-op when it already does (unless `force`).

    Returns the path of the bundle. Raises `FetchError` when it cannot be downloaded or verified.
    """
    stamp = dest / STAMP_NAME
    current = stamp.is_file() and stamp.read_text(encoding="utf-8") == stamp_text() and (dest / BUNDLE).is_file()
    if current and not force:
        return dest / BUNDLE
    count = extract(tarball(cache_dir or default_cache_dir()), dest)
    print(f"MathJax {VERSION}: {count} files in {dest}")
    return dest / BUNDLE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dest", type=Path, default=DEST, help=f"where to extract (default {DEST.relative_to(ROOT)})")
    parser.add_argument("--cache-dir", type=Path, default=None, help=f"tarball cache (default {default_cache_dir()})")
    parser.add_argument("--force", action="store_true", help="extract again even if the folder is current")
    args = parser.parse_args(argv)
    try:
        ensure_mathjax(args.dest, args.cache_dir, args.force)
    except (FetchError, OSError, tarfile.TarError) as error:
        print(f"error: cannot provide MathJax {VERSION} for offline reading: {error}", file=sys.stderr)
        print(f"       Download {TARBALL_URL} into {args.cache_dir or default_cache_dir()}/ and run again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
