import math

import numpy as np
import pytest
import torch
from torch import nn

from kexue.denoising import (
    DDE,
    EnergyMLP,
    GaussianMixture,
    SamplerDiverged,
    ScoreUNet,
    dde_loss,
    denoiser_loss_fn,
    dsm_loss,
    dsm_loss_fn,
    ema_hook,
    fit,
    frechet_distance,
    gaussian_baseline,
    geometric_sigmas,
    langevin,
    latent_batches,
    mlp_generator,
    prepare_images,
    sample_quality,
    train_classifier,
    train_dde,
    tweedie_denoiser,
    tweedie_step,
)
from kexue.nets import mlp
from kexue.train import TrainingDiverged


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


MIX_1D = GaussianMixture([0.3, 0.5, 0.2], [[-2.0], [0.5], [2.5]], [0.3, 0.6, 0.25])
MIX_2D = GaussianMixture([0.5, 0.3, 0.2], [[-1.5, 0.0], [1.2, 1.2], [1.0, -1.3]], [0.35, 0.3, 0.25])


# --- closed forms ---------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [MIX_1D, MIX_2D, MIX_2D.smoothed(0.4)])
def test_mixture_score_matches_finite_differences_of_log_p(p):
    x = p.sample(50, torch.Generator().manual_seed(0)).double() + 0.3
    h = 1e-5
    fd = torch.stack([(p.log_prob(x + h * e) - p.log_prob(x - h * e)) / (2 * h)
                      for e in torch.eye(p.dim, dtype=torch.float64)], dim=1)
    torch.testing.assert_close(p.score(x), fd, rtol=1e-6, atol=1e-6)


def test_smoothed_mixture_is_the_convolution_with_the_noise():
    # p_sigma(x) = integral p(y) N(x - y; 0, sigma^2) dy, by quadrature on a fine grid
    sigma = 0.7
    y = torch.linspace(-8, 8, 8001, dtype=torch.float64)[:, None]
    x = torch.tensor([[-2.5], [0.0], [1.3], [3.0]], dtype=torch.float64)
    kernel = torch.exp(-((x - y.T) ** 2) / (2 * sigma**2)) / math.sqrt(2 * math.pi * sigma**2)
    numeric = (kernel * MIX_1D.log_prob(y).exp()[None, :]).sum(1) * (y[1, 0] - y[0, 0])
    torch.testing.assert_close(MIX_1D.smoothed(sigma).log_prob(x).exp(), numeric, rtol=1e-6, atol=1e-9)


def test_tweedie_denoiser_is_the_posterior_mean():
    # E[x | x~] computed by quadrature of y p(y) N(x~ - y; sigma^2), against x~ + sigma^2 grad log p_sigma(x~)
    sigma = 0.5
    y = torch.linspace(-8, 8, 8001, dtype=torch.float64)[:, None]
    x_noisy = torch.tensor([[-3.0], [-1.0], [0.2], [2.0]], dtype=torch.float64)
    weights = torch.exp(-((x_noisy - y.T) ** 2) / (2 * sigma**2)) * MIX_1D.log_prob(y).exp()[None, :]
    posterior_mean = (weights * y.T).sum(1) / weights.sum(1)
    torch.testing.assert_close(tweedie_denoiser(MIX_1D, sigma, x_noisy)[:, 0], posterior_mean, rtol=1e-6, atol=1e-8)
    # the sampler's final denoising step is the same formula, given the score of p_sigma
    smoothed = MIX_1D.smoothed(sigma)
    step = tweedie_step(lambda x, s: smoothed.score(x), x_noisy, sigma)
    torch.testing.assert_close(step[:, 0], posterior_mean, rtol=1e-6, atol=1e-8)


def test_mixture_moments_match_samples():
    mean, cov = MIX_2D.mean_and_cov()
    x = MIX_2D.sample(200_000, torch.Generator().manual_seed(1)).double()
    torch.testing.assert_close(x.mean(0), mean, atol=0.01, rtol=0)
    torch.testing.assert_close(torch.cov(x.T), cov, atol=0.02, rtol=0)


# --- learning the denoiser and the energy -------------------------------------------------------------

