"""Multi-task text matching with conditional LayerNorm (Su, kexue.fm/archives/8337; code bojone/sohu2021-baseline).

One encoder serves several subtasks that look alike but label differently (the Sohu 2021 matching criteria A and B).
The task id t is the condition: c = E[t] (an embedding row, ``cond_dim`` = 128 in the article), and every LayerNorm

    LN(x) = γ ⊙ x̂ + β,        x̂ = (x − μ(x)) / sqrt(σ²(x) + ε)

becomes

    CLN(x | c) = (γ + W_γ c) ⊙ x̂ + (β + W_β c),

with W_γ, W_β initialised to zero, so that training starts exactly at the pretrained model. The pair classifier is
the usual one: ``[CLS] a [SEP] b [SEP]`` (the longer text trimmed first), mean pooling, one linear layer, shared by
all tasks; only the condition tells the tasks apart.

* :func:`convert_layernorms` swaps every ``nn.LayerNorm`` of a model for a :class:`ConditionalLayerNorm`.
* :class:`ConditionalEncoder` wraps a ``transformers`` encoder: ``forward(input_ids, attention_mask, task=...)``
  embeds the task ids and hands c to every conditional LayerNorm for that one call.
* :func:`matching_run` trains and evaluates one model (conditional or not) on the People's Daily matching subtasks
  (:mod:`kexue.data.matching`) through :func:`kexue.train.train`, cached by configuration.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .artifacts import cached
from .data.matching import OTHER_ARTICLE, RELATED, SAME_ARTICLE, TASKS, MatchPair, load_matching
from .layers import keep_first_layers
from .models import Encoder, load_encoder
from .runtime import seed_everything
from .text import MeanPoolClassifier, batches, encode_pairs, prune_vocab
from .train import History, cross_entropy_loss, train


class ConditionalLayerNorm(nn.Module):
    """CLN(x | c) = (γ + W_γ c) ⊙ x̂ + (β + W_β c), built from an existing ``nn.LayerNorm`` (γ, β, ε kept).

    W_γ and W_β (``W_gamma``, ``W_beta``: ``cond_dim`` → hidden, no bias) start at zero. The condition c, shape
    (batch, cond_dim), is set per call by :class:`ConditionalEncoder` in ``self.condition``. The output is computed
    as LN(x) + (W_γ c) ⊙ x̂ + W_β c, so while the W are zero it is the original LayerNorm's output bit for bit.
    """

    def __init__(self, norm: nn.LayerNorm, cond_dim: int):
        super().__init__()
        if not isinstance(norm, nn.LayerNorm) or not norm.elementwise_affine or norm.bias is None:
            raise TypeError("ConditionalLayerNorm needs an nn.LayerNorm with a weight (γ) and a bias (β)")
        if cond_dim < 1:
            raise ValueError(f"cond_dim must be at least 1, got {cond_dim}")
        self.normalized_shape, self.eps = norm.normalized_shape, norm.eps
        self.weight, self.bias = norm.weight, norm.bias  # γ, β: the pretrained parameters themselves
        hidden = norm.normalized_shape[-1]
        self.W_gamma = nn.Linear(cond_dim, hidden, bias=False, device=norm.weight.device)
        self.W_beta = nn.Linear(cond_dim, hidden, bias=False, device=norm.weight.device)
        nn.init.zeros_(self.W_gamma.weight)
        nn.init.zeros_(self.W_beta.weight)
        self.condition: torch.Tensor | None = None

    def shifts(self, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(W_γ c, W_β c): how much the condition moves γ and β, each of shape (..., hidden)."""
        return self.W_gamma(c), self.W_beta(c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.condition is None:
            raise RuntimeError("no condition set: call the model through ConditionalEncoder(..., task=task_ids)")
        c = self.condition
        if c.shape[0] != x.shape[0]:
            raise ValueError(f"{c.shape[0]} conditions for a batch of {x.shape[0]}: pass one task id per example")
        x_hat = F.layer_norm(x, self.normalized_shape, eps=self.eps)
        d_gamma, d_beta = self.shifts(c)
        view = (x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],)  # broadcast over the sequence
        out = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return out + d_gamma.view(view) * x_hat + d_beta.view(view)


