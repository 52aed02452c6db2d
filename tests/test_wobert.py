"""WoBERT: word vocabulary, jieba tokenizer, mean-of-characters embeddings, continued MLM pretraining."""

import re

import pytest
import torch
from transformers import BertForMaskedLM

from kexue import data, tiny_bert, wobert
from kexue.text import encode_texts, prune_vocab

N = 300


@pytest.fixture(scope="module")
def selection(tiny):
    return wobert.select_words(tiny, N)


@pytest.fixture
def extended(selection):
    """A fresh tiny masked LM extended with the N words, with a copy of the model from before the extension."""
    encoder = tiny_bert(mlm=True)
    before = tiny_bert(mlm=True)
    return encoder, wobert.add_words(encoder, selection.words), before


def test_vocabulary_holds_every_base_token_and_exactly_n_new_words(tiny, selection, extended):
    encoder, tokenizer, before = extended
    base = before.model.config.vocab_size
    assert tokenizer.offset == base and tokenizer.vocab_size == base + N == encoder.model.config.vocab_size
    assert len(set(selection.words)) == N
    # every base token keeps its id and its embedding row
    assert torch.equal(encoder.model.get_input_embeddings().weight[:base],
                       before.model.get_input_embeddings().weight)
    assert tokenizer.token(tiny.unit_ids("中")[0]) == "中"
    # the new words are the most frequent jieba words, minus those passed over, in order
    ranked = data.top_words(N + len(selection.skipped))
    assert selection.words == [w for w in ranked if w not in selection.skipped]
    assert selection.words[:3] == ["一个", "中国", "我们"]
    for word in selection.words:
        assert len(tiny.unit_ids(word)) == len(word) >= 2  # new to the base: one token per character there
        assert tokenizer.unit_ids(word) == [tokenizer.word_ids[word]]


def test_tokenizer_round_trips_a_corpus_sample(extended):
    _, tokenizer, _ = extended
    texts = [s.text for s in data.load_peoples_daily("dev")[:300]]
    texts = [t for t in texts if tokenizer.unk_id not in tokenizer.encoder.unit_ids(t)]
    assert len(texts) > 250
    for text in texts:
        ids = tokenizer.unit_ids(text)
        assert tokenizer.decode(ids) == re.sub(r"\s", "", tokenizer.encoder.normalize(text))
        assert "".join(tokenizer.tokenize(text)) == tokenizer.decode(ids)
    # even 300 words shorten the sequences (by about 10%; 20,000 words give about 36%)
    assert wobert.length_ratios(tokenizer, texts).mean() > 1.05


def test_tokenizer_cuts_with_jieba_and_falls_back_to_characters(extended):
    _, tokenizer, _ = extended
    assert tokenizer.cut("我们是中国人") == ["我们", "是", "中国", "人"]
    rare = "颗粒"  # a jieba word, but not among the 300 most frequent
    assert rare not in tokenizer.word_ids and tokenizer.cut(rare) == ["颗", "粒"]
    assert tokenizer.cut("1998年") == ["1998", "年"]  # non-Chinese runs kept together
    # characters the vocabulary lacks are folded by NFKC first (this one has full-width digits, so they stay)
    assert "".join(tokenizer.cut("１９９８年ＡＢ")) == tokenizer.encoder.normalize("１９９８年ＡＢ") == "１９９８年ab"


def test_bad_text_input(extended):
    _, tokenizer, _ = extended
    for empty in ("", "   "):
        with pytest.raises(ValueError, match="empty text"):
            tokenizer.unit_ids(empty)
    with pytest.raises(TypeError):
        tokenizer.unit_ids(None)
    latin = "Hello world 2020!"  # no Chinese: the base tokenizer's pieces, no words
    assert tokenizer.unit_ids(latin) == [i for part in latin.split() for i in tokenizer.encoder.unit_ids(part)]
    assert tokenizer.decode(tokenizer.unit_ids(latin)) == "helloworld2020!"


def test_new_word_embedding_is_the_mean_of_its_characters(extended):
    encoder, tokenizer, before = extended
    old = before.model.get_input_embeddings().weight
    new = encoder.model.get_input_embeddings().weight
    for word in ("中国", tokenizer.words[-1]):
        chars = before.unit_ids(word)
        row = tokenizer.word_ids[word]
        torch.testing.assert_close(new[row], old[chars].mean(0))
    # the tied output layer shares the rows; its bias gets the characters' mean bias
    assert encoder.model.get_output_embeddings().weight is new
    bias = encoder.model.get_output_embeddings().bias
    torch.testing.assert_close(bias[tokenizer.word_ids["中国"]], before.model.get_output_embeddings().bias[
        before.unit_ids("中国")].mean())


def test_untied_output_layer_gets_mean_rows_and_random_init_has_the_embedding_scale():
    base = tiny_bert(mlm=True)
    config = base.model.config
    config.tie_word_embeddings = False
    torch.manual_seed(0)
    model = BertForMaskedLM(config)
    decoder_before = model.get_output_embeddings().weight.detach().clone()
    first = wobert.extend_embeddings(model, [[5, 7], [9]])
    decoder = model.get_output_embeddings().weight
    assert first == config.vocab_size - 2 and decoder is not model.get_input_embeddings().weight
    torch.testing.assert_close(decoder[first], decoder_before[[5, 7]].mean(0))
    torch.testing.assert_close(decoder[first + 1], decoder_before[9])

    model = tiny_bert(mlm=True).model
    scale = model.get_input_embeddings().weight.std().item()
    first = wobert.extend_embeddings(model, [[5, 7]] * 2000, init="random", seed=1)
    rows = model.get_input_embeddings().weight[first:]
    assert abs(rows.std().item() - scale) < 0.05 * scale
    assert not torch.allclose(rows[0], rows[1])


