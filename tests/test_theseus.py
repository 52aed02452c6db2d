"""BERT-of-Theseus: module grouping, the random replacement, frozen predecessor, schedules, successor extraction."""

import pytest
import torch
from transformers import AutoModel, BertForSequenceClassification

from kexue import tiny_bert
from kexue.nets import mlp
from kexue.text import MeanPoolClassifier, batches, encode_texts
from kexue.theseus import (
    Theseus, constant_rate, constant_then_one, extract_successor, first_layers, keep_layers,
    layer_groups, linear_curriculum, train_theseus,
)

TEXTS = ["今天天气很好", "这家店的菜太难吃了", "还可以吧，下次再来", "服务员态度非常差"]


def _no_dropout(model: torch.nn.Module) -> torch.nn.Module:
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    return model


@pytest.fixture()
def setting():
    """A 4-layer random classifier without dropout (so train-mode forwards are deterministic) and a batch."""
    encoder = tiny_bert(layers=4, seed=1)
    torch.manual_seed(0)
    classifier = _no_dropout(MeanPoolClassifier(encoder.base, 2, encoder.pad_id))
    return classifier, encode_texts(encoder, TEXTS)


def test_layer_groups_split_evenly_first_modules_larger():
    assert layer_groups(12, 6) == [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9], [10, 11]]
    assert layer_groups(12, 3) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    assert layer_groups(12, 5) == [[0, 1, 2], [3, 4, 5], [6, 7], [8, 9], [10, 11]]
    assert sum(layer_groups(7, 4), []) == list(range(7))
    with pytest.raises(ValueError, match="smaller than"):
        layer_groups(12, 12)
    with pytest.raises(ValueError, match="at least one"):
        layer_groups(12, 0)


@pytest.mark.parametrize("replace_embeddings", [False, True])
def test_rate_zero_is_the_predecessor_and_rate_one_the_successor(setting, replace_embeddings):
    classifier, x = setting
    with torch.no_grad():
        expected = classifier(x)
    theseus = Theseus(classifier, 2, p=0.0, replace_embeddings=replace_embeddings).train()
    with torch.no_grad():
        torch.testing.assert_close(theseus(x), expected, rtol=0, atol=0)
        with torch.no_grad():  # perturb the successor so that "successor" and "predecessor" differ
            for param in theseus.successor_parameters():
                param.add_(0.05 * torch.randn_like(param))
        torch.testing.assert_close(theseus(x), expected, rtol=0, atol=0)
        assert not any(theseus.last_draw)
        theseus.p = 1.0
        successor = _no_dropout(extract_successor(theseus))
        torch.testing.assert_close(theseus(x), successor(x))
        assert all(theseus.last_draw)
        assert not torch.allclose(successor(x), expected)
    assert len(successor.base.encoder.layer) == 2 and successor.base.config.num_hidden_layers == 2
    assert len(classifier.base.encoder.layer) == 4  # the predecessor is put back together after each forward


def test_a_drawn_mix_runs_successor_layers_in_place_of_their_modules(setting):
    classifier, x = setting
    theseus = Theseus(classifier, 2, init_layers=[1, 3], p=0.5, seed=3).train()
    with torch.no_grad():
        for param in theseus.successor_parameters():
            param.add_(0.05 * torch.randn_like(param))
        for _ in range(8):
            out = theseus(x)
            r = theseus.last_draw
            layers = []
            for replaced, group, successor_layer in zip(r, theseus.groups, theseus.successor):
                layers += [successor_layer] if replaced else [classifier.base.encoder.layer[j] for j in group]
            torch.testing.assert_close(out, keep_layers(classifier, layers)(x))


def test_draws_are_bernoulli_p_per_module():
    theseus = Theseus(MeanPoolClassifier(tiny_bert(layers=4).base, 2, 0), 2, p=0.3, seed=0,
                      replace_embeddings=True)
    draws = torch.tensor([theseus.draw() for _ in range(4000)], dtype=torch.float)
    assert draws.shape == (4000, 3)  # two modules and the embeddings, one draw each per forward pass
    rate = draws.mean(0)
    assert torch.all((rate - 0.3).abs() < 4 * (0.3 * 0.7 / 4000) ** 0.5)  # within 4 standard errors


def test_gradients_reach_only_the_successor(setting):
    classifier, x = setting
    theseus = Theseus(classifier, 2, p=0.5, seed=0, replace_embeddings=True).train()
    torch.nn.functional.cross_entropy(theseus(x), torch.tensor([1, 0, 1, 0])).backward()
    assert all(p.grad is None and not p.requires_grad for p in classifier.parameters())
    trainable = {id(p) for p in theseus.parameters() if p.requires_grad}
    assert trainable == {id(p) for p in theseus.successor_parameters()}
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in theseus.successor_parameters())


