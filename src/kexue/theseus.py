"""BERT-of-Theseus: compress a fine-tuned encoder by replacing its modules, one random draw at a time.

Xu et al. (EMNLP 2020) and Su Jianlin's post (kexue.fm/archives/7575). A fine-tuned *predecessor* with ``L``
layers is cut into ``n`` contiguous *modules* (:func:`layer_groups`); a *successor* has one layer per module,
initialised as a copy of chosen predecessor layers (default: the first ``n``). In each training forward pass, every
module ``i`` draws

    r_i ~ Bernoulli(p),        y_i = r_i * scc_i(y_{i-1}) + (1 - r_i) * prd_i(y_{i-1}),

so with probability ``p`` (the *replacement rate*) the successor layer stands in for the predecessor module. The
predecessor, its embeddings (unless ``replace_embeddings``) and its classifier head are frozen and shared; only the
successor is trained, on the task loss alone. At inference only the successor runs: ``p = 0`` is the predecessor,
``p = 1`` the successor. Schedules for ``p`` over training: :func:`constant_rate`, :func:`constant_then_one`,
:func:`linear_curriculum` (``p_t = min(1, k t + b)``).

:class:`Theseus` wraps any model holding one list of transformer layers (``encoder.layer`` in BERT-like
``transformers`` models, e.g. :class:`kexue.text.MeanPoolClassifier` or ``BertForSequenceClassification``), by
putting the drawn layers in that list for the duration of a forward pass. :func:`extract_successor` returns the
smaller model on its own, an ordinary ``transformers`` model inside.

The chapter's experiment (predecessor, direct fine-tuning of the first layers, Theseus; inference speed) is
:func:`compression_experiment` and :func:`inference_times`.
"""

from __future__ import annotations

import copy
from typing import Callable, Sequence

import torch
from torch import nn

from . import artifacts
from .data import load_reviews
from .layers import check_depth, find_layers, layers_path_of, set_num_layers
from .models import load_encoder
from .text import MeanPoolClassifier, batches, encode_texts, prune_vocab
from .train import History, accuracy, cross_entropy_loss, train

Schedule = Callable[[int], float]


# -- the modules ------------------------------------------------------------------------------------------------
def layer_groups(num_layers: int, num_modules: int) -> list[list[int]]:
    """Split layers ``0..L-1`` into ``n`` contiguous modules, as even as possible.

    When ``n`` does not divide ``L`` the first ``L mod n`` modules get one layer more: 12 layers in 5 modules are
    ``[0,1,2] [3,4,5] [6,7] [8,9] [10,11]``.
    """
    if num_modules < 1:
        raise ValueError(f"the successor needs at least one layer, got num_modules={num_modules}")
    if num_modules >= num_layers:
        raise ValueError(
            f"num_modules={num_modules} must be smaller than the predecessor's {num_layers} layers: "
            "the successor is meant to be the smaller model")
    size, extra = divmod(num_layers, num_modules)
    groups, start = [], 0
    for i in range(num_modules):
        end = start + size + (1 if i < extra else 0)
        groups.append(list(range(start, end)))
        start = end
    return groups


def _embeddings_owner(model: nn.Module, layers_path: str) -> str | None:
    """Dotted name of the nearest module above the layer list that has an ``embeddings`` module (None if none)."""
    parts = layers_path.split(".")[:-1]
    for i in range(len(parts), -1, -1):
        name = ".".join(parts[:i])
        if isinstance(getattr(model.get_submodule(name), "embeddings", None), nn.Module):
            return name
    return None


def _check_rate(p: float) -> float:
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"the replacement rate p is a probability and must lie in [0, 1], got {p}")
    return p


