"""The Colab path, simulated: a chapter's hidden first cell really installs kexue, and the chapter then runs.

Colab starts a kernel that has ``google.colab`` imported and torch, transformers & co. preinstalled, but not
kexue. We rebuild that here without a network:

* a fresh virtual environment that sees the heavy dependencies of ``.venv`` (a ``.pth`` line adding its
  site-packages as a plain folder, so ``.venv``'s editable kexue is *not* importable);
* a stand-in ``google.colab`` module that an IPython start-up file imports, and a fake ``apt-get`` on the
  ``PATH`` that only records what the cell asked for;
* git's ``url.<base>.insteadOf`` pointing the repository URL of ``_config.yml`` at a local clone of this
  repository, tagged with the book's version (the install cell asks for that tag), and ``PIP_NO_INDEX`` so
  that pip can only use what is already installed.

Then ``notebooks/getting-started.ipynb`` of that clone runs, unchanged, in the smoke profile. The clone has
the committed state of the repository (uncommitted changes are not in it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from kexue.site.colab import INSTALL_ID, book_ref, read_repository

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = read_repository(ROOT / "_config.yml")
CHAPTER = "getting-started"


def _run(*args: str | Path, **kwargs) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kwargs).stdout


@pytest.fixture
def colab(tmp_path, monkeypatch):
    """A Colab-like kernel ("colab") without kexue; returns the paths the test inspects."""
    clone = tmp_path / "repository"  # not "kexue": a folder of that name in the path would shadow the package
    _run("git", "clone", "--quiet", "--no-hardlinks", ROOT, clone)
    _run("git", "-C", clone, "tag", book_ref())  # the release tag the notebooks install from
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))").strip())
    (site / "preinstalled.pth").write_text(sysconfig.get_path("purelib") + "\n")  # .venv, as a plain folder

    fake = tmp_path / "colab-modules" / "google" / "colab"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('"""Stand-in for Colab\'s module; the chapters only look for it."""\n')
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-colab.py").write_text("import google.colab  # as the Colab kernel does\n")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    apt_log = tmp_path / "apt-get.log"
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {apt_log}\n')
    (bin_dir / "apt-get").chmod(0o755)
    kernel = tmp_path / "jupyter" / "kernels" / "colab"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab (simulated)", "language": "python"}))

    # PIP_NO_BUILD_ISOLATION=0 sets pip's build_isolation to False (its --no-* switches read inverted): the
    # build backend (setuptools) then comes from .venv instead of an index.
    for name, value in {
        "PYTHONPATH": str(tmp_path / "colab-modules"), "IPYTHONDIR": str(tmp_path / "ipython"),
        "JUPYTER_PATH": str(tmp_path / "jupyter"), "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.{clone}.insteadOf", "GIT_CONFIG_VALUE_0": REPOSITORY,
        "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0", "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "KEXUE_PROFILE": "smoke", "HF_HUB_OFFLINE": "1", "MPLBACKEND": "Agg",
    }.items():
        monkeypatch.setenv(name, value)
    cwd = tmp_path / "content"  # the notebook's folder, as /content on Colab
    cwd.mkdir()
    return {"clone": clone, "python": python, "site": site, "apt_log": apt_log, "cwd": cwd}


def test_getting_started_installs_kexue_and_runs_as_on_colab(colab):
    check = "import importlib.util as u; print(u.find_spec('kexue') is None, u.find_spec('torch') is not None)"
    assert _run(colab["python"], "-c", check, cwd=colab["cwd"]).split() == ["True", "True"], "kexue must be missing"

    notebook = nbformat.read(colab["clone"] / "notebooks" / f"{CHAPTER}.ipynb", as_version=4)
    install = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert install.get("id") == INSTALL_ID and "remove-cell" in install.metadata.get("tags", [])
    assert f"git+{REPOSITORY}@{book_ref()}" in install.source
    NotebookClient(notebook, kernel_name="colab", timeout=600,
                   resources={"metadata": {"path": str(colab["cwd"])}}).execute()

    # kexue came from the clone's commit, through pip, into the Colab environment.
    direct_url = json.loads(next(colab["site"].glob("kexue-*.dist-info")).joinpath("direct_url.json").read_text())
    assert direct_url["url"] == REPOSITORY and direct_url["vcs_info"]["requested_revision"] == book_ref()
    assert direct_url["vcs_info"]["commit_id"] == _run("git", "-C", colab["clone"], "rev-parse", "HEAD").strip()
    location = _run(colab["python"], "-c", "import kexue; print(kexue.__file__)", cwd=colab["cwd"]).strip()
    assert Path(location).is_relative_to(colab["site"]), location
    # On Colab the cell also installs the CJK font, after updating the package lists.
    assert colab["apt_log"].read_text().splitlines() == ["-qq update", "-qq install -y fonts-noto-cjk"]
    # The chapter ran to its end in the smoke profile.
    printed = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "dev accuracy" in printed and "smoke profile" in printed
