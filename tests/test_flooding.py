import math

import numpy as np
import pytest
import torch

from kexue import flooding as F
from kexue.nets import mlp
from kexue.train import cross_entropy_loss, train


def _mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x), y)


def _regression(n=64, d=5, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=dtype)
    y = x @ torch.randn(d, 1, generator=g, dtype=dtype) + 0.1 * torch.randn(n, 1, generator=g, dtype=dtype)
    return x, y


def _linear(d=5, seed=1, dtype=torch.float64):
    torch.manual_seed(seed)
    return torch.nn.Linear(d, 1, bias=False).to(dtype)


# ---- the flooded loss ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.05, 0.3, 0.5, 1.7, 4.0])
def test_flood_is_the_loss_above_b_and_its_mirror_below(value):
    b = 0.5
    out = F.flood(torch.tensor(value), b)
    expected = value if value >= b else 2 * b - value
    assert out.item() == pytest.approx(expected)


def test_flood_gradient_flips_sign_below_b():
    theta = torch.tensor([0.3, -0.2], requires_grad=True)
    for b, sign in [(0.01, 1.0), (1.0, -1.0)]:  # L(theta) = ||theta||^2 = 0.13: above 0.01, below 1.0
        (grad,) = torch.autograd.grad(F.flood((theta**2).sum(), b), theta)
        assert torch.allclose(grad, sign * 2 * theta)


def test_flood_with_b_zero_leaves_a_nonnegative_loss_alone():
    loss = torch.tensor(0.42)
    assert F.flood(loss, 0.0).item() == pytest.approx(0.42)


@pytest.mark.parametrize("b", [-0.1, float("nan"), float("inf")])
def test_flood_rejects_a_bad_level(b):
    with pytest.raises(ValueError, match="finite number >= 0"):
        F.flood(torch.tensor(1.0), b)
    with pytest.raises(ValueError, match="finite number >= 0"):
        F.flooded(_mse, b)


def test_flood_rejects_a_level_that_is_not_a_number():
    with pytest.raises(TypeError, match="must be a number"):
        F.flood(torch.tensor(1.0), "0.1")


def test_flood_refuses_a_per_sample_loss_unless_asked():
    losses = torch.tensor([0.1, 0.9, 0.4])
    with pytest.raises(ValueError, match="per_sample=True"):
        F.flood(losses, 0.3)
    per_sample = F.flood(losses, 0.3, per_sample=True)
    assert per_sample.item() == pytest.approx((0.5 + 0.9 + 0.4) / 3)  # 2b - 0.1 = 0.5; the others stay
    assert F.flood(losses.mean(), 0.3).item() == pytest.approx(losses.mean().item())  # the batch mean is above b


def test_flooded_training_hovers_at_b_instead_of_zero():
    x, y = _regression(dtype=torch.float32)
    b = 0.3
    plain, flooded = _linear(dtype=torch.float32), _linear(dtype=torch.float32)
    h0 = train(plain, _mse, [(x, y)], steps=400, lr=0.05, progress=False)
    hb = train(flooded, F.flooded(_mse, b), [(x, y)], steps=400, lr=0.05, progress=False)
    assert h0.losses[-1] < 0.02  # the unflooded loss sinks to the noise floor
    final = _mse(flooded, (x, y)).item()
    assert abs(final - b) < 0.05 and min(hb.losses[-50:]) >= b  # the flooded loss never drops below b


# ---- descent-ascent = gradient-norm step -----------------------------------------------------------------------


def _closed_form(model, x, y, eps1, eps2):
    """L = mean (x w - y)^2 is quadratic in w: g = 2 x^T r / n, H = 2 x^T x / n, and
    descent-ascent gives exactly -(eps1 - eps2) g - eps1 eps2 H g."""
    n = len(x)
    w = model.weight.detach().reshape(-1, 1)
    g = 2 * x.T @ (x @ w - y) / n
    hessian = 2 * x.T @ x / n
    return (-(eps1 - eps2) * g - eps1 * eps2 * hessian @ g).reshape(-1)


@pytest.mark.parametrize("eps1, eps2", [(0.05, 0.05), (0.1, 0.03)])
def test_descent_ascent_equals_the_penalty_step_on_a_quadratic(eps1, eps2):
    x, y = _regression()
    model = _linear()
    expected = _closed_form(model, x, y, eps1, eps2)
    assert torch.allclose(F.descent_ascent_update(model, _mse, (x, y), eps1, eps2), expected, rtol=1e-10, atol=1e-14)
    assert torch.allclose(F.penalty_update(model, _mse, (x, y), eps1, eps2), expected, rtol=1e-10, atol=1e-14)