def test_trained_denoiser_approaches_the_tweedie_denoiser():
    sigma = 0.5
    x = MIX_1D.sample(4000, torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    r, history = fit(mlp(1, 1, hidden=64, depth=3), x, denoiser_loss_fn(sigma), steps=1000, batch_size=128,
                     lr=3e-3, grad_clip=None, progress=False)
    grid = torch.linspace(-3.5, 3.5, 200)[:, None]
    with torch.no_grad():
        error = r(grid) - tweedie_denoiser(MIX_1D, sigma, grid)
    weight = MIX_1D.smoothed(sigma).log_prob(grid).exp()
    weighted_rms = torch.sqrt((weight * error[:, 0] ** 2).sum() / weight.sum()).item()
    # the identity map (no denoising) is off by sigma^2 |score|, about 0.4 here: the net gets 10x closer
    identity_rms = torch.sqrt((weight * (grid - tweedie_denoiser(MIX_1D, sigma, grid))[:, 0] ** 2).sum() / weight.sum())
    assert weighted_rms < 0.06 and weighted_rms < identity_rms.item() / 5
    assert history.losses[-1] < history.losses[0]


class QuadraticEnergy(nn.Module):
    """E_a(x) = a ||x - m||^2 / 2, score -a (x - m): for data N(m, s^2 I) the exact energy of p_sigma has a = 1/(s^2 + sigma^2)."""

    def __init__(self, a: float, m: float):
        super().__init__()
        self.a, self.m = a, m

    def score(self, x, sigma, create_graph=False):
        return -self.a * (x - self.m)


def test_dsm_loss_has_zero_excess_exactly_at_the_exact_energy():
    s, m, sigma, d = 0.8, 1.0, 0.6, 4
    exact = 1 / (s**2 + sigma**2)
    x = m + s * torch.randn(200_000, d, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    losses = {}
    for a in (0.5 * exact, 0.8 * exact, exact, 1.2 * exact, 1.5 * exact):
        torch.manual_seed(1)  # the same noise for every candidate
        losses[a] = dsm_loss(QuadraticEnergy(a, m), x, sigma).item()
    a_grid = np.array(list(losses))
    curve = np.polyfit(a_grid, np.array(list(losses.values())), 2)
    assert abs(-curve[1] / (2 * curve[0]) - exact) < 0.01 * exact  # the loss is minimised at the exact energy
    # excess loss = sigma^2 E||s_a - s_exact||^2 / d = sigma^2 (a - a*)^2 (s^2 + sigma^2)  (Vincent's identity)
    for a in (0.5 * exact, 1.5 * exact):
        expected = sigma**2 * (a - exact) ** 2 * (s**2 + sigma**2)
        assert losses[a] - losses[exact] == pytest.approx(expected, rel=0.05)
    # the irreducible part: Var[eps | x~] = s^2 / (s^2 + sigma^2) per dimension for Gaussian data
    assert losses[exact] == pytest.approx(s**2 / (s**2 + sigma**2), rel=0.01)


def test_energy_score_is_minus_its_gradient_and_dsm_trains_through_it():
    energy = EnergyMLP(3, 16, 2, noise_conditional=True, confinement=0.3, center=0.5).double()
    x = torch.randn(5, 3, dtype=torch.float64)
    sigma = torch.full((5,), 0.3, dtype=torch.float64)
    h = 1e-6
    fd = torch.stack([(energy(x + h * e, sigma) - energy(x - h * e, sigma)) / (2 * h)
                      for e in torch.eye(3, dtype=torch.float64)], dim=1)
    torch.testing.assert_close(energy.score(x, sigma), -fd, rtol=1e-5, atol=1e-7)
    dsm_loss(energy, x, sigma).backward()  # double backprop reaches every weight of h
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in energy.layers.parameters())


def test_noise_conditional_energy_learns_every_noise_level():
    # data N(0, s^2 I): the score of p_sigma is -x / (s^2 + sigma^2), one network for all sigma in the range
    s = 0.5
    x = s * torch.randn(6000, 2, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    energy, _ = fit(EnergyMLP(2, 64, 2, noise_conditional=True), x, dsm_loss_fn((0.05, 1.0)),
                    steps=1500, batch_size=256, lr=3e-3, progress=False)
    for sigma in (0.1, 0.3, 1.0):
        probe = math.sqrt(s**2 + sigma**2) * torch.randn(2000, 2, generator=torch.Generator().manual_seed(2))
        exact = -probe / (s**2 + sigma**2)
        error = ((energy.score(probe, sigma) - exact) ** 2).sum(1).mean() / (exact**2).sum(1).mean()
        assert error.item() < 0.05, (sigma, error.item())


# --- sampling ------------------------------------------------------------------------------------------

def test_langevin_reproduces_a_known_gaussian():
    mu, var = torch.tensor([1.0, -2.0]), torch.tensor([0.5, 2.0])
    torch.manual_seed(0)
    start = 5 * torch.rand(4000, 2) - 2.5
    result = langevin(lambda x, sigma: -(x - mu) / var, start, [1.0], steps=1500, eps=0.02, denoise=False,
                      progress=False)
    torch.testing.assert_close(result.samples.mean(0), mu, atol=0.06, rtol=0)
    torch.testing.assert_close(result.samples.var(0), var, rtol=0.06, atol=0)
    assert result.trajectory.shape == (2, 8, 2)


def test_annealed_langevin_with_final_denoising_on_a_gaussian():
    # p = N(0, v): p_sigma = N(0, v + sigma^2); after the levels the chains follow p_{sigma_L}, and the Tweedie
    # step x + sigma_L^2 s(x) multiplies them by v / (v + sigma_L^2): variance v^2 / (v + sigma_L^2)
    v = 0.25
    sigmas = geometric_sigmas(2.0, 0.3, 5)
    torch.manual_seed(0)
    result = langevin(lambda x, sigma: -x / (v + sigma[:, None] ** 2), torch.rand(6000, 1), sigmas,
                      steps=100, eps=0.01, progress=False)
    sl = float(sigmas[-1])
    assert result.samples.var().item() == pytest.approx(v**2 / (v + sl**2), rel=0.06)
    assert result.trajectory[-2].shape == (8, 1) and len(result.trajectory) == len(sigmas) + 2


def test_sampler_rejects_bad_settings_and_reports_divergence():
    score = lambda x, sigma: -x  # noqa: E731
    with pytest.raises(ValueError, match="steps"):
        langevin(score, torch.zeros(4, 2), [1.0], steps=0, eps=0.1)
    with pytest.raises(ValueError, match="sigma"):
        langevin(score, torch.zeros(4, 2), [1.0, 0.0], steps=5, eps=0.1)
    with pytest.raises(ValueError, match="decrease"):
        langevin(score, torch.zeros(4, 2), [0.1, 1.0], steps=5, eps=0.1)
    with pytest.raises(ValueError, match="empty"):
        langevin(score, torch.zeros(4, 2), [], steps=5, eps=0.1)
    with pytest.raises(SamplerDiverged, match="lower eps"):  # step 100 on a unit Gaussian explodes
        langevin(score, torch.ones(4, 2), [1.0], steps=500, eps=100.0, progress=False)
    with pytest.raises(ValueError, match="sigma_max"):
        geometric_sigmas(0.1, 1.0, 5)


# --- bad input -----------------------------------------------------------------------------------------

def test_nonpositive_sigma_is_rejected_everywhere():
    for call in (lambda: MIX_1D.smoothed(0.0), lambda: tweedie_denoiser(MIX_1D, -1.0, torch.zeros(2, 1)),
                 lambda: dsm_loss_fn(0.0), lambda: dsm_loss_fn((0.0, 1.0)), lambda: denoiser_loss_fn(-0.1),
                 lambda: dsm_loss(EnergyMLP(2, 8, 1), torch.zeros(3, 2), torch.tensor([0.1, 0.0, 0.2])),
                 lambda: ScoreUNet(width=8)(torch.zeros(2, 1, 8, 8), -0.5)):
        with pytest.raises(ValueError, match="sigma"):
            call()


def test_images_of_the_wrong_shape_or_range_are_rejected():
    with pytest.raises(ValueError, match="255"):
        prepare_images(torch.full((2, 1, 8, 8), 200.0))
    with pytest.raises(TypeError, match="uint8"):
        prepare_images(np.zeros((2, 8, 8), dtype=np.int64))
    with pytest.raises(ValueError, match="size must divide"):
        prepare_images(np.zeros((2, 28, 28), dtype=np.uint8), 10)
    x = prepare_images(np.full((3, 28, 28), 255, dtype=np.uint8), 14)
    assert x.shape == (3, 1, 14, 14) and torch.all(x == 1)
    with pytest.raises(ValueError, match=r"\(N, 1, H, W\)"):
        gaussian_baseline(torch.rand(5, 8, 8), 4)


def test_nan_during_training_stops_with_a_clear_error():
    class Exploding(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def score(self, x, sigma, create_graph=False):
            return self.w * x * float("nan")

    with pytest.raises(TrainingDiverged, match="step 1"):
        fit(Exploding(), torch.randn(64, 2), dsm_loss_fn(0.5), steps=5, progress=False)
    with pytest.raises(ValueError, match="NaN"):
        fit(mlp(2, 2), torch.full((8, 2), float("nan")), denoiser_loss_fn(0.5), steps=5, progress=False)


# --- networks, EMA, DDE ------------------------------------------------------------------------------

def test_score_unet_shapes_and_zero_start():
    for net, x in ((ScoreUNet(width=8), torch.rand(3, 1, 14, 14)), (ScoreUNet(width=8, unshuffle=2), torch.rand(3, 1, 28, 28)),
                   (ScoreUNet(in_channels=3, width=8, levels=3), torch.rand(2, 3, 16, 16))):
        assert net.score(x, torch.tensor([0.1] * len(x))).shape == x.shape
        assert torch.all(net(x, 0.5) == 0)  # zero-initialised output layer: the loss starts at E||eps||^2 = 1


def test_ema_hook_averages_with_warm_up():
    model = nn.Linear(1, 1, bias=False)
    nn.init.zeros_(model.weight)
    average, on_step = ema_hook(model, 0.9)
    with torch.no_grad():
        model.weight.fill_(1.0)
    on_step(model, 1)  # d_1 = min(0.9, 2 / 11)
    assert average.weight.item() == pytest.approx(1 - 2 / 11)
    with pytest.raises(ValueError, match="decay"):
        ema_hook(model, 1.0)


def test_dde_steps_move_only_the_network_they_train():
    torch.manual_seed(0)
    E_p, E_q = EnergyMLP(4, 8, 1), EnergyMLP(4, 8, 1)
    model = DDE(mlp_generator(3, (1, 2, 2), hidden=8, depth=1), E_p, E_q, sigma=0.2, z_dim=3, critic_steps=2)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.1)
    batches = latent_batches(16, 3)
    snapshot = lambda net: [p.detach().clone() for p in net.parameters()]  # noqa: E731
    moved = lambda net, before: any(not torch.equal(a, b) for a, b in zip(net.parameters(), before))  # noqa: E731
    for expected in ("E_q", "E_q", "G", "E_q"):
        before = {name: snapshot(getattr(model, name)) for name in ("generator", "E_p", "E_q")}
        optimizer.zero_grad(set_to_none=True)
        dde_loss(model, next(batches)).backward()
        optimizer.step()
        assert moved(model.E_q, before["E_q"]) == (expected == "E_q")
        assert moved(model.generator, before["generator"]) == (expected == "G")
        assert not moved(model.E_p, before["E_p"])
    assert len(model.losses["E_q"]) == 3 and len(model.losses["G"]) == 1
    with pytest.raises(ValueError, match="objective"):
        DDE(model.generator, E_p, E_q, sigma=0.2, z_dim=3, objective="maximise")


def test_generator_trained_on_E_p_alone_collapses():
    # E_p of a two-bump density on the line; minimising E_p alone drives every sample into one bump's centre
    data = GaussianMixture([0.5, 0.5], [[-1.0], [1.0]], [0.2, 0.2]).sample(4000, torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    E_p, _ = fit(EnergyMLP(1, 32, 2), data, dsm_loss_fn(0.2), steps=600, batch_size=256, lr=3e-3, progress=False)
    generator = nn.Sequential(nn.Linear(2, 32), nn.SiLU(), nn.Linear(32, 1))
    model = DDE(generator, E_p, None, sigma=0.2, z_dim=2, objective="p_only")
    train_dde(model, steps=400, lr=3e-3, progress=False)
    samples = model.sample(2000, seed=1)
    assert samples.std().item() < 0.1 < data.std().item()


# --- sample quality -------------------------------------------------------------------------------------

def test_frechet_distance_matches_the_closed_form_for_gaussians():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(100_000, 3, generator=g, dtype=torch.float64).numpy() * np.array([1.0, 2.0, 0.5])
    b = torch.randn(100_000, 3, generator=g, dtype=torch.float64).numpy() * np.array([1.5, 1.0, 0.5]) + 1.0
    # diagonal covariances: ||mu_a - mu_b||^2 + sum (sd_a - sd_b)^2
    assert frechet_distance(a, b) == pytest.approx(3 + 0.25 + 1.0 + 0.0, rel=0.02)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="same F"):
        frechet_distance(a, b[:, :2])


def test_quality_measure_prefers_real_digits_to_a_matched_gaussian():
    from kexue.data import load_digits_8x8

    images, labels = load_digits_8x8()
    x, y = prepare_images(images), torch.as_tensor(labels)
    classifier = train_classifier(x[:1200], y[:1200], steps=200, batch_size=64, progress=False)
    reference = x[1200:1500]
    real = sample_quality(classifier, x[1500:1797], reference)
    noise = sample_quality(classifier, gaussian_baseline(x[:1200], 297), reference)
    assert real["Fréchet distance"] < noise["Fréchet distance"] / 5
    assert real["classes"] == 10 and real["class entropy"] > 0.95 and real["confidence"] > noise["confidence"]
    with pytest.raises(ValueError, match="pixels"):
        sample_quality(classifier, torch.rand(10, 1, 14, 14), reference)


def test_ema_follows_the_model_to_its_device():
    """train() moves the model (to a GPU on Colab); the average must follow it there, not stay behind."""
    model = nn.Linear(2, 2)
    average, on_step = ema_hook(model, 0.99)
    model.to("meta")
    on_step(model, 1)
    assert {p.device.type for p in average.parameters()} == {"meta"}


def test_the_full_profile_unet_on_28x28_images():
    """fashion_size 28 with three levels (28 -> 14 -> 7), as the full profile runs it."""
    net = ScoreUNet(width=8, levels=3)
    x = torch.rand(2, 1, 28, 28)
    assert net.score(x, torch.tensor([0.1, 0.5])).shape == x.shape
