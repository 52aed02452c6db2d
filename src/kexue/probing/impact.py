"""The impact matrix of Perturbed Masking (Wu et al., ACL 2020; Su, kexue.fm/archives/7476).

How much does unit x_j matter for unit x_i? Mask x_i, read its vector; mask x_j as well, read it again:

    f(x_i, x_j) = d( H(x \\ {x_i})_i , H(x \\ {x_i, x_j})_i ),      f(x_i, x_i) = 0,

with H the encoder's hidden states at one layer and d the Euclidean or cosine distance. Units are characters
or words: masking a unit masks all its tokens, and a unit's vector is the mean of its tokens' vectors.

The paper's code (LividWo/Perturbed-Masking, ``get_impact_matrix.py``) runs, for each i, a batch masking i and
each j: n^2 sequences (:func:`impact_matrix_reference`). The input masking {i, j} is the same as the one masking
{j, i}, so Su runs each distinct input once: the n single masks {i} and the n(n-1)/2 pair masks {i < j},
n(n+1)/2 in all, the pair input giving both H(..)_i for f(i, j) and H(..)_j for f(j, i) (:func:`impact_matrix`).
"""

from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

import numpy as np
import torch

from ..models import Encoder
from ..runtime import half_precision
from ..timing import phase

METRICS = ("euclidean", "cosine")


def pair_count(n: int) -> int:
    """Distinct masked inputs the impact matrix needs: n single masks + n(n-1)/2 pair masks = n(n+1)/2."""
    return n * (n + 1) // 2


def distance(a: torch.Tensor, b: torch.Tensor, metric: str = "euclidean") -> torch.Tensor:
    """d(a, b) along the last axis: ``euclidean`` ||a - b||, or ``cosine`` 1 - cos(a, b).

    The cosine distance is computed as ||a/|a| - b/|b|||^2 / 2, the same number without the cancellation
    of 1 - cos when the vectors are nearly parallel (as masked and twice-masked states often are).
    """
    if metric == "euclidean":
        return torch.linalg.vector_norm(a - b, dim=-1)
    unit = torch.nn.functional.normalize
    return torch.linalg.vector_norm(unit(a, dim=-1) - unit(b, dim=-1), dim=-1).square() / 2


def check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")


def resolve_layers(encoder: Encoder, layer: int, layers: Sequence[int] | None) -> list[int]:
    """Hidden-state indices as ``transformers`` counts them (0 = embeddings, L = last), negatives resolved."""
    top = encoder.num_layers
    resolved = []
    for index in [layer] if layers is None else list(layers):
        if not -(top + 1) <= index <= top:
            raise ValueError(
                f"layer {index} is out of range for {encoder.name} with {top} layers: use 0..{top} "
                f"(0 = embeddings, {top} = last) or -{top + 1}..-1"
            )
        resolved.append(index % (top + 1))
    if not resolved:
        raise ValueError("layers is empty: pass at least one layer index")
    return resolved


def encode_units(encoder: Encoder, units: Sequence[str]) -> tuple[torch.Tensor, list[tuple[int, int]]]:
    """``encoder.encode(units)``, refusing units that come out without any token."""
    input_ids, spans = encoder.encode(units)
    for k, (start, end) in enumerate(spans):
        if start == end:
            raise ValueError(f"unit {k} ({units[k]!r}) gives no token; drop it or merge it with a neighbour")
    return input_ids, spans


def _autocast(device: torch.device) -> contextlib.AbstractContextManager:
    """Autocast on CUDA (bf16 where native, fp16 on older GPUs such as the T4, see
    :func:`kexue.runtime.half_precision`); plain fp32 elsewhere."""
    dtype = half_precision(device)
    return contextlib.nullcontext() if dtype is None else torch.autocast("cuda", dtype=dtype)


def _forward_depth(encoder: Encoder, top: int) -> contextlib.AbstractContextManager:
    """Stop the forward at hidden state ``top`` when it is below the last layer."""
    return encoder.truncated(top) if top < encoder.num_layers else contextlib.nullcontext()


