import dataclasses

import numpy as np
import pytest
import torch

from kexue.artifacts import cached, cached_run, config_key, key_value
from kexue.nets import images_to_tensor, mlp, small_cnn


def test_networks_shapes():
    x = torch.rand(5, 1, 28, 28)
    assert mlp(784, 10)(x).shape == (5, 10)
    assert small_cnn(10)(x).shape == (5, 10)
    assert small_cnn(3, in_channels=4)(torch.rand(2, 4, 14, 14)).shape == (2, 3)
    assert len([m for m in mlp(4, 2, depth=3) if isinstance(m, torch.nn.Linear)]) == 4
    with pytest.raises(ValueError):
        mlp(4, 2, depth=-1)


def test_images_to_tensor_scales_and_rejects_ints():
    x = images_to_tensor(np.full((2, 3, 3), 255, dtype=np.uint8))
    assert x.shape == (2, 1, 3, 3) and torch.all(x == 1.0)
    with pytest.raises(TypeError, match="uint8"):
        images_to_tensor(np.zeros((2, 3, 3), dtype=np.int64))


def test_cached_computes_once_per_config(monkeypatch, tmp_path):
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))
    calls = []

    def compute():
        calls.append(1)
        return {"acc": 0.5, "curve": torch.arange(3)}

    a = cached("exp", {"b": 0.1}, compute)
    b = cached("exp", {"b": 0.1}, compute)
    cached("exp", {"b": 0.2}, compute)
    assert len(calls) == 2 and torch.equal(a["curve"], b["curve"])
    assert config_key("exp", {"x": 1, "y": 2}) == config_key("exp", {"y": 2, "x": 1})
    monkeypatch.setenv("KEXUE_NO_CACHE", "1")
    cached("exp", {"b": 0.1}, compute)
    assert len(calls) == 3
    # each write goes through a file of this process's own, renamed into place: none is left behind
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(".partial")]


def test_cached_results_are_device_free_and_the_same_cold_and_warm(monkeypatch, tmp_path):
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))
    net = torch.nn.Linear(2, 2)
    cold = cached("exp", {"k": 1}, lambda: {"net": net, "state": net.state_dict(), "xs": [torch.ones(2)]})
    warm = cached("exp", {"k": 1}, lambda: pytest.fail("a warm run must not compute"))
    assert cold["net"] is not net  # a CPU copy was stored and returned, not the live (maybe GPU) module
    for result in (cold, warm):
        assert all(t.device.type == "cpu" for t in result["state"].values()) and result["xs"][0].device.type == "cpu"
        assert torch.equal(result["net"].weight, net.weight)


def test_cached_run_keys_every_bound_argument_with_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))
    calls = []

    @cached_run("toy")
    def run(b: float, *, lr: float = 0.1, progress: bool = True) -> float:
        calls.append((b, lr))
        return b * lr

    assert run(2.0) == run(2.0, lr=0.1) == run(2.0, progress=False)  # the default and progress share one key
    assert len(calls) == 1
    run(2.0, lr=0.2)
    assert len(calls) == 2
    run.__wrapped__.__kwdefaults__["lr"] = 0.3  # a library default edited: the same call now trains again
    assert run(2.0) == pytest.approx(0.6) and calls[-1] == (2.0, 0.3)
    assert run.uncached(1.0, lr=1.0) == 1.0 and len(calls) == 4  # the plain function never stores
    assert run.cache_path(1.0, lr=1.0) != run.cache_path(2.0) and run.cache_path(2.0).exists()
    bumped = cached_run("toy", version=2)(run.uncached)  # the code behind the run changed: a new key
    assert bumped.cache_path(2.0) != run.cache_path(2.0) and not bumped.cache_path(2.0).exists()


def test_cached_run_keys_dataclasses_and_refuses_opaque_arguments(monkeypatch, tmp_path):
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))

    @dataclasses.dataclass(frozen=True)
    class Config:
        steps: int = 10

    @cached_run("toy-config")
    def run(config: Config) -> int:
        return config.steps

    assert run(Config()) == 10 and run(Config(steps=20)) == 20
    assert key_value(Config()) == {"type": Config.__qualname__, "steps": 10}
    with pytest.raises(TypeError, match="cache_key"):
        run(object())
    with pytest.raises(TypeError, match="does not take"):
        cached_run("bad", ignore=("device",))(lambda x: x)
