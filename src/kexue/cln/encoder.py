"""The model wrapper: a ``transformers`` encoder whose every LayerNorm is conditioned on a task id.

The task id t picks its condition c = E[t], a row of an embedding table E ∈ R^{K × cond_dim}; the wrapper hands c
to every :class:`~kexue.cln.layernorm.ConditionalLayerNorm` for one forward call.
"""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..data.matching import TASKS, MatchPair
from ..models import Encoder
from ..text import encode_pairs
from .layernorm import ConditionalLayerNorm, convert_layernorms


class ConditionalEncoder(nn.Module):
    """A ``transformers`` encoder whose LayerNorms are conditioned on a task id: c = E[task], E ∈ R^{K × cond_dim}.

    ``forward(input_ids, attention_mask=None, task=...)`` returns what the wrapped encoder returns. It converts
    ``base`` in place (see :func:`~kexue.cln.convert_layernorms`). E starts as N(0, 1/cond_dim), so that ‖c‖ ≈ 1.
    """

    def __init__(self, base: nn.Module, num_conditions: int = len(TASKS), cond_dim: int = 128):
        super().__init__()
        if num_conditions < 1:
            raise ValueError(f"num_conditions must be at least 1, got {num_conditions}")
        self.base = base
        self.norms = convert_layernorms(base, cond_dim)
        self.norm_names = [name for name, m in base.named_modules() if isinstance(m, ConditionalLayerNorm)]
        self.embedding = nn.Embedding(num_conditions, cond_dim, device=self.norms[0].weight.device)
        nn.init.normal_(self.embedding.weight, std=cond_dim**-0.5)

    @property
    def config(self):
        return self.base.config

    def condition_parameters(self) -> list[nn.Parameter]:
        """The new parameters: E and every W_γ, W_β (train them with a larger learning rate than the encoder)."""
        return [self.embedding.weight] + [p for n in self.norms for p in (n.W_gamma.weight, n.W_beta.weight)]

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None, *,
                task: torch.Tensor | None = None, **kwargs):
        if task is None:
            raise TypeError("a ConditionalEncoder needs task=<LongTensor of task ids, one per example>")
        task = torch.as_tensor(task, device=input_ids.device)
        if task.dim() != 1 or len(task) != len(input_ids):
            raise ValueError(f"task must hold one id per example ({len(input_ids)}), got shape {tuple(task.shape)}")
        k = self.embedding.num_embeddings
        if len(task) and (task.min() < 0 or task.max() >= k):
            raise ValueError(f"task ids must be in 0..{k - 1}, got {task.min().item()}..{task.max().item()}")
        c = self.embedding(task)
        for norm in self.norms:
            norm.condition = c
        try:
            return self.base(input_ids=input_ids, attention_mask=attention_mask, **kwargs)
        finally:
            for norm in self.norms:
                norm.condition = None

    @torch.no_grad()
    def task_shifts(self) -> torch.Tensor:
        """W_γ c_t and W_β c_t for every task t and every conditional LayerNorm: shape (K, norms, 2, hidden)."""
        c = self.embedding.weight
        return torch.stack([torch.stack(norm.shifts(c), 1) for norm in self.norms], 1).cpu()


@torch.no_grad()
def start_gaps(encoder: Encoder, pairs: Sequence[MatchPair], max_length: int = 128,
               cond_dim: int = 128) -> tuple[ConditionalEncoder, list[float]]:
    """Check the exact start: wrap ``encoder.base`` (converted in place) in a :class:`ConditionalEncoder` and
    return it with, per task t, max |h(x | c_t) − h(x)| over the last hidden states of ``pairs`` (all zero
    while W_γ = W_β = 0)."""
    ids = encode_pairs(encoder, [(p.a, p.b) for p in pairs], max_length)
    mask = (ids != encoder.pad_id).long()
    before = encoder.base(input_ids=ids, attention_mask=mask).last_hidden_state
    conditional = ConditionalEncoder(encoder.base, cond_dim=cond_dim)
    gaps = []
    for t in range(conditional.embedding.num_embeddings):
        task = torch.full((len(ids),), t)
        after = conditional(ids, mask, task=task).last_hidden_state
        gaps.append((after - before).abs().max().item())
    return conditional, gaps
