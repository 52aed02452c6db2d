import pytest

from kexue.report import claims_table, markdown_table


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
