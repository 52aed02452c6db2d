import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from kexue.train import TrainingDiverged, train


def _regression(seed=0, n=256):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    w = torch.tensor([[1.5], [-2.0], [0.5]])
    return x, x @ w + 0.3


def _mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x), y)


def test_train_fits_a_linear_regression_and_records_history():
    x, y = _regression()
    model = torch.nn.Linear(3, 1)
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    evaluate = lambda m: {"mse": torch.nn.functional.mse_loss(m(x), y).item()}  # noqa: E731
    h = train(model, _mse, loader, steps=300, lr=0.05, evaluate=evaluate, eval_every=50, progress=False)
    assert len(h.losses) == 300 and h.eval_steps == [50, 100, 150, 200, 250, 300]
    assert h.losses[0] > 1.0 and h.metric("mse")[-1] < 1e-3
    assert torch.allclose(model.weight, torch.tensor([[1.5, -2.0, 0.5]]), atol=0.02)
    assert h.best("mse", mode="min")[1] == min(h.metric("mse"))


def test_early_stopping_restores_the_best_weights():
    x, y = _regression()
    model = torch.nn.Linear(3, 1)
    scores = iter([0.5, 0.9, 0.8, 0.7, 0.6, 0.95])
    snapshots = []

    def evaluate(m):
        snapshots.append(m.weight.detach().clone())
        return {"acc": next(scores)}

    h = train(model, _mse, [(x, y)], steps=100, lr=0.01, evaluate=evaluate, eval_every=10,
              monitor="acc", patience=3, progress=False)
    assert h.stopped_early and h.eval_steps == [10, 20, 30, 40, 50]
    assert torch.equal(model.weight, snapshots[1])  # the evaluation that scored 0.9


def test_only_the_given_parameters_move():
    x, y = _regression()
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 1))
    frozen = model[0].weight.detach().clone()
    train(model, _mse, [(x, y)], steps=5, params=model[1].parameters(), progress=False)
    assert torch.equal(model[0].weight, frozen)


def test_nan_loss_stops_with_advice():
    model = torch.nn.Linear(3, 1)
    bad = [(torch.full((4, 3), float("nan")), torch.zeros(4, 1))]
    with pytest.raises(TrainingDiverged, match="learning rate"):
        train(model, _mse, bad, steps=3, progress=False)


def test_bad_arguments():
    model = torch.nn.Linear(3, 1)
    with pytest.raises(ValueError, match="at least 1"):
        train(model, _mse, [], steps=0)
    with pytest.raises(ValueError, match="monitor"):
        train(model, _mse, [], steps=1, patience=2)
    with pytest.raises(ValueError, match="empty"):
        train(model, _mse, [], steps=1, progress=False)


def test_checkpoint_is_written(tmp_path):
    x, y = _regression()
    model = torch.nn.Linear(3, 1)
    train(model, _mse, [(x, y)], steps=2, checkpoint=tmp_path / "c" / "model.pt", progress=False)
    state = torch.load(tmp_path / "c" / "model.pt")
    assert torch.equal(state["weight"], model.weight)


def test_cross_entropy_loss_and_accuracy_on_a_separable_problem():
    from kexue.train import accuracy, cross_entropy_loss

    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 2, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    model = torch.nn.Linear(2, 2)
    chance = accuracy(model, x, y)
    train(model, cross_entropy_loss, DataLoader(TensorDataset(x, y), batch_size=50), steps=200, lr=0.1, progress=False)
    assert accuracy(model, x, y) > 0.97 > chance
    with pytest.raises(ValueError, match="labels"):
        accuracy(model, x, y[:-1])


@pytest.mark.parametrize("capability,expected", [((7, 5), "fp16"), ((8, 6), "bf16")])
def test_mixed_precision_follows_the_gpu(monkeypatch, capability, expected):
    from kexue.train import mixed_precision_for

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    assert mixed_precision_for(True) == expected
    assert mixed_precision_for(False) == "no" and mixed_precision_for(True, "no") == "no"
    with pytest.raises(ValueError, match="mixed_precision"):
        mixed_precision_for(True, "fp8")


