"""Judging samples without downloading anything: a small classifier trained here on the real images.

* Fréchet distance in the classifier's feature space (the penultimate layer): fit a Gaussian to the features
  of the samples and of held-out real images, FD = ||mu_a - mu_b||^2 + Tr(C_a + C_b - 2 (C_a C_b)^(1/2)),
  the recipe of FID with a home-grown network instead of Inception. Lower is better; it depends on the
  number of images, so compare sets of equal size.
* Class coverage: how the classifier's predictions spread over the classes (a collapsed generator makes
  one class), and its mean confidence (noise gets low confidence, clear garments high).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..nets import small_cnn
from ..train import batched_eval, cross_entropy_loss, train
from ._checks import check_count, check_images


def prepare_images(images, size: int | None = None) -> torch.Tensor:
    """uint8 images (N, H, W) in 0..255, or floats in [0, 1] of shape (N, H, W) or (N, 1, H, W) ->
    float32 (N, 1, size, size) in [0, 1], shrunk by averaging size x size blocks (size must divide H)."""
    x = torch.as_tensor(images)
    if x.dtype == torch.uint8:
        x = x.float() / 255.0
    elif not torch.is_floating_point(x):
        raise TypeError(f"images must be uint8 (0..255) or float in [0, 1], got {x.dtype}")
    if x.dim() == 3:
        x = x.unsqueeze(1)
    check_images(x.float(), slack=0.0)
    x = x.float()
    if size is not None and size != x.shape[-1]:
        if x.shape[-1] % size or x.shape[-2] % size:
            raise ValueError(f"cannot shrink {tuple(x.shape[-2:])} images to {size}x{size}: size must divide them")
        x = F.avg_pool2d(x, x.shape[-1] // size)
    return x


def train_classifier(
    images: torch.Tensor,
    labels: torch.Tensor,
    *,
    steps: int = 600,
    batch_size: int = 128,
    width: int = 32,
    lr: float = 2e-3,
    seed: int = 0,
    progress: bool = True,
) -> nn.Sequential:
    """A :func:`kexue.nets.small_cnn` trained with cross-entropy on (N, 1, H, W) images in [0, 1]."""
    check_images(images, slack=0.0)
    if len(images) != len(labels):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    torch.manual_seed(seed)
    net = small_cnn(int(labels.max()) + 1, in_channels=1, width=width)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(images, labels),
                                         batch_size=batch_size, shuffle=True, drop_last=True)
    train(net, cross_entropy_loss, loader, steps=steps, lr=lr, progress=progress, desc="classifier")
    net.image_size = tuple(images.shape[-2:])
    return net.cpu().eval()


def classifier_outputs(classifier: nn.Sequential, images: torch.Tensor, batch_size: int = 1000):
    """(features, class probabilities) of images: the penultimate layer and the softmax of the last."""
    check_images(images, size=getattr(classifier, "image_size", None))

    def outputs(batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = classifier[:-1](batch.clamp(0, 1))
        return features, torch.softmax(classifier[-1](features), dim=1)

    feats, probs = batched_eval(classifier, outputs, images, batch_size=batch_size)
    return feats.double().numpy(), probs.double().numpy()


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to feature sets a (N, F) and b (M, F):
    ||mu_a - mu_b||^2 + Tr C_a + Tr C_b - 2 Tr (C_a^(1/2) C_b C_a^(1/2))^(1/2)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"need two feature matrices (N, F) with the same F, got {a.shape} and {b.shape}")
    if min(len(a), len(b)) < 2:
        raise ValueError("each set needs at least 2 feature vectors")
    mu_a, mu_b = a.mean(0), b.mean(0)
    c_a, c_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    w, v = np.linalg.eigh(c_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ c_b @ root_a), 0, None)).sum()
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(c_a) + np.trace(c_b) - 2 * cross)


def sample_quality(classifier: nn.Sequential, samples: torch.Tensor, reference: torch.Tensor,
                   *, min_share: float = 0.02) -> dict:
    """Fréchet distance to ``reference`` images in the classifier's feature space, number of classes that
    receive at least ``min_share`` of the samples, the entropy of the predicted class frequencies
    (divided by log K: 1 = all classes equally often), the mean top-class probability, the spread
    (mean over pixels of the standard deviation across samples: 0 when every sample is the same image)
    and ``class share``, the fraction of samples predicted in each class."""
    f_s, p_s = classifier_outputs(classifier, samples)
    f_r, _ = classifier_outputs(classifier, reference)
    share = np.bincount(p_s.argmax(1), minlength=p_s.shape[1]) / len(p_s)
    nonzero = share[share > 0]
    return {
        "Fréchet distance": frechet_distance(f_s, f_r),
        "classes": int((share >= min_share).sum()),
        "class entropy": float(-(nonzero * np.log(nonzero)).sum() / math.log(len(share))),
        "confidence": float(p_s.max(1).mean()),
        "spread": float(samples.clamp(0, 1).flatten(1).std(0).mean()),
        "class share": share,
    }


def gaussian_baseline(images: torch.Tensor, n: int, *, full_covariance: bool = False, seed: int = 0) -> torch.Tensor:
    """n fake images from a Gaussian fitted to ``images`` (N, 1, H, W), clipped to [0, 1]: each pixel's mean and
    variance matched independently, or (``full_covariance``) the mean and full pixel covariance."""
    check_images(images, slack=0.0)
    check_count("n", n)
    flat = images.flatten(1).double()
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, flat.shape[1], generator=g, dtype=torch.float64)
    mean = flat.mean(0)
    if full_covariance:
        cov = torch.cov(flat.T) + 1e-6 * torch.eye(flat.shape[1], dtype=torch.float64)
        fake = mean + z @ torch.linalg.cholesky(cov).T
    else:
        fake = mean + z * flat.std(0)
    return fake.clamp(0, 1).float().reshape(n, *images.shape[1:])


def compare_samples(classifier: nn.Sequential, sets: dict[str, torch.Tensor], reference: torch.Tensor,
                    *, min_share: float = 0.02) -> tuple[list[dict], dict[str, np.ndarray]]:
    """:func:`sample_quality` for several named image sets against one reference: table rows (name, number of
    images and the scalar measures) and each set's class shares."""
    rows, shares = [], {}
    for name, images in sets.items():
        q = sample_quality(classifier, images, reference, min_share=min_share)
        shares[name] = q.pop("class share")
        rows.append({"images": name, "n": len(images), **q})
    return rows, shares
