"""The CLN experiment's tables and prose: the cache key, the comparison's rows and claims, the words the chapter
glues (they must read right for any outcome), the shift summaries and the start check."""

from dataclasses import asdict
from types import SimpleNamespace

import pytest
import torch

from kexue import cln, tiny_bert
from kexue.data.matching import OTHER_ARTICLE, RELATED, SAME_ARTICLE, TASKS


def scores(f1_a=0.6, f1_b=0.6, acc_a=0.5, acc_b=0.5):
    return {"F1 A": f1_a, "F1 B": f1_b, "F1 mean": (f1_a + f1_b) / 2, "conflict acc A": acc_a,
            "conflict acc B": acc_b, "conflict acc mean": (acc_a + acc_b) / 2}


def fake_result(conditional: bool, seed: int = 0) -> cln.MatchingResult:
    """A result with random predictions on a balanced test set of 6 x 8 pairs (no training)."""
    g = torch.Generator().manual_seed(seed)
    tasks = torch.arange(6).repeat_interleave(8)
    relations = [([SAME_ARTICLE] * 4 + [OTHER_ARTICLE] * 4) if t < 3 else
                 ([RELATED] * 4 + [SAME_ARTICLE] * 2 + [OTHER_ARTICLE] * 2) for t in range(6)]
    relations = [r for rows in relations for r in rows]
    labels = torch.tensor([1 if r == SAME_ARTICLE and t < 3 or r == RELATED else 0
                           for r, t in zip(relations, tasks.tolist())])
    pred = torch.randint(0, 2, (48,), generator=g)
    extra = {}
    if conditional:
        names = ["embeddings.LayerNorm"] + [f"encoder.layer.{i}.{part}.LayerNorm" for i in range(2)
                                            for part in ("attention.output", "output")]
        extra = dict(pred_wrong=torch.randint(0, 2, (48,), generator=g),
                     shifts=torch.randn(6, 5, 2, 4, generator=g), norm_names=names)
    return cln.MatchingResult(config=cln.MatchingConfig(conditional=conditional, steps=30, batch_size=4,
                                                        n_train_per_task=20, n_test_per_task=8),
                              history=None, labels=labels, tasks=tasks, relations=relations, pred=pred, **extra)


def test_matching_run_is_keyed_by_every_field_of_its_config(monkeypatch):
    seen = {}

    def fake_cached(name, config, compute):
        seen.update(name=name, config=config)
        return "stored"

    monkeypatch.setattr("kexue.artifacts.cached", fake_cached)
    config = cln.MatchingConfig(conditional=True, layers=3)
    assert cln.matching_run(config, device="cpu", progress=False) == "stored"
    assert seen["name"] == "cln-matching" and list(seen["config"]["arguments"]) == ["config"]  # no device
    assert seen["config"]["arguments"]["config"] == {"type": "MatchingConfig", **asdict(config)}
    assert list(asdict(config)) == ["conditional", "model", "layers", "max_length", "n_train_per_task",
                                    "n_dev_per_task", "n_test_per_task", "steps", "batch_size", "lr", "head_lr",
                                    "cond_lr", "cond_dim", "eval_every", "seed", "data_seed"]


def test_compare_runs_conditional_then_shared(monkeypatch, tmp_path):
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))  # the baselines' cached runs stay out of the user's cache
    calls = []
    monkeypatch.setattr("kexue.cln.comparison.matching_run",
                        lambda config, **kwargs: calls.append(config) or fake_result(config.conditional))
    comparison = cln.compare(cln.MatchingConfig(conditional=False, steps=7), progress=False)
    assert [c.conditional for c in calls] == [True, False] and {c.steps for c in calls} == {7}
    assert comparison.conditional.config.conditional and not comparison.shared.config.conditional