def test_the_gap_shrinks_faster_than_eps_squared_on_a_network():
    torch.manual_seed(0)
    relu_net = mlp(6, 3, hidden=16, depth=2).double()
    net = F.swap_activation(relu_net, torch.nn.Tanh)  # smooth, so the expansion's remainder is O(eps^3)
    assert not any(isinstance(m, torch.nn.ReLU) for m in net.modules())
    assert sum(isinstance(m, torch.nn.ReLU) for m in relu_net.modules()) == 2  # the original is left alone
    x = torch.randn(32, 6, dtype=torch.float64)
    y = torch.randint(0, 3, (32,))
    epsilons = [1e-1, 3e-2, 1e-2, 3e-3, 1e-3]
    equal, unequal = (F.expansion_check(net, cross_entropy_loss, (x, y), epsilons, ratio=ratio) for ratio in (1.0, 2.0))
    fit_equal, fit_unequal = F.expansion_slopes(equal), F.expansion_slopes(unequal)
    assert fit_equal["abs_gap"] > 2.7 and fit_unequal["abs_gap"] > 2.7  # O(eps^3), faster than eps^2
    assert fit_equal["update"] == pytest.approx(2.0, abs=0.05)  # eps1 = eps2: the update itself is O(eps^2)
    assert fit_equal["rel_gap"] == pytest.approx(1.0, abs=0.3)  # so the relative gap falls like eps
    assert fit_unequal["update"] == pytest.approx(1.0, abs=0.1)  # eps1 > eps2: the first-order term dominates
    with pytest.raises(ValueError, match="at least two rows"):
        F.expansion_slopes(equal, max_eps=1e-3)


def test_descent_ascent_optimizer_in_train_makes_the_analysed_pair():
    x, y = _regression()
    model = _linear()
    expected = F.descent_ascent_update(model, _mse, (x, y), 0.1, 0.04)
    start = model.weight.detach().clone().reshape(-1)
    loader = F.repeat_batches(torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=len(x)))
    assert len(loader) == 2
    train(model, _mse, loader, steps=2, optimizer=F.DescentAscent(model.parameters(), 0.1, 0.04),
          progress=False, cpu=True)
    assert torch.allclose(model.weight.detach().reshape(-1) - start, expected, rtol=1e-10, atol=1e-14)


def test_gradient_norm_penalty_is_the_loss_plus_lambda_grad_norm_squared():
    x, y = _regression()
    model = _linear()
    lam = 0.7
    w = model.weight.detach().reshape(-1, 1)
    g = 2 * x.T @ (x @ w - y) / len(x)
    value = F.gradient_norm_penalty(_mse, lam)(model, (x, y))
    assert value.item() == pytest.approx(_mse(model, (x, y)).item() + lam * (g**2).sum().item(), rel=1e-12)
    value.backward()  # on a quadratic: grad (L + lam ||g||^2) = g + 2 lam H g
    hessian = 2 * x.T @ x / len(x)
    assert torch.allclose(model.weight.grad.reshape(-1), (g + 2 * lam * hessian @ g).reshape(-1), rtol=1e-10)


def test_equivalent_penalty_and_bad_rates():
    rate, lam = F.equivalent_penalty(0.2, 0.1)
    assert rate == pytest.approx(0.1) and lam == pytest.approx(0.2 * 0.1 / (2 * 0.1))
    with pytest.raises(ValueError, match="eps1 > eps2"):
        F.equivalent_penalty(0.1, 0.1)
    with pytest.raises(ValueError, match="climbs the loss"):
        F.DescentAscent(_linear().parameters(), 0.1, 0.2)
    with pytest.raises(ValueError, match="lambda"):
        F.gradient_norm_penalty(_mse, float("nan"))
    with pytest.raises(ValueError, match="ratio"):
        F.expansion_check(_linear(), _mse, _regression(), [0.1], ratio=0.5)


# ---- data and experiments --------------------------------------------------------------------------------------


def test_stratified_subset_is_balanced_seeded_and_without_repeats():
    labels = np.repeat(np.arange(10), 100)
    idx = F.stratified_subset(labels, 255, seed=3)
    assert len(idx) == len(set(idx)) == 255
    counts = np.bincount(labels[idx], minlength=10)
    assert counts.max() - counts.min() <= 1
    assert np.array_equal(idx, F.stratified_subset(labels, 255, seed=3))
    assert not np.array_equal(idx, F.stratified_subset(labels, 255, seed=4))
    with pytest.raises(ValueError, match="between 1 and"):
        F.stratified_subset(labels, 1001, seed=0)


def test_label_noise_flips_exactly_the_asked_fraction_to_other_classes():
    labels = np.repeat(np.arange(10), 50)
    noisy = F.add_label_noise(labels, 0.2, 10, seed=0)
    changed = noisy != labels
    assert changed.sum() == 100 and noisy.min() >= 0 and noisy.max() <= 9
    assert len(np.unique(noisy[changed])) == 10  # the new classes spread over all classes
    assert np.array_equal(noisy, F.add_label_noise(labels, 0.2, 10, seed=0))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        F.add_label_noise(labels, 1.5, 10, seed=0)
    with pytest.raises(ValueError, match="labels must lie"):
        F.add_label_noise(labels, 0.2, 5, seed=0)


