"""The live explorer: type any sentence, move the layer and the threshold, pick the decoder.

    kexue.viz.explore(encoder)            # in Jupyter, JupyterLab or Colab

It is made of plain ipywidgets (a text box, menus, sliders and HTML outputs showing images drawn by
matplotlib), with no JavaScript of its own, so it behaves the same in Colab, JupyterLab and the classic
Notebook. A new sentence is computed once by :func:`kexue.viz.probe_view.probe_data` (every layer, both
levels, every decoder); the sliders and menus then only redraw. Bad input -- an empty text, a single unit,
a sentence too long for the view or the model, a layer out of range -- shows a message in the explorer.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Sequence

import numpy as np

from ..models import Encoder
from .probe_view import DECODERS, probe_data
from .probing import segmentation_html, segmentation_figure
from .style import use_cjk_font
from .trees import draw_constituency, draw_dependency

EXAMPLE = "欧拉是一名数学家"  # "Euler is a mathematician."


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", dpi=90)
    return f'<img src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode("ascii")}" style="max-width:100%"/>'


def _words(units: Sequence[str], scores: Sequence[float | None], threshold: float) -> list[str]:
    words: list[str] = []
    for i, unit in enumerate(units):
        s = scores[i - 1] if i else None
        if s is not None and s >= threshold:
            words[-1] += unit
        else:
            words.append(unit)
    return words


class Explorer:
    """The widgets of :func:`explore` (``text``, ``level``, ``layer``, ``threshold``, ``decoder``, ``status``,
    ``view``) and the data of the current sentence; shown in a notebook as its ``box``."""

    def __init__(self, encoder: Encoder, text: str | None = None, gold: Sequence[str] | None = None):
        import ipywidgets as widgets

        self.encoder, self.gold, self.data = encoder, None if gold is None else list(gold), None
        self.text = widgets.Text(value=text or EXAMPLE, description="sentence", continuous_update=False,
                                 layout=widgets.Layout(width="520px"))
        self.level = widgets.Dropdown(options=["characters", "words"], description="units")
        self.layer = widgets.IntSlider(value=1, min=1, max=encoder.num_layers, description="layer",
                                       continuous_update=False)
        self.threshold = widgets.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.001, description="threshold",
                                             readout_format=".3f", continuous_update=False)
        self.decoder = widgets.Dropdown(options=[(name, key) for key, name in DECODERS.items()], description="tree")
        self.status = widgets.HTML()
        self.view = widgets.HTML()
        self.box = widgets.VBox([self.text, widgets.HBox([self.level, self.layer]),
                                 widgets.HBox([self.threshold, self.decoder]), self.status, self.view])
        self.text.observe(lambda _: self.compute(), names="value")
        self.layer.observe(lambda _: self._new_layer(), names="value")
        for control in (self.level, self.threshold, self.decoder):
            control.observe(lambda _: self.draw(), names="value")
        self.compute()

    def _repr_mimebundle_(self, **kwargs):
        return self.box._repr_mimebundle_(**kwargs)

    def _message(self, text: str, colour: str = "#c62828") -> None:
        self.status.value = f'<div style="color:{colour}">{html.escape(text)}</div>'

    def compute(self) -> None:
        """Compute everything for the sentence in the text box (a progress line shows meanwhile)."""
        text = self.text.value
        units = len([c for c in text if not c.isspace()])
        self._message(f"computing the impact matrices at {self.encoder.num_layers} layers "
                      f"(about {units * (units + 1) // 2} masked inputs per level) ...", "#555")
        gold = self.gold if self.gold is not None and "".join(self.gold) == "".join(text.split()) else None
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                self.data = probe_data(self.encoder, text, gold=gold)
        except ValueError as err:
            self.data = None
            self.view.value = ""
            self._message(str(err))
            return
        notes = "; ".join(dict.fromkeys(str(w.message) for w in caught))  # e.g. characters fed as [UNK]
        self._message(notes, "#8a6d00")
        self._new_layer()

    def _new_layer(self) -> None:
        """A new layer: the threshold slider spans that layer's scores and starts at their median."""
        if self.data is None:
            return
        if not 1 <= self.layer.value <= self.encoder.num_layers:
            self._message(f"layer {self.layer.value} is out of range: use 1..{self.encoder.num_layers}")
            return
        scores = np.array([s for s in self.data["scores"][self.layer.value - 1] if s is not None])
        low, high = (float(scores.min()), float(scores.max())) if scores.size else (0.0, 1.0)
        with self.threshold.hold_trait_notifications():
            self.threshold.min, self.threshold.max = -1e9, 1e9  # so that min <= value <= max holds throughout
            self.threshold.value = float(np.median(scores)) if scores.size else 0.0
            self.threshold.min, self.threshold.max = low, max(high, low + 1e-6)
            self.threshold.step = max((high - low) / 200, 1e-6)
        self.draw()

    def draw(self) -> None:
        """Redraw heat map, segmentation and tree for the current controls."""
        if self.data is None:
            return
        import matplotlib.pyplot as plt

        use_cjk_font()
        k, t = self.layer.value - 1, self.threshold.value
        level = self.data["levels"][self.level.value]
        units, f = level["units"], np.array(level["impact"][k], dtype=float)
        parts = []
        fig, ax = plt.subplots(figsize=(0.42 * len(units) + 1.6, 0.42 * len(units) + 1.0))
        np.fill_diagonal(f, np.nan)
        ax.imshow(f, cmap="Blues")
        ax.set_xticks(range(len(units)), units)
        ax.set_yticks(range(len(units)), units)
        ax.set_title(f"impact f(x_i, x_j), layer {self.layer.value}")
        parts.append(_png(fig))
        plt.close(fig)
        chars = self.data["levels"]["characters"]["units"]
        scores = [np.nan if s is None else s for s in self.data["scores"][k]]
        fig, ax = plt.subplots(figsize=(min(max(6.0, 0.42 * len(chars) + 1.5), 14.0), 3.0))
        segmentation_figure(chars, scores, t, self.data["gold"], ax=ax)
        parts.append(_png(fig) + segmentation_html(_words(chars, self.data["scores"][k], t), self.data["gold"]))
        plt.close(fig)
        tree = level["trees"][k][self.decoder.value]
        if "arcs" in tree:
            heads = [-1] + [a["head"] for a in sorted(tree["arcs"], key=lambda a: a["dependent"])]
            ax = draw_dependency(heads, units)
        else:
            ax = draw_constituency(_tree_of(tree), units)
        ax.set_title(DECODERS[self.decoder.value])
        parts.append(_png(ax.figure))
        plt.close(ax.figure)
        self.view.value = "".join(f"<div>{p}</div>" for p in parts)


def _tree_of(layout: dict):
    """The nested-tuple tree back from a :func:`kexue.viz.tree_layout.constituency_layout` (node 0 the root)."""
    kids: dict[int, list] = {i: [] for i in range(len(layout["nodes"]))}
    for parent, child in layout["edges"]:
        kids[parent].append(("leaf", int(child.split(":")[1])) if isinstance(child, str) else ("node", child))

    def build(index: int):
        return tuple(value if kind == "leaf" else build(value) for kind, value in kids[index])

    return build(0) if layout["nodes"] else 0


def explore(encoder: Encoder, text: str | None = None, gold: Sequence[str] | None = None) -> Explorer:
    """A live explorer of Perturbed Masking for ``encoder`` (see the module docstring); ``gold`` words, when
    they spell ``text``, score the segmentation."""
    return Explorer(encoder, text, gold)
