"""Desensitized text: the result objects, claims and prose values give what the chapter's cells used to compute
by hand (the reference code below is those cells, kept verbatim), and the cached runs keep their cache keys."""

import contextlib
import io
from collections import Counter

import numpy as np
import pytest

from kexue import desensitized as ds
from kexue.desensitized.recovery import JIEBA, OWN_COUNTS, PEOPLES_DAILY
from kexue.desensitized.results import CIPHERED
from kexue.report import difference_cell, mean_interval, mean_std

SEEDS = [0, 1]
STEPS = [0, 2, 4]


def fake_training() -> ds.TrainingRuns:
    """Runs shaped like :func:`ds.experiment`'s, with AUCs from a seeded generator (ties included)."""
    rng = np.random.default_rng(0)
    runs = {}
    for key in ds.training_conditions(SEEDS):
        auc = [0.5] + [float(v) for v in np.round(rng.uniform(0.4, 0.8, len(STEPS) - 1), 2)]
        runs[key] = {"steps": STEPS, "auc": auc, "loss": [1.0], "seconds": float(rng.uniform(5, 50))}
    return ds.TrainingRuns(runs)


def fake_zero(layers: int = 3) -> ds.ZeroShotRuns:
    rng = np.random.default_rng(1)
    return ds.ZeroShotRuns({key: [float(v) for v in rng.uniform(0.5, 0.9, layers + 1)]
                            for key in ds.zero_shot_conditions([0, 1, 2])})


def fake_recovery() -> ds.RecoveryTable:
    rng = np.random.default_rng(2)
    names = [PEOPLES_DAILY, JIEBA, OWN_COUNTS]
    rows = [{"reference": n, "mapping": m, **{k: float(rng.uniform()) for k in
                                               ("ids exact", "tokens exact", "ids similar", "tokens similar")}}
            for n in names for m in ("rank alignment", "random map")]
    return ds.RecoveryTable(rows, {}, {})


# -- the chapter's former cells, as they were ---------------------------------------------------------------
def old_rows(results, baseline):
    def auc_at(init, unlabelled, index):
        values = [r["auc"][index] for (i, u, _), r in results.items() if i == init and u == unlabelled]
        return mean_std(values) if len(values) > 1 else values[0]

    first = next(iter(results.values()))
    middle = len(first["steps"]) // 2
    rows = [{"start": ds.INIT_LABELS[i], "unlabelled texts": "yes" if u else "no",
             "seeds": sum(1 for (i2, u2, _) in results if (i2, u2) == (i, u)),
             f"AUC at step {first['steps'][middle]}": auc_at(i, u, middle),
             f"AUC at step {first['steps'][-1]}": auc_at(i, u, -1),
             "minutes": sum(r["seconds"] for (i2, u2, _), r in results.items() if (i2, u2) == (i, u)) / 60}
            for i, u in dict.fromkeys((i, u) for i, u, _ in results)]
    rows.append({"start": "id-overlap baseline (no model)", f"AUC at step {first['steps'][-1]}": baseline})
    return rows, auc_at, first, middle


def old_zero_rows(zero, layers, zero_shot_layers):
    def zero_at(init, depth):
        values = [aucs[depth] for (i, _), aucs in zero.items() if i == init]
        return mean_std(values) if len(values) > 1 else values[0]

    rows = [{"start": ds.INIT_LABELS[i], "seeds": sum(1 for (i2, _) in zero if i2 == i),
             "AUC, embeddings only": zero_at(i, 0), f"after layer {layers} (the training runs' depth)":
             zero_at(i, layers), f"after layer {zero_shot_layers}": zero_at(i, -1)}
            for i in dict.fromkeys(i for i, _ in zero)]
    return rows, zero_at


