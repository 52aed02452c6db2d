import torch
import pytest

from kexue import cache_dir, current_profile, setup

SIZES = {"smoke": {"n": 1}, "book": {"n": 10}, "full": {"n": 100}}


@pytest.mark.parametrize("profile,n", [("smoke", 1), ("book", 10), ("full", 100)])
def test_setup_returns_the_active_profile_sizes(monkeypatch, profile, n):
    monkeypatch.setenv("KEXUE_PROFILE", profile)
    run = setup(SIZES, seed=3, verbose=False)
    assert run.profile == profile and run.n == n and run.seed == 3


def test_default_profile_is_book(monkeypatch):
    monkeypatch.delenv("KEXUE_PROFILE", raising=False)
    assert current_profile() == "book"


def test_wrong_profile_names_the_choices(monkeypatch):
    monkeypatch.setenv("KEXUE_PROFILE", "fast")
    with pytest.raises(ValueError, match="smoke, book, full"):
        setup(SIZES)


def test_sizes_must_cover_every_profile_with_the_same_names():
    with pytest.raises(ValueError, match="missing"):
        setup({"smoke": {"n": 1}, "book": {"n": 2}})
    with pytest.raises(ValueError, match="same size names"):
        setup({"smoke": {"n": 1}, "book": {"n": 2}, "full": {"m": 3}})


def test_seeding_makes_runs_repeatable():
    setup(seed=7, verbose=False)
    a = torch.rand(5)
    setup(seed=7, verbose=False)
    assert torch.equal(a, torch.rand(5))


def test_unknown_size_is_a_clear_attribute_error():
    run = setup(SIZES, verbose=False)
    with pytest.raises(AttributeError, match="sizes"):
        run.steps


def test_describe_and_print(capsys):
    setup(SIZES, verbose=True)
    out = capsys.readouterr().out
    assert "profile=smoke" in out and "device=" in out and "n=1" in out


def test_cache_dir_honours_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KEXUE_CACHE_DIR", str(tmp_path))
    path = cache_dir("models", "x")
    assert path == tmp_path / "models" / "x" and path.is_dir()
