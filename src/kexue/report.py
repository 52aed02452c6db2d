"""Tables for the chapters: results and "the article says / we measured", rendered as Markdown.

Each :func:`claims_table` is also *glued* (myst-nb) under the key ``kexue-claims`` when it runs in a kernel
that has myst-nb, so the book's reproduction summary page can collect every chapter's table. This module is
also the small Sphinx extension that builds that page (see :func:`setup`): listed in ``_config.yml`` under
``sphinx.extra_extensions``, it replaces a ``{claims-summary}`` block with one section per chapter of the
table of contents that glued a table, each a cross-document ``{glue}`` paste.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

GLUE_KEY = "kexue-claims"  # the first table of a chapter; later ones get -2, -3, ...
SUMMARY_BLOCK = re.compile(r"^```\{claims-summary\}[^\n]*\n```[ \t]*$", re.MULTILINE)
_tables_glued = 0  # claims tables glued so far in this kernel


def _fmt(value: Any, digits: int) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, float) for v in value):
        return f"{value[0]:.{digits}f} ± {value[1]:.{digits}f}"  # (mean, std)
    return str(value)


def markdown_table(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None, *, digits: int = 3):
    """A Markdown table (an IPython ``Markdown`` object, plain text via ``.data``) from a list of dicts.

    Floats get ``digits`` decimals; a ``(mean, std)`` pair of floats prints as ``mean ± std``.
    """
    from IPython.display import Markdown

    if not rows:
        raise ValueError("markdown_table needs at least one row")
    columns = list(columns or rows[0].keys())

    def cell(text: str) -> str:
        return text.replace("|", "\\|")  # a bare | would end the cell

    lines = ["| " + " | ".join(cell(str(c)) for c in columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(cell(_fmt(row.get(c, ""), digits)) for c in columns) + " |")
    return Markdown("\n".join(lines))


def claims_table(claims: Sequence[dict[str, Any]], *, setting: str, digits: int = 3):
    """The "article says / we measured" table: rows with ``claim``, ``article`` and ``ours``, plus the setting
    (profile, model, data size, device, seeds) printed under it."""
    from IPython.display import Markdown

    table = markdown_table(claims, ["claim", "article", "ours"], digits=digits)
    _glue_for_summary(claims_html(claims, setting=setting, digits=digits))
    return Markdown(table.data + f"\n\n*Measured with: {setting}*")


def claims_html(claims: Sequence[dict[str, Any]], *, setting: str, digits: int = 3) -> str:
    """The same table as :func:`claims_table`, as HTML (what the summary page pastes from another page:
    myst-nb pastes only text, HTML and images across documents)."""
    columns = ["claim", "article", "ours"]
    head = "".join(f"<th class=\"head\">{c}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(row.get(c, ''), digits))}</td>" for c in columns) + "</tr>"
        for row in claims
    )
    return (f'<div class="kexue-claims"><table class="table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table><p><em>Measured with: {html.escape(setting)}</em></p></div>")


def _glue_for_summary(table_html: str) -> None:
    """Glue the table (hidden) for the summary page, when running in a kernel with myst-nb installed."""
    global _tables_glued
    try:
        from IPython import get_ipython
        from IPython.display import HTML
        from myst_nb import glue
    except ImportError:  # e.g. Colab: no book toolchain, nothing collects the tables
        return
    if get_ipython() is None:  # plain Python: no notebook to carry the glued output
        return
    _tables_glued += 1
    glue(GLUE_KEY if _tables_glued == 1 else f"{GLUE_KEY}-{_tables_glued}", HTML(table_html), display=False)


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """(mean, sample standard deviation) of results over seeds; the std is 0.0 for a single value."""
    if len(values) == 0:
        raise ValueError("mean_std needs at least one value")
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


# --- Sphinx side: the reproduction summary page -------------------------------------------------------------


def summary_markdown(chapters: Sequence[tuple[str, str, str, Sequence[str]]]) -> str:
    """MyST for the summary page: per chapter ``(docname, title, path relative to the page, glue keys)``,
    a heading, a link to the chapter and a cross-document paste of each glued table."""
    if not chapters:
        return "*No chapter in the table of contents has glued a claims table yet.*\n"
    parts = []
    for docname, title, relpath, keys in chapters:
        parts.append(f"## {title}\n\nFrom {{doc}}`/{docname}`.\n")
        parts += [f"```{{glue}} {key}\n:doc: {relpath}\n```\n" for key in keys]
    return "\n".join(parts)


def _toc_order(env: Any) -> list[str]:
    """Docnames in table-of-contents order (sphinx-external-toc's site map), else sorted."""
    site_map = getattr(env, "external_site_map", None)
    if site_map is None:
        return sorted(env.found_docs)

    def walk(docname: str) -> Iterator[str]:
        yield docname
        for child in site_map[docname].child_files():
            yield from walk(child)

    return list(dict.fromkeys(walk(site_map.root.docname)))


def _glue_keys(env: Any, docname: str) -> list[str]:
    """The claims keys myst-nb recorded for a document when it was read (an empty list if none)."""
    keys = getattr(env, "nb_metadata", {}).get(docname, {}).get("glue", [])
    return [k for k in keys if k == GLUE_KEY or re.fullmatch(rf"{GLUE_KEY}-\d+", k)]


def _fill_summary(app: Any, docname: str, source: list[str]) -> None:
    """source-read: replace the ``{claims-summary}`` block with the chapters' glued tables."""
    if docname != app.config.kexue_summary_page or not SUMMARY_BLOCK.search(source[0]):
        return
    from sphinx.util import logging

    env = app.env
    here = os.path.dirname(env.doc2path(docname))
    chapters = []
    for doc in _toc_order(env):
        if doc == docname:
            continue
        if keys := _glue_keys(env, doc):
            chapters.append((doc, env.titles[doc].astext(), os.path.relpath(env.doc2path(doc), here), keys))
        elif re.search(r"\bclaims_table\(", Path(env.doc2path(doc)).read_text(encoding="utf-8")):
            logging.getLogger(__name__).warning(
                f"{doc} calls claims_table but its executed notebook glued no table, so the summary page lacks "
                "it: an execution cached before kexue.report glued its tables? Remove the build's "
                ".jupyter_cache folder (or change the chapter) and build again.", location=docname)
    source[0] = SUMMARY_BLOCK.sub(lambda _: summary_markdown(chapters), source[0])


def _reread_summary(app: Any, env: Any, added: set, changed: set, removed: set) -> list[str]:
    """env-get-outdated: re-read the summary page whenever another page is added, changed or removed."""
    page = app.config.kexue_summary_page
    return [page] if page in env.found_docs and (added | changed | removed) - {page} else []


def _read_summary_last(app: Any, env: Any, docnames: list[str]) -> None:
    """env-before-read-docs: read (and so fill) the summary page after the chapters it collects."""
    page = app.config.kexue_summary_page
    if page in docnames:
        docnames.remove(page)
        docnames.append(page)


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


def setup(app: Any) -> dict[str, Any]:
    """Sphinx extension: fill the reproduction summary page (config ``kexue_summary_page``, a docname) from
    the chapters' glued claims tables, read it last and re-read it whenever a chapter changes."""
    app.add_config_value("kexue_summary_page", "book/reproduction", "env")
    app.connect("source-read", _fill_summary)
    app.connect("env-get-outdated", _reread_summary)
    app.connect("env-before-read-docs", _read_summary_last, priority=900)
    app.connect("html-page-context", _drop_duplicate_scripts)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
