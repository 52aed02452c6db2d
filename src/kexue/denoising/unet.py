"""A small noise-conditional U-Net that outputs a score: s(x, sigma) = o(x, sigma) / sigma.

With this parametrisation the sigma^2-weighted denoising loss is simply ||o(x~, sigma) + eps||^2: the
network predicts the (negated) noise, whose size does not depend on sigma. The noise level enters every
residual block through FiLM (a per-channel scale and shift computed from an embedding of log sigma).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ._checks import as_sigma, check_count
from .energy import NoiseEmbedding


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(min(8, channels), channels)


class FiLMBlock(nn.Module):
    """Residual block: norm -> SiLU -> conv -> norm * (1 + scale) + shift -> SiLU -> conv, plus a skip."""

    def __init__(self, c_in: int, c_out: int, embedding_dim: int):
        super().__init__()
        self.norm1, self.conv1 = _norm(c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.film = nn.Linear(embedding_dim, 2 * c_out)
        self.norm2, self.conv2 = _norm(c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        scale, shift = self.film(e)[:, :, None, None].chunk(2, dim=1)
        h = self.conv2(F.silu(self.norm2(h) * (1 + scale) + shift))
        return self.skip(x) + h


class ScoreUNet(nn.Module):
    """Noise-conditional U-Net for (N, C, H, W) images: two FiLM blocks per resolution, ``levels``
    resolutions (channels width, 2 width, ...), skip connections by concatenation.

    ``unshuffle=2`` folds each 2x2 patch into channels first (28x28x1 -> 14x14x4), a cheap way to run at
    full resolution with the cost of the half-size network.
    """

    def __init__(self, in_channels: int = 1, width: int = 32, levels: int = 2, embedding_dim: int = 128,
                 unshuffle: int = 1):
        super().__init__()
        check_count("width", width), check_count("levels", levels), check_count("unshuffle", unshuffle)
        self.unshuffle = unshuffle
        c0 = in_channels * unshuffle**2
        channels = [width * 2**i for i in range(levels)]
        self.embedding = NoiseEmbedding(embedding_dim)
        self.inp = nn.Conv2d(c0, width, 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        previous = width
        for i, c in enumerate(channels):
            self.down.append(nn.ModuleList([FiLMBlock(previous, c, embedding_dim), FiLMBlock(c, c, embedding_dim)]))
            if i < levels - 1:
                self.downsample.append(nn.Conv2d(c, c, 3, stride=2, padding=1))
            previous = c
        self.mid = FiLMBlock(previous, previous, embedding_dim)
        self.up = nn.ModuleList()
        for i in reversed(range(levels)):
            c = channels[i]
            self.up.append(nn.ModuleList([FiLMBlock(previous + c, c, embedding_dim), FiLMBlock(c, c, embedding_dim)]))
            previous = c
        self.out = nn.Sequential(_norm(width), nn.SiLU(), nn.Conv2d(width, c0, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x: torch.Tensor, sigma: float | torch.Tensor) -> torch.Tensor:
        """o(x, sigma), the same shape as x; the score is o / sigma."""
        if x.dim() != 4:
            raise ValueError(f"ScoreUNet takes images (N, C, H, W), got shape {tuple(x.shape)}")
        e = self.embedding(as_sigma(sigma, len(x), device=x.device, dtype=x.dtype))
        h = F.pixel_unshuffle(x, self.unshuffle) if self.unshuffle > 1 else x
        h = self.inp(h)
        skips = []
        for i, (a, b) in enumerate(self.down):
            h = b(a(h, e), e)
            skips.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
        h = self.mid(h, e)
        for a, b in self.up:
            skip = skips.pop()
            h = F.interpolate(h, size=skip.shape[-2:], mode="nearest")
            h = b(a(torch.cat([h, skip], dim=1), e), e)
        o = self.out(h)
        return F.pixel_shuffle(o, self.unshuffle) if self.unshuffle > 1 else o

    def score(self, x: torch.Tensor, sigma: float | torch.Tensor, create_graph: bool = False) -> torch.Tensor:
        """s(x, sigma) = o(x, sigma) / sigma (``create_graph`` is accepted for a common interface with energies)."""
        s = as_sigma(sigma, len(x), device=x.device, dtype=x.dtype)
        return self(x, s) / s.view(-1, 1, 1, 1)
