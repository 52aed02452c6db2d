"""Perturbed Masking: impact matrices against the paper's loop, segmentation rules, trees, metrics."""

import itertools
import math

import numpy as np
import pytest
import torch

from kexue.probing import (
    adjacent_scores,
    boundary_prf,
    bracket_prf,
    brackets,
    chu_liu_edmonds,
    dependency_scores,
    eisner,
    impact_matrix,
    impact_matrix_reference,
    is_projective,
    is_tree,
    join_units,
    mart_tree,
    pair_count,
    random_segment,
    segment,
    segment_scores,
    split_units,
    su_tree,
    tree_to_brackets,
    uas,
    word_prf,
)
from kexue.probing.units import windows
from kexue.probing.trees import tree_score

CHARS = list("欧拉是一名数学家")
WORDS = ["欧拉", "是", "一名", "数学家", "GDP增长"]  # multi-token units


@pytest.fixture(autouse=True)
def one_thread():
    """These forwards are small: several threads on shared cores only thrash (10-100x slower when measured)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def assert_same(ours: np.ndarray, reference: np.ndarray) -> None:
    """Equal up to float32 noise: absolute, and relative to the matrix's scale (cosine values are ~1e-5)."""
    diff = np.abs(ours - reference).max()
    assert diff < 1e-5 and diff <= 1e-4 * np.abs(reference).max(), diff


@pytest.fixture
def forward_sizes(tiny, monkeypatch):
    """Batch sizes of every forward through the tiny encoder during one test."""
    sizes = []
    forward = tiny.base.forward

    def counting(*args, **kwargs):
        sizes.append(kwargs["input_ids"].shape[0])
        return forward(*args, **kwargs)

    monkeypatch.setattr(tiny.base, "forward", counting)
    return sizes


# -- impact matrix ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("units", [CHARS, WORDS], ids=["chars", "words"])
@pytest.mark.parametrize("layer", [-1, 2])
@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_impact_matrix_equals_the_papers_loop(tiny, units, layer, metric):
    f = impact_matrix(tiny, units, layer, metric=metric)
    assert f.shape == (len(units), len(units)) and np.all(np.diag(f) == 0) and f.max() > 0
    assert_same(f, impact_matrix_reference(tiny, units, layer, metric=metric))


def test_several_layers_at_once_equal_separate_calls(tiny):
    f = impact_matrix(tiny, WORDS, layers=[1, -1, 3])
    assert f.shape == (3, 5, 5)
    for k, layer in enumerate([1, 4, 3]):
        assert_same(f[k], impact_matrix(tiny, WORDS, layer))
    assert np.abs(impact_matrix(tiny, WORDS, 0)).max() < 1e-6  # embeddings do not see the other positions


def test_chunking_gives_the_same_numbers(tiny):
    f = impact_matrix(tiny, CHARS)
    assert np.allclose(impact_matrix(tiny, CHARS, batch_size=1), f, atol=1e-6)
    assert np.allclose(impact_matrix(tiny, CHARS, max_tokens=25), f, atol=1e-6)  # 2 sequences of 10 tokens


def test_impact_matrix_runs_each_distinct_input_once(tiny, forward_sizes):
    impact_matrix(tiny, CHARS, batch_size=7)
    assert sum(forward_sizes) == pair_count(8) == 36 and max(forward_sizes) <= 7
    forward_sizes.clear()
    impact_matrix(tiny, CHARS, max_tokens=30)  # 3 sequences of 10 tokens
    assert sum(forward_sizes) == 36 and max(forward_sizes) == 3


def test_truncated_forward_equals_full_forward_at_that_layer(tiny):
    ids, _ = tiny.encode(CHARS)
    full = tiny.hidden_states(ids)
    with tiny.truncated(2):
        short = tiny.hidden_states(ids)
    assert len(short) == 3 and torch.equal(short[-1], full[2])


