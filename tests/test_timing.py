import pytest
import torch

from kexue import tiny_bert
from kexue.text import MeanPoolClassifier
from kexue.theseus import first_layers
from kexue.timing import forward_times, synchronize


def test_shallower_is_faster_and_models_take_turns():
    deep = MeanPoolClassifier(tiny_bert(layers=8).base, 2, 0)
    shallow = first_layers(deep, 1)
    x = torch.randint(5, 1000, (16, 48))
    order = []
    times = forward_times({"8": deep, "1": shallow}, x, repeats=3,
                          call=lambda model, ids: (order.append(len(model.base.encoder.layer)), model(ids)))
    assert times["1"] < times["8"]
    assert order == [8, 1] * 4  # a warm-up round, then three rounds, each model once per round


def test_each_model_gets_its_own_input_on_its_own_device():
    model = torch.nn.Linear(3, 2)
    seen = []
    forward_times({"a": model, "b": model}, {"a": torch.ones(1, 3), "b": torch.zeros(2, 3)}, repeats=1,
                  call=lambda m, x: seen.append((tuple(x.shape), x.device.type)))
    assert seen == [((1, 3), "cpu"), ((2, 3), "cpu")] * 2


def test_bad_timing_requests():
    model = torch.nn.Linear(3, 2)
    with pytest.raises(ValueError, match="repeats"):
        forward_times({"m": model}, torch.ones(1, 3), repeats=0)
    with pytest.raises(ValueError, match="no input"):
        forward_times({"m": model, "n": model}, {"m": torch.ones(1, 3)})
    synchronize(torch.device("cpu"))  # nothing to wait for
