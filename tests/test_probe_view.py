"""The trees' drawing data, the client-side probing view's data, and the live explorer (driven headlessly)."""

import json
import re

import numpy as np
import pytest

from kexue import probing
from kexue.probing.units import split_units
from kexue.viz.explore import _tree_of, explore
from kexue.viz.probe_view import probe_data, view_html
from kexue.viz.tree_layout import constituency_layout, dependency_arcs

UNITS = list("我爱北京天安门")
WORDS = ["我", "爱", "北京", "天安门"]


def test_constituency_layout_puts_leaves_in_sentence_order_and_parents_over_children():
    tree = ((0, 1), ((2, 3), (4, 5, 6)))
    layout = constituency_layout(tree, UNITS, splits={(0, 7): (2, 0.5)})
    assert [leaf["text"] for leaf in layout["leaves"]] == UNITS
    assert [leaf["x"] for leaf in layout["leaves"]] == list(range(7))
    nodes = layout["nodes"]
    assert nodes[0]["span"] == [0, 7] and nodes[0]["depth"] == 0 and (nodes[0]["split"], nodes[0]["score"]) == (2, 0.5)
    for parent, child in layout["edges"]:
        x = float(child.split(":")[1]) if isinstance(child, str) else nodes[child]["x"]
        assert nodes[parent]["x"] <= max(x, nodes[parent]["x"])  # every edge joins a node to a child in its span
        if not isinstance(child, str):
            assert nodes[child]["depth"] == nodes[parent]["depth"] + 1
            assert nodes[parent]["span"][0] <= nodes[child]["span"][0] <= nodes[child]["span"][1] <= nodes[parent]["span"][1]
    by_parent = {}
    for parent, child in layout["edges"]:
        by_parent.setdefault(parent, []).append(float(child.split(":")[1]) if isinstance(child, str) else nodes[child]["x"])
    assert all(nodes[p]["x"] == pytest.approx(np.mean(xs)) for p, xs in by_parent.items())
    assert layout["depth"] == 3 and {n["text"] for n in nodes} >= {"我爱", "天安门", "北京天安门"}
    assert _tree_of(layout) == tree  # the layout keeps the whole tree
    with pytest.raises(ValueError, match="exactly once"):
        constituency_layout((0, (1, 1)), list("abc"))
    with pytest.raises(ValueError, match="not a unit index"):
        constituency_layout((0, 5), list("ab"))


def test_dependency_arcs_are_exactly_the_heads_with_scores_and_levels():
    heads = [-1, 2, 0, 2, 7, 7, 7, 2]
    scores = np.random.default_rng(0).random((8, 8))
    arcs = dependency_arcs(heads, UNITS, scores)
    assert [(a["head"], a["dependent"]) for a in arcs] == [(h, d) for d, h in enumerate(heads) if d > 0]
    assert all(a["score"] == pytest.approx(scores[a["head"], a["dependent"]]) for a in arcs)
    span = {(a["head"], a["dependent"]): abs(a["head"] - a["dependent"]) for a in arcs}
    for a in arcs:
        for b in arcs:
            if span[(a["head"], a["dependent"])] > span[(b["head"], b["dependent"])]:
                assert a["level"] > b["level"]  # a longer arc rises higher
    with pytest.raises(ValueError, match="not form a tree"):
        dependency_arcs([-1, 2, 1, 0], list("abc"))


def test_su_and_mart_report_each_split_and_its_score():
    f = np.random.default_rng(1).random((6, 6))
    np.fill_diagonal(f, 0)
    for decode, score in ((probing.su_tree, probing.trees.su_gains), (probing.mart_tree, probing.trees.mart_costs)):
        splits = {}
        tree = decode(f, splits)
        assert tree == decode(f)  # recording changes nothing
        start, end = 0, 6
        k, value = splits[(start, end)]
        block = f if decode is probing.su_tree else probing.trees.mart_distances(f)
        assert value == pytest.approx(score(block)[k - 1])