class Theseus(nn.Module):
    """A frozen predecessor and a trainable ``n``-layer successor that replaces its modules at random.

    ``predecessor``: the fine-tuned model (any module with one list of transformer layers, see :func:`find_layers`),
    called as ``predecessor(*args, **kwargs)``. ``num_modules``: ``n``, the successor's depth. ``init_layers``: the
    ``n`` predecessor layers the successor starts from (default ``0..n-1``). ``replace_embeddings``: give the
    successor its own copy of the embedding layer, drawn like one more module (Su's version). ``p``: the
    replacement rate. In training mode each forward pass draws ``r_i ~ Bernoulli(p)`` per module (one draw for
    the whole batch); in eval mode the successor alone runs. The predecessor is frozen in place
    (``requires_grad=False``) and shared, not copied.
    """

    def __init__(self, predecessor: nn.Module, num_modules: int, *, init_layers: Sequence[int] | None = None,
                 replace_embeddings: bool = False, p: float = 0.5, seed: int = 0, layers_path: str | None = None):
        super().__init__()
        # a path, not the module: a module stored as an attribute would be registered twice
        self.layers_path = layers_path_of(predecessor, layers_path)
        parent, attribute = find_layers(predecessor, self.layers_path)
        layers = getattr(parent, attribute)
        self.groups = layer_groups(len(layers), num_modules)
        init_layers = list(range(num_modules)) if init_layers is None else list(init_layers)
        if len(init_layers) != num_modules or not all(0 <= i < len(layers) for i in init_layers):
            raise ValueError(f"init_layers must list {num_modules} layer indices in 0..{len(layers) - 1}, "
                             f"got {init_layers}")
        self.embeddings_owner = _embeddings_owner(predecessor, self.layers_path) if replace_embeddings else None
        if replace_embeddings and self.embeddings_owner is None:
            raise ValueError(f"replace_embeddings=True needs an 'embeddings' module above {self.layers_path!r}")
        self.predecessor = predecessor.requires_grad_(False)
        self.successor = nn.ModuleList(copy.deepcopy(layers[i]) for i in init_layers).requires_grad_(True)
        self.successor_embeddings = (
            copy.deepcopy(predecessor.get_submodule(self.embeddings_owner).embeddings).requires_grad_(True)
            if replace_embeddings else None)
        self.init_layers = init_layers
        self.p = p
        self.generator = torch.Generator().manual_seed(seed)
        self.last_draw: list[bool] = []

    @property
    def p(self) -> float:
        """The replacement rate: probability that a module is replaced by its successor layer."""
        return self._p

    @p.setter
    def p(self, value: float) -> None:
        self._p = _check_rate(value)

    @property
    def num_modules(self) -> int:
        return len(self.groups)

    def draw(self) -> list[bool]:
        """One Bernoulli(p) draw per module (plus one for the embeddings when they are replaceable)."""
        count = self.num_modules + (self.successor_embeddings is not None)
        return (torch.rand(count, generator=self.generator) < self.p).tolist()

    def forward(self, *args, **kwargs):
        replaced = self.draw() if self.training else [True] * (self.num_modules + 1)
        self.last_draw = replaced
        parent, attribute = find_layers(self.predecessor, self.layers_path)
        predecessor_layers = getattr(parent, attribute)
        chosen = []
        for r, group, layer in zip(replaced, self.groups, self.successor):
            chosen.extend([layer] if r else [predecessor_layers[j] for j in group])
        setattr(parent, attribute, nn.ModuleList(chosen))
        if self.successor_embeddings is not None:
            owner = self.predecessor.get_submodule(self.embeddings_owner)
            embeddings = owner.embeddings
            if replaced[self.num_modules]:
                owner.embeddings = self.successor_embeddings
        try:
            return self.predecessor(*args, **kwargs)
        finally:  # put the predecessor back together, whatever happened
            setattr(parent, attribute, predecessor_layers)
            if self.successor_embeddings is not None:
                owner.embeddings = embeddings

    def successor_parameters(self) -> list[nn.Parameter]:
        """The parameters Theseus training updates: the successor layers (and embeddings)."""
        params = list(self.successor.parameters())
        if self.successor_embeddings is not None:
            params += list(self.successor_embeddings.parameters())
        return params


