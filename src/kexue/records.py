"""Recorded runs: what a benchmark script measured at a larger budget than a book build affords.

A record is ``results/<name>.json``, written only by :func:`write_record` (called by a script in ``benchmarks/``),
never by hand. It holds the script, the commit, the date, the device, the wall time, the seeds, the config of the
runs and every number a chapter shows from it. A chapter reads it with :func:`load_record` and prints
:func:`provenance`, which says when the library's config has changed since the record was made.

Records are found in the repository's ``results/`` (a source checkout, the book build) or, for an installed
package, in ``<sys.prefix>/share/kexue/results`` (``pyproject.toml`` ships them there).
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping

FIELDS = {"name": str, "script": str, "commit": str, "date": str, "device": str, "wall_seconds": float,
          "seeds": list, "config": dict, "numbers": dict}
_REPOSITORY_RESULTS = Path(__file__).resolve().parents[2] / "results"


def record_dirs() -> list[Path]:
    """Where records are looked for, in order: the repository's ``results/``, then the installed copy."""
    return [_REPOSITORY_RESULTS, Path(sys.prefix) / "share" / "kexue" / "results"]


def describe_device(device: Any) -> str:
    """The device in words: "cuda (NVIDIA H200)" or "cpu (AMD EPYC ..., 2 threads)"."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU") if Path("/proc/cpuinfo").exists() else "unknown CPU"
    return f"{device.type} ({model}, {torch.get_num_threads()} threads)"


def check_record(record: Mapping[str, Any]) -> None:
    """Raise ``ValueError`` unless ``record`` has every field of :data:`FIELDS` with its type, at least one seed
    and a 40-hex-digit commit."""
    for key, kind in FIELDS.items():
        if key not in record:
            raise ValueError(f"record {record.get('name', '?')!r} lacks the field {key!r}")
        value = record[key]
        if not isinstance(value, kind) and not (kind is float and isinstance(value, int)):
            raise ValueError(f"record field {key!r} must be {kind.__name__}, got {type(value).__name__}")
    if not record["seeds"]:
        raise ValueError("a record needs at least one seed")
    commit = record["commit"]
    if len(commit) != 40 or any(c not in "0123456789abcdef" for c in commit):
        raise ValueError(f"record commit must be 40 hex digits, got {commit!r}")


def _commit() -> str:
    out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_REPOSITORY_RESULTS.parent, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("write_record runs from a git checkout of kexue (it records the commit)")
    return out.stdout.strip()


def write_record(name: str, *, script: str, device: str, wall_seconds: float, seeds: list[int],
                 config: Mapping[str, Any], numbers: Mapping[str, Any], folder: Path | None = None) -> Path:
    """Write ``results/<name>.json`` (or into ``folder``) with the commit and the date; returns its path."""
    record = {"name": name, "script": script, "commit": _commit(),
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "device": device, "wall_seconds": round(float(wall_seconds), 1), "seeds": list(seeds),
              "config": dict(config), "numbers": numbers}
    check_record(record)
    path = (folder or _REPOSITORY_RESULTS) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n")
    return path


def load_record(name: str) -> dict[str, Any]:
    """The record ``name`` (checked by :func:`check_record`)."""
    for folder in record_dirs():
        path = folder / f"{name}.json"
        if path.exists():
            record = json.loads(path.read_text())
            check_record(record)
            return record
    raise FileNotFoundError(f"no record {name}.json in {', '.join(map(str, record_dirs()))}; "
                            f"the benchmark script that writes it is named in the chapter")


def config_changes(record: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Fields whose value differs between the record's config and ``config``: name -> (recorded, now)."""
    recorded = record["config"]
    return {k: (recorded.get(k), config.get(k)) for k in sorted(set(recorded) | set(config))
            if recorded.get(k) != config.get(k)}


def provenance(record: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> str:
    """One sentence on where a record comes from, and whether its config still is the library's."""
    text = (f"Recorded by `{record['script']}` at commit {record['commit'][:10]} on {record['date'][:10]}, "
            f"{record['device']}, seeds {', '.join(map(str, record['seeds']))}, "
            f"{record['wall_seconds'] / 60:.0f} min.")
    if config is None:
        return text
    changes = config_changes(record, config)
    if not changes:
        return text + " Its config is the one the code uses now."
    listed = "; ".join(f"{k}: {old!r} then, {new!r} now" for k, (old, new) in changes.items())
    return text + f" The config has changed since: {listed}."