def chunk_size(length: int, batch_size: int, max_tokens: int | None) -> int:
    """Sequences per forward: ``batch_size``, fewer when ``max_tokens`` (sequences x length) is smaller."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if max_tokens is None:
        return batch_size
    if max_tokens < length:
        raise ValueError(f"max_tokens={max_tokens} is below one sequence of {length} tokens")
    return min(batch_size, max_tokens // length)


def masked_unit_states(
    encoder: Encoder,
    input_ids: torch.Tensor,
    spans: Sequence[tuple[int, int]],
    masks: torch.Tensor,
    targets: torch.Tensor,
    layers: Sequence[int],
    *,
    batch_size: int = 64,
    max_tokens: int | None = None,
) -> Iterator[torch.Tensor]:
    """For each input b, H^l(x \\ masks[b])_t for the units t in targets[b], one chunk of inputs at a time.

    ``masks`` (M, r) and ``targets`` (M, m) hold unit indices (r may be 0: the unmasked input). Yields float32
    tensors (len(layers), chunk, m, d): a unit's vector is the mean of its tokens' vectors. The forward runs
    under ``inference_mode``, stops at the highest requested layer, and uses autocast on CUDA.
    """
    device = encoder.device
    length = input_ids.numel()
    token_of_unit = torch.zeros(len(spans), length, dtype=torch.bool)
    for k, (start, end) in enumerate(spans):
        token_of_unit[k, start:end] = True
    pool = token_of_unit.float() / token_of_unit.sum(1, keepdim=True)  # (n, T) rows average a unit's tokens
    token_of_unit, pool, input_ids = token_of_unit.to(device), pool.to(device), input_ids.to(device)
    masks, targets = masks.to(device), targets.to(device)
    step = chunk_size(length, batch_size, max_tokens)
    for start in range(0, len(masks), step):
        # the contexts close before each yield, so the caller never runs inside them
        # at least one layer runs: a model cut to zero layers returns no hidden states at all
        with phase("inference"), torch.inference_mode(), _forward_depth(encoder, max(1, *layers)), _autocast(device):
            masked = token_of_unit[masks[start : start + step]].any(dim=1)  # (B, T) tokens to mask
            batch = torch.where(masked, encoder.mask_id, input_ids)
            states = encoder.base(input_ids=batch, output_hidden_states=True).hidden_states
            H = torch.stack([states[l] for l in layers]).float()  # (L, B, T, d)
            vectors = torch.einsum("bmt,lbtd->lbmd", pool[targets[start : start + step]], H)
        yield vectors


def impact_matrix(
    encoder: Encoder,
    units: Sequence[str],
    layer: int = -1,
    *,
    layers: Sequence[int] | None = None,
    metric: str = "euclidean",
    batch_size: int = 64,
    max_tokens: int | None = None,
) -> np.ndarray:
    """f[i, j] = d(H(x\\{x_i})_i, H(x\\{x_i, x_j})_i) for units (characters or words); f[i, i] = 0.

    ``layer`` indexes the hidden states as ``transformers`` returns them (0 = embeddings, -1 = last); pass
    ``layers=[...]`` for several at once from the same forward passes, giving (len(layers), n, n) instead of
    (n, n). Runs the n(n+1)/2 distinct masked inputs (:func:`pair_count`) in chunks of ``batch_size``
    sequences, or of at most ``max_tokens`` tokens, which bounds memory for long sentences.
    """
    check_metric(metric)
    wanted = resolve_layers(encoder, layer, layers)
    input_ids, spans = encode_units(encoder, units)
    n = len(spans)
    f = torch.zeros(len(wanted), n, n)
    if n > 1:
        run = dict(layers=wanted, batch_size=batch_size, max_tokens=max_tokens)
        singles = torch.arange(n)[:, None]  # input {i}, target i
        S = torch.cat(list(masked_unit_states(encoder, input_ids, spans, singles, singles, **run)), 1)[:, :, 0]
        S = S.cpu()  # S[l, i] = H^l(x \ {x_i})_i
        pairs = torch.triu_indices(n, n, offset=1).T  # input {i, j} with i < j, targets i and j
        done = 0
        for P in masked_unit_states(encoder, input_ids, spans, pairs, pairs, **run):
            i, j = pairs[done : done + P.shape[1]].T
            P = P.cpu()
            f[:, i, j] = distance(S[:, i], P[:, :, 0], metric)  # impact of x_j on x_i
            f[:, j, i] = distance(S[:, j], P[:, :, 1], metric)  # impact of x_i on x_j
            done += P.shape[1]
    result = f.double().numpy()
    return result if layers is not None else result[0]


def impact_matrix_reference(
    encoder: Encoder, units: Sequence[str], layer: int = -1, *, metric: str = "euclidean"
) -> np.ndarray:
    """The paper's per-token loop, kept as the slow, faithful reference for tests and benchmarks.

    As in LividWo/Perturbed-Masking's ``get_impact_matrix.py``: for each unit i, one batch of n sequences,
    sequence j masking x_i and x_j (x_i alone when j = i), through the whole model: n^2 sequences.
    Then f[i, j] = d(sequence i's H_i, sequence j's H_i). Same units, layers and distances as
    :func:`impact_matrix`.
    """
    check_metric(metric)
    (index,) = resolve_layers(encoder, layer, None)
    input_ids, spans = encode_units(encoder, units)
    n = len(spans)
    f = np.zeros((n, n))
    for i, (start_i, end_i) in enumerate(spans):
        batch = input_ids.repeat(n, 1)
        batch[:, start_i:end_i] = encoder.mask_id
        for j, (start_j, end_j) in enumerate(spans):
            batch[j, start_j:end_j] = encoder.mask_id
        H = encoder.hidden_states(batch)[index].float()
        H_i = H[:, start_i:end_i].mean(1).cpu()  # (n, d): row j is H(x \ {x_i, x_j})_i
        f[i] = distance(H_i[i], H_i, metric).double().numpy()
    np.fill_diagonal(f, 0.0)
    return f
