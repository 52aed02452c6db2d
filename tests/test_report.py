import numpy as np
import pytest

from kexue.report import claims_table, markdown_table, paired_bootstrap


def test_markdown_table_formats_floats_and_mean_std():
    md = markdown_table([{"method": "ERM", "acc": 0.81234, "seeds": (0.8, 0.01)}], digits=2).data
    assert md.splitlines() == ["| method | acc | seeds |", "|---|---|---|", "| ERM | 0.81 | 0.80 ± 0.01 |"]


def test_claims_table_carries_the_setting():
    md = claims_table([{"claim": "x", "article": 1.0, "ours": 0.5}], setting="book, cpu").data
    assert "| claim | article | ours |" in md and md.endswith("*Measured with: book, cpu*")


def test_empty_table_is_an_error():
    with pytest.raises(ValueError):
        markdown_table([])


def test_mean_std_is_the_sample_standard_deviation():
    from kexue.report import mean_std

    assert mean_std([1.0, 3.0]) == (2.0, pytest.approx(2**0.5))
    assert mean_std([0.5]) == (0.5, 0.0)
    with pytest.raises(ValueError):
        mean_std([])


def test_mean_interval_is_the_t_interval():
    from kexue.report import mean_interval

    mean, low, high = mean_interval([1.0, 2.0, 3.0])
    # t_{0.975, 2} = 4.3027; s = 1; half-width 4.3027 / sqrt(3)
    assert mean == 2.0 and high - mean == pytest.approx(4.3027 / 3**0.5, rel=1e-4) and mean - low == high - mean
    assert mean_interval([0.7]) == (0.7, -np.inf, np.inf)  # one run: no verdict from it
    from kexue.report import verdict
    assert verdict(*mean_interval([0.7])[1:]) == "undetermined at this budget"
    with pytest.raises(ValueError):
        mean_interval([])


def test_verdicts_follow_the_interval():
    from kexue.report import verdict

    assert verdict(0.01, 0.03) == "holds"
    assert verdict(-0.03, -0.01) == "contradicted"
    assert verdict(-0.01, 0.03) == "undetermined at this budget"
    assert verdict(0.02, 0.04, above=0.03) == "undetermined at this budget"
    assert verdict(-0.005, 0.008, margin=0.01) == "holds"
    assert verdict(0.012, 0.03, margin=0.01) == "contradicted"
    assert verdict(-0.02, 0.005, margin=0.01) == "undetermined at this budget"
    with pytest.raises(ValueError):
        verdict(0.1, 0.0)


def test_glue_returns_its_value_outside_a_kernel():
    from kexue.report import _Plain, glue

    assert glue("x", 0.5) == 0.5
    assert repr(_Plain("held")) == "held"


def test_paired_bootstrap_covers_a_known_difference_and_pairs_the_items():
    rng = np.random.default_rng(1)
    item_difficulty = rng.normal(size=400)
    a = item_difficulty + 0.3 + rng.normal(scale=0.1, size=400)
    b = item_difficulty + rng.normal(scale=0.1, size=400)
    diff, low, high = paired_bootstrap(a, b)
    assert diff == pytest.approx(np.mean(a - b))
    assert low < 0.3 < high
    assert high - low < 0.05  # paired: the shared item noise (std 1) cancels, only the 0.1 noise is left
    with pytest.raises(ValueError, match="same non-empty shape"):
        paired_bootstrap(a, b[:10])


def test_paired_bootstrap_resamples_seeds_too():
    a = np.array([[1.0] * 50, [0.0] * 50, [1.0] * 50])  # seed-to-seed spread only
    diff, low, high = paired_bootstrap(a, np.zeros_like(a))
    assert diff == pytest.approx(2 / 3)
    assert low == 0.0 and high == 1.0  # resampled seeds: all-zero and all-one draws both occur
