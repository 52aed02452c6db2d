"""Figures for probing a model without training (Perturbed Masking and friends).

Each function takes plain numpy arrays / lists and shows one thing with one call:

- :mod:`.impact` -- ``impact_heatmap``: the token-to-token impact matrix f(i, j), interactive (plotly): hover a
  cell, slide through layers, switch between character and word level, all in the browser.
- :mod:`.segmentation` -- ``segmentation_figure`` / ``show_segmentation``: unsupervised word segmentation
  from adjacent scores, as a bar chart and as coloured text; ``segmentation_by_layer``: held-out word F1 per
  layer against the baselines.

The trees are drawn by :mod:`kexue.viz.trees`; :mod:`kexue.viz.probe_view` puts matrix, segmentation and
trees in one client-side view, and :mod:`kexue.viz.explore` is the live explorer for any sentence.
"""

from .impact import impact_heatmap
from .segmentation import (
    CUT_COLOR,
    GOLD_COLOR,
    JOIN_COLOR,
    segmentation_by_layer,
    segmentation_figure,
    segmentation_html,
    segmentation_text,
    show_segmentation,
)

__all__ = [
    "impact_heatmap",
    "segmentation_figure",
    "segmentation_text",
    "show_segmentation",
    "segmentation_html",
    "segmentation_by_layer",
    "JOIN_COLOR",
    "CUT_COLOR",
    "GOLD_COLOR",
]
