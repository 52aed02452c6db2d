"""The six People's Daily matching subtasks: the A/B rules on a tiny hand-made corpus, and the real splits."""

import collections
import itertools

import pytest

from kexue.data.matching import (
    OTHER_ARTICLE, RELATED, SAME_ARTICLE, TASKS, build_matching_pairs, load_matching, task_id,
)

# three articles; every sentence names its article (a..c), paragraph and position, so relations can be read back
CORPUS = [
    [[f"{art}{p}{i}。" for i in range(n)] for p, n in enumerate(sizes)]
    for art, sizes in zip("abc", [(3, 2, 3, 1), (2, 3, 2), (3, 3, 2, 2)])
]


def where(text: str) -> list[tuple[str, int, int]]:
    """(article, paragraph, sentence) of every sentence in a text."""
    return [(s[0], int(s[1]), int(s[2])) for s in text.split("。") if s]


def test_balanced_and_deterministic():
    pairs = build_matching_pairs(CORPUS, per_task=40, seed=3)
    assert collections.Counter((p.task, p.label) for p in pairs) == {(t, y): 20 for t in range(6) for y in (0, 1)}
    assert pairs == build_matching_pairs(CORPUS, per_task=40, seed=3)
    assert pairs != build_matching_pairs(CORPUS, per_task=40, seed=4)


def test_relations_follow_the_definitions():
    for p in build_matching_pairs(CORPUS, per_task=200, seed=0):
        a, b = where(p.a), where(p.b)
        same_article = a[0][0] == b[0][0]
        assert same_article == (p.relation != OTHER_ARTICLE)
        assert p.label == (p.relation == RELATED if p.criterion == "B" else p.relation != OTHER_ARTICLE)
        if p.kind == "short-short":
            assert len(a) == len(b) == 1
            consecutive = a[0][:2] == b[0][:2] and abs(a[0][2] - b[0][2]) == 1
            assert consecutive == (p.relation == RELATED)
            assert a != b
        elif p.kind == "short-long":
            (s,) = a
            assert s not in b  # the sentence never appears inside the long text
            assert all(x[:2] == b[0][:2] for x in b)  # the long text is (most of) one paragraph
            assert (s[:2] == b[0][:2]) == (p.relation == RELATED)
        else:
            pa, pb = {x[:2] for x in a}, {x[:2] for x in b}
            assert len(pa) == len(pb) == 1
            (art_a, par_a), (art_b, par_b) = pa.pop(), pb.pop()
            assert (art_a == art_b and abs(par_a - par_b) == 1) == (p.relation == RELATED)
            assert (art_a, par_a) != (art_b, par_b)


def test_conflict_pairs_exist_in_both_criteria():
    pairs = build_matching_pairs(CORPUS, per_task=40)
    for kind in ("short-short", "short-long", "long-long"):
        a_pos = {p.relation for p in pairs if p.task == task_id("A", kind) and p.label == 1}
        b_neg = {p.relation for p in pairs if p.task == task_id("B", kind) and p.label == 0}
        assert SAME_ARTICLE in a_pos and SAME_ARTICLE in b_neg  # same relation, opposite labels


def test_bad_input():
    with pytest.raises(ValueError, match="even"):
        build_matching_pairs(CORPUS, per_task=3)
    with pytest.raises(ValueError, match="two"):
        build_matching_pairs(CORPUS[:1], per_task=4)
    with pytest.raises(ValueError):
        task_id("C", "short-short")
    with pytest.raises(ValueError):
        load_matching("validation", 4)


def test_real_splits_share_no_text():
    train = load_matching("train", 40)
    test = load_matching("test", 40)
    assert len(test) == 240 and len(TASKS) == 6
    texts = lambda ps: set(itertools.chain.from_iterable((p.a, p.b) for p in ps))
    assert not texts(train) & texts(test)
