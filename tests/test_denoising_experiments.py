"""The denoising chapter's cached experiments: every setting is in the key, a changed one retrains, a model's
initial weights depend on its seed only; the data specs; the words the prose is glued from."""

import inspect
from dataclasses import MISSING, fields, replace

import numpy as np
import pytest
import torch

from kexue import artifacts
from kexue.artifacts import cache_dir
from kexue.denoising import (
    DDE,
    ClassifierConfig,
    DDEConfig,
    DigitData,
    EnergyConfig,
    EnergyMLP,
    FashionData,
    SamplingConfig,
    ScoreUNet,
    UNetConfig,
    annealing_effect,
    best_set,
    class_extremes,
    collapse_verdict,
    compared,
    experiments,
    fit,
    langevin,
    mlp_generator,
    share_error,
    train_classifier,
    train_dde,
    variety,
)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    """An empty artefact cache (``kexue.runtime.cache_dir`` reads ``$KEXUE_CACHE_DIR``)."""
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("KEXUE_NO_CACHE", raising=False)
    return tmp_path


def stored() -> list[str]:
    return sorted(p.name for p in cache_dir("runs").glob("*.pt"))


def counting(monkeypatch, name: str) -> list[int]:
    """Count the calls that ``experiments`` makes to its training function ``name``."""
    calls = []
    original = getattr(experiments, name)

    def wrapper(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(experiments, name, wrapper)
    return calls


DIGITS = DigitData("digits-8x8", seed=0)
TINY_ENERGY = EnergyConfig(DIGITS, sigma=(0.05, 1.0), steps=2, hidden=8, noise_conditional=True, seed=0)


# --- every setting that changes a result is in its config, with the library's defaults -----------------

def _parameters(fn, skip=()):
    sig = inspect.signature(fn)
    return {n: p.default for n, p in sig.parameters.items() if n not in {"self", *skip}}


COVERED = [  # (config, function, arguments the config does not hold: data, built objects, progress, names)
    (ClassifierConfig, train_classifier, {"images", "labels", "progress"}),
    (EnergyConfig, EnergyMLP.__init__, {"dim"}),
    (EnergyConfig, fit, {"model", "data", "loss_fn", "desc", "progress"}),
    (UNetConfig, ScoreUNet.__init__, {"in_channels"}),
    (UNetConfig, fit, {"model", "data", "loss_fn", "desc", "progress"}),
    (DDEConfig, DDE.__init__, {"generator", "E_p", "E_q", "sigma"}),
    (DDEConfig, train_dde, {"model", "progress"}),
    (SamplingConfig, langevin, {"score", "x", "sigmas", "device", "progress"}),
]
OWN_DEFAULTS = {(SamplingConfig, "seed")}  # langevin's seed=None (unseeded) has no place in a cached run


@pytest.mark.parametrize("config, fn, skip", COVERED, ids=lambda x: getattr(x, "__qualname__", ""))
def test_configs_hold_every_argument_with_the_same_default(config, fn, skip):
    empty = inspect.Parameter.empty  # a required argument: the config picks its value
    defaults = {f.name: empty if f.default is MISSING else f.default for f in fields(config)}
    for name, default in _parameters(fn, skip).items():
        assert name in defaults, f"{config.__name__} lacks {fn.__qualname__}'s argument {name!r}"
        if default is not empty and (config, name) not in OWN_DEFAULTS:
            assert defaults[name] == default, (f"{config.__name__}.{name} = {defaults[name]!r} but "
                                               f"{fn.__qualname__} has {default!r}")


def test_dde_networks_default_to_the_library_shapes():
    gen = _parameters(mlp_generator, {"z_dim", "shape"})
    energy = _parameters(EnergyMLP.__init__, {"dim"})
    d = {f.name: f.default for f in fields(DDEConfig)}
    assert (d["generator_hidden"], d["generator_depth"]) == (gen["hidden"], gen["depth"])
    assert (d["critic_hidden"], d["critic_depth"]) == (energy["hidden"], energy["depth"])


def test_the_key_lists_every_default_and_the_code_version(monkeypatch):
    seen = []
    monkeypatch.setattr(artifacts, "cached", lambda name, config, compute: seen.append(config))
    experiments.energy(TINY_ENERGY, progress=False)
    (key,) = seen
    assert key["version"] == experiments.CODE_VERSION and list(key["arguments"]) == ["config"]
    config = key["arguments"]["config"]
    assert config["type"] == "EnergyConfig"
    assert config["data"] == {"type": "DigitData", "name": "digits-8x8", "train_fraction": 0.78, "seed": 0}
    for name in ("depth", "center", "batch_size", "embedding_dim", "grad_clip", "ema_decay", "lr"):
        assert name in config


# --- the cache: the same config loads, a changed setting or code version retrains ----------------------

def test_changing_a_setting_retrains_and_the_same_config_loads(cache, monkeypatch):
    calls = counting(monkeypatch, "fit")
    first, _ = experiments.energy(TINY_ENERGY, progress=False)
    again, _ = experiments.energy(TINY_ENERGY, progress=False)
    assert len(calls) == 1 and len(stored()) == 1
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), again.state_dict().values()))
    deeper, _ = experiments.energy(replace(TINY_ENERGY, depth=2), progress=False)
    assert len(calls) == 2 and len(stored()) == 2
    assert len(deeper.layers) == 2
    experiments.energy(replace(TINY_ENERGY, center=0.5), progress=False)
    assert len(calls) == 3 and len(stored()) == 3
    monkeypatch.setattr(artifacts, "CACHE_VERSION", "changed")  # what a bumped version does to a key
    experiments.energy(TINY_ENERGY, progress=False)
    assert len(calls) == 4 and len(stored()) == 4


