"""Unsupervised Chinese word segmentation with Perturbed Masking (Su, kexue.fm/archives/7476).

Su's experiment (not in the paper): neighbours that strongly affect each other belong to one word. With the
impact f of :mod:`kexue.probing.impact`, score each adjacent pair

    s_i = ( f(x_i, x_{i+1}) + f(x_{i+1}, x_i) ) / 2

and join x_i and x_{i+1} when s_i >= threshold (his ``word_segment.py``: Euclidean, last layer, threshold 8
for Google's Chinese BERT-base). Only 2n-1 masked inputs are needed: the n single masks {i} and the n-1
adjacent pairs {i, i+1}.

Units and windows are those of :mod:`kexue.probing.units`.

The layer and threshold depend on the encoder: :func:`calibrate` picks them on gold-segmented sentences and
``calibration.json`` stores the result per encoder name (:func:`recalibrate` redoes it for ``offline-zh``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..artifacts import cached_run
from ..data.peoples_daily import sample_sentences
from ..models import Encoder
from .impact import check_metric, distance, encode_units, masked_unit_states, resolve_layers
from .metrics import word_prf
from .units import DEFAULT_WINDOW, join_units, random_segment, split_units, windows

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")


# -- scores ------------------------------------------------------------------------------------------------
def adjacent_scores(
    encoder: Encoder,
    units: Sequence[str],
    layer: int = -1,
    *,
    layers: Sequence[int] | None = None,
    metric: str = "euclidean",
    mask_target: bool = True,
    batch_size: int = 64,
    max_tokens: int | None = None,
) -> np.ndarray:
    """Su's score s_i = (f(x_i, x_{i+1}) + f(x_{i+1}, x_i)) / 2 of each adjacent pair: (n-1,) or (L, n-1).

    With ``mask_target=True`` (the paper's f) it runs 2n-1 masked inputs. ``mask_target=False`` is the
    ablation a reader proposed on the paper's issue tracker: the impact of x_j on x_i is measured without
    masking x_i, f'(x_i, x_j) = d(H(x)_i, H(x\\{x_j})_i), which needs only the unmasked input and the n single
    masks (n+1 inputs). ``layer``/``layers`` and the chunking arguments are as in
    :func:`~kexue.probing.impact.impact_matrix`.
    """
    check_metric(metric)
    wanted = resolve_layers(encoder, layer, layers)
    input_ids, spans = encode_units(encoder, units)
    n = len(spans)
    s = torch.zeros(len(wanted), n - 1)
    if n > 1:
        run = dict(layers=wanted, batch_size=batch_size, max_tokens=max_tokens)
        i = torch.arange(n)

        def states(masks: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
            chunks = masked_unit_states(encoder, input_ids, spans, masks, targets, **run)
            return torch.cat([c.cpu() for c in chunks], dim=1)  # (L, inputs, targets, d)

        if mask_target:
            S = states(i[:, None], i[:, None])[:, :, 0]  # S[:, i] = H(x\{x_i})_i
            pairs = torch.stack([i[:-1], i[1:]], 1)
            P = states(pairs, pairs)  # P[:, i] = H(x\{x_i, x_i+1})_{i, i+1}
            s = (distance(S[:, :-1], P[:, :, 0], metric) + distance(S[:, 1:], P[:, :, 1], metric)) / 2
        else:
            X = states(i[None, :0], i[None])[:, 0]  # X[:, i] = H(x)_i, the unmasked input
            neighbours = torch.stack([(i - 1).clamp(min=0), (i + 1).clamp(max=n - 1)], 1)
            N = states(i[:, None], neighbours)  # N[:, j] = H(x\{x_j})_{j-1, j+1}
            # impact of x_{i+1} on x_i, and of x_i on x_{i+1}
            s = (distance(X[:, :-1], N[:, 1:, 0], metric) + distance(X[:, 1:], N[:, :-1, 1], metric)) / 2
    result = s.double().numpy()
    return result if layers is not None else result[0]


def segment_scores(
    encoder: Encoder,
    text: str,
    layer: int | None = None,
    *,
    layers: Sequence[int] | None = None,
    metric: str = "euclidean",
    window: int = DEFAULT_WINDOW,
    mask_target: bool = True,
) -> tuple[list[str], np.ndarray]:
    """The units of ``text`` and the score s_i of each adjacent pair, NaN where a pair is never joined.

    Scores are (n-1,), or (L, n-1) with ``layers=[...]``; NaN marks pairs next to punctuation or across a
    window edge (:func:`windows`). ``layer=None`` takes the encoder's calibrated layer; ``mask_target`` is
    as in :func:`adjacent_scores`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    check_metric(metric)
    if layers is None and layer is None:
        layer = calibration(encoder, metric)["layer"]
    wanted = resolve_layers(encoder, layer, layers)
    units, joinable = split_units(text)
    s = np.full((len(wanted), max(len(units) - 1, 0)), np.nan)
    for start, end in windows(units, window) if units else []:
        if end - start > 1:
            window_units = units[start:end]
            s[:, start : end - 1] = adjacent_scores(
                encoder, window_units, layers=wanted, metric=metric, mask_target=mask_target
            )
    s[:, ~joinable] = np.nan
    return units, s if layers is not None else s[0]


# -- segmentation --------------------------------------------------------------------------------------------
def _stored() -> dict:
    return json.loads(CALIBRATION_FILE.read_text(encoding="utf-8")) if CALIBRATION_FILE.exists() else {}


def calibration(encoder: Encoder, metric: str = "euclidean") -> dict:
    """The calibration (layer, threshold, metric, dev F1) of ``encoder`` for ``metric``: the one shipped in
    ``calibration.json`` (``offline-zh``), else :func:`dev_calibration` (made once per model, then cached)."""
    stored = _stored().get(encoder.name)
    if stored is not None and stored["metric"] == metric:
        return stored
    return dev_calibration(encoder, metric)


@cached_run("segmentation-calibration")
def dev_calibration(encoder: Encoder, metric: str = "euclidean", sentences: int = 120) -> dict:
    """:func:`calibrate` on ``sentences`` People's Daily dev sentences, as :func:`recalibrate` makes it; cached
    (the key holds the encoder's name, configuration and a digest of its weights)."""
    print(f"kexue: no stored segmentation calibration for {encoder.name!r} ({metric}); calibrating on {sentences} "
          "People's Daily dev sentences (once: the result is cached)")
    return calibrate(encoder, sample_sentences("dev", sentences, min_chars=8, max_chars=30), metric=metric)


def segment(
    encoder: Encoder,
    text: str,
    threshold: float | None = None,
    layer: int | None = None,
    metric: str = "euclidean",
    window: int = DEFAULT_WINDOW,
) -> list[str]:
    """Words of ``text``: adjacent units are joined where s_i >= ``threshold``.

    ``threshold``/``layer`` left as None come from the encoder's calibration (:func:`calibration`: shipped for
    ``offline-zh``, made once and cached for any other model); a threshold is on the scale of its layer's
    distances, so change both or neither. Empty or whitespace-only text gives ``[]``; punctuation is always a
    word of its own.
    """
    if threshold is not None and not threshold >= 0:
        raise ValueError(f"threshold must be a number >= 0 (a distance), got {threshold}")
    if threshold is None or layer is None:
        stored = calibration(encoder, metric)
        threshold = stored["threshold"] if threshold is None else threshold
        layer = stored["layer"] if layer is None else layer
    units, s = segment_scores(encoder, text, layer, metric=metric, window=window)
    return join_units(units, s >= threshold)


def best_threshold(
    units_scores: Sequence[tuple[list[str], np.ndarray]],
    gold: Sequence[Sequence[str]],
    thresholds: Sequence[float] | None = None,
) -> tuple[float, float, float]:
    """(threshold, word F1, cut rate) maximising word F1 of ``join_units(units, s >= t)`` against ``gold``.

    ``thresholds=None`` tries the 1st..99th percentiles of the pooled scores (joinable pairs only).
    """
    pooled = np.concatenate([s for _, s in units_scores])
    pooled = pooled[~np.isnan(pooled)]
    if pooled.size == 0:
        raise ValueError("no joinable pairs of units: give sentences of two or more characters")
    grid = np.unique(np.percentile(pooled, np.arange(1, 100))) if thresholds is None else thresholds
    best = (0.0, -1.0, 0.0)
    for t in grid:
        f1 = word_prf([join_units(units, s >= t) for units, s in units_scores], gold).f1
        if f1 > best[1]:
            best = (float(t), f1, float(np.mean(pooled < t)))
    return best


def calibrate(
    encoder: Encoder,
    sentences: Sequence[Sequence[str]],
    layers: Sequence[int] | None = None,
    thresholds: Sequence[float] | None = None,
    metric: str = "euclidean",
    window: int = DEFAULT_WINDOW,
    seed: int = 0,
) -> dict:
    """The (layer, threshold) maximising word F1 on gold-segmented ``sentences`` (each a list of words).

    One pass per sentence scores every layer (default: 1..L); :func:`best_threshold` picks each layer's
    threshold. Also reports the best F1 per layer, the cut rate of the choice and the word F1 of
    :func:`random_segment` at that cut rate (``seed``) on the same sentences.
    """
    layers = list(range(1, encoder.num_layers + 1)) if layers is None else list(layers)
    gold = [list(words) for words in sentences]
    texts = ["".join(words) for words in gold]
    scored = [segment_scores(encoder, text, layers=layers, metric=metric, window=window) for text in texts]
    per_layer = {layer: best_threshold([(u, s[l]) for u, s in scored], gold, thresholds)
                 for l, layer in enumerate(layers)}
    layer = max(per_layer, key=lambda k: per_layer[k][1])
    threshold, f1, cut_rate = per_layer[layer]
    rng = np.random.default_rng(seed)
    baseline = word_prf([random_segment(text, cut_rate, rng) for text in texts], gold).f1
    return {
        "layer": layer,
        "threshold": threshold,
        "metric": metric,
        "dev_word_f1": round(f1, 4),
        "random_cut_word_f1": round(baseline, 4),
        "cut_rate": round(cut_rate, 4),
        "sentences": len(gold),
        "f1_by_layer": {str(k): round(v[1], 4) for k, v in per_layer.items()},
    }


def save_calibration(name: str, result: dict) -> None:
    """Store ``result`` (from :func:`calibrate`) under encoder ``name`` in ``calibration.json``."""
    table = _stored()
    table[name] = result
    CALIBRATION_FILE.write_text(json.dumps(table, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def recalibrate(name: str = "offline-zh") -> dict:
    """Calibrate encoder ``name`` on 120 People's Daily dev sentences of 8-30 characters
    (``kexue.data.sample_sentences``) with all cores, and store the result (this made the stored
    ``offline-zh`` entry)."""
    import os

    from ..models import load_encoder

    torch.set_num_threads(os.cpu_count() or 1)
    result = calibrate(load_encoder(name), sample_sentences("dev", 120, min_chars=8, max_chars=30))
    result["how"] = (
        f"kexue.probing.segment.recalibrate({name!r}): calibrate() on 120 People's Daily dev sentences of "
        "8-30 characters (kexue.data.sample_sentences), layers 1-12, thresholds at the 1st-99th percentiles of "
        "each layer's scores, Euclidean"
    )
    save_calibration(name, result)
    return result