def keep_layers(model: nn.Module, layers: Sequence[nn.Module], *, embeddings: nn.Module | None = None,
                layers_path: str | None = None) -> nn.Module:
    """A deep copy of ``model`` whose list of transformer layers is ``layers`` (copied too), its configs updated to
    the new depth; ``embeddings`` (copied) replaces the embedding module when given. All parameters trainable."""
    path = layers_path_of(model, layers_path)
    parent, attribute = find_layers(model, path)
    original = getattr(parent, attribute)
    setattr(parent, attribute, nn.ModuleList())  # so that the copy below does not copy the old layers
    try:
        smaller = copy.deepcopy(model)
    finally:
        setattr(parent, attribute, original)
    new_parent, _ = find_layers(smaller, path)
    replacement = nn.ModuleList(copy.deepcopy(list(layers)))
    setattr(new_parent, attribute, replacement)
    if embeddings is not None:
        owner = _embeddings_owner(smaller, path)
        if owner is None:
            raise ValueError(f"{type(model).__name__} has no 'embeddings' module above {path!r} to replace")
        smaller.get_submodule(owner).embeddings = copy.deepcopy(embeddings)
    for i, layer in enumerate(replacement):  # transformers 5 layers know their index (used by caches)
        for module in layer.modules():
            if hasattr(module, "layer_idx"):
                module.layer_idx = i
    set_num_layers(smaller, len(replacement))
    return smaller.requires_grad_(True)


def first_layers(model: nn.Module, num_layers: int, *, layers_path: str | None = None) -> nn.Module:
    """A copy of ``model`` keeping only its first ``num_layers`` transformer layers (the direct-fine-tuning
    baseline of the article)."""
    parent, attribute = find_layers(model, layers_path)
    layers = getattr(parent, attribute)
    check_depth(model, len(layers), num_layers)
    return keep_layers(model, list(layers)[:num_layers], layers_path=layers_path)


def extract_successor(theseus: Theseus) -> nn.Module:
    """The successor as a standalone model of the predecessor's type: same head, ``n`` layers, trainable.

    Its forward equals ``theseus`` in eval mode. The ``transformers`` model inside (e.g. ``.base`` of a
    :class:`~kexue.text.MeanPoolClassifier`) saves with ``save_pretrained`` and loads with ``from_pretrained``.
    """
    return keep_layers(theseus.predecessor, list(theseus.successor), embeddings=theseus.successor_embeddings,
                       layers_path=theseus.layers_path)


# -- replacement schedules -----------------------------------------------------------------------------------------
def constant_rate(p: float = 0.5) -> Schedule:
    """p_t = p for every step t (Su: 0.5 throughout the replacing phase)."""
    p = _check_rate(p)
    return lambda t: p


def constant_then_one(p: float = 0.5, until: int = 100) -> Schedule:
    """p_t = p for t < ``until``, then 1: the replacing phase, then the successor fine-tuned alone."""
    p = _check_rate(p)
    if until < 0:
        raise ValueError(f"until is a step number and must be >= 0, got {until}")
    return lambda t: p if t < until else 1.0


def linear_curriculum(k: float = 6e-4, b: float = 0.3) -> Schedule:
    """The paper's curriculum p_t = min(1, k t + b): replace more and more modules as training goes on."""
    _check_rate(b)
    if k < 0:
        raise ValueError(f"the slope k must be >= 0 (the rate should not fall), got {k}")
    return lambda t: min(1.0, k * t + b)


def train_theseus(theseus: Theseus, loader, *, steps: int, schedule: Schedule, lr: float = 1e-4,
                  evaluate: Callable[[nn.Module], dict] | None = None, eval_every: int | None = None,
                  desc: str = "theseus") -> tuple[History, list[float]]:
    """Train the successor inside ``theseus`` with :func:`kexue.train.train` on the task loss alone; the rate
    follows ``schedule`` (p_t used at step t = 1..steps). Returns the history and the rate of every step.

    A step in which every module (and the embeddings) drew the predecessor leaves the successor unchanged.
    """
    rates: list[float] = []

    def set_rate(t: int) -> None:
        theseus.p = schedule(t)
        rates.append(theseus.p)

    def loss_fn(model: nn.Module, batch) -> torch.Tensor:
        loss = cross_entropy_loss(model, batch)
        # every coin chose the predecessor: nothing to learn from this batch, and the parameters' gradients stay
        # None, so Adam leaves them alone
        return loss if loss.requires_grad else loss.requires_grad_()

    set_rate(1)
    history = train(theseus, loss_fn, loader, steps=steps, lr=lr, params=theseus.successor_parameters(),
                    evaluate=evaluate, eval_every=eval_every, desc=desc,
                    on_step=lambda model, step: set_rate(step + 1) if step < steps else None)
    return history, rates


