"""What the condition learned: for task t and each conditional LayerNorm, the shift (W_γ c_t, W_β c_t).

``shifts`` has shape (tasks, norms, 2, hidden), as :meth:`~kexue.cln.ConditionalEncoder.task_shifts` returns it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..data.matching import TASKS


def layer_of(name: str) -> int:
    """0 for the embeddings' LayerNorm, l for one inside transformer layer l (counted from 1)."""
    return 0 if name.startswith("embeddings") else int(name.split(".")[2]) + 1


def short_norm_name(name: str) -> str:
    """'encoder.layer.3.attention.output.LayerNorm' -> 'L4 att'; 'embeddings.LayerNorm' -> 'emb'."""
    if name.startswith("embeddings"):
        return "emb"
    return f"L{layer_of(name)} {'att' if 'attention' in name.split('.') else 'out'}"


def shift_pca(shifts: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Each task's shifts of all LayerNorms as one vector, centred over the tasks and projected on the first two
    principal components: (coordinates, shape (tasks, 2); fraction of the variance each component explains)."""
    flat = shifts.reshape(len(shifts), -1).double().numpy()
    centred = flat - flat.mean(0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    return u[:, :2] * s[:2], s[:2] ** 2 / (s**2).sum()


def shift_sizes(shifts: torch.Tensor) -> np.ndarray:
    """‖W_γ c_t‖ + ‖W_β c_t‖ per task and LayerNorm: shape (tasks, norms)."""
    return (shifts.norm(dim=-1).sum(-1)).numpy()


def separates_criteria(shifts: torch.Tensor) -> bool:
    """Whether the first principal component orders the tasks by criterion: the three A tasks at one end and the
    three B tasks at the other (some threshold on PC 1 splits them)."""
    pc1 = shift_pca(shifts)[0][:, 0]
    is_a = np.array([name.startswith("A") for name in TASKS])
    return bool(pc1[is_a].max() < pc1[~is_a].min() or pc1[~is_a].max() < pc1[is_a].min())


def shift_facts(shifts: torch.Tensor, norm_names: Sequence[str]) -> dict[str, object]:
    """What the chapter says about the shifts (glue keys): whether PC 1 orders the tasks by criterion, in words,
    the share of variance PC 1 explains, the LayerNorm with the largest mean shift, the smallest mean shift over
    the largest, and the last layer's mean shift over the mean shift of all LayerNorms."""
    explained = shift_pca(shifts)[1]
    size = shift_sizes(shifts).mean(0)  # per LayerNorm, mean over the tasks
    layers = np.array([layer_of(n) for n in norm_names])
    return {
        "cln-shift-separation": ("put the three A tasks at one end of the first principal component and the three "
                                 "B tasks at the other" if separates_criteria(shifts) else
                                 "do not order the tasks by criterion along the first principal component: the A "
                                 "and B tasks overlap there"),
        "cln-shift-pc1": float(explained[0]),
        "cln-shift-largest": short_norm_name(norm_names[int(size.argmax())]),
        "cln-shift-spread": float(size.min() / size.max()),
        "cln-shift-last-ratio": float(size[layers == layers.max()].mean() / size.mean()),
    }