def test_comparison_tables():
    comparison = cln.MatchingComparison(fake_result(True), fake_result(False, seed=1))
    rows = comparison.rows()
    assert [r["model"] for r in rows] == ["conditional", "conditional, wrong task id", "shared (no condition)",
                                          'always "match" (reference)']
    assert set(cln.COLUMNS) <= set(rows[0])
    assert rows[-1]["F1 mean"] == pytest.approx(2 / 3) and rows[-1]["conflict acc mean"] == 0.5
    assert rows[0] == {"model": "conditional", **comparison.conditional.scores()}
    claims = comparison.claims([0.0, 0.0])
    assert claims[0]["article"] == "≈ 0.74 (offline)" and claims[-1]["ours"] == "max |difference| 0.0e+00"
    assert claims[0]["ours"] == rows[0]["F1 mean"]
    setting = comparison.setting("smoke", torch.device("cpu"))
    assert setting.startswith("smoke profile, offline-zh (first 6 layers), People's Daily matching analogue: "
                              "120 training / 48 test pairs")
    assert setting.endswith("cpu, seed 0; article: the Sohu 2021 data, 5 epochs of batch 16, Adam lr 2e-5 "
                            "with EMA 0.9999")
    facts = comparison.facts()
    assert all(key.startswith("cln-") for key in facts)
    assert facts["cln-passes"] == pytest.approx(30 * 4 / 120) and facts["cln-n-train"] == "120"
    assert facts["cln-always-f1-mean"] == pytest.approx(2 / 3)


def test_verdict_words_follow_the_numbers():
    good, wrong = scores(acc_a=0.7, acc_b=0.6), scores(acc_a=0.4, acc_b=0.3)
    assert cln.condition_verdict(good, wrong).startswith("Yes")
    assert cln.condition_verdict(good, scores(acc_a=0.6, acc_b=0.4)).startswith("Partly")
    assert cln.condition_verdict(scores(acc_a=0.9, acc_b=0.2), wrong).startswith("Not")
    assert cln.criteria_words(0.7, 0.6) == "above 0.5 under both criteria"
    assert cln.criteria_words(0.4, 0.3) == "below 0.5 under both criteria"
    assert cln.criteria_words(0.7, 0.3) == "above 0.5 under A and below it under B"
    assert cln.f1_words(scores(0.7, 0.5), scores(0.6, 0.6)).startswith("the gain is all on A")
    assert cln.f1_words(scores(0.5, 0.7), scores(0.6, 0.6)).startswith("the gain is all on B")
    assert cln.f1_words(scores(0.7, 0.7), scores(0.6, 0.6)) == "the conditional model is higher on both criteria"
    assert cln.f1_words(scores(0.5, 0.5), scores(0.6, 0.6)) == "the conditional model is higher on neither criterion"
    assert cln.models_above(scores(0.7), scores(0.6), "F1 A", 2 / 3) == "the conditional model only"
    assert cln.models_above(scores(0.6), scores(0.6), "F1 A", 2 / 3) == "neither model"
    assert cln.models_above(scores(0.7), scores(0.7), "F1 A", 2 / 3) == "both models"


def test_shift_summaries():
    names = ["embeddings.LayerNorm", "encoder.layer.0.attention.output.LayerNorm", "encoder.layer.0.output.LayerNorm"]
    assert [cln.short_norm_name(n) for n in names] == ["emb", "L1 att", "L1 out"]
    by_criterion = torch.zeros(6, 3, 2, 4)
    by_criterion[:3, :, 0, 0] = torch.tensor([1.0, 1.2, 0.9])[:, None]  # A tasks far out on one axis
    by_criterion[:, 2] *= 0.5
    by_criterion[3:, :, 1, 1] = 0.1
    assert cln.separates_criteria(by_criterion)
    facts = cln.shift_facts(by_criterion, names)
    assert facts["cln-shift-separation"].startswith("put the three A tasks at one end")
    assert facts["cln-shift-largest"] == "emb"  # the first of the two largest
    assert facts["cln-shift-last-ratio"] == pytest.approx(float(cln.shift_sizes(by_criterion).mean(0)[1:].mean()
                                                                / cln.shift_sizes(by_criterion).mean()))
    mixed = torch.zeros(6, 3, 2, 4)
    mixed[[0, 3], :, 0, 0] = 1.0  # one A and one B task together, the others at 0
    assert not cln.separates_criteria(mixed)
    xy, explained = cln.shift_pca(by_criterion)
    assert xy.shape == (6, 2) and explained[0] > 0.5 and explained.sum() <= 1 + 1e-9


def test_start_gaps_are_zero():
    encoder = tiny_bert(layers=1, seed=3)
    pairs = [SimpleNamespace(a="今天天气很好", b="明天会下雨吗"), SimpleNamespace(a="好", b="坏")]
    model, gaps = cln.start_gaps(encoder, pairs, max_length=16)
    assert isinstance(model, cln.ConditionalEncoder) and len(gaps) == len(TASKS)
    assert gaps == [0.0] * len(TASKS)