# -- the chapter's experiment ----------------------------------------------------------------------------------------
def review_tensors(model: str, *, n_train: int, n_dev: int, n_test: int, max_length: int):
    """The reviews (fixed split, first ``n`` of each) as id tensors of the encoder ``model``, its vocabulary pruned to
    the pieces they use. Returns ``(encoder, {"x_train", "y_train", "x_dev", "y_dev", "x_test", "y_test"})``."""
    encoder = load_encoder(model)
    splits = {name: load_reviews(name)[:n] for name, n in (("train", n_train), ("dev", n_dev), ("test", n_test))}
    ids = {name: encode_texts(encoder, [t for t, _ in rows], max_length) for name, rows in splits.items()}
    pruned = dict(zip(ids, prune_vocab(encoder, *ids.values())))
    tensors = {}
    for name, rows in splits.items():
        tensors[f"x_{name}"] = pruned[name]
        tensors[f"y_{name}"] = torch.tensor([label for _, label in rows])
    return encoder, tensors


def _fit(model: nn.Module, data: dict, *, steps: int, lr: float, batch_size: int, seed: int, eval_every: int,
         desc: str, theseus_schedule: Schedule | None = None) -> dict:
    torch.manual_seed(seed)
    loader = batches(data["x_train"], data["y_train"], batch_size=batch_size, seed=seed)
    evaluate = lambda m: {"dev accuracy": accuracy(m, data["x_dev"], data["y_dev"], batch_size=64)}  # noqa: E731
    if theseus_schedule is None:
        history, rates = train(model, cross_entropy_loss, loader, steps=steps, lr=lr, evaluate=evaluate,
                               eval_every=eval_every, desc=desc), None
    else:
        history, rates = train_theseus(model, loader, steps=steps, schedule=theseus_schedule, lr=lr,
                                       evaluate=evaluate, eval_every=eval_every, desc=desc)
    test_accuracy = accuracy(model, data["x_test"], data["y_test"], batch_size=64)
    return {"history": history, "rates": rates, "test accuracy": test_accuracy}


def compression_experiment(*, model: str, n_train: int, n_dev: int, n_test: int, max_length: int, batch_size: int,
                           predecessor_steps: int, steps: int, replacing_steps: int, p: float, lr: float,
                           theseus_lr: float, seeds: dict[int, Sequence[int]], replace_embeddings: bool = True,
                           eval_every: int = 20, cache: bool = True) -> dict:
    """The article's table: fine-tune the ``model`` predecessor on the reviews (seed 0), then for each successor
    depth ``n`` and each of its ``seeds[n]`` (a) fine-tune the first ``n`` pretrained layers directly, (b) run
    Theseus from the predecessor: ``replacing_steps`` at rate ``p``, then ``p = 1`` up to ``steps`` (the same
    number of optimiser steps as (a)). Theseus trains the successor at ``theseus_lr``, everything else uses ``lr``.

    Every run is cached (see :mod:`kexue.artifacts`) by its settings when ``cache``. Returns
    ``{"predecessor": run, ("direct", n, seed): run, ("theseus", n, seed): run, "encoder": ..., "data": ...}``;
    a run holds its history, the rates (Theseus), its test accuracy, and the trained model's state dict (for the
    first seed of each ``n``).
    """
    data_config = dict(model=model, n_train=n_train, n_dev=n_dev, n_test=n_test, max_length=max_length)
    encoder, data = review_tensors(**data_config)
    train_config = dict(data_config, batch_size=batch_size, eval_every=eval_every)
    store = (lambda name, config, fn: artifacts.cached(name, config, fn)) if cache else (lambda n, c, fn: fn())
    pad = encoder.pad_id

    def predecessor_run() -> dict:
        classifier = MeanPoolClassifier(copy.deepcopy(encoder.base), 2, pad)
        run = _fit(classifier, data, steps=predecessor_steps, lr=lr, batch_size=batch_size, seed=0,
                   eval_every=eval_every, desc="predecessor")
        return dict(run, state=classifier.state_dict())

    results = {"predecessor": store("theseus-predecessor", dict(train_config, steps=predecessor_steps, lr=lr, seed=0),
                                    predecessor_run)}
    predecessor = MeanPoolClassifier(copy.deepcopy(encoder.base), 2, pad)
    predecessor.load_state_dict(results["predecessor"]["state"])
    for n, n_seeds in seeds.items():
        for seed in n_seeds:
            def direct_run(n=n, seed=seed) -> dict:
                torch.manual_seed(seed)
                student = MeanPoolClassifier(first_layers(encoder.base, n), 2, pad)
                run = _fit(student, data, steps=steps, lr=lr, batch_size=batch_size, seed=seed,
                           eval_every=eval_every, desc=f"direct-{n}")
                return dict(run, state=student.state_dict() if seed == n_seeds[0] else None)

            def theseus_run(n=n, seed=seed) -> dict:
                theseus = Theseus(copy.deepcopy(predecessor), n, p=p, seed=seed,
                                  replace_embeddings=replace_embeddings)
                run = _fit(theseus, data, steps=steps, lr=theseus_lr, batch_size=batch_size, seed=seed,
                           eval_every=eval_every, desc=f"theseus-{n}",
                           theseus_schedule=constant_then_one(p, replacing_steps + 1))
                state = extract_successor(theseus).state_dict() if seed == n_seeds[0] else None
                return dict(run, state=state)

            results[("direct", n, seed)] = store(
                "theseus-direct", dict(train_config, n=n, steps=steps, lr=lr, seed=seed), direct_run)
            results[("theseus", n, seed)] = store(
                "theseus-successor",
                dict(train_config, n=n, steps=steps, replacing_steps=replacing_steps, p=p, lr=theseus_lr, seed=seed,
                     replace_embeddings=replace_embeddings, predecessor_steps=predecessor_steps,
                     predecessor_lr=lr),
                theseus_run)
    results["encoder"], results["data"] = encoder, data
    return results


