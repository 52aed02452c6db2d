"""Conditional LayerNorm: exact start at the pretrained model, conditions that matter after training, the pair path."""

import pytest
import torch

from kexue import tiny_bert
from kexue.cln import (
    ConditionalEncoder, ConditionalLayerNorm, MatchingComparison, MatchingConfig, build_matcher, conditional_loss,
    convert_layernorms, f1, matching_run, matching_scores, predict, swap_criterion,
)
from kexue.data.matching import OTHER_ARTICLE, RELATED, SAME_ARTICLE
from kexue.layers import keep_first_layers
from kexue.text import encode_pairs

PAIRS = [("今天天气很好", "明天会下雨吗"), ("人民日报", "新华社北京一月一日电"), ("好", "坏"),
         ("经济增长很快", "物价平稳")]


def pair_batch(encoder, max_length=32):
    ids = encode_pairs(encoder, PAIRS, max_length)
    return ids, (ids != encoder.pad_id).long()


def test_zero_initialised_cln_reproduces_the_base_model_exactly():
    encoder = tiny_bert(layers=2, seed=1)
    ids, mask = pair_batch(encoder)
    with torch.no_grad():
        reference = encoder.base(input_ids=ids, attention_mask=mask).last_hidden_state
        model = ConditionalEncoder(encoder.base, num_conditions=6, cond_dim=8)
        assert len(model.norms) == 1 + 2 * 2  # embeddings + (attention, output) per layer
        for task in (0, 3, 5):
            out = model(ids, mask, task=torch.full((len(ids),), task)).last_hidden_state
            assert torch.equal(out, reference)


def test_cln_is_the_formula():
    torch.manual_seed(0)
    norm = torch.nn.LayerNorm(5)
    torch.nn.init.normal_(norm.weight)
    torch.nn.init.normal_(norm.bias)
    cln = ConditionalLayerNorm(norm, cond_dim=3)
    torch.nn.init.normal_(cln.W_gamma.weight)
    torch.nn.init.normal_(cln.W_beta.weight)
    x, c = torch.randn(2, 4, 5, dtype=torch.float64), torch.randn(2, 3, dtype=torch.float64)
    cln.double()
    cln.condition = c
    x_hat = (x - x.mean(-1, keepdim=True)) / torch.sqrt(x.var(-1, unbiased=False, keepdim=True) + norm.eps)
    gamma = cln.weight + c @ cln.W_gamma.weight.T
    beta = cln.bias + c @ cln.W_beta.weight.T
    torch.testing.assert_close(cln(x), gamma[:, None] * x_hat + beta[:, None])


def test_conditions_differ_after_one_gradient_step():
    encoder = tiny_bert(layers=2, seed=2)
    ids, _ = pair_batch(encoder)
    model = build_matcher(encoder, conditional=True, cond_dim=8)
    task = torch.tensor([0, 3, 1, 4])
    with torch.no_grad():
        before = [model(ids, task=torch.full((4,), t)) for t in range(6)]
    assert all(torch.equal(before[0], b) for b in before)  # at init the condition changes nothing
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    conditional_loss(model, (ids, task, torch.tensor([1, 0, 1, 0]))).backward()
    assert model.base.norms[0].W_gamma.weight.grad.abs().sum() > 0
    optimizer.step()
    with torch.no_grad():
        after = [model(ids, task=torch.full((4,), t)) for t in range(6)]
    assert not torch.allclose(after[0], after[3])
    assert model.base.task_shifts().shape == (6, 5, 2, encoder.hidden_size)


