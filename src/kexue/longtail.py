"""Long-tail learning by logit adjustment (Menon et al., ICLR 2021; Su, kexue.fm/archives/7615).

A classifier trained by plain cross-entropy (ERM) on long-tailed data learns logits f_y(x) ≈ log p(y|x),
which carry the training prior π_y = p(y). Balanced accuracy (the mean of per-class accuracies) is maximised
by argmax_y p(x|y) = argmax_y [log p(y|x) − log π_y] instead, so the prior has to come out, either

* after training (post-hoc): predict argmax_y f_y(x) − τ log π_y  (:func:`adjust_logits`), or
* in the loss: train on softmax cross-entropy of f_y(x) + τ log π_y  (:func:`logit_adjusted_loss`) and
  predict with the raw argmax_y f_y(x).

The same loss written pairwise is log[1 + Σ_{i≠y} (π_i/π_y)^τ exp(f_i − f_y)]
(:func:`logit_adjusted_loss_pairwise`). Symbols: ``logits`` f (N, K), ``targets`` y (N,), ``prior`` π (K,),
``tau`` τ ≥ 0, ``rho`` ρ = n_max / n_min the imbalance ratio.

Zero priors: a class with π_y = 0 has log π_y = −∞, which would put ±∞ into the adjusted logits (the
reference code's loss adds 1e-12 to π^τ, a floor of log 1e-12 ≈ −28; used post-hoc, the same floor would hand
the class a bonus of +28 over every other). Every function here refuses such a prior with a ``ValueError``;
smooth it first with ``class_prior(labels, num_classes, smoothing=1.0)`` (add-one counts) or drop the class.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Callable, Literal, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .artifacts import cached
from .report import mean_std
from .nets import images_to_tensor, small_cnn
from .runtime import seed_everything
from .train import History, train

Tensorish = torch.Tensor | np.ndarray | Sequence[int]


# --- long-tailed data --------------------------------------------------------------------------------------


def long_tail_counts(n_max: int, num_classes: int, rho: float) -> np.ndarray:
    """Per-class counts of the exponential profile: n_k = ⌊n_max · ρ^(−k/(K−1))⌋, k = 0..K−1.

    Class 0 keeps ``n_max`` examples and class K−1 keeps ⌊n_max/ρ⌋ (the convention of CIFAR-10-LT).
    """
    if num_classes < 2:
        raise ValueError(f"need at least 2 classes, got num_classes={num_classes}")
    if not rho >= 1:
        raise ValueError(f"the imbalance ratio rho = n_max / n_min must be >= 1, got {rho}")
    if n_max < rho:
        raise ValueError(f"n_max={n_max} < rho={rho} would leave the rarest class empty: raise n_max or lower rho")
    k = np.arange(num_classes)
    counts = np.floor(n_max * float(rho) ** (-k / (num_classes - 1)) + 1e-9).astype(np.int64)
    return counts


def long_tail_subsample(
    labels: Tensorish, rho: float, *, n_max: int | None = None, num_classes: int | None = None, seed: int = 0
) -> np.ndarray:
    """Indices of a long-tailed subset of a (balanced) labelled set: exactly :func:`long_tail_counts` per class.

    ``n_max`` defaults to the size of the smallest class; the examples kept in each class are drawn uniformly
    at random with ``seed``. The indices come back sorted.
    """
    y = _labels_numpy(labels)
    num_classes = num_classes or int(y.max()) + 1
    available = np.bincount(y, minlength=num_classes)
    if len(available) > num_classes:
        raise ValueError(f"labels go up to {len(available) - 1} but num_classes={num_classes}")
    n_max = int(available.min()) if n_max is None else n_max
    counts = long_tail_counts(n_max, num_classes, rho)
    short = [k for k in range(num_classes) if available[k] < counts[k]]
    if short:
        raise ValueError(
            f"classes {short} have fewer examples ({available[short].tolist()}) than requested "
            f"({counts[short].tolist()}): lower n_max"
        )
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(y == k), size=counts[k], replace=False) for k in range(num_classes)]
    return np.sort(np.concatenate(picked))


def class_prior(labels: Tensorish, num_classes: int | None = None, *, smoothing: float = 0.0) -> torch.Tensor:
    """Training class frequencies π_y = (n_y + smoothing) / Σ_k (n_k + smoothing), float64, shape (K,).

    ``smoothing=1.0`` (add-one) gives classes absent from ``labels`` a small positive prior, which the
    adjustment functions need (they refuse zeros).
    """
    if smoothing < 0:
        raise ValueError(f"smoothing must be >= 0, got {smoothing}")
    y = _labels_numpy(labels)
    counts = np.bincount(y, minlength=num_classes or 0)
    if num_classes is not None and len(counts) > num_classes:
        raise ValueError(f"labels go up to {len(counts) - 1} but num_classes={num_classes}")
    counts = counts + smoothing
    if counts.sum() == 0:
        raise ValueError("no labels to count: pass a non-empty label array")
    return torch.as_tensor(counts / counts.sum(), dtype=torch.float64)


@dataclass
class LongTailImages:
    """A long-tailed training set and the balanced test set of an image data set, as float tensors."""

    x_train: torch.Tensor  # (N, 1, H, W) in [0, 1]
    y_train: torch.Tensor  # (N,) int64
    x_test: torch.Tensor
    y_test: torch.Tensor
    counts: np.ndarray  # (K,) training examples per class
    prior: torch.Tensor  # (K,) π, float64
    config: dict  # how the set was made (name, rho, n_max, size, seed): part of the cache key of trained runs

    def describe(self) -> str:
        """One line: sizes, imbalance, resolution."""
        return (
            f"{len(self.y_train):,} training images (per class {self.counts.max()}..{self.counts.min()}, "
            f"ratio {self.counts.max() / self.counts.min():.0f}), {len(self.y_test):,} balanced test images, "
            f"{self.x_train.shape[-2]}x{self.x_train.shape[-1]} pixels"
        )


def fashion_mnist_lt(rho: float = 100, *, n_max: int = 6000, size: int = 28, seed: int = 0) -> LongTailImages:
    """Fashion-MNIST-LT: :func:`long_tail_subsample` of the training split; the full (balanced) test split.

    ``size`` 28 keeps the images, 14 averages 2x2 pixel blocks (4x less compute for the CNN).
    """
    from .data import load_fashion_mnist

    if size not in (14, 28):
        raise ValueError(f"size must be 28 (original) or 14 (2x2 average pooling), got {size}")
    images, labels = load_fashion_mnist("train")
    keep = long_tail_subsample(labels, rho, n_max=n_max, seed=seed)
    test_images, test_labels = load_fashion_mnist("test")

    def prepare(x: np.ndarray) -> torch.Tensor:
        x = images_to_tensor(x)
        return F.avg_pool2d(x, 2) if size == 14 else x

    y_train = torch.as_tensor(labels[keep])
    return LongTailImages(
        x_train=prepare(images[keep]),
        y_train=y_train,
        x_test=prepare(test_images),
        y_test=torch.as_tensor(test_labels),
        counts=np.bincount(labels[keep], minlength=10),
        prior=class_prior(y_train, 10),
        config={"name": "fashion-mnist-lt", "rho": rho, "n_max": n_max, "size": size, "seed": seed},
    )


def gaussian_toy(
    counts: Sequence[int] = (1000, 100, 10), *, radius: float = 2.0, std: float = 1.0, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Imbalanced 2-D Gaussian classes: means μ_k on a circle of ``radius``, covariance std² I.

    Returns ``(x, y, means)`` with x (N, 2) float32, y (N,) int64, means (K, 2).
    """
    if len(counts) < 2 or min(counts) < 1:
        raise ValueError(f"need at least two classes with at least one point each, got counts={list(counts)}")
    angles = torch.arange(len(counts), dtype=torch.float64) * 2 * torch.pi / len(counts) + torch.pi / 2
    means = radius * torch.stack([angles.cos(), angles.sin()], dim=1).float()
    g = torch.Generator().manual_seed(seed)
    x = torch.cat([means[k] + std * torch.randn(n, 2, generator=g) for k, n in enumerate(counts)])
    y = torch.cat([torch.full((n,), k, dtype=torch.int64) for k, n in enumerate(counts)])
    return x, y, means


