"""The probing figures: plotly heatmap structure, matplotlib artists, widget updates, errors."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from kexue.viz.probing import (  # noqa: E402
    impact_heatmap,
    segmentation_figure,
    segmentation_text,
    show_segmentation,
)
from kexue.viz.trees import draw_constituency, draw_dependency  # noqa: E402

CHARS = list("我爱北京天安门")
WORDS = ["我", "爱", "北京", "天安门"]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def impacts(layers: int, n: int, seed: int = 0) -> np.ndarray:
    m = np.random.default_rng(seed).random((layers, n, n))
    m[:, np.arange(n), np.arange(n)] = 0.0
    return m


# ---------------------------------------------------------------------------- impact heatmap


def test_heatmap_single_matrix():
    m = impacts(1, 7)[0]
    fig = impact_heatmap(m, CHARS, mask_diagonal=False)
    assert len(fig.data) == 1 and not fig.layout.sliders and not fig.layout.updatemenus
    np.testing.assert_allclose(np.asarray(fig.data[0].z, dtype=float), m)
    assert fig.data[0].text[0][2] == "impact of 北 on 我"  # row i = 0, column j = 2
    assert list(fig.layout.xaxis.ticktext) == CHARS
    assert fig.layout.yaxis.autorange == "reversed" and fig.layout.yaxis.scaleanchor == "x"


def test_heatmap_layers_slider_and_diagonal():
    m = impacts(4, 7)
    fig = impact_heatmap(m, CHARS, layers=[9, 10, 11, 12], active_layer=-1)
    assert len(fig.data) == 4
    assert [t.visible for t in fig.data] == [False, False, False, True]
    (slider,) = fig.layout.sliders
    assert [s.label for s in slider.steps] == ["9", "10", "11", "12"] and slider.active == 3
    assert slider.steps[1].args[0]["visible"] == [False, True, False, False]
    z = np.asarray(fig.data[2].z, dtype=float)
    assert np.isnan(np.diag(z)).all()  # the diagonal is left blank
    off = ~np.eye(7, dtype=bool)
    np.testing.assert_allclose(z[off], m[2][off])
    assert "layer 11" in fig.data[2].hovertemplate
    assert {t.zmax for t in fig.data} == {m[:, off].max()}  # one colour range for all layers


def test_heatmap_two_levels_dropdown():
    chars, words = impacts(3, 7, seed=1), impacts(3, 4, seed=2)
    fig = impact_heatmap({"characters": (chars, CHARS), "words": (words, WORDS)}, layers=[1, 2, 3])
    assert len(fig.data) == 6
    (menu,) = fig.layout.updatemenus
    assert [b.label for b in menu.buttons] == ["characters", "words"]
    restyle, relayout = menu.buttons[1].args
    assert restyle["visible"] == [False] * 3 + [True, False, False]
    assert relayout["xaxis.ticktext"] == WORDS and relayout["yaxis.ticktext"] == WORDS
    # The words' slider shows the words' traces, layer by layer.
    steps = relayout["sliders"][0]["steps"]
    assert [s["args"][0]["visible"].index(True) for s in steps] == [3, 4, 5]
    shown = np.asarray(fig.data[3 + 1].z, dtype=float)
    np.testing.assert_allclose(np.nan_to_num(shown), words[1])
    assert fig.data[4].text[0][2] == "impact of 北京 on 我"
    assert menu.buttons[0].args[1]["xaxis.ticktext"] == CHARS


def test_heatmap_errors():
    with pytest.raises(ValueError, match="7 tokens"):
        impact_heatmap(impacts(2, 5), CHARS)
    with pytest.raises(ValueError, match="'words'.*4 tokens"):
        impact_heatmap({"characters": (impacts(2, 7), CHARS), "words": (impacts(2, 3), WORDS)})
    with pytest.raises(ValueError, match="layer labels"):
        impact_heatmap(impacts(2, 7), CHARS, layers=[1, 2, 3])
    with pytest.raises(ValueError, match="shape"):
        impact_heatmap(np.zeros((7, 6)), CHARS)


# ------------------------------------------------------------------------------ segmentation

UNITS = list("我爱北京天安门")
SCORES = [0.2, 0.1, 0.9, 0.3, 0.8, 0.7]  # gaps 我|爱 爱|北 北|京 京|天 天|安 安|门


def test_segmentation_text():
    assert segmentation_text(WORDS) == "我/爱/北京/天安门"


def test_segmentation_figure_artists():
    gold = ["我", "爱北京", "天安门"]  # boundaries after 我 and after 京
    ax = segmentation_figure(UNITS, SCORES, 0.5, gold_words=gold)
    (line,) = [a for a in ax.lines if a.get_gid() == "threshold"]
    assert np.allclose(line.get_ydata(), 0.5)
    assert sum(p.get_gid() == "cut" for p in ax.patches) == 3
    assert sum(p.get_gid() == "join" for p in ax.patches) == 3
    gold_lines = [a for a in ax.lines if a.get_gid() == "gold"]
    assert sorted(a.get_xdata()[0] for a in gold_lines) == [0.5, 3.5]  # through bars 0 and 3
    assert [t.get_text() for t in ax.get_xticklabels()] == UNITS
    with pytest.raises(ValueError, match="spell"):
        segmentation_figure(UNITS, SCORES, 0.5, gold_words=["我爱"])
    with pytest.raises(ValueError, match="6 adjacent scores"):
        segmentation_figure(UNITS, SCORES[:-1], 0.5)


def test_show_segmentation_html():
    page = show_segmentation(["我", "爱北", "京", "天安门"], gold=WORDS).data
    assert page.count("#c62828") == 2  # 爱北 and 京 are wrong
    assert page.count("#d49b00") == 2  # gold 爱 and 北京 are missed
    assert "F1 0.50" in page
    assert "&lt;" in show_segmentation(["<", "b"]).data  # escaped
    with pytest.raises(ValueError, match="different texts"):
        show_segmentation(["我"], gold=["你"])


# ------------------------------------------------------------------------------------- trees


def test_draw_constituency():
    tree = ((0, 1), ((2, 3), (4, 5, 6)))
    ax = draw_constituency(tree, UNITS)
    leaves = [t for t in ax.texts if t.get_gid() == "leaf"]
    leaves.sort(key=lambda t: t.get_position()[0])
    assert [t.get_text() for t in leaves] == UNITS
    assert [t.get_position()[0] for t in leaves] == list(range(7))
    (nodes,) = [c for c in ax.collections if c.get_gid() == "nodes"]
    offsets = nodes.get_offsets()
    assert len(offsets) == 5  # five tuples
    assert offsets[0].tolist() == [np.mean([0.5, np.mean([2.5, 5.0])]), 0.0]  # the root on top
    with pytest.raises(ValueError, match="exactly once"):
        draw_constituency((0, (1, 1)), list("abc"))
    with pytest.raises(ValueError, match="not a unit index"):
        draw_constituency((0, 5), list("ab"))


def test_draw_dependency():
    heads = [-1, 2, 0, 2, 7, 7, 7, 2]  # 爱 is the root; 门 heads 天安门
    ax = draw_dependency(heads, UNITS)
    arcs = [p for p in ax.patches if isinstance(p, FancyArrowPatch) and p.get_gid() == "arc"]
    assert len(arcs) == 7
    tokens = [t.get_text() for t in ax.texts if t.get_gid() == "token"]
    assert tokens == UNITS and any(t.get_text() == "ROOT" for t in ax.texts)
    with pytest.raises(ValueError, match="not form a tree"):
        draw_dependency([-1, 2, 1, 0], list("abc"))  # 1 <-> 2 cycle
    with pytest.raises(ValueError, match="length"):
        draw_dependency([2, 0, 2], list("abc"))
    with pytest.raises(ValueError, match="heads\\[0\\]"):
        draw_dependency([0, 2, 0], list("ab"))


def test_segmentation_by_layer_draws_one_line_per_baseline():
    from kexue.probing import LayerResult, SegmentationReport
    from kexue.probing.metrics import PRF
    from kexue.viz.probing import segmentation_by_layer

    layers = [LayerResult(k, 1.0, 0.5, 0.4, PRF(0.5, 0.5, 0.1 * k), PRF(0.7, 0.7, 0.7)) for k in (1, 2, 3)]
    report = SegmentationReport(layers, {"random": (PRF(0.3, 0.3, 0.3), PRF(0.6, 0.6, 0.6))})
    ax = segmentation_by_layer(report)
    curve, baseline = ax.lines
    assert list(curve.get_ydata()) == pytest.approx([0.1, 0.2, 0.3]) and list(baseline.get_ydata()) == [0.3, 0.3]