def test_extended_model_gives_unchanged_outputs_on_character_input(extended):
    encoder, _, before = extended
    ids = encode_texts(before, ["今天天气很好", "我们去公园散步吧"])
    mask = (ids != before.pad_id).long()
    with torch.no_grad():
        old = before.model(input_ids=ids, attention_mask=mask)
        new = encoder.model(input_ids=ids, attention_mask=mask)
        old_hidden = before.base(input_ids=ids, attention_mask=mask).last_hidden_state
        new_hidden = encoder.base(input_ids=ids, attention_mask=mask).last_hidden_state
    torch.testing.assert_close(new_hidden, old_hidden)
    torch.testing.assert_close(new.logits[..., : old.logits.shape[-1]], old.logits)


def test_words_with_unknown_characters_and_too_many_words_are_refused(tiny):
    encoder = tiny_bert(mlm=True)
    prune_vocab(encoder, encode_texts(encoder, ["中国人民"]))
    with pytest.raises(ValueError, match="outside"):
        wobert.add_words(encoder, ["中国", "天气"])  # 天, 气 were pruned away
    assert wobert.add_words(encoder, ["中国", "人民"]).vocab_size == encoder.model.config.vocab_size
    with pytest.raises(ValueError, match="at most 337465"):
        wobert.select_words(tiny, 400_000)  # more words than jieba's dictionary holds
    with pytest.raises(ValueError, match="n must be"):
        wobert.select_words(tiny, 0)
    model = tiny_bert(mlm=True).model
    with pytest.raises(ValueError, match="non-empty"):
        wobert.extend_embeddings(model, [[]])
    with pytest.raises(ValueError, match="non-empty"):
        wobert.extend_embeddings(model, [[10 ** 6]])
    with pytest.raises(ValueError, match="init"):
        wobert.extend_embeddings(model, [[1]], init="zeros")


def test_select_words_passes_over_words_the_tokenizer_cannot_see(tiny):
    selection = wobert.select_words(tiny, 20_000)
    assert len(selection.words) == 20_000
    reasons = set(selection.skipped.values())
    assert reasons <= {"changed by normalisation", "character not in the vocabulary", "already one token"}
    assert all(tiny.unk_id not in tiny.unit_ids(w) for w in selection.words)


def test_masked_logits_match_the_full_head(extended):
    encoder, tokenizer, _ = extended
    ids = encode_texts(tokenizer, ["我们是中国人", "今天天气很好"])
    chosen = torch.zeros_like(ids, dtype=torch.bool)
    chosen[0, 1] = chosen[1, 3] = True
    mask = (ids != tokenizer.pad_id).long()
    with torch.no_grad():
        full = encoder.model(input_ids=ids, attention_mask=mask).logits[chosen]
        part = wobert.masked_logits(encoder.model, ids, chosen, tokenizer.pad_id)
    torch.testing.assert_close(part, full)


def test_continued_pretraining_lowers_held_out_mlm_loss(extended):
    encoder, tokenizer, _ = extended
    sentences = [s.text for s in data.load_peoples_daily("train")[:400]]
    ids = encode_texts(tokenizer, sentences[:320], max_length=32)
    held_out = encode_texts(tokenizer, sentences[320:], max_length=32)
    history = wobert.continue_pretraining(encoder.model, tokenizer, ids, steps=30, batch_size=32, lr=2e-3,
                                         held_out=held_out, eval_every=30, progress=False)
    assert history.eval_steps == [0, 30]
    start, end = history.evals
    assert end["mlm loss"] < start["mlm loss"] - 1.0
    assert set(start) == {"mlm loss", "mlm accuracy", "loss on words", "loss on characters"}


def test_tokenizer_save_and_load(extended, tmp_path):
    encoder, tokenizer, _ = extended
    tokenizer.save(tmp_path)
    loaded = wobert.WordTokenizer.load(tmp_path, encoder)
    assert loaded.words == tokenizer.words and loaded.offset == tokenizer.offset
    assert loaded.unit_ids("我们是中国人") == tokenizer.unit_ids("我们是中国人")
    with pytest.raises(ValueError, match="rows"):
        wobert.WordTokenizer.load(tmp_path, tiny_bert(mlm=True))


def test_speed_ratio_inputs_and_windows(extended):
    encoder, tokenizer, _ = extended
    texts = [s.text for s in data.load_peoples_daily("dev")[:200]]
    assert [len(w) for w in wobert.text_windows(texts, 50, 3)] == [50, 50, 50]
    with pytest.raises(ValueError, match="windows"):
        wobert.text_windows(["短"], 50, 1)
    rows = wobert.speed_ratios(encoder.base, tokenizer, texts, lengths=(32, 64), batch_size=2, repeats=1)
    assert [r["characters"] for r in rows] == [32, 64]
    assert all(r["word tokens"] < r["char tokens"] for r in rows)