def gaussian_balanced_logits(x: torch.Tensor, means: torch.Tensor, std: float = 1.0) -> torch.Tensor:
    """Bayes scores for balanced accuracy on :func:`gaussian_toy`: log p(x|y) = −‖x − μ_y‖²/(2 std²) + c.

    The balanced rule ignores the prior, so its boundaries are the bisectors between the means."""
    return -torch.cdist(x.double(), means.double()) ** 2 / (2 * std**2)


# --- the adjustment ----------------------------------------------------------------------------------------


def log_prior(prior: torch.Tensor | np.ndarray | Sequence[float], num_classes: int | None = None) -> torch.Tensor:
    """log π after checking π: shape (K,), finite, no zeros, no negatives, sums to 1 (±1e-4)."""
    prior = torch.as_tensor(prior, dtype=torch.float64)
    if prior.dim() != 1:
        raise ValueError(f"prior must be a vector (K,), got shape {tuple(prior.shape)}")
    if num_classes is not None and len(prior) != num_classes:
        raise ValueError(f"prior has {len(prior)} entries but the logits have {num_classes} classes")
    if not torch.isfinite(prior).all() or (prior < 0).any():
        raise ValueError("prior must hold probabilities (finite, >= 0); did you pass log-probabilities?")
    zeros = torch.nonzero(prior == 0).flatten().tolist()
    if zeros:
        raise ValueError(
            f"classes {zeros} have prior 0, so log π = -inf: smooth the counts with "
            "class_prior(labels, num_classes, smoothing=1.0) or drop those classes"
        )
    total = prior.sum().item()
    if abs(total - 1) > 1e-4:
        raise ValueError(f"prior sums to {total:.6g}, not 1: pass class_prior(labels) or counts / counts.sum()")
    return prior.log()


