"""Desensitized text: the cipher, the frequency-rank alignment, the PET-style joint targets and scores."""

from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from kexue import desensitized as ds
from kexue.text import IGNORE


def pairs_with_counts(counts: dict[int, int]) -> list[ds.CipherPair]:
    """One unlabelled pair per occurrence: cipher id i appears exactly counts[i] times (plus the filler id 99)."""
    return [ds.CipherPair((i,), (99,), None) for i, n in counts.items() for _ in range(n)]


@pytest.fixture(scope="module")
def mlm():
    from kexue import load_masked_lm

    return load_masked_lm("tiny")


def test_cipher_is_a_bijection_and_inverts():
    texts = ["今天 天气很好。", "明天下雨！"]
    cipher = ds.make_cipher(texts, seed=3)
    assert len(set(cipher.char_to_id.values())) == len(cipher.char_to_id)  # one id per character
    assert cipher.decode(cipher.encode(texts[1])) == "明天下雨!"  # NFKC folds the full-width mark
    assert cipher.encode("天天") == [cipher.char_to_id["天"]] * 2
    assert ds.make_cipher(texts, seed=3) == cipher and ds.make_cipher(texts, seed=4) != cipher
    with pytest.raises(ValueError, match="empty text"):
        cipher.encode("  ")
    with pytest.raises(ValueError, match="not in this cipher"):
        cipher.encode("晴")


def test_encipher_pairs_checks_labels():
    cipher = ds.make_cipher(["甲乙", "丙"])
    good = SimpleNamespace(a="甲", b="乙丙", label=1)
    assert ds.encipher_pairs([good], cipher)[0].label == 1
    assert ds.encipher_pairs([good], cipher, labelled=False)[0].label is None
    with pytest.raises(ValueError, match="0 or 1"):
        ds.encipher_pairs([SimpleNamespace(a="甲", b="乙", label=2)], cipher)


def test_vocab_ranks_by_count_and_sends_rare_and_unseen_ids_to_unk():
    vocab = ds.build_vocab(pairs_with_counts({10: 9, 20: 7, 30: 5, 40: 2}), min_count=3)
    # 99 is in every pair (27 times), so it is rank 0
    assert vocab.ids == (99, 10, 20, 30) and vocab.counts == (23, 9, 7, 5)
    assert len(vocab) == len(ds.SPECIALS) + 4
    assert vocab.tokens([10, 40, 12345, 99]) == [8, ds.UNK, ds.UNK, 7]
    with pytest.raises(ValueError, match="min_count"):
        ds.build_vocab(pairs_with_counts({1: 1}), min_count=5)


def test_rank_alignment_maps_rank_r_to_rank_r(tiny):
    vocab = ds.build_vocab(pairs_with_counts({10: 9, 20: 7, 30: 5, 40: 2}), min_count=3)
    # "𠀀" is not in the model's vocabulary: it is skipped, and the ranks close up
    reference = Counter({"的": 1000, "𠀀": 500, "一": 100, "是": 50, "不": 20, "人": 1})
    alignment = ds.rank_alignment(vocab, reference, tiny)
    assert alignment.chars == ("的", "一", "是", "不")
    expected = [tiny.unit_ids(c)[0] for c in alignment.chars]
    assert alignment.rows[len(ds.SPECIALS):].tolist() == expected
    # specials keep the model's own rows; [NO] and [YES] start from [UNK]
    assert alignment.rows[: len(ds.SPECIALS)].tolist() == [tiny.pad_id, tiny.unk_id, tiny.cls_id, tiny.sep_id,
                                                            tiny.mask_id, tiny.unk_id, tiny.unk_id]
    shuffled = ds.random_alignment(vocab, reference, tiny, seed=1)
    assert sorted(shuffled.chars) == sorted(alignment.chars)


