"""Recorded runs (results/<name>.json): written with their provenance, checked against the schema, and read back
with a sentence that says whether the code's config has changed since."""

import json
from pathlib import Path

import pytest

from kexue import records

RESULTS = Path(__file__).resolve().parents[1] / "results"


def _write(tmp_path, **overrides):
    kwargs = dict(script="benchmarks/x.py", device="cpu (test, 1 threads)", wall_seconds=61.0, seeds=[0, 1],
                  config={"steps": 10, "lr": 1e-4}, numbers={"acc": 0.5})
    return records.write_record("toy", folder=tmp_path, **{**kwargs, **overrides})


def test_a_written_record_reads_back_with_its_provenance(tmp_path, monkeypatch):
    path = _write(tmp_path)
    monkeypatch.setattr(records, "record_dirs", lambda: [tmp_path])
    record = records.load_record("toy")
    assert record["numbers"] == {"acc": 0.5} and record["seeds"] == [0, 1] and len(record["commit"]) == 40
    assert json.loads(path.read_text())["name"] == "toy"
    assert records.provenance(record, {"steps": 10, "lr": 1e-4}).endswith("the one the code uses now.")
    changed = records.provenance(record, {"steps": 20, "lr": 1e-4})
    assert "steps: 10 then, 20 now" in changed
    assert records.config_changes(record, {"steps": 10}) == {"lr": (1e-4, None)}


def test_bad_records_are_refused(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="at least one seed"):
        _write(tmp_path, seeds=[])
    with pytest.raises(ValueError, match="'numbers' must be dict"):
        _write(tmp_path, numbers=[0.5])
    monkeypatch.setattr(records, "record_dirs", lambda: [tmp_path])
    (tmp_path / "broken.json").write_text(json.dumps({"name": "broken"}))
    with pytest.raises(ValueError, match="lacks the field 'script'"):
        records.load_record("broken")
    with pytest.raises(FileNotFoundError, match="no record missing.json"):
        records.load_record("missing")


@pytest.mark.parametrize("path", sorted(p for p in RESULTS.glob("*.json") if not p.name.startswith("book-build-")),
                         ids=lambda p: p.name)
def test_committed_records_pass_the_schema(path):
    record = json.loads(path.read_text())
    records.check_record(record)
    assert record["name"] == path.stem
    assert (RESULTS.parent / record["script"]).exists(), "the script that wrote the record is in the repository"