def _check_tau(tau: float) -> float:
    if not isinstance(tau, numbers.Real) or isinstance(tau, bool) or not np.isfinite(tau) or tau < 0:
        raise ValueError(f"tau must be a finite number >= 0 (1.0 is the usual choice), got {tau!r}")
    return float(tau)


def _check_logits(logits: torch.Tensor, targets: torch.Tensor | None = None) -> None:
    if not torch.is_tensor(logits) or not torch.is_floating_point(logits) or logits.dim() != 2:
        raise TypeError("logits must be a float tensor of shape (N, K)")
    if targets is None:
        return
    if not torch.is_tensor(targets) or targets.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8):
        got = getattr(targets, "dtype", type(targets))
        raise TypeError(f"targets must be an integer tensor of class ids, got {got}")
    if targets.shape != logits.shape[:1]:
        raise ValueError(
            f"logits {tuple(logits.shape)} need targets of shape ({logits.shape[0]},), got {tuple(targets.shape)}"
        )
    if len(targets) and (targets.min() < 0 or targets.max() >= logits.shape[1]):
        raise ValueError(f"targets must lie in 0..{logits.shape[1] - 1}")


def adjust_logits(logits: torch.Tensor, prior: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """Post-hoc logit adjustment: f_y(x) − τ log π_y. With τ = 0 the logits come back unchanged."""
    _check_logits(logits)
    tau = _check_tau(tau)
    return logits - (tau * log_prior(prior, logits.shape[1])).to(logits)


def logit_adjusted_loss(
    logits: torch.Tensor, targets: torch.Tensor, prior: torch.Tensor, tau: float = 1.0
) -> torch.Tensor:
    """Mean logit-adjusted softmax cross-entropy: −log softmax(f(x) + τ log π)_y. τ = 0 is plain cross-entropy."""
    _check_logits(logits, targets)
    tau = _check_tau(tau)
    return F.cross_entropy(logits + (tau * log_prior(prior, logits.shape[1])).to(logits), targets.long())


def logit_adjusted_loss_pairwise(
    logits: torch.Tensor, targets: torch.Tensor, prior: torch.Tensor, tau: float = 1.0
) -> torch.Tensor:
    """The same loss in its pairwise-margin form: mean of log[1 + Σ_{i≠y} (π_i/π_y)^τ exp(f_i − f_y)].

    Written literally (exp of raw logit gaps), so it overflows for gaps above ~700 in float64: it is here to
    check :func:`logit_adjusted_loss`, which is the one to train with.
    """
    _check_logits(logits, targets)
    tau = _check_tau(tau)
    pi = torch.exp(log_prior(prior, logits.shape[1]))
    f = logits.double()
    y = targets.long()
    ratio = (pi[None, :] / pi[y][:, None]) ** tau  # (π_i / π_y)^τ
    terms = ratio * torch.exp(f - f.gather(1, y[:, None]))
    others = terms.sum(1) - terms.gather(1, y[:, None]).squeeze(1)  # drop i = y
    return torch.log1p(others).mean().to(logits.dtype)


def loss_fn(prior: torch.Tensor, tau: float = 1.0) -> Callable[[nn.Module, tuple], torch.Tensor]:
    """A ``loss_fn(model, (x, y))`` for :func:`kexue.train.train`: :func:`logit_adjusted_loss` with π, τ."""
    tau = _check_tau(tau)
    log_prior(prior)  # fail now, not at the first batch

    def loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        x, y = batch
        return logit_adjusted_loss(model(x), y, prior, tau)

    return loss


def predict(
    logits: torch.Tensor,
    prior: torch.Tensor,
    *,
    trained_with: Literal["erm", "logit_adjusted"],
    goal: Literal["balanced", "plain"],
    tau: float = 1.0,
) -> torch.Tensor:
    """Class predictions with the rule that fits how the model was trained and which accuracy is wanted.

    ==================  ===========================  ===========================
    trained with        goal "balanced"              goal "plain"
    ==================  ===========================  ===========================
    "erm"               argmax f_y − τ log π_y       argmax f_y
    "logit_adjusted"    argmax f_y                   argmax f_y + τ log π_y
    ==================  ===========================  ===========================

    For "logit_adjusted", ``tau`` must be the τ used in training; for "erm" it is the post-hoc τ.
    """
    if trained_with not in ("erm", "logit_adjusted"):
        raise ValueError(f"trained_with must be 'erm' or 'logit_adjusted', got {trained_with!r}")
    if goal not in ("balanced", "plain"):
        raise ValueError(f"goal must be 'balanced' or 'plain', got {goal!r}")
    _check_logits(logits)
    tau = _check_tau(tau)
    shift = {("erm", "balanced"): -tau, ("erm", "plain"): 0.0,
             ("logit_adjusted", "balanced"): 0.0, ("logit_adjusted", "plain"): tau}[(trained_with, goal)]
    return (logits + (shift * log_prior(prior, logits.shape[1])).to(logits)).argmax(1)


# --- metrics -----------------------------------------------------------------------------------------------


def per_class_accuracy(predictions: torch.Tensor, targets: torch.Tensor, num_classes: int) -> torch.Tensor:
    """Accuracy within each true class, shape (K,), float64; NaN for a class absent from ``targets``."""
    predictions, targets = torch.as_tensor(predictions), torch.as_tensor(targets)
    if predictions.shape != targets.shape or predictions.dim() != 1:
        raise ValueError(f"predictions {tuple(predictions.shape)} and targets {tuple(targets.shape)} must be equal 1-D")
    if len(targets) and (targets.min() < 0 or targets.max() >= num_classes):
        raise ValueError(f"targets must lie in 0..{num_classes - 1}")
    total = torch.bincount(targets, minlength=num_classes).double()
    correct = torch.bincount(targets[predictions == targets], minlength=num_classes).double()
    return torch.where(total > 0, correct / total.clamp(min=1), torch.nan)


def accuracy(predictions: torch.Tensor, targets: torch.Tensor, prior: torch.Tensor | None = None) -> float:
    """Plain accuracy. With ``prior``: Σ_y π_y · acc_y, the accuracy expected on a test set whose labels follow π
    (e.g. the long-tailed training distribution), estimated from the per-class accuracies of ``targets``."""
    predictions, targets = torch.as_tensor(predictions), torch.as_tensor(targets)
    if prior is None:
        if predictions.shape != targets.shape:
            raise ValueError(f"predictions {tuple(predictions.shape)} and targets {tuple(targets.shape)} differ")
        return (predictions == targets).double().mean().item()
    pi = log_prior(prior).exp()
    acc = per_class_accuracy(predictions, targets, len(pi))
    if acc.isnan().any():
        raise ValueError("every class with prior > 0 needs test examples to weight its accuracy")
    return (pi * acc).sum().item()


def balanced_accuracy(predictions: torch.Tensor, targets: torch.Tensor, num_classes: int) -> float:
    """Mean of the per-class accuracies over the classes present in ``targets``."""
    acc = per_class_accuracy(predictions, targets, num_classes)
    return acc[~acc.isnan()].mean().item()


def class_groups(counts: Sequence[int] | np.ndarray) -> dict[str, list[int]]:
    """Head / mid / tail classes by training count: the ⌊K/3⌋ most frequent, the ⌊K/3⌋ rarest, the rest
    between (ties keep class order)."""
    counts = np.asarray(counts)
    if counts.ndim != 1 or len(counts) < 3:
        raise ValueError(f"need counts for at least 3 classes, got shape {counts.shape}")
    order = np.argsort(-counts, kind="stable").tolist()
    third = len(counts) // 3
    return {"head": sorted(order[:third]), "mid": sorted(order[third:-third]), "tail": sorted(order[-third:])}


def scores(
    predictions: torch.Tensor, targets: torch.Tensor, prior: torch.Tensor, groups: dict[str, list[int]]
) -> dict[str, float]:
    """Balanced accuracy, accuracy on the training distribution (:func:`accuracy` with π), and the mean
    per-class accuracy of each group of :func:`class_groups`."""
    acc = per_class_accuracy(predictions, targets, len(prior))
    result = {"balanced acc": balanced_accuracy(predictions, targets, len(prior)),
              "acc (train distribution)": accuracy(predictions, targets, prior)}
    result.update({f"{name} acc": acc[classes].mean().item() for name, classes in groups.items()})
    return result


def evaluate_runs(
    logits: Sequence[torch.Tensor],
    targets: torch.Tensor,
    prior: torch.Tensor,
    groups: dict[str, list[int]],
    *,
    trained_with: Literal["erm", "logit_adjusted"],
    goal: Literal["balanced", "plain"],
    tau: float = 1.0,
) -> dict[str, tuple[float, float]]:
    """:func:`scores` of :func:`predict` for each run's test logits (one per seed), as (mean, std) over runs."""
    return mean_std_by_key([scores(predict(z, prior, trained_with=trained_with, goal=goal, tau=tau), targets, prior, groups)
                     for z in logits])


def mean_per_class_accuracy(
    logits: Sequence[torch.Tensor],
    targets: torch.Tensor,
    prior: torch.Tensor,
    *,
    trained_with: Literal["erm", "logit_adjusted"],
    goal: Literal["balanced", "plain"],
    tau: float = 1.0,
) -> np.ndarray:
    """:func:`per_class_accuracy` of :func:`predict`, averaged over the runs (one per seed), shape (K,)."""
    return np.mean([per_class_accuracy(predict(z, prior, trained_with=trained_with, goal=goal, tau=tau), targets,
                                       len(prior)).numpy() for z in logits], axis=0)


def tau_curve(
    logits: dict[float, Sequence[torch.Tensor]],
    targets: torch.Tensor,
    prior: torch.Tensor,
    groups: dict[str, list[int]],
    *,
    trained_with: Literal["erm", "logit_adjusted"],
    goal: Literal["balanced", "plain"] = "balanced",
) -> dict[str, np.ndarray]:
    """Scores as a function of τ: ``logits[τ]`` holds the runs to evaluate with that τ (the same ERM runs at
    every τ for post-hoc adjustment; the runs trained with τ for the loss). Returns arrays ``tau`` and, per
    metric of :func:`scores`, ``<metric>`` (mean) and ``<metric> std``."""
    taus = sorted(logits)
    rows = [evaluate_runs(logits[t], targets, prior, groups, trained_with=trained_with, goal=goal, tau=t)
            for t in taus]
    out = {"tau": np.array(taus, dtype=np.float64)}
    for key in rows[0]:
        out[key] = np.array([r[key][0] for r in rows])
        out[f"{key} std"] = np.array([r[key][1] for r in rows])
    return out


def mean_std_by_key(results: Sequence[dict[str, float]]) -> dict[str, tuple[float, float]]:
    """Per key, (mean, sample std) over seeds (:func:`kexue.report.mean_std`)."""
    if not results:
        raise ValueError("mean_std_by_key needs at least one result")
    return {key: mean_std([r[key] for r in results]) for key in results[0]}


# --- training through kexue.train --------------------------------------------------------------------------


def fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    prior: torch.Tensor,
    tau: float = 0.0,
    steps: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    progress: bool = True,
) -> History:
    """Train ``model`` on (x, y) with :func:`logit_adjusted_loss` (τ = 0: ERM) through :func:`kexue.train.train`,
    Adam at ``lr``, shuffled mini-batches drawn with ``seed``."""
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    desc = "ERM" if tau == 0 else f"LA loss τ={tau:g}"
    return train(model, loss_fn(prior, tau), loader, steps=steps, lr=lr, progress=progress, desc=desc)


