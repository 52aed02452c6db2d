"""The flooding package's summaries, claims and prose facts, and the cache keys of its experiments."""

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from kexue import flooding as F
from kexue import artifacts


def _curves(test_acc, test_loss=None, train_loss=None, train_acc=None):
    n = len(test_acc)
    return {"epoch": list(range(1, n + 1)), "test_acc": list(test_acc),
            "test_loss": list(test_loss or [1.0] * n), "train_loss": list(train_loss or [0.5] * n),
            "train_acc": list(train_acc or [0.9] * n)}


def _sweep():
    """Two seeds, b = 0 memorises (train acc 1.0, test loss rising), b = 0.3 and 0.8 flood."""
    sweep = {}
    for seed, shift in ((0, 0.0), (1, 0.01)):
        sweep[0.0, seed] = _curves([0.70, 0.74 + shift, 0.70 + shift], [1.0, 0.9, 2.0],
                                   [1.0, 0.1, 0.001], [0.6, 0.95, 1.0])
        sweep[0.3, seed] = _curves([0.70, 0.74 + shift, 0.73 + shift], [1.0, 1.2, 1.1],
                                   [1.0, 0.3, 0.3], [0.6, 0.85, 0.85])
        sweep[0.8, seed] = _curves([0.70, 0.72 + shift, 0.72 + shift], [1.0, 0.9, 0.95],
                                   [1.0, 0.8, 0.8], [0.6, 0.7, 0.7])
    return sweep


def _b_free():
    out = {}
    for seed in (0, 1):
        out["sgd", seed] = _curves([0.5, 0.6, 0.6], train_loss=[1.0, 0.5, 0.2], train_acc=[0.5, 0.8, 0.9])
        out["descent-ascent", seed] = _curves([0.5, 0.62, 0.65], train_loss=[1.0, 0.9, 0.6],
                                              train_acc=[0.5, 0.7, 0.8])
        out["penalty", seed] = _curves([0.5, 0.61, 0.64], train_loss=[1.0, 0.6, 0.6], train_acc=[0.5, 0.7, 0.8])
    return out


# ---- summaries -------------------------------------------------------------------------------------------------


def test_rise_to_peak_and_largest_jump():
    assert F.rise_to_peak({"test_loss": [3.0, 1.0, 2.0, 4.0, 3.0]}, window=1) == pytest.approx(3.0)
    assert F.rise_to_peak({"test_loss": [3.0, 2.0, 1.0]}, window=1) == 0.0  # the peak is the first value
    assert F.largest_jump({"train_loss": [1.0, 0.5, 0.9, 0.8]}) == pytest.approx(0.4)
    assert F.largest_jump({"train_loss": [1.0, 0.5]}) == 0.0
    assert F.largest_jump({"train_loss": [1.0]}) == 0.0


def test_paired_differences_and_settings():
    sweep = _sweep()
    assert F.settings_and_seeds(sweep) == ([0.0, 0.3, 0.8], [0, 1])
    assert F.paired_differences(sweep, 0.3, 0.0) == pytest.approx([0.03, 0.03])
    rows = F.summarize(sweep, baseline=0.0, name="b")
    assert rows[1]["Δ test acc vs 0.0"][0] == pytest.approx(0.03)


def test_epoch_swing_is_the_mean_absolute_change_at_the_end():
    assert F.epoch_swing({"test_loss": [5.0, 1.0, 2.0, 1.5]}, last=2) == pytest.approx(0.75)
    assert F.epoch_swing({"test_loss": [1.0]}, last=3) == 0.0


# ---- verdicts ---------------------------------------------------------------------------------------------------


def test_memorised_bounds_the_share_of_wrong_labels_fitted():
    assert F.memorised(1.0, 0.2) == "so at least 100% of the wrong labels have been memorised"
    assert F.memorised(0.9, 0.2) == "so at least 50% of the wrong labels have been memorised"
    assert "nothing shows" in F.memorised(0.5, 0.2)
    assert "nothing shows" in F.memorised(1.0, 0.0)


def test_gain_verdict_follows_the_interval():
    assert "one seed" in F.gain_verdict([0.02])
    assert F.gain_verdict([0.02, 0.021, 0.019]).endswith("lies above zero")
    assert F.gain_verdict([-0.02, -0.021, -0.019]).endswith("lies below zero")
    assert F.gain_verdict([0.05, -0.04, 0.01]).endswith("includes zero")
    assert "95% confidence interval over the 3 seeds" in F.gain_verdict([0.05, -0.04, 0.01])


def test_relu_small_clause():
    assert "too small to switch" in F.relu_small_clause(1e-5, [1.7, 3.1, 45.0])
    assert "larger than the update" in F.relu_small_clause(40.0, [1.7, 3.1, 45.0])
    assert "has not vanished" in F.relu_small_clause(0.5, [1.7, 3.1])