def test_label_noise_entropy_is_the_best_reachable_cross_entropy():
    rate, k = 0.2, 10
    floor = F.label_noise_entropy(rate, k)
    assert floor == pytest.approx(-0.8 * math.log(0.8) - 0.2 * math.log(0.2 / 9))
    clean = np.repeat(np.arange(k), 2000)
    noisy = torch.as_tensor(F.add_label_noise(clean, rate, k, seed=0))
    best = torch.full((len(clean), k), rate / (k - 1)).index_put_((torch.arange(len(clean)), torch.as_tensor(clean)),
                                                                   torch.tensor(1 - rate))
    assert torch.nn.functional.nll_loss(best.log(), noisy).item() == pytest.approx(floor, rel=1e-6)
    sharper = torch.softmax(3 * best.log(), -1)  # any other prediction does worse
    assert torch.nn.functional.nll_loss(sharper.log(), noisy).item() > floor
    assert F.label_noise_entropy(0.0, k) == 0.0
    with pytest.raises(ValueError, match="rate"):
        F.label_noise_entropy(1.0, k)


def test_noisy_fashion_mnist_subset():
    data = F.noisy_fashion_mnist(500, 0.2, seed=0, n_test=300)
    assert data["x"].shape == (500, 1, 28, 28) and data["x_test"].shape == (300, 1, 28, 28)
    assert (data["y"] != data["y_clean"]).sum().item() == 100
    assert torch.bincount(data["y_clean"]).tolist() == [50] * 10


def test_flooding_on_fashion_mnist_keeps_the_training_loss_off_zero(monkeypatch, tmp_path):
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))  # train here, not read a run cached by an earlier session
    config = {"n_train": 200, "noise": 0.2, "epochs": 40, "batch_size": 50, "hidden": 128, "n_test": 500, "lr": 3e-3}
    plain = F.run_flooding(0.0, 0, **config)
    flooded = F.run_flooding(0.4, 0, **config)
    assert len(plain["epoch"]) == 40 and plain["epoch"][-1] == 40
    assert plain["train_acc"][-1] > 0.97  # memorises the noisy labels: ~zero training loss
    assert plain["train_loss"][-1] < 0.1
    assert np.mean(flooded["train_loss"][-10:]) > 0.3  # stays near b = 0.4
    assert min(flooded["objective"][-10:]) >= 0.4  # the flooded objective never goes below b
    assert np.mean(flooded["test_loss"][-10:]) < np.mean(plain["test_loss"][-10:])  # less over-confident


def test_second_descent_measures_the_fall_after_the_peak():
    assert F.second_descent({"test_loss": [3.0, 1.0, 2.0, 4.0, 3.0, 2.5]}, window=1) == pytest.approx(1.5)
    assert F.second_descent({"test_loss": [3.0, 1.0, 2.0, 4.0, 3.0, 2.5]}, window=2) == pytest.approx(3.5 - 2.75)
    assert F.second_descent({"test_loss": [1.0, 2.0, 3.0]}, window=2) == 0.0  # still rising


def test_b_free_runs_and_bad_method(monkeypatch, tmp_path):
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))
    config = {"eps1": 0.2, "eps2": 0.1, "n_train": 200, "noise": 0.2, "epochs": 2, "batch_size": 50, "hidden": 32,
              "n_test": 200}
    for method in F.B_FREE_METHODS:
        curves = F.run_b_free(method, 0, **config)
        assert len(curves["test_acc"]) == 2 and all(math.isfinite(v) for v in curves["train_loss"])
    with pytest.raises(ValueError, match="method must be one of"):
        F.run_b_free("adam", 0, **config)


def test_summarize_gives_mean_std_and_paired_differences():
    def curves(acc):
        return {"test_acc": [0.1, acc], "test_loss": [1.0, 1.0], "train_loss": [0.5, 0.5], "train_acc": [0.9, 0.9]}

    results = {(0.0, 0): curves(0.70), (0.0, 1): curves(0.72), (0.2, 0): curves(0.73), (0.2, 1): curves(0.76)}
    rows = F.summarize(results, baseline=0.0)
    assert [r["setting"] for r in rows] == [0.0, 0.2]
    mean, std = rows[1]["test acc (final)"]
    assert mean == pytest.approx(0.745) and std == pytest.approx(np.std([0.73, 0.76], ddof=1))
    assert rows[1]["Δ test acc vs 0.0"][0] == pytest.approx(0.035)
    assert rows[0]["test acc (best epoch)"][0] == pytest.approx(0.71)
