"""The API reference page (``book/api.md``): docstrings as the library writes them, rendered by autodoc.

The docstrings write formulas in plain text, where ``|x|`` is a norm or a set size; reST would read it as a
substitution. :func:`plain_bars` escapes every ``|`` outside an inline literal before autodoc parses the text.
"""

from __future__ import annotations

import re
from typing import Any

_LITERAL = re.compile(r"(``.*?``)")


def plain_bars(lines: list[str]) -> list[str]:
    """``lines`` with each ``|`` outside double-backtick literals escaped (``\\|``), so it prints as a bar."""
    escaped = []
    for line in lines:
        parts = _LITERAL.split(line)
        escaped.append("".join(p if p.startswith("``") else p.replace("|", r"\|") for p in parts))
    return escaped


def _process_docstring(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    lines[:] = plain_bars(lines)


def register(app: Any) -> None:
    app.setup_extension("sphinx.ext.autodoc")  # its event must exist before we connect to it
    app.connect("autodoc-process-docstring", _process_docstring)
    # Short references inside docstrings (":func:`predict`", "torch.nn.Module") name functions of the same
    # package or of other libraries; where Sphinx cannot resolve one it prints the name as code, unlinked.
    # They are not checked (nitpicky builds would flag each), chapters' links to modules are (tests/test_api_page).
    app.config.nitpick_ignore_regex = [*app.config.nitpick_ignore_regex, (r"py:.*", r".*")]
