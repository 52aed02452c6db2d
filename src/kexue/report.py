"""Tables for the chapters: results and "the article says / we measured", rendered as Markdown."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


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
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row.get(c, ""), digits) for c in columns) + " |")
    return Markdown("\n".join(lines))


def claims_table(claims: Sequence[dict[str, Any]], *, setting: str, digits: int = 3):
    """The "article says / we measured" table: rows with ``claim``, ``article`` and ``ours``, plus the setting
    (profile, model, data size, device, seeds) printed under it."""
    from IPython.display import Markdown

    table = markdown_table(claims, ["claim", "article", "ours"], digits=digits)
    return Markdown(table.data + f"\n\n*Measured with: {setting}*")


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """(mean, sample standard deviation) of results over seeds; the std is 0.0 for a single value."""
    if len(values) == 0:
        raise ValueError("mean_std needs at least one value")
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0
