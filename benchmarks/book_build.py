"""Where a book build's time goes: every chapter executed in its own kernel, each cell timed.

    python benchmarks/book_build.py [--profile book] [--chapters wobert flooding] [--cold] [--out DIR]

Each chapter (the MyST notebooks of book/ with a jupytext header) runs as `make book` runs it: in book/, in a
fresh kernel, with `KEXUE_PROFILE` and `HF_HUB_OFFLINE=1`. Cells are timed by nbclient (from the kernel's
execute_input to its reply). `--cold` points `KEXUE_CACHE_DIR` at an empty folder (a temporary one, or `--cache DIR`, emptied first and kept),
so every trained artefact and converted model is made again, as on a fresh machine; otherwise the cache of the
environment is used as it is (warm).

Prints, per chapter, the wall time and the cells that take most of it (first line of the cell), then a table of
where each chapter's time went by phase, as the library marks them (`kexue.timing.phase`: model loading, data,
training, inference, cache; "other" is the rest: imports, figures, tables, tokenising). Writes
`results/book-build-<profile>[-cold].json` (commit, date, threads, every cell's seconds, the phases; with
`--chapters`, a part of a build, the record goes to `--out` instead) and the executed notebooks to `--out` (default `_build/benchmark/<profile>`), whose claims tables can be compared between
two runs (`benchmarks/compare_builds.py`).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
PHASES = ("model loading", "data", "training", "inference", "cache")
# run after the chapter's own cells, in its kernel; removed before the notebook is saved
PHASE_CELL = "import json as _json, kexue.timing as _timing\nprint(_json.dumps(_timing.phase_seconds()))"


def chapters() -> list[Path]:
    """The executable chapters, in the table of contents' order."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [ROOT / f"{c['file']}.md" for part in toc["parts"] for c in part["chapters"]]
    return [f for f in files if f.read_text(encoding="utf-8").startswith("---\njupytext:")]


def cell_seconds(cell: nbformat.NotebookNode) -> float:
    """Seconds from the kernel starting the cell to its reply (nbclient's record_timing metadata)."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def run_chapter(path: Path, env: dict[str, str], out: Path, timeout: int) -> dict:
    """Execute one chapter; return its wall time and per-cell seconds, and save the executed notebook."""
    nb = jupytext.read(path)
    nb.cells.append(nbformat.v4.new_code_cell(PHASE_CELL))
    os.environ.update(env)  # the kernel inherits this process's environment
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    probe = nb.cells.pop()
    phases = json.loads("".join(o.get("text", "") for o in probe.outputs if o.get("name") == "stdout"))
    nbformat.write(nb, out / f"{path.stem}.ipynb")
    cells = [{"first_line": c.source.strip().splitlines()[0][:80] if c.source.strip() else "",
              "seconds": round(cell_seconds(c), 2)} for c in nb.cells if c.cell_type == "code"]
    known = {name: round(phases.get(name, 0.0), 1) for name in PHASES}
    known["other"] = round(wall - sum(known.values()), 1)
    return {"chapter": path.stem, "wall_seconds": round(wall, 1), "phases": known, "cells": cells}


def phase_table(records: list[dict]) -> str:
    """A markdown table: per chapter, the wall time and its seconds in each phase."""
    phases = [*PHASES, "other"]
    lines = ["| chapter | wall, s | " + " | ".join(f"{c}, s" for c in phases) + " |", "|---" * (len(phases) + 2) + "|"]
    total = {"chapter": "total", "wall_seconds": sum(r["wall_seconds"] for r in records),
             "phases": {c: sum(r["phases"][c] for r in records) for c in phases}}
    for r in [*records, total]:
        values = [r["wall_seconds"], *(r["phases"][c] for c in phases)]
        lines.append(f"| {r['chapter']} | " + " | ".join(f"{v:.1f}" for v in values) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="book", choices=["smoke", "book", "full"])
    parser.add_argument("--chapters", nargs="*", help="chapter stems (default: all)")
    parser.add_argument("--cold", action="store_true", help="use an empty artefact cache")
    parser.add_argument("--cache", type=Path, help="with --cold: this folder (emptied first, then kept) as the "
                        "cache, so that a warm run with KEXUE_CACHE_DIR set to it can be compared")
    parser.add_argument("--out", type=Path, help="folder for the executed notebooks")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument("--top", type=int, default=4, help="cells to print per chapter")
    args = parser.parse_args()

    selected = [c for c in chapters() if not args.chapters or c.stem in args.chapters]
    if args.chapters and len(selected) != len(args.chapters):
        known = ", ".join(c.stem for c in chapters())
        parser.error(f"unknown chapter among {args.chapters}; the chapters are: {known}")
    out = args.out or ROOT / "_build" / "benchmark" / args.profile
    out.mkdir(parents=True, exist_ok=True)
    env = {"KEXUE_PROFILE": args.profile, "HF_HUB_OFFLINE": "0" if args.profile == "full" else "1"}
    cold_dir = tempfile.TemporaryDirectory(prefix="kexue-cold-") if args.cold and not args.cache else None
    if cold_dir is not None:
        env["KEXUE_CACHE_DIR"] = cold_dir.name
    elif args.cold:
        shutil.rmtree(args.cache, ignore_errors=True)
        args.cache.mkdir(parents=True)
        env["KEXUE_CACHE_DIR"] = str(args.cache)

    records = []
    for path in selected:
        record = run_chapter(path, env, out, args.timeout)
        records.append(record)
        top = sorted(record["cells"], key=lambda c: -c["seconds"])[: args.top]
        print(f"{record['chapter']:24s} {record['wall_seconds']:8.1f} s")
        for cell in top:
            share = cell["seconds"] / max(record["wall_seconds"], 1e-9)
            print(f"    {cell['seconds']:8.1f} s  {share:5.0%}  {cell['first_line']}")
    total = sum(r["wall_seconds"] for r in records)
    print(f"{'total':24s} {total:8.1f} s")
    print(phase_table(records))

    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    result = {"profile": args.profile, "cold": args.cold, "commit": commit,
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "machine": platform.machine(), "cpus": os.cpu_count(),
              "threads": os.environ.get("KEXUE_THREADS", "setup() default"), "total_seconds": round(total, 1),
              "chapters": records}
    name = f"book-build-{args.profile}{'-cold' if args.cold else ''}.json"
    if args.chapters:  # a record stands for a whole build: a few chapters would overwrite it with a part
        (out / name).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote {out / name} (some chapters only, so not results/) and the executed notebooks in {out}")
    else:
        (ROOT / "results").mkdir(exist_ok=True)
        (ROOT / "results" / name).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
        print(f"wrote results/{name} and the executed notebooks in {out}")
    if cold_dir is not None:
        cold_dir.cleanup()


if __name__ == "__main__":
    main()