def old_claims(results, zero, recovered, seeds, zero_shot_layers):
    _, auc_at, first, middle = old_rows(results, 0.0)
    _, zero_at = old_zero_rows(zero, 2, zero_shot_layers)
    last = -1
    gap = [results[("rank-align", True, s)]["auc"][middle] - results[("random-map", True, s)]["auc"][middle]
           for s in seeds]
    gap_end = [results[("rank-align", True, s)]["auc"][last] - results[("random-map", True, s)]["auc"][last]
               for s in seeds]
    unlabelled_gain = results[("rank-align", True, 0)]["auc"][last] - results[("rank-align", False, 0)]["auc"][last]
    people = next(r for r in recovered if r["reference"] == "People's Daily, test split"
                  and r["mapping"] == "rank alignment")
    return [
        {"claim": "offline AUC of the baseline (their data, 12-layer BERT-base, 100 epochs)", "article": 0.952,
         "ours": auc_at("rank-align", True, last)},
        {"claim": f"rank alignment minus random map, AUC at step {first['steps'][middle]} (per seed)",
         "article": "clearly faster convergence", "ours": ", ".join(f"{g:+.3f}" for g in gap)},
        {"claim": f"the same at step {first['steps'][last]} (per seed)", "article": "–",
         "ours": ", ".join(f"{g:+.3f}" for g in gap_end)},
        {"claim": "pretrained + rank alignment minus random init (seed 0, final AUC)", "article": "pretraining helps",
         "ours": results[("rank-align", True, 0)]["auc"][last] - results[("random-init", True, 0)]["auc"][last]},
        {"claim": "unlabelled texts in the MLM loss (rank alignment, seed 0, final AUC gain)",
         "article": "used (semi-supervised)", "ours": unlabelled_gain},
        {"claim": "true characters instead of the alignment (seed 0, final AUC)", "article": "–",
         "ours": results[("plaintext", True, 0)]["auc"][last]},
        {"claim": f"no training, all {zero_shot_layers} layers: AUC of the rank alignment", "article": "–",
         "ours": zero[("rank-align", 0)][-1]},
        {"claim": "the same, random maps (mean ± sd over seeds)", "article": "–", "ours": zero_at("random-map", -1)},
        {"claim": "the same, true characters (id-overlap baseline: see the figure)", "article": "–",
         "ours": zero[("plaintext", 0)][-1]},
        {"claim": "share of the gap from random maps to true characters that the alignment closes (no training)",
         "article": "–", "ours": (zero[("rank-align", 0)][-1] - zero_at("random-map", -1)[0])
         / (zero[("plaintext", 0)][-1] - zero_at("random-map", -1)[0])},
        {"claim": "cipher ids mapped to their true character (People's Daily counts)", "article": "not measurable",
         "ours": people["ids exact"]},
        {"claim": "token occurrences mapped to their true character", "article": "not measurable",
         "ours": people["tokens exact"]},
        {"claim": "token occurrences mapped to a character of similar frequency (within 2x)", "article": "–",
         "ours": people["tokens similar"]},
    ]


def old_verdicts(results, zero, seeds) -> str:
    first = next(iter(results.values()))

    def verdict(a, b, unlabelled=True):
        wins = [results[(a, unlabelled, s)]["auc"][i] > results[(b, unlabelled, s)]["auc"][i]
                for s in seeds if (a, unlabelled, s) in results and (b, unlabelled, s) in results
                for i in range(1, len(first["steps"]))]
        return f"{sum(wins)} of {len(wins)} (seed, evaluation step) comparisons"

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print("rank alignment above random map:       ", verdict("rank-align", "random-map"))
        print("rank alignment above random init:      ", verdict("rank-align", "random-init"))
        print("true characters above rank alignment:  ", verdict("plaintext", "rank-align"))
        zero_maps = [aucs[-1] for (i, _), aucs in zero.items() if i == "random-map"]
        print("no training, last layer: rank alignment above random map:",
              sum(zero[("rank-align", 0)][-1] > m for m in zero_maps), "of", len(zero_maps), "maps")
        print("with unlabelled above without (rank):  ",
              sum(a > b for a, b in zip(results[("rank-align", True, 0)]["auc"][1:],
                                        results[("rank-align", False, 0)]["auc"][1:])), "of", len(first["steps"]) - 1)
    return out.getvalue()


# -- the tests -----------------------------------------------------------------------------------------------
def test_training_rows_are_the_chapter_table():
    results = fake_training()
    assert results.rows(baseline=0.77) == old_rows(results, 0.77)[0]
    assert results.rows()[-1]["start"] != "id-overlap baseline (no model)"
    assert results.steps == STEPS and results.middle == 1
    assert results.seeds("rank-align") == SEEDS and results.seeds("plaintext") == [0]
    assert dict(results) == results.runs and len(results) == 8  # a mapping over the cached runs


def test_gaps_and_wins_count_seeds_and_evaluations():
    results = fake_training()
    gap = results.gaps("rank-align", "random-map", 1)
    assert gap == [results[("rank-align", True, s)]["auc"][1] - results[("random-map", True, s)]["auc"][1]
                   for s in SEEDS]
    wins, total = results.wins("rank-align", "random-init")
    assert total == len(STEPS) - 1  # random init has one seed: only seed 0 is compared, step 0 skipped
    assert results.wins("rank-align", "rank-align") == (0, 2 * (len(STEPS) - 1))  # ties are not wins
    assert results.best_final() == max(r["auc"][-1] for r in results.values())


