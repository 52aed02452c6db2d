"""The Sphinx extension behind the rendered book (``sphinx.extra_extensions: [kexue.site]`` in ``_config.yml``).

* :mod:`kexue.site.summary` -- the reproduction summary page, from the chapters' glued claims tables;
* :mod:`kexue.site.offline` -- local MathJax and widget scripts, and a check that no page loads from elsewhere;
* :mod:`kexue.site.assets` -- fetches those scripts (pinned npm tarballs, checked) when the environment is made;
* :mod:`kexue.site.colab` -- the "Open in Colab" badge and the install cell of the generated notebooks;
* :mod:`kexue.site.api` -- the API reference page's docstrings (formulas with bars);
* :mod:`kexue.site.prefill` -- not part of the extension: ``make book`` runs it first, to execute the chapters
  in parallel into the execution cache the build reads.
"""

from __future__ import annotations

from typing import Any


def setup(app: Any) -> dict[str, Any]:
    """Sphinx entry point: register every part."""
    from . import api, colab, offline, summary

    for part in (summary, offline, colab, api):
        part.register(app)
    return {"parallel_read_safe": False, "parallel_write_safe": True}
