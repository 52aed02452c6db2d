"""Small networks shared by the image chapters: an MLP and a small CNN for 28x28 (or 14x14) images."""

from __future__ import annotations

import torch
from torch import nn


def mlp(in_dim: int, out_dim: int, hidden: int = 256, depth: int = 2) -> nn.Sequential:
    """``depth`` hidden ReLU layers of width ``hidden``; flattens its input first."""
    if depth < 0 or hidden < 1:
        raise ValueError(f"need depth >= 0 and hidden >= 1, got depth={depth}, hidden={hidden}")
    layers: list[nn.Module] = [nn.Flatten()]
    width = in_dim
    for _ in range(depth):
        layers += [nn.Linear(width, hidden), nn.ReLU()]
        width = hidden
    layers.append(nn.Linear(width, out_dim))
    return nn.Sequential(*layers)


def small_cnn(num_classes: int = 10, in_channels: int = 1, width: int = 32) -> nn.Sequential:
    """Two conv-BN-ReLU-pool stages and a linear head; images of shape (N, C, H, W) with H, W >= 4."""
    return nn.Sequential(
        nn.Conv2d(in_channels, width, 3, padding=1),
        nn.BatchNorm2d(width),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(width, 2 * width, 3, padding=1),
        nn.BatchNorm2d(2 * width),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(2 * width, num_classes),
    )


def images_to_tensor(images, *, add_channel: bool = True) -> torch.Tensor:
    """uint8 images (N, H, W) in 0..255 -> float32 tensor in [0, 1], shape (N, 1, H, W)."""
    x = torch.as_tensor(images)
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    elif not torch.is_floating_point(x):
        raise TypeError(f"images must be uint8 (0..255) or float in [0, 1], got {x.dtype}")
    return x.unsqueeze(1) if add_channel and x.dim() == 3 else x