def convert_layernorms(model: nn.Module, cond_dim: int = 128) -> list[ConditionalLayerNorm]:
    """Replace every ``nn.LayerNorm`` inside ``model`` (in place) by a :class:`ConditionalLayerNorm`; return them.

    The order is that of ``model.named_modules()`` (for BERT: embeddings, then per layer attention and output).
    """
    targets = [(name, module) for name, module in model.named_modules() if isinstance(module, nn.LayerNorm)]
    if not targets:
        raise ValueError("the model has no nn.LayerNorm to make conditional (was it converted already?)")
    converted = []
    for name, norm in targets:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        cln = ConditionalLayerNorm(norm, cond_dim)
        setattr(parent, child, cln)
        converted.append(cln)
    return converted


class ConditionalEncoder(nn.Module):
    """A ``transformers`` encoder whose LayerNorms are conditioned on a task id: c = E[task], E ∈ R^{K × cond_dim}.

    ``forward(input_ids, attention_mask=None, task=...)`` returns what the wrapped encoder returns. It converts
    ``base`` in place (see :func:`convert_layernorms`). E starts as N(0, 1/cond_dim), so that ‖c‖ ≈ 1.
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


def swap_criterion(task: torch.Tensor) -> torch.Tensor:
    """The same length pairing under the other criterion (A ↔ B): t ↦ (t + 3) mod 6, the "wrong condition"."""
    return (task + 3) % len(TASKS)


@torch.no_grad()
def predict(model: nn.Module, input_ids: torch.Tensor, task: torch.Tensor | None = None,
            batch_size: int = 64) -> torch.Tensor:
    """Arg-max labels of ``model`` for a batch of pair ids (passing ``task=`` to a conditional model)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = []
    for start in range(0, len(input_ids), batch_size):
        kwargs = {} if task is None else {"task": task[start : start + batch_size].to(device)}
        out.append(model(input_ids[start : start + batch_size].to(device), **kwargs).argmax(-1).cpu())
    model.train(was_training)
    return torch.cat(out)


def f1(pred: torch.Tensor, labels: torch.Tensor) -> float:
    """F1 of the positive class: 2 TP / (2 TP + FP + FN) (0 when there is no positive at all)."""
    pred, labels = pred.bool(), labels.bool()
    tp = (pred & labels).sum().item()
    wrong = (pred != labels).sum().item()
    return 2 * tp / (2 * tp + wrong) if tp + wrong else 0.0


def matching_scores(pred: torch.Tensor, labels: torch.Tensor, tasks: torch.Tensor,
                    relations: Sequence[str]) -> dict[str, float]:
    """F1 per subtask, F1 on all of criterion A (tasks 0-2) and of B (3-5), their mean (the competition's score),
    and the accuracy on the *conflict* pairs (relation "same article"; label 1 under A, 0 under B) per criterion and
    its mean. A model that gives a pair the same answer under A and B has a conflict mean of about 0.5."""
    if not len(pred) == len(labels) == len(tasks) == len(relations):
        raise ValueError("pred, labels, tasks and relations must have the same length")
    scores = {name: f1(pred[tasks == t], labels[tasks == t]) for t, name in enumerate(TASKS)}
    is_a = tasks < 3
    scores["F1 A"] = f1(pred[is_a], labels[is_a])
    scores["F1 B"] = f1(pred[~is_a], labels[~is_a])
    scores["F1 mean"] = (scores["F1 A"] + scores["F1 B"]) / 2
    conflict = torch.tensor([r == SAME_ARTICLE for r in relations])
    for name, part in (("A", is_a), ("B", ~is_a)):
        keep = conflict & part
        correct = (pred[keep] == labels[keep]).float()
        scores[f"conflict acc {name}"] = correct.mean().item() if keep.any() else float("nan")
    scores["conflict acc mean"] = (scores["conflict acc A"] + scores["conflict acc B"]) / 2
    return scores