def test_bad_conditions_are_refused():
    encoder = tiny_bert(layers=1)
    ids, mask = pair_batch(encoder)
    model = ConditionalEncoder(encoder.base, num_conditions=6, cond_dim=4)
    with pytest.raises(ValueError, match="0..5"):
        model(ids, mask, task=torch.tensor([0, 1, 2, 6]))
    with pytest.raises(ValueError, match="0..5"):
        model(ids, mask, task=torch.tensor([-1, 1, 2, 3]))
    with pytest.raises(ValueError, match="one id per example"):
        model(ids, mask, task=torch.tensor([0, 1]))
    with pytest.raises(TypeError, match="task="):
        model(ids, mask)
    with pytest.raises(RuntimeError, match="no condition"):
        encoder.base(input_ids=ids, attention_mask=mask)  # converted in place: a bare call has no condition
    with pytest.raises(ValueError, match="no nn.LayerNorm"):
        convert_layernorms(encoder.base)
    with pytest.raises(ValueError, match="has 2 transformer layers and 3 were asked for.*KEXUE_MODEL"):
        keep_first_layers(tiny_bert(layers=2).model, 3)


def test_pair_path_truncates_longer_text_first_and_refuses_empty_text(tiny):
    model = build_matcher(tiny_bert(layers=1), conditional=True, cond_dim=4)
    long_text, short_text = "中" * 200, "国家"
    ids = encode_pairs(tiny, [(long_text, short_text), (short_text, long_text)], max_length=16)
    assert ids.shape == (2, 16)
    sep = tiny.sep_id
    for row, short_first in zip(ids.tolist(), (False, True)):
        first_sep = row.index(sep)
        a, b = row[1:first_sep], row[first_sep + 1 : -1]
        assert len(a) + len(b) == 16 - 3
        short_ids = tiny.unit_ids(short_text)
        assert (a if short_first else b) == short_ids  # the short text is kept whole, the long one trimmed
    assert predict(model, ids, torch.tensor([0, 3])).shape == (2,)
    with pytest.raises(ValueError, match="empty text"):
        encode_pairs(tiny, [("新年好", "   ")], max_length=16)


def test_scores():
    assert f1(torch.tensor([1, 1, 0, 0]), torch.tensor([1, 0, 1, 0])) == pytest.approx(0.5)
    assert f1(torch.tensor([0, 0]), torch.tensor([0, 0])) == 0.0
    tasks = torch.tensor([0, 0, 3, 3, 3])
    labels = torch.tensor([1, 0, 1, 0, 0])
    relations = [SAME_ARTICLE, OTHER_ARTICLE, RELATED, SAME_ARTICLE, OTHER_ARTICLE]
    always_yes = matching_scores(torch.ones(5, dtype=torch.long), labels, tasks, relations)
    assert always_yes["conflict acc A"] == 1.0 and always_yes["conflict acc B"] == 0.0
    assert always_yes["conflict acc mean"] == 0.5
    assert always_yes["F1 B"] == pytest.approx(0.5) and always_yes["F1 mean"] == pytest.approx((2 / 3 + 0.5) / 2)
    assert swap_criterion(torch.arange(6)).tolist() == [3, 4, 5, 0, 1, 2]


def test_matching_run_smoke():
    cfg = MatchingConfig(conditional=True, model="tiny", layers=1, max_length=24, n_train_per_task=8,
                         n_dev_per_task=4, n_test_per_task=4, steps=2, batch_size=8, eval_every=2)
    result = matching_run.uncached(cfg, progress=False)
    assert len(result.pred) == len(result.pred_wrong) == len(result.labels) == 6 * 4
    assert result.shifts.shape[:3] == (6, 3, 2)
    assert set(result.scores(wrong_condition=True)) == set(result.scores())
    shared = matching_run.uncached(MatchingConfig(**{**cfg.__dict__, "conditional": False}), progress=False)
    with pytest.raises(ValueError, match="wrong condition"):
        shared.scores(wrong_condition=True)
    comparison = MatchingComparison(result, shared)
    assert len(comparison.rows()) == 4 and len(comparison.claims([0.0])) == 6
    assert comparison.facts()["cln-shift-largest"] in ("emb", "L1 att", "L1 out")
