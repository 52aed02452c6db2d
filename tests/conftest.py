"""Test set-up: offline, smoke profile, no display; a shared tiny model and (slow) offline encoder."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a hub lookup fails at once instead of retrying for a minute
os.environ.setdefault("KEXUE_PROFILE", "smoke")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def tiny():
    from kexue import tiny_bert

    return tiny_bert()


@pytest.fixture(scope="session")
def offline_zh():
    from kexue import load_encoder

    return load_encoder("offline-zh")


@pytest.fixture
def one_thread():
    """Small models train as fast on one thread, and do not stall when other jobs share the cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
