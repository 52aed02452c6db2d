"""The reproduction summary page: every chapter's glued claims table, pasted into one page at build time.

A ``{claims-summary}`` block in the page (config ``kexue_summary_page``, a docname) is replaced by one section
per chapter of the table of contents that glued a table (:func:`kexue.report.claims_table`), each a
cross-document ``{glue}`` paste. The page is read after the chapters and re-read whenever one changes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterator, Sequence

from ..report import GLUE_KEY

SUMMARY_BLOCK = re.compile(r"^```\{claims-summary\}[^\n]*\n```[ \t]*$", re.MULTILINE)


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


def register(app: Any) -> None:
    """Connect the summary page's handlers (called by :func:`kexue.site.setup`)."""
    app.add_config_value("kexue_summary_page", "book/reproduction", "env")
    app.connect("source-read", _fill_summary)
    app.connect("env-get-outdated", _reread_summary)
    app.connect("env-before-read-docs", _read_summary_last, priority=900)