def test_impact_matrix_validates_its_input(tiny):
    with pytest.raises(ValueError, match="at least one unit"):
        impact_matrix(tiny, [])
    with pytest.raises(ValueError, match="empty unit"):
        impact_matrix(tiny, ["欧拉", " "])
    with pytest.raises(ValueError, match="metric"):
        impact_matrix(tiny, CHARS, metric="manhattan")
    with pytest.raises(ValueError, match=r"0\.\.4"):
        impact_matrix(tiny, CHARS, 5)
    with pytest.raises(ValueError, match=r"-5\.\.-1"):
        impact_matrix(tiny, CHARS, layers=[-6])
    with pytest.raises(ValueError, match="exceed"):
        impact_matrix(tiny, ["字" * 600])
    assert impact_matrix(tiny, ["欧"]).tolist() == [[0.0]]
    assert pair_count(1) == 1 and pair_count(32) == 528


# -- adjacent scores and segmentation ------------------------------------------------------------------------
def test_adjacent_scores_are_the_matrix_entries_from_2n_minus_1_inputs(tiny, forward_sizes):
    f = impact_matrix(tiny, WORDS, 3, metric="cosine")
    forward_sizes.clear()
    s = adjacent_scores(tiny, WORDS, 3, metric="cosine")
    assert sum(forward_sizes) == 2 * 5 - 1
    i = np.arange(4)
    assert_same(s, (f[i, i + 1] + f[i + 1, i]) / 2)
    assert adjacent_scores(tiny, WORDS, layers=[1, 3]).shape == (2, 4)
    assert adjacent_scores(tiny, ["欧"]).shape == (0,)


def test_adjacent_scores_without_masking_the_target_use_n_plus_1_inputs(tiny, forward_sizes):
    s = adjacent_scores(tiny, CHARS, mask_target=False)
    assert sum(forward_sizes) == 8 + 1
    ids, spans = tiny.encode(CHARS)
    H = lambda x: tiny.hidden_states(x)[-1][0]  # noqa: E731
    masked = lambda j: torch.where(torch.arange(len(ids)) == spans[j][0], tiny.mask_id, ids)  # noqa: E731
    x = H(ids)
    for i in range(7):
        into_i = (x[spans[i][0]] - H(masked(i + 1))[spans[i][0]]).norm()  # x_{i+1} on x_i, x_i unmasked
        into_next = (x[spans[i + 1][0]] - H(masked(i))[spans[i + 1][0]]).norm()
        assert math.isclose(s[i], (into_i + into_next).item() / 2, rel_tol=1e-4)


def test_split_units_rules():
    units, joinable = split_units("GDP增长了３０％，iPhone 12很好……")
    assert units == ["GDP", "增", "长", "了", "３０", "％", "，", "iPhone", "12", "很", "好", "……"]
    # no joins next to punctuation or across the space
    assert joinable.tolist() == [True, True, True, True, False, False, False, False, True, True, False]
    units, joinable = split_units(" ")
    assert units == [] and joinable.shape == (0,)


def test_segment_bad_and_trivial_inputs(tiny):
    assert segment(tiny, "", threshold=1.0, layer=-1) == []
    assert segment(tiny, " \n\t", threshold=1.0, layer=-1) == []
    assert segment(tiny, "我", threshold=0.0, layer=-1) == ["我"]
    assert segment(tiny, "，。！？", threshold=0.0, layer=-1) == ["，", "。", "！", "？"]
    assert segment(tiny, "hello world 42", threshold=0.0, layer=-1) == ["hello", "world", "42"]
    for bad in [float("nan"), -0.5]:
        with pytest.raises(ValueError, match="threshold"):
            segment(tiny, "欧拉是一名数学家", threshold=bad, layer=-1)
    with pytest.raises(TypeError):
        segment(tiny, list("欧拉"), threshold=1.0, layer=-1)


def test_segment_joins_by_threshold_and_never_across_punctuation(tiny):
    text = "欧拉是GDP，一名 数学家。"
    assert segment(tiny, text, threshold=0.0, layer=2) == ["欧拉是GDP", "，", "一名", "数学家", "。"]
    assert segment(tiny, text, threshold=math.inf, layer=2) == ["欧", "拉", "是", "GDP", "，", "一", "名", "数", "学", "家", "。"]
    units, s = segment_scores(tiny, text, 2)
    middle = np.nanmedian(s)
    assert segment(tiny, text, threshold=middle, layer=2) == join_units(units, s >= middle)


def test_windows_cut_at_sentence_ends_then_hard():
    units = list("我们去。好的！") + list("一二三四五六七八九十") + ["。"]
    assert windows(units, 8) == [(0, 7), (7, 15), (15, 18)]
    assert windows(units, 100) == [(0, 18)]
    with pytest.raises(ValueError):
        windows(units, 1)