def test_sweep_facts_read_right_for_the_numbers():
    sweep = _sweep()
    rows = F.summarize(sweep, last=1, baseline=0.0, name="b")
    facts = F.sweep_facts(sweep, rows, noise=0.2, last=1)
    assert facts["plain-train-acc"] == pytest.approx(1.0)
    assert "100% of the wrong labels" in facts["plain-memorised"]
    assert facts["plain-test-loss-min"] == pytest.approx(0.9)
    assert facts["top-level"] == "b = 0.8" and facts["top-vs-plain"] == "below"
    assert facts["lowest-loss-level"] == "b = 0.8"
    assert facts["best-level"] == "b = 0.3" and facts["best-delta"] == pytest.approx(0.03)
    assert facts["worst-level"] == "b = 0.8" and facts["worst-delta"] == pytest.approx(0.02)
    assert facts["best-gain-verdict"].endswith("lies above zero") or "includes zero" in facts["best-gain-verdict"]
    assert facts["best-in-paper-grid"] == "outside"
    assert facts["early-stop-word"] == "beats"  # best epoch 0.745 against 0.735 final at b = 0.3
    assert facts["early-stop-gap"] == pytest.approx(0.01)
    assert facts["descent-level"] == "b = 0.3" and facts["descent-drop"] == pytest.approx(0.1)
    assert facts["descent-context"].startswith("after a rise of 0.200")
    assert facts["descent-vs-swing"] == "as large as"  # last step 1.2 -> 1.1: swing 0.1
    assert facts["descent-test"] == "+0.100 [+0.100, +0.100], holds"  # b = 0 never falls from its peak
    assert facts["lowest-loss-test"] == "+1.050 [+1.050, +1.050], holds"  # 2.0 at b = 0, 0.95 at b = 0.8
    assert facts["paper-b-low"] == pytest.approx(0.01) and facts["paper-b-high"] == pytest.approx(0.10)
    assert all(isinstance(v, (float, str)) for v in facts.values())
    with pytest.raises(ValueError, match="b = 0"):
        F.sweep_facts({k: v for k, v in sweep.items() if k[0] == 0.0}, rows[:1], noise=0.2, last=1)


def test_b_free_facts():
    b_free = _b_free()
    rows = F.summarize(b_free, last=1, baseline="sgd", name="method")
    facts = F.b_free_facts(b_free, rows)
    assert facts["b-free-to-penalty"] == pytest.approx((0 + 0.01 + 0.01) / 3)
    assert facts["b-free-to-sgd"] == pytest.approx((0 + 0.02 + 0.05) / 3)
    assert facts["b-free-closer"].startswith("closer to the penalty")
    assert facts["b-free-fit-word"] == "less closely"
    assert facts["b-free-acc-word"] == "higher"
    assert facts["b-free-sgd-spike"] == 0.0 and facts["b-free-penalty-spike"] == 0.0
    assert facts["b-free-final-spread"] == pytest.approx(0.05)


def test_expansion_facts():
    rows = [{"eps": e, "update": e**2, "abs_gap": e**3, "rel_gap": e} for e in (0.1, 0.01, 0.001)]
    relu = [{"eps": 0.1, "update": 1e-2, "abs_gap": 1e-1, "rel_gap": 10.0},
            {"eps": 0.01, "update": 1e-4, "abs_gap": 3e-3, "rel_gap": 30.0},
            {"eps": 0.001, "update": 1e-6, "abs_gap": 1e-17, "rel_gap": 1e-11}]
    checks = {F.GELU_EQUAL: rows, F.GELU_DOUBLE: rows, F.RELU_EQUAL: relu}
    slopes = {name: F.expansion_slopes(r) for name, r in checks.items()}
    facts = F.expansion_facts(checks, slopes)
    assert facts["gelu-gap"] == pytest.approx(3.0) and facts["gelu-verdict"].startswith("exactly")
    assert facts["relu-peak-rel"] == pytest.approx(30.0)
    assert facts["relu-small-eps"] == pytest.approx(0.001)
    assert "too small to switch" in facts["relu-small-clause"]
    wrong = {**slopes, F.GELU_EQUAL: {"update": 2.0, "abs_gap": 2.0, "rel_gap": 0.0}}
    assert F.expansion_facts(checks, wrong)["gelu-verdict"].startswith("not the")


# ---- claims -----------------------------------------------------------------------------------------------------


