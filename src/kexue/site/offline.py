"""A book that loads nothing from outside itself: local MathJax and widget scripts, and a check of every page.

* MathJax (Sphinx's ``mathjax_path``) and myst-nb's ipywidgets scripts (``nb_ipywidgets_js``) point at the
  copies :mod:`kexue.site.assets` unpacked, added to ``html_static_path``;
* plotly's HTML output asks for its own MathJax from a CDN (``include_mathjax="cdn"`` is fixed in plotly's
  notebook renderer); the page already has MathJax, so that tag is dropped from the outputs;
* after the build every page is scanned: a script, style sheet, image or frame from another host is a
  warning, so ``jupyter-book build -W`` fails instead of publishing a page that breaks offline.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from . import assets

STATIC = Path(__file__).with_name("static")  # the book's own scripts and images (kexue-widgets.js, the badge)
#: plotly's <script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/.../tex-svg.min.js"></script>
PLOTLY_MATHJAX = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*"></script>')
#: what a browser fetches by itself when it shows a page (links the reader clicks are not in this list)
EXTERNAL_LOAD = re.compile(
    r'<(?:script|img|iframe|source|audio|video|embed)\b[^>]*?\ssrc="((?:https?:)?//[^"]+)"'
    r'|<link\b(?=[^>]*\srel="(?:stylesheet|preload|modulepreload|icon)")[^>]*?\shref="((?:https?:)?//[^"]+)"')


def external_loads(page_html: str) -> list[str]:
    """URLs of other hosts that ``page_html`` makes the browser load (scripts, styles, images, frames)."""
    return [a or b for a, b in EXTERNAL_LOAD.findall(page_html)]


def _use_local_scripts(app: Any, config: Any) -> None:
    """config-inited: serve MathJax and the widget manager from the environment's copies."""
    from sphinx.errors import ConfigError

    root = assets.assets_dir()
    if absent := assets.missing(root):
        raise ConfigError(f"the book's local web assets are missing from {root} ({', '.join(absent)}): run "
                          "`make venv` or `python -m kexue.site.assets` once (it downloads them from npm)")
    config.html_static_path += [str(root), str(STATIC)]
    # Sphinx copies static files only when it writes pages; a digest in the config makes a change of the
    # book's own scripts (or of the pinned packages) rewrite every page, so no build keeps stale copies.
    digest = hashlib.sha256(repr(assets.PACKAGES).encode())
    for path in sorted(STATIC.iterdir()):
        digest.update(path.name.encode() + path.read_bytes())
    config.kexue_static_digest = digest.hexdigest()
    config.mathjax_path = assets.MATHJAX_JS
    # kexue-widgets.js (kexue/site/static) tells RequireJS where the manager's files are
    config.nb_ipywidgets_js = {assets.REQUIRE_JS: {}, "kexue-widgets.js": {}, assets.WIDGETS_JS: {}}


def _drop_plotly_mathjax(app: Any, doctree: Any, docname: str) -> None:
    """doctree-resolved: remove plotly's CDN MathJax tag from raw HTML outputs."""
    from docutils import nodes

    for node in doctree.findall(nodes.raw):
        if "html" in node.get("format", "") and PLOTLY_MATHJAX.search(node.astext()):
            text = PLOTLY_MATHJAX.sub("", node.astext())
            node.children = [nodes.Text(text)]
            node.rawsource = text


def _drop_duplicate_scripts(app: Any, pagename: str, templatename: str, context: dict, doctree: Any) -> None:
    """html-page-context: Sphinx 7 lists an inline script added after the builder started twice (once with
    filename ``None``, once with ``''``); sphinx-thebe's ``const THEBE_JS_URL`` then throws in the browser."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = (getattr(script, "filename", script) or "", tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def _check_pages(app: Any, exception: Exception | None) -> None:
    """build-finished: warn about every page that would load something from another host."""
    if exception is not None or app.builder.format != "html":
        return
    from sphinx.util import logging

    log = logging.getLogger(__name__)
    for page in sorted(Path(app.outdir).rglob("*.html")):
        if urls := sorted(set(external_loads(page.read_text(encoding="utf-8", errors="replace")))):
            log.warning(f"{page.relative_to(app.outdir)} loads from outside the book: {', '.join(urls)}")


def register(app: Any) -> None:
    """Connect the handlers (called by :func:`kexue.site.setup`)."""
    app.add_config_value("kexue_static_digest", "", "html")
    app.connect("config-inited", _use_local_scripts)
    app.connect("doctree-resolved", _drop_plotly_mathjax)
    app.connect("html-page-context", _drop_duplicate_scripts)
    app.connect("build-finished", _check_pages)
