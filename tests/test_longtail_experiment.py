"""The chapter's experiment objects: cache keys of the CNN runs, FashionRuns tables and verdicts on synthetic
logits, the 2-D toy experiment, the loss-forms check and the figures."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch

from kexue import longtail as lt
from kexue import artifacts
from kexue.longtail import experiment
from kexue.viz import longtail as longtail_viz

COUNTS = [600, 300, 150, 60, 30, 6]  # ρ = 100, six classes
NAMES = ["a", "b", "c", "d", "e", "f"]


def _data(seed=0):
    y_test = torch.arange(6).repeat_interleave(50)
    return lt.LongTailImages(
        x_train=torch.zeros(sum(COUNTS), 1, 14, 14), y_train=torch.zeros(sum(COUNTS), dtype=torch.int64),
        x_test=torch.zeros(len(y_test), 1, 14, 14), y_test=y_test, counts=np.array(COUNTS),
        prior=torch.tensor(COUNTS, dtype=torch.float64) / sum(COUNTS),
        config={"name": "fashion-mnist-lt", "rho": 100, "n_max": 600, "size": 14, "seed": seed})


def _balanced_logits(data, seed):
    """Logits of a model that learnt log p(x|y) (a margin of 1.5 for the true class, noise): read raw they
    are the balanced rule; adding log π gives what ERM learns."""
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(len(data.y_test), 6, generator=g, dtype=torch.float64)
    return z + 1.5 * torch.nn.functional.one_hot(data.y_test, 6)


def _runs():
    data = _data()
    la = [_balanced_logits(data, s) for s in range(3)]
    erm = [z + data.prior.log() for z in la]
    return lt.FashionRuns(data, [0, 1, 2], 1, 16, erm, la, {0.5: [la[0] + 0.5 * data.prior.log()]})


def test_cnn_runs_are_keyed_by_the_data_set_and_every_setting(monkeypatch):
    seen = []
    monkeypatch.setattr(artifacts, "cached", lambda name, config, compute: seen.append((name, config)) or "hit")
    assert lt.cnn_test_logits(_data(), tau=1.0, seed=2, epochs=20) == "hit"
    lt.cnn_test_logits(_data(seed=3), tau=1.0, seed=2, epochs=20, progress=False)
    (name, first), (_, second) = seen
    assert name == "logit-adjustment-cnn" and first["function"].endswith("cnn_test_logits")
    assert first["arguments"] == {"data": {"name": "fashion-mnist-lt", "rho": 100, "n_max": 600, "size": 14,
                                           "seed": 0}, "tau": 1.0, "seed": 2, "epochs": 20, "batch_size": 128,
                                  "lr": 1e-3, "width": 32}
    assert second["arguments"]["data"]["seed"] == 3  # another draw of the data set gets its own key


def test_fashion_runs_trains_every_seed_and_the_sweep_once(monkeypatch):
    calls = []

    def fake(data, *, tau, seed, epochs, width, progress):
        calls.append((tau, seed, epochs, width))
        return torch.zeros(len(data.y_test), 6)

    monkeypatch.setattr(experiment, "cnn_test_logits", fake)
    runs = lt.fashion_runs(_data(), seeds=[3, 4], sweep_taus=[0.5, 2.0], epochs=2, width=8)
    assert calls == [(0.0, 3, 2, 8), (0.0, 4, 2, 8), (1.0, 3, 2, 8), (1.0, 4, 2, 8), (0.5, 3, 2, 8), (2.0, 3, 2, 8)]
    assert len(runs.erm) == len(runs.la) == 2 and sorted(runs.la_sweep()) == [0.0, 0.5, 1.0, 2.0]


def test_results_rows_and_per_class_come_from_the_prediction_rules():
    runs = _runs()
    d = runs.data
    for (method, rule), (which, trained_with, goal) in lt.METHODS.items():
        logits = runs.erm if which == "erm" else runs.la
        expected = lt.evaluate_runs(logits, d.y_test, d.prior, runs.groups, trained_with=trained_with, goal=goal)
        assert runs.results[(method, rule)] == expected
    assert [(r["method (τ = 1)"], r["prediction"]) for r in runs.rows()] == list(lt.METHODS)
    assert runs.erm_scores == runs.results[("ERM", "argmax f")]
    per_class = runs.per_class()
    assert list(per_class) == ["ERM", "post-hoc", "LA loss"]
    assert np.allclose(per_class["post-hoc"], per_class["LA loss"])  # post-hoc undoes exactly the log π added
    assert per_class["ERM"][-1] < per_class["LA loss"][-1] and per_class["ERM"][0] > per_class["LA loss"][0]


def test_claims_hold_the_article_numbers_and_ours():
    runs = _runs()
    claims = runs.claims()
    assert [c["article"] for c in claims[:3]] == [lt.ARTICLE["erm"], lt.ARTICLE["post-hoc"], lt.ARTICLE["loss"]]
    assert claims[3]["article"] == pytest.approx(0.059) and claims[5]["article"] == pytest.approx(0.006)
    assert claims[0]["ours"] == runs.results[("ERM", "argmax f")]["balanced acc"]
    assert claims[7]["claim"] == "best loss τ of [0.0, 0.5, 1.0] (1 seed)"
    assert claims[7]["ours"] == "1"  # the la runs are the balanced rule: τ = 1 is best
    setting = runs.setting("smoke", "cpu")
    assert "14x14" in setting and "width 16" in setting and "seeds [0, 1, 2]" in setting and "(ρ = 100)" in setting


def test_findings_say_what_the_numbers_say():
    runs = _runs()
    found = runs.findings(NAMES)
    assert found["posthoc-verdict"] == "holds" and found["loss-verdict"] == "holds"
    assert found["edge"] == pytest.approx(0.0) and found["edge-comparison"] == "not distinguishable at this budget from"
    assert found["head-change"] < 0 < found["tail-change"] and found["trade"] == "is what we see"
    assert found["skewed-verdict"] == "both below ERM, as expected"
    assert found["plain-comparison"] == "not distinguishable at this budget from"  # the same predictions as ERM
    assert found["top-class"] in NAMES[3:] and found["top-gain"] > 0
    assert found["article-edge"] == pytest.approx(lt.ARTICLE["loss"] - lt.ARTICLE["post-hoc"])
    assert found["best-loss-tau"] == 1.0
    # swap the roles: ERM now is the balanced model, and the claims are contradicted
    flipped = lt.FashionRuns(runs.data, runs.seeds, 1, 16, runs.la, runs.erm)
    worse = flipped.findings(NAMES)
    assert worse["loss-verdict"] == "is contradicted" and worse["trade"] == "is not what we see"


@pytest.mark.parametrize("outcome, claim, comparison", [
    ("holds", "holds", "above"),
    ("contradicted", "is contradicted", "below"),
    ("undetermined at this budget", "is undetermined at this budget", "not distinguishable at this budget from"),
])
def test_verdict_phrases(outcome, claim, comparison):
    assert lt.claim_phrase(outcome) == claim and lt.comparison_phrase(outcome) == comparison


def test_loss_forms_table_agrees_and_ends_with_plain_cross_entropy():
    rows = lt.loss_forms_table(taus=(0.0, 1.0))
    assert [r["τ"] for r in rows] == ["0", "1", "1"] and rows[-1]["prior"] == "uniform"
    for row in rows[:-1]:
        assert abs(row["softmax form"] - row["pairwise form"]) < 1e-12
    assert rows[-1]["softmax form"] == pytest.approx(rows[-1]["pairwise form"], abs=1e-12)
    assert rows[0]["softmax form"] == pytest.approx(rows[-1]["pairwise form"], abs=1e-12)  # τ = 0 is plain CE


def test_gaussian_toy_experiment_scores_three_rules(one_thread):
    toy = lt.gaussian_toy_experiment((200, 20, 5), steps=50, check_per_class=300)
    assert list(toy.rules) == ["ERM", "ERM + post-hoc (τ = 1)", "logit-adjusted loss (τ = 1)"]
    with torch.no_grad():
        z = toy.rules["ERM"](toy.x_check)
        assert torch.equal(toy.rules["ERM + post-hoc (τ = 1)"](toy.x_check), lt.adjust_logits(z, toy.prior))
    bayes = lt.balanced_accuracy(toy.bayes_logits(toy.x_check).argmax(1), toy.y_check, 3)
    assert toy.bayes == bayes and toy.describe().endswith("on 900 balanced test points")
    assert all(0 <= acc <= 1 for acc in toy.balanced.values())


def test_figures_have_one_panel_per_rule_and_metric(one_thread):
    toy = lt.gaussian_toy_experiment((50, 10, 3), steps=5, check_per_class=20)
    fig = longtail_viz.toy_panels(toy)
    assert len(fig.axes) == 3 and fig.axes[0].get_title().startswith("ERM\nbalanced accuracy")
    runs = _runs()
    fig = longtail_viz.tau_sweeps(runs.curves, reference=runs.erm_scores)
    assert [ax.get_ylabel() for ax in fig.axes] == ["balanced acc", "acc (train distribution)"]