def test_probe_data_agrees_with_the_library(tiny):
    text = "欧拉是一名数学家，GDP"
    data = probe_data(tiny, text, gold=["欧拉", "是", "一名", "数学家", "，", "GDP"], layers=[1, 3])
    chars, joinable = split_units(text)
    assert data["levels"]["characters"]["units"] == chars and data["levels"]["words"]["units"][-1] == "GDP"
    expected = probing.impact_matrix(tiny, chars, layers=[1, 3])
    assert np.allclose(np.array(data["levels"]["characters"]["impact"], dtype=float), expected, rtol=1e-3)
    _, s = probing.segment_scores(tiny, text, layers=[1, 3])
    got = np.array([[np.nan if v is None else v for v in row] for row in data["scores"]])
    assert np.allclose(got, s, rtol=1e-3, equal_nan=True) and np.isnan(got[:, ~joinable]).all()
    trees = data["levels"]["words"]["trees"][1]
    assert set(trees) == {"su", "mart", "eisner", "cle"} and len(trees["eisner"]["arcs"]) == 6
    page = view_html(data)
    payload = re.search(r'<script type="application/json">(.*?)</script>', page, re.S).group(1)
    assert json.loads(payload.replace("<\\/", "</"))["layers"] == [1, 3] and "kexueProbeView(" in page


@pytest.mark.parametrize("text,message", [("", "empty"), ("好", "1 unit"), ("中" * 60, "60 units")])
def test_probe_data_refuses_what_it_cannot_draw(tiny, text, message):
    with pytest.raises(ValueError, match=message):
        probe_data(tiny, text)


def test_probe_data_checks_layers_and_words(tiny):
    with pytest.raises(ValueError, match="out of range"):
        probe_data(tiny, "欧拉是一名数学家", layers=[0, 9])
    with pytest.raises(ValueError, match="gold words spell"):
        probe_data(tiny, "欧拉是一名数学家", gold=["欧拉"])


def test_explorer_recomputes_and_redraws_and_shows_bad_input(tiny):
    app = explore(tiny, gold=["欧拉", "是", "一名", "数学家"])
    first = app.view.value
    assert first.count("<img") == 3 and "F1" in first and app.status.value.count("c62828") == 0
    app.layer.value = 3
    assert app.view.value != first and app.threshold.min <= app.threshold.value <= app.threshold.max
    before = app.view.value
    app.decoder.value = "eisner"
    assert app.view.value != before
    app.level.value = "words"
    app.threshold.value = app.threshold.min  # everything at or above: all joined
    assert "欧拉是一名数学家</span>" in app.view.value
    app.text.value = "今天天气很好"
    assert "今天天气很好" not in first and "今" in app.view.value
    for bad, message in [("", "empty"), ("好", "1 unit"), ("中" * 60, "60 units")]:
        app.text.value = bad
        assert message in app.status.value and app.view.value == ""
    app.text.value = "hello world"  # Latin-only: two units
    assert app.view.value.count("<img") == 3
    app.layer.value = 2  # no crash after bad input
    assert "<img" in app.view.value


def test_view_ids_are_distinct_on_a_page_and_the_same_in_every_build(monkeypatch):
    import itertools

    import kexue.viz.probe_view as pv

    data = {"title": "苏剑林是科学空间的博主", "layers": [1]}
    ids = lambda page: re.findall(r'id="(kexue-probe-[0-9a-f]{12})"', page)  # noqa: E731
    monkeypatch.setattr(pv, "_VIEW_NUMBER", itertools.count())
    first = [ids(view_html(data))[0] for _ in range(3)]
    monkeypatch.setattr(pv, "_VIEW_NUMBER", itertools.count())  # a new kernel: the build again
    again = [ids(view_html(data))[0] for _ in range(3)]
    assert len(set(first)) == 3 and first == again
    page = view_html(data)
    assert f"getElementById('{ids(page)[0]}')" in page  # the script draws into its own box
