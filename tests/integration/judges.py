"""What the locally built host judges (test_kong_judge.py, test_apisix_judge.py) share: loading
the runner script, running each probe once on the real host and through compatcheck, and
strict xfails for disagreements that need a code change."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_runner(name: str):
    """scripts/judges/<name>.py as a module (it is a script, not a package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "judges" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)  # dataclasses look their module up
    spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def probe_runs(directory: Path, run_real, build, target: str, plugin_config: str):
    """name -> (the real host's outcome, compatcheck's JSON result), each probe run once; the
    prediction is given the plugin configuration the real host gets."""
    cache: dict = {}

    def get(name):
        if name not in cache:
            path = directory / f"{name}.wasm"
            path.write_bytes(build(name))
            real = run_real(path)
            out = subprocess.run(
                [sys.executable, "-m", "compatcheck", "check", str(path), "-t", target,
                 "--plugin-config", plugin_config, "--format", "json"],
                capture_output=True, text=True, check=False)
            cache[name] = (real, json.loads(out.stdout)["modules"][0]["results"][0])
        return cache[name]
    return get


def xfail(name: str, gaps: dict[str, str]):
    """A probe whose disagreement needs a code change: a strict xfail naming it."""
    if name in gaps:
        return pytest.param(name, marks=pytest.mark.xfail(reason=gaps[name], strict=True))
    return name