def _pair(a, b, label, task=0, relation=SAME_ARTICLE):
    from kexue.data.matching import MatchPair
    return MatchPair(a=a, b=b, label=label, task=task, relation=relation)


def test_overlap_baseline_learns_that_shared_characters_mean_a_match():
    import random
    rng = random.Random(0)
    chars = "天地人和日月山水风云花草木石金银"

    def pair(label):
        a = "".join(rng.sample(chars, 6))
        b = a[:4] + "".join(rng.sample(chars, 2)) if label else "".join(rng.sample(chars, 6))
        return _pair(a, b, label)
    train = [pair(i % 2) for i in range(200)]
    test = [pair(i % 2) for i in range(100)]
    features = cln.overlap_features(test[:1])
    a, b = set(test[0].a), set(test[0].b)
    assert features[0, 0] == pytest.approx(len(a & b) / len(a | b))
    scores = cln.overlap_scores(train, test)
    labels = torch.tensor([p.label for p in test])
    s = cln.criterion_scores((scores > 0.5).long(), labels, torch.zeros(100, dtype=torch.long), scores)
    assert s["AUC A"] > 0.8 and s["acc A"] > 0.7
    with pytest.raises(ValueError, match="matching and non-matching"):
        cln.overlap_scores([p for p in train if p.label], test)


def test_median_threshold_calls_half_the_pairs_matches_without_labels():
    from kexue.cln.baselines import median_threshold_predictions
    dev = torch.tensor([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    dev_tasks = torch.tensor([0, 0, 0, 3, 3, 3])
    pred = median_threshold_predictions(dev, dev_tasks, torch.tensor([0.25, 0.15, 0.45, 0.55]),
                                        torch.tensor([0, 0, 3, 3]))
    assert pred.tolist() == [1, 0, 0, 1]  # thresholds 0.2 (task 0) and 0.5 (task 3)
    with pytest.raises(ValueError, match="no dev pairs"):
        median_threshold_predictions(dev, dev_tasks, torch.tensor([0.3]), torch.tensor([1]))


def test_differences_compare_with_the_best_baseline_and_give_a_verdict():
    conditional, shared = fake_result(True), fake_result(False, seed=1)
    perfect = (conditional.labels.clone(), conditional.labels.float())
    comparison = cln.MatchingComparison(conditional, shared,
                                        baselines={"oracle": perfect,
                                                   "always": (torch.ones(48, dtype=torch.long), None)})
    rows = comparison.differences()
    assert [r["claim"].split(":")[0] for r in rows] == ["accuracy on A", "accuracy on B",
                                                         "accuracy on the conflict pairs"]
    assert "(oracle)" in rows[0]["claim"]
    assert rows[0]["ours"].endswith("contradicted")  # random predictions cannot beat a perfect oracle
    table = comparison.baseline_rows()
    assert [r["model"] for r in table][-2:] == ["oracle", "always"]
    assert table[-2]["AUC A"] == 1.0 and table[-2]["acc B"] == 1.0


def test_difference_tests_pool_seeds_and_refuse_other_test_pairs():
    from kexue.cln.comparison import difference_rows, difference_tests
    comparisons = []
    for seed in range(3):
        conditional, shared = fake_result(True, seed=seed), fake_result(False, seed=10 + seed)
        comparisons.append(cln.MatchingComparison(conditional, shared,
                                                  baselines={"always": (torch.ones(48, dtype=torch.long), None)}))
    tests = difference_tests(comparisons)
    one_seed = difference_tests(comparisons[:1])
    for key in ("A", "B", "conflict"):
        d, low, high = tests[key][1]
        assert low <= d <= high
    width = {name: t["conflict"][1][2] - t["conflict"][1][1] for name, t in (("3", tests), ("1", one_seed))}
    assert width["3"] != width["1"]  # the seeds are pooled, not just the first one
    assert len(difference_rows(tests)) == 3
    other = cln.MatchingComparison(fake_result(True), fake_result(False), baselines={})
    other.conditional.labels = 1 - other.conditional.labels
    with pytest.raises(ValueError, match="share their test pairs"):
        difference_tests([comparisons[0], other])
