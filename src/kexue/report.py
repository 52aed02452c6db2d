"""Tables for the chapters: results and "the article says / we measured", rendered as Markdown.

Each :func:`claims_table` is also *glued* (myst-nb) under the key ``kexue-claims`` when it runs in a kernel
that has myst-nb, so the book's reproduction summary page (:mod:`kexue.site.summary`) can collect every
chapter's table.
"""

from __future__ import annotations

import html
from typing import Any, Sequence

import numpy as np

GLUE_KEY = "kexue-claims"  # the first table of a chapter; later ones get -2, -3, ...
_tables_glued = 0  # claims tables glued so far in this kernel


def format_value(value: Any, digits: int = 3) -> str:
    """How the book's tables print a value: floats with ``digits`` decimals, a (mean, std) pair as "mean ± std"."""
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
        lines.append("| " + " | ".join(cell(format_value(row.get(c, ""), digits)) for c in columns) + " |")
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
        "<tr>" + "".join(f"<td>{html.escape(format_value(row.get(c, ''), digits))}</td>" for c in columns) + "</tr>"
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


class _Plain(str):
    """A string whose plain-text form has no quotes, so ``{glue:text}`` shows it as a word in a sentence."""

    def __repr__(self) -> str:
        return str(self)


def glue(name: str, value: Any) -> Any:
    """Give a computed value to the chapter's prose, where the MyST role ``glue:text`` shows it in a sentence:
    with the name and a format for numbers (``name:.3f``), with the name alone for words. Returns ``value``.

    A no-op outside a kernel with myst-nb (Colab, plain Python), where nothing renders the prose.
    """
    try:
        from IPython import get_ipython
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    if get_ipython() is not None:
        shown = _Plain(value) if isinstance(value, str) else value
        if isinstance(value, (np.floating, np.integer)):
            shown = value.item()
        myst_glue(name, shown, display=False)
    return value


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, low, high): the mean of ``values`` and its Student-t confidence interval,
    mean ± t_{(1+level)/2, n-1} · s / √n. With one value there is no spread to estimate from: the interval is
    (−∞, +∞), so that :func:`verdict` says "undetermined" rather than judge from a single run."""
    from scipy import stats

    if len(values) == 0:
        raise ValueError("mean_interval needs at least one value")
    arr = np.asarray(values, dtype=np.float64)
    mean = float(arr.mean())
    if len(arr) == 1:
        return mean, -np.inf, np.inf
    half = float(stats.t.ppf((1 + level) / 2, len(arr) - 1) * arr.std(ddof=1) / np.sqrt(len(arr)))
    return mean, mean - half, mean + half


def verdict(low: float, high: float, *, above: float = 0.0, margin: float | None = None) -> str:
    """The verdict an interval [low, high] of a difference gives on a claim.

    Superiority (``margin`` None): "holds" when low > ``above``, "contradicted" when high < ``above``, else
    "undetermined at this budget". Equivalence (``margin`` m): "holds" when the interval lies inside (-m, m),
    "contradicted" when it lies wholly outside, else undetermined.
    """
    if low > high:
        raise ValueError(f"verdict needs low <= high, got [{low}, {high}]")
    if margin is None:
        if low > above:
            return "holds"
        if high < above:
            return "contradicted"
    else:
        if -margin < low and high < margin:
            return "holds"
        if high <= -margin or low >= margin:
            return "contradicted"
    return "undetermined at this budget"


def paired_bootstrap(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray, *, n_resamples: int = 2000,
                     level: float = 0.95, seed: int = 0) -> tuple[float, float, float]:
    """(difference, low, high): mean(a) − mean(b) and its percentile-bootstrap interval, paired.

    ``a`` and ``b`` hold per-item values of two systems on the same items (e.g. 1/0 for a correct answer), shape
    (items,) or (seeds, items). Each resample draws items with replacement (the same items for both systems) and,
    for 2-d input, seeds too, so the interval covers both sources of noise."""
    x, y = np.atleast_2d(np.asarray(a, dtype=np.float64)), np.atleast_2d(np.asarray(b, dtype=np.float64))
    if x.shape != y.shape or x.size == 0:
        raise ValueError(f"a and b must be the same non-empty shape (seeds, items), got {x.shape} and {y.shape}")
    rng = np.random.default_rng(seed)
    d = x - y
    n_seeds, n_items = d.shape
    seeds = rng.integers(0, n_seeds, (n_resamples, n_seeds))
    items = rng.integers(0, n_items, (n_resamples, n_items))
    means = np.array([d[s][:, i].mean() for s, i in zip(seeds, items)])
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(d.mean()), float(low), float(high)


def difference_cell(difference: float, low: float, high: float, *, above: float = 0.0,
                    margin: float | None = None, digits: int = 3) -> str:
    """A claims-table cell for a difference: "+0.034 [−0.012, +0.080], undetermined at this budget", the verdict
    computed from the interval (:func:`verdict`)."""
    return (f"{difference:+.{digits}f} [{low:+.{digits}f}, {high:+.{digits}f}], "
            f"{verdict(low, high, above=above, margin=margin)}")