@torch.no_grad()
def predict_logits(model: nn.Module, x: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """The model's logits for ``x`` in eval mode, on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model(x[i : i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)])


def cnn_test_logits(
    data: LongTailImages,
    *,
    tau: float = 0.0,
    seed: int = 0,
    epochs: float = 10,
    batch_size: int = 128,
    lr: float = 1e-3,
    width: int = 32,
    cache: bool = True,
    progress: bool = True,
) -> torch.Tensor:
    """Train :func:`kexue.nets.small_cnn` on ``data`` with :func:`fit` for ``epochs`` passes (τ = 0: ERM) and
    return its test logits (N_test, K). Seeds the weights and the batch order with ``seed``.

    With ``cache`` the logits are stored by :func:`kexue.artifacts.cached`, keyed by ``data.config`` and
    every setting here, so a rebuild does not train again."""
    tau = _check_tau(tau)

    def compute() -> torch.Tensor:
        seed_everything(seed)
        model = small_cnn(len(data.counts), data.x_train.shape[1], width)
        steps = max(1, round(epochs * len(data.y_train) / batch_size))
        fit(model, data.x_train, data.y_train, prior=data.prior, tau=tau, steps=steps, batch_size=batch_size,
            lr=lr, seed=seed, progress=progress)
        return predict_logits(model, data.x_test)

    if not cache:
        return compute()
    config = {**data.config, "model": "small_cnn", "tau": tau, "seed": seed, "epochs": epochs,
              "batch_size": batch_size, "lr": lr, "width": width}
    return cached("logit-adjustment-cnn", config, compute)


def linear_classifier(
    x: torch.Tensor, y: torch.Tensor, *, prior: torch.Tensor, tau: float = 0.0, steps: int = 500, lr: float = 0.05,
    seed: int = 0,
) -> nn.Linear:
    """Softmax regression (one linear layer) on all of (x, y) at once, trained by :func:`fit` with τ (0: ERM).

    Returned on the CPU, where its 2-D decision regions are drawn, wherever it was trained."""
    seed_everything(seed)
    model = nn.Linear(x.shape[1], len(prior))
    fit(model, x, y, prior=prior, tau=tau, steps=steps, batch_size=len(y), lr=lr, seed=seed, progress=False)
    return model.cpu().eval()


def _labels_numpy(labels: Tensorish) -> np.ndarray:
    y = labels.cpu().numpy() if torch.is_tensor(labels) else np.asarray(labels)
    if y.ndim != 1 or not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be a 1-D integer array of class ids, got {y.dtype} with shape {y.shape}")
    if len(y) and y.min() < 0:
        raise ValueError("labels must be class ids >= 0")
    return y.astype(np.int64)
