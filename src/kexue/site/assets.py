"""The JavaScript the rendered book needs, served from the book itself: MathJax, RequireJS, the widget manager.

The built pages load nothing from outside themselves, so these libraries are copied into the book's
``_static/vendor/`` instead of being linked from a CDN. They are fetched once, when the environment is made
(``make venv`` runs ``python -m kexue.site.assets``), from the npm registry, as pinned tarballs checked
against their published SHA-512 integrity, and unpacked under :func:`assets_dir`. Nothing is committed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from urllib.request import urlopen

REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class Package:
    """One npm tarball: where it is, its integrity (``sha512-<base64>``) and what of it the book keeps."""

    name: str  # the folder under vendor/
    tarball: str  # path on the registry
    integrity: str
    keep: tuple[str, ...]  # paths inside the tarball's package/ folder (files or folders)


PACKAGES = (
    # tex-mml-chtml.js and the folders it loads fonts and TeX extensions from ([mathjax]/output, /input, ...)
    Package("mathjax", "/mathjax/-/mathjax-3.2.2.tgz",
            "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
            ("es5/tex-mml-chtml.js", "es5/input", "es5/output", "es5/a11y", "es5/ui", "es5/adaptors", "es5/sre")),
    # myst-nb's ipywidgets embedding: RequireJS, then html-manager's AMD bundle (base and controls inside)
    Package("requirejs", "/requirejs/-/requirejs-2.3.7.tgz",
            "sha512-DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw==",
            ("require.js",)),
    Package("html-manager", "/@jupyter-widgets/html-manager/-/html-manager-1.0.15.tgz",
            "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
            ("dist",)),
)
#: Files the pages load, relative to ``_static`` (``vendor/<package>/...``, the ``es5/`` level dropped).
MATHJAX_JS = "vendor/mathjax/tex-mml-chtml.js"
REQUIRE_JS = "vendor/requirejs/require.js"
WIDGETS_JS = "vendor/html-manager/dist/embed-amd.js"


def assets_dir() -> Path:
    """Where the unpacked files live: ``$KEXUE_WEB_ASSETS``, else ``<environment>/share/kexue-web``."""
    return Path(os.environ.get("KEXUE_WEB_ASSETS") or Path(sys.prefix) / "share" / "kexue-web")


def missing(root: Path | None = None) -> list[str]:
    """The page-loaded files (see ``MATHJAX_JS`` ...) absent from ``root`` (default :func:`assets_dir`)."""
    root = root or assets_dir()
    return [f for f in (MATHJAX_JS, REQUIRE_JS, WIDGETS_JS) if not (root / f).is_file()]


def check_integrity(data: bytes, integrity: str, what: str) -> None:
    """Raise ``ValueError`` unless ``data`` hashes to ``integrity`` (npm's ``sha512-<base64 digest>``)."""
    algorithm, _, expected = integrity.partition("-")
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise ValueError(f"{what}: {algorithm} is {digest}, expected {expected}; the download was not kept")


def unpack(package: Package, data: bytes, root: Path) -> None:
    """Extract ``package.keep`` from the tarball bytes into ``root/vendor/<name>/`` (``es5/`` dropped)."""
    target = root / "vendor" / package.name
    if target.exists():
        shutil.rmtree(target)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for member in tar.getmembers():
            inner = member.name.removeprefix("package/")
            if not member.isfile() or not any(inner == k or inner.startswith(k + "/") for k in package.keep):
                continue
            dest = target / inner.removeprefix("es5/")
            if not dest.resolve().is_relative_to(target.resolve()):
                raise ValueError(f"{package.name}: tarball member {member.name!r} leaves its folder")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(tar.extractfile(member).read())


def fetch(root: Path | None = None, *, registry: str = REGISTRY, force: bool = False) -> Path:
    """Download (unless already there) and unpack every package into ``root``; return ``root``."""
    root = root or assets_dir()
    if not force and not missing(root):
        return root
    for package in PACKAGES:
        url = registry.rstrip("/") + package.tarball
        try:
            with urlopen(url, timeout=60) as response:
                data = response.read()
        except OSError as err:
            raise OSError(f"cannot download {url} ({err}): the book's MathJax and widget scripts come from the "
                          "npm registry once, when the environment is made; connect and run "
                          "`python -m kexue.site.assets` again") from None
        check_integrity(data, package.integrity, url)
        unpack(package, data, root)
    return root


if __name__ == "__main__":
    print(f"kexue: the book's web assets are in {fetch()}")