def test_segment_scores_have_no_score_across_a_hard_window_cut(tiny, forward_sizes):
    units, s = segment_scores(tiny, "一二三四五六七八九十", -1, window=4)
    assert np.isnan(s).tolist() == [False, False, False, True, False, False, False, True, False]
    assert sum(forward_sizes) == (2 * 4 - 1) * 2 + (2 * 2 - 1)  # windows of 4, 4 and 2 units
    forward_sizes.clear()
    _, unmasked = segment_scores(tiny, "一二三四五六七八九十", -1, window=4, mask_target=False)
    assert sum(forward_sizes) == (4 + 1) * 2 + (2 + 1) and np.array_equal(np.isnan(unmasked), np.isnan(s))
    assert all(len(w) <= 4 for w in segment(tiny, "一二三四五六七八九十", threshold=0.0, layer=-1, window=4))


def test_random_segment_rates():
    rng = np.random.default_rng(0)
    assert random_segment("欧拉是一名数学家", 0.0, rng) == ["欧拉是一名数学家"]
    assert random_segment("欧拉，数学家", 1.0, rng) == ["欧", "拉", "，", "数", "学", "家"]


# -- trees ----------------------------------------------------------------------------------------------
def two_blocks(sizes=(3, 3), inside=1.0, across=0.1) -> np.ndarray:
    n = sum(sizes)
    f = np.full((n, n), across)
    start = 0
    for size in sizes:
        f[start : start + size, start : start + size] = inside
        start += size
    np.fill_diagonal(f, 0.0)
    return f


def test_su_and_mart_split_between_two_blocks():
    f = two_blocks()
    assert su_tree(f) == ((0, (1, 2)), (3, (4, 5)))
    assert {(0, 3), (3, 6)} <= brackets(su_tree(f))
    # LividWo's MART scores the right part from x_{k+1} on, leaving x_k out of both blocks, so on clean blocks
    # the left block's last unit moves to the right part; the right block itself is found
    assert mart_tree(f) == ((0, 1), (2, (3, (4, 5)))) and (3, 6) in brackets(mart_tree(f))
    assert su_tree(np.zeros((1, 1))) == 0 and su_tree(np.zeros((2, 2))) == (0, 1)
    assert mart_tree(np.zeros((2, 2))) == (0, 1)


def test_brackets_and_their_text():
    tree = ((0, 1), (2, (3, 4)))
    assert brackets(tree) == {(0, 5), (0, 2), (2, 5), (3, 5)}
    assert tree_to_brackets(tree, list("大肠杆菌是")) == "((大 肠) (杆 (菌 是)))"
    assert tree_to_brackets(tree) == "((0 1) (2 (3 4)))"


def all_trees(n: int):
    """Every head array over n words (heads[0] = -1) that is a tree."""
    for choice in itertools.product(range(n + 1), repeat=n):
        heads = np.array([-1, *choice])
        if is_tree(heads):
            yield heads


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_eisner_and_chu_liu_edmonds_match_brute_force(n):
    rng = np.random.default_rng(n)
    trees = list(all_trees(n))
    projective = [h for h in trees if is_projective(h)]
    for _ in range(3):
        scores = rng.normal(size=(n + 1, n + 1))
        heads = eisner(scores)
        assert is_tree(heads) and is_projective(heads)
        assert math.isclose(tree_score(scores, heads), max(tree_score(scores, h) for h in projective))
        heads = chu_liu_edmonds(scores)
        assert is_tree(heads)
        assert math.isclose(tree_score(scores, heads), max(tree_score(scores, h) for h in trees))


def test_tree_and_projectivity_checks():
    assert is_tree([-1, 0, 1, 2]) and is_projective([-1, 0, 1, 2])
    assert not is_tree([-1, 2, 1]) and not is_tree([-1, 1]) and not is_tree([-1, 5])
    assert is_tree([-1, 3, 0, 2, 1]) and not is_projective([-1, 3, 0, 2, 1])  # 3->1 crosses 0->2


