"""Input checks shared by the denoising modules: noise levels, step counts and images."""

from __future__ import annotations

import math

import torch


def as_sigma(sigma: float | torch.Tensor, n: int, *, device=None, dtype=torch.float32) -> torch.Tensor:
    """A noise level per sample, shape (n,): a number is repeated, a tensor must have n entries; all > 0."""
    s = torch.as_tensor(sigma, dtype=dtype, device=device)
    if s.dim() == 0:
        s = s.expand(n)
    s = s.reshape(-1)
    if s.numel() != n:
        raise ValueError(f"sigma has {s.numel()} entries for {n} samples: give one number or one per sample")
    if not bool(torch.all(torch.isfinite(s) & (s > 0))):
        raise ValueError(f"the noise level sigma must be a finite number > 0, got min {s.min().item():.3g}")
    return s


def check_positive(name: str, value: float) -> float:
    """``value`` if it is a finite number > 0, else a ValueError naming ``name``."""
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def check_count(name: str, value: int) -> int:
    """``value`` if it is an int >= 1, else a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
    return value


def check_images(x: torch.Tensor, *, size: tuple[int, int] | None = None, slack: float = 0.5) -> torch.Tensor:
    """``x`` if it is a float batch of one-channel images (N, 1, H, W) with values near [0, 1].

    Values up to ``slack`` outside [0, 1] are allowed (samples overshoot a little); 0..255 pixels,
    a missing channel axis or the wrong height/width raise a ValueError that says how to fix it.
    """
    if not isinstance(x, torch.Tensor) or not torch.is_floating_point(x):
        raise TypeError(f"images must be a float tensor, got {type(x).__name__} "
                        f"{getattr(x, 'dtype', '')}: use kexue.denoising.prepare_images(uint8 images)")
    if x.dim() != 4 or x.shape[1] != 1:
        raise ValueError(f"images must have shape (N, 1, H, W), got {tuple(x.shape)}: "
                         "add the channel axis with x.unsqueeze(1) or use prepare_images()")
    if size is not None and tuple(x.shape[-2:]) != tuple(size):
        raise ValueError(f"images are {tuple(x.shape[-2:])} pixels but {tuple(size)} are expected: "
                         f"resize with prepare_images(images, size={size[0]})")
    lo, hi = x.min().item(), x.max().item()
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("images contain NaN or infinite values")
    if lo < -slack or hi > 1 + slack:
        raise ValueError(f"image values span [{lo:.3g}, {hi:.3g}] but [0, 1] is expected: "
                         "divide 0..255 pixels by 255 (prepare_images does it)")
    return x
