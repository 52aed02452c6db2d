"""One sentence, every layer, in the browser: impact matrix, segmentation and trees, linked, with no kernel.

    probe_view(encoder, "欧拉是一名数学家", gold=["欧拉", "是", "一名", "数学家"])

:func:`probe_data` computes everything once -- the impact matrix of the characters and of the words at every
layer, the adjacent scores s_i, Su's and MART's constituency trees (with the score of each split) and the
Eisner and Chu-Liu/Edmonds dependency trees (with each arc's score) -- and :func:`probe_view` hands it to a
small script (``static/probe_view.js``) that draws it as SVG. A layer slider moves the heat map, the
segmentation and the tree together; a threshold slider re-segments from the precomputed s_i (cut where
s_i < t) and shows the word F1 against the gold words; a menu picks the decoder; hovering a cell, a tree node
or an arc shows its numbers. It works in a static HTML page, offline, and in Jupyter or Colab.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ..models import Encoder
from ..probing import impact_matrix
from ..probing.units import split_units
from ..probing.trees import chu_liu_edmonds, dependency_scores, eisner, mart_tree, su_tree
from .tree_layout import constituency_layout, dependency_arcs

SCRIPT = Path(__file__).with_name("static") / "probe_view.js"
_VIEW_NUMBER = itertools.count()  # views made in this process, for their element ids
DECODERS = {"su": "Su's top-down split", "mart": "MART (the paper)", "eisner": "Eisner (projective dependencies)",
            "cle": "Chu-Liu/Edmonds (dependencies)"}
MAX_UNITS = 48  # n(n+1)/2 masked inputs per level: 1,176 at 48 units


def _round(values: np.ndarray) -> list:
    """Floats with 4 significant digits (None for NaN), to keep the page small."""
    return [None if not np.isfinite(v) else float(f"{v:.4g}") for v in np.asarray(values, dtype=float).ravel()]


def _trees(f: np.ndarray, units: list[str]) -> dict:
    """The four decodings of one impact matrix, as drawing data."""
    out = {}
    for name, decode in (("su", su_tree), ("mart", mart_tree)):
        splits: dict = {}
        out[name] = constituency_layout(decode(f, splits), units, splits)
    scores = dependency_scores(f)
    for name, decode in (("eisner", eisner), ("cle", chu_liu_edmonds)):
        out[name] = {"arcs": dependency_arcs(decode(scores), units, scores)}
    return out


def _level(encoder: Encoder, units: list[str], layers: list[int]) -> dict:
    f = impact_matrix(encoder, units, layers=layers)  # (layers, n, n)
    return {"units": units, "impact": [[_round(row) for row in m] for m in f],
            "trees": [_trees(m, units) for m in f]}


def probe_data(encoder: Encoder, text: str, *, words: Sequence[str] | None = None,
               gold: Sequence[str] | None = None, layers: Sequence[int] | None = None,
               thresholds: Mapping[int, float] | None = None, reference: tuple[str, Sequence[str]] | None = None,
               title: str | None = None, layer: int | None = None, max_units: int = MAX_UNITS) -> dict:
    """Everything :func:`probe_view` draws, for ``text`` at each of ``layers`` (default 1..L).

    Units: the characters (runs of Latin letters or digits stay whole, as in :func:`kexue.probing.segment`),
    and words -- ``words``, else ``gold``, else jieba's. ``thresholds`` (layer -> t, e.g. chosen on dev) start
    the threshold slider at each layer; ``reference`` = (label, words) is another segmentation to show beside
    ours (the article's, say); ``layer`` is the one the view opens at (default: the first).
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("probe_view needs a sentence: the text is empty")
    chars, joinable = split_units(text)
    if len(chars) < 2:
        raise ValueError(f"{text!r} has {len(chars)} unit: there is nothing to segment or parse; give a sentence")
    if len(chars) > max_units:
        raise ValueError(f"{text!r} has {len(chars)} units; the view computes n(n+1)/2 masked inputs per level and "
                         f"draws up to {max_units} units: pass a shorter sentence (or max_units=)")
    layers = list(range(1, encoder.num_layers + 1)) if layers is None else [int(k) for k in layers]
    if bad := [k for k in layers if not 1 <= k <= encoder.num_layers]:
        raise ValueError(f"layers {bad} are out of range for {encoder.name}: use 1..{encoder.num_layers}")
    for name, given in (("gold", gold), ("words", words), ("reference", reference and reference[1])):
        if given is not None and "".join(given) != "".join(text.split()):
            raise ValueError(f"the {name} words spell {''.join(given)!r}, not the text {text!r}")
    if layer is not None and layer not in layers:
        raise ValueError(f"the view cannot open at layer {layer}: it draws layers {layers}")
    if words is None:
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        words = gold if gold is not None else [w for w in jieba.lcut(text) if w.strip()]
    char_level = _level(encoder, chars, layers)
    scores = []
    for m in np.asarray(char_level["impact"], dtype=float):
        s = (np.diagonal(m, 1) + np.diagonal(m, -1)) / 2  # s_i = (f(i, i+1) + f(i+1, i)) / 2
        scores.append(_round(np.where(joinable, s, np.nan)))
    return {
        "title": title or text, "layers": layers, "decoders": DECODERS,
        "start": 0 if layer is None else layers.index(layer),
        "levels": {"characters": char_level, "words": _level(encoder, [str(w) for w in words], layers)},
        "scores": scores,
        "thresholds": [None if thresholds is None or k not in thresholds else float(thresholds[k]) for k in layers],
        "gold": None if gold is None else [str(w) for w in gold],
        "reference": None if reference is None else {"label": reference[0], "words": list(reference[1])},
    }


def view_html(data: dict) -> str:
    """The HTML of the view: the data as JSON and the script that draws it (inline: nothing is fetched)."""
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    # the same views in the same order get the same ids, so two builds of a page are byte-identical
    box = f"kexue-probe-{hashlib.sha256(f'{next(_VIEW_NUMBER)}:{payload}'.encode()).hexdigest()[:12]}"
    return (f'<div class="kexue-probe" id="{box}" aria-label="{html.escape(data["title"])}">'
            f'<script type="application/json">{payload}</script></div>'
            f"<script>{SCRIPT.read_text(encoding='utf-8')}\nkexueProbeView(document.getElementById('{box}'));</script>")


def probe_view(encoder: Encoder, text: str, **options):
    """The linked, client-side view of :func:`probe_data` (an IPython HTML object)."""
    from IPython.display import HTML

    return HTML(view_html(probe_data(encoder, text, **options)))
