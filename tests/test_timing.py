import pytest
import torch

from kexue import tiny_bert
from kexue.text import MeanPoolClassifier
from kexue.theseus import first_layers
from kexue import timing
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


class FakeClock:
    """perf_counter that moves only when told: phase totals become exact numbers."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(timing.time, "perf_counter", fake)
    timing.reset_phases()
    yield fake
    timing.reset_phases()


def test_an_inner_phase_stops_the_outer_clock(clock):
    with timing.phase("outer"):
        clock.now += 1.0
        with timing.phase("inner"):
            clock.now += 2.0
        clock.now += 0.5
        assert timing.phase_seconds() == {"outer": 1.5, "inner": 2.0}  # open phases count up to now
    clock.now += 10.0  # outside every phase: counted nowhere
    assert timing.phase_seconds() == {"outer": 1.5, "inner": 2.0}


def test_phase_as_a_decorator_adds_up_calls_and_survives_errors(clock):
    @timing.phase("work")
    def work(seconds, fail=False):
        clock.now += seconds
        if fail:
            raise RuntimeError("stop")

    work(1.0)
    with pytest.raises(RuntimeError):
        work(0.25, fail=True)
    assert timing.phase_seconds() == {"work": 1.25}
    timing.reset_phases()
    assert timing.phase_seconds() == {}


def test_training_and_its_evaluations_are_separate_phases(clock):
    from kexue.train import train

    model = torch.nn.Linear(2, 2)

    def loss_fn(m, batch):
        clock.now += 0.1
        return m(batch).pow(2).mean()

    def evaluate(m):
        clock.now += 1.0
        return {"score": 0.0}

    train(model, loss_fn, [torch.ones(4, 2)], steps=5, eval_every=5, evaluate=evaluate, progress=False, cpu=True)
    seconds = timing.phase_seconds()
    assert seconds["inference"] == pytest.approx(1.0) and seconds["training"] == pytest.approx(0.5)


def test_call_times_runs_a_warm_up_round_then_takes_turns_and_allows_gradients():
    from kexue.timing import call_times

    order = []
    weight = torch.ones(3, requires_grad=True)

    def step():
        order.append("step")
        (weight * 2).sum().backward()  # a training step: not under inference mode

    times = call_times({"step": step, "noop": lambda: order.append("noop")}, repeats=2)
    assert order == ["step", "noop"] * 3  # warm-up + 2 rounds, alternating
    assert set(times) == {"step", "noop"} and all(t >= 0 for t in times.values())
    assert weight.grad is not None
    with pytest.raises(ValueError, match="repeats"):
        call_times({"step": step}, repeats=0)
