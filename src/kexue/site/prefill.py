"""Execute the chapters in parallel into the book's execution cache, before ``jupyter-book build`` reads them.

    python -m kexue.site.prefill --cache _build/.jupyter_cache [--jobs 2] [--config _config.yml] CHAPTER.md ...

``jupyter-book`` (myst-nb, ``execute_notebooks: cache``) executes the notebooks it finds out of date one after
the other. On a CPU with a few cores that leaves cores idle: the small image models use one thread, and a BERT
training step on 2 cores is only about 1.6 times faster with 2 threads than with 1 (README, "CPU levers"). This
step does the same executions ``--jobs`` at a time, each kernel with ``cores // jobs`` threads
(``KEXUE_THREADS``), and stores them in the same jupyter-cache, keyed the way myst-nb keys them (the notebook
read by myst-nb's own MyST reader: its code cells and kernelspec). The build then finds every chapter cached and
executes nothing; a chapter already cached is skipped here too, so an edited chapter is the only one re-run.

The longest chapters start first when ``--durations`` names a build record of ``benchmarks/book_build.py``
(its ``wall_seconds`` per chapter). A chapter that fails is not cached: this step prints its error and exits
with status 1 once the other chapters are done.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import nbformat

READ_DATA = {"type": "plugin", "name": "myst_nb_md"}  # myst-nb's reader, as jupyter-cache names it


def read_chapter(path: Path) -> nbformat.NotebookNode:
    """The notebook myst-nb makes of a MyST Markdown chapter (the same code cells, hence the same cache key)."""
    from myst_nb.core.read import read_myst_markdown_notebook

    return read_myst_markdown_notebook(path.read_text(encoding="utf-8"), add_source_map=True, path=str(path))


def is_cached(cache_path: Path, path: Path) -> bool:
    """Whether the execution cache holds an executed notebook with the chapter's code cells."""
    from jupyter_cache import get_cache

    try:
        get_cache(str(cache_path)).match_cache_notebook(read_chapter(path))
    except KeyError:
        return False
    return True


def execute_chapter(path: Path, timeout: int | None, threads: int) -> tuple[nbformat.NotebookNode, float, str | None]:
    """Execute one chapter in a fresh kernel in its folder, as myst-nb does; (notebook, seconds, error or None)."""
    from jupyter_cache.executors.utils import single_nb_execution

    os.environ["KEXUE_THREADS"] = str(threads)  # the kernel inherits this process's environment
    notebook = read_chapter(path)
    result = single_nb_execution(notebook, cwd=str(path.parent), timeout=timeout, allow_errors=False,
                                 meta_override=True)
    error = None if result.err is None else f"{type(result.err).__name__}: {result.exc_string}"
    return notebook, result.time, error


def cell_timeout(config: Path) -> int | None:
    """``execute.timeout`` of a jupyter-book config, in seconds per cell (None: no limit, as -1 there)."""
    import yaml

    timeout = (yaml.safe_load(config.read_text()).get("execute") or {}).get("timeout", 30)
    return None if timeout is None or timeout < 0 else int(timeout)


def longest_first(paths: list[Path], durations: Path | None) -> list[Path]:
    """``paths`` ordered by the wall seconds of a build record, longest first (unknown chapters last)."""
    if durations is None or not durations.exists():
        return list(paths)
    seconds = {c["chapter"]: c["wall_seconds"] for c in json.loads(durations.read_text())["chapters"]}
    return sorted(paths, key=lambda p: -seconds.get(p.stem, -1.0))


def prefill(paths: list[Path], cache_path: Path, jobs: int, timeout: int | None,
            durations: Path | None = None, threads: int | None = None) -> dict[str, str]:
    """Execute every chapter not yet cached, ``jobs`` at a time, and cache it; returns the failures
    (chapter -> error). ``threads`` per kernel defaults to ``cores // jobs`` (at least 1)."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    threads = threads or max(1, (os.cpu_count() or 1) // jobs)
    cache = get_cache(str(cache_path))
    todo = [p for p in longest_first(paths, durations) if not is_cached(cache_path, p)]
    print(f"prefill: {len(paths) - len(todo)} of {len(paths)} chapters cached; executing {len(todo)}, "
          f"{jobs} at a time, {threads} thread(s) each", flush=True)
    failures: dict[str, str] = {}
    start = time.perf_counter()
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        running = {pool.submit(execute_chapter, p, timeout, threads): p for p in todo}
        for future in as_completed(running):
            path = running[future]
            notebook, seconds, error = future.result()
            if error is not None:
                failures[path.stem] = error
                print(f"prefill: {path.stem} FAILED after {seconds:.0f} s", flush=True)
                continue
            stage = cache.add_nb_to_project(str(path), read_data=READ_DATA)
            cache.cache_notebook_bundle(CacheBundleIn(notebook, stage.uri, data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            print(f"prefill: {path.stem} executed in {seconds:.0f} s "
                  f"({time.perf_counter() - start:.0f} s since the start)", flush=True)
    return failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", type=Path, nargs="+", help="MyST Markdown chapters")
    parser.add_argument("--cache", type=Path, required=True, help="the jupyter-cache folder the build reads")
    parser.add_argument("--jobs", type=int, default=2, help="chapters executed at once (default 2)")
    parser.add_argument("--config", type=Path, default=Path("_config.yml"),
                        help="the book's config: its execute.timeout (seconds per cell; -1: none) is used")
    parser.add_argument("--durations", type=Path, help="a book_build.py record: start the longest chapters first")
    args = parser.parse_args()
    failures = prefill(args.chapters, args.cache, args.jobs, cell_timeout(args.config), args.durations)
    for chapter, error in failures.items():
        print(f"\n{chapter} failed:\n{error}", file=sys.stderr)
    if failures:
        sys.exit(f"prefill: {len(failures)} chapter(s) failed: {', '.join(failures)}; fix them and run make book again")


if __name__ == "__main__":
    main()