def test_zero_shot_rows_and_statistics():
    zero = fake_zero(layers=3)
    assert zero.layers == 3
    assert zero.rows(train_layers=2) == old_zero_rows(zero, 2, 3)[0]
    maps = [zero[("random-map", s)][-1] for s in range(3)]
    assert zero.beats() == (sum(zero[("rank-align", 0)][-1] > m for m in maps), 3)
    share = zero.closed_share()
    assert share == pytest.approx((zero[("rank-align", 0)][-1] - np.mean(maps))
                                  / (zero[("plaintext", 0)][-1] - np.mean(maps)))
    above, depths = zero.depths_above()
    assert depths == 4 and above == sum(zero[("rank-align", 0)][d] > np.mean([zero[("random-map", s)][d]
                                                                             for s in range(3)]) for d in range(4))
    means = [np.mean([zero[(i, s)][2] for s in range(3) if (i, s) in zero]) for i in CIPHERED]
    assert zero.spread(2) == pytest.approx(max(means) - min(means))


def test_claims_and_verdicts_are_the_chapter_cells():
    results, zero, recovered = fake_training(), fake_zero(layers=3), fake_recovery()
    new = ds.claims(results, zero, recovered)
    added = [new.pop(9), new.pop(3)]  # the two rows with an interval came after the refactor
    assert new == old_claims(results, zero, recovered.rows, SEEDS, 3)
    gaps = [results[("rank-align", True, s)]["auc"][-1] - results[("random-map", True, s)]["auc"][-1] for s in SEEDS]
    assert added[1]["ours"] == difference_cell(*mean_interval(gaps))
    maps = zero.values_at("random-map", -1)
    assert added[0]["ours"] == difference_cell(*mean_interval([zero[("rank-align", 0)][-1] - m for m in maps]))
    assert "\n".join(ds.verdict_lines(results, zero)) + "\n" == old_verdicts(results, zero, SEEDS)


def test_claims_setting_names_the_run():
    class Run:
        profile, layers, model, n_eval, steps, lr, device, seeds = "smoke", 2, "tiny", 60, 4, 1e-4, "cpu", [0]

    class Data:
        vocab, train, held_out = [0] * 992, [0] * 200, [0] * 200

    text = ds.claims_setting(Run(), Data())
    assert text.startswith("smoke profile, first 2 layers of tiny with the cipher vocabulary (992 tokens), 200 ")
    assert text.endswith("seeds [0] for the key comparison, 1 seed elsewhere; article: " + ds.ARTICLE["setting"])
    assert "Adam 0.0001, cpu" in text


def test_verdict_words_follow_the_numbers():
    assert ds.compared(0.6, 0.5) == "above" and ds.compared(0.4, 0.5) == "below"
    assert ds.compared(0.5, 0.5) == "level with"
    assert ds.compared(0.9, 0.8, ("beat", "match", "do not reach")) == "beat"
    maps = {("random-map", s): [0.6 + 0.01 * s] for s in range(5)}
    zero = ds.ZeroShotRuns({("plaintext", 0): [0.9], ("rank-align", 0): [0.7], **maps})
    assert ds.zero_shot_verdict(zero) == "holds"  # 0.7 against 0.60..0.64: the interval lies above zero
    zero.runs[("rank-align", 0)] = [0.5]
    assert ds.zero_shot_verdict(zero) == "contradicted"
    zero.runs[("rank-align", 0)] = [0.62]
    assert ds.zero_shot_verdict(zero) == "undetermined at this budget"


def test_prose_values_agree_with_the_tables():
    results, zero, recovered = fake_training(), fake_zero(layers=3), fake_recovery()
    values = ds.prose_values(results, zero, recovered, baseline=0.77, train_layers=2)
    assert values["best-final"] == results.best_final()
    assert values["best-vs-baseline"] == ("above" if results.best_final() > 0.77 else "below")
    claims = {row["claim"]: row["ours"] for row in ds.claims(results, zero, recovered)}
    share = "share of the gap from random maps to true characters that the alignment closes (no training)"
    assert values["zero-share"] == claims[share]
    assert (values["zero-beats"], values["zero-maps"]) == zero.beats()
    assert values["pd-ids-exact"] == recovered.row()["ids exact"]
    assert "baseline" not in values and "layers" not in values  # glued once, where the chapter computes them
    assert all(not isinstance(v, (tuple, list, dict)) for v in values.values())  # each one glues as a scalar


def test_longer_runs_rows_show_each_seed_as_recorded():
    rows = ds.longer_runs_rows()
    assert len(rows) == len(ds.LONGER_RUNS)
    assert rows[2]["true characters"] == "0.58, 0.59" and rows[0]["rank alignment"] == 0.533


