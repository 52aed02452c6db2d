"""The words the Perturbed Masking chapter glues into its prose: bootstrap differences of word F1 and the
verdicts read from them, the layer's position, agreement with the article's examples."""

import numpy as np
import pytest

from kexue import probing
from kexue.probing.findings import sentence_counts

GOLD = [["欧拉", "是", "一名", "数学家"], ["苏剑林", "是", "博主"]] * 20
CHARS = [list("".join(s)) for s in GOLD]


def test_sentence_counts_and_difference_by_hand():
    counts = sentence_counts([["欧拉", "是", "一", "名", "数学家"]], [GOLD[0]])
    assert counts.tolist() == [[3, 5, 4]]  # 欧拉, 是, 数学家 right
    d = probing.f1_difference(GOLD, CHARS, GOLD, resamples=200)
    right = probing.word_prf(CHARS, GOLD).f1
    assert d.difference == pytest.approx(1.0 - right)
    assert d.low <= d.difference <= d.high and d.verdict == "holds"
    assert probing.f1_difference(CHARS, GOLD, GOLD, resamples=200).verdict == "contradicted"


def test_identical_segmentations_are_undetermined_and_the_seed_fixes_the_interval():
    d = probing.f1_difference(CHARS, CHARS, GOLD)
    assert (d.difference, d.low, d.high) == (0.0, 0.0, 0.0) and d.verdict == "undetermined at this budget"
    noisy = [g if k % 2 else list("".join(g)) for k, g in enumerate(GOLD)]
    assert probing.f1_difference(noisy, CHARS, GOLD, seed=3) == probing.f1_difference(noisy, CHARS, GOLD, seed=3)


def test_one_different_sentence_is_not_a_clear_answer():
    one_better = [GOLD[0], *CHARS[1:]]
    d = probing.f1_difference(one_better, CHARS, GOLD)
    assert d.difference > 0 and d.low <= 0 and d.verdict == "undetermined at this budget"


def test_difference_checks_its_inputs():
    with pytest.raises(ValueError, match="spell different texts"):
        probing.f1_difference([["欧拉"]], [["欧拉"]], [["大脑"]])
    with pytest.raises(ValueError, match="predicted sentences"):
        probing.f1_difference(GOLD[:1], GOLD, GOLD)
    with pytest.raises(ValueError, match="at least one"):
        probing.f1_difference([], [], [])


@pytest.mark.parametrize("verdict, words", [
    ("holds", "scores higher in word F1 than random cuts (by 0.100"),
    ("contradicted", "scores lower in word F1 than random cuts (by 0.100"),
    ("undetermined at this budget", "cannot be told apart from random cuts"),
])
def test_compared_reads_the_verdict(verdict, words):
    sign = -1 if verdict == "contradicted" else 1
    d = probing.Difference(sign * 0.1, sign * 0.05 if verdict != "undetermined at this budget" else -0.02,
                           sign * 0.15, verdict)
    assert probing.compared(d, "random cuts").startswith(words)


def test_a_shortfall_is_stated_as_positive_numbers():
    d = probing.Difference(-0.4, -0.6, -0.2, "contradicted")
    assert probing.compared(d, "jieba") == (
        "scores lower in word F1 than jieba (by 0.400; 95% bootstrap interval 0.200 to 0.600)")


def test_ablation_answer_follows_the_verdict():
    answers = {v: probing.ablation_answer(probing.Difference(0.0, 0.0, 0.0, v))
               for v in ("holds", "contradicted", "undetermined at this budget")}
    assert "reader's way" in answers["holds"] and "authors' way" in answers["contradicted"]
    assert "not settle" in answers["undetermined at this budget"]


def test_layer_position():
    assert probing.layer_position(12, 12) == "the last layer, as in the article"
    assert probing.layer_position(4, 12).startswith("low")
    assert probing.layer_position(5, 12).startswith("in the middle")
    assert probing.layer_position(11, 12).startswith("high")
    assert probing.layer_position(1, 4).startswith("low")
    with pytest.raises(ValueError):
        probing.layer_position(0, 12)


def test_shared_words_and_attached_function_characters():
    theirs = [s.split("/") for s in probing.ARTICLE["segmentations"].values()]
    assert probing.shared_words(theirs, theirs) == (18, 18)
    ours = [list("".join(s)) for s in theirs]
    assert probing.shared_words(ours, theirs) == (3, 18)  # the single characters 是, 的 and 是
    assert probing.attached(theirs) == (2, 5)  # 中最 and 的博主; 是, 的, 是 alone
    assert probing.attached(ours) == (0, 5)


def test_the_article_numbers_are_stored_once():
    assert probing.ARTICLE["threshold"] == 8 and probing.ARTICLE["uas_pud_eisner"] == 41.7
    for text, words in probing.ARTICLE["segmentations"].items():
        assert words.replace("/", "") == text


def test_report_keeps_its_test_segmentations_for_the_comparisons(tiny):
    dev = [["欧拉", "是", "一名", "数学家"], ["苏剑林", "是", "博主"]]
    test = [["今天", "天气", "很", "好"], ["我们", "去", "公园"]]
    report = probing.evaluate_segmentation(tiny, dev, test, layers=[1, 2], jieba_baseline=False)
    assert report.gold == test and len(report.best.predicted) == len(test)
    assert probing.word_prf(report.best.predicted, test).f1 == report.best.test_word.f1
    chars = report.baseline_words["every character a word"]
    assert probing.word_prf(chars, test) == report.baselines["every character a word"][0]
    d = report.versus("every character a word", resamples=100)
    assert d.difference == pytest.approx(report.best.test_word.f1 - report.baselines["every character a word"][0].f1)
    with pytest.raises(KeyError, match="no baseline"):
        report.versus("jieba (supervised reference)")
    assert np.isfinite([d.low, d.high]).all()