def test_dependency_scores_follow_the_papers_softmax():
    f = two_blocks((2, 2))
    scores = dependency_scores(f)
    assert scores.shape == (5, 5) and np.allclose(scores.sum(axis=0), 1.0)  # a distribution over heads
    assert scores[2, 1] == scores[:, 1].max()  # word 0's head is its block-mate, word 1
    gold = dependency_scores(f, root=2)
    assert gold[0, 3] == gold[:, 3].max()
    heads = eisner(gold)
    assert heads[3] == 0 and is_tree(heads)
    with pytest.raises(ValueError):
        dependency_scores(f, root=4)


# -- metrics ---------------------------------------------------------------------------------------------
def test_word_and_boundary_scores_by_hand():
    gold = [["大肠杆菌", "是", "人"], ["欧拉", "是"]]
    pred = [["大肠", "杆菌", "是", "人"], ["欧拉是"]]
    # words: sentence 1 has 2 of 4 right (of 3 gold), sentence 2 none of 1 (of 2 gold)
    p, r, f1 = word_prf(pred, gold)
    assert (p, r) == (2 / 5, 2 / 5) and math.isclose(f1, 0.4)
    # cuts: {2, 4, 5} vs {4, 5}, then {} vs {2}
    p, r, f1 = boundary_prf(pred, gold)
    assert (p, r) == (2 / 3, 2 / 3)
    with pytest.raises(ValueError, match="different texts"):
        word_prf([["大肠"]], [["大脑"]])


def test_uas_and_brackets_by_hand():
    gold = [np.array([-1, 2, 0, 2]), np.array([-1, 0, 1])]
    pred = [np.array([-1, 2, 0, 1]), np.array([-1, 0, 1])]
    assert uas(pred, gold) == 4 / 5
    assert uas(pred, gold, ignore=[[False, False, True], [False, False]]) == 1.0
    # the whole sentence (0, 4) is not counted: {(0, 2), (2, 4)} vs {(1, 4), (1, 3)},
    # then {(1, 4), (1, 3)} vs {(1, 4), (2, 4)}
    p, r, f1 = bracket_prf([((0, 1), (2, 3))], [(0, ((1, 2), 3))])
    assert (p, r, f1) == (0.0, 0.0, 0.0)
    p, r, f1 = bracket_prf([(0, ((1, 2), 3))], [(0, (1, (2, 3)))])
    assert (p, r) == (1 / 2, 1 / 2)


# -- the real encoder --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_calibrated_segmentation_beats_random_cuts_on_peoples_daily(offline_zh):
    from kexue.data.peoples_daily import load_peoples_daily
    from kexue.probing import calibration

    test = [s for s in load_peoples_daily("test") if 8 <= len(s.text) <= 25][::40][:30]
    threshold = calibration(offline_zh)["threshold"]
    predicted, cuts, joinable_pairs = [], 0, 0
    for sentence in test:
        units, s = segment_scores(offline_zh, sentence.text)
        join = s >= threshold
        joinable = ~np.isnan(s)
        cuts, joinable_pairs = cuts + int((joinable & ~join).sum()), joinable_pairs + int(joinable.sum())
        predicted.append(join_units(units, join))
    assert predicted[0] == segment(offline_zh, test[0].text)
    rng = np.random.default_rng(0)
    baseline = [random_segment(s.text, cuts / joinable_pairs, rng) for s in test]
    gold = [s.words for s in test]
    ours, chance = word_prf(predicted, gold).f1, word_prf(baseline, gold).f1
    assert ours > chance + 0.1, (ours, chance)


def test_segment_without_a_threshold_calibrates_any_model_once(tiny, tmp_path, monkeypatch, capsys):
    """No stored calibration (any model but offline-zh): it is made on People's Daily dev once, then cached."""
    import importlib

    segment_module = importlib.import_module("kexue.probing.segment")  # the module, not the function
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))
    calls = []
    real = segment_module.calibrate
    monkeypatch.setattr(segment_module, "calibrate", lambda *a, **k: calls.append(1) or real(*a, **k))
    words = segment(tiny, "欧拉是一名数学家")
    assert "".join(words) == "欧拉是一名数学家" and len(calls) == 1
    assert "calibrating on 120 People's Daily dev sentences" in capsys.readouterr().out
    assert segment(tiny, "欧拉是一名数学家") == words and len(calls) == 1  # cached: not again
    stored = segment_module.calibration(tiny)
    assert 1 <= stored["layer"] <= tiny.num_layers and stored["sentences"] == 120