@dataclass(frozen=True)
class MatchingConfig:
    """Everything that decides a :func:`matching_run` (and its cache key)."""

    conditional: bool
    model: str = "offline-zh"
    layers: int = 6
    max_length: int = 128
    per_task: int = 600  # training pairs per subtask
    dev_per_task: int = 50
    test_per_task: int = 150
    steps: int = 300
    batch_size: int = 16
    lr: float = 1e-4  # pretrained encoder
    head_lr: float = 1e-3  # the new classifier layer
    cond_lr: float = 1e-4  # the condition: E, W_γ, W_β
    cond_dim: int = 128
    eval_every: int = 100
    seed: int = 0
    data_seed: int = 0


@dataclass
class MatchingResult:
    """What a :func:`matching_run` keeps: test predictions (right and, if conditional, wrong condition), the test
    labels, task ids and relations, dev-set history, the learned per-task LayerNorm shifts and the time taken."""

    config: MatchingConfig
    history: History
    labels: torch.Tensor
    tasks: torch.Tensor
    relations: list[str]
    pred: torch.Tensor
    pred_wrong: torch.Tensor | None = None
    shifts: torch.Tensor | None = None  # (tasks, norms, 2, hidden): W_γ c_t, W_β c_t
    norm_names: list[str] = field(default_factory=list)
    train_seconds: float = 0.0

    def scores(self, wrong_condition: bool = False) -> dict[str, float]:
        """:func:`matching_scores` of the test predictions (with the swapped criterion if ``wrong_condition``)."""
        pred = self.pred_wrong if wrong_condition else self.pred
        if pred is None:
            raise ValueError("only a conditional model has predictions with the wrong condition")
        return matching_scores(pred, self.labels, self.tasks, self.relations)


def _pair_tensors(encoder: Encoder, pairs: Sequence[MatchPair], max_length: int):
    ids = encode_pairs(encoder, [(p.a, p.b) for p in pairs], max_length)
    return ids, torch.tensor([p.task for p in pairs]), torch.tensor([p.label for p in pairs])


def conditional_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """CE(model(ids | task), label) for a batch (ids, task ids, labels)."""
    ids, task, labels = batch
    return F.cross_entropy(model(ids, task=task), labels)


def build_matcher(encoder: Encoder, conditional: bool, cond_dim: int = 128) -> MeanPoolClassifier:
    """The pair classifier: mean pooling and a linear layer over ``encoder`` (made conditional if asked)."""
    base = ConditionalEncoder(encoder.base, len(TASKS), cond_dim) if conditional else encoder.base
    return MeanPoolClassifier(base, num_labels=2, pad_id=encoder.pad_id).to(encoder.device)


def _optimizer(model: MeanPoolClassifier, lr: float, head_lr: float, cond_lr: float) -> torch.optim.Optimizer:
    head = list(model.head.parameters())
    condition = model.base.condition_parameters() if isinstance(model.base, ConditionalEncoder) else []
    new = {id(p) for p in head + condition}
    groups = [{"params": [p for p in model.parameters() if id(p) not in new], "lr": lr},
              {"params": head, "lr": head_lr}]
    return torch.optim.Adam(groups + ([{"params": condition, "lr": cond_lr}] if condition else []))