def test_recovery_table_rows_flags_and_lookup(tiny):
    pairs = [ds.CipherPair((1, 2, 1), (3, 1), 1), ds.CipherPair((2, 3), (1,), 0)]
    cipher = ds.Cipher({"的": 1, "一": 2, "是": 3})
    vocab = ds.build_vocab(pairs, min_count=1)
    data = ds.CipherData((), (), cipher, tuple(pairs), (), vocab, {})
    references = {"a": Counter({"的": 9, "一": 5, "是": 1}), "b": Counter({"一": 9, "的": 5, "是": 1})}
    table = ds.recovery_table(data, tiny, references)
    assert [(r["reference"], r["mapping"]) for r in table.rows] == [
        ("a", "rank alignment"), ("a", "random map"), ("b", "rank alignment"), ("b", "random map")]
    assert table.row("a")["ids exact"] == 1.0  # counts in the same order as the cipher ids': all right
    assert table.row("b")["ids exact"] == pytest.approx(1 / 3)
    assert set(table.ranks) == set(table.flags) == {"a", "b"}
    with pytest.raises(KeyError, match="no row"):
        table.row("c")


SMOKE_DATA = {"criterion": "A", "kind": "short-short", "n_train": 200, "n_held_out": 200, "min_count": 5,
              "seed": 0}


def small_data() -> ds.CipherData:
    pairs = tuple(ds.CipherPair((1, 2, 3), (2, 3, 4), i % 2) for i in range(6))
    return ds.CipherData((), (), ds.Cipher({"的": 1, "一": 2, "是": 3, "不": 4}), pairs, pairs,
                         ds.build_vocab(pairs, min_count=1), dict(SMOKE_DATA))


def test_compare_inits_keys_each_run_by_the_data_every_setting_and_the_condition(monkeypatch):
    seen = []
    monkeypatch.setattr("kexue.artifacts.cached", lambda name, config, compute: seen.append((name, config)) or
                        {"steps": [0], "auc": [0.5], "loss": [], "seconds": 0.0})
    settings = dict(model="tiny", layers=2, steps=4, eval_every=2, n_eval=60, progress=False)
    results = ds.compare_inits(small_data(), [("rank-align", True, 0), ("plaintext", False, 1)], **settings)
    assert isinstance(results, ds.TrainingRuns) and list(results) == [("rank-align", True, 0), ("plaintext", False, 1)]
    assert [name for name, _ in seen] == ["desensitized"] * 2
    first, second = (config["arguments"] for _, config in seen)
    assert first == {"data": SMOKE_DATA, "init": "rank-align", "unlabelled": True, "seed": 0,
                     "reference": "peoples-daily-test", "model": "tiny", "layers": 2, "steps": 4,
                     "lr": 1e-4, "batch_size": 32, "max_length": 64, "eval_every": 2, "n_eval": 60}
    assert (second["init"], second["unlabelled"], second["seed"]) == ("plaintext", False, 1)


def test_compare_zero_shot_keys_each_start_without_the_device(monkeypatch):
    seen = []
    monkeypatch.setattr("kexue.artifacts.cached", lambda name, config, compute: seen.append((name, config)) or
                        [0.5, 0.5, 0.5])
    zero = ds.compare_zero_shot(small_data(), [("random-map", 1)], model="tiny", layers=2, n_eval=60,
                                device="cpu")
    assert isinstance(zero, ds.ZeroShotRuns) and zero.layers == 2
    assert seen == [("desensitized-zero-shot", {
        "function": "kexue.desensitized.experiments.zero_shot_run", "version": 1,
        "arguments": {"data": SMOKE_DATA, "init": "random-map", "seed": 1, "model": "tiny", "layers": 2,
                      "n_eval": 60, "max_length": 64, "reference": "peoples-daily-test"}})]


def test_conditions_are_the_chapter_lists():
    seeds = [0, 1]
    assert ds.training_conditions(seeds) == (
        [(init, True, seed) for init in ("rank-align", "random-map") for seed in seeds]
        + [("random-init", True, 0), ("plaintext", True, 0)]
        + [(init, False, 0) for init in ("rank-align", "random-map")])
    zs = [0, 1, 2, 3, 4]
    assert ds.zero_shot_conditions(zs) == ([("plaintext", 0), ("rank-align", 0)] + [("random-map", s) for s in zs]
                                          + [("random-init", s) for s in zs[:2]])


def test_every_glue_name_is_glued_once_and_every_one_the_prose_uses_exists():
    """myst-nb warns on a glue name glued twice (the book build turns warnings into errors) and on a missing one."""
    import re
    from pathlib import Path

    chapter = (Path(__file__).resolve().parents[1] / "book" / "desensitized.md").read_text(encoding="utf-8")
    in_cells = re.findall(r'glue\("(desens-[\w-]+)"', chapter)
    values = ds.prose_values(fake_training(), fake_zero(), fake_recovery(), baseline=0.7, train_layers=2)
    glued = in_cells + [f"desens-{name}" for name in values]
    assert len(glued) == len(set(glued)), sorted(n for n in glued if glued.count(n) > 1)
    used = set(re.findall(r"\{glue:text\}`([\w-]+)", chapter))
    assert used <= set(glued), sorted(used - set(glued))