def test_initial_weights_do_not_depend_on_what_ran_before(cache, monkeypatch):
    monkeypatch.setenv("KEXUE_NO_CACHE", "1")
    torch.manual_seed(123)
    a, _ = experiments.energy(TINY_ENERGY, progress=False)
    torch.rand(1000)  # whatever ran before (or came from the cache) moved the global generator
    b, _ = experiments.energy(TINY_ENERGY, progress=False)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


def test_samples_and_dde_train_what_they_need_and_key_on_it(cache, monkeypatch):
    energy_calls = counting(monkeypatch, "fit")
    config = SamplingConfig(TINY_ENERGY, n=4, steps=1, eps=1e-4, levels=2, clip=(0, 1), seed=0)
    result = experiments.samples(config, progress=False)
    assert result.samples.shape == (4, 1, 8, 8) and len(energy_calls) == 1
    assert float(result.samples.min()) >= 0 and float(result.samples.max()) <= 1
    experiments.samples(replace(config, eps=2e-4), progress=False)
    assert len(energy_calls) == 1 and len(stored()) == 3  # the energy loaded, the new samples stored

    E_p = EnergyConfig(DIGITS, sigma=0.2, steps=2, hidden=8, seed=0)
    dde_config = DDEConfig(E_p, steps=3, z_dim=4, generator_hidden=8, critic_hidden=8, batch_size=8)
    model, _ = experiments.dde_generator(dde_config, progress=False)
    assert model.sample(5, seed=0).shape == (5, 1, 8, 8) and model.E_q is not None
    collapsed, _ = experiments.dde_generator(replace(dde_config, objective="p_only"), progress=False)
    assert collapsed.E_q is None and len(energy_calls) == 2  # E_p trained once, then loaded
    with pytest.raises(ValueError, match="one noise level"):
        DDEConfig(TINY_ENERGY, steps=1)


def test_classifier_is_cached_by_its_data(cache, monkeypatch):
    calls = counting(monkeypatch, "train_classifier")
    config = ClassifierConfig(DIGITS, steps=2, batch_size=16, width=4)
    net = experiments.classifier(config, progress=False)
    assert net.image_size == (8, 8)
    experiments.classifier(config, progress=False)
    experiments.classifier(replace(config, data=replace(DIGITS, seed=1)), progress=False)
    assert len(calls) == 2


# --- data specs ---------------------------------------------------------------------------------------

def test_digit_split_is_seeded_and_sized():
    a, b = DIGITS.load(), DIGITS.load()
    assert len(a.x_train) == int(0.78 * 1797) and len(a.x_train) + len(a.x_test) == 1797
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    assert a.x_train.shape[1:] == DIGITS.shape == (1, 8, 8)
    assert not torch.equal(replace(DIGITS, seed=1).load().x_train, a.x_train)
    with pytest.raises(ValueError, match="digit set"):
        DigitData("cifar")
    with pytest.raises(ValueError, match="train_fraction"):
        DigitData(train_fraction=1.0)


def test_fashion_spec_checks_its_size():
    assert FashionData(size=14).shape == (1, 14, 14)
    with pytest.raises(ValueError, match="divide 28"):
        FashionData(size=10)


# --- the words the prose is glued from ---------------------------------------------------------------

def test_share_error_is_total_variation():
    assert share_error([0.5, 0.3, 0.2], [0.5, 0.3, 0.2]) == 0
    assert share_error([1.0, 0.0], [0.0, 1.0]) == pytest.approx(1.0)
    assert share_error(np.array([0.4, 0.4, 0.2]), [0.5, 0.3, 0.2]) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        share_error([1.0], [0.5, 0.5])


def test_verdict_words_follow_the_numbers():
    assert annealing_effect(0.2, 0.05) == "corrects much of that"
    assert annealing_effect(0.2, 0.15) == "corrects part of that"
    assert annealing_effect(0.2, 0.25).startswith("does not correct")
    assert class_extremes([0.1, 0.5, 0.4], [0.3, 0.3, 0.4], ["a", "b", "c"]) == ("a", "b")
    rows = [{"images": "x", "Fréchet distance": 3.0}, {"images": "y", "Fréchet distance": 1.0}]
    assert best_set(rows, ["x", "y"]) == "y" and best_set(rows, ["x"]) == "x"
    with pytest.raises(KeyError):
        best_set(rows, ["z"])
    assert compared(1.0, 2.0, "beats", "does not beat") == "beats"
    assert compared(2.0, 2.0, "beats", "does not beat") == "does not beat"
    assert variety(0.1, 0.2) == "less varied than" and variety(0.21, 0.2) == "about as varied as"
    assert variety(0.3, 0.2) == "more varied than"
    assert collapse_verdict(1, 0.001, 0.2).startswith("did what the article says")
    assert collapse_verdict(3, 0.001, 0.2).startswith("did not")
    assert collapse_verdict(1, 0.1, 0.2).startswith("did not")
