import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from kexue.viz import style  # noqa: E402


def test_chinese_labels_render_without_missing_glyphs(tmp_path):
    family = style.set_style()
    assert family is not None, style.INSTALL_HINT
    fig, ax = plt.subplots()
    ax.set_title("欧拉是一名数学家")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        fig.savefig(tmp_path / "zh.png")
    plt.close(fig)


def test_missing_cjk_font_says_what_to_install(monkeypatch):
    monkeypatch.setattr(style, "find_cjk_font", lambda: None)
    monkeypatch.setattr(style.font_manager.fontManager, "__init__", lambda: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert style.use_cjk_font() is None
    assert any("fonts-noto-cjk" in str(w.message) for w in caught)
