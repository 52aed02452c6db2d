"""Gaussian mixtures in closed form: the density, its score and the optimal (Tweedie) denoiser.

For p(x) = sum_k w_k N(x; mu_k, s_k^2 I), adding noise eps ~ N(0, sigma^2 I) gives another mixture,
p_sigma = p * N(0, sigma^2 I) = sum_k w_k N(x; mu_k, (s_k^2 + sigma^2) I), so everything the chapter
learns from samples (denoisers, energies, scores) has an exact answer to compare against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._checks import as_sigma, check_count


@dataclass(frozen=True)
class GaussianMixture:
    """p(x) = sum_k w_k N(x; mu_k, s_k^2 I): ``weights`` (K,), ``means`` (K, d), ``stds`` (K,)."""

    weights: torch.Tensor
    means: torch.Tensor
    stds: torch.Tensor

    def __post_init__(self):
        w = torch.as_tensor(self.weights, dtype=torch.float64).reshape(-1)
        mu = torch.as_tensor(self.means, dtype=torch.float64)
        mu = mu.reshape(-1, 1) if mu.dim() == 1 else mu
        s = torch.as_tensor(self.stds, dtype=torch.float64).reshape(-1)
        if not (len(w) == len(mu) == len(s)) or len(w) == 0:
            raise ValueError(f"need K weights, K means and K stds, got {len(w)}, {len(mu)}, {len(s)}")
        if torch.any(w <= 0) or torch.any(s <= 0):
            raise ValueError("mixture weights and standard deviations must all be > 0")
        object.__setattr__(self, "weights", w / w.sum())
        object.__setattr__(self, "means", mu)
        object.__setattr__(self, "stds", s)

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    def smoothed(self, sigma: float) -> "GaussianMixture":
        """p_sigma = p * N(0, sigma^2 I): every component's variance grows by sigma^2."""
        s = as_sigma(sigma, 1, dtype=torch.float64)[0]
        return GaussianMixture(self.weights, self.means, torch.sqrt(self.stds**2 + s**2))

    def _component_log_probs(self, x: torch.Tensor) -> torch.Tensor:
        """log w_k + log N(x; mu_k, s_k^2 I), shape (N, K)."""
        x = self._check(x).to(torch.float64)
        d = self.dim
        sq = ((x[:, None, :] - self.means[None]) ** 2).sum(-1)
        var = self.stds**2
        return torch.log(self.weights) - sq / (2 * var) - 0.5 * d * torch.log(2 * math.pi * var)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) for x of shape (N, d)."""
        return torch.logsumexp(self._component_log_probs(x), dim=1).to(x.dtype)

    def responsibilities(self, x: torch.Tensor) -> torch.Tensor:
        """gamma_k(x) = p(component k | x), shape (N, K)."""
        return torch.softmax(self._component_log_probs(x), dim=1)

    def score(self, x: torch.Tensor) -> torch.Tensor:
        """grad_x log p(x) = sum_k gamma_k(x) (mu_k - x) / s_k^2, shape (N, d)."""
        gamma = self.responsibilities(x)
        x64 = x.to(torch.float64)
        pull = (self.means[None] - x64[:, None, :]) / (self.stds**2)[None, :, None]
        return (gamma[:, :, None] * pull).sum(1).to(x.dtype)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n float32 samples, shape (n, d)."""
        check_count("n", n)
        k = torch.multinomial(self.weights, n, replacement=True, generator=generator)
        z = torch.randn(n, self.dim, dtype=torch.float64, generator=generator)
        return (self.means[k] + self.stds[k, None] * z).float()

    def mean_and_cov(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean (d,) and covariance (d, d) of the mixture."""
        mean = self.weights @ self.means
        centred = self.means - mean
        cov = (self.weights[:, None, None] * (centred[:, :, None] * centred[:, None, :])).sum(0)
        return mean, cov + torch.diag(torch.full((self.dim,), 1.0, dtype=torch.float64)) * (self.weights @ self.stds**2)

    def _check(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise ValueError(f"points must have shape (N, {self.dim}), got {tuple(x.shape)}")
        return x


def tweedie_denoiser(p: GaussianMixture, sigma: float, x_noisy: torch.Tensor) -> torch.Tensor:
    """The optimal denoiser for noise N(0, sigma^2 I): r*(x) = E[x_clean | x] = x + sigma^2 grad log p_sigma(x)."""
    s = float(as_sigma(sigma, 1)[0])
    return x_noisy + s**2 * p.smoothed(s).score(x_noisy)


@torch.no_grad()
def denoiser_rmse(r, p: GaussianMixture, sigma: float, n: int = 20_000, seed: int = 0) -> float:
    """Root mean square distance between a denoiser r and the Tweedie denoiser, over noisy points
    x~ ~ p_sigma: sqrt(E ||r(x~) - r*(x~)||^2). For r = identity this is sigma^2 sqrt(E ||grad log p_sigma||^2)."""
    x_noisy = p.smoothed(sigma).sample(n, torch.Generator().manual_seed(seed))
    return float(((r(x_noisy) - tweedie_denoiser(p, sigma, x_noisy)) ** 2).sum(1).mean().sqrt())


def relative_score_error(score, p: GaussianMixture, sigma: float, n: int = 20_000, seed: int = 0) -> float:
    """E ||s(x~) - grad log p_sigma(x~)||^2 / E ||grad log p_sigma(x~)||^2 over x~ ~ p_sigma, for a score
    function ``score(x, sigma)`` or a model with ``.score`` (0 = exact, 1 = as bad as predicting 0)."""
    s_fn = score.score if hasattr(score, "score") else score
    smoothed = p.smoothed(sigma)
    x_noisy = smoothed.sample(n, torch.Generator().manual_seed(seed))
    exact = smoothed.score(x_noisy)
    return float(((s_fn(x_noisy, sigma) - exact) ** 2).sum(1).mean() / (exact**2).sum(1).mean())


def component_shares(p: GaussianMixture, x: torch.Tensor) -> torch.Tensor:
    """Fraction of the points x assigned to each component (by largest responsibility), shape (K,):
    for good samples of p it approaches the mixture weights."""
    counts = torch.bincount(p.responsibilities(x).argmax(1), minlength=len(p.weights))
    return counts.double() / len(x)
