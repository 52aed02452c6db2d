"""Summaries of the per-epoch curves: final values, the "second descent" of the test loss, and one table row
per setting (flood level or method) with mean ± std over seeds.

Results are dicts {(setting, seed): curves}, curves as returned by :func:`kexue.flooding.track_training`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..report import mean_std

Results = dict[tuple[Any, int], dict]


def final_value(curves: dict[str, list[float]], key: str, last: int = 1) -> float:
    """Mean of ``curves[key]`` over the last ``last`` evaluations (smooths epoch-to-epoch noise)."""
    values = curves[key][-last:]
    return float(np.mean(values))


def _smoothed_test_loss(curves: dict[str, list[float]], window: int) -> np.ndarray:
    values = np.asarray(curves["test_loss"])
    window = max(1, min(window, len(values)))
    return np.convolve(values, np.ones(window) / window, mode="valid")


def second_descent(curves: dict[str, list[float]], window: int) -> float:
    """How far the test loss comes back down after its peak (the "second descent"): the maximum of its moving
    average over ``window`` evaluations minus the last moving average; 0 when the test loss is still rising."""
    smooth = _smoothed_test_loss(curves, window)
    return float(smooth.max() - smooth[-1])


def rise_to_peak(curves: dict[str, list[float]], window: int) -> float:
    """How far the smoothed test loss (moving average over ``window`` evaluations) climbs to its peak from its
    lowest point before it; 0 when the peak is the first value (the test loss never rose)."""
    smooth = _smoothed_test_loss(curves, window)
    peak = int(smooth.argmax())
    return float(smooth[peak] - smooth[: peak + 1].min())


def largest_jump(curves: dict[str, list[float]], key: str = "train_loss") -> float:
    """The largest rise of ``curves[key]`` from one evaluation to the next (0 if it never rises): a spike."""
    values = np.asarray(curves[key])
    return float(max(0.0, np.diff(values).max())) if len(values) > 1 else 0.0


def curve_gap(results: Results, a: Any, b: Any, seed: int, key: str = "test_acc") -> float:
    """Mean |difference| of the ``key`` curves of settings ``a`` and ``b`` over the evaluations of one seed."""
    return float(np.abs(np.subtract(results[a, seed][key], results[b, seed][key])).mean())


def settings_and_seeds(results: Results) -> tuple[list[Any], list[int]]:
    """The settings and the seeds of ``results``, each in first-seen order."""
    return list(dict.fromkeys(k for k, _ in results)), list(dict.fromkeys(s for _, s in results))


def seed_differences(results: Results, setting: Any, baseline: Any, measure: Callable[[dict], float]) -> list[float]:
    """Per seed, ``measure`` of the run of ``setting`` minus that of ``baseline`` on the same seed (same data,
    noise, initialisation and batch order)."""
    _, seeds = settings_and_seeds(results)
    return [measure(results[setting, s]) - measure(results[baseline, s]) for s in seeds]


def paired_differences(results: Results, setting: Any, baseline: Any, key: str = "test_acc",
                       last: int = 1) -> list[float]:
    """Per seed, the final ``key`` of ``setting`` minus that of ``baseline`` on the same seed."""
    return seed_differences(results, setting, baseline, lambda curves: final_value(curves, key, last))


def summarize(results: Results, *, last: int = 1, baseline: Any = None,
              name: str = "setting") -> list[dict[str, Any]]:
    """One row per setting (the first element of each key, in column ``name``): mean ± std over seeds of the final
    test accuracy, the best test accuracy during training, the final test loss and its drop after the peak
    (:func:`second_descent`), the final training loss and accuracy ("final": the mean of the last ``last``
    evaluations); with ``baseline`` (a setting), also the mean ± std over
    seeds of the paired difference in final test accuracy to it."""
    settings, seeds = settings_and_seeds(results)

    rows = []
    for setting in settings:
        runs = [results[setting, s] for s in seeds]
        row = {
            name: setting,
            "test acc (final)": mean_std([final_value(r, "test_acc", last) for r in runs]),
            "test acc (best epoch)": mean_std([max(r["test_acc"]) for r in runs]),
            "test loss (final)": mean_std([final_value(r, "test_loss", last) for r in runs]),
            "test loss drop after peak": mean_std([second_descent(r, last) for r in runs]),
            "train loss (final)": mean_std([final_value(r, "train_loss", last) for r in runs]),
            "train acc (final)": mean_std([final_value(r, "train_acc", last) for r in runs]),
        }
        if baseline is not None:
            row[f"Δ test acc vs {baseline}"] = mean_std(paired_differences(results, setting, baseline, last=last))
        rows.append(row)
    return rows
