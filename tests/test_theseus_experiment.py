"""BERT-of-Theseus, the chapter's experiment: seeded runs (the same weights whatever ran before), the cache
keys, the tables and the numbers the prose shows (the runs are cached in an empty folder of the test's own)."""

import re
from pathlib import Path

import pytest
import torch

from kexue import artifacts
from kexue import theseus as th
from kexue.records import load_record
from kexue.runtime import Run
from kexue.theseus import experiment
from kexue.timing import forward_times

SIZES = dict(model="tiny", n_train=64, n_dev=32, n_test=32, max_length=16, batch_size=16, predecessor_steps=3,
             steps=3, replacing_steps=2, p=0.5, lr=1e-3, theseus_lr=1e-3, eval_every=2)
CHAPTER = Path(__file__).resolve().parents[1] / "book" / "bert-of-theseus.md"


def _states(results: dict) -> dict:
    return {k: v["state"] for k, v in results.items() if k not in ("encoder", "data")}


def _assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].keys() == b[key].keys(), key
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), (key, name)


@pytest.fixture(autouse=True, scope="module")
def empty_cache(tmp_path_factory):
    """The runs are cached: each test module starts from an empty cache of its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("KEXUE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def test_same_settings_give_the_same_weights_whatever_ran_before(monkeypatch):
    """Issue 19: the predecessor's new head came from the global generator, so anything that drew from it
    after loading the encoder (converting offline-zh on first use) changed the predecessor and every successor
    under the same cache key. Every run is seeded now."""
    monkeypatch.setenv("KEXUE_NO_CACHE", "1")  # compute both times
    first = th.compression_experiment(**SIZES, seeds={1: [0]})
    original = experiment.review_tensors

    def disturbed(*args, **kwargs):
        out = original(*args, **kwargs)
        torch.rand(1000)  # as a model conversion in this process would
        return out

    monkeypatch.setattr(experiment, "review_tensors", disturbed)
    torch.manual_seed(123)
    second = th.compression_experiment(**SIZES, seeds={1: [0]})
    _assert_same_weights(_states(first), _states(second))
    for key in ("predecessor", ("direct", 1, 0), ("theseus", 1, 0)):
        assert first[key]["history"].losses == second[key]["history"].losses
        assert first[key]["test accuracy"] == second[key]["test accuracy"]


def test_the_replacement_draws_ignore_the_global_generator(tiny):
    from kexue.text import MeanPoolClassifier

    model = MeanPoolClassifier(tiny.base, 2, tiny.pad_id)
    draws = []
    for global_seed in (0, 1):
        torch.manual_seed(global_seed)
        theseus = th.Theseus(model, 2, p=0.5, seed=7, replace_embeddings=True)
        draws.append([theseus.draw() for _ in range(20)])
    assert draws[0] == draws[1]


def test_each_run_is_keyed_by_its_task_and_settings_and_the_successor_by_its_predecessor(monkeypatch):
    seen = []

    def record(name, config, compute):
        seen.append((name, config["version"], config["arguments"]))
        return compute()

    monkeypatch.setattr(artifacts, "cached", record)
    th.compression_experiment(**SIZES, seeds={1: [0]})
    task = {"type": "ReviewTask", "model": "tiny", "n_train": 64, "n_dev": 32, "n_test": 32, "max_length": 16,
            "batch_size": 16, "eval_every": 2}
    assert seen[:2] == [
        ("theseus-predecessor", 2, {"task": task, "steps": 3, "lr": 1e-3, "seed": 0}),
        ("theseus-direct", 1, {"task": task, "n": 1, "seed": 0, "steps": 3, "lr": 1e-3, "keep_state": True}),
    ]
    successor = [entry for entry in seen if entry[0] == "theseus-successor"]
    assert successor == [("theseus-successor", 2, {
        "task": task, "n": 1, "seed": 0, "predecessor_steps": 3, "predecessor_lr": 1e-3, "steps": 3,
        "replacing_steps": 2, "p": 0.5, "lr": 1e-3, "replace_embeddings": True, "keep_state": True})]
    assert th.PREDECESSOR_VERSION == 2


@pytest.fixture(scope="module")
def chapter_run():
    """The chapter's pipeline on the tiny model: results, models, rows and the chapter's Run."""
    seeds = {2: [0], 1: [0, 1]}
    results = th.compression_experiment(**SIZES, seeds=seeds)
    models = th.trained_models(results)
    batch = results["data"]["x_test"][:8]
    rows = th.summary(results, models, forward_times(models, batch, repeats=1))
    run = Run(profile="smoke", device=torch.device("cpu"), seed=0, threads=1,
              sizes=dict(SIZES, seeds=seeds, repeats=1))
    return results, models, rows, run, batch


def test_summary_and_claims(chapter_run):
    results, models, rows, run, batch = chapter_run
    assert [row["model"] for row in rows] == ["full (predecessor)", "first 2 layers, fine-tuned",
                                               "first 1 layers, fine-tuned", "Theseus, 2 layers",
                                               "Theseus, 1 layers"]
    assert [row["layers"] for row in rows] == [4, 2, 1, 2, 1]
    assert isinstance(rows[2]["test accuracy"], tuple) and rows[2]["seeds"] == 2  # mean ± std over 2 seeds
    claims = th.claims(rows, run.seeds)
    assert [c["claim"] for c in claims][-2:] == ["2 layers of 4 run about twice as fast", "1 layers of 4"]
    assert claims[0]["article"] == "59.61 vs 58.99 (+0.62)" and claims[1]["article"] == "59.36 vs 57.96 (+1.40)"
    assert claims[2]["article"] == "Su: 99.2% (iflytek); paper: ~98% of BERT-base (GLUE dev)"
    assert claims[4]["article"] == "paper: 1.94x (6-layer successor of BERT-base)"
    acc = th.mean_accuracies(rows)
    assert claims[0]["ours"].startswith(f"{acc[('theseus', 2)]:.3f} vs {acc[('direct', 2)]:.3f}")
    setting = th.claims_setting(run, results["encoder"].name, batch.shape)
    assert setting.startswith("smoke profile; tiny (pruned vocabulary)") and "1 layers: [0, 1]" in setting
    with pytest.raises(ValueError, match="two successor depths"):
        th.claims(rows, {2: [0]})


def test_every_number_the_prose_shows_is_glued(chapter_run):
    results, models, rows, run, _ = chapter_run
    facts = th.facts(results, rows, run)
    text = CHAPTER.read_text(encoding="utf-8")
    used = set(re.findall(r"\{glue:text\}`theseus-([\w-]+)", text))
    glued_in_cells = set(re.findall(r'glue\("theseus-([\w-]+)"', text))
    recorded = set(th.gap_facts(load_record("theseus-gap")))  # the depth-gap section's facts
    assert used, "the chapter shows no glued numbers"
    assert used <= set(facts) | glued_in_cells | recorded, sorted(used - set(facts) - glued_in_cells - recorded)
    acc = th.mean_accuracies(rows)
    assert facts["gap-deep"] == pytest.approx(100 * (acc[("theseus", 2)] - acc[("direct", 2)]))
    assert facts["su-gap-6"] == pytest.approx(0.62) and facts["su-gap-3"] == pytest.approx(1.40)
    assert facts["layers"] == 4 and facts["deep"] == 2 and facts["shallow"] == 1
    assert facts["seeds-deep"] == "one seed" and facts["seeds-shallow"] == "2 seeds"
    assert facts["successor-steps"] == 1


def test_gap_verdicts():
    assert th.standard_error(0.8, 1000) == pytest.approx(0.012649, abs=1e-6)
    assert th.gap_verdict(0.90, 0.80, 1000) == "holds"
    assert th.gap_verdict(0.70, 0.80, 1000) == "contradicted"
    assert th.gap_verdict(0.805, 0.80, 1000) == "undetermined at this budget"
    assert th.claim_verdict(["holds", "holds"]) == "holds"
    assert th.claim_verdict(["contradicted", "contradicted"]) == "does not hold"
    assert th.claim_verdict(["holds", "contradicted"]) == "does not hold at every depth"
    assert th.claim_verdict(["holds", "undetermined at this budget"]) == "is not settled"
    with pytest.raises(ValueError):
        th.standard_error(0.5, 0)


def test_check_wrapper_on_a_trained_predecessor(chapter_run):
    results, models, _, _, batch = chapter_run
    checks = th.check_wrapper(models["full"], 1, batch, results["data"]["x_test"], results["data"]["y_test"])
    assert checks.all_hold and checks.groups == [[0, 1, 2, 3]]
    assert len(checks.draws) == 4 and all(len(d) == 2 for d in checks.draws)
    lines = checks.lines()
    assert lines[0] == "modules (predecessor layers): [[0, 1, 2, 3]]"
    assert lines[4] == "after save_pretrained / from_pretrained: True (1 layers)"
    assert not models["full"].training and not any(p.requires_grad for p in models["full"].parameters())


def test_plot_training_draws_the_rate_and_one_panel_per_depth(chapter_run):
    import matplotlib.pyplot as plt

    from kexue.viz import theseus as theseus_viz

    results = chapter_run[0]
    axes = theseus_viz.plot_training(results)
    assert len(axes) == 3  # the rate, then depths 2 and 1
    assert axes[1].get_legend_handles_labels()[1][0] == "predecessor (4 layers)"
    plt.close(axes[0].figure)