def test_cipher_ids_beyond_the_reference_start_from_unk(tiny):
    """More kept cipher ids than the reference has characters (the full sizes: 3,358 ids against 3,096
    characters) used to stop the chapter; the rarest ids now start from [UNK], as ids under min_count do."""
    vocab = ds.build_vocab(pairs_with_counts({10: 9, 20: 7, 30: 5, 40: 4}), min_count=3)
    small = Counter({"的": 3, "一": 2})
    alignment = ds.rank_alignment(vocab, small, tiny)
    assert alignment.chars == ("的", "一", None, None, None)  # ranks: the filler 99, then 10, 20, 30, 40
    assert alignment.rows[-3:].tolist() == [tiny.unk_id] * 3
    shuffled = ds.random_alignment(vocab, small, tiny, seed=3)
    assert sorted(shuffled.chars, key=str) == sorted(alignment.chars, key=str)
    assert ds.decode_with(alignment, vocab, [99, 10, 40]) == "的一□"


def test_recovery_counts_exact_and_similar_matches(tiny):
    cipher = ds.Cipher({"的": 10, "一": 20, "是": 30})
    vocab = ds.build_vocab(pairs_with_counts({10: 9, 20: 7, 30: 5}), min_count=3)
    vocab = ds.CipherVocab(vocab.ids[1:], vocab.counts[1:], 3)  # drop the filler id 99
    reference = Counter({"一": 100, "的": 90, "是": 10})  # the two top characters swap places
    result = ds.recovery(ds.rank_alignment(vocab, reference, tiny), vocab, cipher, reference)
    assert result["ids exact"] == pytest.approx(1 / 3)
    assert result["tokens exact"] == pytest.approx(5 / 21)
    assert result["ids similar"] == pytest.approx(1.0)  # 100 vs 90 are within a factor of 2
    assert ds.true_ranks(vocab, cipher, reference, tiny).tolist() == [1, 0, 2]
    assert ds.recovery(ds.plaintext_alignment(vocab, cipher, tiny), vocab, cipher, reference)["ids exact"] == 1.0


def test_reembed_copies_rows_and_ties_the_head(mlm):
    import copy

    model = copy.deepcopy(mlm.model)
    old = model.get_input_embeddings().weight.detach().clone()
    rows = torch.tensor([mlm.pad_id, mlm.unk_id, 5, 5, 100])
    ds.reembed(model, rows)
    new = model.get_input_embeddings().weight
    assert torch.equal(new, old[rows])
    assert model.get_output_embeddings().weight is new
    assert model.config.vocab_size == 5
    out = model(input_ids=torch.tensor([[0, 2, 4]])).logits
    assert out.shape == (1, 3, 5)


def test_cipher_model_keeps_specials_and_layers():
    vocab = ds.build_vocab(pairs_with_counts({10: 9, 20: 7, 30: 5}), min_count=3)
    reference = Counter({"的": 9, "一": 8, "是": 7, "不": 6})
    model = ds.cipher_model("rank-align", vocab, model="tiny", layers=2, reference=reference)
    from kexue import load_masked_lm

    tiny = load_masked_lm("tiny")
    old = tiny.model.get_input_embeddings().weight
    new = model.get_input_embeddings().weight
    assert len(model.bert.encoder.layer) == 2 and new.shape[0] == len(vocab)
    for token, row in [(ds.PAD, tiny.pad_id), (ds.CLS, tiny.cls_id), (ds.SEP, tiny.sep_id), (ds.MASK, tiny.mask_id)]:
        assert torch.equal(new[token], old[row])
    scratch = ds.cipher_model("random-init", vocab, model="tiny", layers=2)
    assert scratch.get_input_embeddings().weight.shape == new.shape
    assert not torch.equal(scratch.get_input_embeddings().weight[ds.CLS], old[tiny.cls_id])
    with pytest.raises(ValueError, match="init must be"):
        ds.cipher_model("frequency", vocab, model="tiny")
    # the model comes back on the device asked for (the step-0 evaluation and the zero-shot test run there)
    placed = ds.cipher_model("rank-align", vocab, model="tiny", layers=2, reference=reference, device="meta")
    assert {p.device.type for p in placed.parameters()} == {"meta"}


