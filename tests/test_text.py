"""Text batches: encoding, pair truncation, vocabulary pruning, MLM masking, the mean-pooling classifier."""

import pytest
import torch

from kexue import tiny_bert
from kexue.text import (
    IGNORE, MeanPoolClassifier, batches, encode_pairs, encode_texts, mask_tokens, prune_vocab, truncate_pair,
)


def test_encode_texts_shapes_and_truncation(tiny):
    ids = encode_texts(tiny, ["今天天气很好", "好"], max_length=5)
    assert ids.shape == (2, 5)
    assert ids[0, 0] == tiny.cls_id and ids[0, -1] == tiny.sep_id
    assert ids[1].tolist() == [tiny.cls_id, *tiny.unit_ids("好"), tiny.sep_id, tiny.pad_id, tiny.pad_id]


def test_encode_texts_rejects_bad_input(tiny):
    with pytest.raises(ValueError, match="empty text"):
        encode_texts(tiny, ["好", "  "])
    with pytest.raises(ValueError, match="max_length"):
        encode_texts(tiny, ["好"], max_length=2)
    with pytest.raises(TypeError):
        encode_texts(tiny, [3])


def test_truncate_pair_trims_longer_first():
    a, b = truncate_pair(list(range(10)), list(range(3)), 8)
    assert (len(a), len(b)) == (5, 3) and a == [0, 1, 2, 3, 4]
    a, b = truncate_pair(list(range(6)), list(range(6)), 7)
    assert sorted((len(a), len(b))) == [3, 4] and len(a) + len(b) == 7
    a, b = truncate_pair([1], [2], 5)
    assert (a, b) == ([1], [2])
    with pytest.raises(ValueError):
        truncate_pair([1], [2], 1)


def test_encode_pairs_respects_budget(tiny):
    ids = encode_pairs(tiny, [("一二三四五六七八九十", "好的"), ("甲", "乙")], max_length=9)
    assert ids.shape == (2, 9)
    row = ids[0].tolist()
    assert row.count(tiny.sep_id) == 2 and row[0] == tiny.cls_id
    assert row == [tiny.cls_id, *tiny.unit_ids("一二三四"), tiny.sep_id, *tiny.unit_ids("好的"), tiny.sep_id]


def test_prune_vocab_keeps_outputs(tiny_mlm):
    texts = ["今天天气很好", "我们去公园"]
    ids = encode_texts(tiny_mlm, texts)
    with torch.no_grad():
        before = tiny_mlm.model(input_ids=ids).logits
    original = tiny_mlm.model.config.vocab_size
    (pruned,) = prune_vocab(tiny_mlm, ids)
    assert tiny_mlm.model.config.vocab_size < 20
    assert torch.equal(tiny_mlm.kept_ids[pruned], ids)  # mapping back gives the original ids
    assert torch.equal(encode_texts(tiny_mlm, texts), pruned)  # the encoder now speaks the new ids
    with torch.no_grad():
        after = tiny_mlm.model(input_ids=pruned).logits
    torch.testing.assert_close(after, before[..., tiny_mlm.kept_ids], rtol=1e-5, atol=1e-5)
    assert tiny_mlm.unit_ids("龘") == [tiny_mlm.unk_id]  # a dropped character is unknown now
    assert original == 21128
    with pytest.raises(ValueError, match="already pruned"):
        prune_vocab(tiny_mlm, ids)


def test_mask_tokens_statistics():
    ids = torch.randint(5, 1000, (400, 50))
    ids[:, 0] = 1  # a special token that must never be chosen
    inputs, labels = mask_tokens(ids, mask_id=4, vocab_size=1000, special_ids=[0, 1, 2, 3, 4],
                                 generator=torch.Generator().manual_seed(0))
    chosen = labels != IGNORE
    assert not chosen[:, 0].any()
    assert abs(chosen[:, 1:].float().mean().item() - 0.15) < 0.01
    assert torch.equal(labels[chosen], ids[chosen])
    as_mask = (inputs[chosen] == 4).float().mean().item()
    kept = (inputs[chosen] == ids[chosen]).float().mean().item()
    assert abs(as_mask - 0.8) < 0.02 and abs(kept - 0.1) < 0.02  # random replacements rarely hit the same id
    assert torch.equal(inputs[~chosen], ids[~chosen])
    assert inputs[:, 1:].min() >= 4  # random replacements are never special ids 0..3


def test_classifier_pools_over_real_tokens_only(tiny):
    model = MeanPoolClassifier(tiny.base, 2, tiny.pad_id).eval()
    short = encode_texts(tiny, ["好"])
    padded = encode_texts(tiny, ["好", "今天天气很好"])[:1]
    with torch.no_grad():
        torch.testing.assert_close(model(short), model(padded), rtol=1e-5, atol=1e-5)
    assert model(encode_texts(tiny, ["好", "坏"])).shape == (2, 2)


def test_batches_length_check():
    loader = batches(torch.zeros(10, 3), torch.zeros(10), batch_size=4)
    assert [len(b[0]) for b in loader] == [4, 4]
    with pytest.raises(ValueError):
        batches(torch.zeros(10), torch.zeros(9), batch_size=4)


@pytest.fixture
def tiny_mlm():
    return tiny_bert(mlm=True, seed=0)


def test_padding_columns_are_cut_per_batch_and_the_classifier_gives_the_same_logits(tiny):
    from kexue.text import MeanPoolClassifier, encode_texts, trim_padding

    ids = encode_texts(tiny, ["欧拉是一名数学家", "好"], max_length=32)
    wide = torch.nn.functional.pad(ids, (0, 20), value=tiny.pad_id)  # padded to a longer text of the data set
    assert torch.equal(trim_padding(wide, tiny.pad_id), ids)
    assert trim_padding(wide[1:], tiny.pad_id).shape[1] == 3  # [CLS] 好 [SEP]
    classifier = MeanPoolClassifier(tiny.base, 2, tiny.pad_id).eval()
    seen = []
    handle = classifier.base.register_forward_pre_hook(lambda m, a, k: seen.append(k["input_ids"].shape[1]),
                                                       with_kwargs=True)
    with torch.no_grad():
        assert torch.allclose(classifier(wide), classifier(ids), atol=1e-6)
    handle.remove()
    assert seen == [ids.shape[1], ids.shape[1]]