# Su's table (iflytek, BERT-base, accuracy %): the rows of the article's comparison
SU_IFLYTEK = {"full": 60.11, ("direct", 6): 58.99, ("direct", 3): 57.96, ("theseus", 6): 59.61, ("theseus", 3): 59.36}


def trained_models(results: dict, device: str | torch.device = "cpu") -> dict:
    """The trained classifiers of :func:`compression_experiment` (first seed of each depth), rebuilt from their
    state dicts on ``device``: ``{"full": predecessor, ("direct", n): ..., ("theseus", n): ...}``, in eval mode."""
    encoder = results["encoder"]
    full = MeanPoolClassifier(copy.deepcopy(encoder.base), 2, encoder.pad_id)
    full.load_state_dict(results["predecessor"]["state"])
    models = {"full": full.to(device).eval()}
    for (kind, n, seed), run in ((k, v) for k, v in results.items() if isinstance(k, tuple)):
        if run["state"] is not None:
            model = first_layers(full, n)
            model.load_state_dict(run["state"])
            models[(kind, n)] = model.to(device).eval()
    return models


def summary(results: dict, models: dict, times: dict) -> list[dict]:
    """One row per model in the article's order (``key`` as in :func:`trained_models`): layers, parameters, test
    accuracy (mean ± std over seeds when there are several), Su's iflytek number, inference time and speed-up over
    the full model (``models`` from :func:`trained_models`, ``times`` from :func:`kexue.timing.forward_times`)."""
    from .report import mean_std

    keys = ["full"] + sorted((k for k in models if k != "full"), key=lambda k: (k[0] == "theseus", -k[1]))
    rows = []
    for key in keys:
        if key == "full":
            name, accs = "full (predecessor)", [results["predecessor"]["test accuracy"]]
        else:
            kind, n = key
            name = f"first {n} layers, fine-tuned" if kind == "direct" else f"Theseus, {n} layers"
            accs = [run["test accuracy"] for k, run in results.items() if isinstance(k, tuple) and k[:2] == key]
        model = models[key]
        rows.append({
            "key": key,
            "model": name,
            "layers": len(model.get_submodule(layers_path_of(model))),
            "params (M)": sum(p.numel() for p in model.parameters()) / 1e6,
            "test accuracy": mean_std(accs) if len(accs) > 1 else accs[0],
            "seeds": len(accs),
            "Su: iflytek accuracy (%)": SU_IFLYTEK.get(key, ""),
            "time per batch (s)": times[key],
            "speed-up": times["full"] / times[key],
        })
    return rows
