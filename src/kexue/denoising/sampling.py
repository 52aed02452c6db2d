"""Langevin sampling from a learned score, plain or annealed over decreasing noise levels.

One Langevin step at noise level sigma_i with step size alpha_i and temperature T:

    x <- x + (alpha_i / 2) s(x, sigma_i) + sqrt(alpha_i T) z,   z ~ N(0, I),

which, for small steps and many of them, samples p_{sigma_i}^(1/T) (T = 1: p_{sigma_i} itself). Annealing runs
a few dozen steps at each level sigma_1 > ... > sigma_L with alpha_i = eps (sigma_i / sigma_L)^2, so the
chain first crosses the broad, easy landscape of heavy noise and ends in the sharp one of light noise.
A last Tweedie step x <- x + sigma_L^2 s(x, sigma_L) removes the remaining noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
from tqdm.auto import tqdm

from ._checks import as_sigma, check_count, check_positive

ScoreFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class SamplerDiverged(RuntimeError):
    """The Langevin chain produced NaN or infinite values."""


@dataclass
class LangevinResult:
    """``samples``: the final (denoised) batch; ``trajectory``: the first ``track`` chains after each level,
    shape (levels + 1 [+ 1 if denoised], track, ...), starting with the initial point; ``sigmas``: the levels."""

    samples: torch.Tensor
    trajectory: torch.Tensor
    sigmas: torch.Tensor


def geometric_sigmas(sigma_max: float, sigma_min: float, levels: int) -> torch.Tensor:
    """``levels`` noise levels from sigma_max down to sigma_min, evenly spaced in log sigma."""
    check_positive("sigma_max", sigma_max), check_positive("sigma_min", sigma_min), check_count("levels", levels)
    if sigma_min > sigma_max:
        raise ValueError(f"sigma_max ({sigma_max}) must be >= sigma_min ({sigma_min}): the levels decrease")
    return torch.exp(torch.linspace(math.log(sigma_max), math.log(sigma_min), levels))


def _as_score(score) -> ScoreFn:
    """A model with a ``.score(x, sigma)`` method, or a plain function (x, sigma) -> score."""
    return score.score if hasattr(score, "score") else score


def tweedie_step(score, x: torch.Tensor, sigma: float) -> torch.Tensor:
    """One denoising step: x + sigma^2 s(x, sigma), Tweedie's estimate of the clean point behind a noisy x.
    ``score`` is a model with ``.score(x, sigma)`` or a function of (x, sigma)."""
    s = as_sigma(sigma, len(x), device=x.device, dtype=x.dtype)
    return x + s.view(-1, *([1] * (x.dim() - 1))) ** 2 * _as_score(score)(x, s)


@torch.no_grad()
def langevin(
    score,
    x: torch.Tensor,
    sigmas: Sequence[float] | torch.Tensor,
    *,
    steps: int,
    eps: float,
    temperature: float = 1.0,
    denoise: bool = True,
    clip: tuple[float, float] | None = None,
    track: int = 8,
    seed: int | None = None,
    device: str | torch.device | None = None,
    progress: bool = True,
) -> LangevinResult:
    """Annealed Langevin dynamics from the starting batch ``x`` through the noise levels ``sigmas``
    (one level gives plain Langevin at that level), ``steps`` steps per level, step size
    alpha_i = eps (sigma_i / sigma_L)^2, noise scaled by sqrt(temperature); then, with ``denoise``, one
    Tweedie step. ``score`` is a model with ``.score(x, sigma)`` or a function of (x, sigma).
    ``clip=(lo, hi)`` clamps the returned samples (not the chain); ``seed`` fixes the chains' noise.
    ``device`` runs the chains there (a model is moved there for the run and back after); results come back
    on the CPU."""
    check_count("steps", steps), check_positive("eps", eps), check_positive("temperature", temperature)
    levels = torch.as_tensor(sigmas, dtype=torch.float32).reshape(-1)
    if levels.numel() == 0:
        raise ValueError("sigmas is empty: give at least one noise level")
    as_sigma(levels, levels.numel())  # all > 0
    if levels.numel() > 1 and not bool(torch.all(levels[1:] <= levels[:-1])):
        raise ValueError("sigmas must decrease (anneal from heavy to light noise)")
    if not bool(torch.all(torch.isfinite(x))):
        raise ValueError("the starting batch contains NaN or infinite values")
    home = None
    if device is not None:
        x = x.to(device)
        if isinstance(score, torch.nn.Module):
            home = next(score.parameters()).device
            score.to(device)
    try:
        return _run_chains(_as_score(score), x, levels, steps, eps, temperature, denoise, clip, track, seed, progress)
    finally:
        if home is not None:
            score.to(home)


def _run_chains(s_fn: ScoreFn, x, levels, steps, eps, temperature, denoise, clip, track, seed, progress):
    """The loop of :func:`langevin`, on x's device."""
    g = torch.Generator(device=x.device).manual_seed(seed) if seed is not None else None
    n = len(x)
    x = x.clone()
    trajectory = [x[:track].clone()]
    sigma_last = float(levels[-1])
    bar = tqdm(total=levels.numel() * steps, desc="Langevin", disable=not progress, leave=False)
    for i, sigma in enumerate(levels.tolist()):
        alpha = eps * (sigma / sigma_last) ** 2
        s = torch.full((n,), sigma, device=x.device, dtype=x.dtype)
        for _ in range(steps):
            x = x + 0.5 * alpha * s_fn(x, s) + math.sqrt(alpha * temperature) * torch.randn(
                x.shape, generator=g, device=x.device, dtype=x.dtype)
        if not bool(torch.all(torch.isfinite(x))):
            raise SamplerDiverged(f"Langevin chains hit NaN/inf at level {i} (sigma={sigma:.3g}): lower eps "
                                  f"(now {eps:g}) or use a model with a confining energy")
        trajectory.append(x[:track].clone())
        bar.update(steps)
    bar.close()
    if denoise:
        x = tweedie_step(s_fn, x, sigma_last)
        trajectory.append(x[:track].clone())
    if clip is not None:
        x = x.clamp(*clip)
    return LangevinResult(samples=x.cpu(), trajectory=torch.stack(trajectory).cpu(), sigmas=levels)
