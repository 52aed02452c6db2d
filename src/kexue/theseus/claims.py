"""The article's numbers, written once here, and the chapter's two tables: accuracy and speed per model, and
"the article says / we measured".

Sources: Su Jianlin, kexue.fm/archives/7575 (iflytek, BERT-base, accuracy in %: the rows of his comparison),
and Xu et al., "BERT-of-Theseus: Compressing BERT by Progressive Module Replacing", EMNLP 2020 (the 6-layer
successor of BERT-base keeps about 98% of its GLUE dev score and runs 1.94x as fast).
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from ..layers import layers_path_of
from ..report import mean_std

# Su's table: iflytek, BERT-base, accuracy (%)
SU_IFLYTEK = {"full": 60.11, ("direct", 6): 58.99, ("direct", 3): 57.96, ("theseus", 6): 59.61, ("theseus", 3): 59.36}
# the paper: share of BERT-base's GLUE dev score kept by the 6-layer successor, and its speed-up
PAPER = {"retained": 0.98, "speed_up_6": 1.94}
ARTICLE = {"su_iflytek": SU_IFLYTEK, "paper": PAPER}


def _model_order(key: Any) -> tuple:
    return (key[0] == "theseus", -key[1])


def summary(results: dict, models: dict, times: dict) -> list[dict]:
    """One row per model in the article's order (``key`` as in :func:`trained_models`): layers, parameters, test
    accuracy (mean ± std over seeds when there are several), Su's iflytek number, inference time and speed-up over
    the full model (``models`` from :func:`trained_models`, ``times`` from :func:`kexue.timing.forward_times`)."""
    keys = ["full"] + sorted((k for k in models if k != "full"), key=_model_order)
    rows = []
    for key in keys:
        if key == "full":
            name, accs = "full (predecessor)", [results["predecessor"]["test accuracy"]]
        else:
            kind, n = key
            name = f"first {n} layers, fine-tuned" if kind == "direct" else f"Theseus, {n} layers"
            accs = [run["test accuracy"] for k, run in results.items() if isinstance(k, tuple) and k[:2] == key]
        model = models[key]
        rows.append({
            "key": key,
            "model": name,
            "layers": len(model.get_submodule(layers_path_of(model))),
            "params (M)": sum(p.numel() for p in model.parameters()) / 1e6,
            "test accuracy": mean_std(accs) if len(accs) > 1 else accs[0],
            "seeds": len(accs),
            "Su: iflytek accuracy (%)": SU_IFLYTEK.get(key, ""),
            "time per batch (s)": times[key],
            "speed-up": times["full"] / times[key],
        })
    return rows


def mean_accuracies(rows: Sequence[dict]) -> dict:
    """``{key: test accuracy}`` from :func:`summary`'s rows, the mean where there are several seeds."""
    return {row["key"]: row["test accuracy"][0] if isinstance(row["test accuracy"], tuple) else row["test accuracy"]
            for row in rows}


def depths(seeds: Mapping[int, Sequence[int]]) -> tuple[int, int]:
    """(deeper, shallower) successor depth of the run: the chapter compares exactly two."""
    if len(seeds) != 2:
        raise ValueError(f"the chapter compares two successor depths, got seeds for {sorted(seeds)}")
    deep, shallow = sorted(seeds, reverse=True)
    return deep, shallow


def claims(rows: Sequence[dict], seeds: Mapping[int, Sequence[int]]) -> list[dict[str, str]]:
    """Rows (claim, article, ours) from :func:`summary`'s rows; ``seeds`` as given to the experiment."""
    by_key = {row["key"]: row for row in rows}
    acc = mean_accuracies(rows)
    deep, shallow = depths(seeds)
    layers = by_key["full"]["layers"]
    su = SU_IFLYTEK

    def gap(n: int) -> str:
        theseus_acc, direct_acc = acc[("theseus", n)], acc[("direct", n)]
        return f"{theseus_acc:.3f} vs {direct_acc:.3f} ({100 * (theseus_acc - direct_acc):+.1f} points)"

    def su_gap(n: int) -> str:
        return f"{su[('theseus', n)]} vs {su[('direct', n)]} (+{su[('theseus', n)] - su[('direct', n)]:.2f})"

    return [
        {"claim": f"Theseus beats fine-tuning the first layers directly ({deep} layers)",
         "article": su_gap(6), "ours": gap(deep)},
        {"claim": f"... and by more at {shallow} layers", "article": su_gap(3), "ours": gap(shallow)},
        {"claim": f"the {deep}-layer successor keeps most of the full model's accuracy",
         "article": f"Su: {su[('theseus', 6)] / su['full']:.1%} (iflytek); "
                    f"paper: ~{PAPER['retained']:.0%} of BERT-base (GLUE dev)",
         "ours": f"{acc[('theseus', deep)] / acc['full']:.1%} ({acc[('theseus', deep)]:.3f} / {acc['full']:.3f})"},
        {"claim": f"the {shallow}-layer successor too",
         "article": f"Su: {su[('theseus', 3)] / su['full']:.1%}",
         "ours": f"{acc[('theseus', shallow)] / acc['full']:.1%}"},
        {"claim": f"{deep} layers of {layers} run about twice as fast",
         "article": f"paper: {PAPER['speed_up_6']:.2f}x (6-layer successor of BERT-base)",
         "ours": f"{by_key[('theseus', deep)]['speed-up']:.2f}x"},
        {"claim": f"{shallow} layers of {layers}",
         "article": "not reported",
         "ours": f"{by_key[('theseus', shallow)]['speed-up']:.2f}x"},
    ]


def claims_setting(run: Any, model: str, batch_shape: Sequence[int]) -> str:
    """The "measured with" line under the claims table, from the chapter's :class:`kexue.runtime.Run`, the
    encoder's name and the shape of the timed batch."""
    seeds = ", ".join(f"{n} layers: {s}" for n, s in run.seeds.items())
    return (
        f"{run.profile} profile; {model} (pruned vocabulary), mean-pooling classifier; reviews, "
        f"{run.n_train} training / {run.n_test} test, {run.max_length} tokens; {run.steps} steps of batch "
        f"{run.batch_size} per model ({run.predecessor_steps} for the predecessor), Theseus {run.replacing_steps} "
        f"steps at p = {run.p} then p = 1; seeds {seeds}; speed: batch {tuple(batch_shape)}, median of "
        f"{run.repeats}, {run.device}")
