"""Every chapter through the ``full`` profile's code paths, on the CPU, in seconds.

The ``full`` profile is what Colab readers run: bert-base-chinese from the hub, 28x28 images, the larger
architectures and schedules. Here each notebook runs with ``KEXUE_PROFILE=full`` and

* ``KEXUE_MODEL`` = a hub-layout stand-in for bert-base-chinese (:func:`kexue.models.save_hub_standin`: a small
  random BertForMaskedLM with bert-base-chinese's vocabulary and tokenizer settings, cased, saved with
  ``save_pretrained``), loaded the way a hub checkpoint is;
* ``KEXUE_COUNTS=smoke``: the keys a chapter lists as ``counts`` (examples, steps, seeds) take the smoke
  profile's values; everything that picks a code path (model, image size, architecture, schedule, caching)
  stays as ``full`` has it;
* an empty artifact cache, so every cached computation runs and is stored, and no network (``HF_HUB_OFFLINE``).
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from kexue.models import save_hub_standin

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def standin(tmp_path_factory) -> Path:
    return save_hub_standin(tmp_path_factory.mktemp("hub") / "bert-base-chinese-standin")


def _printed(notebook) -> str:
    return "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_the_full_profile_code_paths(chapter, standin, tmp_path, monkeypatch):
    for name, value in {"KEXUE_PROFILE": "full", "KEXUE_COUNTS": "smoke", "KEXUE_MODEL": str(standin),
                        "HF_HUB_OFFLINE": "1", "KEXUE_CACHE_DIR": str(tmp_path / "cache"),
                        "MPLBACKEND": "Agg"}.items():
        monkeypatch.setenv(name, value)
    notebook = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    printed = _printed(notebook)
    assert "profile=full" in printed and "counts from the smoke profile" in printed, printed[:500]
    if "model=" in printed.split("\n", 1)[0]:
        assert f"model={standin}" in printed, "the chapter did not take KEXUE_MODEL"