def test_training_moves_the_successor_and_leaves_predecessor_and_head_alone(setting):
    classifier, x = setting
    before = {k: v.clone() for k, v in classifier.state_dict().items()}
    theseus = Theseus(classifier, 2, p=0.5, seed=0)
    start = [p.detach().clone() for p in theseus.successor_parameters()]
    loader = batches(x, torch.tensor([1, 0, 1, 0]), batch_size=2, seed=0)
    history, rates = train_theseus(theseus, loader, steps=6, schedule=constant_then_one(0.5, 4), lr=1e-3,
                                   evaluate=lambda m: {"n": 1.0}, eval_every=3)
    assert rates == [0.5, 0.5, 0.5, 1.0, 1.0, 1.0] and theseus.p == 1.0
    assert len(history.losses) == 6 and history.eval_steps == [3, 6]
    assert all(torch.equal(v, before[k]) for k, v in classifier.state_dict().items())
    assert any(not torch.equal(a, b) for a, b in zip(start, theseus.successor_parameters()))


def test_steps_where_every_module_drew_the_predecessor_change_nothing(setting):
    classifier, x = setting
    theseus = Theseus(classifier, 2, p=0.0, replace_embeddings=True)
    start = [p.detach().clone() for p in theseus.successor_parameters()]
    loader = batches(x, torch.tensor([1, 0, 1, 0]), batch_size=2, seed=0)
    history, rates = train_theseus(theseus, loader, steps=3, schedule=constant_rate(0.0), lr=1e-2)
    assert rates == [0.0, 0.0, 0.0] and len(history.losses) == 3
    assert all(torch.equal(a, b) for a, b in zip(start, theseus.successor_parameters()))


def test_schedules():
    assert [constant_rate(0.5)(t) for t in (0, 1, 10_000)] == [0.5, 0.5, 0.5]
    schedule = constant_then_one(0.5, until=100)
    assert [schedule(t) for t in (0, 99, 100, 5000)] == [0.5, 0.5, 1.0, 1.0]
    curriculum = linear_curriculum(k=6e-4, b=0.3)  # the paper's values
    assert curriculum(0) == pytest.approx(0.3)
    assert curriculum(500) == pytest.approx(0.6)
    assert curriculum(1000) == pytest.approx(0.9)
    assert curriculum(1167) == 1.0 and curriculum(10_000) == 1.0
    for bad in (lambda: constant_rate(1.5), lambda: constant_then_one(-0.1, 10), lambda: linear_curriculum(b=2),
                lambda: linear_curriculum(k=-1e-3)):
        with pytest.raises(ValueError):
            bad()


def test_bad_input(setting):
    classifier, _ = setting
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        Theseus(classifier, 2, p=1.2)
    theseus = Theseus(classifier, 2)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        theseus.p = -0.1
    with pytest.raises(ValueError, match="smaller than"):
        Theseus(classifier, 4)
    with pytest.raises(ValueError, match="init_layers"):
        Theseus(classifier, 2, init_layers=[0, 9])
    with pytest.raises(ValueError, match="layers_path"):
        Theseus(mlp(4, 2, hidden=8), 2)
    with pytest.raises(ValueError, match="not an nn.ModuleList"):
        Theseus(classifier, 2, layers_path="base.encoder")
    with pytest.raises(ValueError, match="no submodule"):
        Theseus(classifier, 2, layers_path="base.decoder.layer")


def test_uneven_modules_run_and_extract(setting):
    classifier, x = setting
    theseus = Theseus(classifier, 3, p=1.0).eval()
    assert theseus.groups == [[0, 1], [2], [3]]
    with torch.no_grad():
        torch.testing.assert_close(theseus(x), extract_successor(theseus)(x))


def test_extracted_successor_saves_and_loads_with_from_pretrained(setting, tmp_path):
    classifier, x = setting
    theseus = Theseus(classifier, 2, p=1.0, replace_embeddings=True).eval()
    with torch.no_grad():
        for param in theseus.successor_parameters():
            param.add_(0.05 * torch.randn_like(param))
        expected = theseus(x)
    successor = extract_successor(theseus).eval()
    successor.base.save_pretrained(tmp_path)
    loaded = MeanPoolClassifier(AutoModel.from_pretrained(tmp_path), 2, classifier.pad_id).eval()
    loaded.head.load_state_dict(successor.head.state_dict())
    assert loaded.base.config.num_hidden_layers == 2
    with torch.no_grad():
        torch.testing.assert_close(successor(x), expected)
        torch.testing.assert_close(loaded(x), expected)


def test_wraps_a_transformers_classifier_directly(tiny):
    model = _no_dropout(BertForSequenceClassification(tiny.model.config)).eval()
    x = encode_texts(tiny, TEXTS)
    theseus = Theseus(model, 2, p=0.0, replace_embeddings=True).train()
    with torch.no_grad():
        torch.testing.assert_close(theseus(input_ids=x).logits, model(input_ids=x).logits)
    successor = extract_successor(theseus)
    assert isinstance(successor, BertForSequenceClassification) and successor.config.num_hidden_layers == 2


def test_first_layers_equals_the_truncated_forward(tiny):
    x = encode_texts(tiny, TEXTS)
    short = first_layers(tiny.base, 2).eval()
    with torch.no_grad():
        expected = tiny.base(input_ids=x, output_hidden_states=True).hidden_states[2]
        torch.testing.assert_close(short(input_ids=x).last_hidden_state, expected)
    assert len(tiny.base.encoder.layer) == 4  # the original is untouched
    with pytest.raises(ValueError, match="4 transformer layers and 0 were asked for: ask for 1..4$"):
        first_layers(tiny.base, 0)