def test_pair_tensors_truncate_longer_first_and_assemble_swaps():
    vocab = ds.build_vocab([ds.CipherPair(tuple(range(1, 11)), (1, 2), 1)], min_count=1)
    pairs = [ds.CipherPair(tuple(range(1, 11)), (1, 2), 1), ds.CipherPair((3,), (4,), None)]
    t = ds.pair_tensors(pairs, vocab, max_length=10)
    assert (t.a[0] != ds.PAD).sum() == 5 and (t.b[0] != ds.PAD).sum() == 2  # 7 = 10 - 3 specials
    assert t.y.tolist() == [1, -1]
    ids = ds.assemble(t.a, t.b, torch.tensor([False, True]))
    a0, b0 = vocab.tokens(range(1, 6)), vocab.tokens([1, 2])
    assert ids[0].tolist() == [ds.CLS, *a0, ds.SEP, *b0, ds.SEP]
    assert ids[1].tolist()[:5] == [ds.CLS, *vocab.tokens([4]), ds.SEP, *vocab.tokens([3]), ds.SEP]
    assert (ids[1, 5:] == ds.PAD).all()
    with pytest.raises(ValueError, match="empty text"):
        ds.pair_tensors([ds.CipherPair((), (1,), 0)], vocab)
    with pytest.raises(ValueError, match="0 or 1"):
        ds.pair_tensors([ds.CipherPair((1,), (1,), 3)], vocab)
    with pytest.raises(ValueError, match="max_length"):
        ds.pair_tensors(pairs, vocab, max_length=4)


def test_masking_statistics_and_cls_targets():
    generator = torch.Generator().manual_seed(0)
    vocab_size = 500
    ids = torch.randint(len(ds.SPECIALS), vocab_size, (400, 50), generator=generator)
    ids[:, 0], ids[:, 25], ids[:, -1] = ds.CLS, ds.SEP, ds.SEP
    y = torch.tensor([1, 0, -1, 1] * 100)
    chosen = kept = masked = 0
    for _ in range(10):
        inputs, targets = ds.pet_targets(ids, y, vocab_size=vocab_size, generator=generator)
        text = targets[:, 1:] != IGNORE
        chosen += text.sum().item()
        masked += (inputs[:, 1:][text] == ds.MASK).sum().item()
        kept += (inputs[:, 1:][text] == ids[:, 1:][text]).sum().item()
        assert (targets[:, 25] == IGNORE).all() and (targets[:, -1] == IGNORE).all()  # specials are never targets
        assert targets[:, 0].tolist() == [ds.YES, ds.NO, IGNORE, ds.YES] * 100  # unlabelled: [CLS] ignored
        assert (inputs[:, 0] == ds.CLS).all()
    candidates = 10 * 400 * 47
    assert chosen / candidates == pytest.approx(0.15, abs=0.005)
    assert masked / chosen == pytest.approx(0.8, abs=0.01)
    # kept = the 10% left alone plus random replacements that drew the same token (1/493 of 10%)
    assert kept / chosen == pytest.approx(0.1, abs=0.01)


def test_yes_probability_is_the_normalised_yes_no_ratio(mlm):
    vocab = ds.build_vocab([ds.CipherPair(tuple(range(1, 30)), (1,), 1)], min_count=1)
    model = ds.cipher_model("random-init", vocab, model="tiny", layers=1)
    pairs = ds.pair_tensors([ds.CipherPair((1, 2, 3), (4, 5), 1), ds.CipherPair((6,), (7, 8, 9), 0)], vocab)
    assert pairs.lengths().tolist() == [5, 4]  # so yes_probability runs the second pair first
    assert torch.equal(pairs[torch.tensor([1, 0])].a, pairs.a.flip(0))
    scores = ds.yes_probability(model, pairs)
    assert ((scores > 0) & (scores < 1)).all()
    model.eval()
    with torch.no_grad():
        ids = ds.assemble(pairs.a, pairs.b)
        p = model(input_ids=ids, attention_mask=(ids != ds.PAD).long()).logits[:, 0].softmax(-1)
    assert torch.allclose(scores, p[:, ds.YES] / (p[:, ds.YES] + p[:, ds.NO]), atol=1e-6)