def _compute(config: MatchingConfig, device: str | torch.device | None, progress: bool) -> MatchingResult:
    seed_everything(config.seed)
    encoder = load_encoder(config.model, device=device)
    keep_first_layers(encoder.model, config.layers)
    splits = {name: load_matching(name, n, seed=config.data_seed) for name, n in
              (("train", config.per_task), ("dev", config.dev_per_task), ("test", config.test_per_task))}
    tensors = {name: _pair_tensors(encoder, pairs, config.max_length) for name, pairs in splits.items()}
    pruned = prune_vocab(encoder, *(t[0] for t in tensors.values()))
    tensors = {name: (ids, *t[1:]) for (name, t), ids in zip(tensors.items(), pruned)}
    seed_everything(config.seed)  # the new parameters start the same whatever happened above
    model = build_matcher(encoder, config.conditional, config.cond_dim)
    dev_ids, dev_task, dev_y = tensors["dev"]
    dev_rel = [p.relation for p in splits["dev"]]

    def evaluate(m: nn.Module) -> dict[str, float]:
        pred = predict(m, dev_ids, dev_task if config.conditional else None)
        s = matching_scores(pred, dev_y, dev_task, dev_rel)
        return {k: s[k] for k in ("F1 A", "F1 B", "F1 mean", "conflict acc A", "conflict acc B")}

    ids, task, y = tensors["train"]
    loader = batches(*((ids, task, y) if config.conditional else (ids, y)), batch_size=config.batch_size,
                     seed=config.seed)
    start = time.perf_counter()
    history = train(model, conditional_loss if config.conditional else cross_entropy_loss, loader,
                    steps=config.steps, optimizer=_optimizer(model, config.lr, config.head_lr, config.cond_lr),
                    evaluate=evaluate, eval_every=config.eval_every, progress=progress,
                    desc="conditional" if config.conditional else "shared")
    seconds = time.perf_counter() - start
    test_ids, test_task, test_y = tensors["test"]
    extra = {}
    if config.conditional:
        pred = predict(model, test_ids, test_task)
        extra = dict(pred_wrong=predict(model, test_ids, swap_criterion(test_task)),
                     shifts=model.base.task_shifts(), norm_names=model.base.norm_names)
    else:
        pred = predict(model, test_ids)
    return MatchingResult(config=config, history=history, labels=test_y, tasks=test_task,
                          relations=[p.relation for p in splits["test"]], pred=pred, train_seconds=seconds, **extra)


def matching_run(config: MatchingConfig, *, device: str | torch.device | None = None, cache: bool = True,
                 progress: bool = True) -> MatchingResult:
    """Train one pair classifier on all six subtasks and evaluate it on the test pairs (cached by ``config``).

    The encoder is ``config.model`` cut to its first ``config.layers`` layers, its vocabulary pruned to the pieces
    of the train/dev/test pairs; Adam with ``lr`` for the pretrained weights, ``head_lr`` for the classifier layer
    and ``cond_lr`` for the condition (E, W_γ, W_β).
    """
    if not cache:
        return _compute(config, device, progress)
    return cached("cln-matching", asdict(config), lambda: _compute(config, device, progress))


def relation_counts(pairs: Sequence[MatchPair]) -> list[dict[str, object]]:
    """Per subtask: how many pairs of each relation, and their label (a row per subtask, for a table)."""
    rows = []
    for t, name in enumerate(TASKS):
        row: dict[str, object] = {"subtask": name}
        for relation in (RELATED, SAME_ARTICLE, OTHER_ARTICLE):
            chosen = [p for p in pairs if p.task == t and p.relation == relation]
            row[relation] = f"{len(chosen)} (label {chosen[0].label})" if chosen else "–"
        rows.append(row)
    return rows


def example_conflicts(pairs: Sequence[MatchPair], per_kind: int = 1, max_chars: int = 60) -> list[dict[str, object]]:
    """For each length pairing, ``per_kind`` pairs from one article that are not B-related: positive under A,
    negative under B. Rows with the kind, both texts (cut to ``max_chars`` for display) and both labels."""
    clip = lambda text: text if len(text) <= max_chars else text[:max_chars] + "…"  # noqa: E731
    rows = []
    for t in range(3, 6):  # the B subtasks hold the same-article negatives
        chosen = [p for p in pairs if p.task == t and p.relation == SAME_ARTICLE][:per_kind]
        rows += [{"kind": p.kind, "text a": clip(p.a), "text b": clip(p.b), "label A": 1, "label B": 0} for p in chosen]
    return rows
