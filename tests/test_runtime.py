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


def test_kexue_model_replaces_the_profile_model(monkeypatch, tmp_path):
    sizes = {p: {"model": f"{p}-model", "n": 1} for p in ("smoke", "book", "full")}
    monkeypatch.setenv("KEXUE_MODEL", str(tmp_path))
    assert setup(sizes, verbose=False).model == str(tmp_path)
    monkeypatch.setenv("KEXUE_MODEL", "bert-base-chinese")  # a hub id is taken as it is
    assert setup(sizes, verbose=False).model == "bert-base-chinese"
    assert setup(SIZES, verbose=False).n == 1  # a chapter without a model is untouched


def test_kexue_model_naming_a_missing_folder_is_refused_at_once(monkeypatch, tmp_path):
    sizes = {p: {"model": "tiny"} for p in ("smoke", "book", "full")}
    monkeypatch.setenv("KEXUE_MODEL", str(tmp_path / "no-such-model"))
    with pytest.raises(ValueError, match="is not a folder.*save_pretrained"):
        setup(sizes, verbose=False)


def test_counts_come_from_another_profile_and_the_rest_stays(monkeypatch, capsys):
    sizes = {"smoke": {"steps": 2, "size": 14}, "book": {"steps": 20, "size": 14},
             "full": {"steps": 2000, "size": 28}}
    monkeypatch.setenv("KEXUE_PROFILE", "full")
    monkeypatch.setenv("KEXUE_COUNTS", "smoke")
    with pytest.warns(RuntimeWarning, match="no GPU"):
        run = setup(sizes, counts=["steps"])
    assert (run.steps, run.size) == (2, 28)
    assert "counts from the smoke profile" in capsys.readouterr().out
    with pytest.raises(ValueError, match="not sizes"):
        setup(sizes, counts=["epochs"], verbose=False)
    monkeypatch.setenv("KEXUE_COUNTS", "tiny")
    with pytest.raises(ValueError, match="KEXUE_COUNTS"):
        setup(sizes, counts=["steps"], verbose=False)


def test_full_profile_without_a_gpu_warns(monkeypatch):
    monkeypatch.setenv("KEXUE_PROFILE", "full")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(RuntimeWarning, match="no GPU"):
        setup(SIZES, verbose=False)


def test_threads_from_the_environment(monkeypatch):
    monkeypatch.setenv("KEXUE_THREADS", "1")
    before = torch.get_num_threads()
    try:
        assert setup(SIZES, verbose=False).threads == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("capability,dtype", [((7, 5), torch.float16), ((8, 0), torch.bfloat16),
                                              ((9, 0), torch.bfloat16)], ids=["T4", "A100", "H100"])
def test_half_precision_is_bf16_only_where_native(monkeypatch, capability, dtype):
    from kexue.runtime import half_precision, native_bf16

    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)  # true on a T4: emulated
    assert half_precision("cuda") == dtype and native_bf16("cuda") == (dtype == torch.bfloat16)
    assert half_precision("cpu") is None


def test_the_top_level_holds_what_every_chapter_uses():
    import kexue
    from kexue import artifacts, report, train

    assert kexue.train is train and callable(kexue.train.train)  # the module stays reachable by its name
    assert kexue.History is train.History and kexue.cached_run is artifacts.cached_run
    assert kexue.claims_table is report.claims_table and kexue.glue is report.glue
    assert set(kexue.__all__) <= set(dir(kexue))