def test_roc_auc_is_the_pairwise_probability_with_ties():
    """AUC = P(s+ > s-) + P(s+ = s-) / 2 over all (positive, negative) pairs, many ties included."""
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 5, 200).astype(float)
    labels = rng.integers(0, 2, 200)
    pos, neg = scores[labels == 1][:, None], scores[labels == 0][None, :]
    pairwise = ((pos > neg).sum() + 0.5 * (pos == neg).sum()) / (pos.size * neg.size)
    assert ds.roc_auc(scores, labels) == pytest.approx(pairwise, abs=1e-12)
    assert ds.roc_auc(torch.tensor(scores), torch.tensor(labels)) == ds.roc_auc(scores, labels)
    assert ds.roc_auc([0.5] * 4, [0, 1, 0, 1]) == 0.5  # all tied: chance, as every pretrained start at step 0
    with pytest.raises(ValueError, match="scores but"):
        ds.roc_auc([0.1, 0.2, 0.3], [0, 1])
    with pytest.raises(ValueError, match="0 or 1"):
        ds.roc_auc([0.1, 0.2], [0, -1])
    with pytest.raises(ValueError, match="both"):
        ds.roc_auc([0.1, 0.2], [1, 1])


def test_pet_training_learns_a_ciphered_rule():
    """A rule a reader can check: the pair matches when one of its texts contains the marker id 1."""
    rng = np.random.default_rng(0)
    pairs = []
    for i in range(400):
        a, b = [int(v) for v in rng.integers(2, 30, 6)], [int(v) for v in rng.integers(2, 30, 6)]
        if i % 2:
            b[int(rng.integers(0, 6))] = 1
        pairs.append(ds.CipherPair(tuple(a), tuple(b), i % 2))
    vocab = ds.build_vocab(pairs, min_count=1)
    train_set, held_out = ds.pair_tensors(pairs[:300], vocab), ds.pair_tensors(pairs[300:], vocab)
    model = ds.cipher_model("random-init", vocab, model="tiny", layers=2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: one thread is fastest, and leaves the other core to other jobs
    try:
        history = ds.train_matcher(model, train_set, held_out, steps=80, lr=1e-3, eval_every=80, progress=False)
    finally:
        torch.set_num_threads(threads)
    assert history.eval_steps == [0, 80]
    assert history.metric("auc")[0] < 0.7 and history.metric("auc")[-1] > 0.9


def test_mean_pooled_states_match_one_text_at_a_time():
    """Batched pooling with padding equals pooling each text alone, at every depth."""
    pairs = [ds.CipherPair((3, 4, 5, 6, 7), (8,), 1), ds.CipherPair((9, 10), (3, 4), 0)]
    vocab = ds.build_vocab(pairs, min_count=1)
    tensors = ds.pair_tensors(pairs, vocab)
    model = ds.cipher_model("random-init", vocab, model="tiny", layers=2).eval()
    batched = ds.mean_pooled_states(model, tensors.a)
    assert batched.shape == (3, 2, model.config.hidden_size)  # embeddings + 2 layers, 2 texts
    for i, text in enumerate(tensors.a):
        ids = torch.cat([torch.tensor([ds.CLS]), text[text != ds.PAD], torch.tensor([ds.SEP])])[None]
        with torch.no_grad():
            states = model.bert(input_ids=ids, output_hidden_states=True).hidden_states
        alone = torch.stack([h[0].mean(0) for h in states])
        torch.testing.assert_close(batched[:, i], alone, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="at least one token"):
        ds.mean_pooled_states(model, torch.zeros(2, 3, dtype=torch.long))


def test_zero_shot_auc_is_perfect_when_matches_are_copies():
    """Positive pairs repeat the same text (cosine 1), negatives use disjoint ids: AUC 1 at every depth."""
    rng = np.random.default_rng(0)
    pairs = []
    for i in range(40):
        a = tuple(int(v) for v in rng.integers(2, 20, 6))
        b = a if i % 2 else tuple(int(v) for v in rng.integers(20, 40, 6))
        pairs.append(ds.CipherPair(a, b, i % 2))
    vocab = ds.build_vocab(pairs, min_count=1)
    model = ds.cipher_model("random-init", vocab, model="tiny", layers=2)
    aucs = ds.zero_shot_auc(model, ds.pair_tensors(pairs, vocab))
    assert len(aucs) == 3 and all(a == pytest.approx(1.0) for a in aucs)
    assert model.training  # the evaluation leaves the mode as it found it
    unlabelled = ds.pair_tensors([ds.CipherPair((2,), (3,), None)] * 2, vocab)
    with pytest.raises(ValueError, match="labels"):
        ds.zero_shot_auc(model, unlabelled)