def test_claims_rows_and_setting():
    sweep, b_free = _sweep(), _b_free()
    rows = F.summarize(sweep, last=1, baseline=0.0, name="b")
    b_free_rows = F.summarize(b_free, last=1, baseline="sgd", name="method")
    fit = {"update": 2.0, "abs_gap": 3.0, "rel_gap": 1.0}
    claims = F.claims(sweep, b_free, {F.GELU_EQUAL: fit, F.RELU_EQUAL: {**fit, "abs_gap": 1.5}}, last=1)
    assert [set(c) for c in claims] == [{"claim", "article", "ours"}] * 7
    assert claims[0]["ours"] == "b = 0: final training loss 0.0010 ± 0.0000"
    assert claims[1]["ours"] == "b = 0.3: 0.300 ± 0.000; b = 0.8: 0.800 ± 0.000"
    # test loss, b = 0 minus b: 2.0 - 1.1 and 2.0 - 0.95 on both seeds: no spread, a point interval above zero
    assert claims[2]["ours"] == "b = 0.3: +0.900 [+0.900, +0.900], holds; b = 0.8: +1.050 [+1.050, +1.050], holds"
    assert claims[4]["article"] == "modest gains; b chosen from {0.00, 0.01, …, 0.10} on validation data"
    # test accuracy, b minus b = 0: +0.03 and +0.02 on both seeds
    assert claims[4]["ours"] == "b = 0.3: +0.030 [+0.030, +0.030], holds; b = 0.8: +0.020 [+0.020, +0.020], holds"
    assert claims[5]["ours"] == "GELU MLP: gap ∝ ε^3.00, update ∝ ε^2.00; ReLU MLP: gap ∝ ε^1.50"
    # curve gaps: to SGD (0 + 0.02 + 0.05) / 3, to the penalty (0 + 0.01 + 0.01) / 3, so closer to the penalty
    assert claims[6]["ours"] == "+0.017 [+0.017, +0.017], holds"
    one_seed = {key: curves for key, curves in sweep.items() if key[1] == 0}
    assert F.claims(one_seed, b_free, {F.GELU_EQUAL: fit, F.RELU_EQUAL: fit}, last=1)[4]["ours"].endswith(
        "[-inf, +inf], undetermined at this budget")
    diffs = F.seed_differences(sweep, 0.3, 0.0, lambda c: c["test_acc"][-1])
    assert diffs == pytest.approx([0.03, 0.03])
    assert F.tested_difference([0.01, 0.03, -0.01]).endswith("undetermined at this budget")
    assert F.best_level(rows) == 0.3
    with pytest.raises(ValueError, match="no flood level"):
        F.best_level(rows[:1])
    run = SimpleNamespace(profile="smoke", hidden=64, n_train=200, noise=0.2, n_test=500, epochs=8, eps1=0.1,
                          eps2=0.05, seeds=[0], b_free_seeds=[0], last=3, device="cpu")
    setting = F.claims_setting(run)
    assert setting.startswith("smoke profile; MLP 784-64-64-10;") and "20% symmetric label noise" in setting


# ---- the expansion network and the cache keys ------------------------------------------------------------------


def test_expansion_network_does_not_depend_on_what_ran_before():
    a = F.expansion_network(16, seed=3)
    torch.randn(1000)  # whatever ran before (e.g. a training run in the same kernel) moves the global generator
    b = F.expansion_network(16, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert next(a.parameters()).dtype == torch.float64


def test_expansion_checks_and_slope_rows():
    torch.manual_seed(0)
    net = F.expansion_network(8, seed=0)
    batch = (torch.rand(16, 1, 28, 28, dtype=torch.float64), torch.randint(0, 10, (16,)))
    checks = F.expansion_checks(net, batch, [1e-1, 1e-2])
    assert list(checks) == [F.GELU_EQUAL, F.GELU_DOUBLE, F.RELU_EQUAL]
    assert all(len(rows) == 2 and all(math.isfinite(r["rel_gap"]) for r in rows) for rows in checks.values())
    rows = F.slope_rows({name: F.expansion_slopes(r) for name, r in checks.items()}, max_eps=0.1)
    assert list(rows[0]) == ["network and rates (ε ≤ 0.1)", "slope of log update", "slope of log abs_gap",
                             "slope of log rel_gap"]


def test_every_run_is_keyed_by_all_its_arguments_defaults_included(monkeypatch):
    seen = []
    monkeypatch.setattr(artifacts, "cached", lambda name, config, compute: seen.append((name, config)))
    config = dict(n_train=200, noise=0.2, hidden=64, n_test=500, epochs=8)
    F.flooding_sweep([0.0, 0.3], [0], **config)
    F.b_free_comparison([0], eps1=0.1, eps2=0.05, **config)
    names = [name for name, _ in seen]
    assert names == ["flooding"] * 2 + ["flooding-b-free"] * len(F.B_FREE_METHODS)
    first = seen[0][1]["arguments"]
    assert first == {"b": 0.0, "seed": 0, "batch_size": 100, "lr": 1e-3, "depth": 2, **config}
    assert [c["arguments"]["method"] for _, c in seen[2:]] == list(F.B_FREE_METHODS)
    assert seen[2][1]["function"].endswith("run_b_free") and seen[2][1]["arguments"]["eps2"] == 0.05


def test_flipped_fraction():
    data = {"y": torch.tensor([0, 1, 2, 3]), "y_clean": torch.tensor([0, 1, 0, 0])}
    assert F.flipped_fraction(data) == pytest.approx(0.5)
    assert np.isclose(F.flipped_fraction({"y": torch.tensor([1]), "y_clean": torch.tensor([1])}), 0.0)