def test_runs_with_different_precisions_follow_each_other():
    """Accelerate keeps one process-wide state; a second run with another precision used to be refused."""
    x, y = _regression()
    for precision in ("bf16", "no", "bf16"):
        model = torch.nn.Linear(3, 1)
        h = train(model, _mse, [(x, y)], steps=20, lr=0.05, progress=False, cpu=True, mixed_precision=precision)
        assert h.losses[-1] < h.losses[0]


def test_evaluation_at_start_is_step_zero_on_the_untrained_model():
    x, y = _regression()
    model = torch.nn.Linear(3, 1)
    start = torch.nn.functional.mse_loss(model(x), y).item()
    seen_modes = []

    def evaluate(m):
        seen_modes.append(m.training)
        return {"mse": torch.nn.functional.mse_loss(m(x), y).item()}

    h = train(model, _mse, [(x, y)], steps=20, lr=0.05, evaluate=evaluate, eval_every=10, eval_at_start=True,
              progress=False)
    assert h.eval_steps == [0, 10, 20] and h.metric("mse")[0] == pytest.approx(start)
    assert seen_modes == [False, False, False]


def test_batched_eval_matches_one_pass_restores_the_mode_and_joins_tuples():
    from kexue.train import batched_eval

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Dropout(0.5))
    x = torch.randn(10, 3)
    model.train()
    out = batched_eval(model, model, x, batch_size=3)
    assert model.training and not out.requires_grad
    model.eval()
    assert torch.allclose(out, model(x).detach(), atol=1e-6)  # eval mode inside: no dropout; batches in order
    both = batched_eval(model, lambda a, b: (model(a), b * 2), x, torch.arange(10), batch_size=4)
    assert torch.equal(both[1], torch.arange(10) * 2) and both[0].shape == (10, 4)
    stacked = batched_eval(model, lambda a: torch.stack([a, a]), x, batch_size=4, dim=1)
    assert stacked.shape == (2, 10, 3)
    with pytest.raises(ValueError, match="different lengths"):
        batched_eval(model, model, x, x[:5])


def test_batched_eval_runs_rows_shortest_first_and_returns_them_in_input_order():
    from kexue.text import MeanPoolClassifier, token_counts, trim_padding
    from kexue.train import batched_eval

    torch.manual_seed(0)
    pad = 0
    lengths = torch.tensor([9, 2, 5, 1, 7, 3, 8, 4])
    ids = torch.zeros(len(lengths), 10, dtype=torch.long)
    for row, n in enumerate(lengths.tolist()):
        ids[row, :n] = torch.randint(1, 50, (n,))
    assert torch.equal(token_counts(ids, pad), lengths)
    model = MeanPoolClassifier(_tiny_bert(), 3, pad)
    widths = []

    def step(batch, rows):
        widths.append(trim_padding(batch, pad).shape[1])
        return model(batch), rows

    plain, plain_rows = batched_eval(model, step, ids, torch.arange(8), batch_size=3)
    widths.clear()
    out, rows = batched_eval(model, step, ids, torch.arange(8), batch_size=3, lengths=lengths)
    assert widths == [3, 7, 9]  # batches of the sorted rows: {1, 2, 3}, {4, 5, 7}, {8, 9}
    assert torch.equal(rows, torch.arange(8)) and torch.equal(plain_rows, torch.arange(8))
    assert torch.allclose(out, plain, atol=1e-5)  # the same logits per row, less padding
    stacked = batched_eval(model, lambda b: torch.stack([model(b), -model(b)]), ids, batch_size=3, lengths=lengths,
                           dim=1)
    assert torch.allclose(stacked[0], plain, atol=1e-5) and torch.allclose(stacked[1], -plain, atol=1e-5)
    texts = batched_eval(model, lambda t: torch.tensor([len(s) for s in t]), ["ccc", "a", "bb"], batch_size=2,
                         lengths=torch.tensor([3, 1, 2]))
    assert texts.tolist() == [3, 1, 2]
    with pytest.raises(ValueError, match="one length per row"):
        batched_eval(model, model, ids, lengths=lengths[:3])


def _tiny_bert():
    from transformers import BertConfig, BertModel

    return BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                intermediate_size=32, max_position_embeddings=16)).eval()
